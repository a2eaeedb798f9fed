"""Certificate pages: the named fields of an awardee, one page of HTML per certificate (the template's
design on plain paper, or only the variable text at calibrated millimetre positions for pre-printed
blanks), the CSS of a document, and PDF bytes.

The template HTML is admin-editable, so it is rendered in Jinja's sandbox with autoescape and strict
undefined variables: it can read the fields and nothing of Python. `validate_template` renders it with a
sample awardee so a broken template is refused when it is saved, not when a batch runs.

`page_html`, `document_css` and `document_html` need no Flask app (batch workers call them);
`fields_for`, `template_for` and `render_items` read the database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import segno
import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from thidua.documents.pdf import font_face_css, metadata_tags
from thidua.extensions import db
from thidua.registry.models import Gender

from .models import Artwork, ArtworkKind, CertificateTemplate, PrinterCalibration, PrintMode

if TYPE_CHECKING:
    from thidua.awards.models import DecisionItem

DEFAULT_TEMPLATE = "giay-khen"
# The text fields of a certificate, in the order the layout editor lists them.
TEXT_FIELDS = {
    "heading": "Tên hình thức, danh hiệu",
    "issuer_title": "Chức danh người tặng",
    "salutation": "Ông/Bà",
    "recipient_name": "Tên người, tập thể được tặng",
    "recipient_detail": "Chức vụ, đơn vị",
    "achievement": "Thành tích",
    "decision_line": "Dòng quyết định",
    "gold_book_line": "Dòng số sổ vàng",
    "place_date": "Địa danh, ngày tháng",
    "signer_title": "Chức danh người ký",
    "signer_name": "Họ tên người ký",
    "verify_code": "Mã tra cứu",
    "verify_line": "Dòng tra cứu (mã và địa chỉ)",
}
# Fields the blank layout may place besides the text fields: the QR code (w = its side in mm).
LAYOUT_FIELDS = {**TEXT_FIELDS, "qr": "Mã QR (w = cạnh, mm)"}
ALIGNS = ("left", "center", "right")
# JPEG, not SVG or PNG: embedded once per PDF and copied as it is (see scripts/make_placeholder_artwork.py,
# which draws them; the SVGs beside them are the source).
PLACEHOLDERS = {ArtworkKind.EMBLEM: "certificates/emblem-placeholder.jpg",
                ArtworkKind.BORDER: "certificates/border-placeholder.jpg"}
AWARD_TOKEN = "{award}"  # in a template's heading: the title's name in capitals ("CHIẾN SĨ THI ĐUA CƠ SỞ")
LINE_HEIGHT = 1.2  # of blank-mode boxes: a box's top is its y, its first baseline ~0.9 em below


class TemplateInvalid(ValueError):
    """The template cannot be used; the message says why, in Vietnamese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- fields -----------------------------------------------------------------------------------------

