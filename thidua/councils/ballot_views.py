from __future__ import annotations

from flask import Blueprint

bp = Blueprint("council_ballot", __name__, url_prefix="/councils/ballot")
