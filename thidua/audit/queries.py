"""Read queries over the audit log: the filtered listing and the values its filters offer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from thidua.auth.models import User
from thidua.extensions import db
from thidua.text import fold, vi_text_key

from .labels import NO_OBJECT, ROW_ACTIONS, action_label, object_type_label
from .models import AuditEntry


def entries(*, actor: str | None = None, action: str | None = None, object_type: str | None = None,
            object_id: str | None = None, date_from: date | None = None, date_to: date | None = None) -> sa.Select:
    """Entries matching every given filter, newest first. Dates are local calendar days, inclusive."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if actor:
        stmt = stmt.where(_actor_matches(actor))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id.strip())
    if date_from:
        stmt = stmt.where(AuditEntry.at >= _local_midnight(date_from))
    if date_to:
        stmt = stmt.where(AuditEntry.at < _local_midnight(date_to + timedelta(days=1)))
    return stmt


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))


def _actor_matches(text: str) -> sa.ColumnElement[bool]:
    """The name recorded on the entry contains `text`, or the acting user's current username or
    full name does, ignoring case and diacritics ("dang quoc" finds "Đặng Quốc Vượng").

    Users are matched in Python because SQLite's lower() knows only ASCII.
    """
    wanted = fold(text)
    user_ids = [
        row.id for row in db.session.execute(sa.select(User.id, User.username, User.full_name))
        if wanted in fold(row.username) or wanted in fold(row.full_name)
    ]
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    condition = sa.func.lower(AuditEntry.actor_name).like(f"%{escaped}%", escape="\\")
    return sa.or_(condition, AuditEntry.actor_id.in_(user_ids)) if user_ids else condition


def actions() -> list[str]:
    """Create, update and delete, then every other action recorded so far, by label."""
    recorded = set(db.session.scalars(sa.select(AuditEntry.action).distinct())) - set(ROW_ACTIONS)
    return [*ROW_ACTIONS, *sorted(recorded, key=lambda a: vi_text_key(action_label(a)))]


def object_types() -> list[str]:
    """Every audited table, plus any other type recorded so far, by label."""
    tables = {t.name for t in db.metadata.sorted_tables} - {AuditEntry.__tablename__}
    recorded = set(db.session.scalars(sa.select(AuditEntry.object_type).distinct()))
    return sorted(tables | recorded | {NO_OBJECT}, key=lambda t: vi_text_key(object_type_label(t)))
