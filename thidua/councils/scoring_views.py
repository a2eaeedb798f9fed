from __future__ import annotations

from flask import Blueprint

bp = Blueprint("council_scoring", __name__, url_prefix="/councils/scoring")
