"""The default certificate templates, read from templates/certificates/defaults/<code>.{json,html,css}.

`seed_certificate_templates()` adds the templates that are missing and leaves existing rows alone (an
admin may have edited them), so it can run at every deploy."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from thidua.extensions import db

from .models import CertificateTemplate
from .render import validate_template

DEFAULTS_DIR = Path(__file__).resolve().parents[2] / "templates" / "certificates" / "defaults"
DEFAULT_CODES = ("bang-khen", "giay-khen", "danh-hieu")


def default_template(code: str) -> CertificateTemplate:
    """A new (unsaved) template built from the repository's files for `code`."""
    meta = json.loads((DEFAULTS_DIR / f"{code}.json").read_text(encoding="utf-8"))
    html = (DEFAULTS_DIR / f"{code}.html").read_text(encoding="utf-8")
    return CertificateTemplate(
        code=code, name=meta["name"], award_codes=list(meta["award_codes"]),
        page_width_mm=Decimal(str(meta["page_width_mm"])), page_height_mm=Decimal(str(meta["page_height_mm"])),
        heading=meta["heading"], html=html, css=(DEFAULTS_DIR / f"{code}.css").read_text(encoding="utf-8"),
        blank_layout=validate_template(html, meta["blank_layout"]),
    )


def seed_certificate_templates() -> list[CertificateTemplate]:
    """Add the default templates that do not exist yet; return the ones added. Flushes, never commits."""
    existing = set(db.session.scalars(sa.select(CertificateTemplate.code)))
    added = [default_template(code) for code in DEFAULT_CODES if code not in existing]
    db.session.add_all(added)
    db.session.flush()
    return added
