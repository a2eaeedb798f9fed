from __future__ import annotations

from flask import Blueprint, render_template

from thidua.permissions import requires

bp = Blueprint("org", __name__, url_prefix="/units")


@bp.get("/")
@requires("unit.view")
def index():
    return render_template("org/index.html")


@bp.route("/import", methods=["GET", "POST"])
@requires("unit.manage")
def import_units():
    return render_template("org/import.html")
