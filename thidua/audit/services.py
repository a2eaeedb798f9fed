"""Writing the audit log.

`install(session)` hooks the session so that every flushed insert, update and delete of a model is
recorded with its changed fields. Services add meaning with `label(obj, "campaign.open")` (names
the next recorded change of `obj`) or `record(action, obj, **details)` (an event with no row change,
such as a failed login).
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session

from thidua.extensions import utcnow

from .models import AuditEntry

_SKIP_ALWAYS = frozenset({"created_at", "updated_at", "version", "status_changed_at"})
_cli_actor: contextvars.ContextVar = contextvars.ContextVar("audit_cli_actor", default=None)


@contextlib.contextmanager
def acting_as(user):
    """Attribute changes made outside a request (CLI, jobs) to `user` (or None for "system")."""
    token = _cli_actor.set(user)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def _actor():
    user = _cli_actor.get()
    if user is not None:
        return user
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def label(obj, action: str) -> None:
    """Name the next recorded change of `obj` (e.g. "campaign.open") instead of plain "update"."""
    session = sa.orm.object_session(obj)
    if session is not None:
        session.info.setdefault("audit_labels", {})[id(obj)] = action


def record(action: str, obj=None, *, session: Session, **details) -> AuditEntry:
    """Add an event entry that is not a row change (login, failed login, download…)."""
    entry = AuditEntry(
        action=action,
        object_type=obj.__tablename__ if obj is not None else "-",
        object_id=str(sa.inspect(obj).identity[0]) if obj is not None and sa.inspect(obj).identity else None,
        object_repr=str(obj)[:300] if obj is not None else None,
        changes={k: _jsonable(v) for k, v in details.items()} or None,
        **_actor_fields(),
    )
    session.add(entry)
    return entry


def _actor_fields() -> dict[str, Any]:
    actor = _actor()
    return {
        "actor_id": getattr(actor, "id", None),
        "actor_name": str(actor)[:200] if actor is not None else "hệ thống",
        "ip": request.remote_addr if has_request_context() else None,
    }


def _excluded(obj) -> frozenset[str]:
    return _SKIP_ALWAYS | getattr(type(obj), "__audit_exclude__", frozenset())


def _column_attrs(obj):
    mapper = sa.inspect(obj).mapper
    return [attr for attr in mapper.column_attrs if attr.key not in _excluded(obj)]


def _row_changes(obj, kind: str) -> dict[str, list[Any]]:
    state = sa.inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in _column_attrs(obj):
        hist = state.attrs[attr.key].history
        if kind == "create":
            value = getattr(obj, attr.key)
            if value is not None and attr.key != "id":
                changes[attr.key] = [None, _jsonable(value)]
        elif kind == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value is not None:
                changes[attr.key] = [_jsonable(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[attr.key] = [_jsonable(before), _jsonable(after)]
    # Fields excluded from the log (password hashes) still show that they changed.
    if kind == "update":
        for key in getattr(type(obj), "__audit_exclude__", ()):
            if key in state.attrs and state.attrs[key].history.has_changes():
                changes[key] = ["***", "***"]
    return changes


def _after_flush(session: Session, flush_context) -> None:
    labels: dict[int, str] = session.info.get("audit_labels", {})
    rows: list[dict[str, Any]] = []
    now = utcnow()
    groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    for kind, objects in groups:
        for obj in objects:
            if isinstance(obj, AuditEntry) or not hasattr(obj, "__tablename__"):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _row_changes(obj, kind)
            if kind == "update" and not changes:
                continue
            identity = sa.inspect(obj).identity
            rows.append(
                {
                    "at": now,
                    "action": labels.pop(id(obj), None) or kind,
                    "object_type": obj.__tablename__,
                    "object_id": str(identity[0]) if identity else None,
                    "object_repr": str(obj)[:300],
                    "changes": changes or None,
                    **_actor_fields(),
                }
            )
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)


def install(session) -> None:
    """Hook `session` (a scoped session or session class) so flushes are audited. Idempotent."""
    if not sa.event.contains(session, "after_flush", _after_flush):
        sa.event.listen(session, "after_flush", _after_flush)
