from datetime import date

import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.councils import recusal, services
from thidua.councils.models import AttendanceStatus, Recusal
from thidua.councils.recusal import RecusalError, declare_conflict, eligible_voters, is_recused

from ..factories import make_council, make_nomination, make_person, make_session, make_unit, make_user


@pytest.fixture
def seats(db, unit):
    """A council of three: chair, member, member (the last two have no unit yet)."""
    users = [make_user(roles=[Role.COUNCIL_MEMBER]) for _ in range(3)]
    council = make_council(unit=unit.parent, members=[(users[0], "chair"), users[1], users[2]])
    return council


def _session(council, nomination, **kw):
    session = make_session(council=council, nominations=[nomination], **kw)
    recusal.automatic_recusals(session)
    return session, session.agenda[0]


def test_member_who_is_the_nominee_is_recused(db, unit, seats):
    person = make_person(unit=unit)
    member = seats.members[1]
    member.person_id = person.id
    _, item = _session(seats, make_nomination(unit=unit, person=person, status="accepted"))
    assert is_recused(item, member) and item.recusals[0].reason == recusal.REASON_NOMINEE
    assert not is_recused(item, seats.members[2])


def test_member_of_the_individual_nominees_unit_is_recused(db, unit, seats):
    seats.members[1].unit_id = unit.id
    _, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    assert is_recused(item, seats.members[1])
    assert item.recusals[0].reason == recusal.REASON_SAME_UNIT and item.recusals[0].automatic


def test_member_of_the_collective_nominee_is_recused(db, unit, seats):
    school = unit.children[0]
    seats.members[1].unit_id = school.id
    _, item = _session(seats, make_nomination(unit=unit, nominee_unit=school, code="TTLDXS", status="accepted"))
    assert is_recused(item, seats.members[1])


@pytest.mark.parametrize(("flag", "recused"), [(False, False), (True, True)])
def test_member_of_the_parent_unit_is_recused_only_with_the_flag(db, unit, seats, flag, recused):
    seats.recuse_related_units = flag
    seats.members[1].unit_id = unit.id  # the department above the school
    school = unit.children[0]
    _, item = _session(seats, make_nomination(unit=school, person=make_person(unit=school), status="accepted"))
    assert is_recused(item, seats.members[1]) is recused


@pytest.mark.parametrize(("flag", "recused"), [(False, False), (True, True)])
def test_member_of_a_child_unit_is_recused_only_with_the_flag(db, unit, seats, flag, recused):
    seats.recuse_related_units = flag
    seats.members[1].unit_id = unit.children[0].id
    _, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    assert is_recused(item, seats.members[1]) is recused


def test_member_of_a_sibling_unit_is_not_recused_even_with_the_flag(db, unit, seats, province):
    seats.recuse_related_units = True
    seats.members[1].unit_id = make_unit(parent=province).id
    _, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    assert not is_recused(item, seats.members[1])


def test_member_who_created_the_dossier_is_recused(db, unit, seats):
    n = make_nomination(unit=unit, status="accepted", created_by_id=seats.members[2].user_id)
    _, item = _session(seats, n)
    assert is_recused(item, seats.members[2]) and item.recusals[0].reason == recusal.REASON_NOMINATOR


def test_member_who_is_officer_of_the_nominating_unit_is_recused(db, unit, seats):
    officer = make_user(roles=[Role.COUNCIL_MEMBER, Role.UNIT_OFFICER], unit=unit)
    council_member = services.add_member(seats, user=officer, role="member", term_from=date(2024, 1, 1))
    school = unit.children[0]
    _, item = _session(seats, make_nomination(unit=school, person=make_person(unit=school), status="accepted"))
    assert is_recused(item, council_member)  # an officer of the department acts for the school below it


def test_on_a_cluster_council_the_head_units_representative_votes_on_other_members(db, unit, province):
    """The head unit files every member's flag dossier as a formality; its representative is still a voter,
    kept out only of its own unit's candidacy."""
    head_rep = make_user(roles=[Role.COUNCIL_MEMBER, Role.UNIT_OFFICER], unit=unit)
    other = make_unit(parent=province)
    council = make_council(unit=unit, level="cluster", members=[(head_rep, "chair")])
    council.members[0].unit_id = unit.id
    _, other_item = _session(council, make_nomination(unit=unit, nominee_unit=other, code="CTD_TINH",
                                                      status="accepted"))
    _, own_item = _session(council, make_nomination(unit=unit, nominee_unit=unit, code="CTD_TINH",
                                                    status="accepted"))

    assert not is_recused(other_item, council.members[0])
    assert is_recused(own_item, council.members[0])
    assert own_item.recusals[0].reason == recusal.REASON_SAME_UNIT


