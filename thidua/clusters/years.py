"""The yearly cycle of a cluster or block: creating a year (criteria copied from the last one), its
members, head and deputy, the covenant, the criteria table and the status steps.

setup → covenant → scoring → review → voting → closed, through one transition table and
`transition()`. Services flush, never commit, never check who acts, and raise YearError with a
Vietnamese message (shown beside the form field named `field`, or as a form error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.text import nfc

from .models import (
    Cluster,
    ClusterCriterion,
    ClusterMembership,
    ClusterYear,
    ClusterYearStatus,
    CovenantCommitment,
    CriterionKind,
    SheetKind,
)

S = ClusterYearStatus
NORMAL_TOTAL = Decimal("100")  # the usual total of a cluster's criteria table (domain.md §1j)
# The criteria table may change only before scoring starts: every sheet is scored against one table.
CRITERIA_EDITABLE = frozenset({S.SETUP, S.COVENANT})
COVENANT_EDITABLE = frozenset({S.SETUP, S.COVENANT})
FIRST_YEAR, LAST_YEAR = 2000, 2100


class YearError(ValueError):
    """A refused change; the message is shown beside the form field named `field` (or as a form error)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def text(value: str | None) -> str | None:
    value = nfc(value or "").strip()
    return value or None


def parse_decimal(value, *, field: str, what: str) -> Decimal | None:
    """A number typed with a comma or a point ("7,5"), or None when empty."""
    if value is None or isinstance(value, Decimal):
        return value
    raw = str(value).strip().replace(",", ".")
    if not raw:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise YearError(f"{what} phải là số (ví dụ 7,5).", field) from None
    if not number.is_finite():
        raise YearError(f"{what} phải là số (ví dụ 7,5).", field)
    return number


# --- members --------------------------------------------------------------------------------------

def active_in(membership: ClusterMembership, year: int) -> bool:
    """The membership covers part of `year` (no dates = always)."""
    return ((membership.joined_on is None or membership.joined_on <= date(year, 12, 31))
            and (membership.left_on is None or membership.left_on >= date(year, 1, 1)))


def members(year: ClusterYear) -> list[Unit]:
    """The units of the cluster's memberships active in the year, by name."""
    units = [m.unit for m in year.cluster.memberships if active_in(m, year.year)]
    return sorted(units, key=lambda u: (u.name_folded, u.code))


def member_unit_ids(year: ClusterYear) -> set[int]:
    return {m.unit_id for m in year.cluster.memberships if active_in(m, year.year)}


def _require_member(year: ClusterYear, unit_id: int | None, *, field: str, what: str = "Đơn vị") -> None:
    if unit_id is not None and unit_id not in member_unit_ids(year):
        raise YearError(f"{what} phải là thành viên của {year.cluster.kind.label.lower()} trong năm {year.year}.",
                        field)


# --- years ----------------------------------------------------------------------------------------

def previous_year(cluster: Cluster, before: int) -> ClusterYear | None:
    return db.session.scalar(sa.select(ClusterYear).where(ClusterYear.cluster_id == cluster.id,
                                                          ClusterYear.year < before)
                             .order_by(ClusterYear.year.desc()).limit(1))


def years_of(cluster: Cluster) -> list[ClusterYear]:
    return list(db.session.scalars(sa.select(ClusterYear).where(ClusterYear.cluster_id == cluster.id)
                                   .order_by(ClusterYear.year.desc())))


def rotation(year: ClusterYear, *, count: int = 5) -> list[ClusterYear]:
    """The cluster's earlier years, newest first, with their head and deputy (they rotate)."""
    return list(db.session.scalars(
        sa.select(ClusterYear).where(ClusterYear.cluster_id == year.cluster_id, ClusterYear.year < year.year)
        .order_by(ClusterYear.year.desc()).limit(count)))


