"""The reward fund (quỹ thi đua, khen thưởng): yearly budgets of the issuing bodies and the money their
decisions commit.

Money committed in a year = the amounts of the non-revoked items of the ISSUED decisions of that issuer
signed in that year; a revoked item's money is recovered (thu hồi). Drafts commit nothing, but
`balance_after(draft)` tells the issuing page what would remain once it is issued. Budget changes flush
only (the view commits) and raise `FundError` with a Vietnamese message.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from thidua.audit.services import label
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.registry.models import NomineeKind

from .models import Decision, DecisionItem, DecisionStatus, FundBudget
from .prize import NoBaseSalary, base_salary_on, prize_amount

AMOUNT_MAX = 10**15  # one quadrillion đồng: far above any provincial fund, below BIGINT


class FundError(ValueError):
    """A refused budget change; `field` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def local_today() -> date:
    """Today in the application's time zone (Viet Nam), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


# --- the money of one decision ---------------------------------------------------------------------

def item_amounts(decision: Decision) -> list[int]:
    """The money of each item, in `decision.items` order. An issued decision's stored amounts; for a
    draft, an item without an amount yet is priced with the base salary in force today (prize rules)."""
    if decision.is_issued:
        return [item.amount or 0 for item in decision.items]
    base = None
    amounts = []
    for item in decision.items:
        if item.amount:
            amounts.append(item.amount)
            continue
        if base is None:
            base = _base_salary_today()
        amounts.append(_prize(decision, item, base) if base else 0)
    return amounts


def _base_salary_today() -> int:
    """The base salary in force today, or 0 when none is recorded (the draft then shows no money)."""
    try:
        return base_salary_on(local_today()).amount
    except NoBaseSalary:
        return 0


def _prize(decision: Decision, item: DecisionItem, base: int) -> int:
    award = decision.award_type
    coefficient = item.coefficient if item.coefficient is not None else award.coefficient
    if coefficient is None:
        return 0
    return prize_amount(coefficient, collective=item.nominee_kind == NomineeKind.COLLECTIVE,
                        multiplier=award.collective_multiplier, base=base)


def decision_total(decision: Decision) -> int:
    """The money of the decision's items that are not revoked."""
    return sum(amount for item, amount in zip(decision.items, item_amounts(decision), strict=True)
               if not item.is_revoked)


# --- fund position -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FundBalance:
    """What the fund of the decision's issuer and year looks like once the decision is issued."""

    budget: int | None  # None: no budget recorded for that issuer and year
    committed: int  # by the other issued decisions
    this_decision: int
    remaining: int | None

    @property
    def over_budget(self) -> bool:
        return self.remaining is not None and self.remaining < 0


@dataclass(frozen=True)
class FundLine:
    """One issuer's fund for a year, as shown on the overview."""

    issuer: Unit
    year: int
    budget: FundBudget | None
    committed: int
    recovered: int
    decisions: int

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget.amount - self.committed

    @property
    def percent_used(self) -> float | None:
        if self.budget is None or not self.budget.amount:
            return None
        return 100 * self.committed / self.budget.amount

    @property
    def over_budget(self) -> bool:
        return self.remaining is not None and self.remaining < 0


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _issued_in(year: int):
    start, end = _year_bounds(year)
    return sa.and_(Decision.status == DecisionStatus.ISSUED, Decision.signed_on.between(start, end))


def _sums(year: int, *, issuer_id: int | None = None, exclude_decision_id: int | None = None):
    """(issuer id, committed, recovered, decision count) per issuer for the decisions issued in `year`."""
    revoked = DecisionItem.revoked_at.is_not(None)
    query = (
        sa.select(
            Decision.issuer_unit_id,
            sa.func.coalesce(sa.func.sum(sa.case((revoked, 0), else_=DecisionItem.amount)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((revoked, DecisionItem.amount), else_=0)), 0),
            sa.func.count(sa.distinct(Decision.id)),
        )
        .select_from(Decision).outerjoin(DecisionItem, DecisionItem.decision_id == Decision.id)
        .where(_issued_in(year)).group_by(Decision.issuer_unit_id)
    )
    if issuer_id is not None:
        query = query.where(Decision.issuer_unit_id == issuer_id)
    if exclude_decision_id is not None:
        query = query.where(Decision.id != exclude_decision_id)
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in db.session.execute(query)}


def budget_for(issuer_id: int, year: int) -> FundBudget | None:
    return db.session.scalar(sa.select(FundBudget).where(FundBudget.issuer_unit_id == issuer_id,
                                                         FundBudget.year == year))


def fund_line(issuer: Unit, year: int) -> FundLine:
    committed, recovered, count = _sums(year, issuer_id=issuer.id).get(issuer.id, (0, 0, 0))
    return FundLine(issuer=issuer, year=year, budget=budget_for(issuer.id, year), committed=committed,
                    recovered=recovered, decisions=count)


def overview(year: int) -> list[FundLine]:
    """Every issuer that has a budget or issued decisions in `year`, by name."""
    sums = _sums(year)
    budgets = {b.issuer_unit_id: b for b in db.session.scalars(
        sa.select(FundBudget).where(FundBudget.year == year).options(selectinload(FundBudget.issuer_unit)))}
    ids = set(sums) | set(budgets)
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    lines = [FundLine(issuer=units[i], year=year, budget=budgets.get(i), committed=sums.get(i, (0, 0, 0))[0],
                      recovered=sums.get(i, (0, 0, 0))[1], decisions=sums.get(i, (0, 0, 0))[2]) for i in ids]
    return sorted(lines, key=lambda line: (line.issuer.name_folded, line.issuer.id))


