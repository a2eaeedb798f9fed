"""Helpers of the certificate tests: awardees with Vietnamese names, and PDFs read back with poppler
(pdftotext, pdffonts, pdfinfo) and zbar (the QR code)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

from thidua.certificates.seed import seed_certificate_templates
from thidua.registry.models import Gender

from .. import factories

PT_PER_MM = 72 / 25.4
NAMES = {"Nguyễn Thị Hằng": Gender.FEMALE, "Đặng Quốc Vượng": Gender.MALE, "Lê Thị Ánh Tuyết": Gender.FEMALE}
ACHIEVEMENT = ("Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo”, góp phần xây dựng "
               "quê hương Thanh Hóa giàu đẹp, văn minh năm 2025")


def awarded(issuer, unit, *, code: str = "BK_TINH", names=tuple(NAMES), achievement: str = ACHIEVEMENT, **kw):
    """An issued decision of `issuer` for `code` with one person of `unit` per name (templates seeded)."""
    seed_certificate_templates()
    people = [factories.make_person(full_name=name, unit=unit, gender=NAMES.get(name),
                                    position=f"Giáo viên, {unit.name}") for name in names]
    return factories.make_decision(issuer=issuer, code=code, awardees=[(p, achievement) for p in people], **kw)


def _run(args: list[str], data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "doc.pdf")
        path.write_bytes(data)
        return subprocess.run([*args, str(path), *(["-"] if args[0] in ("pdftotext",) else [])], check=True,
                              capture_output=True, text=True).stdout


def pdf_text(data: bytes) -> str:
    """The text of a PDF, NFC, with runs of white space made one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", _run(["pdftotext"], data)))


def pdf_fonts(data: bytes) -> list[str]:
    """The names of the fonts a PDF uses (subset prefixes kept)."""
    return [line.split()[0] for line in _run(["pdffonts"], data).splitlines()[2:] if line.strip()]


def pdf_page_size_mm(data: bytes) -> tuple[float, float]:
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _run(["pdfinfo"], data))
    return float(match.group(1)) / PT_PER_MM, float(match.group(2)) / PT_PER_MM


def pdf_words(data: bytes) -> list[dict]:
    """Every word of page 1 with its box in millimetres from the top-left corner (pdftotext -bbox)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "doc.pdf")
        path.write_bytes(data)
        html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", html).replace(' xmlns="http://www.w3.org/1999/xhtml"', ""))
    return [{"text": unicodedata.normalize("NFC", w.text or ""),
             **{k: float(w.get(k)) / PT_PER_MM for k in ("xMin", "yMin", "xMax", "yMax")}}
            for w in root.iter("word")]


def line_box(words: list[dict], text: str) -> dict:
    """The box around the consecutive words that spell `text` (the first occurrence)."""
    parts = text.split()
    for i in range(len(words) - len(parts) + 1):
        if [w["text"] for w in words[i:i + len(parts)]] == parts:
            run = words[i:i + len(parts)]
            return {"xMin": min(w["xMin"] for w in run), "xMax": max(w["xMax"] for w in run),
                    "yMin": min(w["yMin"] for w in run), "yMax": max(w["yMax"] for w in run)}
    raise AssertionError(f"{text!r} not found in {[w['text'] for w in words]}")


def decode_qr(data: bytes) -> list[str]:
    """The QR codes on page 1, decoded by zbar from a 200 dpi raster."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "doc.pdf")
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(path), str(Path(tmp, "page"))],
                       check=True)
        image = next(Path(tmp).glob("page*.png"))
        result = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
        return [line for line in result.stdout.splitlines() if line]