def _check_vote_settings(vote_threshold, flag_count, bk_count) -> tuple[Decimal, int, int]:
    threshold = parse_decimal(vote_threshold, field="vote_threshold", what="Tỷ lệ phiếu đồng ý")
    if threshold is None or not Decimal("0") < threshold <= Decimal("1"):
        raise YearError("Tỷ lệ phiếu đồng ý phải lớn hơn 0 và không quá 1 (ví dụ 0,5 là 50%).", "vote_threshold")
    if threshold.as_tuple().exponent < -3:
        raise YearError("Tỷ lệ phiếu đồng ý có tối đa 3 chữ số thập phân (ví dụ 0,667).", "vote_threshold")
    if flag_count is None or flag_count < 0:
        raise YearError("Số đơn vị đề nghị Cờ thi đua không được âm.", "flag_count")
    if bk_count is None or bk_count < 0:
        raise YearError("Số đơn vị đề nghị Bằng khen không được âm.", "bk_count")
    return threshold, flag_count, bk_count


def create_year(cluster: Cluster, *, year: int, vote_threshold=Decimal("0.5"), flag_count: int = 1,
                bk_count: int = 2, propose_government_flag: bool = False) -> ClusterYear:
    """Open `year` for the cluster; the criteria table of the latest earlier year is copied.

    :raise YearError: the year is out of range or already exists, the cluster is inactive, or the vote
        settings are invalid.
    """
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise YearError(f"Năm phải từ {FIRST_YEAR} đến {LAST_YEAR}.", "year")
    if not cluster.active:
        raise YearError(f"“{cluster.name}” đã ngừng hoạt động.")
    exists = db.session.scalar(sa.select(ClusterYear.id).where(ClusterYear.cluster_id == cluster.id,
                                                               ClusterYear.year == year))
    if exists:
        raise YearError(f"“{cluster.name}” đã có năm {year}.", "year")
    threshold, flag_count, bk_count = _check_vote_settings(vote_threshold, flag_count, bk_count)
    cy = ClusterYear(cluster=cluster, year=year, status=S.SETUP, vote_threshold=threshold, flag_count=flag_count,
                     bk_count=bk_count, propose_government_flag=bool(propose_government_flag))
    db.session.add(cy)
    label(cy, "cluster_year.create")
    db.session.flush()
    source = previous_year(cluster, year)
    if source is not None:
        copy_criteria(source, cy)
    return cy


def copy_criteria(source: ClusterYear, target: ClusterYear) -> list[ClusterCriterion]:
    """Copy `source`'s criteria tree into the (empty) table of `target`."""
    copies: dict[int, ClusterCriterion] = {}
    for c in tree_order(source.criteria):
        copy = ClusterCriterion(code=c.code, label=c.label, kind=c.kind, max_points=c.max_points, step=c.step,
                                help_text=c.help_text, position=c.position,
                                parent=copies.get(c.parent_id) if c.parent_id else None)
        target.criteria.append(copy)
        copies[c.id] = copy
    db.session.flush()
    return list(copies.values())


def update_settings(year: ClusterYear, *, vote_threshold, flag_count: int, bk_count: int,
                    propose_government_flag: bool) -> ClusterYear:
    """Change the suy tôn settings; refused once the vote has been set up."""
    if year.session_id is not None or year.status == S.CLOSED:
        raise YearError("Đã lập hội nghị suy tôn, không thể thay đổi ngưỡng và số lượng đề nghị.")
    year.vote_threshold, year.flag_count, year.bk_count = _check_vote_settings(vote_threshold, flag_count, bk_count)
    year.propose_government_flag = bool(propose_government_flag)
    db.session.flush()
    return year


def set_officers(year: ClusterYear, *, head_unit_id: int | None, deputy_unit_id: int | None,
                 assignment_decision: str | None, assigned_on: date | None) -> ClusterYear:
    """Name the head (cụm trưởng / khối trưởng) and deputy, members of the year, with the decision.

    :raise YearError: not members, the same unit twice, or the year is closed or past scoring (the
        head's panel sets the final scores).
    """
    if year.status in (S.REVIEW, S.VOTING, S.CLOSED) and head_unit_id != year.head_unit_id:
        raise YearError("Không thể thay đổi đơn vị cụm trưởng sau khi đã bắt đầu thẩm định điểm.", "head_unit_id")
    _require_member(year, head_unit_id, field="head_unit_id", what="Đơn vị cụm trưởng")
    _require_member(year, deputy_unit_id, field="deputy_unit_id", what="Đơn vị cụm phó")
    if head_unit_id is not None and head_unit_id == deputy_unit_id:
        raise YearError("Cụm trưởng và cụm phó phải là hai đơn vị khác nhau.", "deputy_unit_id")
    year.head_unit_id, year.deputy_unit_id = head_unit_id, deputy_unit_id
    year.assignment_decision = text(assignment_decision)
    year.assigned_on = assigned_on
    label(year, "cluster_year.officers")
    db.session.flush()
    return year


