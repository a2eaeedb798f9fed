from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories as f
from thidua.councils import scoring
from thidua.councils.models import (
    Attendance,
    AttendanceStatus,
    Recusal,
    Score,
    ScoreSheet,
    SessionStatus,
)
from thidua.permissions import Role
from thidua.scoring.models import Aggregation


@pytest.fixture
def world(db, unit, users):
    """A council of a chair, a secretary and three members; an open session of three dossiers scored on
    a two-criterion rubric (0..10 weight 2, 0..20 weight 1 → maximum 40)."""
    members = [f.make_user(full_name=f"Ủy viên {i}", roles=[Role.COUNCIL_MEMBER]) for i in range(3)]
    chair = f.make_user(full_name="Chủ tịch", roles=[Role.COUNCIL_MEMBER])
    secretary = f.make_user(full_name="Thư ký", roles=[Role.COUNCIL_MEMBER])
    council = f.make_council(unit=unit, members=[(chair, "chair"), (secretary, "secretary"), *members])
    rubric = f.make_rubric(criteria=[(10, 2), (20, 1)])
    noms = [f.make_nomination(unit=unit, status="accepted") for _ in range(3)]
    session = f.make_session(council=council, status="open", nominations=noms, rubric=rubric)
    db.session.commit()
    seats = {m.user_id: m for m in council.members}
    return {"council": council, "session": session, "rubric": rubric, "items": session.agenda,
            "c1": rubric.criteria[0], "c2": rubric.criteria[1], "chair": chair, "secretary": secretary,
            "members": members, "seat": lambda u: seats[u.id], "users": users}


def score(w, user, item, a, b, *, submit=True):
    return scoring.save_sheet(item, w["seat"](user), {w["c1"].id: a, w["c2"].id: b}, submit=submit)


def sheet_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Score))


def test_save_out_of_range_score_refused_and_nothing_saved(db, world):
    item = world["items"][0]
    with pytest.raises(scoring.ScoresInvalid) as e:
        score(world, world["members"][0], item, "11", "5", submit=False)
    assert "điểm phải từ 0 đến 10" in str(e.value)
    assert world["c1"].id in e.value.errors and world["c2"].id not in e.value.errors
    assert sheet_count(db) == 0 and db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet)) == 0


def test_save_off_step_score_refused_with_step_in_message(db, world):
    with pytest.raises(scoring.ScoresInvalid) as e:
        score(world, world["members"][0], world["items"][0], "7,5", "5", submit=False)
    assert "theo bước 1" in e.value.errors[world["c1"].id] and sheet_count(db) == 0


def test_save_half_step_on_half_step_criterion_accepted(db, world):
    world["c1"].step = Decimal("0.5")
    sheet = score(world, world["members"][0], world["items"][0], "7,5", "5", submit=False)
    assert sorted(s.points for s in sheet.scores) == [Decimal("5"), Decimal("7.5")]


def test_save_text_instead_of_number_refused(db, world):
    with pytest.raises(scoring.ScoresInvalid) as e:
        score(world, world["members"][0], world["items"][0], "tám", "5", submit=False)
    assert "không phải là số" in e.value.errors[world["c1"].id]


def test_submit_missing_required_criterion_refused(db, world):
    member, item = world["members"][0], world["items"][0]
    score(world, member, item, "8", "", submit=False)
    with pytest.raises(scoring.ScoresInvalid) as e:
        scoring.submit_sheet(item, world["seat"](member))
    assert "bắt buộc" in e.value.errors[world["c2"].id]
    assert scoring.sheet_for(item, world["seat"](member)).submitted_at is None


def test_submit_missing_optional_criterion_accepted(db, world):
    world["c2"].required = False
    sheet = score(world, world["members"][0], world["items"][0], "8", "", submit=True)
    assert sheet.submitted_at is not None


def test_change_after_submit_refused_and_score_kept(db, world):
    member, item = world["members"][0], world["items"][0]
    score(world, member, item, "8", "15")
    with pytest.raises(scoring.ScoringError, match="đã nộp"):
        score(world, member, item, "9", "15", submit=False)
    assert {s.points for s in scoring.sheet_for(item, world["seat"](member)).scores} == {Decimal(8), Decimal(15)}


