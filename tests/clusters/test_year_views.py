import io
import re

import openpyxl
import pytest

from thidua.auth.models import Role
from thidua.clusters import scoring, years
from thidua.clusters.models import ClusterYear, ClusterYearStatus, SheetKind

from ..factories import award_type, make_cluster_year, make_unit, make_user


@pytest.fixture
def year(db, unit, users):
    """A year of a cluster of `unit` (the officer's department) and two other departments, scoring."""
    others = [make_unit(name="Sở Y tế"), make_unit(name="Sở Tài chính")]
    return make_cluster_year(units=[unit, *others], status="scoring", signed=True, head=others[0])


def ids(cy):
    return {c.code: c.id for c in cy.criteria}


def form_points(cy, **over):
    i = ids(cy)
    data = {f"p{i['1']}": "25", f"p{i['2']}": "25", f"p{i['3']}": "15", f"p{i['4']}": "15", f"p{i['T']}": "",
            f"p{i['Tr']}": "", "comment": "Đơn vị hoàn thành tốt nhiệm vụ"}
    data.update({f"p{i[k]}": v for k, v in over.items()})
    return data


@pytest.mark.parametrize(("role", "status"), [(Role.SECRETARIAT, 200), (Role.APPROVER, 200), (Role.UNIT_OFFICER, 200),
                                              (Role.COUNCIL_MEMBER, 403)])
def test_year_page_by_role(year, users, login_as, role, status):
    assert login_as(users[role]).get(f"/cluster-years/{year.id}").status_code == status


def test_year_page_for_officer_of_a_unit_outside_the_cluster_is_forbidden(year, login_as):
    outsider = make_user(roles=[Role.UNIT_OFFICER], unit=make_unit())
    assert login_as(outsider).get(f"/cluster-years/{year.id}").status_code == 403


def test_year_page_lists_the_officers_sheets_to_fill(year, users, unit, login_as):
    page = login_as(users[Role.UNIT_OFFICER]).get(f"/cluster-years/{year.id}").get_data(as_text=True)
    assert f"/cluster-years/{year.id}/score/self/{unit.id}" in page
    assert page.count(f"/by/{unit.id}") == 2  # one cross sheet per other member


def test_create_year_copies_criteria_and_duplicate_keeps_typed_data(db, users, login_as):
    old = make_cluster_year(year=2024)
    client = login_as(users[Role.SECRETARIAT])
    data = {"year": "2025", "vote_threshold": "0,6", "flag_count": "1", "bk_count": "3"}
    response = client.post(f"/cluster-years/new/{old.cluster_id}", data=data)
    assert response.status_code == 302
    created = db.session.scalar(db.select(ClusterYear).where(ClusterYear.year == 2025))
    assert len(created.criteria) == len(old.criteria) and created.bk_count == 3
    again = client.post(f"/cluster-years/new/{old.cluster_id}", data={**data, "vote_threshold": "0,75"})
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and "đã có năm 2025" in page and 'value="0,75"' in page


