from __future__ import annotations

from flask import Blueprint, render_template

from thidua.permissions import requires

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@requires("audit.view")
def index():
    return render_template("audit/index.html")
