from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.councils import ballot
from thidua.councils.ballot import AlreadyVoted, BallotError, cast_vote, decide, tally
from thidua.councils.models import AgendaResult, BallotBox, BallotReceipt
from thidua.extensions import db
from thidua.nominations.models import NominationStatus
from thidua.rules.models import VoteBasis

from .ballot_helpers import close, recuse, secretary_of, voting_session


def vote_all(item, members, agrees: int):
    for i, member in enumerate(members):
        cast_vote(item, member, agree=i < agrees)


# --- thresholds: 90% of all members (CSTĐ cấp tỉnh) ---------------------------------------------------

def test_tally_nine_of_ten_at_ninety_percent_passes(unit):
    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    vote_all(item, members, agrees=9)
    t = tally(item)
    assert (t.agree, t.disagree, t.base, t.threshold) == (9, 1, 10, Fraction(9, 10))
    assert t.share == Fraction(9, 10) and t.passed and t.percent == "90,00%"


def test_tally_ten_voting_members_and_a_secretary_need_nine_agree_at_ninety_percent(unit):
    # The secretary is not in the base: 9 of 10 passes (not 9 of 11 = 81.8%), 8 of 10 does not.
    session, members = voting_session(unit, members=10, dossiers=2)
    assert len(session.council.members) == 11
    nine, eight = session.agenda
    vote_all(nine, members, agrees=9)
    vote_all(eight, members, agrees=8)
    assert (tally(nine).members, tally(nine).base, tally(nine).eligible) == (10, 10, 10)
    assert tally(nine).passed is True and tally(eight).passed is False


def test_tally_recused_secretary_does_not_lower_the_base(unit):
    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    recuse(item, secretary_of(session))
    vote_all(item, members, agrees=9)
    t = tally(item)
    assert (t.recused, t.base, t.passed) == (0, 10, True)


def test_tally_eight_of_ten_just_under_ninety_percent_fails(unit):
    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    vote_all(item, members, agrees=8)
    assert tally(item).passed is False
    assert tally(item).result == AgendaResult.NOT_APPROVED


def test_tally_just_under_threshold_by_one_vote_in_large_council_fails(unit):
    # 26 of 29 = 89.66% < 90%; 27 of 29 = 93.1% ≥ 90%: exact fractions, no float rounding
    session, members = voting_session(unit, members=29)
    item = session.agenda[0]
    vote_all(item, members, agrees=26)
    assert tally(item).passed is False


def test_tally_all_members_counts_absent_members_in_the_base(unit):
    # 10 members, 1 absent without opinion: 9 agree of 10 still reaches 90%; 8 agree does not
    session, members = voting_session(unit, members=10, absent=1)
    item = session.agenda[0]
    vote_all(item, members[:9], agrees=8)
    t = tally(item)
    assert (t.eligible, t.base, t.ballots) == (9, 10, 9)
    assert t.passed is False


def test_tally_with_recusal_nine_of_nine_is_one_hundred_percent(unit):
    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    recuse(item, members[9])
    vote_all(item, members[:9], agrees=9)
    t = tally(item)
    assert (t.recused, t.base, t.share, t.percent) == (1, 9, Fraction(1), "100,00%")
    assert t.passed


def test_tally_with_recusal_eight_of_nine_fails(unit):
    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    recuse(item, members[9])
    vote_all(item, members[:9], agrees=8)
    assert tally(item).passed is False  # 88.9% < 90%


# --- the present basis and awards without a vote ------------------------------------------------------

def test_tally_present_basis_counts_only_eligible_voters(unit):
    session, members = voting_session(unit, members=10, absent=3, code="CSTDCS")
    item = session.agenda[0]
    item.nomination.award_type.vote_basis = VoteBasis.PRESENT
    item.nomination.award_type.vote_threshold = "0.667"
    vote_all(item, members[:7], agrees=5)  # 5/7 = 71.4% ≥ 66.7%
    t = tally(item)
    assert (t.base, t.eligible, t.passed) == (7, 7, True)


