"""The documents of an award decision: the annex of awardees (danh sách kèm theo quyết định) as PDF and
Excel, and the decision itself as an editable Word draft (DOCX) for the leader who signs it.

Everything is computed from the stored decision by `annex(decision)`; the renderers only lay it out.
A draft decision prints "DỰ THẢO", a blank number and date, and its money priced with today's base
salary where its items have no amount yet (fund.item_amounts). Revoked items stay in the list, struck
through and marked with the revoking decision, and are left out of the total.
Layout follows Decree 30/2020/NĐ-CP, Appendix I (A4 portrait; margins 20/15/20/30 mm).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from flask import render_template

from thidua.documents.pdf import metadata_tags, render_pdf
from thidua.filters import long_date, vn_date
from thidua.org.models import UnitKind
from thidua.registry.models import NomineeKind
from thidua.rules.models import AwardCategory

from .fund import item_amounts, local_today
from .models import Decision, DecisionItem

ANNEX_TEMPLATE = "award_documents/annex.html"
ANNEX_STYLESHEET = "award_documents/print.css"
ACHIEVEMENT_MAX = 300  # longer achievements are in the dossiers, not in the annex table
BLANK = " " * 6  # the room left for the number and date a draft gets when signed
DRAFT_MARK = "DỰ THẢO"
DEFAULT_CODE = "QĐ-UBND"
LAW_CITATION = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;"
LAW_CODE = "06/2022/QH15"
DOC_TYPES = ("Nghị định", "Thông tư", "Quyết định", "Nghị quyết", "Chỉ thị")

# --- Vietnamese numbers in words -----------------------------------------------------------------------

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu")


def _three_digits(n: int, *, full: bool) -> str:
    """Words for 0 < n < 1000. `full`: a higher group precedes, so "không trăm" and "linh" are read."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else _DIGITS[units])
    else:
        words += [_DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 5: "lăm"}.get(units, _DIGITS[units]))
    return " ".join(words)


