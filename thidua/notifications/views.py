"""The in-app inbox: the list (unread first), mark one read and follow its link, mark all read, the
unread count for the bell in the navbar (a context processor: one COUNT query per page)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.extensions import db, get_in_or_404
from thidua.permissions import can, requires

from . import services
from .kinds import kind_label
from .models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _bell():
    """`unread_notifications()` for base.html: called once where the bell is drawn, so pages without it
    (PDFs, e-mails) run no query."""

    def unread_notifications() -> int:
        if not can(current_user, "notification.inbox"):
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.get("/")
@requires("notification.inbox")
def inbox():
    page = db.paginate(services.inbox(current_user), per_page=services.PER_PAGE, error_out=False)
    return render_template("notifications/inbox.html", page=page, kind_label=kind_label,
                           unread=services.unread_count(current_user))


@bp.get("/unread.json")
@requires("notification.inbox")
def unread_json():
    return jsonify(unread=services.unread_count(current_user))


def _own(notification_id: int) -> Notification:
    """The signed-in user's notification; another user's is a 404 (its existence is not revealed)."""
    return get_in_or_404(Notification, notification_id, user_id=current_user.id)


def _safe(url: str | None) -> str | None:
    """Only a path inside the app is followed (never another host)."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//") else None


@bp.post("/<int:notification_id>/read")
@requires("notification.inbox")
def read(notification_id: int):
    notification = _own(notification_id)
    services.mark_read(notification)
    db.session.commit()
    return redirect(_safe(notification.url) or url_for("notifications.inbox"))


@bp.post("/read-all")
@requires("notification.inbox")
def read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(f"Đã đánh dấu {count} thông báo là đã đọc." if count else "Không có thông báo chưa đọc.", "success")
    return redirect(url_for("notifications.inbox", page=request.args.get("page", type=int)))
