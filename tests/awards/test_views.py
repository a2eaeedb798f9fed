"""Decision pages: the listing, drafts, issuing, the annex with gold-book numbers and money, revocation,
and the base-salary page of the catalogue."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.awards import services
from thidua.awards.models import Decision, DecisionStatus
from thidua.filters import vnd
from thidua.nominations.models import NominationStatus
from thidua.rules.models import BaseSalary

from .test_services import approved, draft


def text(response) -> str:
    """The page as a reader sees it: no tags, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_vnd_filter_puts_dots_between_thousands():
    assert (vnd(2_340_000), vnd(450_000), vnd(0), vnd(None)) == ("2.340.000 đ", "450.000 đ", "0 đ", "")


def test_list_filters_by_status(db, province, unit, users, login_as):
    issued = services.issue_decision(draft(province, [approved(unit)]), number="12/QĐ-UBND", signed_on=date(2025, 1, 5),
                                     signer_name="Đỗ Minh Tuấn", signer_title="CHỦ TỊCH", actor=None)
    draft(province, [approved(unit)], subject="Về việc tặng Bằng khen đợt hai")
    client = login_as(users[Role.APPROVER])
    page = text(client.get("/decisions/?status=issued"))
    assert issued.number in page and "đợt hai" not in page
    assert "đợt hai" in text(client.get("/decisions/?status=draft"))


def test_list_for_unit_officer_is_forbidden(users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).get("/decisions/").status_code == 403


def test_new_draft_page_lists_approved_dossiers_all_checked(db, province, unit, users, login_as):
    nomination = approved(unit, person=factories.make_person(full_name="Lê Thị Thanh Tâm", unit=unit))
    factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")  # not approved: not offered
    response = login_as(users[Role.SECRETARIAT]).get(f"/decisions/new?award_type={nomination.award_type_id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.count('name="nomination_ids"') == 1
    assert re.search(rf'value="{nomination.id}"[^>]*checked|checked[^>]*value="{nomination.id}"', body)
    assert "Lê Thị Thanh Tâm" in body


def test_create_draft_posts_and_redirects_to_draft(db, province, unit, users, login_as):
    a, b = approved(unit), approved(unit, nominee_unit=unit.children[0])
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/decisions/new?award_type={a.award_type_id}",
        data={"issuer_unit_id": province.id, "method": "regular", "year": "2024", "subject": "",
              "issuer_title": "", "achievement_default": "", "nomination_ids": [a.id, b.id]})
    assert response.status_code == 302
    decision = db.session.scalar(sa.select(Decision))
    assert response.location.endswith(f"/decisions/{decision.id}")
    assert [i.nomination_id for i in decision.items] == [b.id, a.id]
    assert decision.subject == "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh"


def test_create_draft_without_dossier_shows_error_and_saves_nothing(db, province, unit, users, login_as):
    a = approved(unit)
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/decisions/new?award_type={a.award_type_id}",
        data={"issuer_unit_id": province.id, "method": "regular", "year": "2024", "subject": "Về việc X"})
    assert response.status_code == 200
    assert "Vui lòng chọn ít nhất một hồ sơ." in text(response)
    assert 'value="Về việc X"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_draft_page_shows_running_total_with_base_salary_of_chosen_day(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit), approved(unit, nominee_unit=unit.children[0])])
    client = login_as(users[Role.SECRETARIAT])
    assert "Tổng tiền thưởng: 7.020.000 đ" in text(client.get(f"/decisions/{decision.id}?on=01/07/2024"))
    assert "Tổng tiền thưởng: 5.400.000 đ" in text(client.get(f"/decisions/{decision.id}?on=30/06/2024"))


def test_move_item_down_reorders_annex(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit), approved(unit)])
    first, second = decision.items
    response = login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/items/{first.id}/move",
                                                      data={"direction": "down"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [i.id for i in db.session.get(Decision, decision.id).items] == [second.id, first.id]


def test_remove_item_takes_it_off_the_draft(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit), approved(unit)])
    gone = decision.items[0].id
    login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/items/{gone}/remove")
    db.session.expire_all()
    assert [i.position for i in db.session.get(Decision, decision.id).items] == [1]


def test_edit_item_of_other_decision_is_404(db, province, unit, users, login_as):
    one, other = draft(province, [approved(unit)]), draft(province, [approved(unit)])
    response = login_as(users[Role.SECRETARIAT]).get(f"/decisions/{one.id}/items/{other.items[0].id}/edit")
    assert response.status_code == 404


def test_edit_item_saves_printed_texts(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit)])
    item = decision.items[0]
    login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/items/{item.id}/edit", data={
        "awardee_name": "Bà Lê Thị Tâm", "awardee_detail": "Giáo viên", "achievement": "Có thành tích xuất sắc."})
    db.session.expire_all()
    assert db.session.get(type(item), item.id).awardee_name == "Bà Lê Thị Tâm"


def test_edit_header_of_issued_decision_is_forbidden(db, province, unit, users, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)])
    assert login_as(users[Role.SECRETARIAT]).get(f"/decisions/{decision.id}/edit").status_code == 403


def _issue_data(**overrides):
    data = {"number": "1234/QĐ-UBND", "signed_on": (date.today() - timedelta(days=1)).strftime("%d/%m/%Y"),
            "signer_name": "Đỗ Minh Tuấn", "signer_choice": "vice_chairman", "signer_other": ""}
    data.update(overrides)
    return data


