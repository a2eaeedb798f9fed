"""Excel exports of the remaining list pages: each file holds the rows its page shows under the same
filters, and each export is refused to whoever may not see its list."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from thidua.auth.models import Role
from thidua.awards import proposals as proposal_services
from thidua.awards.models import FundBudget
from thidua.certificates.models import JobStatus, PrintJob, PrintMode
from thidua.exports import HEADER_ROW
from thidua.extensions import db as _db
from thidua.notices import services as notice_services

from . import factories


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Disposition"].isascii()
    return load_workbook(io.BytesIO(response.data)).active


def _data(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


def test_registration_export_lists_the_units_registered_in_the_campaign(db, unit, users, login_as):
    campaign = factories.make_campaign(name="Thi đua dạy tốt, học tốt")
    other = factories.make_unit(name="Sở Y tế")
    factories.make_registration(campaign, unit, commitments="Tập thể lao động xuất sắc")
    factories.make_registration(factories.make_campaign(), other)
    client = login_as(users[Role.SECRETARIAT])
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"/campaigns/{campaign.id}/registrations/export.xlsx" in page
    ws = _sheet(client.get(f"/campaigns/{campaign.id}/registrations/export.xlsx"))
    assert [r[:3] for r in _data(ws)] == [(unit.name, unit.code, "Tập thể lao động xuất sắc")]
    assert isinstance(_data(ws)[0][3], datetime)
    assert "Thi đua dạy tốt, học tốt" in ws["A2"].value


def test_registry_export_has_the_searched_people_and_their_awards(db, unit, users, login_as):
    an = factories.make_person(full_name="Nguyễn Văn An", unit=unit)
    factories.make_person(full_name="Trần Thị Bình", unit=unit)
    factories.make_award_record(code="LDTT", year=2024, person=an)
    client = login_as(users[Role.SECRETARIAT])
    page = client.get("/registry/?q=nguyen+van").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" not in page
    assert "/registry/export.xlsx?what=people" in page
    ws = _sheet(client.get("/registry/export.xlsx?what=people&q=nguyen+van"))
    rows = _data(ws)
    assert [(r[0], r[3]) for r in rows] == [("Nguyễn Văn An", unit.name)]
    assert "(2024)" in rows[0][5]
    assert "nguyen van" in ws["A2"].value


def test_registry_export_of_units_applies_the_award_year(db, unit, users, login_as):
    other = factories.make_unit(name="Sở Y tế")
    factories.make_award_record(code="TTLDXS", year=2023, unit=unit)
    factories.make_award_record(code="TTLDXS", year=2021, unit=other)
    ws = _sheet(login_as(users[Role.SECRETARIAT]).get("/registry/export.xlsx?what=units&year=2023"))
    assert [r[0] for r in _data(ws)] == [unit.name]


def test_proposal_export_applies_the_status_filter(db, unit, users, login_as):
    upward = [factories.make_nomination(unit=unit, code="BK_TTG", status="approved", year=2025) for _ in range(3)]
    draft = proposal_services.create_proposal(
        award_type=upward[0].award_type, year=2025, nomination_ids=[upward[0].id, upward[1].id],
        number="1/TTr-UBND", dated_on=date(2026, 1, 20), actor=None)
    sent = proposal_services.create_proposal(
        award_type=upward[2].award_type, year=2025, nomination_ids=[upward[2].id],
        number="2/TTr-UBND", dated_on=date(2026, 1, 21), actor=None)
    proposal_services.submit(sent, actor=None, submitted_on=date(2026, 1, 22))
    client = login_as(users[Role.SECRETARIAT])
    status = draft.status.value
    assert f"/proposals/export.xlsx?status={status}" in client.get(f"/proposals/?status={status}").get_data(as_text=True)
    rows = _data(_sheet(client.get(f"/proposals/export.xlsx?status={status}")))
    assert [(r[0], r[1], r[5]) for r in rows] == [("1/TTr-UBND", datetime(2026, 1, 20), 2)]
    assert len(_data(_sheet(client.get("/proposals/export.xlsx")))) == 2


def test_council_session_export_lists_that_councils_sessions(db, unit, users, login_as):
    council = factories.make_council(unit=unit)
    factories.make_session(council=council, title="Phiên họp xét khen thưởng năm 2025", held_on=date(2025, 12, 3),
                           nominations=[factories.make_nomination(unit=unit, status="accepted")])
    factories.make_session(council=factories.make_council(unit=unit, name="Hội đồng khác"), title="Phiên khác")
    client = login_as(users[Role.SECRETARIAT])
    assert f"/councils/{council.id}/sessions/export.xlsx" in client.get(f"/councils/{council.id}").get_data(as_text=True)
    rows = _data(_sheet(client.get(f"/councils/{council.id}/sessions/export.xlsx")))
    assert [(r[0], r[1], r[4]) for r in rows] == [("Phiên họp xét khen thưởng năm 2025", datetime(2025, 12, 3), 1)]


def test_cluster_year_export_applies_the_cluster_filter(db, users, login_as):
    kept = factories.make_cluster_year(year=2025)
    factories.make_cluster_year(year=2024)
    client = login_as(users[Role.SECRETARIAT])
    url = f"/cluster-years/export.xlsx?cluster={kept.cluster_id}"
    assert url in client.get(f"/cluster-years/?cluster={kept.cluster_id}").get_data(as_text=True)
    ws = _sheet(client.get(url))
    assert [(r[0], r[1]) for r in _data(ws)] == [(2025, kept.cluster.name)]
    assert kept.cluster.name in ws["A2"].value
    assert len(_data(_sheet(client.get("/cluster-years/export.xlsx")))) == 2


def test_notice_export_has_the_state_and_counts_of_each_notice(db, unit, users, login_as):
    today = notice_services.local_today()
    nominations = [factories.make_nomination(unit=unit, code="BK_TINH", status="accepted") for _ in range(2)]
    notice_services.create_notice(title="Lấy ý kiến về Bằng khen của Chủ tịch UBND tỉnh",
                                  award_type=factories.award_type("BK_TINH"), starts_on=today - timedelta(days=2),
                                  ends_on=today + timedelta(days=8), nomination_ids=[n.id for n in nominations],
                                  actor=None)
    client = login_as(users[Role.SECRETARIAT])
    assert "/notices/export.xlsx" in client.get("/notices/").get_data(as_text=True)
    rows = _data(_sheet(client.get("/notices/export.xlsx")))
    assert [(r[0], r[2], r[4], r[5], r[6]) for r in rows] == [
        ("Lấy ý kiến về Bằng khen của Chủ tịch UBND tỉnh", datetime.combine(today - timedelta(days=2), datetime.min.time()),
         "Đang công khai", 2, 0)]


def test_unit_export_applies_the_search_and_the_tree(db, province, unit, users, login_as):
    client = login_as(users[Role.SECRETARIAT])
    page = client.get("/units/?q=giao+duc").get_data(as_text=True)
    assert "/units/export.xlsx?q=giao" in page
    rows = _data(_sheet(client.get("/units/export.xlsx?q=giao+duc")))
    assert [r[0] for r in rows] == [unit.code]
    assert rows[0][3] == province.name
    tree = [r[1] for r in _data(_sheet(client.get("/units/export.xlsx")))]
    assert tree.index(province.name) < tree.index(unit.name)  # a parent before what it holds
    assert set(tree) >= {province.name, unit.name} and len(tree) >= 3


def test_print_job_export_lists_the_decisions_jobs(db, province, unit, users, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit), unit])
    other = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)])
    db.session.add_all([PrintJob(decision=decision, mode=PrintMode.FULL, copies=2, total=4, status=JobStatus.DONE),
                        PrintJob(decision=other, mode=PrintMode.FULL, total=1)])
    db.session.flush()
    client = login_as(users[Role.SECRETARIAT])
    url = f"/print-jobs/decisions/{decision.id}/export.xlsx"
    assert url in client.get(f"/print-jobs/decisions/{decision.id}").get_data(as_text=True)
    rows = _data(_sheet(client.get(url)))
    assert [(r[1], r[3], r[4], r[6]) for r in rows] == [("Toàn bộ quyết định", 2, 4, JobStatus.DONE.label)]
    assert isinstance(rows[0][0], datetime)


def test_fund_export_has_the_years_budget_and_spending(db, province, unit, users, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)])
    year = decision.signed_on.year
    db.session.add(FundBudget(issuer_unit=province, year=year, amount=100_000_000))
    db.session.flush()
    client = login_as(users[Role.APPROVER])
    assert f"/fund/export.xlsx?year={year}" in client.get(f"/fund/?year={year}").get_data(as_text=True)
    ws = _sheet(client.get(f"/fund/export.xlsx?year={year}"))
    rows = _data(ws)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(province.name, 100_000_000, 1, decision.total_amount)]
    assert ws.cell(HEADER_ROW + 1, 2).number_format == "#,##0"
    assert _data(_sheet(client.get(f"/fund/export.xlsx?year={year - 3}"))) == []


def test_rubric_export_lists_the_rubrics(db, users, login_as):
    factories.make_rubric(name="Bảng điểm xét Chiến sĩ thi đua", criteria=[(10, 1), (20, 2)])
    client = login_as(users[Role.SECRETARIAT])
    assert "/rubrics/export.xlsx" in client.get("/rubrics/").get_data(as_text=True)
    rows = _data(_sheet(client.get("/rubrics/export.xlsx")))
    assert [(r[0], r[2], r[4]) for r in rows] == [("Bảng điểm xét Chiến sĩ thi đua", 2, "Đang sử dụng")]


def test_catalogue_export_has_one_row_per_title_or_form(db, users, login_as):
    bk = factories.award_type("BK_TINH")
    client = login_as(users[Role.UNIT_OFFICER])
    assert "/catalogue/export.xlsx" in client.get("/catalogue/").get_data(as_text=True)
    rows = _data(_sheet(client.get("/catalogue/export.xlsx")))
    codes = [r[2] for r in rows]
    assert len(codes) == len(set(codes)) and "BK_TINH" in codes
    assert rows[codes.index("BK_TINH")][3] == bk.name


@pytest.mark.parametrize(("url", "allowed", "refused"), [
    ("/registry/export.xlsx?q=an", Role.UNIT_OFFICER, None),
    ("/proposals/export.xlsx", Role.APPROVER, Role.UNIT_OFFICER),
    ("/cluster-years/export.xlsx", Role.UNIT_OFFICER, Role.COUNCIL_MEMBER),
    ("/notices/export.xlsx", Role.COUNCIL_MEMBER, Role.UNIT_OFFICER),
    ("/units/export.xlsx", Role.SECRETARIAT, Role.UNIT_OFFICER),
    ("/fund/export.xlsx", Role.APPROVER, Role.UNIT_OFFICER),
    ("/rubrics/export.xlsx", Role.SECRETARIAT, None),
    ("/catalogue/export.xlsx", Role.UNIT_OFFICER, None),
])
def test_export_follows_its_list_permission(db, users, login_as, client, url, allowed, refused):
    assert login_as(users[allowed]).get(url).status_code == 200
    if refused is not None:
        assert login_as(users[refused]).get(url).status_code == 403
    assert client.get(url).status_code in (302, 401)


def test_object_exports_follow_their_objects_permission(db, province, unit, users, login_as):
    council = factories.make_council(unit=unit)
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)])
    draft = factories.make_campaign(status="draft")
    _db.session.flush()
    officer = login_as(users[Role.UNIT_OFFICER])
    assert officer.get(f"/councils/{council.id}/sessions/export.xlsx").status_code == 403
    assert officer.get(f"/print-jobs/decisions/{decision.id}/export.xlsx").status_code == 403
    assert officer.get(f"/campaigns/{draft.id}/registrations/export.xlsx").status_code == 403
    assert login_as(users[Role.APPROVER]).get(f"/councils/{council.id}/sessions/export.xlsx").status_code == 200
