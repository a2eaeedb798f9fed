"""Downloads of a decision's documents: the annex of awardees (PDF, Excel) and the decision as an
editable Word draft. A draft decision's documents say "DỰ THẢO" and leave the number and date blank."""

from __future__ import annotations

import io

from flask import Blueprint, send_file
from sqlalchemy.orm import selectinload

from thidua.extensions import db
from thidua.permissions import authorize

from . import documents
from .models import Decision

bp = Blueprint("award_documents", __name__, url_prefix="/decisions")

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _decision(decision_id: int) -> Decision:
    decision = db.get_or_404(Decision, decision_id, options=[selectinload(Decision.items)])
    authorize("decision.documents", decision)
    return decision


def _file_stem(decision: Decision, kind: str) -> str:
    """"danh-sach-qd-1234-2026" for an issued decision, "du-thao-danh-sach-7" for a draft."""
    if decision.is_issued and decision.number:
        return f"{kind}-qd-{decision.number.split('/', 1)[0]}-{decision.number_year or decision.signed_on.year}"
    return f"du-thao-{kind}-{decision.id}"


def _send(data: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)


@bp.get("/<int:decision_id>/annex.pdf")
def annex_pdf(decision_id: int):
    decision = _decision(decision_id)
    return _send(documents.annex_pdf(decision), f"{_file_stem(decision, 'danh-sach')}.pdf", PDF)


@bp.get("/<int:decision_id>/annex.xlsx")
def annex_xlsx(decision_id: int):
    decision = _decision(decision_id)
    return _send(documents.annex_xlsx(decision), f"{_file_stem(decision, 'danh-sach')}.xlsx", XLSX)


@bp.get("/<int:decision_id>/draft.docx")
def draft_docx(decision_id: int):
    decision = _decision(decision_id)
    return _send(documents.draft_docx(decision), f"{_file_stem(decision, 'quyet-dinh')}.docx", DOCX)
