"""Excel export of any list page: one helper that turns the list's rows into an .xlsx download.

Every list exports through `xlsx_response`, from the same query function its page uses, so the file
always holds the rows the user sees with the filters applied. The sheet has a title row, a line
stating the filters, a frozen bold header, typed cells (dates as dates shown dd/mm/yyyy, money as
numbers shown #,##0) and columns sized to their content.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = "#,##0"
HEADER_ROW = 4  # title, filters, blank line, header
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column: its header, and the kind of value ("text", "int", "money", "date", "datetime")."""

    header: str
    kind: str = "text"


def col(header: str, kind: str = "text") -> Column:
    return Column(header, kind)


def ascii_filename(name: str) -> str:
    """"Danh sách hồ sơ đề nghị" → "danh-sach-ho-so-de-nghi" (đ folded too), safe for any download header."""
    text = name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
    return text or "danh-sach"


def filters_line(filters: Mapping[str, object]) -> str:
    """"Lọc theo: Năm: 2025; Trạng thái: Dự thảo" or "Lọc theo: không (tất cả)" when nothing is filtered."""
    parts = [f"{label}: {_plain(value)}" for label, value in filters.items() if value not in (None, "", [], ())]
    return "Lọc theo: " + ("; ".join(parts) if parts else "không (tất cả)")


def _plain(value) -> str:
    if isinstance(value, Enum) and hasattr(value, "label"):
        return value.label
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _cell_value(value, kind: str):
    if value is None:
        return None
    if isinstance(value, Enum) and hasattr(value, "label"):
        return value.label
    if kind in ("money", "int"):
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value
    if kind == "datetime" and isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return value


_FORMATS = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "money": MONEY_FORMAT, "int": "0"}


def build_xlsx(title: str, columns: Sequence[Column | str], rows: Iterable[Sequence], *,
               filters: Mapping[str, object]) -> bytes:
    """The workbook bytes: row 1 the title, row 2 the filters, row 4 the bold frozen header, data from row 5."""
    columns = [c if isinstance(c, Column) else Column(c) for c in columns]
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] if not any(ch in title for ch in "[]:*?/\\") else "Danh sách"
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=filters_line(filters)).font = Font(italic=True)
    widths = [len(c.header) for c in columns]
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for i, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = ws.cell(row=r, column=i, value=_cell_value(value, column.kind))
            if column.kind in _FORMATS and cell.value is not None:
                cell.number_format = _FORMATS[column.kind]
            shown = 10 if column.kind in ("date", "money") else 16 if column.kind == "datetime" else len(str(cell.value or ""))
            widths[i - 1] = max(widths[i - 1], shown + (3 if column.kind == "money" else 0))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), MAX_WIDTH)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, title: str, columns: Sequence[Column | str], rows: Iterable[Sequence], *,
                  filters: Mapping[str, object]) -> Response:
    """A download of the list as .xlsx; `filename` may be Vietnamese, the download name is ASCII with the date."""
    data = build_xlsx(title, columns, rows, filters=filters)
    name = ascii_filename(filename.removesuffix(".xlsx"))
    return send_file(io.BytesIO(data), as_attachment=True, mimetype=XLSX_MIMETYPE,
                     download_name=f"{name}-{date.today():%Y%m%d}.xlsx")
