from datetime import date

import pytest
import sqlalchemy as sa

from thidua.clusters import scoring, years
from thidua.clusters.models import ClusterScoreSheet, SheetKind
from thidua.clusters.scoring import ScoringError, SheetInvalid

from ..factories import make_cluster_year, make_unit, make_user


def codes(cy) -> dict[str, int]:
    return {c.code: c.id for c in cy.criteria}


def points(cy, p1=25, p2=25, p3=15, p4=15, bonus=None, penalty=None) -> dict[int, object]:
    ids = codes(cy)
    return {ids["1"]: p1, ids["2"]: p2, ids["3"]: p3, ids["4"]: p4, ids["T"]: bonus, ids["Tr"]: penalty}


def score(cy, kind, subject, scorer=None, *, submit=True, **kw):
    sheet = scoring.save_sheet(cy, kind=kind, subject=subject, scorer=scorer, points=points(cy, **kw))
    if submit:
        scoring.submit_sheet(sheet, actor=None)
    return sheet


def test_cluster_of_eight_scored_end_to_end_keeps_every_figure(db):
    units = [make_unit(name=f"UBND huyện {n}") for n in "ABCDEFGH"]
    cy = make_cluster_year(units=units, status="scoring", signed=True, head=units[0])
    for i, unit in enumerate(units):
        score(cy, SheetKind.SELF, unit, p1=30, p2=30, p3=20, p4=20)  # everyone claims 100
        for scorer in units:
            if scorer is not unit:
                score(cy, SheetKind.CROSS, unit, scorer, p1=30 - i, p2=25, p3=15, p4=15)
    years.transition(cy, "review")
    for i, unit in enumerate(units):
        score(cy, SheetKind.FINAL, unit, p1=30 - i, p2=25, p3=15, p4=15, bonus=1 if i == 0 else None,
              penalty="2,5" if i == 7 else None)
    years.transition(cy, "voting")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClusterScoreSheet)) == 8 + 8 * 7 + 8
    table = scoring.results(cy)
    first, last = table.rows[0], table.rows[-1]
    assert (first.unit, first.rank, first.self_total, first.final) == (units[0], 1, 100.0, 86.0)
    assert len(first.cross) == 7 and first.cross_mean == 85.0 and first.cross_summary.sd == 0
    assert (first.final_minus_self, first.final_minus_cross) == (-14.0, 1.0)
    assert (last.unit, last.rank, last.final) == (units[7], 8, 75.5)  # 23 + 25 + 15 + 15 − 2.5
    assert table.flagged(first.final_minus_self) and not table.flagged(first.final_minus_cross)


def test_cross_score_of_own_unit_is_refused_by_the_service(db):
    cy = make_cluster_year(status="scoring")
    unit = years.members(cy)[0]
    with pytest.raises(ScoringError, match="không được chấm chéo cho chính mình"):
        scoring.save_sheet(cy, kind=SheetKind.CROSS, subject=unit, scorer=unit, points=points(cy))
    assert cy.sheets == []


def test_cross_score_of_own_unit_is_refused_by_the_database(db):
    cy = make_cluster_year(status="scoring")
    unit = years.members(cy)[0]
    db.session.add(ClusterScoreSheet(cluster_year=cy, kind=SheetKind.CROSS, subject_unit=unit, scorer_unit=unit))
    with pytest.raises(sa.exc.IntegrityError, match="(?i)scorer_matches_kind|check"):
        db.session.flush()
    db.session.rollback()


def test_bonus_over_its_limit_is_refused_and_nothing_is_stored(db):
    cy = make_cluster_year(status="scoring")
    unit = years.members(cy)[0]
    with pytest.raises(SheetInvalid) as exc:
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=unit, scorer=None, points=points(cy, bonus="5,5"))
    assert exc.value.errors == {codes(cy)["T"]: "Điểm thưởng vượt giới hạn 5 của mục T."}
    assert cy.sheets == []


def test_penalty_over_its_limit_is_refused(db):
    cy = make_cluster_year(status="scoring")
    with pytest.raises(SheetInvalid) as exc:
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=years.members(cy)[0], scorer=None, points=points(cy, penalty=6))
    assert "Điểm trừ vượt giới hạn 5" in exc.value.errors[codes(cy)["Tr"]]