def vn_short_date(value: date) -> str:
    """"05/3/2026": two-digit day, month with a leading zero only for 1–2 (as in the long form)."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{value.day:02d}/{month}/{value.year}"


def vn_long_date(value: date, place: str | None) -> str:
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    text = f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return f"{place}, {text}" if place else text


def normalize_code(text: str) -> str:
    """A verification code as stored: capitals, no dashes or spaces (people type it either way)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def group_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def verify_url(code: str, *, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def public_base_url() -> str:
    """PUBLIC_BASE_URL, else the root of the current request, else http://localhost (no request)."""
    from flask import current_app, has_request_context, request

    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") if has_request_context() else "http://localhost"


def qr_image(url: str) -> str:
    """An <img> of the QR code for `url`: a PNG of one pixel per module (the CSS sizes it and keeps the
    edges sharp). A fixed mask spares segno trying all eight (any mask decodes the same); a raster image
    costs WeasyPrint far less per page than an inline SVG."""
    uri = segno.make(url, error="m", micro=False, mask=QR_MASK).png_data_uri(scale=1, border=0)
    return f'<img class="qr" src="{uri}" alt="Mã QR tra cứu">'


QR_MASK = 2


def heading_for(template: CertificateTemplate, award_name: str) -> str:
    return template.heading.replace(AWARD_TOKEN, award_name.upper())


def artwork_urls() -> dict[str, str]:
    """`emblem_url` and `border_url`: the uploaded files (absolute file URLs) or the placeholders (relative
    to the static folder, the documents' base URL)."""
    from thidua.storage import path_of

    uploaded = {a.kind: a for a in db.session.scalars(sa.select(Artwork))}
    urls = {}
    for kind, placeholder in PLACEHOLDERS.items():
        art = uploaded.get(kind)
        urls[f"{kind.value}_url"] = path_of(art.stored_name).as_uri() if art else placeholder
    return urls


def fields_for(item: DecisionItem, *, base_url: str, template: CertificateTemplate | None = None,
               artwork: dict[str, str] | None = None) -> dict[str, str]:
    """The named fields printed on `item`'s certificate (see TEXT_FIELDS), plus `verify_url`, `qr_image`
    and the artwork URLs (`emblem_url`, `border_url`). Batches pass the `template` and `artwork_urls()`
    they looked up once, instead of two queries per certificate."""
    decision = item.decision
    try:
        template = template or template_for(decision.award_type.code)
        heading = heading_for(template, decision.award_type.name)
    except LookupError:  # templates not seeded yet: the verification page still works
        heading = decision.award_type.name.upper()
    salutation = ""
    if item.person is not None and item.person.gender is not None:
        salutation = "Ông" if item.person.gender == Gender.MALE else "Bà"
    url = verify_url(item.verify_code, base_url=base_url) if item.verify_code else ""
    return {
        "heading": heading,
        "issuer_title": decision.issuer_title or "",
        "salutation": salutation,
        "recipient_name": item.awardee_name,
        "recipient_detail": item.awardee_detail or "",
        "achievement": item.achievement or "",
        "decision_line": (f"Quyết định số {decision.number} ngày {vn_short_date(decision.signed_on)}"
                          if decision.number and decision.signed_on else ""),
        "gold_book_line": f"Số sổ vàng: {item.gold_book_number}" if item.gold_book_number else "",
        "place_date": vn_long_date(decision.signed_on, decision.place) if decision.signed_on else "",
        "signer_title": decision.signer_title or "",
        "signer_name": decision.signer_name or "",
        "verify_code": group_code(item.verify_code) if item.verify_code else "",
        "verify_url": url,
        "qr_image": qr_image(url) if url else "",
        **(artwork if artwork is not None else artwork_urls()),
    }


def sample_fields(template: CertificateTemplate, *, base_url: str = "https://thiduakhenthuong.thanhhoa.gov.vn"
                  ) -> dict[str, str]:
    """Fields of a made-up awardee, for previews and for validating a template."""
    code = "K7QF3M2DX9TB4WZ6PL5RA"
    url = verify_url(code, base_url=base_url)
    return {
        "heading": heading_for(template, "Chiến sĩ thi đua cơ sở"),
        "issuer_title": "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA",
        "salutation": "Bà",
        "recipient_name": "Nguyễn Thị Hằng",
        "recipient_detail": "Giáo viên, Trường THPT chuyên Lam Sơn",
        "achievement": "Đã có thành tích xuất sắc trong công tác giảng dạy, góp phần vào sự nghiệp xây dựng "
                       "và phát triển tỉnh Thanh Hóa năm học 2024 – 2025",
        "decision_line": "Quyết định số 1234/QĐ-UBND ngày 05/3/2026",
        "gold_book_line": "Số sổ vàng: 125",
        "place_date": "Thanh Hóa, ngày 05 tháng 3 năm 2026",
        "signer_title": "CHỦ TỊCH",
        "signer_name": "Đỗ Minh Tuấn",
        "verify_code": group_code(code),
        "verify_url": url,
        "qr_image": qr_image(url),
        "emblem_url": PLACEHOLDERS[ArtworkKind.EMBLEM],
        "border_url": PLACEHOLDERS[ArtworkKind.BORDER],
    }


# --- templates --------------------------------------------------------------------------------------

def template_for(award_code: str) -> CertificateTemplate:
    """The template whose award codes contain `award_code`, else the default ("giay-khen")."""
    templates = db.session.scalars(sa.select(CertificateTemplate).order_by(CertificateTemplate.id)).all()
    for template in templates:
        if award_code in (template.award_codes or []):
            return template
    for template in templates:
        if template.code == DEFAULT_TEMPLATE:
            return template
    raise LookupError("no certificate template: run seed_certificate_templates()")


_sandbox = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@functools.lru_cache(maxsize=64)
def _compiled(html: str):
    return _sandbox.from_string(html)


def _context(fields: dict) -> dict:
    context = {name: fields.get(name, "") for name in TEXT_FIELDS}
    qr = Markup(fields.get("qr_image", ""))
    # `qr_svg`: the name of the QR field before it became an image, still accepted in edited templates.
    context.update(verify_url=fields.get("verify_url", ""), qr_image=qr, qr_svg=qr,
                   emblem_url=fields.get("emblem_url", PLACEHOLDERS[ArtworkKind.EMBLEM]),
                   border_url=fields.get("border_url", PLACEHOLDERS[ArtworkKind.BORDER]))
    return context


def validate_template(html: str, blank_layout: dict) -> dict:
    """Check a template before it is saved: the HTML renders in the sandbox with a sample awardee, and the
    blank layout is well formed. Return the layout normalised; raise TemplateInvalid."""
    try:
        _compiled(html).render(_context(sample_fields(CertificateTemplate(heading=""))))
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (dòng {line})" if line else ""
        raise TemplateInvalid(f"Mẫu HTML có lỗi{where}: {exc.message or exc}", "html") from exc
    return validate_layout(blank_layout)


def validate_layout(layout) -> dict:
    """The blank layout with numbers as floats and defaults filled in; TemplateInvalid when malformed."""
    if not isinstance(layout, dict):
        raise TemplateInvalid("Bố cục phôi phải là một đối tượng JSON: tên trường → vị trí.", "blank_layout")
    result = {}
    for name, box in layout.items():
        if name not in LAYOUT_FIELDS:
            raise TemplateInvalid(f"Trường “{name}” không có trong danh sách trường của giấy chứng nhận.",
                                  "blank_layout")
        if not isinstance(box, dict):
            raise TemplateInvalid(f"Trường “{name}”: vị trí phải có x, y, w (mm).", "blank_layout")
        try:
            clean = {key: float(box[key]) for key in ("x", "y", "w")}
            clean["size"] = float(box.get("size", 14))
        except (KeyError, TypeError, ValueError) as exc:
            raise TemplateInvalid(f"Trường “{name}”: x, y, w và cỡ chữ phải là số.", "blank_layout") from exc
        if min(clean.values()) < 0 or clean["w"] <= 0 or clean["size"] <= 0:
            raise TemplateInvalid(f"Trường “{name}”: vị trí và kích thước phải dương.", "blank_layout")
        align = box.get("align", "left")
        if align not in ALIGNS:
            raise TemplateInvalid(f"Trường “{name}”: căn lề phải là left, center hoặc right.", "blank_layout")
        clean.update(align=align, bold=bool(box.get("bold", False)), italic=bool(box.get("italic", False)))
        if box.get("color"):
            clean["color"] = str(box["color"])
        result[name] = clean
    return result


# --- pages, CSS, documents --------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """Where a field lands on the paper, after calibration: mm and pt."""

    x: float
    y: float
    w: float
    size: float


def calibrated(box: dict, calibration: PrinterCalibration | None) -> Placement:
    """printed = offset + scale × intended, for x and y; width and font size scale too."""
    if calibration is None:
        ox = oy = 0.0
        scale = 1.0
    else:
        ox, oy, scale = float(calibration.offset_x_mm), float(calibration.offset_y_mm), float(calibration.scale)
    return Placement(x=ox + scale * float(box["x"]), y=oy + scale * float(box["y"]), w=scale * float(box.get("w", 0)),
                     size=scale * float(box.get("size", 14)))


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _blank_page(template: CertificateTemplate, fields: dict, calibration: PrinterCalibration | None) -> str:
    context = _context(fields)
    context["verify_line"] = (f"Mã tra cứu: {context['verify_code']} – {context['verify_url']}"
                              if context["verify_code"] else "")
    boxes = []
    for name, box in (template.blank_layout or {}).items():
        if name not in LAYOUT_FIELDS:
            continue
        at = calibrated(box, calibration)
        style = f"left: {_num(at.x)}mm; top: {_num(at.y)}mm; width: {_num(at.w)}mm;"
        if name == "qr":
            if context["qr_image"]:
                boxes.append(f'<div class="f f-qr" style="{style} height: {_num(at.w)}mm;">{context["qr_image"]}</div>')
            continue
        text = context[name]
        if name == "recipient_name" and context["salutation"] and "salutation" not in template.blank_layout:
            text = f"{context['salutation']} {text}"
        if not text:
            continue
        style += f" font-size: {_num(at.size)}pt; text-align: {box.get('align', 'left')};"
        if box.get("bold"):
            style += " font-weight: bold;"
        if box.get("italic"):
            style += " font-style: italic;"
        if box.get("color"):
            style += f" color: {escape(box['color'])};"
        boxes.append(f'<div class="f f-{name}" style="{style}">{escape(text)}</div>')
    return f'<section class="page blank tpl-{escape(template.code)}">' + "".join(boxes) + "</section>"


def page_html(template: CertificateTemplate, fields: dict, *, mode: PrintMode,
              calibration: PrinterCalibration | None = None) -> str:
    """One certificate page, a `<section class="page">` fragment. Full mode renders the template's
    sandboxed HTML; blank mode places only the variable text at the layout's positions (calibrated).
    Field values are escaped; only `qr_image` is inserted as markup."""
    if mode == PrintMode.BLANK:
        return _blank_page(template, fields, calibration)
    body = _compiled(template.html).render(_context(fields))
    return f'<section class="page full tpl-{escape(template.code)}">{body}</section>'


BASE_CSS = """
html { font-family: "Thidua Serif"; color: #000; }
body { margin: 0; }
.page { position: relative; width: %(w)smm; height: %(h)smm; overflow: hidden; break-after: page; }
.page:last-child { break-after: auto; }
p { margin: 0; }
img.qr { display: block; width: 100%%; height: auto; image-rendering: pixelated; }
"""

OVERLAY_CSS = """
.blank .f { position: absolute; line-height: %(lh)s; white-space: pre-line; }
.blank .f-qr img.qr { width: 100%%; height: 100%%; }
"""


def document_css(template: CertificateTemplate, *, mode: PrintMode, static_dir: Path) -> str:
    """The whole stylesheet of a document of `template` pages: bundled font faces, the page size, then the
    template's own CSS (full) or the overlay rules (blank). Needs no Flask app."""
    size = {"w": _num(float(template.page_width_mm)), "h": _num(float(template.page_height_mm))}
    parts = [font_face_css(static_dir), f"@page {{ size: {size['w']}mm {size['h']}mm; margin: 0; }}",
             BASE_CSS % size]
    if mode == PrintMode.BLANK:
        parts.append(OVERLAY_CSS % {"lh": LINE_HEIGHT})
    else:
        parts.append(template.css or "")
    return "\n".join(parts)


def document_html(pages: list[str], *, title: str, created: datetime) -> str:
    """A complete HTML document of certificate pages, with the PDF's title and dates fixed."""
    return ('<!doctype html><html lang="vi"><head><meta charset="utf-8">' + str(metadata_tags(title=title, created=created))
            + "</head><body>" + "".join(pages) + "</body></html>")


def document_created(item: DecisionItem) -> datetime:
    """The date a certificate's PDF carries: when its decision was issued (a date of the data)."""
    decision = item.decision
    if decision.issued_at is not None:
        return decision.issued_at
    signed = decision.signed_on or date(2000, 1, 1)
    return datetime(signed.year, signed.month, signed.day, tzinfo=UTC)


def render_items(items: list[DecisionItem], *, mode: PrintMode, calibration: PrinterCalibration | None = None,
                 copies: int = 1) -> bytes:
    """PDF bytes of the certificates of `items` (each `copies` times), in this process; needs an app
    context. All items must print with the same template (one decision's items do)."""
    from thidua.documents.pdf import render_html, static_dir

    if not items:
        raise ValueError("no items to render")
    codes = {item.decision.award_type.code for item in items}
    templates = {template_for(code).id: template_for(code) for code in codes}
    if len(templates) != 1:
        raise ValueError("items of one document must share a certificate template")
    template = next(iter(templates.values()))
    base = public_base_url()
    artwork = artwork_urls()
    pages = []
    for item in items:
        fields = fields_for(item, base_url=base, template=template, artwork=artwork)
        page = page_html(template, fields, mode=mode, calibration=calibration)
        pages.extend([page] * copies)
    first = items[0]
    title = first.awardee_name if len(items) == 1 else str(first.decision)
    html = document_html(pages, title=f"{template.name}: {title}", created=document_created(first))
    static = static_dir()
    return render_html(html, css=document_css(template, mode=mode, static_dir=static), base_url=str(static))



# --- calibration sheet --------------------------------------------------------------------------------

def calibration_marks(width: float, height: float) -> list[tuple[float, float]]:
    """The crosshair points of a calibration sheet: 20 mm in from each corner, and the centre."""
    return [(20.0, 20.0), (width - 20, 20.0), (20.0, height - 20), (width - 20, height - 20),
            (round(width / 2), round(height / 2))]


def _grid_stroke(mm: int) -> str:
    if mm % 10 == 0:
        return 'stroke="#222" stroke-width="0.3"'
    return 'stroke="#666" stroke-width="0.15"' if mm % 5 == 0 else 'stroke="#aaa" stroke-width="0.05"'


def calibration_page_html(template: CertificateTemplate, calibration: PrinterCalibration | None) -> str:
    """A sheet of `template`'s size with a millimetre grid (1, 5 and 10 mm lines, labelled every 10 mm)
    and crosshairs at known points, drawn where the calibration sends them: printed on a blank, the
    officer reads where the marks land and corrects the offsets and scale."""
    width, height = float(template.page_width_mm), float(template.page_height_mm)
    if calibration is None:
        ox = oy = 0.0
        scale = 1.0
    else:
        ox, oy, scale = float(calibration.offset_x_mm), float(calibration.offset_y_mm), float(calibration.scale)
    lines = []
    for x in range(int(width) + 1):
        lines.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{_num(height)}" {_grid_stroke(x)}/>')
    for y in range(int(height) + 1):
        lines.append(f'<line x1="0" y1="{y}" x2="{_num(width)}" y2="{y}" {_grid_stroke(y)}/>')
    for x, y in calibration_marks(width, height):
        lines.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="none" stroke="#c8102e" stroke-width="0.4"/>'
                     f'<path d="M{_num(x - 6)} {_num(y)} H{_num(x + 6)} M{_num(x)} {_num(y - 6)} V{_num(y + 6)}" '
                     'stroke="#c8102e" stroke-width="0.4"/>')
    svg = (f'<svg class="grid" xmlns="http://www.w3.org/2000/svg" width="{_num(width)}mm" height="{_num(height)}mm" '
           f'viewBox="0 0 {_num(width)} {_num(height)}"><g transform="translate({_num(ox)} {_num(oy)}) '
           f'scale({_num(scale)})">' + "".join(lines) + "</g></svg>")
    labels = []
    size = _num(6 * scale)
    for x in range(10, int(width), 10):
        at = calibrated({"x": x + 0.5, "y": 1}, calibration)
        labels.append(f'<div class="lbl" style="left: {_num(at.x)}mm; top: {_num(at.y)}mm; font-size: {size}pt">{x}</div>')
    for y in range(10, int(height), 10):
        at = calibrated({"x": 1, "y": y + 0.5}, calibration)
        labels.append(f'<div class="lbl" style="left: {_num(at.x)}mm; top: {_num(at.y)}mm; font-size: {size}pt">{y}</div>')
    for x, y in calibration_marks(width, height):
        at = calibrated({"x": x + 4, "y": y + 3.5}, calibration)
        labels.append(f'<div class="lbl mark" style="left: {_num(at.x)}mm; top: {_num(at.y)}mm; font-size: {size}pt">'
                      f"({_num(x)}; {_num(y)})</div>")
    title = escape(f"Trang hiệu chỉnh: {calibration.name if calibration else 'không hiệu chỉnh'} – "
                   f"{template.name} {_num(width)} × {_num(height)} mm")
    centre = calibrated({"x": 30, "y": height / 2 + 12}, calibration)
    labels.append(f'<div class="lbl note" style="left: {_num(centre.x)}mm; top: {_num(centre.y)}mm; '
                  f'font-size: {_num(9 * scale)}pt">{title}</div>')
    return f'<section class="page blank calibration">{svg}{"".join(labels)}</section>'


CALIBRATION_CSS = """
.calibration svg.grid { position: absolute; left: 0; top: 0; }
.calibration .lbl { position: absolute; line-height: 1; color: #333; white-space: nowrap; }
.calibration .mark { color: #c8102e; }
"""
