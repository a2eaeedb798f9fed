"""State changes of the unit tree and its merge lineage. Services flush, never commit.

Every rule lives here once and is shared by the forms-driven views and the Excel importer: a code
is unique and has no spaces, a unit is never its own ancestor, validity ends no earlier than it
starts, and lineage (predecessor → successor) has no cycles.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db
from thidua.text import nfc

from .models import Unit, UnitKind, UnitSuccession
from .queries import descendant_ids, lineage_ids

CODE_MAX = 32
NAME_MAX = 255
ADDRESS_MAX = 255
SUCCESSION_NOTE_MAX = 255

UNIT_FIELDS = ("code", "name", "kind", "parent_id", "valid_from", "valid_to", "address", "note")


class OrgError(ValueError):
    """A refused change; the message (Vietnamese) is shown beside the form field named `field`
    (or as a flash message when `field` is None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- checks shared with the importer -------------------------------------------------------------

def code_problem(code: str | None) -> str | None:
    """Why `code` is not an acceptable unit code, or None when it is."""
    if not code:
        return "Vui lòng nhập mã đơn vị."
    if len(code) > CODE_MAX:
        return f"Mã đơn vị tối đa {CODE_MAX} ký tự."
    if any(ch.isspace() for ch in code):
        return "Mã đơn vị không được chứa dấu cách."
    return None


def date_range_problem(valid_from: date | None, valid_to: date | None) -> str | None:
    if valid_from and valid_to and valid_to < valid_from:
        return "Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực."
    return None


def _check_code(code: str | None, *, unit: Unit | None) -> None:
    problem = code_problem(code)
    if problem:
        raise OrgError(problem, "code")
    stmt = sa.select(Unit.name).where(Unit.code == code)
    if unit is not None and unit.id is not None:
        stmt = stmt.where(Unit.id != unit.id)
    other = db.session.scalar(stmt)
    if other is not None:
        raise OrgError(f"Mã “{code}” đã được dùng cho đơn vị “{other}”.", "code")


def _check_parent(unit: Unit | None, parent_id: int | None) -> Unit | None:
    if parent_id is None:
        return None
    parent = db.session.get(Unit, parent_id)
    if parent is None:
        raise OrgError("Đơn vị cấp trên không tồn tại.", "parent_id")
    if unit is not None and unit.id is not None:
        if parent.id == unit.id:
            raise OrgError("Một đơn vị không thể là cấp trên của chính nó.", "parent_id")
        if parent.id in descendant_ids([unit.id], include_self=False):
            raise OrgError(
                f"Không thể chọn “{parent.name}” làm cấp trên vì đơn vị này đang trực thuộc "
                f"“{unit.name}” (sẽ tạo vòng lặp trong cây đơn vị).",
                "parent_id",
            )
    return parent


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: (nfc(v) if isinstance(v, str) else v) for k, v in fields.items() if k in UNIT_FIELDS}
    for key in ("address", "note"):
        if key in values:
            values[key] = values[key] or None
    if "kind" in values:
        try:
            values["kind"] = UnitKind(values["kind"])
        except ValueError:
            raise OrgError("Loại đơn vị không hợp lệ.", "kind") from None
    if "name" in values and not values["name"]:
        raise OrgError("Vui lòng nhập tên đơn vị.", "name")
    return values


# --- units ---------------------------------------------------------------------------------------

def create_unit(**fields: Any) -> Unit:
    """Create a unit from UNIT_FIELDS; raise OrgError on a duplicate code, a missing parent or a bad
    validity range."""
    values = _clean(fields)
    _check_code(values.get("code"), unit=None)
    parent = _check_parent(None, values.pop("parent_id", None))
    problem = date_range_problem(values.get("valid_from"), values.get("valid_to"))
    if problem:
        raise OrgError(problem, "valid_to")
    unit = Unit(parent=parent, **values)
    db.session.add(unit)
    label(unit, "unit.create")
    db.session.flush()
    return unit


def update_unit(unit: Unit, **fields: Any) -> Unit:
    """Apply the given UNIT_FIELDS; raise OrgError on a duplicate code, a parent that is the unit
    itself or below it (a cycle), or a validity end before its start. Ending a unit is setting
    `valid_to`."""
    values = _clean(fields)
    if "code" in values:
        _check_code(values["code"], unit=unit)
    if "parent_id" in values:
        values["parent"] = _check_parent(unit, values.pop("parent_id"))
    problem = date_range_problem(values.get("valid_from", unit.valid_from), values.get("valid_to", unit.valid_to))
    if problem:
        raise OrgError(problem, "valid_to")
    ending = "valid_to" in values and values["valid_to"] is not None and unit.valid_to is None
    for key, value in values.items():
        setattr(unit, key, value)
    if ending:
        label(unit, "unit.end")
    db.session.flush()
    return unit


# --- merge lineage -------------------------------------------------------------------------------

def add_succession(predecessor: Unit, successor: Unit, *, effective_on: date | None = None, partial: bool = False,
                   note: str | None = None) -> UnitSuccession:
    """Record that `successor` took over (all or, when `partial`, part of) `predecessor`.

    Raises OrgError for a self-link, a link that already exists, or one that would close a cycle
    (the predecessor already descends, through mergers, from the successor).
    """
    if predecessor.id == successor.id:
        raise OrgError("Một đơn vị không thể kế thừa chính nó.", "other_unit_id")
    exists = db.session.scalar(
        sa.select(UnitSuccession.id).where(
            UnitSuccession.predecessor_id == predecessor.id, UnitSuccession.successor_id == successor.id
        )
    )
    if exists:
        raise OrgError(f"Đã ghi nhận “{successor.name}” kế thừa “{predecessor.name}”.", "other_unit_id")
    if successor.id in lineage_ids(predecessor.id):
        raise OrgError(
            f"Không thể ghi nhận vì “{predecessor.name}” đã kế thừa (trực tiếp hoặc gián tiếp) từ "
            f"“{successor.name}”; quan hệ kế thừa sẽ thành vòng lặp.",
            "other_unit_id",
        )
    link = UnitSuccession(predecessor=predecessor, successor=successor, effective_on=effective_on,
                          partial=bool(partial), note=nfc(note) or None)
    db.session.add(link)
    label(link, "unit.succession.add")
    db.session.flush()
    return link


def remove_succession(link: UnitSuccession) -> None:
    """Delete one lineage edge (recorded by mistake)."""
    label(link, "unit.succession.remove")
    db.session.delete(link)
    db.session.flush()
