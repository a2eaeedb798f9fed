"""Pre-printed blanks: each field lands where the layout and the printer's calibration put it (read back
from the PDF with pdftotext -bbox, within 0.5 mm), the calibration sheet, and the calibration pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.certificates import render
from thidua.certificates.models import PrinterCalibration, PrintMode
from thidua.certificates.seed import seed_certificate_templates

from . import awarded, line_box, pdf_page_size_mm, pdf_text, pdf_words

TOLERANCE_MM = 0.5


def blank_words(item, calibration=None):
    return pdf_words(render.render_items([item], mode=PrintMode.BLANK, calibration=calibration))


def test_left_aligned_field_starts_exactly_at_its_x(db, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    layout = render.template_for("BK_TINH").blank_layout
    words = blank_words(item)
    decision_line = line_box(words, f"Quyết định số {item.decision.number}")
    gold_book = line_box(words, f"Số sổ vàng: {item.gold_book_number}")
    assert decision_line["xMin"] == pytest.approx(layout["decision_line"]["x"], abs=TOLERANCE_MM)
    assert gold_book["xMin"] == pytest.approx(layout["gold_book_line"]["x"], abs=TOLERANCE_MM)
    # The boxes' tops are their y: the glyphs sit just below, in layout order, less than a line down.
    assert 0 <= decision_line["yMin"] - layout["decision_line"]["y"] < layout["decision_line"]["size"] / 72 * 25.4
    assert gold_book["yMin"] - decision_line["yMin"] == pytest.approx(
        layout["gold_book_line"]["y"] - layout["decision_line"]["y"], abs=TOLERANCE_MM)


def test_centred_field_is_centred_on_its_box(db, province, unit):
    item = awarded(province, unit, names=["Đặng Quốc Vượng"]).items[0]
    box = render.template_for("BK_TINH").blank_layout["recipient_name"]
    name = line_box(blank_words(item), "Ông Đặng Quốc Vượng")
    assert (name["xMin"] + name["xMax"]) / 2 == pytest.approx(box["x"] + box["w"] / 2, abs=TOLERANCE_MM)


@pytest.mark.parametrize(("ox", "oy", "scale"), [(3, -2, 1), (-1.5, 4.25, Decimal("0.99")), (0, 0, Decimal("1.012"))])
def test_calibration_moves_every_field_by_offset_plus_scale(db, province, unit, ox, oy, scale):
    item = awarded(province, unit, names=["Lê Thị Ánh Tuyết"]).items[0]
    calibration = PrinterCalibration(name="Máy in phòng TĐKT", offset_x_mm=Decimal(ox), offset_y_mm=Decimal(oy),
                                     scale=Decimal(scale))
    plain, shifted = blank_words(item), blank_words(item, calibration)
    s = float(scale)
    for text in ("Bà Lê Thị Ánh Tuyết", f"Quyết định số {item.decision.number}", "Đỗ Minh Tuấn",
                 f"Số sổ vàng: {item.gold_book_number}"):
        before, after = line_box(plain, text), line_box(shifted, text)
        # Font size scales with the position, so each glyph box maps by the same affine rule.
        assert after["xMin"] == pytest.approx(ox + s * before["xMin"], abs=TOLERANCE_MM), text
        assert after["yMin"] == pytest.approx(oy + s * before["yMin"], abs=TOLERANCE_MM), text


@pytest.mark.parametrize(("code", "size"), [("BK_TINH", (400, 300)), ("GK_SO", (297, 210))])
def test_calibration_sheet_has_the_templates_size_grid_labels_and_marks(db, login_as, users, code, size):
    seed_certificate_templates()
    template = render.template_for(code)
    calibration = PrinterCalibration(name="Canon LBP", offset_x_mm=Decimal("2"), offset_y_mm=Decimal("-1"),
                                     scale=Decimal("1"))
    db.session.add(calibration)
    db.session.flush()
    response = login_as(users[Role.SECRETARIAT]).get(
        f"/certificates/calibrations/{calibration.id}/page.pdf?template={template.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_page_size_mm(response.data) == pytest.approx(size, abs=0.1)
    text = pdf_text(response.data)
    assert "(20; 20)" in text and f"({size[0] - 20}; {size[1] - 20})" in text and "Canon LBP" in text
    mark = line_box(pdf_words(response.data), "(20; 20)")
    assert mark["xMin"] == pytest.approx(2 + 24, abs=TOLERANCE_MM)  # the label sits 4 mm right of the mark


def test_calibration_page_needs_an_existing_template(db, login_as, users):
    calibration = PrinterCalibration(name="HP", offset_x_mm=0, offset_y_mm=0, scale=1)
    db.session.add(calibration)
    db.session.flush()
    assert login_as(users[Role.ADMIN]).get(f"/certificates/calibrations/{calibration.id}/page.pdf").status_code == 404


def test_officer_creates_a_calibration_with_decimal_commas(db, login_as, users):
    client = login_as(users[Role.SECRETARIAT])
    response = client.post("/certificates/calibrations/new", data={
        "name": "Canon LBP 2900 – phòng Thi đua", "offset_x_mm": "1,5", "offset_y_mm": "-2,25", "scale": "0,995"})
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(PrinterCalibration))
    assert (saved.offset_x_mm, saved.offset_y_mm, saved.scale) == (Decimal("1.5"), Decimal("-2.25"), Decimal("0.995"))
    assert "Canon LBP 2900 – phòng Thi đua" in client.get("/certificates/calibrations").text


def test_calibration_with_scale_out_of_range_is_refused_and_input_kept(db, login_as, users):
    client = login_as(users[Role.SECRETARIAT])
    response = client.post("/certificates/calibrations/new", data={
        "name": "Máy in hỏng", "offset_x_mm": "0", "offset_y_mm": "0", "scale": "1,6"})
    assert response.status_code == 200
    assert "Tỷ lệ phải lớn hơn 0,5 và nhỏ hơn 1,5." in response.text and "Máy in hỏng" in response.text
    assert db.session.scalar(sa.select(PrinterCalibration)) is None


def test_duplicate_printer_name_is_refused(db, login_as, users):
    db.session.add(PrinterCalibration(name="HP", offset_x_mm=0, offset_y_mm=0, scale=1))
    client = login_as(users[Role.SECRETARIAT])
    response = client.post("/certificates/calibrations/new", data={
        "name": "HP", "offset_x_mm": "0", "offset_y_mm": "0", "scale": "1"})
    assert "Đã có máy in mang tên này." in response.text


def test_calibration_is_edited_and_deleted(db, login_as, users):
    calibration = PrinterCalibration(name="HP", offset_x_mm=0, offset_y_mm=0, scale=1)
    db.session.add(calibration)
    db.session.flush()
    client = login_as(users[Role.SECRETARIAT])
    client.post(f"/certificates/calibrations/{calibration.id}/edit", data={
        "name": "HP LaserJet", "offset_x_mm": "0.8", "offset_y_mm": "0", "scale": "1"})
    db.session.expire_all()
    assert db.session.get(PrinterCalibration, calibration.id).name == "HP LaserJet"
    client.post(f"/certificates/calibrations/{calibration.id}/delete")
    db.session.expire_all()
    assert db.session.get(PrinterCalibration, calibration.id) is None


def test_unit_officer_cannot_manage_calibrations(db, login_as, users):
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.get("/certificates/calibrations").status_code == 403
    assert client.post("/certificates/calibrations/new", data={"name": "X", "offset_x_mm": "0",
                                                               "offset_y_mm": "0", "scale": "1"}).status_code == 403