def test_points_off_step_or_over_max_or_not_a_number_are_refused_per_criterion(db):
    cy = make_cluster_year(status="scoring")
    with pytest.raises(SheetInvalid) as exc:
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=years.members(cy)[0], scorer=None,
                           points=points(cy, p1="30,5", p2="12,3", p3="mười"))
    ids = codes(cy)
    assert set(exc.value.errors) == {ids["1"], ids["2"], ids["3"]}
    assert "bước 0,5" in exc.value.errors[ids["2"]] and "phải là số" in exc.value.errors[ids["3"]]


def test_group_total_over_its_maximum_is_refused(db):
    cy = make_cluster_year(status="scoring", criteria=[("I", "Nhóm", "group", 50, 1), ("1", "a", "normal", 30, 1),
                                                       ("2", "b", "normal", 30, 1)])
    ids = codes(cy)
    with pytest.raises(SheetInvalid) as exc:
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=years.members(cy)[0], scorer=None,
                           points={ids["1"]: 30, ids["2"]: 25})
    assert exc.value.errors == {ids["2"]: "Tổng điểm nhóm I là 55, vượt tối đa 50."}


def test_submitted_sheet_is_locked(db):
    cy = make_cluster_year(status="scoring")
    unit = years.members(cy)[0]
    score(cy, SheetKind.SELF, unit)
    with pytest.raises(ScoringError, match="đã nộp"):
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=unit, scorer=None, points=points(cy, p1=30))


def test_submit_with_unscored_criterion_is_refused(db):
    cy = make_cluster_year(status="scoring")
    sheet = scoring.save_sheet(cy, kind=SheetKind.SELF, subject=years.members(cy)[0], scorer=None,
                               points=points(cy, p4=None))
    with pytest.raises(ScoringError, match="Chưa chấm các tiêu chí: 4"):
        scoring.submit_sheet(sheet, actor=None)


def test_final_score_before_review_is_refused(db):
    cy = make_cluster_year(status="scoring")
    with pytest.raises(ScoringError, match="Thẩm định, xếp hạng"):
        scoring.save_sheet(cy, kind=SheetKind.FINAL, subject=years.members(cy)[0], scorer=None, points=points(cy))


def test_ranking_ties_share_a_rank_and_the_next_rank_skips(db):
    units = [make_unit(name=n) for n in ("An", "Bình", "Cường", "Dũng")]
    cy = make_cluster_year(units=units, status="review", head=units[0])
    for unit, p1 in zip(units, (30, 28, 28, 20), strict=True):
        score(cy, SheetKind.FINAL, unit, p1=p1)
    table = scoring.results(cy)
    assert [(r.unit.name, r.rank, r.tied) for r in table.rows] == \
        [("An", 1, False), ("Bình", 2, True), ("Cường", 2, True), ("Dũng", 4, False)]


def test_evidence_is_attached_to_an_open_self_sheet_only(db, app):
    from thidua.storage import StoredUpload

    cy = make_cluster_year(status="scoring")
    unit = years.members(cy)[0]
    sheet = scoring.save_sheet(cy, kind=SheetKind.SELF, subject=unit, scorer=None, points=points(cy))
    upload = StoredUpload("bao-cao.pdf", "a" * 32 + ".pdf", "application/pdf", 9, "0" * 64, "pdf")
    scoring.add_evidence(sheet, upload=upload, criterion_id=codes(cy)["1"], actor=make_user())
    cross = scoring.save_sheet(cy, kind=SheetKind.CROSS, subject=unit, scorer=years.members(cy)[1], points=points(cy))
    with pytest.raises(ScoringError, match="phiếu tự chấm"):
        scoring.add_evidence(cross, upload=upload, criterion_id=None, actor=None)
    assert [e.original_name for e in sheet.evidence] == ["bao-cao.pdf"]


def test_member_outside_the_year_cannot_be_scored(db):
    cy = make_cluster_year(status="scoring", year=2025)
    cy.cluster.memberships[0].joined_on = date(2026, 1, 1)
    with pytest.raises(ScoringError, match="không phải thành viên"):
        scoring.save_sheet(cy, kind=SheetKind.SELF, subject=cy.cluster.memberships[0].unit, scorer=None, points=points(cy))