def test_automatic_recusals_twice_stores_one_row(db, unit, seats):
    seats.members[1].unit_id = unit.id
    session, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    recusal.automatic_recusals(session)
    assert len(item.recusals) == 1


def test_automatic_recusal_disappears_when_its_cause_goes(db, unit, seats):
    seats.members[1].unit_id = unit.id
    session, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    seats.members[1].unit_id = None
    recusal.automatic_recusals(session)
    assert item.recusals == []


def test_adding_to_the_agenda_recuses_automatically(db, unit, seats):
    seats.members[1].unit_id = unit.id
    session = make_session(council=seats)
    item = services.add_to_agenda(session, make_nomination(unit=unit, person=make_person(unit=unit),
                                                           status="accepted"))
    assert is_recused(item, seats.members[1])


def test_declare_conflict_with_reason_recuses(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    row = declare_conflict(item, seats.members[2], "Là người thân của người được đề nghị")
    assert is_recused(item, seats.members[2]) and not row.automatic


def test_declare_conflict_without_reason_is_refused(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    with pytest.raises(RecusalError, match="lý do"):
        declare_conflict(item, seats.members[2], "   ")
    assert item.recusals == []


def test_declare_conflict_twice_is_refused(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    declare_conflict(item, seats.members[2], "Người thân")
    with pytest.raises(RecusalError, match="đã không tham gia"):
        declare_conflict(item, seats.members[2], "Người thân")


def test_declare_conflict_after_closing_is_refused(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"), status="closed")
    with pytest.raises(RecusalError, match="đã kết thúc"):
        declare_conflict(item, seats.members[2], "Người thân")


def test_declare_conflict_while_open_is_accepted(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"), status="open")
    declare_conflict(item, seats.members[2], "Người thân")
    assert is_recused(item, seats.members[2])


def test_lift_declared_recusal_while_planned_restores_the_member(db, unit, seats):
    _, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    recusal.lift(declare_conflict(item, seats.members[2], "Nhầm hồ sơ"))
    assert not is_recused(item, seats.members[2])


def test_lift_declared_recusal_once_open_is_refused(db, unit, seats):
    session, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    row = declare_conflict(item, seats.members[2], "Người thân")
    session.status = services.SessionStatus.OPEN
    with pytest.raises(RecusalError, match="đã bắt đầu"):
        recusal.lift(row)


def test_lift_automatic_recusal_is_refused(db, unit, seats):
    seats.members[1].unit_id = unit.id
    _, item = _session(seats, make_nomination(unit=unit, person=make_person(unit=unit), status="accepted"))
    with pytest.raises(RecusalError, match="tự động"):
        recusal.lift(item.recusals[0])
    assert isinstance(item.recusals[0], Recusal)


def test_eligible_voters_are_present_or_written_and_not_recused(db, unit, seats):
    extra = services.add_member(seats, user=make_user(roles=[Role.COUNCIL_MEMBER]), role="member",
                                term_from=date(2024, 1, 1))
    chair, m1, m2 = seats.members[:3]
    session, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    services.set_attendance(session, {chair.id: AttendanceStatus.PRESENT, m1.id: AttendanceStatus.ABSENT_WRITTEN,
                                      m2.id: AttendanceStatus.PRESENT, extra.id: AttendanceStatus.ABSENT})
    declare_conflict(item, m2, "Người thân")
    assert eligible_voters(item) == [chair, m1]


def test_eligible_voters_leave_out_the_present_secretary(db, unit, seats):
    secretary = services.add_member(seats, user=make_user(roles=[Role.COUNCIL_MEMBER]), role="secretary",
                                    term_from=date(2024, 1, 1))
    session, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    services.set_attendance(session, {m.id: AttendanceStatus.PRESENT for m in seats.members})
    assert secretary not in eligible_voters(item) and len(eligible_voters(item)) == 3


def test_eligible_voters_issue_no_query_per_member(db, unit, seats):
    users = [make_user(roles=[Role.COUNCIL_MEMBER]) for _ in range(20)]
    for u in users:
        services.add_member(seats, user=u, role="member", term_from=date(2024, 1, 1))
    session, item = _session(seats, make_nomination(unit=unit, status="accepted"))
    services.set_attendance(session, {m.id: AttendanceStatus.PRESENT for m in seats.members})
    db.session.commit()
    item = db.session.get(type(item), item.id)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(eligible_voters(item)) == 23
        for member in item.session.council.members:
            is_recused(item, member)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 6  # item's session, council, members, attendance, recusals — not one per member
