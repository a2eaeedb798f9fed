"""Pages of upward proposals: building, tracking, the decision, the package ZIP."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.awards.models import ProposalOutcome, ProposalStatus, UpwardProposal
from thidua.documents import pdf
from thidua.nominations.models import NominationStatus
from thidua.registry.models import AwardRecord

from .test_proposals import PDF, YEAR, attach_file, make_dossiers, make_proposal, submitted


@pytest.fixture
def dossiers(db, province, unit):
    return make_dossiers(province, unit)


@pytest.fixture
def staff(users, login_as):
    return login_as(users[Role.SECRETARIAT])


def _form_values(proposal, **overrides) -> dict:
    data = {"number": proposal.number or "", "dated_on": proposal.dated_on.strftime("%d/%m/%Y") if proposal.dated_on
            else "", "title": proposal.title, "recipient": proposal.recipient, "signer_title": "", "signer_name": "",
            "nomination_ids": [str(it.nomination_id) for it in proposal.items]}
    data.update(overrides)
    return data


def test_new_lists_upward_forms_with_approved_dossiers_and_counts(staff, dossiers):
    html = staff.get("/proposals/new").get_data(as_text=True)
    assert "Bằng khen của Thủ tướng Chính phủ" in html and ">4<" in html.replace(" ", "")
    assert "Bằng khen của Chủ tịch UBND tỉnh" not in html


def test_build_submit_and_record_decision_happy_path(db, staff, dossiers):
    award_type = dossiers["hang"].award_type
    url = f"/proposals/new?award_type={award_type.id}&year={YEAR}"
    page = staff.get(url).get_data(as_text=True)
    assert page.count('checked') == 4  # every approved dossier chosen by default
    assert "cho 1 tập thể và 3 cá nhân" in page
    response = staff.post(url, data={
        "number": "123/TTr-UBND", "dated_on": "20/01/2026",
        "title": "Tờ trình đề nghị tặng Bằng khen của Thủ tướng Chính phủ cho 1 tập thể và 2 cá nhân",
        "recipient": "Thủ tướng Chính phủ", "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", "signer_name": "Đỗ Minh Tuấn",
        "nomination_ids": [str(dossiers[k].id) for k in ("hang", "vuong", "school")]})
    assert response.status_code == 302
    proposal = db.session.scalars(sa.select(UpwardProposal)).one()
    detail = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nguyễn Thị Hằng" in detail and "Đặng Quốc Vượng" in detail and "Lê Văn An" not in detail

    assert staff.post(f"/proposals/{proposal.id}/submit", data={"submitted_on": "22/01/2026"}).status_code == 302
    assert staff.post(f"/proposals/{proposal.id}/reference",
                      data={"reference": "88/PTN-BTĐKT"}).status_code == 302
    data = {"number": "1234/QĐ-TTg", "decided_on": "02/04/2026", "issuer": "Thủ tướng Chính phủ"}
    for it in proposal.items:
        declined = it.nomination_id == dossiers["vuong"].id
        data[f"outcome_{it.id}"] = ProposalOutcome.DECLINED.value if declined else ProposalOutcome.AWARDED.value
        data[f"note_{it.id}"] = "Chưa đủ tiêu chuẩn" if declined else ""
    assert staff.post(f"/proposals/{proposal.id}/decision", data=data).status_code == 302

    db.session.expire_all()
    assert proposal.status == ProposalStatus.DECIDED
    assert dossiers["vuong"].status == NominationStatus.DECLINED and dossiers["hang"].status == NominationStatus.AWARDED
    detail = staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    for label in ("Trình Trung ương", "Ghi số tiếp nhận của Trung ương", "88/PTN-BTĐKT",
                  "Ghi nhận quyết định khen thưởng của Trung ương", "Chưa đủ tiêu chuẩn"):
        assert label in detail
    person_page = staff.get(f"/registry/people/{dossiers['hang'].person_id}").get_data(as_text=True)
    assert "Bằng khen của Thủ tướng Chính phủ" in person_page and "1234/QĐ-TTg" in person_page


def test_create_with_malformed_number_shows_vietnamese_error_and_keeps_typed_data(db, staff, dossiers):
    award_type = dossiers["hang"].award_type
    response = staff.post(f"/proposals/new?award_type={award_type.id}&year={YEAR}", data={
        "number": "123-TTr", "dated_on": "31/02/2026", "title": "Tờ trình thử nghiệm Đặng", "recipient": "Thủ tướng Chính phủ",
        "nomination_ids": [str(dossiers["hang"].id)]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Số tờ trình không đúng dạng, ví dụ “123/TTr-UBND”." in html
    assert "Ngày không hợp lệ" in html
    assert 'value="123-TTr"' in html and 'value="31/02/2026"' in html and 'value="Tờ trình thử nghiệm Đặng"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UpwardProposal)) == 0


def test_submit_without_number_shows_error_and_changes_nothing(db, staff, dossiers):
    proposal = make_proposal(dossiers, number=None)
    db.session.commit()
    response = staff.post(f"/proposals/{proposal.id}/submit", data={"submitted_on": "22/01/2026", "note": "Gửi qua trục"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Tờ trình chưa có số" in html and "Gửi qua trục" in html
    db.session.expire_all()
    assert proposal.status == ProposalStatus.DRAFT


def test_edit_while_returned_then_resubmit(db, staff, dossiers):
    proposal = submitted(dossiers)
    db.session.commit()
    assert staff.get(f"/proposals/{proposal.id}/edit").status_code == 403
    response = staff.post(f"/proposals/{proposal.id}/return", data={"note": ""})
    assert "Vui lòng ghi rõ nội dung Trung ương yêu cầu bổ sung" in response.get_data(as_text=True)
    staff.post(f"/proposals/{proposal.id}/return", data={"note": "Thiếu xác nhận của Sở Y tế."})
    db.session.expire_all()
    assert proposal.status == ProposalStatus.RETURNED
    keep = [str(it.nomination_id) for it in proposal.items if it.nomination_id != dossiers["an"].id]
    assert staff.post(f"/proposals/{proposal.id}/edit",
                      data=_form_values(proposal, nomination_ids=keep)).status_code == 302
    assert staff.post(f"/proposals/{proposal.id}/submit", data={"submitted_on": "10/02/2026"}).status_code == 302
    db.session.expire_all()
    assert proposal.status == ProposalStatus.SUBMITTED and len(proposal.items) == 3
    assert [e.action for e in proposal.events][-2:] == ["return", "resubmit"]


def test_move_and_remove_buttons_reorder_the_list(db, staff, dossiers):
    proposal = make_proposal(dossiers)
    db.session.commit()
    first, second = proposal.items[0], proposal.items[1]
    assert staff.post(f"/proposals/{proposal.id}/items/{second.id}/move/up").status_code == 302
    assert staff.post(f"/proposals/{proposal.id}/items/{first.id}/remove").status_code == 302
    db.session.expire_all()
    assert [it.nomination.nominee_name for it in proposal.items] == ["Lê Văn An", "Nguyễn Thị Hằng",
                                                                     "Đặng Quốc Vượng"]


def test_decision_when_a_dossier_moved_meanwhile_saves_nothing(db, staff, dossiers):
    from thidua.nominations.workflow import transition

    proposal = submitted(dossiers)
    transition(dossiers["vuong"], "decline", actor=None)
    db.session.commit()
    data = {"number": "1234/QĐ-TTg", "decided_on": "02/04/2026", "issuer": "Thủ tướng Chính phủ"}
    data.update({f"outcome_{it.id}": ProposalOutcome.AWARDED.value for it in proposal.items})
    response = staff.post(f"/proposals/{proposal.id}/decision", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đặng Quốc Vượng" in html and "Chưa ghi nhận kết quả nào" in html
    assert 'value="1234/QĐ-TTg"' in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardRecord)) == 0
    assert proposal.status == ProposalStatus.SUBMITTED
    assert dossiers["hang"].status == NominationStatus.APPROVED


def test_return_posts_only_with_its_csrf_token(db, csrf_app, users, login_as, dossiers):
    proposal = submitted(dossiers)
    db.session.commit()
    client = login_as(users[Role.SECRETARIAT])
    url = f"/proposals/{proposal.id}/return"
    assert client.post(url, data={"note": "Thiếu hồ sơ"}).status_code == 400
    db.session.expire_all()
    assert proposal.status == ProposalStatus.SUBMITTED
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert client.post(url, data={"note": "Thiếu hồ sơ", "csrf_token": token.group(1)}).status_code == 302
    db.session.expire_all()
    assert proposal.status == ProposalStatus.RETURNED


def test_approver_sees_the_list_but_cannot_manage(db, users, login_as, dossiers):
    proposal = make_proposal(dossiers)
    db.session.commit()
    approver = login_as(users[Role.APPROVER])
    assert "123/TTr-UBND" in approver.get("/proposals/").get_data(as_text=True)
    assert approver.get(f"/proposals/{proposal.id}/edit").status_code == 403
    assert "Sửa, thêm hồ sơ" not in approver.get(f"/proposals/{proposal.id}").get_data(as_text=True)


def test_index_filters_by_status_and_year(db, staff, dossiers):
    make_proposal(dossiers, keys=("hang",))
    submitted(dossiers, number="124/TTr-UBND", keys=("an",))
    db.session.commit()
    html = staff.get("/proposals/?status=submitted").get_data(as_text=True)
    assert "124/TTr-UBND" in html and "123/TTr-UBND" not in html
    assert "Chưa có tờ trình nào phù hợp bộ lọc" in staff.get(f"/proposals/?year={YEAR - 1}").get_data(as_text=True)


# --- the package -------------------------------------------------------------------------------------

def _tool(tool: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "to-trinh.pdf"
    path.write_bytes(data)
    return subprocess.run([tool, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def test_package_zip_holds_pdf_excel_and_every_attachment(app, db, staff, dossiers, tmp_path):
    report = PDF + "báo cáo của chị Hằng".encode() + bytes(range(256))
    attach_file(app, dossiers["hang"], "Báo cáo thành tích: Hằng.pdf", report)
    attach_file(app, dossiers["hang"], "Báo cáo thành tích: Hằng.pdf", PDF + b"second")
    attach_file(app, dossiers["vuong"], "../../etc/minh-chung.pdf", PDF + b"vuong")
    proposal = make_proposal(dossiers)
    db.session.commit()

    with staff.get(f"/proposals/{proposal.id}/package.zip") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        assert "Ho so de nghi 123-TTr-UBND.zip" in response.headers["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))

    entries = archive.namelist()
    assert {"Tờ trình.pdf", "Danh sách đề nghị.xlsx"} <= set(entries)
    hang_folder = "03 - Nguyễn Thị Hằng"
    assert archive.read(f"{hang_folder}/Báo cáo thành tích_ Hằng.pdf") == report
    assert archive.read(f"{hang_folder}/Báo cáo thành tích_ Hằng (2).pdf") == PDF + b"second"
    assert archive.read("04 - Đặng Quốc Vượng/minh-chung.pdf") == PDF + b"vuong"
    assert not any(name.startswith(("/", "..")) or "/../" in name for name in entries)
    summary = archive.read(f"{hang_folder}/Tóm tắt hồ sơ.txt").decode("utf-8")
    assert "Có 3 sáng kiến cấp tỉnh." in summary and "Giáo viên, Trường THPT chuyên Lam Sơn" in summary
    assert "01 - Trường THPT chuyên Lam Sơn/Tóm tắt hồ sơ.txt" in entries

    text = _tool("pdftotext", archive.read("Tờ trình.pdf"), tmp_path)
    for phrase in ("Nguyễn Thị Hằng", "Đặng Quốc Vượng", "Số: 123/TTr-UBND", "TỜ TRÌNH", "ỦY BAN NHÂN DÂN",
                   "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Kính gửi: Thủ tướng Chính phủ",
                   "Thanh Hóa, ngày 20 tháng 01 năm 2026", "PHÓ CHỦ TỊCH", "Đỗ Minh Tuấn"):
        assert phrase in text
    assert re.search(r"cho\s+1\s+tập\s+thể\s+và\s+3\s+cá\s+nhân\s+đã\s+có", text)
    fonts = [line.split()[0] for line in _tool("pdffonts", archive.read("Tờ trình.pdf"), tmp_path).splitlines()[2:]]
    assert fonts and all(f.split("+")[-1].startswith(pdf.FONT_FAMILY.replace(" ", "-")) for f in fonts)

    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("Danh sách đề nghị.xlsx"))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:2] == ("STT", "Họ và tên / Tên tập thể")
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        (1, "Trường THPT chuyên Lam Sơn", "Sở Giáo dục và Đào tạo"),
        (2, "Lê Văn An", "Sở Giáo dục và Đào tạo"),
        (3, "Nguyễn Thị Hằng", "Sở Giáo dục và Đào tạo"),
        (4, "Đặng Quốc Vượng", "Sở Y tế"),
    ]
    assert rows[3][6] == "Có 3 sáng kiến cấp tỉnh."


def test_package_notes_a_missing_file_in_the_summary(app, db, staff, dossiers):
    attachment = attach_file(app, dossiers["hang"], "bao-cao.pdf", PDF)
    (app.config["UPLOAD_FOLDER"] / attachment.stored_name).unlink()
    proposal = make_proposal(dossiers, keys=("hang",))
    db.session.commit()
    with staff.get(f"/proposals/{proposal.id}/package.zip") as response:
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert "01 - Nguyễn Thị Hằng/bao-cao.pdf" not in archive.namelist()
    assert "KHÔNG TÌM THẤY TỆP" in archive.read("01 - Nguyễn Thị Hằng/Tóm tắt hồ sơ.txt").decode()


def test_document_dates_and_recipient_follow_the_header(db, app, dossiers):
    from thidua.awards.proposals import render_document_html

    proposal = make_proposal(dossiers, dated_on=date(2026, 3, 5))
    html = render_document_html(proposal)
    assert "Thanh Hóa, ngày 05 tháng 3 năm 2026" in html and "Kính gửi: Thủ tướng Chính phủ." in html
    assert "I. TẬP THỂ (1)" in html and "II. CÁ NHÂN (3)" in html
