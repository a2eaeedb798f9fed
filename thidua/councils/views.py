from __future__ import annotations

from flask import Blueprint

bp = Blueprint("councils", __name__, url_prefix="/councils")
