"""The documents of an award decision: Vietnamese amounts in words, the annex as PDF and Excel, the
decision as a Word draft, and their downloads."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime

import openpyxl
import pytest
from docx import Document

from tests import factories
from thidua.auth.models import Role
from thidua.awards import documents
from thidua.awards.documents import amount_in_words, number_in_words
from thidua.documents import pdf
from thidua.rules.models import BaseSalary


@pytest.mark.parametrize(("n", "words"), [
    (0, "không"),
    (1, "một"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi bốn"),
    (25, "hai mươi lăm"),
    (55, "năm mươi lăm"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (1_000, "một nghìn"),
    (1_005, "một nghìn không trăm linh năm"),
    (1_015, "một nghìn không trăm mười lăm"),
    (1_050, "một nghìn không trăm năm mươi"),
    (10_001, "mười nghìn không trăm linh một"),
    (450_000, "bốn trăm năm mươi nghìn"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_050_000, "một triệu không trăm năm mươi nghìn"),
    (2_340_000, "hai triệu ba trăm bốn mươi nghìn"),
    (16_380_000, "mười sáu triệu ba trăm tám mươi nghìn"),
    (21_000_000, "hai mươi mốt triệu"),
    (1_000_000_000, "một tỷ"),
    (1_200_000_000, "một tỷ hai trăm triệu"),
    (2_000_000_015, "hai tỷ không trăm mười lăm"),
    (1_000_000_000_000, "một nghìn tỷ"),
    (-5, "âm năm"),
])
def test_number_in_words_follows_vietnamese_reading(n, words):
    assert number_in_words(n) == words


def test_amount_in_words_is_capitalised_and_in_dong():
    assert amount_in_words(16_380_000) == "Mười sáu triệu ba trăm tám mươi nghìn đồng"
    assert amount_in_words(0) == "Không đồng"


# --- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture
def issued(province, unit):
    """Two collectives and three individuals of a Bằng khen of the provincial chairman, signed 05/3/2026:
    2 × 4.680.000 + 3 × 2.340.000 = 16.380.000 đồng."""
    school = unit.children[0]
    people = [factories.make_person(full_name=name, unit=school, position="Giáo viên, Trường THPT chuyên Lam Sơn")
              for name in ("Nguyễn Thị Hằng", "Đặng Quốc Vượng", "Lê Văn Ước")]
    return factories.make_decision(issuer=province, awardees=[unit, school, *people], number="1234/QĐ-UBND",
                                   signed_on=date(2026, 3, 5))


def _revoke(item, number="99/QĐ-UBND"):
    item.revoked_at = datetime(2026, 5, 1, tzinfo=UTC)
    item.revocation_number = number
    item.revocation_date = date(2026, 4, 30)
    item.revocation_reason = "Khai man thành tích"


def _ensure_base_salary(db) -> int:
    from thidua.awards.fund import local_today
    from thidua.awards.prize import NoBaseSalary, base_salary_on

    try:
        return base_salary_on(local_today()).amount
    except NoBaseSalary:
        db.session.add(BaseSalary(amount=2_340_000, effective_from=date(2024, 7, 1)))
        db.session.flush()
        return 2_340_000


def _pdf_text(data: bytes, tmp_path, name="annex.pdf") -> str:
    """The text in reading order (each table cell whole), white space collapsed."""
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def _pdf_pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _docx_texts(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


# --- annex ---------------------------------------------------------------------------------------------

def test_annex_groups_collectives_first_and_totals_in_figures_and_words(issued):
    annex = documents.annex(issued)
    assert [(g.numeral, g.title, len(g.rows)) for g in annex.groups] == [("I", "TẬP THỂ", 2), ("II", "CÁ NHÂN", 3)]
    assert annex.total_line == ("Tổng cộng: 16.380.000 đồng "
                                "(Bằng chữ: Mười sáu triệu ba trăm tám mươi nghìn đồng)")
    assert annex.attached_to == ("(Kèm theo Quyết định số 1234/QĐ-UBND ngày 05 tháng 3 năm 2026 "
                                 "của Chủ tịch UBND tỉnh)")
    assert annex.issuer_lines == ["ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA"]


def test_annex_pdf_keeps_vietnamese_text_heading_and_total(issued, tmp_path):
    flat = _pdf_text(documents.annex_pdf(issued), tmp_path)
    for phrase in ("ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Độc lập - Tự do - Hạnh phúc", "DANH SÁCH", "Nguyễn Thị Hằng", "Đặng Quốc Vượng",
                   "TẬP THỂ", "CÁ NHÂN", "Sở Giáo dục và Đào tạo", "ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH UBND TỈNH",
                   "Kèm theo Quyết định số 1234/QĐ-UBND ngày 05 tháng 3 năm 2026 của Chủ tịch UBND tỉnh",
                   "Tổng cộng: 16.380.000 đồng (Bằng chữ: Mười sáu triệu ba trăm tám mươi nghìn đồng)"):
        assert phrase in flat, phrase
    assert "DỰ THẢO" not in flat


def test_annex_pdf_embeds_only_the_bundled_font(issued, tmp_path):
    path = tmp_path / "annex.pdf"
    path.write_bytes(documents.annex_pdf(issued))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = [line.split()[0] for line in listing.splitlines()[2:]]
    assert fonts and all(f.split("+")[-1].startswith(pdf.FONT_FAMILY.replace(" ", "-")) for f in fonts)


def test_annex_pdf_is_a4_portrait(issued, tmp_path):
    path = tmp_path / "annex.pdf"
    path.write_bytes(documents.annex_pdf(issued))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    assert "595.276 x 841.89" in size or "595.28 x 841.89" in size


def test_annex_with_revoked_item_marks_it_and_leaves_its_money_out(issued, tmp_path):
    _revoke(issued.items[2])  # Nguyễn Thị Hằng
    annex = documents.annex(issued)
    assert annex.total == 16_380_000 - 2_340_000
    html = documents.render_annex_html(issued)
    assert 'class="revoked"' in html
    flat = _pdf_text(documents.annex_pdf(issued), tmp_path)
    assert "Nguyễn Thị Hằng" in flat  # still listed
    assert "Đã thu hồi theo QĐ số 99/QĐ-UBND ngày 30/04/2026" in flat
    assert "Tổng cộng: 14.040.000 đồng (Bằng chữ: Mười bốn triệu không trăm bốn mươi nghìn đồng)" in flat


def test_annex_pdf_of_300_awardees_spans_pages_and_repeats_the_header(province, unit, tmp_path):
    people = [factories.make_person(full_name=f"Trần Văn Số {i:03d}", unit=unit, position="Chuyên viên")
              for i in range(1, 300)]
    people.append(factories.make_person(full_name="Đặng Quốc Vượng Cuối", unit=unit))
    decision = factories.make_decision(issuer=province, awardees=people, signed_on=date(2026, 3, 5))
    data = documents.annex_pdf(decision)
    pages = _pdf_pages(data, tmp_path)
    text = _pdf_text(data, tmp_path)
    assert pages > 1
    assert "Đặng Quốc Vượng Cuối" in text
    assert text.count("Chức vụ, đơn vị") == pages  # the table header on every page
    assert "Tổng cộng: 702.000.000 đồng (Bằng chữ: Bảy trăm linh hai triệu đồng)" in text


def test_annex_of_draft_says_draft_leaves_number_blank_and_prices_items(province, unit, db, tmp_path):
    base = _ensure_base_salary(db)
    person = factories.make_person(full_name="Nguyễn Thị Hằng", unit=unit)
    draft = factories.make_decision(issuer=province, awardees=[unit, person], issued=False)
    assert all(item.amount == 0 for item in draft.items)
    annex = documents.annex(draft)
    assert annex.draft and annex.total == 3 * base  # 1.0 × base for a person, twice that for a collective
    assert annex.attached_to.startswith("(Kèm theo Quyết định số       /QĐ-UBND ngày      tháng      năm ")
    flat = _pdf_text(documents.annex_pdf(draft), tmp_path)
    assert "DỰ THẢO" in flat and "Nguyễn Thị Hằng" in flat
    assert f"Tổng cộng: {documents.money(3 * base)} đồng" in flat


def test_annex_pdf_made_twice_is_identical(issued):
    assert documents.annex_pdf(issued) == documents.annex_pdf(issued)


# --- Excel ---------------------------------------------------------------------------------------------

def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))["Danh sách"]


def test_annex_xlsx_has_title_frozen_header_money_format_and_total_formula(issued):
    _revoke(issued.items[3])  # Đặng Quốc Vượng
    sheet = _sheet(documents.annex_xlsx(issued))
    assert sheet["A1"].value.startswith("DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN")
    assert "1234/QĐ-UBND" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == documents.XLSX_HEADERS
    assert sheet.freeze_panes == "A4"
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][:2] == ("I", "TẬP THỂ") and rows[3][:2] == ("II", "CÁ NHÂN")
    hang = next(r for r in rows if r[1] == "Nguyễn Thị Hằng")
    assert hang[4] == 2_340_000 and hang[5] == issued.items[2].gold_book_number and hang[6] == issued.items[2].verify_code
    vuong_row = next(i for i, r in enumerate(rows, start=4) if r[1] == "Đặng Quốc Vượng")
    assert sheet.cell(row=vuong_row, column=8).value == "Đã thu hồi theo QĐ số 99/QĐ-UBND ngày 30/04/2026"
    assert sheet.cell(row=vuong_row, column=2).font.strike
    total_row = next(i for i, r in enumerate(rows, start=4) if r[1] == "Tổng cộng")
    assert sheet.cell(row=total_row, column=5).value == f'=SUMIF(H4:H{total_row - 1},"",E4:E{total_row - 1})'
    assert sheet.cell(row=total_row, column=5).number_format == "#,##0"
    assert sheet.cell(row=vuong_row, column=5).number_format == "#,##0"
    assert "Mười bốn triệu không trăm bốn mươi nghìn đồng" in sheet.cell(row=total_row + 1, column=2).value


def test_annex_xlsx_sum_of_rows_without_note_equals_the_annex_total(issued):
    """What the SUMIF computes, checked against the figures the PDF prints."""
    _revoke(issued.items[0])
    sheet = _sheet(documents.annex_xlsx(issued))
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    summed = sum(r[4] for r in rows if isinstance(r[4], int) and not r[7])
    assert summed == documents.annex(issued).total == 16_380_000 - 4_680_000


# --- DOCX ---------------------------------------------------------------------------------------------

def test_draft_docx_of_issued_decision_has_heading_articles_signature_and_annex(issued):
    data = documents.draft_docx(issued)
    doc = Document(io.BytesIO(data))
    texts = _docx_texts(data)
    body = [p.text for p in doc.paragraphs]
    for expected in ("ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA", "Số: 1234/QĐ-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Thanh Hóa, ngày 05 tháng 3 năm 2026", "CHỦ TỊCH", "Đỗ Minh Tuấn",
                     "Nơi nhận:"):
        assert expected in texts, expected
    assert "QUYẾT ĐỊNH" in body and "QUYẾT ĐỊNH:" in body
    assert "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh" in body
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in body
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;" in body
    article1 = next(t for t in body if t.startswith("Điều 1."))
    assert "Tặng Bằng khen của Chủ tịch UBND tỉnh cho 2 tập thể và 3 cá nhân (có danh sách kèm theo) đã có thành tích" in article1
    article2 = next(t for t in body if t.startswith("Điều 2."))
    assert "16.380.000 đồng (Bằng chữ: Mười sáu triệu ba trăm tám mươi nghìn đồng)" in article2
    assert "từ nguồn kinh phí thi đua, khen thưởng của tỉnh" in article2
    article3 = next(t for t in body if t.startswith("Điều 3."))
    assert "Chánh Văn phòng UBND tỉnh" in article3 and "Giám đốc Sở Nội vụ" in article3
    date_cell = next(p for t in doc.tables for c in t._cells for p in c.paragraphs if p.text.startswith("Thanh Hóa, ngày"))
    assert all(run.italic for run in date_cell.runs)
    # The annex table: header, two group rows, five awardees, the total.
    annex = doc.tables[-1]
    assert [c.text for c in annex.rows[0].cells] == ["STT", "Tên tập thể, họ và tên cá nhân", "Chức vụ, đơn vị",
                                                     "Số tiền (đồng)"]
    assert len(annex.rows) == 1 + 2 + 5 + 1
    assert annex.rows[-1].cells[-1].text == "16.380.000"
    assert annex.rows[0]._tr.trPr.xpath("./w:tblHeader")  # repeated on every page
    assert "DỰ THẢO" not in "".join(p.text for p in doc.sections[0].header.paragraphs)


def test_draft_docx_uses_times_new_roman_and_decree_30_margins(issued):
    doc = Document(io.BytesIO(documents.draft_docx(issued)))
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert 13 <= doc.styles["Normal"].font.size.pt <= 14
    section = doc.sections[0]
    def mm(length):
        return round(length.mm)  # stored in twentieths of a point

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert [mm(m) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)] == [
        20, 20, 30, 15]


def test_draft_docx_of_draft_decision_says_draft_and_leaves_number_and_date_blank(province, unit, db):
    _ensure_base_salary(db)
    draft = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)], issued=False,
                                    preamble="Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
                                             "Xét đề nghị của Giám đốc Sở Nội vụ.")
    doc = Document(io.BytesIO(documents.draft_docx(draft)))
    texts = _docx_texts(documents.draft_docx(draft))
    assert "DỰ THẢO" in "".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "Số:       /QĐ-UBND" in texts
    assert any(t.startswith("Thanh Hóa, ngày      tháng      năm ") for t in texts)
    assert "Xét đề nghị của Giám đốc Sở Nội vụ." in texts  # the decision's own preamble
    assert "CHỦ TỊCH" in texts  # no signer title yet: the default


# --- downloads ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("suffix", "mimetype"), [
    ("annex.pdf", "application/pdf"),
    ("annex.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("draft.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_download_by_secretariat_is_an_attachment(issued, users, login_as, suffix, mimetype):
    response = login_as(users[Role.SECRETARIAT]).get(f"/decisions/{issued.id}/{suffix}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert "attachment" in response.headers["Content-Disposition"] and "1234" in response.headers["Content-Disposition"]


def test_download_pdf_by_approver_reads_back_the_names(issued, users, login_as, tmp_path):
    response = login_as(users[Role.APPROVER]).get(f"/decisions/{issued.id}/annex.pdf")
    assert response.status_code == 200
    assert "Đặng Quốc Vượng" in _pdf_text(response.data, tmp_path)


def test_download_by_unit_officer_is_forbidden(issued, users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/decisions/{issued.id}/annex.xlsx").status_code == 403


def test_download_anonymous_goes_to_login(issued, client):
    response = client.get(f"/decisions/{issued.id}/draft.docx")
    assert response.status_code in (302, 401)


def test_download_of_missing_decision_is_not_found(users, login_as):
    assert login_as(users[Role.ADMIN]).get("/decisions/999999/annex.pdf").status_code == 404


def test_documents_of_empty_draft_are_produced_with_zero_total(province, tmp_path):
    draft = factories.make_decision(issuer=province, issued=False)
    assert documents.annex(draft).total_line == "Tổng cộng: 0 đồng (Bằng chữ: Không đồng)"
    assert "DỰ THẢO" in _pdf_text(documents.annex_pdf(draft), tmp_path)
    assert _sheet(documents.annex_xlsx(draft))["A1"].value.startswith("DỰ THẢO – DANH SÁCH")
    assert any(t.startswith("Điều 1.") for t in _docx_texts(documents.draft_docx(draft)))
