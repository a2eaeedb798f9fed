"""Staff pages: printing one certificate (with the print log and reprints), the print-log page, and
the admin pages for templates and artwork."""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.certificates import render
from thidua.certificates.models import Artwork, ArtworkKind, PrintLog, PrintMode
from thidua.certificates.seed import seed_certificate_templates

from .. import factories
from . import awarded, pdf_text


def print_url(item) -> str:
    return f"/certificates/decisions/{item.decision_id}/items/{item.id}/print"


def test_printing_a_certificate_returns_the_pdf_and_logs_it(db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(print_url(item), data={"mode": "full", "calibration_id": "0", "copies": "2"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "Bà Nguyễn Thị Hằng" in pdf_text(response.data)
    log = db.session.scalar(sa.select(PrintLog))
    assert (log.item_id, log.user_id, log.mode, log.copies, log.reprint) == (
        item.id, users[Role.SECRETARIAT].id, PrintMode.FULL, 2, False)


def test_second_print_is_logged_as_a_reprint_and_shown_in_the_log(db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Đặng Quốc Vượng"]).items[0]
    client = login_as(users[Role.SECRETARIAT])
    client.post(print_url(item), data={"mode": "full", "calibration_id": "0", "copies": "1"})
    assert "đã được in 1 lần" in client.get(print_url(item)).text
    client.post(print_url(item), data={"mode": "blank", "calibration_id": "0", "copies": "1"})
    logs = db.session.scalars(sa.select(PrintLog).order_by(PrintLog.id)).all()
    assert [(log.mode, log.reprint) for log in logs] == [(PrintMode.FULL, False), (PrintMode.BLANK, True)]
    page = client.get(f"/certificates/decisions/{item.decision_id}/prints")
    assert page.status_code == 200
    assert page.text.count("Đặng Quốc Vượng") == 2 and "In lại" in page.text and "Lần đầu" in page.text


def test_blank_print_applies_the_chosen_calibration(db, login_as, users, province, unit):
    from decimal import Decimal

    from thidua.certificates.models import PrinterCalibration

    from . import line_box, pdf_words

    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    calibration = PrinterCalibration(name="Epson", offset_x_mm=Decimal("5"), offset_y_mm=Decimal("0"), scale=1)
    db.session.add(calibration)
    db.session.flush()
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(print_url(item), data={"mode": "blank", "calibration_id": str(calibration.id), "copies": "1"})
    box = line_box(pdf_words(response.data), f"Quyết định số {item.decision.number}")
    assert abs(box["xMin"] - (5 + render.template_for("BK_TINH").blank_layout["decision_line"]["x"])) < 0.5


def test_revoked_award_cannot_be_printed(db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Lê Thị Ánh Tuyết"]).items[0]
    item.revoked_at = datetime.now(UTC)
    item.revocation_number = "99/QĐ-UBND"
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(print_url(item), data={"mode": "full", "calibration_id": "0", "copies": "1"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "khen thưởng đã bị thu hồi theo Quyết định số 99/QĐ-UBND" in response.text
    assert db.session.scalar(sa.select(PrintLog)) is None


def test_too_many_copies_are_refused_beside_the_field(db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Lê Thị Ánh Tuyết"]).items[0]
    response = login_as(users[Role.SECRETARIAT]).post(print_url(item), data={"mode": "full", "calibration_id": "0",
                                                                              "copies": "500"})
    assert "Số bản từ 1 đến 20." in response.text and db.session.scalar(sa.select(PrintLog)) is None


def test_draft_decision_cannot_be_printed(db, login_as, users, province, unit):
    seed_certificate_templates()
    person = factories.make_person(full_name="Nguyễn Thị Hằng", unit=unit)
    item = factories.make_decision(issuer=province, awardees=[person], issued=False).items[0]
    assert login_as(users[Role.SECRETARIAT]).post(print_url(item), data={"mode": "full", "copies": "1"}).status_code == 403


def test_unit_officer_cannot_print_or_read_the_log(db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.post(print_url(item), data={"mode": "full", "copies": "1"}).status_code == 403
    assert client.get(f"/certificates/decisions/{item.decision_id}/prints").status_code == 403


def test_item_of_another_decision_is_not_found(db, login_as, users, province, unit):
    first = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    second = awarded(province, unit, names=["Đặng Quốc Vượng"])
    url = f"/certificates/decisions/{first.id}/items/{second.items[0].id}/print"
    assert login_as(users[Role.SECRETARIAT]).get(url).status_code == 404


def test_print_without_csrf_token_is_refused(csrf_app, db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    response = login_as(users[Role.SECRETARIAT]).post(print_url(item), data={"mode": "full", "copies": "1"})
    assert response.status_code == 400 and db.session.scalar(sa.select(PrintLog)) is None


# --- templates ---------------------------------------------------------------------------------------

def template_data(template, **changes) -> dict:
    data = {"name": template.name, "award_codes": ", ".join(template.award_codes),
            "page_width_mm": str(template.page_width_mm), "page_height_mm": str(template.page_height_mm),
            "heading": template.heading, "html": template.html, "css": template.css,
            "blank_layout": json.dumps(template.blank_layout)}
    return data | changes


def test_admin_edits_a_template_and_the_preview_shows_it(db, login_as, users):
    seed_certificate_templates()
    template = render.template_for("GK_SO")
    client = login_as(users[Role.ADMIN])
    response = client.post(f"/certificates/templates/{template.id}/edit",
                           data=template_data(template, heading="GIẤY KHEN ĐẶC BIỆT", award_codes="gk_so; GK_XA"))
    assert response.status_code == 302
    db.session.expire_all()
    assert render.template_for("GK_SO").award_codes == ["GK_SO", "GK_XA"]
    for mode in PrintMode:
        preview = client.get(f"/certificates/templates/{template.id}/preview.pdf?mode={mode.value}")
        assert preview.mimetype == "application/pdf"
        text = pdf_text(preview.data)
        assert "Nguyễn Thị Hằng" in text
        assert ("GIẤY KHEN ĐẶC BIỆT" in text) == (mode == PrintMode.FULL)


def test_broken_template_is_refused_and_the_typed_html_kept(db, login_as, users):
    seed_certificate_templates()
    template = render.template_for("GK_SO")
    broken = "<p>{{ recipient_name.__class__.__init__.__globals__ }}</p>"
    response = login_as(users[Role.ADMIN]).post(f"/certificates/templates/{template.id}/edit",
                                                data=template_data(template, html=broken))
    assert response.status_code == 200 and "Mẫu HTML có lỗi" in response.text
    assert "recipient_name.__class__.__init__.__globals__" in response.text
    db.session.expire_all()
    assert render.template_for("GK_SO").html != broken


def test_bad_layout_json_is_refused_beside_the_field(db, login_as, users):
    seed_certificate_templates()
    template = render.template_for("GK_SO")
    client = login_as(users[Role.ADMIN])
    response = client.post(f"/certificates/templates/{template.id}/edit",
                           data=template_data(template, blank_layout='{"recipient_name": {"x": 1,'))
    assert "JSON không hợp lệ" in response.text
    response = client.post(f"/certificates/templates/{template.id}/edit",
                           data=template_data(template, blank_layout='{"ho_ten": {"x": 1, "y": 2, "w": 3}}'))
    assert "Trường “ho_ten” không có" in response.text


def test_award_code_of_another_template_is_refused(db, login_as, users):
    seed_certificate_templates()
    template = render.template_for("GK_SO")
    response = login_as(users[Role.ADMIN]).post(f"/certificates/templates/{template.id}/edit",
                                                data=template_data(template, award_codes="GK_SO, BK_TINH"))
    assert "Mã BK_TINH đã thuộc mẫu" in response.text


def test_only_admin_manages_templates(db, login_as, users):
    seed_certificate_templates()
    client = login_as(users[Role.SECRETARIAT])
    assert client.get("/certificates/templates").status_code == 403
    assert login_as(users[Role.ADMIN]).get("/certificates/templates").status_code == 200


# --- artwork -----------------------------------------------------------------------------------------

def png_bytes() -> bytes:
    """A real 60 × 60 PNG (a red square), drawn by pdftoppm from a one-page PDF."""
    from weasyprint import HTML

    pdf = HTML(string='<style>@page{size:20mm 20mm;margin:0}</style><div style="width:20mm;height:20mm;'
                      'background:#c00"></div>').write_pdf()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "76", "-png", "-singlefile", str(Path(tmp, "a.pdf")), str(Path(tmp, "a"))],
                       check=True)
        return Path(tmp, "a.png").read_bytes()


def image_sizes(data: bytes) -> list[tuple[int, int]]:
    """(width, height) in pixels of every image in the PDF, from `pdfimages -list` (an image with
    transparency is listed twice: the picture and its mask)."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.pdf").write_bytes(data)
        out = subprocess.run(["pdfimages", "-list", str(Path(tmp, "a.pdf"))], capture_output=True, text=True,
                             check=True).stdout
    return sorted((int(line.split()[3]), int(line.split()[4])) for line in out.splitlines()[2:])


EMBLEM_PLACEHOLDER = (400, 400)  # static/certificates/emblem-placeholder.jpg


def test_uploaded_emblem_replaces_the_placeholder_until_reset(app, db, login_as, users, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    without = image_sizes(render.render_items([item], mode=PrintMode.FULL))
    assert EMBLEM_PLACEHOLDER in without
    client = login_as(users[Role.ADMIN])
    response = client.post("/certificates/artwork/emblem",
                           data={"file": (io.BytesIO(png_bytes()), "quoc-huy.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    art = db.session.scalar(sa.select(Artwork))
    assert art.kind == ArtworkKind.EMBLEM and art.original_name == "quoc-huy.png"
    uploaded = image_sizes(render.render_items([item], mode=PrintMode.FULL))
    assert (60, 60) in uploaded and EMBLEM_PLACEHOLDER not in uploaded
    # on a pre-printed blank only the QR code is an image: no emblem, no border
    assert len(image_sizes(render.render_items([item], mode=PrintMode.BLANK))) == 1
    stored = Path(app.config["UPLOAD_FOLDER"], art.stored_name)
    client.post("/certificates/artwork/emblem/reset")
    assert db.session.scalar(sa.select(Artwork)) is None and not stored.exists()
    assert image_sizes(render.render_items([item], mode=PrintMode.FULL)) == without


def test_replacing_artwork_keeps_one_row_and_removes_the_old_file(app, db, login_as, users):
    client = login_as(users[Role.ADMIN])
    client.post("/certificates/artwork/border", data={"file": (io.BytesIO(png_bytes()), "vien-1.png")},
                content_type="multipart/form-data")
    first = Path(app.config["UPLOAD_FOLDER"], db.session.scalar(sa.select(Artwork)).stored_name)
    client.post("/certificates/artwork/border", data={"file": (io.BytesIO(png_bytes()), "vien-2.png")},
                content_type="multipart/form-data")
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Artwork)).all()
    assert [a.original_name for a in rows] == ["vien-2.png"] and not first.exists()
    assert Path(app.config["UPLOAD_FOLDER"], rows[0].stored_name).exists()
    assert "vien-2.png" in client.get("/certificates/templates").text


def test_artwork_that_is_not_an_image_is_refused(db, login_as, users):
    client = login_as(users[Role.ADMIN])
    response = client.post("/certificates/artwork/border", data={"file": (io.BytesIO(b"<svg>not png</svg>"), "vien.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Nội dung tệp không phải định dạng được chấp nhận" in response.text
    assert db.session.scalar(sa.select(Artwork)) is None


def test_document_carries_the_decision_date_not_the_print_time(db, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"], signed_on=date(2026, 3, 5)).items[0]
    item.decision.issued_at = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    first = render.render_items([item], mode=PrintMode.FULL)
    assert first == render.render_items([item], mode=PrintMode.FULL)
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(first)).metadata.creation_date == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