def test_self_score_by_subject_officer_is_saved_and_submitted(year, users, unit, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    response = client.post(f"/cluster-years/{year.id}/score/self/{unit.id}", data={**form_points(year), "submit_sheet": "1"})
    assert response.status_code == 302
    sheet = scoring.find_sheet(year, SheetKind.SELF, unit.id)
    assert sheet.submitted_at is not None and scoring.sheet_total(sheet) == 80.0


def test_self_score_with_bonus_over_limit_shows_error_beside_field_and_keeps_data(year, users, unit, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    response = client.post(f"/cluster-years/{year.id}/score/self/{unit.id}", data=form_points(year, T="7", **{"1": "24,5"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Điểm thưởng vượt giới hạn 5 của mục T." in page
    assert 'value="7"' in page and 'value="24,5"' in page and "Đơn vị hoàn thành tốt nhiệm vụ" in page
    assert scoring.find_sheet(year, SheetKind.SELF, unit.id) is None


def test_self_score_of_another_unit_is_forbidden(year, users, login_as):
    other = years.members(year)[0]
    other = other if other.name != "Sở Giáo dục và Đào tạo" else years.members(year)[1]
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.post(f"/cluster-years/{year.id}/score/self/{other.id}", data=form_points(year)).status_code == 403


def test_cross_score_of_own_unit_is_forbidden(year, users, unit, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    url = f"/cluster-years/{year.id}/score/cross/{unit.id}/by/{unit.id}"
    assert client.post(url, data=form_points(year)).status_code == 403
    assert year.sheets == []


def test_cross_score_of_another_member_is_saved(year, users, unit, login_as):
    other = next(u for u in years.members(year) if u.id != unit.id)
    client = login_as(users[Role.UNIT_OFFICER])
    response = client.post(f"/cluster-years/{year.id}/score/cross/{other.id}/by/{unit.id}", data=form_points(year))
    assert response.status_code == 302
    assert scoring.find_sheet(year, SheetKind.CROSS, other.id, unit.id).submitted_at is None


def test_final_score_by_the_head_units_officer_only(year, users, unit, login_as):
    year.status = ClusterYearStatus.REVIEW
    head_officer = make_user(roles=[Role.UNIT_OFFICER], unit=year.head_unit)
    url = f"/cluster-years/{year.id}/score/final/{unit.id}"
    assert login_as(users[Role.UNIT_OFFICER]).post(url, data=form_points(year)).status_code == 403
    assert login_as(head_officer).post(url, data=form_points(year)).status_code == 302
    assert scoring.find_sheet(year, SheetKind.FINAL, unit.id) is not None


def test_evidence_upload_rejects_a_non_pdf_and_accepts_a_pdf(year, users, unit, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    client.post(f"/cluster-years/{year.id}/score/self/{unit.id}", data=form_points(year))
    sheet = scoring.find_sheet(year, SheetKind.SELF, unit.id)
    url = f"/cluster-years/{year.id}/sheets/{sheet.id}/evidence"
    bad = client.post(url, data={"file": (io.BytesIO(b"hello"), "x.pdf"), "criterion_id": "0"},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "không phải định dạng được chấp nhận" in bad.get_data(as_text=True)
    good = client.post(url, data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "bao-cao.pdf"), "criterion_id": str(ids(year)["1"])},
                       content_type="multipart/form-data")
    assert good.status_code == 302 and [e.original_name for e in sheet.evidence] == ["bao-cao.pdf"]
    download = client.get(f"/cluster-years/{year.id}/evidence/{sheet.evidence[0].id}")
    body = download.data
    download.close()
    assert download.status_code == 200 and body.startswith(b"%PDF")


def test_commitment_by_officer_during_covenant_is_saved_and_error_keeps_data(year, users, unit, login_as):
    year.status = ClusterYearStatus.COVENANT
    client = login_as(users[Role.UNIT_OFFICER])
    url = f"/cluster-years/{year.id}/covenant/{unit.id}"
    bad = client.post(url, data={"targets": "Tỷ lệ học sinh tốt nghiệp 99%", "signatory_name": "",
                                 "signed_on": "10/02/2025"})
    assert bad.status_code == 200 and "Vui lòng nhập họ tên người ký." in bad.get_data(as_text=True)
    assert "Tỷ lệ học sinh tốt nghiệp 99%" in bad.get_data(as_text=True)
    ok = client.post(url, data={"targets": "Tỷ lệ học sinh tốt nghiệp 99%", "signatory_name": "Nguyễn Văn Phú",
                                "signatory_title": "Giám đốc Sở", "signed_on": "10/02/2025"})
    assert ok.status_code == 302 and years.commitment_of(year, unit.id).signatory_name == "Nguyễn Văn Phú"


def test_covenant_page_shows_who_has_not_signed(year, users, unit, login_as):
    years.commitment_of(year, unit.id).signed_on = None
    page = login_as(users[Role.SECRETARIAT]).get(f"/cluster-years/{year.id}/covenant").get_data(as_text=True)
    assert "Đã ký: <strong>2/3</strong>" in page and "Chưa ký" in page


def test_criteria_table_warns_unless_total_is_100(year, users, login_as):
    year.status = ClusterYearStatus.SETUP
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(f"/cluster-years/{year.id}/criteria/new",
                           data={"kind": "normal", "parent_id": "0", "code": "5", "label": "Cải cách hành chính",
                                 "max_points": "10", "step": "0,5"})
    assert response.status_code == 302
    page = client.get(f"/cluster-years/{year.id}/criteria").get_data(as_text=True)
    assert 'id="total-warning"' in page and "110" in page


def test_criterion_with_bad_max_keeps_typed_data(year, users, login_as):
    year.status = ClusterYearStatus.SETUP
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/cluster-years/{year.id}/criteria/new",
        data={"kind": "bonus", "parent_id": "0", "code": "T2", "label": "Sáng kiến được công nhận", "max_points": "abc",
              "step": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Điểm tối đa phải là số" in page and "Sáng kiến được công nhận" in page


def test_criteria_editing_after_scoring_started_is_refused(year, users, login_as):
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/cluster-years/{year.id}/criteria/new",
        data={"kind": "normal", "parent_id": "0", "code": "9", "label": "Mới", "max_points": "5", "step": "1"})
    assert "chỉ sửa được trước khi bắt đầu chấm điểm" in response.get_data(as_text=True)


def test_step_to_review_with_missing_self_scores_is_refused_with_a_message(year, users, login_as):
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(f"/cluster-years/{year.id}/status/review", follow_redirects=True)
    assert "Chưa nộp tự chấm" in response.get_data(as_text=True) and year.status == ClusterYearStatus.SCORING


def test_step_by_officer_is_forbidden(year, users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).post(f"/cluster-years/{year.id}/status/review").status_code == 403


def test_vote_setup_creates_the_session_and_redirects_to_it(year, users, login_as):
    award_type("CTD_TINH")
    units = years.members(year)
    year.status = ClusterYearStatus.REVIEW
    for i, u in enumerate(units):
        sheet = scoring.save_sheet(year, kind=SheetKind.FINAL, subject=u, scorer=None,
                                   points={ids(year)["1"]: 30 - i, ids(year)["2"]: 20, ids(year)["3"]: 20, ids(year)["4"]: 20})
        scoring.submit_sheet(sheet, actor=None)
    year.status = ClusterYearStatus.VOTING
    reps = {u.id: make_user(roles=[Role.UNIT_OFFICER], unit=u, full_name=f"Đại diện {u.name}") for u in units}
    client = login_as(users[Role.SECRETARIAT])
    missing = client.post(f"/cluster-years/{year.id}/vote", data={"held_on": "20/12/2025", "place": "Hội trường"})
    assert missing.status_code == 422 and "Chưa chọn người đại diện" in missing.get_data(as_text=True)
    data = {"held_on": "20/12/2025", "place": "Hội trường", **{f"rep{uid}": str(u.id) for uid, u in reps.items()}}
    response = client.post(f"/cluster-years/{year.id}/vote", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/councils/sessions/{year.session_id}")
    assert len(year.session.agenda) == 1


def test_report_downloads_pdf_and_xlsx(year, users, login_as):
    client = login_as(users[Role.APPROVER])
    pdf = client.get(f"/cluster-years/{year.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    xlsx = client.get(f"/cluster-years/{year.id}/report.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames[0] == "Thông tin"


def test_year_list_for_officer_shows_only_their_clusters(year, users, login_as):
    make_cluster_year(year=2025)
    page = login_as(users[Role.UNIT_OFFICER]).get("/cluster-years/").get_data(as_text=True)
    assert re.findall(r'href="/cluster-years/(\d+)"', page) == [str(year.id)]


def test_pages_of_a_closed_year_render_for_staff(db, users, login_as):
    from thidua.clusters import vote
    from thidua.councils import services as councils

    from .test_cluster_vote import cast, open_vote, voting_year

    staff = users[Role.SECRETARIAT]
    cy, units = voting_year([30, 29, 28])
    session = open_vote(cy, units, staff)
    cast(session.agenda[0], agrees=3)
    councils.transition(session, "close", actor=staff)
    vote.record_results(cy, actor=staff)
    client = login_as(staff)
    c = cy.criteria[1]
    urls = ["/cluster-years/", f"/cluster-years/?cluster={cy.cluster_id}", f"/cluster-years/new/{cy.cluster_id}",
            f"/cluster-years/{cy.id}", f"/cluster-years/{cy.id}/edit", f"/cluster-years/{cy.id}/covenant",
            f"/cluster-years/{cy.id}/criteria", f"/cluster-years/{cy.id}/criteria/{c.id}/edit",
            f"/cluster-years/{cy.id}/score/final/{units[0].id}", f"/cluster-years/{cy.id}/results"]
    for url in urls:
        assert client.get(url).status_code == 200, url
    results = client.get(f"/cluster-years/{cy.id}/results").get_data(as_text=True)
    assert "Cờ thi đua của UBND tỉnh" in results and "Hội đồng thông qua" in results
    assert client.get(f"/cluster-years/{cy.id}/vote").status_code == 302  # already set up: to the results
