"""Prize money (tiền thưởng): a coefficient of the base salary (mức lương cơ sở) in force on the day a
decision is signed, rounded up to the next 10,000 VND (Decree 91/2017 art. 68.2, kept in practice since).
A collective receives `collective_multiplier` times the individual amount (twice, for a Bằng khen or a
Giấy khen). Decimal arithmetic only: a float would turn 0.15 × 2 × 1,490,000 into 447,000.00000000006.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa

from thidua.extensions import db
from thidua.rules.models import BaseSalary

ROUNDING_STEP = Decimal(10_000)  # VND


class NoBaseSalary(LookupError):
    """No base salary is in force on the day asked; the message (Vietnamese) says what to add."""

    def __init__(self, day: date):
        super().__init__(f"Chưa có mức lương cơ sở áp dụng vào ngày {day:%d/%m/%Y}. "
                         "Quản trị viên cần bổ sung trong Danh mục › Mức lương cơ sở.")
        self.day = day


def base_salary_on(day: date) -> BaseSalary:
    """The base salary in force on `day`: the row with the latest `effective_from` not after it.

    :raise NoBaseSalary: every row starts after `day` (or there is none).
    """
    found = db.session.scalar(sa.select(BaseSalary).where(BaseSalary.effective_from <= day)
                              .order_by(BaseSalary.effective_from.desc()).limit(1))
    if found is None:
        raise NoBaseSalary(day)
    return found


def prize_amount(coefficient: Decimal | str | int | None, *, collective: bool,
                 multiplier: Decimal | str | int = 1, base: int) -> int:
    """coefficient × base (× multiplier for a collective), rounded up to the next 10,000 VND.
    A title or form without a coefficient carries no money (0)."""
    if coefficient is None:
        return 0
    amount = Decimal(str(coefficient)) * Decimal(base)
    if collective:
        amount *= Decimal(str(multiplier))
    steps = (amount / ROUNDING_STEP).to_integral_value(rounding=ROUND_CEILING)
    return int(steps * ROUNDING_STEP)