# --- covenant -------------------------------------------------------------------------------------

def _covenant_open(year: ClusterYear) -> None:
    if year.status not in COVENANT_EDITABLE:
        raise YearError(f"Giao ước chỉ được ghi nhận trước khi chấm điểm; năm đang ở bước “{year.status.label}”.")


def update_covenant(year: ClusterYear, *, signed_on: date | None, place: str | None,
                    covenant_text: str | None) -> ClusterYear:
    _covenant_open(year)
    year.covenant_signed_on = signed_on
    year.covenant_place = text(place)
    year.covenant_text = text(covenant_text)
    label(year, "cluster_year.covenant.edit")
    db.session.flush()
    return year


def commitment_of(year: ClusterYear, unit_id: int) -> CovenantCommitment | None:
    return next((c for c in year.commitments if c.unit_id == unit_id), None)


def save_commitment(year: ClusterYear, unit: Unit, *, targets: str | None, signatory_name: str | None,
                    signatory_title: str | None, signed_on: date | None) -> CovenantCommitment:
    """Record (or correct) a member's targets and who signed for it.

    :raise YearError: not a member, the covenant is closed, targets missing, or a signed date without a
        signatory (or the reverse).
    """
    _covenant_open(year)
    _require_member(year, unit.id, field="unit_id")
    targets = text(targets)
    if targets is None:
        raise YearError("Vui lòng nhập chỉ tiêu, nội dung đăng ký giao ước.", "targets")
    name, title = text(signatory_name), text(signatory_title)
    if signed_on is not None and name is None:
        raise YearError("Vui lòng nhập họ tên người ký.", "signatory_name")
    if name is not None and signed_on is None:
        raise YearError("Vui lòng nhập ngày ký.", "signed_on")
    if signed_on is not None and signed_on.year not in (year.year - 1, year.year):
        raise YearError(f"Ngày ký phải thuộc năm {year.year} (hoặc cuối năm trước).", "signed_on")
    row = commitment_of(year, unit.id)
    if row is None:
        row = CovenantCommitment(unit=unit, targets=targets)
        year.commitments.append(row)
    row.targets, row.signatory_name, row.signatory_title, row.signed_on = targets, name, title, signed_on
    label(row, "cluster_year.covenant.sign" if signed_on else "cluster_year.covenant.commit")
    db.session.flush()
    return row


@dataclass(frozen=True)
class CovenantRow:
    unit: Unit
    commitment: CovenantCommitment | None

    @property
    def signed(self) -> bool:
        return self.commitment is not None and self.commitment.signed_on is not None


def covenant_rows(year: ClusterYear) -> list[CovenantRow]:
    return [CovenantRow(u, commitment_of(year, u.id)) for u in members(year)]


# --- criteria table -------------------------------------------------------------------------------

def tree_order(criteria) -> list[ClusterCriterion]:
    """Criteria depth first, siblings by (position, id): the order of the printed table."""
    children: dict[int | None, list[ClusterCriterion]] = {}
    for c in criteria:
        children.setdefault(c.parent_id, []).append(c)
    out: list[ClusterCriterion] = []

    def walk(parent_id):
        for c in sorted(children.get(parent_id, []), key=lambda c: (c.position, c.id or 0)):
            out.append(c)
            walk(c.id)

    walk(None)
    return out


def depth(c: ClusterCriterion) -> int:
    d, p = 0, c.parent
    while p is not None:
        d, p = d + 1, p.parent
    return d


@dataclass(frozen=True)
class CriteriaSummary:
    normal_total: Decimal  # sum of the normal criteria's maximum points
    bonus_limit: Decimal
    penalty_limit: Decimal

    @property
    def complete(self) -> bool:
        return self.normal_total == NORMAL_TOTAL


