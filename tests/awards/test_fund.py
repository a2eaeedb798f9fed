"""The reward fund: budgets, money committed by issued decisions, recovered money, the balance a draft
would leave, and the fund pages."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from tests import factories
from thidua.auth.models import Role
from thidua.awards import fund
from thidua.awards.models import FundBudget
from thidua.rules.models import BaseSalary

YEAR = 2026
PERSON = 2_340_000  # Bằng khen of the provincial chairman, base 2.340.000
COLLECTIVE = 4_680_000


def _revoke(item):
    item.revoked_at = datetime(YEAR, 5, 1, tzinfo=UTC)
    item.revocation_number = "99/QĐ-UBND"
    item.revocation_date = date(YEAR, 4, 30)


@pytest.fixture
def spent(province, unit, db):
    """Province: a budget of 20.000.000 for 2026; two issued decisions in 2026 (one item revoked), one in
    another year, and a draft. The department has an issued decision of its own."""
    people = [factories.make_person(unit=unit) for _ in range(4)]
    budget = fund.create_budget(issuer_unit=province, year=YEAR, amount=20_000_000, note="QĐ giao dự toán")
    first = factories.make_decision(issuer=province, awardees=[unit, people[0]], signed_on=date(YEAR, 3, 5))
    second = factories.make_decision(issuer=province, awardees=[people[1], people[2]], signed_on=date(YEAR, 11, 20))
    _revoke(second.items[1])
    # Another year (five back: make_decision's gold-book year, signed year + 1000 + a sequence number,
    # would collide with a neighbouring year's).
    factories.make_decision(issuer=province, awardees=[people[3]], signed_on=date(YEAR - 5, 12, 31))
    draft = factories.make_decision(issuer=province, awardees=[people[3]], issued=False)
    draft.items[0].amount = PERSON
    factories.make_decision(issuer=unit, code="GK_SO", awardees=[people[0]], signed_on=date(YEAR, 6, 1))
    db.session.flush()
    return {"budget": budget, "first": first, "second": second, "draft": draft}


def test_committed_counts_issued_decisions_of_the_year_without_revoked_items_or_drafts(spent, province):
    line = fund.fund_line(province, YEAR)
    assert line.committed == COLLECTIVE + PERSON + PERSON  # the revoked person, other year and the draft left out
    assert line.recovered == PERSON
    assert line.decisions == 2
    assert line.remaining == 20_000_000 - 9_360_000
    assert round(line.percent_used, 1) == 46.8 and not line.over_budget


def test_overview_lists_every_issuer_with_a_budget_or_decisions(spent, province, unit):
    lines = {line.issuer.id: line for line in fund.overview(YEAR)}
    assert set(lines) == {province.id, unit.id}
    assert lines[unit.id].budget is None and lines[unit.id].remaining is None
    assert lines[unit.id].committed == 710_000  # Giấy khen: 0.3 × 2.340.000 = 702.000 → 710.000


def test_balance_after_draft_adds_its_money_to_the_others(spent):
    balance = fund.balance_after(spent["draft"])
    assert balance == fund.FundBalance(budget=20_000_000, committed=9_360_000, this_decision=PERSON,
                                       remaining=20_000_000 - 9_360_000 - PERSON)
    assert not balance.over_budget


def test_balance_after_issued_decision_does_not_count_it_twice(spent):
    balance = fund.balance_after(spent["first"])
    assert balance.committed == PERSON and balance.this_decision == COLLECTIVE + PERSON
    assert balance.remaining == 20_000_000 - 9_360_000


def test_balance_after_draft_without_amounts_prices_items_with_todays_base_salary(province, unit, db):
    from thidua.awards.prize import NoBaseSalary, base_salary_on

    try:
        base = base_salary_on(fund.local_today()).amount
    except NoBaseSalary:
        db.session.add(BaseSalary(amount=2_340_000, effective_from=date(2024, 7, 1)))
        base = 2_340_000
    fund.create_budget(issuer_unit=province, year=fund.local_today().year, amount=1_000_000)
    draft = factories.make_decision(issuer=province, awardees=[unit, factories.make_person(unit=unit)], issued=False)
    balance = fund.balance_after(draft)
    assert balance.this_decision == 3 * base
    assert balance.over_budget and balance.remaining == 1_000_000 - 3 * base


def test_balance_without_budget_has_no_remaining(province, unit):
    decision = factories.make_decision(issuer=province, awardees=[unit], signed_on=date(YEAR, 1, 2))
    assert fund.balance_after(decision) == fund.FundBalance(budget=None, committed=0, this_decision=COLLECTIVE,
                                                            remaining=None)


def test_create_budget_twice_for_same_issuer_and_year_is_refused(province):
    fund.create_budget(issuer_unit=province, year=YEAR, amount=1)
    with pytest.raises(fund.FundError) as exc:
        fund.create_budget(issuer_unit=province, year=YEAR, amount=2)
    assert exc.value.field == "year" and "Đã có dự toán quỹ năm 2026" in str(exc.value)


def test_spending_lists_each_decision_with_count_amount_and_recovered(spent, province):
    rows = fund.spending(province, YEAR)
    assert [r.decision.id for r in rows] == [spent["first"].id, spent["second"].id]
    assert [(r.awardees, r.amount, r.recovered) for r in rows] == [(2, COLLECTIVE + PERSON, 0), (1, PERSON, PERSON)]


def test_spending_xlsx_has_decisions_money_format_and_sum_formulas(spent, province):
    sheet = openpyxl.load_workbook(io.BytesIO(fund.spending_xlsx(province, YEAR))).active
    assert sheet.title == "Chi tiền thưởng" and sheet.freeze_panes == "A3"
    assert "2026" in sheet["A1"].value and "UBND TỈNH THANH HÓA" in sheet["A1"].value
    assert sheet["B3"].value == spent["first"].number and sheet["F3"].value == COLLECTIVE + PERSON
    assert sheet["F4"].value == PERSON and sheet["G4"].value == PERSON
    assert sheet["B5"].value == "Tổng cộng" and sheet["F5"].value == "=SUM(F3:F4)" and sheet["G5"].value == "=SUM(G3:G4)"
    assert sheet["F3"].number_format == "#,##0" and sheet["F5"].number_format == "#,##0"
    assert sheet["F7"].value == 20_000_000 and sheet["F8"].value == "=F7-F5"


# --- pages --------------------------------------------------------------------------------------------

def test_overview_page_shows_budget_committed_and_remaining(spent, users, login_as):
    page = login_as(users[Role.APPROVER]).get(f"/fund/?year={YEAR}").get_data(as_text=True)
    assert "UBND tỉnh Thanh Hóa" in page and "20.000.000" in page and "9.360.000" in page and "10.640.000" in page
    assert "46,8%" in page and "Vượt dự toán" not in page
    assert "Ghi dự toán quỹ" not in page  # the approver looks, the secretariat manages


def test_overview_page_warns_when_over_budget(spent, users, login_as, db):
    spent["budget"].amount = 5_000_000
    db.session.flush()
    page = login_as(users[Role.SECRETARIAT]).get(f"/fund/?year={YEAR}").get_data(as_text=True)
    assert "Vượt dự toán" in page and "table-danger" in page and "-4.360.000" in page


def test_spending_page_lists_decisions_and_its_export_downloads(spent, province, users, login_as):
    client = login_as(users[Role.SECRETARIAT])
    page = client.get(f"/fund/{province.id}/{YEAR}").get_data(as_text=True)
    assert spent["first"].number in page and spent["second"].number in page
    assert "(thu hồi 1)" in page and "Chưa có dự toán" not in page
    response = client.get(f"/fund/{province.id}/{YEAR}.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")


def test_fund_pages_are_forbidden_to_unit_officer(spent, province, users, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.get("/fund/").status_code == 403
    assert client.get(f"/fund/{province.id}/{YEAR}").status_code == 403


def test_create_budget_by_secretariat_saves_it(province, users, login_as, db):
    response = login_as(users[Role.SECRETARIAT]).post("/fund/budgets/new", data={
        "issuer_unit_id": province.id, "year": YEAR, "amount": "500.000.000", "note": "QĐ số 10/QĐ-UBND"})
    assert response.status_code == 302
    budget = db.session.scalar(db.select(FundBudget))
    assert (budget.issuer_unit_id, budget.year, budget.amount) == (province.id, YEAR, 500_000_000)


def test_create_budget_duplicate_shows_error_beside_year_and_keeps_typed_amount(province, users, login_as):
    fund.create_budget(issuer_unit=province, year=YEAR, amount=1)
    page = login_as(users[Role.SECRETARIAT]).post("/fund/budgets/new", data={
        "issuer_unit_id": province.id, "year": YEAR, "amount": "123.456.000"}).get_data(as_text=True)
    assert "Đã có dự toán quỹ năm 2026" in page and 'value="123.456.000"' in page


def test_create_budget_with_bad_amount_is_refused(province, users, login_as, db):
    page = login_as(users[Role.SECRETARIAT]).post("/fund/budgets/new", data={
        "issuer_unit_id": province.id, "year": YEAR, "amount": "năm trăm triệu"}).get_data(as_text=True)
    assert "Số tiền không hợp lệ" in page and db.session.scalar(db.select(FundBudget)) is None


def test_edit_budget_changes_amount(spent, users, login_as, db):
    budget = spent["budget"]
    client = login_as(users[Role.ADMIN])
    assert 'value="20.000.000"' in client.get(f"/fund/budgets/{budget.id}/edit").get_data(as_text=True)
    assert client.post(f"/fund/budgets/{budget.id}/edit", data={"amount": "25.000.000"}).status_code == 302
    db.session.refresh(budget)
    assert budget.amount == 25_000_000


def test_budget_pages_are_forbidden_to_approver(spent, users, login_as):
    client = login_as(users[Role.APPROVER])
    assert client.get("/fund/budgets/new").status_code == 403
    assert client.post(f"/fund/budgets/{spent['budget'].id}/edit", data={"amount": "1"}).status_code == 403


def test_create_budget_without_csrf_token_is_refused(csrf_app, province, users, login_as, db):
    response = login_as(users[Role.SECRETARIAT]).post("/fund/budgets/new", data={
        "issuer_unit_id": province.id, "year": YEAR, "amount": "1.000"})
    assert response.status_code in (200, 400) and db.session.scalar(db.select(FundBudget)) is None


def test_new_budget_link_from_overview_preselects_issuer_and_year(spent, unit, users, login_as):
    client = login_as(users[Role.SECRETARIAT])
    overview = client.get(f"/fund/?year={YEAR}").get_data(as_text=True)
    link = f"/fund/budgets/new?year={YEAR}&amp;issuer={unit.id}"
    assert link in overview  # the department has spent money but has no budget yet
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<option selected value="{unit.id}">' in form and f'value="{YEAR}"' in form
