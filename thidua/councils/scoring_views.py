"""Council scoring pages: a member's score sheets for a session, the secretary's progress page and the
results after close."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.extensions import db
from thidua.fields import Form
from thidua.nominations.models import Nomination
from thidua.permissions import authorize, seat

from . import scoring
from .models import AgendaItem, CouncilSession

bp = Blueprint("council_scoring", __name__, url_prefix="/councils/scoring")


class SheetForm(Form):
    """CSRF only: the criteria are dynamic (`c<criterion id>` fields), checked by the service."""


def _member_or_403(session: CouncilSession):
    member = scoring.member_of(session, current_user)
    if member is None:
        abort(403)
    return member


def _sheet_page(session: CouncilSession, member, *, errors=None, entered=None, status=200):
    items = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.session_id == session.id).order_by(AgendaItem.position)
        .options(sa.orm.joinedload(AgendaItem.nomination).options(
            sa.orm.joinedload(Nomination.person), sa.orm.joinedload(Nomination.nominee_unit),
            sa.orm.joinedload(Nomination.award_type)))).unique().all()
    sheets = scoring.sheets_of(session, member)
    blocked = scoring.blocked_items(session, member)
    seen = scoring.visible_scores(session, current_user)
    return render_template("council_scoring/sheet.html", session=session, member=member, items=items,
                           sheets=sheets, blocked=blocked, criteria=list(session.rubric.criteria),
                           errors=errors or {}, entered=entered or {}, seen=seen, form=SheetForm()), status


@bp.get("/sessions/<int:session_id>")
def sheet(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.score", session)
    member = _member_or_403(session)
    if session.rubric is None:
        abort(404)
    return _sheet_page(session, member)


@bp.post("/items/<int:item_id>")
def save(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    session = item.session
    authorize("session.score", session)
    member = _member_or_403(session)
    form = SheetForm()
    if not form.validate_on_submit():
        flash(form.first_error() or "Yêu cầu không hợp lệ.", "danger")
        return redirect(url_for("council_scoring.sheet", session_id=session.id))
    criteria = list(session.rubric.criteria) if session.rubric else []
    values = {c.id: request.form.get(f"c{c.id}", "") for c in criteria}
    submit = request.form.get("action") == "submit"
    try:
        scoring.save_sheet(item, member, values, comment=request.form.get("comment"), submit=submit)
    except scoring.ScoresInvalid as e:
        db.session.rollback()
        flash(str(e), "danger")
        return _sheet_page(session, member, errors={item.id: e.errors}, entered={item.id: values}, status=422)
    except scoring.ScoringError as e:
        db.session.rollback()
        flash(str(e), "danger")
        return redirect(url_for("council_scoring.sheet", session_id=session.id, _anchor=f"item-{item.id}"))
    db.session.commit()
    flash("Đã nộp phiếu chấm điểm; điểm đã nộp không sửa được nữa." if submit else "Đã lưu nháp phiếu chấm điểm.",
          "success")
    return redirect(url_for("council_scoring.sheet", session_id=session.id, _anchor=f"item-{item.id}"))


@bp.get("/sessions/<int:session_id>/progress")
def progress(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.progress", session)
    return render_template("council_scoring/progress.html", session=session, rows=scoring.progress(session))


@bp.get("/sessions/<int:session_id>/results")
def results(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.results", session)
    res = scoring.results(session)
    member = seat(current_user, session.council)
    hidden = scoring.recused_items(session, member) if member is not None else set()
    res.items = [r for r in res.items if r.item_id not in hidden]
    return render_template("council_scoring/results.html", session=session, res=res)