def test_tally_present_basis_exactly_two_thirds_passes(unit):
    session, members = voting_session(unit, members=10, absent=1, code="CSTDCS")
    item = session.agenda[0]
    item.nomination.award_type.vote_basis = VoteBasis.PRESENT
    vote_all(item, members[:9], agrees=6)  # 6/9 = 2/3, the threshold stored as 0.667
    assert tally(item).passed is True


def test_tally_present_basis_just_under_two_thirds_fails(unit):
    session, members = voting_session(unit, members=10, absent=2, code="CSTDCS")
    item = session.agenda[0]
    item.nomination.award_type.vote_basis = VoteBasis.PRESENT
    vote_all(item, members[:8], agrees=5)  # 5/8 = 62.5% < 2/3
    assert tally(item).passed is False


def test_tally_just_over_ninety_percent_passes(unit):
    session, members = voting_session(unit, members=11)
    item = session.agenda[0]
    vote_all(item, members, agrees=10)  # 90.91%
    assert tally(item).passed is True


def test_tally_award_without_vote_uses_simple_majority_of_ballots(unit):
    session, members = voting_session(unit, members=4, code="LDTT")
    item = session.agenda[0]
    vote_all(item, members, agrees=2)  # 2 of 4 is not a majority
    t = tally(item)
    assert t.mode_label == "không bỏ phiếu" and t.threshold is None and t.passed is False


def test_tally_award_without_vote_and_no_ballot_leaves_item_undecided(unit):
    session, _ = voting_session(unit, members=4, code="LDTT")
    item = session.agenda[0]
    close(session)
    assert decide(session, actor=None) == []
    assert item.result is None and item.nomination.status == NominationStatus.ACCEPTED


# --- quorum --------------------------------------------------------------------------------------

def test_decide_without_quorum_gives_no_quorum_and_leaves_dossier_accepted(unit):
    session, members = voting_session(unit, members=10, absent=4)  # 6 present < 2/3 of 10
    item = session.agenda[0]
    vote_all(item, members[:6], agrees=6)
    close(session)
    decide(session, actor=None)
    assert item.result == AgendaResult.NO_QUORUM
    assert item.nomination.status == NominationStatus.ACCEPTED


# --- refusals ------------------------------------------------------------------------------------

def test_vote_second_time_is_refused_and_changes_nothing(unit):
    session, members = voting_session(unit, members=3)
    item = session.agenda[0]
    cast_vote(item, members[0], agree=True)
    with pytest.raises(AlreadyVoted, match="đã bỏ phiếu"):
        cast_vote(item, members[0], agree=False)
    assert (tally(item).agree, tally(item).disagree) == (1, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BallotReceipt)) == 1


def test_vote_by_recused_member_is_refused(unit):
    session, members = voting_session(unit, members=3)
    item = session.agenda[0]
    recuse(item, members[2])
    with pytest.raises(BallotError, match="xung đột lợi ích"):
        cast_vote(item, members[2], agree=True)
    assert tally(item).ballots == 0


def test_vote_by_secretary_is_refused_and_changes_nothing(unit):
    session, _ = voting_session(unit, members=3)
    with pytest.raises(BallotError, match="Thư ký Hội đồng ghi biên bản, không bỏ phiếu"):
        cast_vote(session.agenda[0], secretary_of(session), agree=True)
    assert tally(session.agenda[0]).ballots == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BallotReceipt)) == 0


def test_vote_page_for_secretary_is_forbidden(unit, login_as):
    from thidua.permissions import can

    session, _ = voting_session(unit, members=3)
    secretary = secretary_of(session).user
    assert not can(secretary, "session.vote", session) and not can(secretary, "session.score", session)
    client = login_as(secretary)
    assert client.get(f"/councils/ballot/sessions/{session.id}").status_code == 403
    item_id = session.agenda[0].id
    assert client.post(f"/councils/ballot/items/{item_id}", data={f"i{item_id}-choice": "agree"}).status_code == 403
    assert _box_counts(item_id) == (0, 0)


