"""State changes of councils, their members and sessions: agenda, attendance, quorum and the session's
status. Services flush, never commit, never check who acts, and raise CouncilError with a Vietnamese
message. Recusal lives in `recusal.py`; scores, ballots and minutes in their own modules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label, record
from thidua.extensions import db, utcnow
from thidua.nominations.models import Nomination, NominationStatus
from thidua.notifications import events
from thidua.scoring.models import Aggregation
from thidua.text import nfc

from . import recusal
from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Council,
    CouncilLevel,
    CouncilMember,
    CouncilSession,
    MemberRole,
    SessionStatus,
)

DEFAULT_QUORUM = Decimal("0.667")  # 2/3 of the members (domain.md §1f: configurable default)
# Roles a council has exactly one of at any time.
SINGLE_ROLES = (MemberRole.CHAIR, MemberRole.SECRETARY)


class CouncilError(ValueError):
    """A refused change; the message is shown beside the form field named `field` (or flashed)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- councils and members ------------------------------------------------------------------------

COUNCIL_FIELDS = ("name", "level", "unit_id", "established_by", "recuse_related_units", "active")


def _council_values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: (nfc(v).strip() if isinstance(v, str) else v) for k, v in fields.items() if k in COUNCIL_FIELDS}
    if "name" in values and not values["name"]:
        raise CouncilError("Vui lòng nhập tên Hội đồng.", "name")
    if "level" in values:
        try:
            values["level"] = CouncilLevel(values["level"])
        except ValueError:
            raise CouncilError("Cấp Hội đồng không hợp lệ.", "level") from None
    if "established_by" in values:
        values["established_by"] = values["established_by"] or None
    return values


def create_council(**fields: Any) -> Council:
    council = Council(**_council_values(fields))
    db.session.add(council)
    label(council, "council.create")
    db.session.flush()
    return council


def update_council(council: Council, **fields: Any) -> Council:
    for key, value in _council_values(fields).items():
        setattr(council, key, value)
    db.session.flush()
    return council


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def add_member(council: Council, *, user, role: MemberRole | str, term_from: date, term_to: date | None = None,
               position: str | None = None, unit_id: int | None = None, person_id: int | None = None) -> CouncilMember:
    """Seat `user` on `council` for a term.

    :raise CouncilError: the term ends before it starts, the user already sits on the council for an
        overlapping term, or the council already has a chair (or secretary) for an overlapping term —
        a council has exactly one of each at a time.
    """
    role = MemberRole(role)
    if term_to is not None and term_to < term_from:
        raise CouncilError("Ngày kết thúc nhiệm kỳ không được trước ngày bắt đầu.", "term_to")
    for other in council.members:
        if not _overlaps(other.term_from, other.term_to, term_from, term_to):
            continue
        if other.user_id == user.id:
            raise CouncilError(f"{user.full_name} đã là thành viên Hội đồng trong thời gian này.", "user_id")
        if role in SINGLE_ROLES and other.role == role:
            raise CouncilError(
                f"Hội đồng đã có {role.label.lower()} ({other.user.full_name}) trong thời gian này; "
                "hãy kết thúc nhiệm kỳ của người đó trước.", "role")
    member = CouncilMember(council=council, user=user, role=role, term_from=term_from, term_to=term_to,
                           position=nfc(position).strip() or None if position else None,
                           unit_id=unit_id, person_id=person_id)
    db.session.add(member)
    label(member, "council.member.add")
    db.session.flush()
    return member


def end_membership(member: CouncilMember, *, on: date) -> CouncilMember:
    """End `member`'s term on `on` (the last day they serve)."""
    if on < member.term_from:
        raise CouncilError("Ngày kết thúc nhiệm kỳ không được trước ngày bắt đầu.", "term_to")
    if member.term_to is not None and member.term_to < on:
        raise CouncilError("Nhiệm kỳ của thành viên này đã kết thúc trước ngày đó.", "term_to")
    member.term_to = on
    label(member, "council.member.end")
    db.session.flush()
    return member