def test_draft_saved_twice_updates_one_sheet(db, world):
    member, item = world["members"][0], world["items"][0]
    score(world, member, item, "8", "", submit=False)
    score(world, member, item, "9", "12", submit=False)
    sheet = scoring.sheet_for(item, world["seat"](member))
    assert {s.criterion_id: s.points for s in sheet.scores} == {world["c1"].id: 9, world["c2"].id: 12}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet)) == 1


def test_recused_member_cannot_score(db, world):
    member, item = world["members"][0], world["items"][0]
    db.session.add(Recusal(agenda_item=item, member=world["seat"](member), reason="Cùng đơn vị"))
    db.session.flush()
    with pytest.raises(scoring.ScoringError, match="rút khỏi"):
        score(world, member, item, "8", "15")
    assert sheet_count(db) == 0


def test_absent_member_cannot_score(db, world):
    member = world["members"][0]
    db.session.add(Attendance(session=world["session"], member=world["seat"](member), status=AttendanceStatus.ABSENT))
    db.session.flush()
    with pytest.raises(scoring.ScoringError, match="vắng mặt"):
        score(world, member, world["items"][0], "8", "15")


def test_score_when_session_not_open_refused(db, world):
    world["session"].status = SessionStatus.PLANNED
    with pytest.raises(scoring.ScoringError, match="Đang họp"):
        score(world, world["members"][0], world["items"][0], "8", "15")


# --- blind visibility ------------------------------------------------------------------------------------

def test_visible_scores_member_before_finishing_sees_only_own(db, world):
    a, b = world["members"][:2]
    score(world, b, world["items"][0], "5", "5")
    score(world, a, world["items"][0], "8", "15")
    seen = scoring.visible_scores(world["session"], a)
    assert seen.mode == "own"
    assert [m.user_id for m, *_ in seen.sheets[world["items"][0].id]] == [a.id]


def test_visible_scores_member_after_submitting_all_sees_others(db, world):
    a, b = world["members"][:2]
    score(world, b, world["items"][0], "5", "5")
    for item in world["items"]:
        score(world, a, item, "8", "15")
    seen = scoring.visible_scores(world["session"], a)
    assert seen.mode == "all"
    assert {m.user_id for m, *_ in seen.sheets[world["items"][0].id]} == {a.id, b.id}


def test_visible_scores_recused_item_not_needed_to_finish_nor_shown(db, world):
    a, b = world["members"][:2]
    first = world["items"][0]
    db.session.add(Recusal(agenda_item=first, member=world["seat"](a), reason="Người được đề nghị là người thân"))
    score(world, b, first, "5", "5")
    for item in world["items"][1:]:
        score(world, a, item, "8", "15")
    seen = scoring.visible_scores(world["session"], a)
    assert seen.mode == "all" and first.id not in seen.sheets


def test_visible_scores_secretary_sees_completion_not_values(db, world):
    a = world["members"][0]
    for item in world["items"]:
        score(world, a, item, "8", "15")
    for viewer in (world["secretary"], world["users"][Role.ADMIN]):
        seen = scoring.visible_scores(world["session"], viewer)
        assert seen.mode == "completion" and seen.sheets == {}
        done = {p.member.user_id: (p.submitted, p.expected) for p in seen.progress}
        assert done[a.id] == (3, 3) and done[world["members"][1].id] == (0, 3)


def test_visible_scores_after_close_staff_sees_all_values(db, world):
    a = world["members"][0]
    score(world, a, world["items"][0], "8", "15")
    world["session"].status = SessionStatus.CLOSED
    seen = scoring.visible_scores(world["session"], world["users"][Role.ADMIN])
    assert seen.mode == "all" and seen.sheets[world["items"][0].id][0][1] == 31.0


# --- results ----------------------------------------------------------------------------------------------

def _close(db, world):
    world["session"].status = SessionStatus.CLOSED
    db.session.flush()


