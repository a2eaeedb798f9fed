import math
from datetime import date
from decimal import Decimal

import pytest

from thidua.auth.models import Role
from thidua.clusters import scoring, vote, years
from thidua.clusters.models import ClusterYearStatus, SheetKind
from thidua.clusters.vote import VoteError
from thidua.councils import ballot
from thidua.councils import services as councils
from thidua.councils.models import AttendanceStatus, CouncilLevel, MemberRole
from thidua.nominations.models import NominationStatus

from ..factories import award_type, make_cluster_year, make_unit, make_user


def voting_year(finals, *, head_index=None, **kw):
    """A year in the voting step whose members got `finals` (criterion 1's points; the rest fixed at 60)."""
    award_type("CTD_TINH")  # seeds the catalogue
    units = [make_unit(name=f"UBND huyện {chr(65 + i)}") for i in range(len(finals))]
    head = units[head_index if head_index is not None else len(units) - 1]
    cy = make_cluster_year(units=units, status="review", head=head, deputy=units[1], **kw)
    ids = {c.code: c.id for c in cy.criteria}
    for unit, p1 in zip(units, finals, strict=True):
        sheet = scoring.save_sheet(cy, kind=SheetKind.FINAL, subject=unit, scorer=None,
                                   points={ids["1"]: p1, ids["2"]: 20, ids["3"]: 20, ids["4"]: 20})
        scoring.submit_sheet(sheet, actor=None)
    years.transition(cy, "voting")
    return cy, units


def representatives(units):
    return {u.id: make_user(full_name=f"Đại diện {u.name}", roles=[Role.UNIT_OFFICER], unit=u) for u in units}


def open_vote(cy, units, staff):
    session = vote.start_vote(cy, representatives=representatives(units), held_on=date(2025, 12, 20),
                              place="Hội trường UBND huyện H", actor=staff)
    councils.set_attendance(session, {m.id: AttendanceStatus.PRESENT for m in session.council.members})
    councils.transition(session, "open", actor=staff)
    return session


def cast(item, agrees: int):
    """`agrees` eligible voters agree, the others disagree."""
    for i, member in enumerate(ballot._eligible(item)):
        ballot.cast_vote(item, member, agree=i < agrees)


def test_start_vote_sets_up_cluster_council_session_and_accepted_flag_dossiers(db):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 28, 28, 20], flag_count=2, vote_threshold=Decimal("0.6"))
    session = open_vote(cy, units, staff)
    council = session.council
    assert council.level == CouncilLevel.CLUSTER and council.unit == units[3]
    roles = {m.unit_id: m.role for m in council.members}
    assert roles[units[3].id] == MemberRole.CHAIR and roles[units[1].id] == MemberRole.VICE_CHAIR
    assert session.vote_threshold == Decimal("0.6") and cy.session is session
    # ranks 1, 2, 2: both units tied at the second flag place are candidates
    dossiers = [i.nomination for i in session.agenda]
    assert [n.nominee_unit for n in dossiers] == units[:3]
    assert {(n.unit, n.award_type.code, n.status) for n in dossiers} == {(units[3], "CTD_TINH", NominationStatus.ACCEPTED)}
    assert [e.action for e in dossiers[0].events] == ["submit", "accept"]


def test_start_vote_without_a_representative_for_every_member_is_refused(db):
    cy, units = voting_year([30, 20, 10])
    reps = representatives(units[:2])
    with pytest.raises(VoteError, match="Chưa chọn người đại diện của: UBND huyện C"):
        vote.start_vote(cy, representatives=reps, held_on=date(2025, 12, 20), place=None, actor=None)
    assert cy.session is None


def test_start_vote_before_the_voting_step_is_refused(db):
    cy = make_cluster_year(status="review")
    with pytest.raises(VoteError, match="Bình xét, suy tôn"):
        vote.start_vote(cy, representatives={}, held_on=date(2025, 12, 20), place=None, actor=None)


@pytest.mark.parametrize(("short", "passed"), [(0, True), (1, False)])
def test_vote_at_the_years_threshold_passes_and_one_vote_below_fails(db, short, passed):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 29, 28, 27, 26], vote_threshold=Decimal("0.5"))
    session = open_vote(cy, units, staff)
    item = session.agenda[0]
    base = ballot.tally(item).base
    needed = math.ceil(base * Decimal("0.5"))
    cast(item, needed - short)
    t = ballot.tally(item)
    assert t.threshold == Decimal("0.5") and t.vote_required and t.passed is passed


def test_record_results_writes_outcomes_and_proposals_with_award_codes_and_statuses(db):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 29, 28, 28, 25, 24, 23, 22], bk_count=2, propose_government_flag=True)
    session = open_vote(cy, units, staff)
    cast(session.agenda[0], agrees=len(ballot._eligible(session.agenda[0])))
    councils.transition(session, "close", actor=staff)
    outcomes = vote.record_results(cy, actor=staff)
    got = [(o.unit.name, o.rank, o.award_code, o.nomination.status if o.nomination else None) for o in outcomes]
    assert got == [
        ("UBND huyện A", 1, "CTD_TINH", NominationStatus.APPROVED),
        ("UBND huyện A", 1, "CTD_CP", NominationStatus.SUBMITTED),
        ("UBND huyện B", 2, "BK_TINH", NominationStatus.SUBMITTED),
        ("UBND huyện C", 3, "BK_TINH", NominationStatus.SUBMITTED),  # tied at the border: both get one
        ("UBND huyện D", 3, "BK_TINH", NominationStatus.SUBMITTED),
        ("UBND huyện E", 5, "", None), ("UBND huyện F", 6, "", None), ("UBND huyện G", 7, "", None),
        ("UBND huyện H", 8, "", None),
    ]
    assert all(o.nomination.unit == units[7] for o in outcomes if o.nomination)
    assert outcomes[0].score == Decimal("90") and cy.status == ClusterYearStatus.CLOSED


def test_record_results_leader_rejected_by_the_vote_gets_no_flag(db):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 20, 10], bk_count=1)
    session = open_vote(cy, units, staff)
    cast(session.agenda[0], agrees=0)
    councils.transition(session, "close", actor=staff)
    outcomes = vote.record_results(cy, actor=staff)
    assert session.agenda[0].nomination.status == NominationStatus.NOT_APPROVED
    assert [(o.rank, o.award_code) for o in outcomes] == [(1, ""), (2, "BK_TINH"), (3, "")]


def test_record_results_before_the_session_closes_is_refused(db):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 20, 10])
    open_vote(cy, units, staff)
    with pytest.raises(VoteError, match="chưa kết thúc"):
        vote.record_results(cy, actor=staff)
    assert cy.outcomes == [] and cy.status == ClusterYearStatus.VOTING