def missing_roles(council: Council, day: date) -> list[MemberRole]:
    """The single roles (chair, secretary) nobody holds on `day`; shown as a warning on the council page."""
    held = {m.role for m in council.members if m.serves_on(day)}
    return [role for role in SINGLE_ROLES if role not in held]


# --- sessions --------------------------------------------------------------------------------------

def serving_members(session: CouncilSession) -> list[CouncilMember]:
    """The council's members whose term covers the session date, in seating order, the secretary
    included (their attendance is recorded and they sign the minutes)."""
    return [m for m in session.council.members if m.serves_on(session.held_on)]


# The one rule on who takes part in the council's judgment. The secretary (Thư ký Hội đồng) keeps the
# minutes and follows the progress of scoring and voting; they neither score nor vote, and they are
# counted neither in the quorum nor in the voting base ("all members" share). Our reading of
# domain.md §1f: the secretariat (Ban Thi đua - Khen thưởng) serves the council, it does not judge.
# Quorum, `recusal.eligible_voters`, the ballot's tally base, scoring and the permissions all ask here.

def is_voting(member: CouncilMember) -> bool:
    """Does `member` score and vote? Every role but the secretary (`CouncilMember.votes`)."""
    return member.votes


def voting_members(session: CouncilSession) -> list[CouncilMember]:
    """The serving members who score and vote (`is_voting`), in seating order: the base of the quorum
    and of an "all members" vote threshold."""
    return [m for m in serving_members(session) if is_voting(m)]


def create_session(council: Council, *, title: str, held_on: date, place: str | None = None, rubric_id: int | None = None,
                   aggregation: Aggregation | str = Aggregation.MEAN, normalise: bool = False,
                   quorum_ratio: Decimal = DEFAULT_QUORUM) -> CouncilSession:
    title = nfc(title or "").strip()
    if not title:
        raise CouncilError("Vui lòng nhập tên phiên họp.", "title")
    quorum_ratio = Decimal(quorum_ratio)
    if not Decimal("0") < quorum_ratio <= Decimal("1"):
        raise CouncilError("Tỷ lệ tối thiểu phải lớn hơn 0 và không quá 1.", "quorum_ratio")
    if not council.active:
        raise CouncilError("Hội đồng đã ngừng hoạt động.")
    session = CouncilSession(council=council, title=title, held_on=held_on, place=nfc(place).strip() or None if place else None,
                             rubric_id=rubric_id, aggregation=Aggregation(aggregation), normalise=normalise,
                             quorum_ratio=quorum_ratio, status=SessionStatus.PLANNED)
    db.session.add(session)
    label(session, "session.create")
    db.session.flush()
    events.session_scheduled(session)
    return session


def _require(session: CouncilSession, *statuses: SessionStatus, doing: str) -> None:
    if session.status not in statuses:
        raise CouncilError(f"Không thể {doing} khi phiên họp đang ở trạng thái “{session.status.label}”.")


# --- agenda ----------------------------------------------------------------------------------------

def addable_nominations(session: CouncilSession) -> list[Nomination]:
    """Accepted dossiers that are on no planned or open session's agenda (this one included)."""
    busy = (sa.select(AgendaItem.nomination_id).join(AgendaItem.session)
            .where(CouncilSession.status.in_([SessionStatus.PLANNED, SessionStatus.OPEN])))
    return list(db.session.scalars(
        sa.select(Nomination).where(Nomination.status == NominationStatus.ACCEPTED, Nomination.id.not_in(busy))
        .order_by(Nomination.id)
    ))