def balance_after(decision: Decision) -> FundBalance:
    """The issuer's fund for the decision's year (its signing date, or today for a draft) once this
    decision is issued: the money of the other issued decisions plus this one's."""
    year = decision.signed_on.year if decision.signed_on else local_today().year
    committed = _sums(year, issuer_id=decision.issuer_unit_id,
                      exclude_decision_id=decision.id).get(decision.issuer_unit_id, (0, 0, 0))[0]
    this = decision_total(decision)
    budget = budget_for(decision.issuer_unit_id, year)
    return FundBalance(budget=budget.amount if budget else None, committed=committed, this_decision=this,
                       remaining=budget.amount - committed - this if budget else None)


def years_with_data() -> list[int]:
    """Years that have a budget or an issued decision, newest first (always including this year)."""
    budget_years = set(db.session.scalars(sa.select(FundBudget.year).distinct()))
    signed = db.session.scalars(sa.select(Decision.signed_on).where(Decision.status == DecisionStatus.ISSUED,
                                                                   Decision.signed_on.is_not(None)).distinct())
    return sorted(budget_years | {d.year for d in signed} | {local_today().year}, reverse=True)


# --- spending report -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpendingRow:
    decision: Decision
    awardees: int  # not revoked
    amount: int  # not revoked
    recovered: int
    revoked: int


def spending(issuer: Unit, year: int) -> list[SpendingRow]:
    """Every decision the issuer issued in `year`, by signing date and number."""
    decisions = db.session.scalars(
        sa.select(Decision).where(Decision.issuer_unit_id == issuer.id, _issued_in(year))
        .options(selectinload(Decision.items), selectinload(Decision.award_type))
        .order_by(Decision.signed_on, Decision.id)
    ).all()
    rows = []
    for d in decisions:
        live = [i for i in d.items if not i.is_revoked]
        gone = [i for i in d.items if i.is_revoked]
        rows.append(SpendingRow(decision=d, awardees=len(live), amount=sum(i.amount for i in live),
                                recovered=sum(i.amount for i in gone), revoked=len(gone)))
    return rows


def spending_xlsx(issuer: Unit, year: int) -> bytes:
    """The spending report as .xlsx: a title row, a frozen header row, one row per decision, money in
    a number format and a totals row of SUM formulas."""
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from thidua.filters import vn_date

    rows = spending(issuer, year)
    line = fund_line(issuer, year)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Chi tiền thưởng"
    headers = ["STT", "Số quyết định", "Ngày ký", "Danh hiệu, hình thức", "Số người, tập thể",
               "Số tiền (đồng)", "Thu hồi (đồng)"]
    widths = [6, 18, 12, 42, 12, 18, 16]
    sheet.append([f"CHI TIỀN THƯỞNG NĂM {year} – {issuer.name.upper()}"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A3"
    for n, row in enumerate(rows, start=1):
        d = row.decision
        sheet.append([n, d.number, vn_date(d.signed_on), d.award_type.name, row.awardees, row.amount, row.recovered])
    first, last = 3, 2 + len(rows)
    total_row = last + 1
    sheet.append(["", "Tổng cộng", "", "", f"=SUM(E{first}:E{last})" if rows else 0,
                  f"=SUM(F{first}:F{last})" if rows else 0, f"=SUM(G{first}:G{last})" if rows else 0])
    for cell in sheet[total_row]:
        cell.font = Font(bold=True)
    for r in range(first, total_row + 1):
        for col in ("F", "G"):
            sheet[f"{col}{r}"].number_format = "#,##0"
    sheet.append([])
    sheet.append(["", "Dự toán quỹ (đồng)", "", "", "", line.budget.amount if line.budget else None])
    sheet.append(["", "Còn lại (đồng)", "", "", "", f"=F{total_row + 2}-F{total_row}" if line.budget else None])
    for r in (total_row + 2, total_row + 3):
        sheet[f"F{r}"].number_format = "#,##0"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- budgets --------------------------------------------------------------------------------------------

def _check_amount(amount: int) -> None:
    if amount is None or amount < 0:
        raise FundError("Số tiền dự toán không được âm.", "amount")
    if amount > AMOUNT_MAX:
        raise FundError("Số tiền dự toán quá lớn.", "amount")


def create_budget(*, issuer_unit: Unit, year: int, amount: int, note: str | None = None) -> FundBudget:
    """Record the fund of `issuer_unit` for `year`; one budget per issuer and year."""
    _check_amount(amount)
    if budget_for(issuer_unit.id, year) is not None:
        raise FundError(f"Đã có dự toán quỹ năm {year} của {issuer_unit.name}; hãy sửa dự toán đó.", "year")
    budget = FundBudget(issuer_unit=issuer_unit, year=year, amount=amount, note=note or None)
    db.session.add(budget)
    label(budget, "fund.budget_create")
    db.session.flush()
    return budget


def update_budget(budget: FundBudget, *, amount: int, note: str | None = None) -> FundBudget:
    _check_amount(amount)
    budget.amount = amount
    budget.note = note or None
    label(budget, "fund.budget_update")
    db.session.flush()
    return budget
