"""Scores of a cluster year: each member's self-assessment (with evidence), the other members' cross
scores and the head's panel's final score, validated against the criteria table; the results table.

Totals come from the shared engine (`thidua.scoring.engine`): normal and bonus items count plus, penalty
items minus (weight −1). Every sheet is kept; results use submitted sheets only. Services flush, never
commit, never check who acts, and raise ScoringError (or SheetInvalid, per criterion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db, utcnow
from thidua.org.models import Unit
from thidua.scoring import engine
from thidua.storage import StoredUpload

from . import years
from .models import (
    ClusterCriterion,
    ClusterEvidence,
    ClusterScore,
    ClusterScoreSheet,
    ClusterYear,
    ClusterYearStatus,
    CriterionKind,
    SheetKind,
)
from .years import YearError, parse_decimal, text

SCORED_KINDS = frozenset({CriterionKind.NORMAL, CriterionKind.BONUS, CriterionKind.PENALTY})
OPEN_FOR = {SheetKind.SELF: ClusterYearStatus.SCORING, SheetKind.CROSS: ClusterYearStatus.SCORING,
            SheetKind.FINAL: ClusterYearStatus.REVIEW}
EVIDENCE_KINDS = {"pdf", "jpeg", "png"}
# A difference between scores is highlighted from this share of the normal criteria's total
# (5 points on the usual 100): large enough to call for the head's explanation.
DIFFERENCE_SHARE = Decimal("0.05")


class ScoringError(YearError):
    """A refused sheet change (state, who is scored by whom)."""


class SheetInvalid(ScoringError):
    """Points that break the criteria table; `errors` maps criterion id → message."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(f"Có {len(errors)} điểm chưa hợp lệ; vui lòng sửa các ô được đánh dấu.")
        self.errors = errors


def scored_criteria(year: ClusterYear) -> list[ClusterCriterion]:
    return [c for c in years.tree_order(year.criteria) if c.kind in SCORED_KINDS]


# --- finding sheets --------------------------------------------------------------------------------

def find_sheet(year: ClusterYear, kind: SheetKind, subject_id: int, scorer_id: int | None = None) -> ClusterScoreSheet | None:
    if kind == SheetKind.SELF:
        scorer_id = subject_id
    elif kind == SheetKind.FINAL:
        scorer_id = None
    return next((s for s in year.sheets if s.kind == kind and s.subject_unit_id == subject_id
                 and s.scorer_unit_id == scorer_id), None)


def sheet_or_blank(year: ClusterYear, kind: SheetKind, subject_id: int, scorer_id: int | None = None) -> ClusterScoreSheet:
    """The stored sheet, or an unsaved one carrying only ids (for the permission check and the form)."""
    found = find_sheet(year, kind, subject_id, scorer_id)
    if found is not None:
        return found
    scorer = subject_id if kind == SheetKind.SELF else (None if kind == SheetKind.FINAL else scorer_id)
    return ClusterScoreSheet(cluster_year_id=year.id, kind=kind, subject_unit_id=subject_id, scorer_unit_id=scorer)


def _check_sheet(year: ClusterYear, kind: SheetKind, subject_id: int, scorer_id: int | None) -> None:
    if year.status != OPEN_FOR[kind]:
        raise ScoringError(f"{kind.label} chỉ thực hiện ở bước “{OPEN_FOR[kind].label}”; năm đang ở bước "
                           f"“{year.status.label}”.")
    member_ids = years.member_unit_ids(year)
    if subject_id not in member_ids:
        raise ScoringError("Đơn vị được chấm không phải thành viên trong năm.")
    if kind == SheetKind.CROSS:
        if scorer_id == subject_id:
            raise ScoringError("Đơn vị không được chấm chéo cho chính mình; điểm của đơn vị mình là phần tự chấm.")
        if scorer_id not in member_ids:
            raise ScoringError("Đơn vị chấm chéo phải là thành viên trong năm.")


# --- validation ------------------------------------------------------------------------------------

