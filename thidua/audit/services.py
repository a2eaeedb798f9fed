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
import functools
import warnings
import weakref
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import LoaderCallableStatus, Session

from thidua.extensions import utcnow

from .models import AuditEntry

_SKIP_ALWAYS = frozenset({"created_at", "updated_at", "version", "status_changed_at"})
# A column whose name contains one of these is a secret (or personal data that the log must not
# copy, such as a national ID number), whatever the model's __audit_exclude__ says.
_SECRET_WORDS = ("password", "secret", "token", "national_id")
MASK = "***"
SYSTEM = "hệ thống"  # the actor name of CLI work and jobs
GUEST = "khách (chưa đăng nhập)"  # the actor name of a web request with nobody logged in
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
    """Name the next recorded change of `obj` (e.g. "campaign.open") instead of plain "update".

    The label is dropped at the next flush that includes `obj`, whether or not that flush changed it.
    """
    obj = _unproxied(obj)
    session = sa.orm.object_session(obj)
    if session is not None:
        _labels(session)[obj] = action


def _unproxied(obj):
    """The object behind a proxy such as Flask-Login's `current_user`, which the flush never sees."""
    return obj._get_current_object() if hasattr(obj, "_get_current_object") else obj


def _labels(session: Session) -> weakref.WeakKeyDictionary:
    # Keyed by the object itself (weakly), never by id(): an id can be reused by a later object.
    return session.info.setdefault("audit_labels", weakref.WeakKeyDictionary())


def record(action: str, obj=None, *, session: Session, **details) -> AuditEntry:
    """Add an event entry that is not a row change (login, failed login, download…)."""
    obj = _unproxied(obj) if obj is not None else None
    entry = AuditEntry(
        action=action,
        object_type=obj.__tablename__ if obj is not None else "-",
        object_id=_object_id(obj) if obj is not None else None,
        object_repr=str(obj)[:300] if obj is not None else None,
        changes={k: _jsonable(v) for k, v in details.items()} or None,
        **_actor_fields(),
    )
    session.add(entry)
    return entry


def _actor_fields() -> dict[str, Any]:
    actor = _actor()
    # A web request with nobody logged in (a failed login) is a guest, not the system.
    anonymous = GUEST if has_request_context() else SYSTEM
    return {
        "actor_id": getattr(actor, "id", None),
        "actor_name": str(actor)[:200] if actor is not None else anonymous,
        "ip": request.remote_addr if has_request_context() else None,
    }


def _excluded(obj) -> frozenset[str]:
    return _SKIP_ALWAYS | getattr(type(obj), "__audit_exclude__", frozenset())


def _column_attrs(obj):
    mapper = sa.inspect(obj).mapper
    return [attr for attr in mapper.column_attrs if attr.key not in _excluded(obj)]


def _object_id(obj) -> str | None:
    """The primary key as text (composite keys joined by commas); None while it is unknown."""
    key = sa.inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _row_changes(obj, kind: str, stored: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for one flushed object; `stored` holds before-values read by
    `_before_flush` for fields that were changed while not loaded."""
    state = sa.inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in _column_attrs(obj):
        if attr.key == "id":  # already the entry's object_id
            continue
        hist = state.attrs[attr.key].history
        if kind == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = [None, _jsonable(value)]
        elif kind == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value is not None:
                changes[attr.key] = [_jsonable(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else stored.get(attr.key)
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[attr.key] = [_jsonable(before), _jsonable(after)]
    # Secrets are never written, but the log still shows that one was set or changed.
    for attr in state.mapper.column_attrs:
        if not _is_secret(attr.key):
            continue
        changes.pop(attr.key, None)
        if kind == "create" and getattr(obj, attr.key) is not None:
            changes[attr.key] = [None, MASK]
        elif kind == "update" and state.attrs[attr.key].history.has_changes():
            changes[attr.key] = [MASK, MASK]
    return changes


def _is_secret(key: str) -> bool:
    return any(word in key for word in _SECRET_WORDS)


def _flushed(session: Session, flush_context) -> list[tuple[str, object]]:
    """(kind, obj) for every row this flush inserted, updated or deleted, creates first.

    The flush context, not `session.deleted`, is the source: an object removed from a
    delete-orphan collection is deleted by the flush without ever being in `session.deleted`.
    """
    kinds: dict[str, list[object]] = {"create": [], "update": [], "delete": []}
    for state, (is_delete, list_only) in flush_context.states.items():
        obj = state.obj()
        if list_only or obj is None:
            continue
        if is_delete:
            kinds["delete"].append(obj)
        elif state.key is None:  # a pending object gets its identity key only after this hook
            kinds["create"].append(obj)
        else:
            kinds["update"].append(obj)
    # Parents are created before their children and deleted after them, as the flush itself did.
    order = _table_order(len(AuditEntry.metadata.tables))
    kinds["create"].sort(key=lambda obj: order.get(getattr(obj, "__table__", None), 0))
    kinds["delete"].sort(key=lambda obj: -order.get(getattr(obj, "__table__", None), 0))
    return [(kind, obj) for kind, objects in kinds.items() for obj in objects]


@functools.cache
def _table_order(_table_count: int) -> dict[sa.Table, int]:
    """Tables in dependency order (parents first); cached per number of tables."""
    with warnings.catch_warnings():  # a foreign-key cycle only makes the order approximate
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return {table: i for i, table in enumerate(AuditEntry.metadata.sorted_tables)}


def _before_flush(session: Session, flush_context, instances) -> None:
    """Read the stored values of fields that were assigned while not loaded.

    After a commit every attribute is expired; assigning one then does not load the old value, so
    the entry would show "None → new" (and a same-value assignment would look like a change).
    One SELECT per such object, before its UPDATE, fetches what the row holds.
    """
    stored = _stored_values(session)
    for obj in session.dirty:
        state = sa.inspect(obj)
        if state.key is None:
            continue
        unknown = [attr for attr in state.mapper.column_attrs
                   if state.committed_state.get(attr.key) is LoaderCallableStatus.NO_VALUE]
        if not unknown:
            continue
        mapper = state.mapper
        where = [col == value for col, value in zip(mapper.primary_key, state.key[1], strict=True)]
        row = session.execute(sa.select(*(attr.columns[0] for attr in unknown)).where(*where)).one_or_none()
        if row is not None:
            stored[obj] = {attr.key: value for attr, value in zip(unknown, row, strict=True)}


def _stored_values(session: Session) -> weakref.WeakKeyDictionary:
    return session.info.setdefault("audit_stored", weakref.WeakKeyDictionary())


def _after_flush(session: Session, flush_context) -> None:
    labels = _labels(session)
    stored = _stored_values(session)
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for kind, obj in _flushed(session, flush_context):
        if isinstance(obj, AuditEntry) or not hasattr(obj, "__tablename__") or getattr(obj, "__audit_skip__", False):
            continue
        action = labels.pop(obj, None) or kind
        changes = _row_changes(obj, kind, stored.pop(obj, {}))
        if kind == "update" and not changes:
            continue
        rows.append(
            {
                "at": now,
                "action": action,
                "object_type": obj.__tablename__,
                "object_id": _object_id(obj),
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
        sa.event.listen(session, "before_flush", _before_flush)
        sa.event.listen(session, "after_flush", _after_flush)