def test_issue_page_shows_fund_balance_after_this_decision(db, province, unit, users, login_as):
    from thidua.awards.models import FundBudget

    db.session.add(FundBudget(issuer_unit=province, year=date.today().year, amount=10_000_000))
    decision = draft(province, [approved(unit)], year=date.today().year - 1)
    page = text(login_as(users[Role.SECRETARIAT]).get(f"/decisions/{decision.id}/issue"))
    assert "10.000.000 đ" in page and "Còn lại sau quyết định này" in page
    assert "7.660.000 đ" in page  # 10,000,000 − 2,340,000


def test_issue_with_malformed_number_shows_error_beside_field_and_keeps_input(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit)], year=date.today().year - 1)
    response = login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/issue",
                                                      data=_issue_data(number="1234/QD-UBND"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ví dụ 1234/QĐ-UBND" in body and 'value="1234/QD-UBND"' in body and "is-invalid" in body
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).status == DecisionStatus.DRAFT


def test_issue_with_taken_number_shows_error_and_saves_nothing(db, province, unit, users, login_as):
    year = date.today().year
    factories.make_decision(issuer=province, number="1234/QĐ-UBND", awardees=[factories.make_person(unit=unit)],
                            signed_on=date.today() - timedelta(days=1))
    nomination = approved(unit, year=year - 1)
    decision = draft(province, [nomination], year=year - 1)
    response = login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/issue", data=_issue_data())
    assert "đã được dùng" in text(response)
    db.session.expire_all()
    assert db.session.get(type(nomination), nomination.id).status == NominationStatus.APPROVED


def test_issue_then_annex_shows_gold_book_numbers_money_and_codes(db, province, unit, users, login_as):
    decision = draft(province, [approved(unit), approved(unit, nominee_unit=unit.children[0])],
                     year=date.today().year - 1)
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(f"/decisions/{decision.id}/issue", data=_issue_data())
    assert response.status_code == 302
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    assert decision.is_issued and decision.signer_title == "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    page = text(client.get(f"/decisions/{decision.id}"))
    assert "Quyết định số 1234/QĐ-UBND" in page
    assert "4.680.000 đ" in page and "2.340.000 đ" in page and "Tổng tiền thưởng: 7.020.000 đ" in page
    collective, person = decision.items
    # amount, gold-book number and verification code, row by row
    assert f"4.680.000 đ 1 {collective.verify_code}" in page
    assert f"2.340.000 đ 2 {person.verify_code}" in page


def test_issue_without_csrf_token_is_refused(db, province, unit, users, login_as, csrf_app):
    decision = draft(province, [approved(unit)], year=date.today().year - 1)
    response = login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/issue", data=_issue_data())
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).status == DecisionStatus.DRAFT


def test_revoke_marks_item_on_annex(db, province, unit, users, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)],
                                       signed_on=date.today() - timedelta(days=10))
    item = decision.items[0]
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(f"/decisions/{decision.id}/items/{item.id}/revoke", data={
        "number": "77/QĐ-UBND", "dated_on": date.today().strftime("%d/%m/%Y"), "reason": "Khai không đúng thành tích."})
    assert response.status_code == 302
    page = text(client.get(f"/decisions/{decision.id}"))
    assert "Đã thu hồi" in page and "77/QĐ-UBND" in page
    assert client.get(f"/decisions/{decision.id}/items/{item.id}/revoke").status_code == 403  # not twice


def test_revoke_without_reason_shows_error(db, province, unit, users, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)],
                                       signed_on=date.today() - timedelta(days=10))
    item = decision.items[0]
    response = login_as(users[Role.SECRETARIAT]).post(f"/decisions/{decision.id}/items/{item.id}/revoke", data={
        "number": "77/QĐ-UBND", "dated_on": date.today().strftime("%d/%m/%Y"), "reason": ""})
    assert "Vui lòng ghi rõ lý do thu hồi." in text(response)


# --- base salaries ---------------------------------------------------------------------------------

def test_base_salary_page_lists_seeded_amounts_and_marks_current(db, users, login_as):
    factories.award_type("LDTT")  # seeds the catalogue
    page = text(login_as(users[Role.SECRETARIAT]).get("/catalogue/base-salaries"))
    assert "1.490.000 đ" in page and "1.800.000 đ" in page and "2.340.000 đ" in page
    assert "Đang áp dụng" in page


def test_admin_adds_base_salary_typed_with_dots(db, users, login_as):
    response = login_as(users[Role.ADMIN]).post("/catalogue/base-salaries/new", data={
        "amount": "2.530.000", "effective_from": "01/07/2026", "legal_ref": "Nghị định mới"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(BaseSalary.amount).where(BaseSalary.effective_from == date(2026, 7, 1))) \
        == 2_530_000


def test_add_base_salary_same_day_twice_shows_error(db, users, login_as):
    factories.award_type("LDTT")
    response = login_as(users[Role.ADMIN]).post("/catalogue/base-salaries/new", data={
        "amount": "9.999.000", "effective_from": "01/07/2024"})
    assert response.status_code == 200 and "Đã có mức lương cơ sở áp dụng từ ngày 01/07/2024." in text(response)


def test_add_base_salary_by_secretariat_is_forbidden(users, login_as):
    assert login_as(users[Role.SECRETARIAT]).get("/catalogue/base-salaries/new").status_code == 403