def validate_points(year: ClusterYear, raw: dict[int, object]) -> tuple[dict[int, Decimal | None], dict[int, str]]:
    """Parse and check points typed for each scored criterion ({criterion id: text}); returns
    (points, errors). Points run from 0 to the criterion's maximum (a bonus or penalty item's limit) in
    its steps; a group's criteria together stay within the group's maximum when it has one."""
    points: dict[int, Decimal | None] = {}
    errors: dict[int, str] = {}
    for c in scored_criteria(year):
        try:
            value = parse_decimal(raw.get(c.id), field=str(c.id), what="Điểm")
        except YearError as exc:
            errors[c.id] = str(exc)
            continue
        points[c.id] = value
        if value is None:
            continue
        what = {CriterionKind.BONUS: "Điểm thưởng", CriterionKind.PENALTY: "Điểm trừ"}.get(c.kind, "Điểm")
        if value < 0:
            errors[c.id] = f"{what} không được âm."
        elif value > c.max_points:
            limit = "giới hạn" if c.kind != CriterionKind.NORMAL else "điểm tối đa"
            errors[c.id] = f"{what} vượt {limit} {points_text(c.max_points)} của mục {c.code}."
        elif value % c.step:
            errors[c.id] = f"{what} phải chấm theo bước {points_text(c.step)} (ví dụ {points_text(c.max_points - c.step)})."
    for group in (c for c in year.criteria if c.kind == CriterionKind.GROUP and c.max_points > 0):
        inside = [c for c in scored_criteria(year) if c.kind == CriterionKind.NORMAL and _under(c, group)]
        total = sum((points.get(c.id) or Decimal("0") for c in inside), Decimal("0"))
        if total > group.max_points and inside:
            last = inside[-1]
            errors.setdefault(last.id, f"Tổng điểm nhóm {group.code} là {points_text(total)}, vượt tối đa {points_text(group.max_points)}.")
    return points, errors


def _under(c: ClusterCriterion, group: ClusterCriterion) -> bool:
    p = c.parent
    while p is not None:
        if p.id == group.id:
            return True
        p = p.parent
    return False


def points_text(value) -> str:
    """7.50 → "7,5"; 10.00 → "10"."""
    d = Decimal(value).normalize()
    return format(d, "f").replace(".", ",")


# --- saving and submitting -----------------------------------------------------------------------

def save_sheet(year: ClusterYear, *, kind: SheetKind, subject: Unit, scorer: Unit | None, points: dict[int, object],
               notes: dict[int, str] | None = None, comment: str | None = None) -> ClusterScoreSheet:
    """Store the points of one sheet (created on first save); empty points are "not scored yet".

    :raise ScoringError: the step does not allow this sheet, the subject or scorer is not a member, a unit
        cross-scores itself, or the sheet is submitted (locked).
    :raise SheetInvalid: points outside 0..max or off the step, a bonus or penalty over its limit, a group
        over its maximum — nothing is stored.
    """
    kind = SheetKind(kind)
    scorer_id = subject.id if kind == SheetKind.SELF else (scorer.id if kind == SheetKind.CROSS and scorer else None)
    if kind == SheetKind.CROSS and scorer is None:
        raise ScoringError("Chưa xác định đơn vị chấm chéo.")
    _check_sheet(year, kind, subject.id, scorer_id)
    sheet = find_sheet(year, kind, subject.id, scorer_id)
    if sheet is not None and sheet.submitted_at is not None:
        raise ScoringError("Phiếu điểm đã nộp, không thể sửa.")
    values, errors = validate_points(year, points)
    if errors:
        raise SheetInvalid(errors)
    if sheet is None:
        sheet = ClusterScoreSheet(kind=kind, subject_unit=subject, scorer_unit_id=scorer_id)
        year.sheets.append(sheet)
    existing = {s.criterion_id: s for s in sheet.scores}
    for criterion_id, value in values.items():
        row = existing.get(criterion_id)
        note = text((notes or {}).get(criterion_id))
        if value is None:
            if row is not None:
                sheet.scores.remove(row)
            continue
        if row is None:
            sheet.scores.append(ClusterScore(criterion_id=criterion_id, points=value, note=note))
        else:
            row.points, row.note = value, note
    sheet.comment = text(comment)
    label(sheet, f"cluster_year.sheet.{kind.value}")
    db.session.flush()
    return sheet


def submit_sheet(sheet: ClusterScoreSheet, *, actor) -> ClusterScoreSheet:
    """Lock the sheet: every criterion must be scored (bonus and penalty items may stay empty = 0).

    :raise ScoringError: already submitted, the step is over, or criteria left unscored.
    """
    year = sheet.cluster_year
    _check_sheet(year, sheet.kind, sheet.subject_unit_id, sheet.scorer_unit_id)
    if sheet.submitted_at is not None:
        raise ScoringError("Phiếu điểm đã nộp.")
    scored = {s.criterion_id for s in sheet.scores}
    missing = [c.code for c in scored_criteria(year) if c.kind == CriterionKind.NORMAL and c.id not in scored]
    if missing:
        raise ScoringError("Chưa chấm các tiêu chí: " + ", ".join(missing) + ". Lưu đủ điểm rồi nộp phiếu.")
    sheet.submitted_at = utcnow()
    sheet.submitted_by_id = getattr(actor, "id", None)
    label(sheet, "cluster_year.sheet.submit")
    db.session.flush()
    return sheet


