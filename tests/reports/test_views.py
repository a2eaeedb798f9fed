from __future__ import annotations

import pytest

from thidua.auth.models import Role

from .conftest import YEAR

STAT_ROLES_ALLOWED = {Role.ADMIN, Role.SECRETARIAT, Role.APPROVER}


@pytest.mark.parametrize("role", list(Role))
def test_statistics_are_for_staff_and_approvers_only(dataset, users, login_as, role):
    response = login_as(users[role]).get(f"/reports/statistics?year={YEAR}")
    assert response.status_code == (200 if role in STAT_ROLES_ALLOWED else 403)


def test_statistics_page_asks_login_when_anonymous(client, db):
    assert client.get("/reports/statistics").status_code == 302


def test_form_page_links_each_nonzero_number_to_the_rows_it_counts(dataset, users, login_as):
    web = login_as(users[Role.SECRETARIAT])
    page = web.get(f"/reports/statistics/0603?year={YEAR}").get_data(as_text=True)
    assert "Biểu số 0603.N/BNV-TĐKT" in page and "Ban hành kèm theo Thông tư số 02/2023/TT-BNV" in page
    assert "Bộ Nội vụ" in page and "Năm 2025" in page
    link = f"/reports/statistics/0603/cell?row=total&amp;col=cstd&amp;year={YEAR}"
    assert link in page
    assert "row=total&amp;col=knc" not in page  # a zero is plain text
    cell = web.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert '<strong id="cell-count">2</strong>' in cell
    assert "Chiến sĩ thi đua cấp tỉnh" in cell


def test_cell_of_a_unknown_row_is_not_found(dataset, users, login_as):
    web = login_as(users[Role.SECRETARIAT])
    assert web.get(f"/reports/statistics/0603/cell?row=nope&col=total&year={YEAR}").status_code == 404
    assert web.get(f"/reports/statistics/0699?year={YEAR}").status_code == 404


def test_unit_filter_narrows_the_form(dataset, users, login_as):
    page = login_as(users[Role.APPROVER]).get(f"/reports/statistics/0601/cell?row=total&col=total&year={YEAR}"
                                               f"&unit={dataset.unit.id}").get_data(as_text=True)
    assert '<strong id="cell-count">2</strong>' in page


def test_downloads_are_files(dataset, users, login_as):
    web = login_as(users[Role.SECRETARIAT])
    xlsx = web.get(f"/reports/statistics/0602/xlsx?year={YEAR}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    pdf = web.get(f"/reports/statistics/pdf?year={YEAR}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_annual_report_shows_due_date_and_numbers(dataset, users, login_as):
    page = login_as(users[Role.SECRETARIAT]).get(f"/reports/annual?year={YEAR}").get_data(as_text=True)
    assert "trước ngày 10/12/2025" in page
    assert "Toàn tỉnh" in page and "Bằng khen của Chủ tịch UBND tỉnh" in page


def test_unit_officer_gets_their_own_unit_report(dataset, users, login_as):
    web = login_as(users[Role.UNIT_OFFICER])
    response = web.get(f"/reports/annual?year={YEAR}")
    assert response.status_code == 302 and f"unit={dataset.unit.id}" in response.location
    assert web.get(f"/reports/annual?year={YEAR}&unit={dataset.school.id}").status_code == 200  # below their unit


def test_unit_officer_cannot_open_another_units_report(dataset, users, login_as):
    web = login_as(users[Role.UNIT_OFFICER])
    for path in ("/reports/annual", "/reports/annual/pdf", "/reports/annual/xlsx"):
        assert web.get(f"{path}?year={YEAR}&unit={dataset.other.id}").status_code == 403


def test_annual_report_is_refused_to_council_members(dataset, users, login_as):
    assert login_as(users[Role.COUNCIL_MEMBER]).get(f"/reports/annual?year={YEAR}").status_code == 403


def test_annual_files_download(dataset, users, login_as):
    web = login_as(users[Role.UNIT_OFFICER])
    assert web.get(f"/reports/annual/xlsx?year={YEAR}&unit={dataset.unit.id}").data[:2] == b"PK"
    assert web.get(f"/reports/annual/pdf?year={YEAR}&unit={dataset.unit.id}").data[:4] == b"%PDF"
