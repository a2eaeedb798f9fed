"""Conflict-of-interest recusal (miễn/tránh xung đột lợi ích): who may not score, vote on or see the
results of one dossier.

A member is recused **automatically** from an agenda item when
- they are the nominee (`member.person_id == nomination.person_id`);
- their unit is the nominee's unit (a collective's `nominee_unit`, an individual's `person.unit`), or —
  when the council's `recuse_related_units` is set — a unit above or below it at any depth;
- their user created the dossier, or acts for the nominating unit as its unit officer (an officer of
  a unit acts for every unit below it, as in `permissions.acts_for`) — except on a cluster's council,
  where the head unit files every member's dossier as a formality.

Members may also **declare** a conflict on an item with a reason while the session is planned or open.
Decision on lifting: staff (who run the session) may lift a *declared* recusal only while the session
is still planned — a slip corrected before the meeting. Automatic recusals are never lifted (they are
recomputed from the data), and once the session is open every recusal stands, since the member may
already have seen or said something about the dossier.

`is_recused` and `eligible_voters` are what scoring and the ballot call; they read the relationships
already loaded on the session (no query per member).
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.auth.models import Role, RoleAssignment
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.text import nfc

from .models import (
    AgendaItem,
    AttendanceStatus,
    CouncilLevel,
    CouncilMember,
    CouncilSession,
    Recusal,
    SessionStatus,
)

# Attendance that lets a member's opinion count: in person, or in writing (domain.md §1f).
VOTING_ATTENDANCE = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.ABSENT_WRITTEN})

REASON_NOMINEE = "Là người được đề nghị khen thưởng"
REASON_SAME_UNIT = "Cùng đơn vị với đối tượng được đề nghị"
REASON_RELATED_UNIT = "Đơn vị cấp trên hoặc cấp dưới của đối tượng được đề nghị"
REASON_NOMINATOR = "Là người lập hồ sơ hoặc cán bộ của đơn vị đề nghị"


class RecusalError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _serving(session: CouncilSession) -> list[CouncilMember]:
    return [m for m in session.council.members if m.serves_on(session.held_on)]


def _unit_tree() -> dict[int, int | None]:
    """{unit id: parent id} for the whole tree, in one query."""
    return dict(db.session.execute(sa.select(Unit.id, Unit.parent_id)).all())


def _ancestors(parents: dict[int, int | None], unit_id: int) -> set[int]:
    seen: set[int] = set()
    current = parents.get(unit_id)
    while current is not None and current not in seen:
        seen.add(current)
        current = parents.get(current)
    return seen


def _officer_scopes(user_ids: set[int], parents: dict[int, int | None]) -> dict[int, set[int]]:
    """{user id: ids of the units they act for as unit officer (their units and all below)}."""
    rows = db.session.execute(
        sa.select(RoleAssignment.user_id, RoleAssignment.unit_id)
        .where(RoleAssignment.user_id.in_(user_ids), RoleAssignment.role == Role.UNIT_OFFICER)
    ).all() if user_ids else []
    scopes: dict[int, set[int]] = defaultdict(set)
    roots = defaultdict(set)
    for user_id, unit_id in rows:
        roots[user_id].add(unit_id)
    for user_id, units in roots.items():
        # a unit is in scope when it or one of its ancestors is an assigned unit
        scopes[user_id] = {u for u in parents if u in units or _ancestors(parents, u) & units}
    return scopes


def conflict_reason(item: AgendaItem, member: CouncilMember, *, parents: dict[int, int | None],
                    scopes: dict[int, set[int]], related: bool) -> str | None:
    """Why `member` must be kept out of `item` automatically, or None."""
    n = item.nomination
    if n.person_id is not None and member.person_id == n.person_id:
        return REASON_NOMINEE
    nominee_unit = n.nominee_unit_id if n.is_collective else (n.person.unit_id if n.person else None)
    if member.unit_id is not None and nominee_unit is not None:
        if member.unit_id == nominee_unit:
            return REASON_SAME_UNIT
        if related and (member.unit_id in _ancestors(parents, nominee_unit)
                        or nominee_unit in _ancestors(parents, member.unit_id)):
            return REASON_RELATED_UNIT
    if item.session.council.level == CouncilLevel.CLUSTER:
        # A cluster's dossiers are filed by its head unit on behalf of all members: its representative
        # is a voter like the others, kept out only of its own unit's candidacy (above).
        return None
    if n.created_by_id is not None and n.created_by_id == member.user_id:
        return REASON_NOMINATOR
    if n.unit_id in scopes.get(member.user_id, ()):
        return REASON_NOMINATOR
    return None


def automatic_recusals(session: CouncilSession) -> list[Recusal]:
    """Compute and store the automatic recusals of every agenda item × serving member; idempotent.

    Adds the missing automatic rows, deletes automatic rows whose cause has gone (e.g. the member's
    term no longer covers the date), and leaves declared rows alone (a declared recusal already
    keeps the member out). Closed sessions are left as they are. Returns the automatic rows now held.
    """
    if session.status == SessionStatus.CLOSED:
        return [r for item in session.agenda for r in item.recusals if r.automatic]
    members = _serving(session)
    parents = _unit_tree()
    scopes = _officer_scopes({m.user_id for m in members}, parents)
    related = session.council.recuse_related_units
    held: list[Recusal] = []
    for item in session.agenda:
        existing = {r.member_id: r for r in item.recusals}
        wanted: dict[int, str] = {}
        for member in members:
            reason = conflict_reason(item, member, parents=parents, scopes=scopes, related=related)
            if reason:
                wanted[member.id] = reason
        for member_id, row in existing.items():
            if row.automatic and member_id not in wanted:
                item.recusals.remove(row)
            elif row.automatic and row.reason != wanted[member_id]:
                row.reason = wanted[member_id]
        for member in members:
            if member.id in wanted and member.id not in existing:
                row = Recusal(member=member, reason=wanted[member.id], automatic=True)
                item.recusals.append(row)
                label(row, "session.recusal.automatic")
        held.extend(r for r in item.recusals if r.automatic)
    db.session.flush()
    return held


def declare_conflict(item: AgendaItem, member: CouncilMember, reason: str) -> Recusal:
    """Record that `member` declares a conflict of interest on `item`, with a written reason.

    :raise RecusalError: the session is closed, the member does not serve on the session date, the
        reason is empty, or the member is already recused from this dossier.
    """
    session = item.session
    if session.status not in (SessionStatus.PLANNED, SessionStatus.OPEN):
        raise RecusalError("Phiên họp đã kết thúc, không thể khai báo xung đột lợi ích.")
    if member.council_id != session.council_id or not member.serves_on(session.held_on):
        raise RecusalError("Chỉ thành viên Hội đồng trong nhiệm kỳ của ngày họp mới khai báo được.")
    reason = nfc(reason or "").strip()
    if not reason:
        raise RecusalError("Vui lòng ghi rõ lý do xung đột lợi ích.", "reason")
    if is_recused(item, member):
        raise RecusalError("Bạn đã không tham gia xem xét hồ sơ này.")
    row = Recusal(member=member, reason=reason[:500], automatic=False)
    item.recusals.append(row)
    label(row, "session.recusal.declare")
    db.session.flush()
    return row


def lift(row: Recusal) -> None:
    """Remove a declared recusal while the session is planned (see the module docstring).

    :raise RecusalError: the recusal is automatic, or the session is no longer planned.
    """
    if row.automatic:
        raise RecusalError("Không thể bỏ trường hợp tự động không tham gia (do quan hệ với hồ sơ).")
    if row.agenda_item.session.status != SessionStatus.PLANNED:
        raise RecusalError("Phiên họp đã bắt đầu, không thể bỏ khai báo xung đột lợi ích.")
    label(row, "session.recusal.lift")
    row.agenda_item.recusals.remove(row)
    db.session.flush()


def recused_member_ids(item: AgendaItem) -> set[int]:
    """Ids of the members kept out of `item` (automatic or declared)."""
    return {r.member_id for r in item.recusals}


def is_recused(item: AgendaItem, member: CouncilMember) -> bool:
    """Is `member` kept out of `item`? Such a member neither scores, votes nor sees its results."""
    return member.id in recused_member_ids(item)


def eligible_voters(item: AgendaItem) -> list[CouncilMember]:
    """The members whose opinion counts on `item`: voting members (`services.voting_members`, so never
    the secretary) serving on the session date, present or absent with a written opinion, and not
    recused. In seating order; no query per member."""
    from .services import voting_members  # services imports this module at load

    session = item.session
    attending = {a.member_id for a in session.attendance if a.status in VOTING_ATTENDANCE}
    recused = recused_member_ids(item)
    return [m for m in voting_members(session) if m.id in attending and m.id not in recused]