def summary(year: ClusterYear) -> CriteriaSummary:
    def total(kind):
        return sum((c.max_points for c in year.criteria if c.kind == kind), Decimal("0"))

    return CriteriaSummary(total(CriterionKind.NORMAL), total(CriterionKind.BONUS), total(CriterionKind.PENALTY))


CRITERION_FIELDS = ("parent_id", "code", "label", "kind", "max_points", "step", "help_text", "position")


def _criterion_values(year: ClusterYear, fields: dict, *, criterion: ClusterCriterion | None) -> dict:
    if year.status not in CRITERIA_EDITABLE:
        raise YearError("Bảng tiêu chí chỉ sửa được trước khi bắt đầu chấm điểm.")
    values = {k: fields.get(k) for k in CRITERION_FIELDS if k in fields}
    code, name = text(values.get("code")), text(values.get("label"))
    if code is None:
        raise YearError("Vui lòng nhập số thứ tự, mã tiêu chí (ví dụ I, 1, 1.2).", "code")
    if len(code) > 16:
        raise YearError("Mã tiêu chí tối đa 16 ký tự.", "code")
    if name is None:
        raise YearError("Vui lòng nhập nội dung tiêu chí.", "label")
    try:
        kind = CriterionKind(values.get("kind") or CriterionKind.NORMAL)
    except ValueError:
        raise YearError("Loại tiêu chí không hợp lệ.", "kind") from None
    max_points = parse_decimal(values.get("max_points"), field="max_points", what="Điểm tối đa")
    if max_points is None or max_points < 0:
        raise YearError("Điểm tối đa phải là số không âm.", "max_points")
    if kind in (CriterionKind.NORMAL, CriterionKind.BONUS, CriterionKind.PENALTY) and max_points == 0:
        raise YearError("Điểm tối đa (giới hạn) phải lớn hơn 0.", "max_points")
    step = parse_decimal(values.get("step"), field="step", what="Bước điểm") or Decimal("0.5")
    if step <= 0:
        raise YearError("Bước điểm phải lớn hơn 0.", "step")
    if kind != CriterionKind.GROUP and max_points % step:
        raise YearError("Điểm tối đa phải là bội số của bước điểm.", "max_points")
    parent = None
    if values.get("parent_id"):
        parent = db.session.get(ClusterCriterion, values["parent_id"])
        if parent is None or parent.cluster_year_id != year.id or parent.kind != CriterionKind.GROUP:
            raise YearError("Nhóm tiêu chí không hợp lệ.", "parent_id")
        p = parent
        while p is not None:
            if criterion is not None and p.id == criterion.id:
                raise YearError("Không thể đặt một nhóm vào trong chính nó.", "parent_id")
            p = p.parent
    if criterion is not None and criterion.kind == CriterionKind.GROUP and kind != CriterionKind.GROUP \
            and criterion.children:
        raise YearError("Nhóm đang có tiêu chí con, không thể đổi thành tiêu chí.", "kind")
    siblings = [c for c in year.criteria if c.parent_id == (parent.id if parent else None) and c is not criterion]
    if any(c.code == code for c in siblings):
        raise YearError(f"Mã “{code}” đã có trong cùng nhóm.", "code")
    position = values.get("position")
    if position is None:
        position = max((c.position for c in siblings), default=0) + 1
    return {"parent": parent, "code": code, "label": name, "kind": kind, "max_points": max_points, "step": step,
            "help_text": text(values.get("help_text")), "position": int(position)}


def add_criterion(year: ClusterYear, **fields) -> ClusterCriterion:
    """Add a group, criterion, bonus or penalty item (max_points is its limit).

    :raise YearError: scoring has started, or a value is missing or invalid.
    """
    values = _criterion_values(year, fields, criterion=None)
    criterion = ClusterCriterion(**values)
    year.criteria.append(criterion)
    label(criterion, "cluster_year.criterion.add")
    db.session.flush()
    return criterion


