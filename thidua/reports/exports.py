"""The statistical forms and the annual report as files: .xlsx (openpyxl) and PDF (thidua.documents.pdf).

In a form's workbook the counted cells are numbers and every total (a total row, the total column) is a SUM
formula over its parts, so the sheet stays right when someone corrects a number by hand; the formulas give the
same values as the page (tests/reports check it).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import sqlalchemy as sa
from flask import current_app, render_template
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from thidua.documents.pdf import metadata_tags, render_pdf
from thidua.extensions import db
from thidua.org.models import Unit, UnitKind

from . import annual, statistics
from .statistics import StatForm

STYLESHEET = ("documents/official.css", "reports/print.css")
DEFAULT_PLACE = "Thanh Hóa"
DEFAULT_PROVINCE = "UBND tỉnh Thanh Hóa"


def reporting_unit_name(unit: Unit | None) -> str:
    """The scope's unit, or the province (the root unit of kind province) for a province-wide report."""
    if unit is not None:
        return unit.name
    name = db.session.scalar(sa.select(Unit.name).where(Unit.kind == UnitKind.PROVINCE, Unit.parent_id.is_(None))
                             .order_by(Unit.id).limit(1))
    return name or DEFAULT_PROVINCE


def _place() -> str:
    return current_app.config.get("DOCUMENT_PLACE", DEFAULT_PLACE)


def document_context(year: int, unit: Unit | None, title: str) -> dict:
    printed_on = date.today()
    return {"place": _place(), "printed_on": printed_on, "reporter": reporting_unit_name(unit),
            "receiver": statistics.RECEIVER, "circular": statistics.CIRCULAR,
            "meta": metadata_tags(title=title, created=datetime(printed_on.year, printed_on.month, printed_on.day,
                                                                 tzinfo=UTC))}


# --- PDF ---------------------------------------------------------------------------------------------------

def statistics_pdf(year: int, unit: Unit | None) -> bytes:
    """The three forms, one after the other (A4 landscape)."""
    forms = [statistics.fill(code, year, unit) for code in statistics.FORM_CODES]
    html = render_template("reports/print/statistics.html", forms=forms, year=year,
                           **document_context(year, unit, f"Biểu thống kê thi đua, khen thưởng năm {year}"))
    return render_pdf(html, stylesheet_path=STYLESHEET)


def annual_html(report: annual.AnnualReport) -> str:
    return render_template("reports/print/annual.html", report=report, labels=annual.HEADLINE_LABELS,
                           **document_context(report.year, report.unit,
                                              f"Báo cáo kết quả công tác thi đua, khen thưởng năm {report.year}"))


def annual_pdf(report: annual.AnnualReport) -> bytes:
    return render_pdf(annual_html(report), stylesheet_path=STYLESHEET)


