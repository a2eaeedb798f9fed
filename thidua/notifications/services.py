"""The notification funnel and the inbox's state changes.

`notify()` is the one function that writes Notifications: the events (events.py) decide *who* is told,
`notify()` writes one inbox row per recipient in the caller's transaction (flush only) and hands each
to e-mail (`mail.queue_for`, which applies the user's preferences and digest). Reading and the
retention purge live here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from thidua.extensions import db, utcnow

from .kinds import KINDS
from .models import Notification

# Domain §"notifications": the inbox keeps a year of messages; older ones are purged by a scheduled job.
NOTIFICATION_RETENTION_DAYS = 365
PER_PAGE = 30
TITLE_MAX = 300


def app_path(endpoint: str, **values) -> str:
    """The path of `endpoint` inside the app, also outside a request (task queue, CLI), where `url_for`
    would need SERVER_NAME."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def notify(users: Iterable, *, kind: str, title: str, body: str | None = None, url: str | None = None,
           obj=None) -> list[Notification]:
    """Put one Notification in the inbox of each distinct, active recipient of `users` (one INSERT of
    many rows), flush only, then queue each for e-mail. `obj` names the object it is about.

    :raise LookupError: `kind` is not in KINDS (a programming error).
    """
    if kind not in KINDS:
        raise LookupError(f"no notification kind named {kind!r}")
    recipients = list({u.id: u for u in users if u is not None and u.active}.values())
    if not recipients:
        return []
    object_type = type(obj).__name__ if obj is not None else None
    object_id = getattr(obj, "id", None)
    now = utcnow()
    rows = [dict(user_id=u.id, kind=kind, title=title[:TITLE_MAX], body=body, url=url, object_type=object_type,
                 object_id=object_id, created_at=now) for u in recipients]
    db.session.flush()  # pending changes first: the bulk insert below does not go through the unit of work
    # One row per recipient, matched back by user id: asking the database to keep the order of the rows
    # would make SQLite fall back to one INSERT per row.
    inserted = {n.user_id: n for n in db.session.scalars(sa.insert(Notification).returning(Notification), rows)}
    from . import mail  # the e-mail side sits above the inbox; imported when used

    disabled = mail.disabled_kinds_of(u.id for u in recipients if u.email)  # one query, not one per user
    for user in recipients:
        mail.queue_for(user, inserted[user.id], disabled=disabled.get(user.id, set()))
    return [inserted[u.id] for u in recipients]


# --- the inbox ---------------------------------------------------------------------------------------

def inbox(user) -> sa.Select:
    """The user's notifications, unread first, newest first within each group."""
    return (sa.select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user) -> int:
    """One COUNT query (the bell on every page)."""
    return db.session.scalar(sa.select(sa.func.count(Notification.id))
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(notification: Notification) -> Notification:
    """Stamp `read_at` (kept from the first reading); flush only."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user) -> int:
    """Mark every unread notification of `user` read in one UPDATE; return how many were unread."""
    result = db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount


def purge_old(days: int = NOTIFICATION_RETENTION_DAYS) -> int:
    """Delete notifications created more than `days` days ago, read or not; return how many. Flush only:
    the scheduled job commits."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(Notification).where(Notification.created_at < cutoff))
    return result.rowcount
