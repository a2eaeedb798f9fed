from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/registry")
