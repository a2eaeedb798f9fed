from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for

from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.permissions import authorize, requires

from . import services
from .eligibility import UnknownCheck, award_names, describe
from .forms import AwardTypeForm, BaseSalaryForm, LegalBasisForm, NewVersionForm, QuotaRuleForm
from .models import AwardCategory, AwardLevel, AwardType, BaseSalary, DossierPart, LegalBasis, QuotaRule

bp = Blueprint("rules", __name__, url_prefix="/catalogue")

SUBJECT_LABELS = {"individual": "Cá nhân", "collective": "Tập thể", "household": "Hộ gia đình"}


def _bases() -> list[LegalBasis]:
    return list(db.session.scalars(sa.select(LegalBasis).order_by(LegalBasis.effective_from.desc().nulls_last(),
                                                                  LegalBasis.code)))


def _award_codes() -> list[tuple[str, str]]:
    names = award_names()
    return [(code, f"{code} – {name}") for code, name in sorted(names.items(), key=lambda item: item[0])]


def _show_error(form, exc: services.CatalogueError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


# --- award types -----------------------------------------------------------------------------------

@bp.get("/")
@requires("catalogue.view")
def index():
    today = date.today()
    return render_template("rules/index.html", groups=_catalogue(today), today=today, subject_labels=SUBJECT_LABELS)


def _catalogue(today: date) -> list[tuple[AwardCategory, AwardLevel, list[tuple[AwardType, list[AwardType]]]]]:
    """The catalogue grouped by category and level: each title or form as its version in force today (else
    its latest) with all its versions — for the page and its Excel export."""
    versions = db.session.scalars(sa.select(AwardType).order_by(AwardType.position, AwardType.code,
                                                                AwardType.effective_from)).all()
    by_code: dict[str, list[AwardType]] = defaultdict(list)
    for v in versions:
        by_code[v.code].append(v)
    groups: dict[tuple[AwardCategory, AwardLevel], list[tuple[AwardType, list[AwardType]]]] = defaultdict(list)
    for code_versions in by_code.values():
        current = next((v for v in code_versions if v.is_in_force(today)), code_versions[-1])
        groups[(current.category, current.level)].append((current, code_versions))
    return [(category, level, groups[(category, level)]) for category in AwardCategory for level in AwardLevel
            if groups.get((category, level))]


@bp.get("/export.xlsx")
@requires("catalogue.view")
def index_xlsx():
    today = date.today()
    rows = ([category, level, current.code, current.name, ", ".join(SUBJECT_LABELS[s] for s in current.subjects),
             current.coefficient, current.vote_threshold * 100 if current.vote_required and current.vote_threshold
             else None, current.legal_ref, current.effective_from, current.effective_to,
             "Có" if current.is_in_force(today) else "Không", len(versions)]
            for category, level, items in _catalogue(today) for current, versions in items)
    return xlsx_response("danh-muc-danh-hieu-hinh-thuc", "Danh mục danh hiệu thi đua, hình thức khen thưởng",
                         [col("Nhóm"), col("Cấp"), col("Mã"), col("Tên"), col("Đối tượng"), col("Hệ số"),
                          col("Tỷ lệ biểu quyết tối thiểu (%)"), col("Căn cứ"), col("Hiệu lực từ", "date"),
                          col("Hiệu lực đến", "date"), col("Đang áp dụng"), col("Số phiên bản", "int")], rows,
                         filters={})


@bp.get("/awards/<int:award_type_id>")
def detail(award_type_id: int):
    award_type = db.get_or_404(AwardType, award_type_id)
    authorize("catalogue.view", award_type)
    names = award_names()
    checks = []
    for code in award_type.checks or []:
        try:
            checks.append((code, describe(code, names)))
        except UnknownCheck as exc:
            checks.append((code, str(exc)))
    parts = [DossierPart(p).label if p in {d.value for d in DossierPart} else p for p in award_type.required_parts or []]
    quotas = db.session.scalars(sa.select(QuotaRule).where(QuotaRule.award_code == award_type.code)
                                .order_by(QuotaRule.effective_from)).all()
    return render_template("rules/detail.html", award_type=award_type, checks=checks, parts=parts, quotas=quotas,
                           versions=services.versions_of(award_type.code), today=date.today(), names=names,
                           subject_labels=SUBJECT_LABELS)


@bp.route("/awards/<int:award_type_id>/edit", methods=["GET", "POST"])
def edit(award_type_id: int):
    award_type = db.get_or_404(AwardType, award_type_id)
    authorize("catalogue.manage", award_type)
    form = AwardTypeForm(bases=_bases(), award_codes=_award_codes())
    if request.method == "GET":
        form.fill(award_type)
    if form.validate_on_submit():
        try:
            services.update_award_type(award_type, **form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu “{award_type.name}”.", "success")
            return redirect(url_for("rules.detail", award_type_id=award_type.id))
    return render_template("rules/award_form.html", form=form, award_type=award_type, new_version=False)


@bp.route("/awards/<int:award_type_id>/new-version", methods=["GET", "POST"])
def new_version(award_type_id: int):
    source = db.get_or_404(AwardType, award_type_id)
    authorize("catalogue.manage", source)
    form = NewVersionForm(bases=_bases(), award_codes=_award_codes())
    if request.method == "GET":
        form.fill(source)
    if form.validate_on_submit():
        values = form.values()
        try:
            version = services.new_version(source, **values)
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm phiên bản “{version.name}” hiệu lực từ {version.effective_from:%d/%m/%Y}.", "success")
            return redirect(url_for("rules.detail", award_type_id=version.id))
    return render_template("rules/award_form.html", form=form, award_type=source, new_version=True)


# --- legal bases -----------------------------------------------------------------------------------

@bp.get("/legal-bases")
@requires("catalogue.view")
def legal_bases():
    return render_template("rules/legal_bases.html", bases=_bases(), today=date.today())


@bp.route("/legal-bases/new", methods=["GET", "POST"])
@requires("catalogue.manage")
def create_legal_basis():
    form = LegalBasisForm()
    if form.validate_on_submit():
        try:
            basis = services.create_legal_basis(**form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm văn bản “{basis.code}”.", "success")
            return redirect(url_for("rules.legal_bases"))
    return render_template("rules/legal_basis_form.html", form=form, basis=None)


@bp.route("/legal-bases/<int:basis_id>/edit", methods=["GET", "POST"])
def edit_legal_basis(basis_id: int):
    basis = db.get_or_404(LegalBasis, basis_id)
    authorize("catalogue.manage", basis)
    form = LegalBasisForm(obj=basis)
    if form.validate_on_submit():
        try:
            services.update_legal_basis(basis, **form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu văn bản “{basis.code}”.", "success")
            return redirect(url_for("rules.legal_bases"))
    return render_template("rules/legal_basis_form.html", form=form, basis=basis)


# --- quota rules -----------------------------------------------------------------------------------

@bp.get("/quotas")
@requires("catalogue.view")
def quotas():
    rules = db.session.scalars(sa.select(QuotaRule).options(sa.orm.joinedload(QuotaRule.legal_basis))
                               .order_by(QuotaRule.award_code, QuotaRule.effective_from)).all()
    return render_template("rules/quotas.html", rules=rules, names=award_names(), today=date.today())


@bp.route("/quotas/new", methods=["GET", "POST"])
@requires("catalogue.manage")
def create_quota():
    form = QuotaRuleForm(bases=_bases(), award_codes=_award_codes())
    if form.validate_on_submit():
        try:
            services.create_quota_rule(**form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã thêm tỷ lệ khen thưởng.", "success")
            return redirect(url_for("rules.quotas"))
    return render_template("rules/quota_form.html", form=form, rule=None)


@bp.route("/quotas/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_quota(rule_id: int):
    rule = db.get_or_404(QuotaRule, rule_id)
    authorize("catalogue.manage", rule)
    form = QuotaRuleForm(bases=_bases(), award_codes=_award_codes())
    if request.method == "GET":
        form.fill(rule)
    if form.validate_on_submit():
        try:
            services.update_quota_rule(rule, **form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu tỷ lệ khen thưởng.", "success")
            return redirect(url_for("rules.quotas"))
    return render_template("rules/quota_form.html", form=form, rule=rule)


# --- base salaries (mức lương cơ sở) ---------------------------------------------------------------

@bp.get("/base-salaries")
@requires("catalogue.view")
def base_salaries():
    rows = db.session.scalars(sa.select(BaseSalary).order_by(BaseSalary.effective_from.desc())).all()
    today = date.today()
    current = next((r for r in rows if r.effective_from <= today), None)
    return render_template("rules/base_salaries.html", rows=rows, current=current)


@bp.route("/base-salaries/new", methods=["GET", "POST"])
@requires("base_salary.manage")
def create_base_salary():
    form = BaseSalaryForm()
    if form.validate_on_submit():
        try:
            salary = services.add_base_salary(**form.values())
        except services.CatalogueError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm mức lương cơ sở {salary}.", "success")
            return redirect(url_for("rules.base_salaries"))
    return render_template("rules/base_salary_form.html", form=form)
