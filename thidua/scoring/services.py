"""Rubric changes. Flush, never commit; the view checks who."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from thidua.extensions import db

from .models import Aggregation, Rubric, RubricCriterion


class RubricError(ValueError):
    """A rubric change refused; the message is shown to the user as is."""


RUBRIC_FIELDS = ("name", "award_code", "aggregation", "normalise", "min_sheets_to_normalise", "active")
CRITERION_FIELDS = ("label", "help_text", "min_points", "max_points", "step", "anchors", "weight", "required",
                    "informational", "position")


def _check_criterion(values: dict) -> None:
    lo, hi, step, weight = (Decimal(values[k]) for k in ("min_points", "max_points", "step", "weight"))
    if hi <= lo:
        raise RubricError("Điểm cao nhất phải lớn hơn điểm thấp nhất.")
    if step <= 0 or (hi - lo) % step != 0:
        raise RubricError("Bước điểm phải lớn hơn 0 và chia hết khoảng điểm.")
    if weight < 0:
        raise RubricError("Hệ số không được âm.")


def in_use(rubric: Rubric) -> bool:
    """Scores were already given against this rubric (in any domain that keeps scores: every table with a
    foreign key to a criterion), so its scales must not change under them. No import of those domains."""
    criteria = sa.select(RubricCriterion.id).where(RubricCriterion.rubric_id == rubric.id)
    for table in db.metadata.tables.values():
        for fk in table.foreign_keys:
            if (fk.column.table is RubricCriterion.__table__ and table is not RubricCriterion.__table__
                    and db.session.scalar(sa.select(sa.exists().where(fk.parent.in_(criteria))))):
                return True
    return False


def save_rubric(rubric: Rubric | None, **values) -> Rubric:
    if rubric is None:
        rubric = Rubric()
        db.session.add(rubric)
    values["aggregation"] = Aggregation(values.get("aggregation") or Aggregation.MEAN)
    values["award_code"] = (values.get("award_code") or "").strip().upper() or None
    for key in RUBRIC_FIELDS:
        if key in values:
            setattr(rubric, key, values[key])
    db.session.flush()
    return rubric


def save_criterion(rubric: Rubric, criterion: RubricCriterion | None, **values) -> RubricCriterion:
    _check_criterion(values)
    if criterion is not None and in_use(rubric):
        changed = criterion.informational != values["informational"] or any(
            Decimal(str(getattr(criterion, key))) != Decimal(str(values[key]))
            for key in ("min_points", "max_points", "step", "weight"))
        if changed:
            raise RubricError("Bảng điểm đã được dùng để chấm: không đổi thang điểm, bước, hệ số "
                              "hay tính chất tham khảo của tiêu chí; chỉ sửa được tên, hướng dẫn và mốc điểm.")
    if criterion is None:
        if in_use(rubric):
            raise RubricError("Bảng điểm đã được dùng để chấm, không thêm tiêu chí được.")
        criterion = RubricCriterion()
        rubric.criteria.append(criterion)
    for key in CRITERION_FIELDS:
        setattr(criterion, key, values[key])
    db.session.flush()
    return criterion


def delete_criterion(criterion: RubricCriterion) -> None:
    if in_use(criterion.rubric):
        raise RubricError("Bảng điểm đã được dùng để chấm, không xóa tiêu chí được.")
    criterion.rubric.criteria.remove(criterion)
    db.session.flush()