def add_evidence(sheet: ClusterScoreSheet, *, upload: StoredUpload, criterion_id: int | None, actor) -> ClusterEvidence:
    """Attach a file to a self-assessment that is still open."""
    if sheet.kind != SheetKind.SELF:
        raise ScoringError("Chỉ đính kèm minh chứng vào phiếu tự chấm.")
    if sheet.submitted_at is not None:
        raise ScoringError("Phiếu tự chấm đã nộp, không thể thêm minh chứng.")
    if criterion_id is not None and not any(c.id == criterion_id for c in sheet.cluster_year.criteria):
        raise ScoringError("Tiêu chí không hợp lệ.", "criterion_id")
    evidence = ClusterEvidence(criterion_id=criterion_id, uploaded_by_id=getattr(actor, "id", None), **upload.columns())
    sheet.evidence.append(evidence)
    label(evidence, "cluster_year.evidence.add")
    db.session.flush()
    return evidence


# --- totals and the results table ----------------------------------------------------------------

@dataclass(frozen=True)
class _Weighted:
    """A criterion as the engine sees it: penalties count minus."""

    id: int
    max_points: Decimal
    weight: int


def engine_criteria(year: ClusterYear) -> list[_Weighted]:
    return [_Weighted(c.id, c.max_points, -1 if c.kind == CriterionKind.PENALTY else 1) for c in scored_criteria(year)]


def sheet_total(sheet: ClusterScoreSheet, criteria: list[_Weighted] | None = None) -> float:
    criteria = criteria if criteria is not None else engine_criteria(sheet.cluster_year)
    return engine.sheet_total({s.criterion_id: s.points for s in sheet.scores}, criteria).total


@dataclass
class ResultRow:
    unit: Unit
    self_total: float | None = None
    cross: dict[int, float] = field(default_factory=dict)  # scorer unit id → total
    cross_summary: engine.Summary = field(default_factory=lambda: engine.Summary(n=0))
    final: float | None = None
    rank: int = 0
    tied: bool = False

    @property
    def cross_mean(self) -> float | None:
        return self.cross_summary.mean

    @property
    def final_minus_self(self) -> float | None:
        return None if self.final is None or self.self_total is None else round(self.final - self.self_total, 2)

    @property
    def final_minus_cross(self) -> float | None:
        return None if self.final is None or self.cross_mean is None else round(self.final - self.cross_mean, 2)


@dataclass
class Results:
    year: ClusterYear
    rows: list[ResultRow]  # in ranking order (unranked last)
    units: list[Unit]  # members, by name: the cross-score columns
    scale: float  # the normal criteria's total
    pending: dict[str, int]  # sheets saved but not submitted, per kind

    @property
    def highlight_from(self) -> float:
        return float(DIFFERENCE_SHARE) * self.scale

    def flagged(self, difference: float | None) -> bool:
        return difference is not None and abs(difference) >= self.highlight_from


def results(year: ClusterYear) -> Results:
    """Per member: self total, each cross total, their summary (engine.summary), final total, and the
    ranking by final total with ties sharing a rank (engine.rank). Submitted sheets only."""
    units = years.members(year)
    criteria = engine_criteria(year)
    scale = float(years.summary(year).normal_total)
    rows = {u.id: ResultRow(unit=u) for u in units}
    pending = {k.value: 0 for k in SheetKind}
    sheets = db.session.scalars(sa.select(ClusterScoreSheet).where(ClusterScoreSheet.cluster_year_id == year.id)
                                .options(sa.orm.selectinload(ClusterScoreSheet.scores))).all()
    for sheet in sheets:
        row = rows.get(sheet.subject_unit_id)
        if row is None:
            continue
        if sheet.submitted_at is None:
            pending[sheet.kind.value] += 1
            continue
        total = sheet_total(sheet, criteria)
        if sheet.kind == SheetKind.SELF:
            row.self_total = total
        elif sheet.kind == SheetKind.FINAL:
            row.final = total
        elif sheet.scorer_unit_id in rows:
            row.cross[sheet.scorer_unit_id] = total
    for row in rows.values():
        row.cross_summary = engine.summary(row.cross.values(), scale=scale or None)
    ranked = engine.rank(list(rows.values()), key=lambda r: r.final)
    for r in ranked:
        r.item.rank, r.item.tied = r.rank, r.tied
    return Results(year=year, rows=[r.item for r in ranked], units=units, scale=scale, pending=pending)


def tasks(year: ClusterYear, unit_ids: set[int]) -> list[ClusterScoreSheet]:
    """The sheets the units in `unit_ids` fill in now (stored or blank): their self sheet and a cross
    sheet for every other member while scoring."""
    out = []
    if year.status != ClusterYearStatus.SCORING:
        return out
    member_ids = [u.id for u in years.members(year)]
    for scorer in (u for u in member_ids if u in unit_ids):
        out.append(sheet_or_blank(year, SheetKind.SELF, scorer))
        out.extend(sheet_or_blank(year, SheetKind.CROSS, subject, scorer) for subject in member_ids if subject != scorer)
    return out
