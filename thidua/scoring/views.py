from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scoring", __name__, url_prefix="/rubrics")