def update_criterion(criterion: ClusterCriterion, **fields) -> ClusterCriterion:
    values = _criterion_values(criterion.cluster_year, fields, criterion=criterion)
    for key, value in values.items():
        setattr(criterion, key, value)
    db.session.flush()
    return criterion


def delete_criterion(criterion: ClusterCriterion) -> None:
    year = criterion.cluster_year
    if year.status not in CRITERIA_EDITABLE:
        raise YearError("Bảng tiêu chí chỉ sửa được trước khi bắt đầu chấm điểm.")
    doomed = [criterion]
    for c in tree_order(year.criteria):
        if c.parent in doomed:
            doomed.append(c)
    label(criterion, "cluster_year.criterion.delete")
    for c in reversed(doomed):
        year.criteria.remove(c)
    db.session.flush()


# --- status steps ---------------------------------------------------------------------------------

# action → (statuses it may start from, status it leads to); the audit label is "cluster_year.<action>".
TRANSITIONS: dict[str, tuple[frozenset[ClusterYearStatus], ClusterYearStatus]] = {
    "covenant": (frozenset({S.SETUP}), S.COVENANT),
    "scoring": (frozenset({S.COVENANT}), S.SCORING),
    "review": (frozenset({S.SCORING}), S.REVIEW),
    "voting": (frozenset({S.REVIEW}), S.VOTING),
    "close": (frozenset({S.VOTING}), S.CLOSED),  # by `vote.record_results`
}
ACTION_LABELS = {
    "covenant": "Bắt đầu ký kết giao ước",
    "scoring": "Bắt đầu tự chấm, chấm chéo",
    "review": "Kết thúc chấm, chuyển thẩm định",
    "voting": "Chốt điểm, chuyển bình xét, suy tôn",
}
_VERBS = {"covenant": "bắt đầu ký kết giao ước", "scoring": "bắt đầu chấm điểm", "review": "chuyển thẩm định",
          "voting": "chuyển bình xét, suy tôn", "close": "tổng kết"}


def step_problems(year: ClusterYear, action: str) -> list[str]:
    """What stops `action` now (empty when it may go ahead)."""
    problems: list[str] = []
    units = members(year)
    if action == "covenant" and len(units) < 2:
        problems.append("Cụm, khối cần ít nhất hai đơn vị thành viên trong năm.")
    if action == "scoring":
        if not any(c.kind == CriterionKind.NORMAL for c in year.criteria):
            problems.append("Bảng tiêu chí chưa có tiêu chí nào.")
        unsigned = [r.unit.name for r in covenant_rows(year) if not r.signed]
        if unsigned:
            problems.append("Chưa ký giao ước: " + ", ".join(unsigned) + ".")
    if action in ("review", "voting"):
        kind = SheetKind.SELF if action == "review" else SheetKind.FINAL
        done = {s.subject_unit_id for s in year.sheets if s.kind == kind and s.submitted_at is not None}
        missing = [u.name for u in units if u.id not in done]
        if missing:
            what = "tự chấm" if action == "review" else "điểm thẩm định"
            problems.append(f"Chưa nộp {what}: " + ", ".join(missing) + ".")
    if action == "review" and year.head_unit_id is None:
        problems.append("Chưa xác định đơn vị cụm trưởng (khối trưởng) để thẩm định điểm.")
    return problems


def transition(year: ClusterYear, action: str) -> ClusterYear:
    """Move `year` by `action` and label the audit entry "cluster_year.<action>"; flush, never commit.

    :raise YearError: the current status does not allow the action, or its conditions are not met.
    """
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise YearError("Thao tác không hợp lệ.") from None
    if year.status not in sources:
        raise YearError(f"Không thể {_VERBS[action]} khi năm đang ở bước “{year.status.label}”.")
    problems = step_problems(year, action)
    if problems:
        raise YearError(f"Chưa thể {_VERBS[action]}: " + " ".join(problems))
    label(year, f"cluster_year.{action}")
    year.status = target
    db.session.flush()
    return year


def available_steps(year: ClusterYear) -> list[str]:
    """Steps a staff member can take from the current status (close is taken by recording the vote)."""
    return [a for a, (sources, _) in TRANSITIONS.items() if year.status in sources and a in ACTION_LABELS]