def add_to_agenda(session: CouncilSession, nomination: Nomination) -> AgendaItem:
    """Put an accepted dossier at the end of a planned session's agenda and recompute the recusals.

    :raise CouncilError: the session is not planned, the dossier is not accepted, or it is already on
        this or another planned or open session.
    """
    _require(session, SessionStatus.PLANNED, doing="thêm hồ sơ vào chương trình")
    if nomination.status != NominationStatus.ACCEPTED:
        raise CouncilError(f"Chỉ đưa vào chương trình hồ sơ “{NominationStatus.ACCEPTED.label}”; hồ sơ này "
                           f"đang ở trạng thái “{nomination.status.label}”.", "nomination_id")
    other = db.session.scalar(
        sa.select(CouncilSession).join(AgendaItem, AgendaItem.session_id == CouncilSession.id)
        .where(AgendaItem.nomination_id == nomination.id,
               CouncilSession.status.in_([SessionStatus.PLANNED, SessionStatus.OPEN]))
    )
    if other is not None:
        where = "phiên họp này" if other.id == session.id else f"phiên họp “{other.title}”"
        raise CouncilError(f"Hồ sơ đã có trong chương trình {where}.", "nomination_id")
    position = max((i.position for i in session.agenda), default=0) + 1
    item = AgendaItem(nomination=nomination, position=position)
    session.agenda.append(item)
    label(item, "session.agenda.add")
    db.session.flush()
    recusal.automatic_recusals(session)
    return item


def remove_from_agenda(item: AgendaItem) -> None:
    session = item.session
    _require(session, SessionStatus.PLANNED, doing="bỏ hồ sơ khỏi chương trình")
    label(item, "session.agenda.remove")
    session.agenda.remove(item)
    db.session.flush()
    _renumber(session)


def move_item(item: AgendaItem, *, up: bool) -> AgendaItem:
    """Swap the item with its neighbour above (or below); a no-op at either end."""
    session = item.session
    _require(session, SessionStatus.PLANNED, doing="sắp xếp chương trình")
    items = sorted(session.agenda, key=lambda i: (i.position, i.id))
    k = items.index(item)
    j = k - 1 if up else k + 1
    if 0 <= j < len(items):
        items[k], items[j] = items[j], items[k]
    for position, it in enumerate(items, start=1):
        it.position = position
    db.session.flush()
    return item


def _renumber(session: CouncilSession) -> None:
    for position, it in enumerate(sorted(session.agenda, key=lambda i: (i.position, i.id)), start=1):
        it.position = position
    db.session.flush()


# --- attendance and quorum ------------------------------------------------------------------------

def set_attendance(session: CouncilSession, statuses: dict[int, AttendanceStatus | str]) -> list[Attendance]:
    """Record each serving member's attendance ({member id: status}) while the session is planned or
    open, then recompute the recusals.

    :raise CouncilError: the session is closed, or a member id is not serving on the session date.
    """
    _require(session, SessionStatus.PLANNED, SessionStatus.OPEN, doing="điểm danh")
    serving = {m.id: m for m in serving_members(session)}
    unknown = set(statuses) - set(serving)
    if unknown:
        raise CouncilError("Có người không phải thành viên Hội đồng trong nhiệm kỳ của ngày họp.")
    existing = {a.member_id: a for a in session.attendance}
    touched = []
    for member_id, status in statuses.items():
        status = AttendanceStatus(status)
        row = existing.get(member_id)
        if row is None:
            row = Attendance(member=serving[member_id], status=status)
            session.attendance.append(row)
        else:
            row.status = status
        touched.append(row)
    db.session.flush()
    recusal.automatic_recusals(session)
    return touched


@dataclass(frozen=True)
class Quorum:
    present: int  # voting members attending in person
    members: int  # voting members serving on the session date (the secretary is not counted)
    required: int  # the smallest number present that meets the ratio
    met: bool

    def __iter__(self):
        return iter((self.present, self.members, self.required, self.met))


def required_count(ratio: Decimal, members: int) -> int:
    """The smallest n with n / members reaching `ratio`, where the ratio is stored rounded to three
    decimals: 0.667 stands for 2/3, so 6 of 9 meets it (6/9 = 0.6667 ≥ 0.667 once rounded). A share
    reaches the ratio when, rounded half-up to three decimals, it is not below it."""
    if members <= 0:
        return 0
    threshold = Fraction(Decimal(ratio)) - Fraction(1, 2000)
    return max(1, math.ceil(threshold * members))