def number_in_words(n: int) -> str:
    """A whole number read in Vietnamese, lower case: 21 → "hai mươi mốt", 105 → "một trăm linh năm",
    1_050_000 → "một triệu không trăm năm mươi nghìn", 10**12 → "một nghìn tỷ"."""
    if n < 0:
        return "âm " + number_in_words(-n)
    if n == 0:
        return "không"
    billions, rest = divmod(n, 10**9)
    words = []
    if billions:
        words += [number_in_words(billions), "tỷ"]
    groups = [rest // 10**6, rest // 10**3 % 1000, rest % 1000]
    for group, scale in zip(groups, reversed(_SCALES), strict=True):
        if group:
            words.append(_three_digits(group, full=bool(words)))
            if scale:
                words.append(scale)
    return " ".join(words)


def amount_in_words(amount: int) -> str:
    """A sum of money in words, as written after "Bằng chữ:": 16_380_000 →
    "Mười sáu triệu ba trăm tám mươi nghìn đồng"."""
    text = number_in_words(amount) + " đồng"
    return text[0].upper() + text[1:]


def money(amount: int | None) -> str:
    """16380000 → "16.380.000" (Vietnamese thousands separator)."""
    return "" if amount is None else f"{amount:,}".replace(",", ".")


# --- what the documents say ---------------------------------------------------------------------------

@dataclass
class AnnexRow:
    position: int  # within its group
    item: DecisionItem
    amount: int
    achievement: str | None  # shown only when the item has its own, short one

    @property
    def revoked_note(self) -> str | None:
        item = self.item
        if not item.is_revoked:
            return None
        note = "Đã thu hồi"
        if item.revocation_number:
            note += f" theo QĐ số {item.revocation_number}"
            if item.revocation_date:
                note += f" ngày {vn_date(item.revocation_date)}"
        return note


@dataclass
class AnnexGroup:
    numeral: str
    title: str
    rows: list[AnnexRow] = field(default_factory=list)


@dataclass
class Annex:
    decision: Decision
    draft: bool
    issuer_lines: list[str]
    number_line: str  # "Số: 1234/QĐ-UBND"
    date_line: str  # "Thanh Hóa, ngày 05 tháng 3 năm 2026"
    title: str  # "TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH UBND TỈNH"
    attached_to: str  # "(Kèm theo Quyết định số … ngày … của Chủ tịch UBND tỉnh)"
    groups: list[AnnexGroup]
    total: int
    show_achievement: bool

    @property
    def collectives(self) -> int:
        return sum(len(g.rows) for g in self.groups if g.title == "TẬP THỂ")

    @property
    def individuals(self) -> int:
        return sum(len(g.rows) for g in self.groups if g.title == "CÁ NHÂN")

    @property
    def total_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def total_line(self) -> str:
        return f"Tổng cộng: {money(self.total)} đồng (Bằng chữ: {self.total_words})"

    @property
    def rows(self) -> list[AnnexRow]:
        return [row for group in self.groups for row in group.rows]


def _expand(name: str) -> str:
    return name.replace("UBND ", "Ủy ban nhân dân ")


def issuer_lines(decision: Decision) -> list[str]:
    """The issuing body, top left in capitals: ["ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA"] for a people's
    committee; a department is headed by the body it belongs to."""
    unit = decision.issuer_unit
    name = _expand(unit.name)
    prefix = "Ủy ban nhân dân "
    if name.startswith(prefix):
        return ["ỦY BAN NHÂN DÂN", name.removeprefix(prefix).upper()]
    parent = unit.parent
    return [_expand(parent.name).upper(), name.upper()] if parent else [name.upper()]


def authority(decision: Decision) -> str:
    """Who signs, in running text: "Chủ tịch UBND tỉnh" (from the issuer title "CHỦ TỊCH ỦY BAN NHÂN DÂN
    TỈNH THANH HÓA"); "Giám đốc Sở Giáo dục và Đào tạo" for a department."""
    unit = decision.issuer_unit
    title = decision.issuer_title.strip()
    body = _expand(unit.name).upper()
    if title.upper().endswith(body) and len(title) > len(body):
        role = title[: len(title) - len(body)].strip().capitalize()
        short = "UBND tỉnh" if unit.kind == UnitKind.PROVINCE else unit.name
        return f"{role} {short}"
    return title.capitalize()


def number_code(decision: Decision) -> str:
    """The document code after the slash: "QĐ-UBND"."""
    if decision.number and "/" in decision.number:
        return decision.number.split("/", 1)[1]
    return DEFAULT_CODE


def is_draft(decision: Decision) -> bool:
    return not decision.is_issued


def number_text(decision: Decision) -> str:
    """"1234/QĐ-UBND", or a blank number for a draft ("      /QĐ-UBND")."""
    if is_draft(decision) or not decision.number:
        return f"{BLANK}/{number_code(decision)}"
    return decision.number


def date_text(decision: Decision) -> str:
    """"ngày 05 tháng 3 năm 2026", or blanks for the day and month of a draft."""
    if is_draft(decision) or decision.signed_on is None:
        return f"ngày{BLANK}tháng{BLANK}năm {local_today().year}"
    return long_date(decision.signed_on)


def _award_verb(decision: Decision) -> str:
    return "TẶNG" if decision.award_type.category == AwardCategory.FORM else "TẶNG DANH HIỆU"


def annex(decision: Decision) -> Annex:
    """The annex of `decision`: its items grouped collectives first, then individuals, with money."""
    amounts = item_amounts(decision)
    default = (decision.achievement_default or "").strip()
    collectives = AnnexGroup("", "TẬP THỂ")
    individuals = AnnexGroup("", "CÁ NHÂN")
    total = 0
    own_achievements = False
    for item, amount in zip(decision.items, amounts, strict=True):
        group = collectives if item.nominee_kind == NomineeKind.COLLECTIVE else individuals
        text = (item.achievement or "").strip()
        own = bool(text) and text != default
        own_achievements |= own
        group.rows.append(AnnexRow(position=len(group.rows) + 1, item=item, amount=amount,
                                   achievement=text if own and len(text) <= ACHIEVEMENT_MAX else None))
        if not item.is_revoked:
            total += amount
    groups = [g for g in (collectives, individuals) if g.rows]
    for numeral, group in zip(("I", "II"), groups, strict=False):
        group.numeral = numeral
    subjects = ", ".join(g.title for g in groups) or "TẬP THỂ, CÁ NHÂN"
    award = decision.award_type.name
    return Annex(
        decision=decision, draft=is_draft(decision), issuer_lines=issuer_lines(decision),
        number_line=f"Số: {number_text(decision)}",
        date_line=f"{decision.place}, {date_text(decision)}",
        title=f"{subjects} ĐƯỢC {_award_verb(decision)} {award.upper()}",
        attached_to=f"(Kèm theo Quyết định số {number_text(decision)} {date_text(decision)} "
                    f"của {authority(decision)})",
        groups=groups, total=total, show_achievement=own_achievements,
    )


def _created(decision: Decision) -> datetime:
    """The PDF's date: the signing day, or the draft's last change (never "now": same data, same bytes)."""
    if decision.signed_on:
        return datetime.combine(decision.signed_on, time(), tzinfo=UTC)
    return decision.updated_at or decision.created_at or datetime(2000, 1, 1, tzinfo=UTC)


def render_annex_html(decision: Decision) -> str:
    data = annex(decision)
    title = f"Danh sách kèm theo {decision}"
    return render_template(ANNEX_TEMPLATE, annex=data, money=money,
                           meta=metadata_tags(title=title, created=_created(decision)))


def annex_pdf(decision: Decision) -> bytes:
    """The annex as PDF bytes (bundled font, Decree 30 page; the table header repeats on every page)."""
    return render_pdf(render_annex_html(decision), stylesheet_path=ANNEX_STYLESHEET)


# --- Excel ---------------------------------------------------------------------------------------------

XLSX_HEADERS = ["STT", "Tên tập thể, họ và tên cá nhân", "Chức vụ, đơn vị", "Thành tích", "Số tiền (đồng)",
                "Số sổ vàng", "Mã xác thực", "Ghi chú"]
XLSX_WIDTHS = [6, 34, 36, 40, 16, 10, 30, 34]
MONEY_FORMAT = "#,##0"


def annex_xlsx(decision: Decision) -> bytes:
    """The annex as .xlsx (sheet "Danh sách"): title rows, a frozen header row, one row per awardee under
    its group row, money in a number format, and a total formula that leaves out revoked items (those
    with a note)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    data = annex(decision)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    width = len(XLSX_HEADERS)
    titles = [("DỰ THẢO – " if data.draft else "") + "DANH SÁCH " + data.title, data.attached_to]
    for r, text in enumerate(titles, start=1):
        sheet.cell(row=r, column=1, value=text)
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        sheet.cell(row=r, column=1).font = Font(bold=r == 1, italic=r == 2, size=13 if r == 1 else 12)
        sheet.cell(row=r, column=1).alignment = Alignment(horizontal="center", wrap_text=True)
    header_row = len(titles) + 1
    for c, (text, w) in enumerate(zip(XLSX_HEADERS, XLSX_WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=header_row, column=c, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(c)].width = w
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    r = header_row
    for group in data.groups:
        r += 1
        sheet.cell(row=r, column=1, value=group.numeral).font = Font(bold=True)
        sheet.cell(row=r, column=2, value=group.title).font = Font(bold=True)
        for row in group.rows:
            r += 1
            item = row.item
            values = [row.position, item.awardee_name, item.awardee_detail, row.achievement, row.amount,
                      item.gold_book_number, item.verify_code, row.revoked_note]
            for c, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if item.is_revoked and c < 8:
                    cell.font = Font(strike=True)
            sheet.cell(row=r, column=5).number_format = MONEY_FORMAT
    first, last = header_row + 1, r
    total = sheet.cell(row=r + 1, column=2, value="Tổng cộng")
    total.font = Font(bold=True)
    # Revoked items carry a note in column H; SUMIF with "" adds only the rows whose note is empty.
    formula = sheet.cell(row=r + 1, column=5, value=f'=SUMIF(H{first}:H{last},"",E{first}:E{last})')
    formula.font = Font(bold=True)
    formula.number_format = MONEY_FORMAT
    sheet.cell(row=r + 2, column=2, value=f"Bằng chữ: {data.total_words}").font = Font(italic=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the decision as a Word draft ------------------------------------------------------------------

def preamble_lines(decision: Decision) -> list[str]:
    """The "Căn cứ …" lines: the decision's own text, or a default citing the law and the legal basis of
    the title or form."""
    if decision.preamble and decision.preamble.strip():
        return [line.strip() for line in decision.preamble.splitlines() if line.strip()]
    lines = ["Căn cứ Luật Tổ chức chính quyền địa phương;", LAW_CITATION]
    basis = decision.legal_basis or decision.award_type.legal_basis
    if basis is not None and basis.code != LAW_CODE:
        lines.append(_cite(basis))
    if decision.issuer_unit.kind == UnitKind.PROVINCE:
        lines.append(f"Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số{BLANK}/TTr-SNV "
                     f"ngày{BLANK}tháng{BLANK}năm {local_today().year}.")
    return lines


def _cite(basis) -> str:
    title = basis.title.strip()
    day = f" ngày {long_date(basis.issued_on).removeprefix('ngày ')}" if basis.issued_on else ""
    for kind in DOC_TYPES:
        if title.startswith(kind + " "):
            return f"Căn cứ {kind} số {basis.code}{day} {title.removeprefix(kind).strip()};"
    return f"Căn cứ {title} số {basis.code}{day};"


def _count_phrase(data: Annex) -> str:
    parts = []
    if data.collectives:
        parts.append(f"{data.collectives} tập thể")
    if data.individuals:
        parts.append(f"{data.individuals} cá nhân")
    return " và ".join(parts)


def articles(decision: Decision, data: Annex) -> list[str]:
    """The texts of Điều 1–3."""
    achievement = (decision.achievement_default or "đã có thành tích xuất sắc").strip().rstrip(".")
    achievement = achievement[0].lower() + achievement[1:] if achievement else achievement
    first = (f"Điều 1. Tặng {decision.award_type.name} cho {_count_phrase(data)} (có danh sách kèm theo) "
             f"{achievement}.")
    second = (f"Điều 2. Tiền thưởng kèm theo thực hiện theo quy định hiện hành; tổng số tiền: {money(data.total)} "
              f"đồng (Bằng chữ: {data.total_words}), từ nguồn kinh phí thi đua, khen thưởng của tỉnh.")
    if decision.issuer_unit.kind == UnitKind.PROVINCE:
        executors = ("Chánh Văn phòng UBND tỉnh, Giám đốc Sở Nội vụ, Giám đốc Sở Tài chính, "
                     "Thủ trưởng các ngành, đơn vị có liên quan")
    else:
        executors = "Chánh Văn phòng, Thủ trưởng các phòng, đơn vị có liên quan"
    third = (f"Điều 3. Quyết định này có hiệu lực thi hành kể từ ngày ký. {executors} và các tập thể, "
             f"cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./.")
    return [first, second, third]


RECIPIENTS = ["- Như Điều 3 QĐ;", "- Lưu: VT."]


def signature_lines(decision: Decision) -> list[str]:
    title = (decision.signer_title or "CHỦ TỊCH").strip()
    return [line.strip() for line in title.splitlines() if line.strip()]


def draft_docx(decision: Decision) -> bytes:
    """The decision with its annex as an editable .docx: Times New Roman 14 pt (13 pt in tables), A4 with
    Decree 30 margins, the annex table on a new page with its header row repeated."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    data = annex(decision)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    style.paragraph_format.space_after = Pt(0)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    if data.draft:
        mark = section.header.paragraphs[0]
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = mark.add_run(DRAFT_MARK)
        run.bold = True
        run.font.size = Pt(14)

    def para(container, text="", *, bold=False, italic=False, align=None, size=None, indent=False, space=0):
        p = container.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Mm(10)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.space_after = Pt(space)
        if text:
            run = p.add_run(text)
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = Pt(size)
        return p

    def cell_text(cell, lines, **kw):
        for i, (text, opts) in enumerate(lines):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(text)
            run.bold = opts.get("bold", False)
            run.italic = opts.get("italic", False)
            run.font.size = Pt(opts.get("size", 13))

    CENTER = WD_ALIGN_PARAGRAPH.CENTER
    # Heading: issuer and number left, national name, motto and date right.
    head = doc.add_table(rows=2, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    issuer = [(line, {"bold": i > 0, "size": 13}) for i, line in enumerate(data.issuer_lines)]
    cell_text(head.cell(0, 0), [*issuer, ("―――――", {"size": 11})])
    cell_text(head.cell(0, 1), [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 12}),
                                ("Độc lập - Tự do - Hạnh phúc", {"bold": True, "size": 13}),
                                ("――――――――――――", {"size": 11})])
    cell_text(head.cell(1, 0), [(data.number_line, {"size": 13})])
    cell_text(head.cell(1, 1), [(data.date_line, {"italic": True, "size": 14})])
    para(doc)
    para(doc, "QUYẾT ĐỊNH", bold=True, align=CENTER)
    para(doc, decision.subject, bold=True, align=CENTER, space=12)
    para(doc, decision.issuer_title.upper(), bold=True, align=CENTER, space=12)
    for line in preamble_lines(decision):
        para(doc, line, italic=True, indent=True, space=3)
    para(doc, "QUYẾT ĐỊNH:", bold=True, align=CENTER, space=6)
    for text in articles(decision, data):
        p = para(doc, indent=True, space=6)
        head_words, _, rest = text.partition(". ")
        p.add_run(head_words + ". ").bold = True
        p.add_run(rest)
    # Recipients left, signature right.
    sign = doc.add_table(rows=1, cols=2)
    left, right = sign.cell(0, 0), sign.cell(0, 1)
    r = left.paragraphs[0].add_run("Nơi nhận:")
    r.bold, r.italic, r.font.size = True, True, Pt(12)
    for line in RECIPIENTS:
        left.add_paragraph().add_run(line).font.size = Pt(11)
    signer = [(line, {"bold": True, "size": 14}) for line in signature_lines(decision)]
    name = decision.signer_name or ""
    cell_text(right, [*signer, ("", {}), ("", {}), ("", {}), ("", {}), (name, {"bold": True, "size": 14})])

    # The annex on a new page.
    para(doc).add_run().add_break(WD_BREAK.PAGE)
    para(doc, "DANH SÁCH", bold=True, align=CENTER)
    para(doc, data.title, bold=True, align=CENTER)
    para(doc, data.attached_to, italic=True, align=CENTER, space=12)
    headers = ["STT", "Tên tập thể, họ và tên cá nhân", "Chức vụ, đơn vị"]
    if data.show_achievement:
        headers.append("Thành tích")
    headers.append("Số tiền (đồng)")
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_row = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header_row.cells, headers, strict=True):
        cell_text(cell, [(text, {"bold": True, "size": 13})])

    def fill(cells, values, *, bold=False, strike=False):
        for c, (cell, value) in enumerate(zip(cells, values, strict=True)):
            p = cell.paragraphs[0]  # a new cell's paragraph has no run
            if c == 0 or c == len(values) - 1:
                p.alignment = CENTER if c == 0 else WD_ALIGN_PARAGRAPH.RIGHT
            run = p.add_run(value or "")
            run.bold = bold
            run.font.strike = strike
            run.font.size = Pt(13)

    for group in data.groups:
        fill(table.add_row().cells, [group.numeral, group.title, *[""] * (len(headers) - 2)], bold=True)
        for row in group.rows:
            item = row.item
            detail = item.awardee_detail or ""
            values = [str(row.position), item.awardee_name, detail]
            if data.show_achievement:
                values.append(row.achievement or "")
            values.append(money(row.amount))
            cells = table.add_row().cells
            fill(cells, values, strike=item.is_revoked)
            if row.revoked_note:
                note = cells[2].add_paragraph().add_run(f"({row.revoked_note})")
                note.italic = True
                note.font.size = Pt(12)
    total_cells = table.add_row().cells
    fill(total_cells, ["", "Tổng cộng", *[""] * (len(headers) - 3), money(data.total)], bold=True)
    para(doc)
    para(doc, f"(Bằng chữ: {data.total_words})", italic=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
