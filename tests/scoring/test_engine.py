from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as C

import pytest

from thidua.scoring import engine


def crit(id, max_points, weight=1, informational=False):
    return C(id=id, max_points=Decimal(max_points), weight=Decimal(str(weight)), informational=informational)


def test_sheet_total_weighted_with_informational_excluded_gives_share_of_maximum():
    criteria = [crit(1, 10, 2), crit(2, 20, 1), crit(3, 100, 1, informational=True)]
    result = engine.sheet_total({1: Decimal("7.5"), 2: 10, 3: 90}, criteria)
    # 2 × 7.5 + 1 × 10 = 25 of 2 × 10 + 20 = 40 → 62.5 %
    assert (result.total, result.maximum, result.percent) == (25.0, 40.0, 62.5)


def test_sheet_total_missing_score_counts_as_zero():
    assert engine.sheet_total({1: 10}, [crit(1, 10), crit(2, 10)]).percent == 50.0


def test_summary_of_known_values_matches_hand_computation():
    s = engine.summary([2, 4, 4, 4, 5, 5, 7, 9], scale=10)
    # mean 5, population sd 2 (the textbook example), median 4.5, spread 7
    assert (s.n, s.mean, s.median, s.sd, s.min, s.max, s.spread) == (8, 5.0, 4.5, 2.0, 2.0, 9.0, 7.0)
    assert s.disagreement is True  # spread 7 > 25 % of 10


def test_summary_close_values_not_flagged_as_disagreement():
    s = engine.summary([80, 82, 85], scale=100)
    assert s.disagreement is False and s.spread == 5.0


def test_summary_two_camps_flagged_by_sd_though_spread_under_limit():
    # spread 22 ≤ 25 % of 100, but the values split in two: population sd 11 > 10 % of 100
    s = engine.summary([50, 50, 72, 72], scale=100)
    assert (s.spread, s.sd, s.disagreement) == (22.0, 11.0, True)
    assert engine.summary([50, 61, 61, 72], scale=100).disagreement is False  # sd 7.78


def test_summary_empty_gives_n_zero():
    assert engine.summary([]) == engine.Summary(n=0)


def test_normalise_rescales_z_scores_to_raw_range_by_hand():
    # scorer a: 60, 70, 80 → mean 70, population sd 8.165; z = -1.2247, 0, 1.2247
    # on 0..100: 50 + z × 100/6 → 29.588, 50, 70.412
    result = engine.normalise({"a": {1: 60, 2: 70, 3: 80}}, scale_min=0, scale_max=100, min_count=3)
    assert result.values["a"] == {1: pytest.approx(29.5876, abs=1e-3), 2: 50.0, 3: pytest.approx(70.4124, abs=1e-3)}


def test_normalise_harsh_and_lenient_scorers_agree_after_normalising():
    result = engine.normalise({"harsh": {1: 40, 2: 50, 3: 60}, "lenient": {1: 80, 2: 90, 3: 100}},
                              scale_min=0, scale_max=100, min_count=3)
    assert result.values["harsh"] == result.values["lenient"]


def test_normalise_too_few_subjects_scorer_left_out_and_flagged():
    result = engine.normalise({"a": {1: 60, 2: 70, 3: 80}, "b": {1: 90, 2: 10}}, scale_min=0, scale_max=100,
                              min_count=3)
    assert "b" not in result.values and result.excluded == {"b"}


def test_normalise_extreme_z_clamped_to_scale():
    totals = {i: 0 for i in range(1, 50)} | {50: 100}
    result = engine.normalise({"a": totals}, scale_min=0, scale_max=100, min_count=3)
    assert result.values["a"][50] == 100.0


def test_rank_ties_share_rank_and_next_rank_skips():
    items = [("A", 90), ("B", 85), ("C", 85), ("D", 70), ("E", None)]
    ranked = engine.rank(items, key=lambda i: i[1])
    assert [(r.item[0], r.rank, r.tied) for r in ranked] == [
        ("A", 1, False), ("B", 2, True), ("C", 2, True), ("D", 4, False), ("E", 0, False)]


def test_rank_float_noise_still_counts_as_tie():
    ranked = engine.rank([1, 2], key=lambda i: 0.1 + 0.2 if i == 1 else 0.3)
    assert [r.rank for r in ranked] == [1, 1]
