"""Every event tells the right people, and nobody who may not see the object."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.campaigns import services as campaign_services
from thidua.certificates.models import JobStatus, PrintJob, PrintMode
from thidua.councils import services as council_services
from thidua.councils.models import CouncilMember, MemberRole
from thidua.nominations.workflow import transition
from thidua.notifications import events
from thidua.notifications.models import Notification
from thidua.notifications.services import notify

from .. import factories


def inbox_of(db, user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def told(db, kind: str) -> set[int]:
    return set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


@pytest.fixture
def other_unit(db, province):
    return factories.make_unit(code="38.SYT", name="Sở Y tế", kind="department", parent=province)


@pytest.fixture
def officers(db, unit, other_unit):
    """An officer of `unit`, one of the school below it, one of another department, one of the province."""
    school = unit.children[0]
    return {
        "unit": factories.make_user(roles=[Role.UNIT_OFFICER], unit=unit),
        "school": factories.make_user(roles=[Role.UNIT_OFFICER], unit=school),
        "other": factories.make_user(roles=[Role.UNIT_OFFICER], unit=other_unit),
        "province": factories.make_user(roles=[Role.UNIT_OFFICER], unit=unit.parent),
    }


@pytest.mark.parametrize(("start", "action", "kind"), [
    ("submitted", "return", "nomination.returned"),
    ("submitted", "accept", "nomination.accepted"),
    ("submitted", "reject", "nomination.rejected"),
    ("accepted", "approve", "nomination.approved"),
    ("accepted", "not_approve", "nomination.not_approved"),
    ("approved", "award", "nomination.awarded"),
    ("approved", "decline", "nomination.declined"),
])
def test_transition_tells_officers_of_the_nominating_unit_only(db, unit, users, officers, start, action, kind):
    n = factories.make_nomination(unit=unit, status=start)
    transition(n, action, actor=users[Role.SECRETARIAT], note="Bổ sung bản sao quyết định công nhận sáng kiến.")
    # the unit's own officer and the officer of the unit above it act for the dossier; the school below and
    # another department do not, and neither do the secretariat, council members or approvers
    assert told(db, kind) == {officers["unit"].id, officers["province"].id, users[Role.UNIT_OFFICER].id}
    note = inbox_of(db, officers["unit"])[0]
    assert note.url == f"/nominations/{n.id}"
    assert (note.object_type, note.object_id) == ("Nomination", n.id)
    assert n.nominee_name in note.title
    assert "Bổ sung bản sao quyết định" in note.body


def test_submit_tells_the_secretariat_not_the_officer_who_submitted(db, unit, users, officers):
    n = factories.make_nomination(unit=unit, status="draft")
    transition(n, "submit", actor=officers["unit"])
    assert told(db, "nomination.submitted") == {users[Role.SECRETARIAT].id}
    assert unit.name in inbox_of(db, users[Role.SECRETARIAT])[0].body


def test_withdraw_tells_nobody(db, unit, officers):
    n = factories.make_nomination(unit=unit, status="submitted")
    transition(n, "withdraw", actor=officers["unit"])
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_actor_is_not_told_of_their_own_act(db, unit, users):
    staff_officer = factories.make_user(roles=[Role.SECRETARIAT, Role.UNIT_OFFICER], unit=unit)
    n = factories.make_nomination(unit=unit, status="submitted")
    transition(n, "return", actor=staff_officer, note="Thiếu báo cáo thành tích.")
    assert staff_officer.id not in told(db, "nomination.returned")
    assert users[Role.UNIT_OFFICER].id in told(db, "nomination.returned")


def test_inactive_users_and_duplicates_get_nothing_extra(db, users):
    gone = factories.make_user(roles=[Role.SECRETARIAT], active=False)
    me = users[Role.SECRETARIAT]
    notify([me, me, gone, None], kind="nomination.submitted", title="Hồ sơ mới")
    assert told(db, "nomination.submitted") == {me.id}


def test_unknown_kind_is_a_programming_error(db, users):
    with pytest.raises(LookupError):
        notify([users[Role.ADMIN]], kind="nomination.lost", title="?")


# --- councils --------------------------------------------------------------------------------------

@pytest.fixture
def councils(db, province, unit):
    chair, member, secretary, outsider, former = (factories.make_user(roles=[Role.COUNCIL_MEMBER]) for _ in range(5))
    council = factories.make_council(unit=province, members=[(chair, "chair"), member, (secretary, "secretary")])
    council.members.append(CouncilMember(user=former, role=MemberRole.MEMBER, term_from=date(2020, 1, 1),
                                         term_to=date(2023, 12, 31)))
    other = factories.make_council(unit=unit, level="unit", members=[(outsider, "chair")])
    db.session.flush()
    return {"council": council, "other": other, "chair": chair, "member": member, "secretary": secretary,
            "outsider": outsider, "former": former}


def test_session_scheduled_tells_serving_members_of_that_council(db, councils):
    c = councils
    session = council_services.create_session(c["council"], title="Phiên họp xét khen thưởng năm 2025",
                                              held_on=date.today() + timedelta(days=7), place="Phòng họp số 2")
    assert told(db, "session.scheduled") == {c["chair"].id, c["member"].id, c["secretary"].id}
    note = inbox_of(db, c["member"])[0]
    assert note.url == f"/councils/sessions/{session.id}"
    assert "Phòng họp số 2" in note.body


def test_session_opened_tells_voting_members_only(db, unit, councils):
    c = councils
    n = factories.make_nomination(unit=unit, status="accepted")
    session = factories.make_session(council=c["council"], nominations=[n])
    serving = council_services.serving_members(session)
    council_services.set_attendance(session, {m.id: "present" for m in serving})
    council_services.transition(session, "open", actor=c["secretary"])
    # the secretary keeps the minutes and does not score; another council's chair is not concerned
    assert told(db, "session.opened") == {c["chair"].id, c["member"].id}
    assert inbox_of(db, c["chair"])[0].url == f"/councils/scoring/sessions/{session.id}"


# --- decisions and certificates ----------------------------------------------------------------------

def test_decision_issued_tells_each_unit_of_its_own_awardees(db, province, unit, other_unit, users, officers):
    teacher = factories.make_person(full_name="Lê Thị Hoa", unit=unit)
    doctor = factories.make_person(full_name="Trần Văn Bình", unit=other_unit)
    decision = factories.make_decision(issuer=province, awardees=[teacher, doctor, other_unit])
    events.decision_issued(decision, actor=users[Role.SECRETARIAT])
    assert told(db, "decision.issued") == {officers["unit"].id, officers["other"].id, officers["province"].id,
                                          users[Role.UNIT_OFFICER].id}
    mine = inbox_of(db, officers["unit"])[0]
    theirs = inbox_of(db, officers["other"])[0]
    assert mine.title == f"Quyết định số {decision.number} đã ban hành"
    assert "Lê Thị Hoa" in mine.body and "Trần Văn Bình" not in mine.body and "(1 trường hợp" in mine.body
    assert "Trần Văn Bình" in theirs.body and "Sở Y tế" in theirs.body and "Lê Thị Hoa" not in theirs.body
    # an officer may not open the decision: the link leads to their dossiers
    assert mine.url == "/nominations/"
    assert len(inbox_of(db, officers["province"])) == 1  # one message, naming all three


def test_print_job_done_tells_the_requester_who_may_still_print(db, province, unit, users):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)])
    job = PrintJob(decision=decision, mode=PrintMode.FULL, requested_by=users[Role.SECRETARIAT], total=1,
                   done=1, status=JobStatus.DONE)
    refused = PrintJob(decision=decision, mode=PrintMode.FULL, requested_by=users[Role.UNIT_OFFICER], total=1,
                       status=JobStatus.DONE)
    db.session.add_all([job, refused])
    db.session.flush()
    events.print_job_done(job)
    events.print_job_done(refused)
    assert told(db, "print_job.done") == {users[Role.SECRETARIAT].id}
    note = inbox_of(db, users[Role.SECRETARIAT])[0]
    assert note.url == f"/print-jobs/{job.id}"
    assert decision.number in note.title


# --- campaigns ---------------------------------------------------------------------------------------

def test_campaign_open_tells_every_active_unit_officer_in_one_insert(db, app, unit, users, officers):
    factories.make_user(roles=[Role.UNIT_OFFICER], unit=unit, active=False)
    campaign = factories.make_campaign(status="draft", name="Thi đua “Dạy tốt, học tốt” năm học 2025–2026")
    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            inserts.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        campaign_services.transition(campaign, "open")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert told(db, "campaign.opened") == {u.id for u in officers.values()} | {users[Role.UNIT_OFFICER].id}
    assert len(inserts) == 1
    note = inbox_of(db, officers["other"])[0]
    assert note.url == f"/campaigns/{campaign.id}"
    assert "Dạy tốt, học tốt" in note.title
    assert f"{campaign.nomination_deadline:%d/%m/%Y}" in note.body


def test_campaign_close_tells_nobody(db, users):
    campaign = factories.make_campaign(status="open")
    campaign_services.transition(campaign, "close")
    assert told(db, "campaign.opened") == set()
