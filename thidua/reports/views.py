"""Report pages: the statistical forms (each number links to what it counts) and the annual report, with their
.xlsx and PDF files. Query string: `year` (default: this year) and `unit` (default: the whole province)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.extensions import db
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, can, requires

from . import annual, exports, statistics

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS = range(2000, 2101)


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year in YEARS else date.today().year


def _unit() -> Unit | None:
    unit_id = request.args.get("unit", type=int)
    return db.get_or_404(Unit, unit_id) if unit_id else None


def _form_code(form: str) -> str:
    if form not in statistics.FORM_CODES:
        abort(404)
    return form


def _file(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _suffix(year: int, unit: Unit | None) -> str:
    return f"{year}" + (f"_{unit.id}" if unit else "")


# --- statistical forms ---------------------------------------------------------------------------------

@bp.get("/statistics")
@requires("statistics.view")
def statistics_index():
    year, unit = _year(), _unit()
    forms = [statistics.fill(code, year, unit) for code in statistics.FORM_CODES]
    return render_template("reports/statistics_index.html", forms=forms, year=year, unit=unit,
                           units=unit_choices())


@bp.get("/statistics/<form>")
@requires("statistics.view")
def statistics_form(form: str):
    year, unit = _year(), _unit()
    filled = statistics.fill(_form_code(form), year, unit)
    return render_template("reports/statistics_form.html", form=filled, year=year, unit=unit,
                           reporter=exports.reporting_unit_name(unit))


@bp.get("/statistics/<form>/cell")
@requires("statistics.view")
def statistics_cell(form: str):
    year, unit = _year(), _unit()
    filled = statistics.fill(_form_code(form), year, unit)
    row_key, col_key = request.args.get("row", ""), request.args.get("col", "")
    if row_key not in {r.key for r in filled.data_rows} or col_key not in {c.key for c in filled.columns}:
        abort(404)
    rows = statistics.cell_rows(form, row_key, col_key, year, unit)
    return render_template("reports/statistics_cell.html", form=filled, row=filled.row(row_key),
                           column=filled.column(col_key), rows=rows, year=year, unit=unit)


@bp.get("/statistics/<form>/xlsx")
@requires("statistics.view")
def statistics_xlsx(form: str):
    year, unit = _year(), _unit()
    filled = statistics.fill(_form_code(form), year, unit)
    return _file(exports.form_xlsx(filled), XLSX, f"bieu_{form}_{_suffix(year, unit)}.xlsx")


@bp.get("/statistics/pdf")
@requires("statistics.view")
def statistics_pdf():
    year, unit = _year(), _unit()
    return _file(exports.statistics_pdf(year, unit), "application/pdf", f"bieu_thong_ke_{_suffix(year, unit)}.pdf")


# --- annual report ---------------------------------------------------------------------------------------

def _annual_scope() -> Unit | None:
    """The unit asked for (authorized as "report.unit"), or the province ("report.province"); a unit officer
    who asks for nothing gets their own unit's report."""
    unit = _unit()
    if unit is not None:
        authorize("report.unit", unit)
        return unit
    if not can(current_user, "report.province"):
        own = getattr(current_user, "officer_units", None) or []
        if own:
            abort(redirect(url_for(request.endpoint, year=_year(), unit=own[0].id)))
        authorize("report.province")
    return None


@bp.get("/annual")
def annual_page():
    unit = _annual_scope()
    report = annual.annual_report(_year(), unit)
    units = unit_choices() if can(current_user, "report.province") else None
    return render_template("reports/annual.html", report=report, labels=annual.HEADLINE_LABELS, year=report.year,
                           unit=unit, units=units, today=date.today())


@bp.get("/annual/pdf")
def annual_pdf():
    unit = _annual_scope()
    report = annual.annual_report(_year(), unit)
    return _file(exports.annual_pdf(report), "application/pdf", f"bao_cao_tdkt_{_suffix(report.year, unit)}.pdf")


@bp.get("/annual/xlsx")
def annual_xlsx():
    unit = _annual_scope()
    report = annual.annual_report(_year(), unit)
    return _file(exports.annual_xlsx(report), XLSX, f"bao_cao_tdkt_{_suffix(report.year, unit)}.xlsx")
