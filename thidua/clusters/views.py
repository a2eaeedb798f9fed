from __future__ import annotations

from flask import Blueprint, render_template

from thidua.permissions import requires

bp = Blueprint("clusters", __name__, url_prefix="/clusters")


@bp.get("/")
@requires("cluster.view")
def index():
    return render_template("clusters/index.html")