def quorum(session: CouncilSession) -> Quorum:
    """(present_count, members_count, required, met) for `session`.

    Our reading of domain.md §1f: the quorum counts the council's voting members (`voting_members`:
    the secretary is not counted) who *attend in person* against all voting members serving on the
    session date; a member absent with a written opinion does not make the meeting quorate (they
    were not there), though their written opinion still counts toward the vote (see
    `recusal.eligible_voters`). A member with no attendance recorded counts as absent. Unpacks as a
    4-tuple.
    """
    serving = {m.id for m in voting_members(session)}
    present = sum(1 for a in session.attendance if a.member_id in serving and a.status == AttendanceStatus.PRESENT)
    required = required_count(session.quorum_ratio, len(serving))
    return Quorum(present=present, members=len(serving), required=required,
                  met=bool(serving) and present >= required)


# --- session status --------------------------------------------------------------------------------

S = SessionStatus
# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[SessionStatus], SessionStatus]] = {
    "open": (frozenset({S.PLANNED}), S.OPEN),
    "close": (frozenset({S.OPEN}), S.CLOSED),
    "reopen": (frozenset({S.CLOSED}), S.OPEN),  # an audited act of the chair, with a reason
}
ACTION_LABELS = {"open": "Khai mạc phiên họp", "close": "Kết thúc phiên họp", "reopen": "Mở lại phiên họp"}
_VERBS = {"open": "khai mạc", "close": "kết thúc", "reopen": "mở lại"}


def transition(session: CouncilSession, action: str, *, reason: str | None = None, actor=None) -> CouncilSession:
    """Move `session` by `action` (open, close, reopen) and label the audit entry "session.<action>";
    flush, never commit, never check who acts.

    open needs at least one agenda item and the quorum, and recomputes the recusals; close stamps
    `closed_at` and lets the ballot decide each item (`ballot.decide`, which moves the dossiers to
    approved / not approved through the nomination workflow on behalf of `actor`); reopen needs a written reason, counts the reopening and records the reason in the
    audit log.

    :raise CouncilError: the current status does not allow the action, or its condition is not met.
    """
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise CouncilError("Thao tác không hợp lệ.") from None
    if session.status not in sources:
        raise CouncilError(f"Không thể {_VERBS[action]} phiên họp đang ở trạng thái “{session.status.label}”.")
    reason = nfc(reason or "").strip() or None
    if action == "open":
        if not session.agenda:
            raise CouncilError("Chưa có hồ sơ nào trong chương trình phiên họp, không thể khai mạc.")
        q = quorum(session)
        if not q.met:
            raise CouncilError(
                f"Chưa đủ số thành viên có mặt để khai mạc: có mặt {q.present}/{q.members}, "
                f"cần ít nhất {q.required}.")
        recusal.automatic_recusals(session)
        session.opened_at = session.opened_at or utcnow()
    elif action == "close":
        session.closed_at = utcnow()
    elif action == "reopen":
        if reason is None:
            raise CouncilError("Vui lòng ghi rõ lý do mở lại phiên họp.", "reason")
        session.reopen_count += 1
        session.closed_at = None
        record("session.reopen", session, session=db.session, reason=reason, reopen_count=session.reopen_count)
    label(session, f"session.{action}")
    session.status = target
    db.session.flush()
    if action == "open":
        events.session_opened(session, actor=actor)
    if action == "close":
        from .ballot import decide  # the ballot sits above the session in the import order

        decide(session, actor=actor)
    return session


def available_actions(session: CouncilSession, user) -> list[str]:
    """Actions whose source state matches and that `user` may take (open/close: "session.progress";
    reopen: "session.reopen")."""
    from thidua.permissions import can

    rule = {"open": "session.progress", "close": "session.progress", "reopen": "session.reopen"}
    return [a for a, (sources, _) in TRANSITIONS.items() if session.status in sources and can(user, rule[a], session)]


def sessions_of(user) -> list[tuple[CouncilSession, CouncilMember]]:
    """Sessions `user` sits on (their term covers the session date), newest first, with their seat."""
    rows = db.session.execute(
        sa.select(CouncilSession, CouncilMember)
        .join(CouncilMember, CouncilMember.council_id == CouncilSession.council_id)
        .where(CouncilMember.user_id == user.id)
        .order_by(CouncilSession.held_on.desc(), CouncilSession.id.desc())
    ).all()
    return [(s, m) for s, m in rows if m.serves_on(s.held_on)]