def test_vote_by_absent_member_is_refused(unit):
    session, members = voting_session(unit, members=3, absent=1)
    with pytest.raises(BallotError, match="không có mặt"):
        cast_vote(session.agenda[0], members[2], agree=True)
    assert tally(session.agenda[0]).ballots == 0


def test_vote_by_absent_member_with_written_opinion_is_counted(unit):
    session, members = voting_session(unit, members=3, written=1)
    cast_vote(session.agenda[0], members[2], agree=True)
    assert tally(session.agenda[0]).agree == 1


def test_vote_after_close_is_refused(unit):
    session, members = voting_session(unit, members=3)
    close(session)
    with pytest.raises(BallotError, match="không thể bỏ phiếu"):
        cast_vote(session.agenda[0], members[0], agree=True)


def test_vote_before_session_opens_is_refused(unit):
    session, members = voting_session(unit, members=3, status="planned")
    with pytest.raises(BallotError):
        cast_vote(session.agenda[0], members[0], agree=True)


# --- results drive the workflow -----------------------------------------------------------------

def test_decide_moves_dossiers_to_approved_and_not_approved(unit):
    session, members = voting_session(unit, members=10, dossiers=2)
    first, second = session.agenda
    vote_all(first, members, agrees=9)
    vote_all(second, members, agrees=8)
    close(session)
    decide(session, actor=members[0].user)
    assert (first.result, second.result) == (AgendaResult.APPROVED, AgendaResult.NOT_APPROVED)
    assert first.nomination.status == NominationStatus.APPROVED
    assert second.nomination.status == NominationStatus.NOT_APPROVED
    assert first.decided_at is not None


def test_decide_on_open_session_is_refused(unit):
    session, _ = voting_session(unit, members=3)
    with pytest.raises(BallotError, match="đã kết thúc"):
        decide(session, actor=None)


def test_decide_after_reopen_keeps_locked_results_and_recomputes_no_quorum(unit):
    from thidua.councils.models import AttendanceStatus, SessionStatus

    session, members = voting_session(unit, members=3, absent=2, dossiers=1)
    item = session.agenda[0]
    close(session)
    decide(session, actor=None)
    assert item.result == AgendaResult.NO_QUORUM
    session.status = SessionStatus.OPEN  # reopened by the chair
    for a in session.attendance:
        a.status = AttendanceStatus.PRESENT
    vote_all(item, members, agrees=3)
    close(session)
    decide(session, actor=None)
    assert item.result == AgendaResult.APPROVED
    session.status = SessionStatus.OPEN
    close(session)
    assert decide(session, actor=None) == []  # locked: nothing re-decided
    assert item.nomination.status == NominationStatus.APPROVED


# --- secrecy ------------------------------------------------------------------------------------

def _dump() -> dict[str, list[tuple]]:
    """Every row of every table, as the database holds it."""
    dump = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table)).all()
        if table.name == "ballot_receipts":  # a sequence value (PostgreSQL does not roll sequences back)
            rows = [(r.agenda_item_id, r.member_id) for r in rows]
        dump[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return dump


def test_ballot_from_database_contents_cannot_tell_who_voted_how(unit):
    session, members = voting_session(unit, members=3)
    db.session.commit()
    item_id, (a, b) = session.agenda[0].id, members[:2]

    def scenario(first_agrees: bool):
        item = db.session.get(type(session.agenda[0]), item_id)
        cast_vote(item, db.session.get(type(a), a.id), agree=first_agrees)
        cast_vote(item, db.session.get(type(b), b.id), agree=not first_agrees)
        dump = _dump()
        db.session.rollback()
        return dump

    # A voted agree and B disagree, or the other way round: the database holds exactly the same rows.
    assert scenario(True) == scenario(False)


def test_ballot_rows_hold_no_voter_and_receipts_hold_no_vote(unit):
    assert {c.name for c in BallotBox.__table__.c} == {"agenda_item_id", "agree", "disagree"}
    assert {c.name for c in BallotReceipt.__table__.c} == {"id", "agenda_item_id", "member_id"}


def test_vote_leaves_no_audit_entry_of_the_ballot_box(unit):
    session, members = voting_session(unit, members=3)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    from thidua.audit.services import acting_as

    with acting_as(members[0].user):
        cast_vote(session.agenda[0], members[0], agree=True)
        db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > before)).all()
    assert [e for e in entries if e.object_type == "ballot_boxes"] == []
    assert not any("agree" in repr(e.changes) for e in entries)
    assert tally(session.agenda[0]).agree == 1


