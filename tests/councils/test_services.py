from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.councils import services
from thidua.councils.models import AttendanceStatus, SessionStatus
from thidua.councils.services import CouncilError

from ..factories import make_council, make_nomination, make_session, make_user

P, W, A = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT_WRITTEN, AttendanceStatus.ABSENT


def _members(n):
    return [make_user(roles=[Role.COUNCIL_MEMBER]) for _ in range(n)]


def _council(unit, n=3):
    users = _members(n)
    return make_council(unit=unit, members=[(users[0], "chair"), *users[1:]])


def _attend(session, *statuses):
    services.set_attendance(session, {m.id: s for m, s in zip(session.council.members, statuses, strict=False)})


# --- councils and members --------------------------------------------------------------------------

def test_create_council_without_name_is_refused(db, unit):
    with pytest.raises(CouncilError, match="tên Hội đồng"):
        services.create_council(name="  ", level="province", unit_id=unit.id)


def test_add_member_second_chair_for_overlapping_term_is_refused(db, unit):
    council = _council(unit)
    with pytest.raises(CouncilError, match="chủ tịch"):
        services.add_member(council, user=make_user(), role="chair", term_from=date(2025, 1, 1))


def test_add_member_chair_after_previous_term_ended_is_accepted(db, unit):
    council = _council(unit)
    services.end_membership(council.members[0], on=date(2024, 12, 31))
    member = services.add_member(council, user=make_user(), role="chair", term_from=date(2025, 1, 1))
    assert member.role.value == "chair"
    assert services.missing_roles(council, date(2025, 6, 1)) == [services.MemberRole.SECRETARY]


def test_add_member_same_user_twice_is_refused(db, unit):
    council = _council(unit)
    with pytest.raises(CouncilError, match="đã là thành viên"):
        services.add_member(council, user=council.members[1].user, role="member", term_from=date(2025, 1, 1))


def test_end_membership_before_term_start_is_refused(db, unit):
    council = _council(unit)
    with pytest.raises(CouncilError):
        services.end_membership(council.members[1], on=date(2023, 1, 1))


# --- sessions and agenda ---------------------------------------------------------------------------

def test_create_session_defaults_to_two_thirds_quorum(db, unit):
    session = services.create_session(_council(unit), title="Phiên họp xét khen thưởng năm 2025",
                                      held_on=date(2025, 12, 20))
    assert session.status == SessionStatus.PLANNED and session.quorum_ratio == Decimal("0.667")


def test_add_to_agenda_accepted_dossier_is_appended(db, unit):
    session = make_session(council=_council(unit), nominations=[make_nomination(unit=unit, status="accepted")])
    item = services.add_to_agenda(session, make_nomination(unit=unit, status="accepted"))
    assert item.position == 2 and len(session.agenda) == 2


@pytest.mark.parametrize("status", ["draft", "submitted", "approved"])
def test_add_to_agenda_dossier_not_accepted_is_refused(db, unit, status):
    session = make_session(council=_council(unit))
    with pytest.raises(CouncilError, match="Đủ điều kiện"):
        services.add_to_agenda(session, make_nomination(unit=unit, status=status))
    assert session.agenda == []


def test_add_to_agenda_dossier_on_another_open_session_is_refused(db, unit):
    council = _council(unit)
    n = make_nomination(unit=unit, status="accepted")
    make_session(council=council, status="open", nominations=[n], title="Phiên thứ nhất")
    with pytest.raises(CouncilError, match="Phiên thứ nhất"):
        services.add_to_agenda(make_session(council=council), n)


def test_add_to_agenda_dossier_of_closed_session_is_accepted(db, unit):
    council = _council(unit)
    n = make_nomination(unit=unit, status="accepted")
    make_session(council=council, status="closed", nominations=[n])
    assert services.add_to_agenda(make_session(council=council), n).nomination is n


def test_addable_nominations_leaves_out_busy_and_unaccepted(db, unit):
    council = _council(unit)
    free = make_nomination(unit=unit, status="accepted")
    busy = make_nomination(unit=unit, status="accepted")
    make_nomination(unit=unit, status="submitted")
    session = make_session(council=council, nominations=[busy])
    assert services.addable_nominations(session) == [free]


def test_move_item_up_swaps_positions(db, unit):
    a, b = (make_nomination(unit=unit, status="accepted") for _ in range(2))
    session = make_session(council=_council(unit), nominations=[a, b])
    services.move_item(session.agenda[1], up=True)
    assert [i.nomination for i in sorted(session.agenda, key=lambda i: i.position)] == [b, a]


def test_remove_from_agenda_after_opening_is_refused(db, unit):
    session = make_session(council=_council(unit), status="open",
                           nominations=[make_nomination(unit=unit, status="accepted")])
    with pytest.raises(CouncilError, match="Đang họp"):
        services.remove_from_agenda(session.agenda[0])


def test_remove_from_agenda_renumbers_the_rest(db, unit):
    ns = [make_nomination(unit=unit, status="accepted") for _ in range(3)]
    session = make_session(council=_council(unit), nominations=ns)
    services.remove_from_agenda(session.agenda[0])
    assert [i.position for i in session.agenda] == [1, 2]


# --- attendance and quorum -------------------------------------------------------------------------

@pytest.mark.parametrize(("present", "met"), [(5, False), (6, True), (7, True)])
def test_quorum_of_nine_at_under_and_over_two_thirds(db, unit, present, met):
    session = make_session(council=_council(unit, 9))
    _attend(session, *([P] * present + [A] * (9 - present)))
    q = services.quorum(session)
    assert (q.present, q.members, q.required, q.met) == (present, 9, 6, met)


