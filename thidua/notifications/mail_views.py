"""E-mail pages: every user's preferences (e-mail per kind of event, one by one or a daily digest), and the
administrator's e-mail log and outbox with a view of each message."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.extensions import db
from thidua.permissions import authorize, requires

from . import mail
from .mail_forms import PreferencesForm
from .models import EmailMessage, EmailStatus

bp = Blueprint("mail", __name__, url_prefix="/mail")
# A `flask thidua worker` process registers the blueprints too: it learns the sending task here.
bp.record_once(lambda state: mail.register_task(state.app))


@bp.route("/preferences", methods=["GET", "POST"])
@requires("notification.preferences")
def preferences():
    kinds = mail.email_kinds()
    form = PreferencesForm(kinds=kinds)
    if request.method == "GET":
        off = mail.disabled_kinds(current_user)
        form.email_kinds.data = [k for k in kinds if k not in off]
        form.delivery.data = "digest" if current_user.email_digest else "each"
    if form.validate_on_submit():
        mail.save_preferences(current_user, email_on=set(form.email_kinds.data or ()),
                              digest=form.delivery.data == "digest")
        db.session.commit()
        flash("Đã lưu cách nhận thư điện tử.", "success")
        return redirect(url_for("mail.preferences"))
    return render_template("mail/preferences.html", form=form)


@bp.get("/")
@requires("email.log")
def log():
    status = request.args.get("status") or ""
    q = (request.args.get("q") or "").strip()
    stmt = sa.select(EmailMessage).order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc())
    if status in {s.value for s in EmailStatus}:
        stmt = stmt.where(EmailMessage.status == EmailStatus(status))
    else:
        status = ""
    if q:
        # autoescape: a typed % or _ is searched for, not a wildcard
        stmt = stmt.where(sa.or_(sa.func.lower(EmailMessage.to_address).contains(q.lower(), autoescape=True),
                                 sa.func.lower(EmailMessage.subject).contains(q.lower(), autoescape=True)))
    counts = dict(db.session.execute(sa.select(EmailMessage.status, sa.func.count()).group_by(EmailMessage.status)).all())
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("mail/log.html", page=page, status=status, q=q, statuses=list(EmailStatus),
                           counts=counts, smtp_configured=mail.smtp_configured())


@bp.get("/<int:message_id>")
def message(message_id: int):
    message = db.get_or_404(EmailMessage, message_id)
    authorize("email.log", message)
    return render_template("mail/message.html", message=message)
