from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user

from thidua.auth.models import Role
from thidua.extensions import db
from thidua.permissions import has_role, is_staff, officer_scope, requires

from . import charts, queries

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")


def _officer(filters: queries.Filters) -> dict:
    scope = officer_scope(current_user)
    counts = queries.status_counts(filters, scope=scope)
    own_units = sorted({a.unit_id for a in current_user.role_assignments if a.unit_id})
    return {
        "counts": counts,
        "chart": charts.bar_chart("Hồ sơ của đơn vị theo trạng thái", [(s.label, n) for s, n in counts],
                                  x_label="Số hồ sơ", y_label="Trạng thái"),
        "deadlines": queries.deadlines(filters, scope=scope),
        "unsent": queries.unsent_total(filters, scope=scope),
        "quotas": queries.quota_use(own_units, filters.year or date.today().year),
    }


def _secretariat(filters: queries.Filters) -> dict:
    counts = queries.status_counts(filters, scope=None)
    overdue_total, overdue = queries.overdue(filters)
    by_unit = queries.progress_by_unit(filters)
    by_campaign = queries.progress_by_campaign(filters)
    return {
        "counts": counts,
        "chart": charts.bar_chart("Hồ sơ toàn tỉnh theo trạng thái", [(s.label, n) for s, n in counts],
                                  x_label="Số hồ sơ", y_label="Trạng thái"),
        "overdue_total": overdue_total, "overdue": overdue, "overdue_days": queries.OVERDUE_WORKING_DAYS,
        "by_unit": by_unit, "by_campaign": by_campaign,
        "campaign_chart": charts.stacked_bar_chart(
            "Hồ sơ theo phong trào: đã khen thưởng và đang xử lý",
            [p.name for p in by_campaign],
            [("Đã khen thưởng", [p.awarded for p in by_campaign]),
             ("Chưa khen thưởng", [p.dossiers - p.awarded for p in by_campaign])],
            x_label="Số hồ sơ", y_label="Phong trào"),
    }


def _leaders(filters: queries.Filters) -> dict:
    years = queries.awards_by_year(filters)
    by_form = queries.awards_by_form(filters)
    by_unit = queries.awards_by_unit(filters)
    labels = [str(r.year) for r in years]
    return {
        "years": years, "by_form": by_form, "by_unit": by_unit,
        "period": str(filters.year) if filters.year else f"{years[0].year}–{years[-1].year}",
        "year_chart": charts.stacked_bar_chart(
            "Số lượt khen thưởng theo năm", labels,
            [("Danh hiệu thi đua", [r.titles for r in years]), ("Hình thức khen thưởng", [r.forms for r in years])],
            x_label="Số lượt khen thưởng", y_label="Năm"),
        "form_chart": charts.bar_chart("Khen thưởng theo danh hiệu, hình thức", [(n, k) for _, n, k in by_form],
                                       x_label="Số lượt khen thưởng", y_label="Danh hiệu, hình thức"),
        "unit_chart": charts.bar_chart(f"{queries.TOP_UNITS} đơn vị được khen thưởng nhiều nhất", by_unit,
                                       x_label="Số lượt khen thưởng", y_label="Đơn vị"),
        "money_chart": charts.line_chart("Tiền thưởng theo năm (đồng)", labels,
                                         [("Tiền thưởng", [r.money for r in years])],
                                         x_label="Năm", y_label="Đồng"),
    }


@bp.get("/")
@requires("dashboard.view")
def index():
    filters = queries.Filters.from_args(request.args)
    sections = {}
    if has_role(current_user, Role.UNIT_OFFICER):
        sections["officer"] = _officer(filters)
    if is_staff(current_user):
        sections["secretariat"] = _secretariat(filters)
    if is_staff(current_user) or has_role(current_user, Role.APPROVER, Role.COUNCIL_MEMBER):
        sections["leaders"] = _leaders(filters)
    campaign = db.session.get(queries.Campaign, filters.campaign_id) if filters.campaign_id else None
    return render_template("dashboards/index.html", filters=filters, sections=sections, campaign=campaign,
                           campaigns=queries.campaigns_for_filter(), this_year=date.today().year)