def test_progress_counts_receipts_not_votes(unit):
    session, members = voting_session(unit, members=4, absent=1)
    cast_vote(session.agenda[0], members[0], agree=False)
    assert ballot.progress(session) == {session.agenda[0].id: (1, 3)}


# --- pages ---------------------------------------------------------------------------------------

def _box_counts(item_id):
    row = db.session.execute(sa.select(BallotBox.agree, BallotBox.disagree)
                             .where(BallotBox.agenda_item_id == item_id)).first()
    return tuple(row) if row else (0, 0)


def test_vote_page_after_voting_shows_voted_but_not_the_choice(unit, login_as):
    session, members = voting_session(unit, members=3)
    item_id = session.agenda[0].id
    client = login_as(members[2].user)
    response = client.post(f"/councils/ballot/items/{item_id}", data={f"i{item_id}-choice": "disagree"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Đã bỏ phiếu" in page and "Đã ghi nhận phiếu bầu" in page
    assert "Không đồng ý" not in page and 'value="disagree"' not in page
    assert _box_counts(item_id) == (0, 1)


def test_vote_page_twice_submitted_is_refused_with_message(unit, login_as):
    session, members = voting_session(unit, members=3)
    item_id = session.agenda[0].id
    client = login_as(members[0].user)
    client.post(f"/councils/ballot/items/{item_id}", data={f"i{item_id}-choice": "agree"})
    response = client.post(f"/councils/ballot/items/{item_id}", data={f"i{item_id}-choice": "disagree"},
                           follow_redirects=True)
    assert "mỗi thành viên chỉ bỏ phiếu một lần" in response.get_data(as_text=True)
    assert _box_counts(item_id) == (1, 0)


def test_vote_page_without_choice_shows_error_beside_field(unit, login_as):
    session, members = voting_session(unit, members=3)
    item_id = session.agenda[0].id
    response = login_as(members[0].user).post(f"/councils/ballot/items/{item_id}", data={})
    assert response.status_code == 400
    assert "Vui lòng chọn Đồng ý hoặc Không đồng ý." in response.get_data(as_text=True)
    assert _box_counts(item_id) == (0, 0)


def test_vote_page_recused_member_sees_no_ballot(unit, login_as):
    session, members = voting_session(unit, members=3)
    recuse(session.agenda[0], members[1])
    page = login_as(members[1].user).get(f"/councils/ballot/sessions/{session.id}").get_data(as_text=True)
    assert "xung đột lợi ích" in page and "Bỏ phiếu</button>" not in page


def test_vote_page_unknown_item_is_404(unit, login_as):
    session, members = voting_session(unit, members=3)
    assert login_as(members[0].user).post("/councils/ballot/items/999999", data={}).status_code == 404


def test_vote_page_by_non_member_is_forbidden(unit, users, login_as):
    from thidua.auth.models import Role

    session, _ = voting_session(unit, members=3)
    assert login_as(users[Role.COUNCIL_MEMBER]).get(f"/councils/ballot/sessions/{session.id}").status_code == 403


def test_vote_without_csrf_token_is_refused(unit, login_as, csrf_app):
    session, members = voting_session(unit, members=3)
    item_id = session.agenda[0].id
    response = login_as(members[0].user).post(f"/councils/ballot/items/{item_id}", data={f"i{item_id}-choice": "agree"})
    assert response.status_code == 400
    assert _box_counts(item_id) == (0, 0)


def test_count_page_shows_how_many_voted_not_how(unit, login_as):
    session, members = voting_session(unit, members=3)
    cast_vote(session.agenda[0], members[0], agree=True)
    page = login_as(secretary_of(session).user).get(f"/councils/ballot/sessions/{session.id}/count").get_data(as_text=True)
    assert "1/3" in page and "Đồng ý" not in page


def test_results_page_before_close_is_forbidden_and_after_close_shows_tally(unit, login_as):
    session, members = voting_session(unit, members=3)
    vote_all(session.agenda[0], members, agrees=3)
    client = login_as(members[0].user)
    assert client.get(f"/councils/ballot/sessions/{session.id}/results").status_code == 403
    close(session)
    decide(session, actor=None)
    page = client.get(f"/councils/ballot/sessions/{session.id}/results").get_data(as_text=True)
    assert "3/3 (100,00%)" in page and "Đề nghị khen thưởng" in page


def test_close_session_through_service_decides_and_moves_dossiers(unit):
    from thidua.councils import services

    session, members = voting_session(unit, members=10)
    item = session.agenda[0]
    vote_all(item, members, agrees=9)
    services.transition(session, "close", actor=members[0].user)
    assert item.result == AgendaResult.APPROVED and item.decided_at == session.closed_at
    assert item.nomination.status == NominationStatus.APPROVED


def test_close_on_postgresql_leaves_no_box_row_with_a_voters_transaction_id(unit):
    from thidua.councils import services

    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin is a PostgreSQL system column")
    session, members = voting_session(unit, members=3, dossiers=2)
    db.session.commit()
    session_id, item_ids, member_ids = session.id, [i.id for i in session.agenda], [m.id for m in members]
    from thidua.councils.models import AgendaItem, CouncilMember, CouncilSession

    for member_id in member_ids:  # each voter in their own transaction, as through the web
        for k, item_id in enumerate(item_ids):
            cast_vote(db.session.get(AgendaItem, item_id), db.session.get(CouncilMember, member_id), agree=k == 0)
        db.session.commit()

    def xmins(table: str) -> set[str]:
        return set(db.session.scalars(sa.text(f"SELECT xmin::text FROM {table}")))

    assert xmins("ballot_boxes") <= xmins("ballot_receipts")  # before close: the last voter is exposed
    services.transition(db.session.get(CouncilSession, session_id), "close", actor=None)
    db.session.commit()
    boxes = xmins("ballot_boxes")
    assert len(boxes) == 1 and boxes.isdisjoint(xmins("ballot_receipts"))
    assert _box_counts(item_ids[0]) == (3, 0) and _box_counts(item_ids[1]) == (0, 3)


# --- a session's own threshold (a cluster's suy tôn) ----------------------------------------------------

@pytest.mark.parametrize(("agrees", "passed"), [(5, True), (4, False)])
def test_tally_session_threshold_replaces_award_threshold_at_its_boundary(unit, agrees, passed):
    session, members = voting_session(unit, members=10)  # CSTĐ cấp tỉnh: 90% of all members
    session.vote_threshold = Decimal("0.5")
    item = session.agenda[0]
    vote_all(item, members, agrees=agrees)
    t = tally(item)
    assert (t.threshold, t.base, t.passed) == (Fraction(1, 2), 10, passed)


def test_tally_session_threshold_makes_the_vote_required_for_an_award_without_vote(unit):
    session, members = voting_session(unit, members=4, code="LDTT")
    session.vote_threshold = Decimal("0.75")
    item = session.agenda[0]
    vote_all(item, members[:2], agrees=2)  # 2 of the 4 members: a majority of ballots, not 75% of members
    t = tally(item)
    assert t.vote_required and t.threshold == Fraction(3, 4) and t.passed is False
