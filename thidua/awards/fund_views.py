"""Reward fund pages: the yearly overview of every issuing body's fund, one body's spending report
(and its Excel export), and the budgets (create, edit)."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.org.models import Unit, UnitKind
from thidua.permissions import authorize, requires

from . import fund
from .documents import money
from .fund_forms import BudgetForm
from .models import FundBudget

bp = Blueprint("fund", __name__, url_prefix="/fund")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Bodies below these do not decide on awards themselves.
NOT_ISSUERS = (UnitKind.VILLAGE, UnitKind.DIVISION)


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else fund.local_today().year


def _issuer_choices() -> list[tuple[int, str]]:
    today = date.today()
    units = db.session.scalars(
        sa.select(Unit).where(Unit.kind.not_in(NOT_ISSUERS), sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= today))
        .order_by(Unit.name_folded)
    )
    return [(u.id, u.name) for u in units]


def _show_error(form, exc: fund.FundError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


@bp.get("/")
@requires("fund.view")
def index():
    year = _year()
    lines = fund.overview(year)
    return render_template("fund/index.html", year=year, lines=lines, years=fund.years_with_data(), money=money,
                           totals={"budget": sum(line.budget.amount for line in lines if line.budget),
                                   "committed": sum(line.committed for line in lines),
                                   "recovered": sum(line.recovered for line in lines)})


@bp.get("/export.xlsx")
@requires("fund.view")
def index_xlsx():
    year = _year()
    rows = ([line.issuer.name, line.budget.amount if line.budget else None, line.decisions, line.committed,
             line.recovered, line.remaining, round(line.percent_used, 1) if line.percent_used is not None else None]
            for line in fund.overview(year))
    return xlsx_response(f"quy-thi-dua-khen-thuong-{year}", f"Quỹ thi đua, khen thưởng năm {year}",
                         [col("Cơ quan, đơn vị"), col("Dự toán (đồng)", "money"), col("Số quyết định", "int"),
                          col("Đã chi (đồng)", "money"), col("Thu hồi (đồng)", "money"),
                          col("Còn lại (đồng)", "money"), col("Đã dùng (%)")], rows, filters={"Năm": year})


@bp.get("/<int:issuer_id>/<int:year>")
@requires("fund.view")
def spending(issuer_id: int, year: int):
    issuer = db.get_or_404(Unit, issuer_id)
    rows = fund.spending(issuer, year)
    return render_template("fund/spending.html", issuer=issuer, year=year, rows=rows, line=fund.fund_line(issuer, year),
                           money=money)


@bp.get("/<int:issuer_id>/<int:year>.xlsx")
@requires("fund.view")
def spending_xlsx(issuer_id: int, year: int):
    issuer = db.get_or_404(Unit, issuer_id)
    return send_file(io.BytesIO(fund.spending_xlsx(issuer, year)), as_attachment=True, mimetype=XLSX,
                     download_name=f"chi-tien-thuong-{issuer.code.lower()}-{year}.xlsx")


@bp.route("/budgets/new", methods=["GET", "POST"])
@requires("fund.manage")
def create_budget():
    form = BudgetForm(issuer_choices=_issuer_choices())
    if request.method == "GET":
        form.year.data = request.args.get("year", type=int) or fund.local_today().year
        form.issuer_unit_id.data = request.args.get("issuer", type=int)
    if form.validate_on_submit():
        issuer = db.session.get(Unit, form.issuer_unit_id.data)
        try:
            budget = fund.create_budget(issuer_unit=issuer, year=form.year.data, amount=form.amount.amount,
                                        note=form.note.data)
        except fund.FundError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã ghi dự toán quỹ năm {budget.year} của {issuer.name}: {money(budget.amount)} đồng.", "success")
            return redirect(url_for("fund.index", year=budget.year))
    return render_template("fund/budget_form.html", form=form, budget=None)


@bp.route("/budgets/<int:budget_id>/edit", methods=["GET", "POST"])
def edit_budget(budget_id: int):
    budget = db.get_or_404(FundBudget, budget_id)
    authorize("fund.manage", budget)
    form = BudgetForm(obj=budget)
    if request.method == "GET":
        form.amount.data = money(budget.amount)
    if form.validate_on_submit():
        try:
            fund.update_budget(budget, amount=form.amount.amount, note=form.note.data)
        except fund.FundError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã sửa dự toán quỹ năm {budget.year} của {budget.issuer_unit.name}.", "success")
            return redirect(url_for("fund.index", year=budget.year))
    return render_template("fund/budget_form.html", form=form, budget=budget)
