from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, date, datetime

import openpyxl
import pytest

from tests import factories
from thidua.reports import annual, exports, statistics
from thidua.reports.annual import annual_report

from .conftest import YEAR


def test_annual_report_counts_campaigns_registrations_dossiers_awards_and_money(dataset, app):
    w = dataset
    campaign = statistics.active_campaigns(YEAR, None)[1]
    factories.make_registration(campaign, w.unit)
    factories.make_registration(campaign, w.other)
    decision = factories.make_decision(issuer=w.province, code="BK_TINH", year=YEAR, signed_on=date(YEAR, 11, 5),
                                       awardees=[w.school, factories.make_person(unit=w.school)])
    decision.items[0].revoked_at = datetime(YEAR, 12, 1, tzinfo=UTC)  # revoked: no money counted
    factories.make_decision(issuer=w.province, code="BK_TINH", year=YEAR, issued=False, awardees=[w.unit])

    report = annual_report(YEAR)
    assert report.headline["campaigns"] == 5 and report.headline["launched"] == 2
    assert report.registrations == [("Sở Giáo dục và Đào tạo", 1), ("Sở Y tế", 1)]
    assert dict(report.dossiers)["approved"] == 3
    bk = next(a for a in report.awards if a.code == "BK_TINH")
    assert (bk.collective, bk.individual) == (2, 3)  # the revoked and the 2024 records excluded
    assert [(p.code, p.count, p.amount) for p in report.prizes] == [("BK_TINH", 1, 2_340_000)]
    assert report.due_on == date(YEAR, 12, 10)

    mine = annual_report(YEAR, w.unit)
    assert mine.registrations == [("Sở Giáo dục và Đào tạo", 1)]
    assert mine.headline["dossiers"] == 4  # Sở Y tế's dossier is not in its subtree
    assert mine.headline["prize_amount"] == 2_340_000


def _evaluate(sheet, ref: str) -> int:
    """The value of a cell, computing the SUM formulas the export writes (ranges and comma lists)."""
    value = sheet[ref].value
    if not (isinstance(value, str) and value.startswith("=SUM(")):
        return value
    total = 0
    for part in value[5:-1].split(","):
        if ":" in part:
            for row in sheet[part]:
                for cell in row:
                    total += _evaluate(sheet, cell.coordinate)
        else:
            total += _evaluate(sheet, part)
    return total


@pytest.mark.parametrize("code", statistics.FORM_CODES)
def test_form_xlsx_has_the_official_layout_and_formulas_giving_the_page_values(dataset, app, code):
    form = statistics.fill(code, YEAR)
    book = openpyxl.load_workbook(io.BytesIO(exports.form_xlsx(form)))
    sheet = book.active
    assert sheet["A1"].value == f"Biểu số {code}.N/BNV-TĐKT"
    assert sheet["A2"].value == "Ban hành kèm theo Thông tư số 02/2023/TT-BNV"
    assert sheet["A3"].value == "Đơn vị báo cáo: UBND tỉnh Thanh Hóa"
    assert sheet["A4"].value == "Đơn vị nhận báo cáo: Bộ Nội vụ"
    where = {sheet.cell(r, 2).value: r for r in range(12, sheet.max_row + 1) if sheet.cell(r, 2).value}
    formulas = 0
    for row in form.data_rows:
        r = where[row.code]
        for i, col in enumerate(form.columns):
            ref = f"{openpyxl.utils.get_column_letter(exports.FIRST_COLUMN + i)}{r}"
            formulas += isinstance(sheet[ref].value, str)
            assert _evaluate(sheet, ref) == form.value(row.key, col.key), (row.key, col.key)
    assert formulas >= len(form.data_rows)  # the total column at least
    assert isinstance(sheet[f"C{where['01']}"].value, str)


def test_annual_xlsx_has_a_sheet_per_section_with_numbers(dataset, app):
    book = openpyxl.load_workbook(io.BytesIO(exports.annual_xlsx(annual_report(YEAR))))
    assert book.sheetnames == ["Tổng quan", "Phong trào", "Đăng ký", "Hồ sơ", "Khen thưởng", "Tiền thưởng"]
    awards = {row[0]: row for row in book["Khen thưởng"].iter_rows(min_row=2, values_only=True)}
    assert awards["BK_TINH"][2:] == (2, 3, 5)
    assert len(list(book["Phong trào"].iter_rows(min_row=2))) == 5


def _pdf_text(data: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def test_statistics_pdf_prints_the_three_forms_in_the_bundled_font(dataset, app, tmp_path):
    text, fonts = _pdf_text(exports.statistics_pdf(YEAR, None), tmp_path)
    for code in statistics.FORM_CODES:
        assert f"Biểu số {code}.N/BNV-TĐKT" in text
    flat = " ".join(text.split())
    assert "Bộ Nội vụ" in flat and "Chưa xác định đối tượng" in flat and "THỦ TRƯỞNG ĐƠN VỊ" in flat
    assert text.count("\f") == 3  # one page per form
    names = {line.split()[0] for line in fonts.splitlines()[2:]}
    assert names and all(re.sub(r"^[A-Z]{6}\+", "", n).startswith("Thidua-Serif") for n in names)


def test_annual_pdf_is_in_the_administrative_format(dataset, app, tmp_path):
    text, _ = _pdf_text(exports.annual_pdf(annual_report(YEAR, dataset.unit)), tmp_path)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "Độc lập - Tự do - Hạnh phúc" in flat
    assert "BÁO CÁO" in flat and f"Kết quả công tác thi đua, khen thưởng năm {YEAR}" in flat
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in flat and "Bằng khen của Chủ tịch UBND tỉnh" in flat
    assert annual.HEADLINE_LABELS["campaigns"] in flat
