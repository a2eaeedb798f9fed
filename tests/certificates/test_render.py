"""Certificate rendering: the text survives with every diacritic, only the bundled font is used, each
template has its paper size, the QR code leads to the verification page, and admin templates are sandboxed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from thidua.certificates import render
from thidua.certificates.models import CertificateTemplate, PrintMode
from thidua.certificates.seed import seed_certificate_templates

from . import ACHIEVEMENT, NAMES, awarded, decode_qr, pdf_fonts, pdf_page_size_mm, pdf_text


@pytest.mark.parametrize("mode", list(PrintMode))
def test_certificate_pdf_keeps_every_vietnamese_letter(db, province, unit, mode):
    decision = awarded(province, unit)
    for item, name in zip(decision.items, NAMES, strict=True):
        text = pdf_text(render.render_items([item], mode=mode))
        assert name in text
        assert ACHIEVEMENT in text
        assert f"Quyết định số {decision.number}" in text
        assert f"Số sổ vàng: {item.gold_book_number}" in text


def test_full_certificate_prints_the_specimen_lines(db, province, unit):
    decision = awarded(province, unit, names=["Nguyễn Thị Hằng", "Đặng Quốc Vượng"])
    text = pdf_text(render.render_items(decision.items, mode=PrintMode.FULL))
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc",
                 "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA", "TẶNG", "BẰNG KHEN",
                 "Bà Nguyễn Thị Hằng", "Ông Đặng Quốc Vượng", "Đỗ Minh Tuấn"):
        assert line in text
    assert render.vn_long_date(decision.signed_on, "Thanh Hóa") in text


def test_blank_mode_prints_only_the_variable_text(db, province, unit):
    decision = awarded(province, unit, names=["Lê Thị Ánh Tuyết"])
    text = pdf_text(render.render_items(decision.items, mode=PrintMode.BLANK))
    assert "Bà Lê Thị Ánh Tuyết" in text
    assert "CỘNG HÒA" not in text and "BẰNG KHEN" not in text and "Độc lập" not in text


@pytest.mark.parametrize("mode", list(PrintMode))
def test_pdf_embeds_only_the_bundled_font(db, province, unit, mode):
    decision = awarded(province, unit)
    fonts = pdf_fonts(render.render_items(decision.items, mode=mode))
    # Subsets of the bundled Liberation Serif, named after the @font-face family; never a host font.
    assert fonts and all(re.fullmatch(r"[A-Z]{6}\+Thidua-Serif(-Bold)?(-Italic)?", name) for name in fonts), fonts


@pytest.mark.parametrize(("code", "size"), [("BK_TINH", (400, 300)), ("GK_SO", (297, 210)), ("GK_XA", (297, 210)),
                                             ("CSTDCS", (297, 210)), ("TTLDXS", (297, 210))])
def test_each_award_prints_on_its_templates_paper(db, province, unit, code, size):
    decision = awarded(province, unit, code=code, names=["Nguyễn Thị Hằng"])
    for mode in PrintMode:
        width, height = pdf_page_size_mm(render.render_items(decision.items, mode=mode))
        assert width == pytest.approx(size[0], abs=0.1) and height == pytest.approx(size[1], abs=0.1)


def test_award_without_a_template_uses_the_default_giay_khen(db):
    seed_certificate_templates()
    assert render.template_for("BK_TINH").code == "bang-khen"
    assert render.template_for("CSTDCS").code == "danh-hieu"
    assert render.template_for("UNKNOWN").code == "giay-khen"


def test_emulation_title_certificate_names_the_title(db, province, unit):
    decision = awarded(province, unit, code="CSTDCS", names=["Đặng Quốc Vượng"])
    text = pdf_text(render.render_items(decision.items, mode=PrintMode.FULL))
    assert "TẶNG DANH HIỆU" in text and "CHIẾN SĨ THI ĐUA CƠ SỞ" in text


def test_copies_repeat_the_page(db, province, unit):
    import io

    from pypdf import PdfReader

    decision = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    data = render.render_items(decision.items, mode=PrintMode.FULL, copies=3)
    assert len(PdfReader(io.BytesIO(data)).pages) == 3


def test_qr_code_leads_to_the_verification_page(app, db, client, province, unit):
    decision = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    item = decision.items[0]
    app.config["PUBLIC_BASE_URL"] = "https://thiduakhenthuong.thanhhoa.gov.vn"
    try:
        urls = decode_qr(render.render_items([item], mode=PrintMode.FULL))
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert urls == [f"https://thiduakhenthuong.thanhhoa.gov.vn/verify/{item.verify_code}"]
    db.session.commit()
    page = client.get(urlsplit(urls[0]).path)
    assert page.status_code == 200
    assert "Nguyễn Thị Hằng" in page.text and decision.number in page.text


def test_short_code_is_printed_in_groups_with_the_lookup_address(db, province, unit):
    decision = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    item = decision.items[0]
    text = pdf_text(render.render_items([item], mode=PrintMode.FULL))
    assert render.group_code(item.verify_code) in text
    assert f"Tra cứu: http://localhost/verify/{item.verify_code}" in text


def test_field_values_are_escaped_in_the_page(db):
    seed_certificate_templates()
    template = render.template_for("BK_TINH")
    fields = render.sample_fields(template) | {"recipient_name": "<script>alert(1)</script>"}
    for mode in PrintMode:
        html = render.page_html(template, fields, mode=mode)
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert html.startswith('<section class="page')


@pytest.mark.parametrize("html", [
    "{{ recipient_name.__class__.__mro__[1].__subclasses__() }}",
    "{{ recipient_nam }}",
    "{% for x in %}",
])
def test_template_that_escapes_the_sandbox_or_breaks_is_refused(db, html):
    with pytest.raises(render.TemplateInvalid) as refused:
        render.validate_template(html, {})
    assert refused.value.field == "html" and "Mẫu HTML có lỗi" in str(refused.value)


@pytest.mark.parametrize("layout", [
    {"unknown_field": {"x": 1, "y": 1, "w": 10}},
    {"recipient_name": {"x": "a", "y": 1, "w": 10}},
    {"recipient_name": {"x": 1, "y": 1, "w": 10, "align": "justify"}},
    [1, 2],
])
def test_malformed_blank_layout_is_refused(db, layout):
    with pytest.raises(render.TemplateInvalid):
        render.validate_layout(layout)


def test_seeding_templates_twice_adds_them_once_and_keeps_edits(db):
    import sqlalchemy as sa

    assert len(seed_certificate_templates()) == 3
    edited = render.template_for("BK_TINH")
    edited.name = "Bằng khen (đã sửa)"
    assert seed_certificate_templates() == []
    assert db.session.scalar(sa.select(sa.func.count(CertificateTemplate.id))) == 3
    assert render.template_for("BK_TINH").name == "Bằng khen (đã sửa)"


def test_revoked_or_mixed_items_are_not_rendered_together(db, province, unit):
    first = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    second = awarded(province, unit, code="GK_SO", names=["Đặng Quốc Vượng"])
    with pytest.raises(ValueError):
        render.render_items([first.items[0], second.items[0]], mode=PrintMode.FULL)