def test_results_aggregate_against_hand_computed_values(db, world):
    i1, i2, i3 = world["items"]
    m0, m1, m2 = world["members"]
    # item 1 totals: 2×8+15=31, 2×6+10=22, 2×10+20=40 → mean 31, median 31, sd 7.3485, spread 18
    score(world, m0, i1, "8", "15")
    score(world, m1, i1, "6", "10")
    score(world, m2, i1, "10", "20")
    score(world, m0, i2, "5", "5", submit=False)  # a draft never counts
    _close(db, world)
    res = scoring.results(world["session"])
    r1 = next(r for r in res.items if r.item_id == i1.id)
    assert (r1.stats.n, r1.stats.mean, r1.stats.median, r1.stats.min, r1.stats.max, r1.stats.spread) == (
        3, 31.0, 31.0, 22.0, 40.0, 18.0)
    assert r1.stats.sd == pytest.approx(7.3485, abs=1e-4)
    assert r1.stats.disagreement is True  # 18 > 25 % of 40
    assert r1.percent == 77.5 and res.maximum == 40.0
    r2 = next(r for r in res.items if r.item_id == i2.id)
    assert r2.stats.n == 0 and r2.score is None and r2.rank == 0


def test_results_median_aggregation_uses_median(db, world):
    world["session"].aggregation = Aggregation.MEDIAN
    i1 = world["items"][0]
    for m, (a, b) in zip(world["members"], [("10", "20"), ("9", "20"), ("0", "0")], strict=True):
        score(world, m, i1, a, b)
    _close(db, world)
    r1 = next(r for r in scoring.results(world["session"]).items if r.item_id == i1.id)
    assert (r1.stats.mean, r1.score) == (26.0, 38.0)


def test_results_recused_members_sheet_never_counts(db, world):
    i1 = world["items"][0]
    m0, m1 = world["members"][:2]
    score(world, m0, i1, "10", "20")
    score(world, m1, i1, "0", "0")
    # recusal declared after the sheet was submitted: the sheet stays, but never counts
    db.session.add(Recusal(agenda_item=i1, member=world["seat"](m1), reason="Tự nguyện rút"))
    _close(db, world)
    r1 = next(r for r in scoring.results(world["session"]).items if r.item_id == i1.id)
    assert (r1.stats.n, r1.score) == (1, 40.0)


def test_results_ties_share_rank_within_award_type(db, world):
    i1, i2, i3 = world["items"]
    m0 = world["members"][0]
    score(world, m0, i1, "8", "10")  # 26
    score(world, m0, i2, "9", "8")  # 26
    score(world, m0, i3, "10", "10")  # 30
    _close(db, world)
    ranks = {r.item_id: (r.rank, r.tied) for r in scoring.results(world["session"]).items}
    assert ranks == {i3.id: (1, False), i1.id: (2, True), i2.id: (2, True)}


def test_results_normalised_beside_raw_when_session_normalises(db, world):
    world["session"].normalise = True
    world["rubric"].min_sheets_to_normalise = 3
    i1, i2, i3 = world["items"]
    harsh, lenient, few = world["members"]
    for item, (a, b) in zip(world["items"], [("2", "4"), ("3", "6"), ("4", "8")], strict=True):
        score(world, harsh, item, a, b)  # 8, 12, 16
    for item, (a, b) in zip(world["items"], [("8", "16"), ("9", "18"), ("10", "20")], strict=True):
        score(world, lenient, item, a, b)  # 32, 36, 40
    score(world, few, i1, "10", "20")  # one sheet only: left out of normalisation
    _close(db, world)
    res = scoring.results(world["session"])
    assert res.normalised and res.excluded_scorers == {world["seat"](few).id}
    by_id = {r.item_id: r for r in res.items}
    # each scorer: z = -1.2247, 0, 1.2247 → 20 + z × 40/6 = 11.835, 20, 28.165 (both agree)
    assert by_id[i1.id].normalised == pytest.approx(11.835, abs=1e-3)
    assert by_id[i2.id].normalised == 20.0
    assert by_id[i1.id].score == pytest.approx((8 + 32 + 40) / 3, abs=1e-3)  # raw kept beside


def test_results_query_count_independent_of_items(db, world, app):
    from sqlalchemy import event

    m0 = world["members"][0]
    for item in world["items"]:
        score(world, m0, item, "8", "10")
    _close(db, world)
    count = 0

    def counter(*args, **kw):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        scoring.results(world["session"])
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert count <= 4


def test_secretary_cannot_score(db, world):
    with pytest.raises(scoring.ScoringError, match="Thư ký"):
        score(world, world["secretary"], world["items"][0], "8", "15")


# --- pages ----------------------------------------------------------------------------------------------

