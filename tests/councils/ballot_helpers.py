"""Arrange helpers for the ballot and minutes tests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests import factories
from thidua.auth.models import Role
from thidua.councils.models import Attendance, AttendanceStatus, Recusal
from thidua.extensions import db


def voting_session(unit, *, members: int = 10, absent: int = 0, written: int = 0, code: str = "CSTDT",
                   dossiers: int = 1, status: str = "open", names=None):
    """An open session of a council of `members` voting members (the first is the chair) plus a
    secretary (present, not voting, seated last), the last `absent` voting members absent and the
    `written` before those absent with a written opinion, and `dossiers` accepted dossiers of award
    `code` on the agenda. Returns (session, the voting seats); `secretary_of(session)` gives the rest."""
    users = [factories.make_user(roles=[Role.COUNCIL_MEMBER], full_name=(names[i] if names and i < len(names) else None))
             for i in range(members)]
    roles = ["chair"] + ["member"] * (members - 1)
    secretary = factories.make_user(roles=[Role.COUNCIL_MEMBER], full_name="Hoàng Thị Thư")
    council = factories.make_council(unit=unit, members=[*zip(users, roles, strict=True), (secretary, "secretary")])
    nominations = [factories.make_nomination(unit=unit, code=code, status="accepted") for _ in range(dossiers)]
    session = factories.make_session(council=council, status=status, nominations=nominations,
                                     place="Hội trường UBND tỉnh Thanh Hóa")
    seats = list(council.members)[:members]
    for i, member in enumerate(seats):
        if i >= members - absent:
            state = AttendanceStatus.ABSENT
        elif i >= members - absent - written:
            state = AttendanceStatus.ABSENT_WRITTEN
        else:
            state = AttendanceStatus.PRESENT
        session.attendance.append(Attendance(member=member, status=state))
    session.attendance.append(Attendance(member=secretary_of(session), status=AttendanceStatus.PRESENT))
    db.session.flush()
    return session, seats


def secretary_of(session):
    """The secretary's seat on the session's council."""
    return next(m for m in session.council.members if m.role.value == "secretary")


def recuse(item, member, reason: str = "Cùng đơn vị với người được đề nghị"):
    item.recusals.append(Recusal(member=member, reason=reason, automatic=True))
    db.session.flush()


def close(session, *, at: datetime = datetime(2026, 3, 5, 3, 30, tzinfo=UTC)):
    from thidua.councils.models import SessionStatus

    session.status = SessionStatus.CLOSED
    session.closed_at = at
    db.session.flush()
