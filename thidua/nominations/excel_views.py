from __future__ import annotations

from flask import Blueprint

bp = Blueprint("nomination_excel", __name__, url_prefix="/nominations/excel")
