"""Pages of a cluster's year: the year and its steps, head and deputy, covenant, criteria table, score
sheets and evidence, results and ranking, the suy tôn set-up and its results, and the yearly report."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua import storage
from thidua.auth.models import Role, RoleAssignment, User
from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.org.models import Unit
from thidua.permissions import authorize, can, officer_scope, requires

from . import reports, scoring, vote, years
from .models import (
    Cluster,
    ClusterCriterion,
    ClusterEvidence,
    ClusterScoreSheet,
    ClusterYear,
    ClusterYearStatus,
    CovenantCommitment,
    CriterionKind,
    SheetKind,
)
from .year_forms import (
    CommitmentForm,
    CovenantForm,
    CriterionForm,
    EvidenceForm,
    YearEditForm,
    YearForm,
    sheet_form,
    vote_form,
)

bp = Blueprint("cluster_years", __name__, url_prefix="/cluster-years")

SCORE_ACTION = {SheetKind.SELF: "cluster_year.score_self", SheetKind.CROSS: "cluster_year.score_cross",
                SheetKind.FINAL: "cluster_year.score_final"}


def _show_error(form, exc: years.YearError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _year(year_id: int, action: str = "cluster_year.view") -> ClusterYear:
    year = db.get_or_404(ClusterYear, year_id)
    authorize(action, year)
    return year


def _member(year: ClusterYear, unit_id: int) -> Unit:
    if unit_id not in years.member_unit_ids(year):
        abort(404)
    return db.session.get(Unit, unit_id)


def _detail(year: ClusterYear):
    return redirect(url_for("cluster_years.detail", year_id=year.id))


# --- years ---------------------------------------------------------------------------------------

def _list_query(args) -> tuple[list[ClusterYear], Cluster | None]:
    """The cluster years the user may see, of the cluster in the query string if any (for the page and its
    Excel export); 404 for an unknown cluster."""
    cluster_id = args.get("cluster", type=int)
    stmt = sa.select(ClusterYear).join(ClusterYear.cluster).order_by(ClusterYear.year.desc(), Cluster.code)
    cluster = None
    if cluster_id:
        cluster = db.get_or_404(Cluster, cluster_id)
        stmt = stmt.where(ClusterYear.cluster_id == cluster.id)
    return [y for y in db.session.scalars(stmt) if can(current_user, "cluster_year.view", y)], cluster


@bp.get("/")
@requires("cluster_year.list")
def index():
    visible, cluster = _list_query(request.args)
    return render_template("cluster_years/index.html", years=visible, cluster=cluster,
                           clusters=db.session.scalars(sa.select(Cluster).where(Cluster.active.is_(True))
                                                       .order_by(Cluster.code)).all())


@bp.get("/export.xlsx")
@requires("cluster_year.list")
def index_xlsx():
    visible, cluster = _list_query(request.args)
    rows = ([y.year, y.cluster.name, y.head_unit.name if y.head_unit else None, y.status] for y in visible)
    return xlsx_response("cum-khoi-thi-dua-theo-nam", "Cụm, khối thi đua theo năm",
                         [col("Năm", "int"), col("Cụm, khối"), col("Cụm trưởng"), col("Bước")], rows,
                         filters={"Cụm, khối": cluster.name if cluster else None})


@bp.route("/new/<int:cluster_id>", methods=["GET", "POST"])
def create(cluster_id: int):
    cluster = db.get_or_404(Cluster, cluster_id)
    authorize("cluster_year.manage", cluster)
    last = years.previous_year(cluster, 10_000)
    form = YearForm(obj=last) if request.method == "GET" and last else YearForm()
    if request.method == "GET":
        form.year.data = (last.year + 1) if last else (form.year.data or None)
        if last:
            form.vote_threshold.data = str(last.vote_threshold.normalize()).replace(".", ",")
    if form.validate_on_submit():
        try:
            cy = years.create_year(cluster, year=form.year.data, **form.settings())
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            copied = " Đã sao chép bảng tiêu chí năm trước." if cy.criteria else ""
            flash(f"Đã tạo năm {cy.year} của “{cluster.name}”.{copied}", "success")
            return _detail(cy)
    return render_template("cluster_years/create.html", form=form, cluster=cluster, last=last)


@bp.get("/<int:year_id>")
def detail(year_id: int):
    year = _year(year_id)
    scope = officer_scope(current_user)
    units = years.members(year)
    return render_template("cluster_years/detail.html", year=year, units=units, names={u.id: u.name for u in units},
                           steps=years.available_steps(year), labels=years.ACTION_LABELS,
                           problems={a: years.step_problems(year, a) for a in years.available_steps(year)},
                           covenant=years.covenant_rows(year), summary=years.summary(year),
                           tasks=scoring.tasks(year, scope), head_tasks=_final_tasks(year, units),
                           rotation=years.rotation(year), SheetKind=SheetKind)


def _final_tasks(year: ClusterYear, units) -> list[ClusterScoreSheet]:
    if year.status != ClusterYearStatus.REVIEW:
        return []
    sheets = [scoring.sheet_or_blank(year, SheetKind.FINAL, u.id) for u in units]
    return [s for s in sheets if can(current_user, "cluster_year.score_final", s)]


@bp.route("/<int:year_id>/edit", methods=["GET", "POST"])
def edit(year_id: int):
    year = _year(year_id, "cluster_year.manage")
    units = years.members(year)
    form = YearEditForm(obj=year, units=units)
    if request.method == "GET":
        form.vote_threshold.data = str(year.vote_threshold.normalize()).replace(".", ",")
        form.head_unit_id.data = year.head_unit_id or 0
        form.deputy_unit_id.data = year.deputy_unit_id or 0
    if form.validate_on_submit():
        try:
            years.set_officers(year, **form.officers())
            if year.session_id is None:
                years.update_settings(year, **form.settings())
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu thông tin năm.", "success")
            return _detail(year)
    return render_template("cluster_years/edit.html", form=form, year=year, rotation=years.rotation(year))


@bp.post("/<int:year_id>/status/<any(covenant, scoring, review, voting):action>")
def step(year_id: int, action: str):
    year = _year(year_id, "cluster_year.manage")
    try:
        years.transition(year, action)
    except years.YearError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"Đã chuyển sang bước “{year.status.label}”.", "success")
    return _detail(year)


# --- covenant -------------------------------------------------------------------------------------

@bp.route("/<int:year_id>/covenant", methods=["GET", "POST"])
def covenant(year_id: int):
    year = _year(year_id)
    form = CovenantForm(obj=year)
    if request.method == "POST":
        authorize("cluster_year.manage", year)
        if form.validate_on_submit():
            try:
                years.update_covenant(year, signed_on=form.covenant_signed_on.data, place=form.covenant_place.data,
                                      covenant_text=form.covenant_text.data)
            except years.YearError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                flash("Đã lưu giao ước.", "success")
                return redirect(url_for("cluster_years.covenant", year_id=year.id))
    rows = years.covenant_rows(year)
    blanks = {r.unit.id: r.commitment or CovenantCommitment(cluster_year_id=year.id, unit_id=r.unit.id) for r in rows}
    return render_template("cluster_years/covenant.html", year=year, form=form, rows=rows, blanks=blanks,
                           editable=year.status in years.COVENANT_EDITABLE)


@bp.route("/<int:year_id>/covenant/<int:unit_id>", methods=["GET", "POST"])
def commitment(year_id: int, unit_id: int):
    year = db.get_or_404(ClusterYear, year_id)
    unit = _member(year, unit_id)
    row = years.commitment_of(year, unit.id)
    authorize("cluster_year.commit", row or CovenantCommitment(cluster_year_id=year.id, unit_id=unit.id))
    form = CommitmentForm(obj=row)
    if form.validate_on_submit():
        try:
            years.save_commitment(year, unit, targets=form.targets.data, signatory_name=form.signatory_name.data,
                                  signatory_title=form.signatory_title.data, signed_on=form.signed_on.data)
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu giao ước của “{unit.name}”.", "success")
            return redirect(url_for("cluster_years.covenant", year_id=year.id))
    return render_template("cluster_years/commitment.html", form=form, year=year, unit=unit)


# --- criteria table -------------------------------------------------------------------------------

def _groups(year: ClusterYear, exclude: ClusterCriterion | None = None) -> list[ClusterCriterion]:
    return [c for c in years.tree_order(year.criteria) if c.kind == CriterionKind.GROUP and c is not exclude]


@bp.get("/<int:year_id>/criteria")
def criteria(year_id: int):
    year = _year(year_id)
    return render_template("cluster_years/criteria.html", year=year, rows=years.tree_order(year.criteria),
                           depth=years.depth, summary=years.summary(year), total=years.NORMAL_TOTAL,
                           editable=year.status in years.CRITERIA_EDITABLE)


@bp.route("/<int:year_id>/criteria/new", methods=["GET", "POST"])
def add_criterion(year_id: int):
    year = _year(year_id, "cluster_year.manage")
    form = CriterionForm(groups=_groups(year))
    if request.method == "GET" and request.args.get("parent", type=int):
        form.parent_id.data = request.args.get("parent", type=int)
    if form.validate_on_submit():
        try:
            c = years.add_criterion(year, **form.values())
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm “{c}”.", "success")
            return redirect(url_for("cluster_years.criteria", year_id=year.id))
    return render_template("cluster_years/criterion_form.html", form=form, year=year, criterion=None)


@bp.route("/<int:year_id>/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
def edit_criterion(year_id: int, criterion_id: int):
    c = get_in_or_404(ClusterCriterion, criterion_id, cluster_year_id=year_id)
    year = _year(year_id, "cluster_year.manage")
    form = CriterionForm(obj=c, groups=_groups(year, exclude=c))
    if request.method == "GET":
        form.parent_id.data = c.parent_id or 0
        form.max_points.data = scoring.points_text(c.max_points)
        form.step.data = scoring.points_text(c.step)
    if form.validate_on_submit():
        try:
            years.update_criterion(c, **form.values())
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu “{c}”.", "success")
            return redirect(url_for("cluster_years.criteria", year_id=year.id))
    return render_template("cluster_years/criterion_form.html", form=form, year=year, criterion=c)


@bp.post("/<int:year_id>/criteria/<int:criterion_id>/delete")
def delete_criterion(year_id: int, criterion_id: int):
    c = get_in_or_404(ClusterCriterion, criterion_id, cluster_year_id=year_id)
    year = _year(year_id, "cluster_year.manage")
    name = str(c)
    try:
        years.delete_criterion(c)
    except years.YearError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"Đã xóa “{name}”.", "success")
    return redirect(url_for("cluster_years.criteria", year_id=year.id))


# --- score sheets ---------------------------------------------------------------------------------

def _load_sheet(year_id: int, kind: str, subject_id: int, scorer_id: int | None) -> tuple[ClusterYear, ClusterScoreSheet]:
    try:
        kind = SheetKind(kind)
    except ValueError:
        abort(404)
    if (kind == SheetKind.CROSS) != (scorer_id is not None):
        abort(404)
    year = db.get_or_404(ClusterYear, year_id)
    _member(year, subject_id)
    if scorer_id is not None:
        _member(year, scorer_id)
    sheet = scoring.sheet_or_blank(year, kind, subject_id, scorer_id)
    return year, sheet


def _sheet_page(year: ClusterYear, sheet: ClusterScoreSheet, form, evidence_form=None, status: int = 200):
    criteria = scoring.scored_criteria(year)
    subject = db.session.get(Unit, sheet.subject_unit_id)
    scorer = db.session.get(Unit, sheet.scorer_unit_id) if sheet.scorer_unit_id else None
    own = sheet if sheet.id else None
    self_sheet = scoring.find_sheet(year, SheetKind.SELF, sheet.subject_unit_id) if sheet.kind != SheetKind.SELF else own
    if evidence_form is None and sheet.kind == SheetKind.SELF and own is not None and own.submitted_at is None:
        evidence_form = EvidenceForm(criteria=criteria)
    total = scoring.sheet_total(own) if own is not None else None
    locked = own is not None and own.submitted_at is not None
    editable = not locked and can(current_user, SCORE_ACTION[sheet.kind], sheet)
    return render_template("cluster_years/sheet.html", year=year, sheet=sheet, form=form, rows=years.tree_order(year.criteria),
                           depth=years.depth, scored={c.id for c in criteria}, subject=subject, scorer=scorer,
                           locked=locked, editable=editable, total=total,
                           evidence=self_sheet.evidence if self_sheet is not None else [], evidence_form=evidence_form,
                           CriterionKind=CriterionKind), status


@bp.route("/<int:year_id>/score/<kind>/<int:subject_id>", methods=["GET", "POST"])
@bp.route("/<int:year_id>/score/<kind>/<int:subject_id>/by/<int:scorer_id>", methods=["GET", "POST"])
def sheet(year_id: int, kind: str, subject_id: int, scorer_id: int | None = None):
    year, sheet = _load_sheet(year_id, kind, subject_id, scorer_id)
    action = SCORE_ACTION[sheet.kind]
    # Anyone who may see the year reads a sheet (every figure is open within the cluster); only its
    # scorer, in its step, writes it.
    if request.method == "POST":
        authorize(action, sheet)
    elif not can(current_user, action, sheet):
        authorize("cluster_year.view", year)
    criteria = scoring.scored_criteria(year)
    form = sheet_form(criteria)
    if request.method == "GET" and sheet.id is not None:
        for s in sheet.scores:
            if f"p{s.criterion_id}" in form:
                form[f"p{s.criterion_id}"].data = scoring.points_text(s.points)
                form[f"n{s.criterion_id}"].data = s.note or ""
        form.comment.data = sheet.comment
    if form.validate_on_submit():
        subject = db.session.get(Unit, sheet.subject_unit_id)
        scorer = db.session.get(Unit, sheet.scorer_unit_id) if sheet.scorer_unit_id else None
        try:
            saved = scoring.save_sheet(year, kind=sheet.kind, subject=subject, scorer=scorer,
                                       points=form.points(criteria), notes=form.notes(criteria), comment=form.comment.data)
            if request.form.get("submit_sheet"):
                scoring.submit_sheet(saved, actor=current_user)
        except scoring.SheetInvalid as exc:
            db.session.rollback()
            for criterion_id, message in exc.errors.items():
                form[f"p{criterion_id}"].errors.append(message)
            form.form_errors.append(str(exc))
            return _sheet_page(year, sheet, form, status=422)
        except years.YearError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return _sheet_page(year, sheet, form, status=422)
        db.session.commit()
        flash("Đã nộp phiếu điểm." if saved.submitted_at else "Đã lưu phiếu điểm (chưa nộp).", "success")
        return redirect(request.path)
    return _sheet_page(year, sheet, form)


@bp.post("/<int:year_id>/sheets/<int:sheet_id>/evidence")
def add_evidence(year_id: int, sheet_id: int):
    sheet = get_in_or_404(ClusterScoreSheet, sheet_id, cluster_year_id=year_id)
    authorize("cluster_year.score_self", sheet)
    year = sheet.cluster_year
    form = EvidenceForm(criteria=scoring.scored_criteria(year))
    if form.validate_on_submit():
        try:
            upload = storage.save_upload(form.file.data, kinds=scoring.EVIDENCE_KINDS)
            scoring.add_evidence(sheet, upload=upload, criterion_id=form.criterion_id.data or None, actor=current_user)
        except storage.UploadRefused as exc:
            form.file.errors.append(str(exc))
        except years.YearError as exc:
            db.session.rollback()
            storage.delete_stored(upload.stored_name)  # refused: no file without its row
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash("Đã đính kèm minh chứng.", "success")
            return redirect(url_for("cluster_years.sheet", year_id=year.id, kind="self", subject_id=sheet.subject_unit_id))
    sheet_form_ = sheet_form(scoring.scored_criteria(year))
    return _sheet_page(year, sheet, sheet_form_, evidence_form=form, status=422)


@bp.get("/<int:year_id>/evidence/<int:evidence_id>")
def evidence(year_id: int, evidence_id: int):
    item = db.get_or_404(ClusterEvidence, evidence_id)
    if item.sheet.cluster_year_id != year_id:
        abort(404)
    authorize("cluster_year.view", item.sheet.cluster_year)
    return storage.send(item)


# --- results, vote, reports -----------------------------------------------------------------------

@bp.get("/<int:year_id>/results")
def results(year_id: int):
    year = _year(year_id)
    return render_template("cluster_years/results.html", year=year, table=scoring.results(year), num=reports.num,
                           signed=reports.signed, candidates=vote.candidates(year), award_labels=vote.AWARD_LABELS)


def _representative_choices(units) -> dict[int, list[tuple[int, str]]]:
    """Per member unit: the active users who are its officers (the ones who may represent it)."""
    rows = db.session.execute(
        sa.select(RoleAssignment.unit_id, User.id, User.full_name).join(User)
        .where(RoleAssignment.role == Role.UNIT_OFFICER, RoleAssignment.unit_id.in_([u.id for u in units]),
               User.active.is_(True)).order_by(User.full_name)).all()
    out: dict[int, list[tuple[int, str]]] = {}
    for unit_id, user_id, name in rows:
        out.setdefault(unit_id, []).append((user_id, name))
    return out


@bp.route("/<int:year_id>/vote", methods=["GET", "POST"])
def setup_vote(year_id: int):
    year = _year(year_id, "cluster_year.manage")
    if year.session_id is not None:
        return redirect(url_for("cluster_years.results", year_id=year.id))
    units = years.members(year)
    form = vote_form(units, _representative_choices(units))
    table = scoring.results(year)
    if form.validate_on_submit():
        chosen = form.representatives(units)
        reps = {uid: db.session.get(User, user_id) for uid, user_id in chosen.items() if user_id}
        try:
            session = vote.start_vote(year, representatives=reps, held_on=form.held_on.data, place=form.place.data,
                                      actor=current_user)
        except years.YearError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lập hội nghị suy tôn. Tiếp tục điểm danh, khai mạc và bỏ phiếu kín tại trang phiên họp.", "success")
            return redirect(url_for("councils.session", session_id=session.id))
    return render_template("cluster_years/vote.html", year=year, form=form, leaders=vote.leaders(table, year),
                           num=reports.num), (422 if form.errors or form.form_errors else 200)


@bp.post("/<int:year_id>/vote/record")
def record_vote(year_id: int):
    year = _year(year_id, "cluster_year.manage")
    try:
        outcomes = vote.record_results(year, actor=current_user)
    except years.YearError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        made = sum(1 for o in outcomes if o.nomination_id)
        flash(f"Đã ghi nhận kết quả bình xét và lập {made} hồ sơ đề nghị.", "success")
    return redirect(url_for("cluster_years.results", year_id=year.id))


def _filename(year: ClusterYear, ext: str) -> str:
    return f"tong-hop-{year.cluster.code.lower()}-{year.year}.{ext}"


@bp.get("/<int:year_id>/report.pdf")
def report_pdf(year_id: int):
    year = _year(year_id)
    return reports.report_pdf(year), 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{_filename(year, "pdf")}"'}


@bp.get("/<int:year_id>/report.xlsx")
def report_xlsx(year_id: int):
    year = _year(year_id)
    return reports.report_xlsx(year), 200, {
        "Content-Type": storage.KINDS["xlsx"][0],
        "Content-Disposition": f'attachment; filename="{_filename(year, "xlsx")}"'}