# --- Excel -------------------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIRST_COLUMN = 3  # A: label, B: mã số


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_form(sheet, form: StatForm) -> dict[str, int]:
    """Lay `form` out on `sheet` in the official layout; return the sheet row of each form row."""
    last_col = FIRST_COLUMN + len(form.columns) - 1
    sheet["A1"], sheet["A2"] = form.number, f"Ban hành kèm theo {statistics.CIRCULAR}"
    sheet["A1"].font = _BOLD
    sheet["A3"] = f"Đơn vị báo cáo: {reporting_unit_name(form.unit)}"
    sheet["A4"] = f"Đơn vị nhận báo cáo: {statistics.RECEIVER}"
    sheet["A5"] = form.title.upper()
    sheet["A5"].font = Font(bold=True, size=13)
    sheet["A6"] = f"Năm {form.year}"
    sheet["A7"] = f"Đơn vị tính: {form.count_unit}"
    head = 9
    # Header: the group line (merged over its columns), the column labels, then the column codes.
    sheet.cell(head, 1, "Chỉ tiêu")
    sheet.cell(head, 2, "Mã số")
    sheet.merge_cells(start_row=head, start_column=1, end_row=head + 1, end_column=1)
    sheet.merge_cells(start_row=head, start_column=2, end_row=head + 1, end_column=2)
    col = FIRST_COLUMN
    while col <= last_col:
        column = form.columns[col - FIRST_COLUMN]
        span = 1
        while (column.group and col + span <= last_col
               and form.columns[col + span - FIRST_COLUMN].group == column.group):
            span += 1
        if column.group:
            sheet.cell(head, col, column.group)
            if span > 1:
                sheet.merge_cells(start_row=head, start_column=col, end_row=head, end_column=col + span - 1)
            for i in range(span):
                sheet.cell(head + 1, col + i, form.columns[col + i - FIRST_COLUMN].label)
        else:
            sheet.cell(head, col, column.label)
            sheet.merge_cells(start_row=head, start_column=col, end_row=head + 1, end_column=col)
        col += span
    sheet.cell(head + 2, 1, "A")
    sheet.cell(head + 2, 2, "B")
    for i, column in enumerate(form.columns):
        sheet.cell(head + 2, FIRST_COLUMN + i, column.code)
    for r in range(head, head + 3):
        for c in range(1, last_col + 1):
            cell = sheet.cell(r, c)
            cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BOX

    where = {}
    line = head + 3
    for row in form.rows:
        where[row.key] = line
        line += 1
    col_of = {c.key: FIRST_COLUMN + i for i, c in enumerate(form.columns)}
    for row in form.rows:
        r = where[row.key]
        label = sheet.cell(r, 1, ("    " * row.level) + row.label)
        label.border = _BOX
        label.font = _BOLD if row.heading or row.level == 0 else Font()
        sheet.cell(r, 2, row.code or None).border = _BOX
        sheet.cell(r, 2).alignment = _CENTER
        for column in form.columns:
            c = col_of[column.key]
            cell = sheet.cell(r, c)
            cell.border, cell.alignment = _BOX, _CENTER
            if row.heading:
                continue
            letter = get_column_letter(c)
            if column.parts:
                first, last = get_column_letter(col_of[column.parts[0]]), get_column_letter(col_of[column.parts[-1]])
                cell.value = f"=SUM({first}{r}:{last}{r})"
            elif row.parts:
                cell.value = "=SUM(" + ",".join(f"{letter}{where[p]}" for p in row.parts) + ")"
            else:
                cell.value = form.value(row.key, column.key)
            if row.level == 0:
                cell.font = _BOLD
    sign = line + 1
    sheet.cell(sign, 1, "Người lập biểu").font = _BOLD
    sheet.cell(sign + 1, 1, "(Ký, ghi rõ họ tên)")
    sheet.cell(sign - 0, max(last_col - 2, 3), f"{_place()}, ngày … tháng … năm …")
    sheet.cell(sign + 1, max(last_col - 2, 3), "Thủ trưởng đơn vị").font = _BOLD
    sheet.cell(sign + 2, max(last_col - 2, 3), "(Ký, đóng dấu, ghi rõ họ tên)")
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 8
    for c in range(FIRST_COLUMN, last_col + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 13
    sheet.row_dimensions[head + 1].height = 48
    sheet.freeze_panes = sheet.cell(head + 3, FIRST_COLUMN)
    return where


def form_xlsx(form: StatForm) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"Biểu {form.code}"
    write_form(sheet, form)
    return _save(book)


def _table(sheet, header: list[str], rows: list[list], widths: list[int]) -> None:
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BOX
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.border = _BOX
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def annual_xlsx(report: annual.AnnualReport) -> bytes:
    """One sheet per section: "Tổng quan", "Phong trào", "Đăng ký", "Hồ sơ", "Khen thưởng", "Tiền thưởng"."""
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "Tổng quan"
    summary.append([f"Báo cáo kết quả công tác thi đua, khen thưởng năm {report.year}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([f"Phạm vi: {report.scope_name}"])
    summary.append(["Hạn gửi báo cáo", report.due_on])
    summary.cell(summary.max_row, 2).number_format = "DD/MM/YYYY"
    summary.append([])
    _table(summary, ["Chỉ tiêu", "Số liệu"], [[annual.HEADLINE_LABELS[k], v] for k, v in report.headline.items()],
           [55, 18])

    campaigns = book.create_sheet("Phong trào")
    _table(campaigns, ["STT", "Phong trào", "Loại", "Cơ quan phát động", "Từ ngày", "Đến ngày", "Đơn vị đăng ký"],
           [[i, c.name, c.kind.label, c.launching_authority, c.starts_on, c.ends_on, report.per_campaign.get(c.id, 0)]
            for i, c in enumerate(report.campaigns, start=1)], [6, 50, 22, 30, 12, 12, 14])
    for row in campaigns.iter_rows(min_row=2, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "DD/MM/YYYY"

    regs = book.create_sheet("Đăng ký")
    _table(regs, ["STT", "Đơn vị", "Lượt đăng ký thi đua"],
           [[i, name, n] for i, (name, n) in enumerate(report.registrations, start=1)], [6, 50, 18])

    dossiers = book.create_sheet("Hồ sơ")
    _table(dossiers, ["Trạng thái", "Số hồ sơ"], [[s.label, n] for s, n in report.dossiers], [40, 12])

    awards = book.create_sheet("Khen thưởng")
    _table(awards, ["Mã", "Danh hiệu, hình thức khen thưởng", "Tập thể", "Cá nhân", "Tổng số"],
           [[a.code, a.name, a.collective, a.individual, a.total] for a in report.awards], [12, 50, 10, 10, 10])

    prizes = book.create_sheet("Tiền thưởng")
    _table(prizes, ["Mã", "Danh hiệu, hình thức khen thưởng", "Số lượt", "Tiền thưởng (đồng)"],
           [[p.code, p.name, p.count, p.amount] for p in report.prizes], [12, 50, 10, 20])
    for row in prizes.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "#,##0"
    return _save(book)
