from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from thidua.documents import pdf

HTML = """<!doctype html><html lang="vi"><head><meta charset="utf-8">{meta}</head>
<body><p>Nguyễn Thị Hằng – Đặng Quốc Vượng</p><p><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></p></body></html>"""
STYLESHEET = "documents/official.css"


def _render(created=datetime(2026, 3, 5, 8, 0, tzinfo=UTC)) -> bytes:
    meta = pdf.metadata_tags(title="Thử nghiệm", created=created)
    return pdf.render_pdf(HTML.format(meta=meta), stylesheet_path=STYLESHEET)


def _run(tool: str, data: bytes, tmp_path, *args) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def test_render_pdf_twice_gives_identical_bytes(app):
    assert _render() == _render()


def test_render_pdf_dates_come_from_the_data_not_the_clock(app, tmp_path):
    info = _run("pdfinfo", _render(), tmp_path)
    assert "Thu Mar  5 08:00:00 2026 UTC" in info


def test_render_pdf_keeps_vietnamese_text_in_the_bundled_font_only(app, tmp_path):
    data = _render()
    assert "Nguyễn Thị Hằng – Đặng Quốc Vượng" in _run("pdftotext", data, tmp_path)
    rows = _run("pdffonts", data, tmp_path).splitlines()[2:]
    assert rows and all(r.split()[0].split("+")[-1].startswith(pdf.FONT_FAMILY.replace(" ", "-")) for r in rows)


def test_stylesheet_is_parsed_once_per_process(app):
    assert pdf.stylesheet(STYLESHEET) is pdf.stylesheet(STYLESHEET)
    assert pdf.font_config() is pdf.font_config()


def test_bundled_font_files_and_licence_are_present(app):
    fonts = pdf.static_dir() / "fonts"
    assert all((fonts / name).is_file() for name in pdf.FONT_FILES.values())
    assert "SIL Open Font License" in (fonts / "LICENSE-LiberationSerif-OFL.txt").read_text()


def test_image_cache_keeps_artwork_but_does_not_grow_with_every_qr_code(app, monkeypatch):
    """Each certificate's QR code is an image of its own: a long-running process must not keep them all."""
    import segno

    monkeypatch.setattr(pdf, "IMAGE_CACHE_ENTRIES", 6)
    pdf._image_cache.clear()
    css = pdf.font_face_css() + "\nimg { width: 10mm; }"
    base = str(pdf.static_dir())
    for n in range(20):
        qr = segno.make(f"https://example.vn/verify/{n}").png_data_uri(scale=1, border=0)
        pdf.render_html(f'<img src="certificates/emblem-placeholder.jpg"><img src="{qr}">', css=css, base_url=base)
        assert len(pdf._image_cache) <= 6 + 6  # at most one render's entries above the limit
    assert any("emblem-placeholder.jpg" in str(key) for key in pdf._image_cache)