def test_scoring_page_shows_items_criteria_and_anchors(db, world, login_as):
    world["c1"].anchors = {"10": "Xuất sắc"}
    client = login_as(world["members"][0])
    body = client.get(f"/councils/scoring/sessions/{world['session'].id}").get_data(as_text=True)
    assert "Phiếu chấm điểm" in body and "Tiêu chí 1" in body and "10: Xuất sắc" in body
    assert body.count("Nộp phiếu</button>") == 3


def test_scoring_page_post_off_step_shows_error_beside_field_and_saves_nothing(db, world, login_as):
    item = world["items"][0]
    client = login_as(world["members"][0])
    r = client.post(f"/councils/scoring/items/{item.id}",
                    data={f"c{world['c1'].id}": "7,5", f"c{world['c2'].id}": "12", "action": "submit"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "invalid-feedback" in body and "theo bước 1" in body
    assert 'value="7,5"' in body  # what the member typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet)) == 0


def test_scoring_page_submit_then_fields_locked(db, world, login_as):
    item = world["items"][0]
    client = login_as(world["members"][0])
    r = client.post(f"/councils/scoring/items/{item.id}",
                    data={f"c{world['c1'].id}": "8", f"c{world['c2'].id}": "12", "action": "submit"},
                    follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "Đã nộp phiếu chấm điểm" in body and body.count("Nộp phiếu</button>") == 2
    r = client.post(f"/councils/scoring/items/{item.id}",
                    data={f"c{world['c1'].id}": "9", f"c{world['c2'].id}": "12", "action": "draft"},
                    follow_redirects=True)
    assert "đã nộp, không thể sửa" in r.get_data(as_text=True)


def test_scoring_page_non_member_forbidden_and_unknown_session_not_found(db, world, login_as):
    client = login_as(world["users"][Role.UNIT_OFFICER])
    assert client.get(f"/councils/scoring/sessions/{world['session'].id}").status_code == 403
    assert login_as(world["members"][0]).get("/councils/scoring/sessions/999999").status_code == 404
    assert login_as(world["members"][0]).post("/councils/scoring/items/999999").status_code == 404


def test_progress_page_secretary_sees_counts_not_scores(db, world, login_as):
    score(world, world["members"][0], world["items"][0], "7", "13")
    db.session.commit()
    body = login_as(world["secretary"]).get(
        f"/councils/scoring/sessions/{world['session'].id}/progress").get_data(as_text=True)
    table = body[body.index("<table"):body.index("</table>")]  # the title may hold any number
    assert "1/3" in table and "27" not in table  # 2 × 7 + 13
    assert login_as(world["members"][0]).get(
        f"/councils/scoring/sessions/{world['session'].id}/progress").status_code == 403


def test_results_page_before_close_forbidden(db, world, login_as):
    r = login_as(world["users"][Role.ADMIN]).get(f"/councils/scoring/sessions/{world['session'].id}/results")
    assert r.status_code == 403


def test_results_page_after_close_shows_ranks_and_hides_recused_item(db, world, login_as):
    i1, i2, i3 = world["items"]
    m0, m1 = world["members"][:2]
    score(world, m0, i1, "8", "10")
    score(world, m0, i2, "9", "8")
    score(world, m0, i3, "10", "10")
    db.session.add(Recusal(agenda_item=i1, member=world["seat"](m1), reason="Cùng đơn vị"))
    world["session"].status = SessionStatus.CLOSED
    db.session.commit()
    url = f"/councils/scoring/sessions/{world['session'].id}/results"
    body = login_as(world["users"][Role.ADMIN]).get(url).get_data(as_text=True)
    assert "đồng hạng" in body and i1.nomination.nominee_name in body and "75%" in body  # 30 / 40
    body = login_as(m1).get(url).get_data(as_text=True)
    assert i1.nomination.nominee_name not in body and i2.nomination.nominee_name in body


def test_scoring_page_queries_do_not_grow_with_items(db, world, unit, login_as, app):
    from sqlalchemy import event

    member = world["members"][0]
    client = login_as(member)
    url = f"/councils/scoring/sessions/{world['session'].id}"

    def queries():
        count = 0

        def counter(*args, **kw):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    score(world, member, world["items"][0], "8", "10", submit=False)
    db.session.commit()
    few = queries()
    from thidua.councils.models import AgendaItem

    for i in range(6):
        world["session"].agenda.append(AgendaItem(nomination=f.make_nomination(unit=unit, status="accepted"),
                                                  position=10 + i))
    db.session.commit()
    assert queries() == few
