"""Test-only helpers for the nominations tests (attachments without files, ready-to-send dossiers)."""

from __future__ import annotations

import itertools

from tests import factories
from thidua.extensions import db
from thidua.nominations.models import NominationAttachment
from thidua.rules.models import DossierPart
from thidua.storage import StoredUpload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_seq = itertools.count(1)


def upload(name: str = "bao-cao.pdf") -> StoredUpload:
    n = next(_seq)
    return StoredUpload(original_name=name, stored_name=f"{n:032x}.pdf", content_type="application/pdf", size=len(PDF),
                        sha256="0" * 64, kind="pdf")


def attach(nomination, *parts: DossierPart | str) -> None:
    """Record attachments of the given parts (no file on disk)."""
    for part in parts:
        u = upload()
        db.session.add(NominationAttachment(nomination=nomination, part=DossierPart(part), original_name=u.original_name,
                                            stored_name=u.stored_name, content_type=u.content_type, size=u.size,
                                            sha256=u.sha256))
    db.session.flush()


def complete_nomination(**kw):
    """A dossier with every part its award type requires."""
    nomination = factories.make_nomination(**kw)
    attach(nomination, *nomination.award_type.required_parts)
    return nomination
