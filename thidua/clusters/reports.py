"""The cluster's yearly summary as a document: PDF (through `thidua.documents.pdf`, bundled font) and Excel.

`report_context(year)` gathers everything both print: members, head and deputy, covenant signatures, the
scores table (self, each cross score, their mean, final, differences), the ranking, the vote per
candidate (agree, share, threshold) and the proposals. The PDF's dates are the year's own (the vote
session's close, else 31 December), so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
from flask import current_app, render_template
from openpyxl.styles import Alignment, Font, PatternFill

from thidua.documents.pdf import metadata_tags, render_pdf

from . import scoring, vote, years
from .models import ClusterYear

TEMPLATE = "cluster_years/report/summary.html"
STYLESHEET = ("documents/official.css", "cluster_years/report/print.css")
DEFAULT_PLACE = "Thanh Hóa"


def num(value, places: int = 2) -> str:
    """82.5 → "82,50"; None → "–"."""
    return "–" if value is None else f"{value:.{places}f}".replace(".", ",")


def signed(value) -> str:
    return "–" if value is None else ("+" if value > 0 else "") + num(value)


def report_context(year: ClusterYear) -> dict:
    table = scoring.results(year)
    closed = year.session.closed_at if year.session is not None and year.session.closed_at else None
    created = closed or datetime(year.year, 12, 31, tzinfo=UTC)
    return {
        "year": year,
        "cluster": year.cluster,
        "members": years.members(year),
        "covenant": years.covenant_rows(year),
        "table": table,
        "criteria": years.summary(year),
        "candidates": vote.candidates(year),
        "outcomes": [o for o in year.outcomes if o.award_code != vote.NO_AWARD],
        "award_labels": vote.AWARD_LABELS,
        "num": num,
        "signed": signed,
        "place": current_app.config.get("DOCUMENT_PLACE", DEFAULT_PLACE),
        "printed_on": created.date(),
        "meta": metadata_tags(title=f"Tổng hợp kết quả {year.cluster.name} năm {year.year}", created=created),
    }


def render_report_html(year: ClusterYear) -> str:
    return render_template(TEMPLATE, **report_context(year))


def report_pdf(year: ClusterYear) -> bytes:
    return render_pdf(render_report_html(year), stylesheet_path=STYLESHEET)


_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_FLAG_FILL = PatternFill("solid", fgColor="FCE4D6")


def _header(sheet, row: list[str]) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _widths(sheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width


def _f(value):
    return None if value is None else round(float(value), 2)


def report_xlsx(year: ClusterYear) -> bytes:
    """The summary as a workbook: "Thông tin", "Điểm", "Suy tôn", "Đề nghị" (numbers stay numbers)."""
    ctx = report_context(year)
    table = ctx["table"]
    book = openpyxl.Workbook()
    info = book.active
    info.title = "Thông tin"
    info.append([f"{year.cluster.kind.label}: {year.cluster.name}", None, None, None])
    info["A1"].font = Font(bold=True, size=13)
    info.append(["Năm", year.year])
    info.append(["Cụm trưởng (khối trưởng)", year.head_unit.name if year.head_unit else None])
    info.append(["Cụm phó (khối phó)", year.deputy_unit.name if year.deputy_unit else None])
    info.append(["Quyết định phân công", year.assignment_decision])
    info.append([])
    _header(info, ["STT", "Đơn vị thành viên", "Người ký giao ước", "Ngày ký"])
    for i, r in enumerate(ctx["covenant"], start=1):
        c = r.commitment
        info.append([i, r.unit.name, (f"{c.signatory_name} – {c.signatory_title or ''}".rstrip(" –")) if r.signed else "Chưa ký",
                     c.signed_on if r.signed else None])
        if r.signed:
            info.cell(row=info.max_row, column=4).number_format = "DD/MM/YYYY"
    _widths(info, [28, 45, 40, 14])

    scores = book.create_sheet("Điểm")
    short = [u.name for u in table.units]
    _header(scores, ["Xếp hạng", "Đơn vị", "Tự chấm", *[f"Chấm chéo: {n}" for n in short], "TB chấm chéo",
                     "Điểm thẩm định", "Thẩm định − tự chấm", "Thẩm định − TB chấm chéo"])
    for r in table.rows:
        scores.append([r.rank or None, r.unit.name, _f(r.self_total), *[_f(r.cross.get(u.id)) for u in table.units],
                       _f(r.cross_mean), _f(r.final), _f(r.final_minus_self), _f(r.final_minus_cross)])
        for col, diff in ((len(short) + 6, r.final_minus_self), (len(short) + 7, r.final_minus_cross)):
            if table.flagged(diff):
                scores.cell(row=scores.max_row, column=col).fill = _FLAG_FILL
    _widths(scores, [10, 40, 10, *[14] * len(short), 12, 12, 14, 14])
    scores.freeze_panes = "C2"

    ballots = book.create_sheet("Suy tôn")
    _header(ballots, ["Đơn vị", "Phiếu đồng ý", "Không đồng ý", "Cơ sở tính", "Tỷ lệ đồng ý", "Ngưỡng", "Kết quả"])
    for c in ctx["candidates"]:
        t = c.tally
        ballots.append([c.unit.name, t.agree, t.disagree, t.base, _f(t.share * 100) if t.share is not None else None,
                        _f(t.threshold * 100) if t.threshold is not None else None,
                        c.result.label if c.result else "Chưa có kết quả"])
    _widths(ballots, [40, 12, 12, 12, 12, 10, 28])

    proposals = book.create_sheet("Đề nghị")
    _header(proposals, ["Xếp hạng", "Đơn vị", "Điểm thẩm định", "Đề nghị", "Hồ sơ số", "Trạng thái hồ sơ"])
    for o in year.outcomes:
        proposals.append([o.rank, o.unit.name, _f(o.score), vote.AWARD_LABELS.get(o.award_code, o.award_code),
                          o.nomination_id, o.nomination.status.label if o.nomination else None])
    _widths(proposals, [10, 40, 14, 34, 10, 28])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