def test_quorum_does_not_count_written_opinions_as_present(db, unit):
    session = make_session(council=_council(unit, 3))
    _attend(session, P, W, W)
    present, members, required, met = services.quorum(session)
    assert (present, members, required, met) == (1, 3, 2, False)


def test_quorum_counts_only_members_serving_on_the_session_date(db, unit):
    council = _council(unit, 4)
    services.end_membership(council.members[3], on=date(2024, 6, 30))
    session = make_session(council=council, held_on=date(2025, 1, 10))
    assert services.quorum(session).members == 3


def test_quorum_counts_voting_members_only_not_the_secretary(db, unit):
    council = _council(unit, 3)
    secretary = services.add_member(council, user=make_user(roles=[Role.COUNCIL_MEMBER]), role="secretary",
                                    term_from=date(2024, 1, 1))
    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    chair, m1, m2 = council.members[:3]
    services.set_attendance(session, {chair.id: P, m1.id: A, m2.id: A, secretary.id: P})
    assert tuple(services.quorum(session)) == (1, 3, 2, False)  # the secretary is neither present nor a member
    with pytest.raises(CouncilError, match="có mặt 1/3, cần ít nhất 2"):
        services.transition(session, "open")


def test_voting_members_leave_out_the_secretary(db, unit):
    council = _council(unit, 3)
    secretary = services.add_member(council, user=make_user(), role="secretary", term_from=date(2024, 1, 1))
    session = make_session(council=council)
    assert not services.is_voting(secretary)
    assert services.voting_members(session) == council.members[:3]
    assert secretary in services.serving_members(session)  # still seated: attendance is recorded


@pytest.mark.parametrize(("ratio", "members", "required"),
                         [("0.667", 3, 2), ("0.667", 10, 7), ("0.500", 4, 2), ("0.900", 10, 9), ("1", 5, 5)])
def test_required_count_matches_the_ratio(ratio, members, required):
    assert services.required_count(Decimal(ratio), members) == required


def test_set_attendance_for_non_member_is_refused(db, unit):
    session = make_session(council=_council(unit))
    with pytest.raises(CouncilError, match="không phải thành viên"):
        services.set_attendance(session, {999999: P})


def test_set_attendance_after_closing_is_refused(db, unit):
    session = make_session(council=_council(unit), status="closed")
    with pytest.raises(CouncilError):
        _attend(session, P, P, P)


# --- session status --------------------------------------------------------------------------------

def test_open_without_agenda_is_refused(db, unit):
    session = make_session(council=_council(unit))
    _attend(session, P, P, P)
    with pytest.raises(CouncilError, match="Chưa có hồ sơ"):
        services.transition(session, "open")
    assert session.status == SessionStatus.PLANNED


def test_open_without_quorum_is_refused_with_the_counts(db, unit):
    session = make_session(council=_council(unit), nominations=[make_nomination(unit=unit, status="accepted")])
    _attend(session, P, W, A)
    with pytest.raises(CouncilError, match="có mặt 1/3, cần ít nhất 2"):
        services.transition(session, "open")
    assert session.status == SessionStatus.PLANNED


def test_open_with_quorum_and_agenda_opens(db, unit):
    session = make_session(council=_council(unit), nominations=[make_nomination(unit=unit, status="accepted")])
    _attend(session, P, P, A)
    services.transition(session, "open")
    assert session.status == SessionStatus.OPEN and session.opened_at is not None


def test_close_stamps_closed_at(db, unit):
    session = make_session(council=_council(unit), status="open")
    services.transition(session, "close")
    assert session.status == SessionStatus.CLOSED and session.closed_at is not None


def test_close_planned_session_is_refused(db, unit):
    with pytest.raises(CouncilError, match="Chưa họp"):
        services.transition(make_session(council=_council(unit)), "close")


def test_reopen_without_reason_is_refused(db, unit):
    session = make_session(council=_council(unit), status="closed")
    with pytest.raises(CouncilError, match="lý do"):
        services.transition(session, "reopen", reason="  ")
    assert session.status == SessionStatus.CLOSED and session.reopen_count == 0


def test_reopen_with_reason_counts_and_is_audited(db, unit):
    session = make_session(council=_council(unit), status="closed")
    services.transition(session, "reopen", reason="Sai sót khi kiểm phiếu hồ sơ số 3")
    db.session.commit()
    assert session.status == SessionStatus.OPEN and session.reopen_count == 1
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "session.reopen")).all()
    assert any((e.changes or {}).get("reason") == "Sai sót khi kiểm phiếu hồ sơ số 3" for e in entries)


def test_available_actions_reopen_only_for_the_chair(db, unit):
    council = _council(unit)
    session = make_session(council=council, status="closed")
    staff = make_user(roles=[Role.SECRETARIAT])
    assert services.available_actions(session, council.members[0].user) == ["reopen"]
    assert services.available_actions(session, council.members[1].user) == []
    assert services.available_actions(session, staff) == []


def test_sessions_of_lists_only_sessions_within_the_term(db, unit):
    council = _council(unit)
    member = council.members[1]
    services.end_membership(member, on=date(2024, 12, 31))
    old = make_session(council=council, held_on=date(2024, 6, 1))
    make_session(council=council, held_on=date(2025, 6, 1))
    assert [s for s, _ in services.sessions_of(member.user)] == [old]


def test_close_with_too_few_votes_moves_the_dossier_to_not_approved(db, unit):
    n = make_nomination(unit=unit, code="CSTDCS", status="accepted")
    session = make_session(council=_council(unit), nominations=[n])
    _attend(session, P, P, P)
    services.transition(session, "open")
    services.transition(session, "close", actor=None)
    assert session.agenda[0].result.value == "not_approved"  # CSTĐCS needs 2/3 of all members; no ballot cast
    assert n.status.value == "not_approved"
