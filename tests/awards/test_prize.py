"""Prize money: coefficient × base salary (× 2 for a collective), rounded up to 10,000 VND, with the base
salary in force on the signing day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from thidua.awards.prize import NoBaseSalary, base_salary_on, prize_amount
from thidua.rules.models import BaseSalary
from thidua.rules.seed import BASE_SALARIES, seed_catalogue


def test_prize_commune_giay_khen_to_collective_matches_domain_worked_example():
    # 0.15 × 2 × 1,490,000 = 447,000 → 450,000 (domain.md, "Prize money")
    assert prize_amount(Decimal("0.15"), collective=True, multiplier=Decimal("2"), base=1_490_000) == 450_000


def test_prize_individual_ignores_collective_multiplier():
    assert prize_amount(Decimal("0.15"), collective=False, multiplier=Decimal("2"), base=1_490_000) == 230_000


def test_prize_exact_multiple_of_ten_thousand_is_not_rounded_up():
    assert prize_amount(Decimal("1.0"), collective=False, multiplier=2, base=2_340_000) == 2_340_000
    assert prize_amount(Decimal("1.0"), collective=True, multiplier=2, base=2_340_000) == 4_680_000


def test_prize_one_dong_over_a_step_rounds_up_to_next_step():
    assert prize_amount(Decimal("1"), collective=False, base=2_340_001) == 2_350_000


def test_prize_uses_decimal_so_binary_fractions_do_not_add_a_step():
    # 0.3 × 1,800,000 = 540,000 exactly; with floats 0.3 × 1.8e6 = 540000.0000000001 would give 550,000.
    assert prize_amount(Decimal("0.3"), collective=False, base=1_800_000) == 540_000
    assert prize_amount("0.3", collective=False, base=1_800_000) == 540_000


def test_prize_without_coefficient_is_zero():
    assert prize_amount(None, collective=True, multiplier=2, base=2_340_000) == 0


def test_base_salary_on_picks_latest_row_not_after_the_day(db):
    seed_catalogue()
    assert base_salary_on(date(2024, 6, 30)).amount == 1_800_000
    assert base_salary_on(date(2024, 7, 1)).amount == 2_340_000
    assert base_salary_on(date(2019, 7, 1)).amount == 1_490_000


def test_base_salary_on_before_first_row_raises_clear_error(db):
    seed_catalogue()
    with pytest.raises(NoBaseSalary, match="Chưa có mức lương cơ sở áp dụng vào ngày 30/06/2019"):
        base_salary_on(date(2019, 6, 30))


def test_seed_base_salaries_twice_adds_nothing(db):
    seed_catalogue()
    seed_catalogue()
    rows = db.session.scalars(db.select(BaseSalary).order_by(BaseSalary.effective_from)).all()
    assert [(r.amount, r.effective_from) for r in rows] == [(a, d) for a, d, _ in BASE_SALARIES]
