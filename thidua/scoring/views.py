"""Rubric admin: list, create and edit rubrics and their criteria."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.permissions import authorize, requires

from . import services
from .forms import CriterionForm, RubricForm, anchors_text
from .models import Rubric, RubricCriterion

bp = Blueprint("scoring", __name__, url_prefix="/rubrics")


@bp.app_template_filter("vn_score")
def vn_score(value) -> str:
    """A score the Vietnamese way: decimal comma, at most two decimals, no trailing zeros; "—" for none."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(round(float(value), 2))).normalize()
    text = format(number, "f")
    return text.replace(".", ",")


@bp.get("/")
@requires("council.view")
def index():
    return render_template("scoring/index.html", rubrics=_rubrics())


def _rubrics() -> list[Rubric]:
    """The rubrics, those in use first, by name (the page and its Excel export)."""
    return db.session.scalars(sa.select(Rubric).order_by(Rubric.active.desc(), Rubric.name)).all()


@bp.get("/export.xlsx")
@requires("council.view")
def index_xlsx():
    rows = ([r.name, r.award_code, len(r.criteria), r.aggregation, "Đang sử dụng" if r.active else "Ngừng sử dụng"]
            for r in _rubrics())
    return xlsx_response("danh-sach-bang-diem", "Danh sách bảng điểm",
                         [col("Tên bảng điểm"), col("Danh hiệu"), col("Số tiêu chí", "int"), col("Tổng hợp"),
                          col("Trạng thái")], rows, filters={})


@bp.route("/new", methods=["GET", "POST"])
@requires("council.manage")
def create():
    form = RubricForm()
    if form.validate_on_submit():
        rubric = services.save_rubric(None, **{k: getattr(form, k).data for k in services.RUBRIC_FIELDS})
        db.session.commit()
        flash("Đã tạo bảng điểm. Hãy thêm các tiêu chí.", "success")
        return redirect(url_for("scoring.detail", rubric_id=rubric.id))
    return render_template("scoring/form.html", form=form, rubric=None)


@bp.get("/<int:rubric_id>")
def detail(rubric_id: int):
    rubric = db.get_or_404(Rubric, rubric_id)
    authorize("council.view")
    return render_template("scoring/detail.html", rubric=rubric, in_use=services.in_use(rubric))


@bp.route("/<int:rubric_id>/edit", methods=["GET", "POST"])
def edit(rubric_id: int):
    rubric = db.get_or_404(Rubric, rubric_id)
    authorize("council.manage")
    form = RubricForm(obj=rubric)
    if request.method == "GET":
        form.aggregation.data = rubric.aggregation.value
    if form.validate_on_submit():
        services.save_rubric(rubric, **{k: getattr(form, k).data for k in services.RUBRIC_FIELDS})
        db.session.commit()
        flash("Đã lưu bảng điểm.", "success")
        return redirect(url_for("scoring.detail", rubric_id=rubric.id))
    return render_template("scoring/form.html", form=form, rubric=rubric)


def _criterion_page(rubric: Rubric, criterion: RubricCriterion | None):
    form = CriterionForm(obj=criterion)
    if request.method == "GET":
        if criterion is not None:
            form.anchors.data = anchors_text(criterion.anchors)
            form.required_.data = criterion.required
        else:
            form.position.data = len(rubric.criteria) + 1
    if form.validate_on_submit():
        try:
            services.save_criterion(rubric, criterion, **form.values())
        except services.RubricError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash("Đã lưu tiêu chí.", "success")
            return redirect(url_for("scoring.detail", rubric_id=rubric.id))
    return render_template("scoring/criterion_form.html", form=form, rubric=rubric, criterion=criterion)


@bp.route("/<int:rubric_id>/criteria/new", methods=["GET", "POST"])
def add_criterion(rubric_id: int):
    rubric = db.get_or_404(Rubric, rubric_id)
    authorize("council.manage")
    return _criterion_page(rubric, None)


@bp.route("/<int:rubric_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
def edit_criterion(rubric_id: int, criterion_id: int):
    rubric = db.get_or_404(Rubric, rubric_id)
    criterion = db.get_or_404(RubricCriterion, criterion_id)
    if criterion.rubric_id != rubric.id:
        abort(404)
    authorize("council.manage")
    return _criterion_page(rubric, criterion)


@bp.post("/<int:rubric_id>/criteria/<int:criterion_id>/delete")
def delete_criterion(rubric_id: int, criterion_id: int):
    criterion = get_in_or_404(RubricCriterion, criterion_id, rubric_id=rubric_id)
    authorize("council.manage")
    try:
        services.delete_criterion(criterion)
    except services.RubricError as e:
        db.session.rollback()
        flash(str(e), "danger")
    else:
        db.session.commit()
        flash("Đã xóa tiêu chí.", "success")
    return redirect(url_for("scoring.detail", rubric_id=rubric_id))
