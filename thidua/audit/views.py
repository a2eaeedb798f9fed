"""The audit log pages (admin only): the filtered list and one object's history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.filters import local_time, vn_date, vn_datetime
from thidua.permissions import requires

from . import queries
from .forms import AuditFilterForm
from .labels import action_label, field_label, object_type_label
from .models import AuditEntry
from .services import MASK

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50


@bp.get("/")
@requires("audit.view")
def index():
    form = AuditFilterForm(request.args, actions=queries.actions(), object_types=queries.object_types())
    page = None
    if form.validate():
        page = db.paginate(queries.entries(**form.filters()), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", form=form, page=page, args=args, **_HELPERS)


@bp.get("/export.xlsx")
@requires("audit.view")
def index_xlsx():
    form = AuditFilterForm(request.args, actions=queries.actions(), object_types=queries.object_types())
    if not form.validate():
        abort(400)
    filters = form.filters()
    rows = ([local_time(e.at), e.actor_name, action_label(e.action), object_type_label(e.object_type), e.object_id,
             e.object_repr, e.ip] for e in db.session.scalars(queries.entries(**filters)))
    labels = {form[name].label.text: value for name, value in filters.items()}
    return xlsx_response("nhat-ky-he-thong", "Nhật ký hệ thống",
                         [col("Thời điểm (giờ Việt Nam)", "datetime"), col("Người thực hiện"), col("Thao tác"),
                          col("Loại đối tượng"), col("Mã đối tượng"), col("Đối tượng"), col("Địa chỉ IP")], rows,
                         filters=labels)


@bp.get("/<object_type>/<object_id>")
@requires("audit.view")
def object_history(object_type: str, object_id: str):
    """Every entry about one object, newest first; 404 when there is none."""
    page = db.paginate(queries.entries(object_type=object_type, object_id=object_id), per_page=PER_PAGE,
                       error_out=False)
    if not page.total:
        abort(404)
    latest = db.session.scalar(
        sa.select(AuditEntry.object_repr)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id,
               AuditEntry.object_repr.is_not(None))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    return render_template("audit/object_history.html", page=page, object_type=object_type, object_id=object_id,
                           object_repr=latest, **_HELPERS)


# --- showing the stored changes ------------------------------------------------------------------

@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str | None  # None: nothing to show before (a new row, or an event's detail)
    after: str | None  # None: nothing to show after (a deleted row)
    detail: bool = False  # an event's detail (e.g. the username tried), not a field's change


def change_rows(entry: AuditEntry) -> list[ChangeRow]:
    """The entry's `changes`, readable: Vietnamese field names, local times, enum labels.

    A row change stores {field: [before, after]}; an event from `record()` stores plain details.
    A new row shows only its values, a deleted row only its last values.
    """
    changes = entry.changes or {}
    if not all(isinstance(v, list) and len(v) == 2 for v in changes.values()):
        return [ChangeRow(field_label(k), None, _show(entry, k, v), detail=True) for k, v in changes.items()]
    created = all(before is None for before, _ in changes.values())
    deleted = all(after is None for _, after in changes.values())
    return [
        ChangeRow(field_label(key),
                  None if created else _show(entry, key, before),
                  None if deleted and not created else _show(entry, key, after))
        for key, (before, after) in changes.items()
    ]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _show(entry: AuditEntry, key: str, value: Any) -> str:
    if value is None:
        return "—"
    if value is True or value is False:
        return "Có" if value else "Không"
    if isinstance(value, str):
        if value == MASK:
            return "*** (được ẩn)"
        if _ISO_DATE.match(value):
            return vn_date(date.fromisoformat(value))
        if _ISO_DATETIME.match(value):
            moment = datetime.fromisoformat(value)
            return vn_datetime(moment) if moment.tzinfo else moment.strftime("%d/%m/%Y %H:%M")
        return _enum_label(entry.object_type, key, value) or value
    return str(value)


def _enum_label(table: str, column: str, value: str) -> str | None:
    """The Vietnamese label of a stored enum value ("unit_officer" → "Cán bộ đơn vị"), found
    through the mapped column's type so that the audit log imports no other domain."""
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.local_table, "name", None) != table:
            continue
        col = mapper.local_table.columns.get(column)
        enum_class = getattr(col.type, "enum_class", None) if col is not None else None
        member = enum_class._value2member_map_.get(value) if enum_class is not None else None
        return getattr(member, "label", None)
    return None


_HELPERS = {
    "change_rows": change_rows,
    "action_label": action_label,
    "object_type_label": object_type_label,
}
