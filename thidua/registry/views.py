from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from thidua import storage
from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.org.queries import descendant_ids, lineage_ids, unit_choices
from thidua.permissions import authorize, can, is_reviewer, is_staff, officer_scope, requires

from . import importer, privacy, queries, services
from .forms import AwardRecordForm, DisciplineForm, EvaluationForm, ImportForm, InitiativeForm, PersonForm
from .models import AnnualEvaluation, AwardRecord, DisciplineRecord, Initiative, NomineeKind, Person

bp = Blueprint("registry", __name__, url_prefix="/registry")


def _sees_everyone() -> bool:
    """Staff, council members and approvers read the whole registry; unit officers their units."""
    return is_staff(current_user) or is_reviewer(current_user)


def _scope() -> set[int] | None:
    return None if _sees_everyone() else officer_scope(current_user)


def _scoped_unit_choices(*, current_only: bool) -> list[tuple[int, str]]:
    choices = unit_choices(current_only=current_only)
    scope = _scope()
    return choices if scope is None else [c for c in choices if c[0] in scope]


def _show_error(form, exc: services.RegistryError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


# --- search -------------------------------------------------------------------------------------

# An export holds at most this many rows (the whole registry would be far beyond what a sheet is read for).
EXPORT_LIMIT = 20_000


def _search_args(args, catalogue: list[tuple[str, str]]) -> tuple[queries.Filters, dict, str, str]:
    """The registry search's filters from the query string (for the page and its Excel export): the
    `Filters`, the cleaned arguments, what is listed ("people" or "units") and the sort of people."""
    q = (args.get("q") or "").strip()[:200]
    unit_id = args.get("unit", type=int) or None
    unit_id = unit_id if unit_id and 0 < unit_id < 2**31 else None  # beyond an INTEGER column: no such unit
    year = args.get("year", type=int) or None
    year = year if year and 1000 <= year <= 9999 else None
    award = (args.get("award") or "").strip()
    what = "units" if args.get("what") == "units" else "people"
    sort = args.get("sort") if args.get("sort") in queries.SORTS else "given"
    award = award if award in dict(catalogue) else ""
    filters = queries.Filters(q=q, unit_id=unit_id, year=year, award_code=award or None, scope=_scope(),
                              by_national_id=can(current_user, "person.personal_data"))
    return filters, {"q": q, "unit": unit_id or "", "year": year or "", "award": award, "sort": sort}, what, sort


@bp.get("/")
@requires("registry.search")
def search():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    catalogue = queries.award_choices()
    filters, args, what, sort = _search_args(request.args, catalogue)
    people = units = None
    counts = {}
    if not filters.empty:
        if what == "people":
            people = queries.search_people(filters, sort=sort, page=page)
            counts = {"people": people.page.total, "units": queries.count_units(filters)}
        else:
            units = queries.search_units(filters, page=page)
            counts = {"people": queries.count_people(filters), "units": units.total}
    return render_template("registry/search.html", args=args, what=what, people=people, units=units,
                           counts=counts, unit_options=_scoped_unit_choices(current_only=False),
                           award_options=catalogue, sorts=queries.SORTS, filters=filters)


@bp.get("/export.xlsx")
@requires("registry.search")
def search_xlsx():
    catalogue = queries.award_choices()
    filters, args, what, sort = _search_args(request.args, catalogue)
    unit = db.session.get(Unit, filters.unit_id) if filters.unit_id else None
    shown = {"Tìm": filters.q, "Thuộc đơn vị": unit.name if unit else None, "Năm": filters.year,
             "Danh hiệu, hình thức": dict(catalogue).get(filters.award_code)}
    if what == "units":
        units = [] if filters.empty else queries.search_units(filters, per_page=EXPORT_LIMIT).items
        rows = ([u.name, u.code, u.kind, u.parent.name if u.parent else None, "Có" if u.is_current else "Không"]
                for u in units)
        return xlsx_response("tra-cuu-khen-thuong-tap-the", "Tra cứu sổ thi đua, khen thưởng: tập thể, đơn vị",
                             [col("Tên đơn vị"), col("Mã"), col("Loại"), col("Đơn vị cấp trên"),
                              col("Còn hiệu lực")], rows, filters=shown)
    result = None if filters.empty else queries.search_people(filters, sort=sort, per_page=EXPORT_LIMIT)
    people = result.page.items if result else []
    # Gender and birth date only for those who may see them (Decree 13/2023, see permissions): the
    # columns are left out for a user who may see them for nobody, and blank on rows they may not see.
    personal = can(current_user, "person.personal_data")

    def row(p: Person) -> list:
        shown_here = personal and can(current_user, "person.personal_data", p)
        identity = [p.gender, p.birth_date] if shown_here else [None, None]
        return [p.full_name, *(identity if personal else []), p.unit.name if p.unit else None, p.position,
                "; ".join(f"{a.award_name} ({a.year})" for a in result.awards.get(p.id, []))]

    columns = [col("Họ và tên"), *([col("Giới tính"), col("Ngày sinh", "date")] if personal else []),
               col("Đơn vị"), col("Chức vụ"), col("Khen thưởng")]
    return xlsx_response("tra-cuu-khen-thuong-ca-nhan", "Tra cứu sổ thi đua, khen thưởng: cá nhân",
                         columns, (row(p) for p in people), filters=shown | {"Xếp theo": queries.SORTS[sort]})


# --- people -------------------------------------------------------------------------------------

def _person_form(person: Person | None = None, **kwargs) -> PersonForm:
    choices = _scoped_unit_choices(current_only=True)
    if person is not None and person.unit_id and person.unit_id not in dict(choices):
        # The person's unit has ended (merged): it stays selectable so that other fields can be saved.
        choices.append((person.unit_id, f"{person.unit.code} – {person.unit.name} (hết hiệu lực)"))
    return PersonForm(unit_choices=choices, unit_required=not is_staff(current_user), **kwargs)


@bp.route("/people/new", methods=["GET", "POST"])
@requires("person.edit")
def create_person():
    form = _person_form()
    if request.method == "GET":
        form.unit_id.data = request.args.get("unit", 0, type=int)
    matches: list[Person] = []
    if form.validate_on_submit():
        try:
            person = services.create_person(allow_duplicate=form.confirm_duplicate.data, **form.values())
        except services.DuplicatePerson as exc:
            db.session.rollback()
            matches = exc.matches
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm “{person.full_name}” vào sổ.", "success")
            return redirect(url_for("registry.person", person_id=person.id))
    return render_template("registry/person_form.html", form=form, person=None, matches=matches)


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("person.view", person)
    evaluations = db.session.scalars(
        sa.select(AnnualEvaluation).where(AnnualEvaluation.person_id == person.id).order_by(AnnualEvaluation.year.desc())
    ).all()
    initiatives = db.session.scalars(
        sa.select(Initiative).where(Initiative.person_id == person.id)
        .options(sa.orm.joinedload(Initiative.used_by_award))
        .order_by(Initiative.recognised_on.desc(), Initiative.id.desc())
    ).all()
    # Discipline is personal data only the secretariat (who keeps these records) may read.
    show_discipline = can(current_user, "discipline.view", person)
    discipline = db.session.scalars(
        sa.select(DisciplineRecord).where(DisciplineRecord.person_id == person.id)
        .order_by(DisciplineRecord.starts_on.desc())
    ).all() if show_discipline else []
    awards = sorted(person.awards, key=lambda a: (-a.year, a.decision_date or a.created_at.date(), a.id))
    return render_template("registry/person.html", person=person, awards=awards, evaluations=evaluations,
                           initiatives=initiatives, discipline=discipline, show_discipline=show_discipline)


@bp.post("/people/<int:person_id>/export")
def export_person(person_id: int):
    """A data subject's access request: everything held about the person, as a ZIP; audited."""
    person = db.get_or_404(Person, person_id)
    authorize("person.export", person)
    export = privacy.export_person(person, actor=current_user)
    db.session.commit()
    return send_file(export.file, as_attachment=True, download_name=export.download_name,
                     mimetype="application/zip")


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("person.edit", person)
    form = _person_form(person, obj=person)
    if request.method == "GET":
        form.unit_id.data = person.unit_id or 0
    if form.validate_on_submit():
        try:
            services.update_person(person, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu hồ sơ “{person.full_name}”.", "success")
            return redirect(url_for("registry.person", person_id=person.id))
    return render_template("registry/person_form.html", form=form, person=person, matches=[])


# --- award records ------------------------------------------------------------------------------

def _award_choices(kind: NomineeKind) -> list[tuple[str, str]]:
    catalogue = queries.award_catalogue()
    if kind == NomineeKind.INDIVIDUAL:
        wanted = [c for c, t in catalogue.items() if t.for_individual]
    else:
        wanted = [c for c, t in catalogue.items() if t.for_collective or t.for_household]
    return [(c, f"{c} – {catalogue[c].name}") for c in wanted]


def _subject_page(*, person_id: int | None, unit_id: int | None) -> str:
    """The history page of the person (when given) or else of the unit a registry row belongs to."""
    if person_id:
        return url_for("registry.person", person_id=person_id)
    return url_for("registry.unit_history", unit_id=unit_id)


def _back_to(record) -> str:
    return _subject_page(person_id=getattr(record, "person_id", None), unit_id=record.unit_id)


def _award_form_page(form: AwardRecordForm, *, title: str, subject: str, cancel: str):
    return render_template("registry/record_form.html", form=form, title=title, subject=subject, cancel=cancel)


@bp.route("/people/<int:person_id>/awards/new", methods=["GET", "POST"])
def add_person_award(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("award_record.manage", person)
    return _add_award(person=person)


@bp.route("/units/<int:unit_id>/awards/new", methods=["GET", "POST"])
def add_unit_award(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("award_record.manage", unit)
    return _add_award(unit=unit)


def _add_award(*, person: Person | None = None, unit: Unit | None = None):
    kind = NomineeKind.INDIVIDUAL if person is not None else NomineeKind.COLLECTIVE
    form = AwardRecordForm(award_choices=_award_choices(kind))
    cancel = _subject_page(person_id=getattr(person, "id", None), unit_id=getattr(unit, "id", None))
    if form.validate_on_submit():
        try:
            record = services.add_award_record(person=person, unit=unit, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm “{record}” vào sổ.", "success")
            return redirect(cancel)
    return _award_form_page(form, title="Thêm khen thưởng", subject=str(person or unit), cancel=cancel)


@bp.route("/awards/<int:record_id>/edit", methods=["GET", "POST"])
def edit_award(record_id: int):
    record = db.get_or_404(AwardRecord, record_id)
    authorize("award_record.manage", record)
    form = AwardRecordForm(obj=record, award_choices=_award_choices(record.nominee_kind))
    if form.validate_on_submit():
        try:
            services.update_award_record(record, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu “{record}”.", "success")
            return redirect(_back_to(record))
    return _award_form_page(form, title="Sửa khen thưởng", subject=str(record.person or record.unit),
                            cancel=_back_to(record))


@bp.post("/awards/<int:record_id>/delete")
def delete_award(record_id: int):
    record = db.get_or_404(AwardRecord, record_id)
    authorize("award_record.manage", record)
    back, text = _back_to(record), str(record)
    services.delete_award_record(record)
    db.session.commit()
    flash(f"Đã xóa “{text}” khỏi sổ.", "success")
    return redirect(back)


# --- evaluations --------------------------------------------------------------------------------

def _authorize_evaluation(evaluation: AnnualEvaluation) -> None:
    if evaluation.person_id is not None:
        authorize("person.edit", db.session.get(Person, evaluation.person_id))
    else:
        authorize("award_record.manage", evaluation)


@bp.route("/people/<int:person_id>/evaluations/new", methods=["GET", "POST"])
def add_person_evaluation(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("person.edit", person)
    return _add_evaluation(person=person)


@bp.route("/units/<int:unit_id>/evaluations/new", methods=["GET", "POST"])
def add_unit_evaluation(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("award_record.manage", unit)
    return _add_evaluation(unit=unit)


def _add_evaluation(*, person: Person | None = None, unit: Unit | None = None):
    form = EvaluationForm()
    cancel = _subject_page(person_id=getattr(person, "id", None), unit_id=getattr(unit, "id", None))
    if form.validate_on_submit():
        try:
            evaluation = services.add_evaluation(person=person, unit=unit, year=form.year.data, rating=form.rating.data)
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã ghi kết quả đánh giá năm {evaluation.year}.", "success")
            return redirect(cancel)
    return render_template("registry/record_form.html", form=form, title="Thêm kết quả đánh giá, xếp loại",
                           subject=str(person or unit), cancel=cancel)


@bp.route("/evaluations/<int:evaluation_id>/edit", methods=["GET", "POST"])
def edit_evaluation(evaluation_id: int):
    evaluation = db.get_or_404(AnnualEvaluation, evaluation_id)
    _authorize_evaluation(evaluation)
    form = EvaluationForm(obj=evaluation)
    if form.validate_on_submit():
        try:
            services.update_evaluation(evaluation, year=form.year.data, rating=form.rating.data)
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu kết quả đánh giá năm {evaluation.year}.", "success")
            return redirect(_back_to(evaluation))
    subject = (db.session.get(Person, evaluation.person_id) if evaluation.person_id is not None
               else db.session.get(Unit, evaluation.unit_id))
    return render_template("registry/record_form.html", form=form, title="Sửa kết quả đánh giá, xếp loại",
                           subject=str(subject), cancel=_back_to(evaluation))


@bp.post("/evaluations/<int:evaluation_id>/delete")
def delete_evaluation(evaluation_id: int):
    evaluation = db.get_or_404(AnnualEvaluation, evaluation_id)
    authorize("award_record.manage", evaluation)
    back, year = _back_to(evaluation), evaluation.year
    services.delete_evaluation(evaluation)
    db.session.commit()
    flash(f"Đã xóa kết quả đánh giá năm {year}.", "success")
    return redirect(back)


# --- initiatives --------------------------------------------------------------------------------

def _initiative_form(person: Person, **kwargs) -> InitiativeForm:
    choices = [(a.id, f"{a.award_name} năm {a.year}") for a in sorted(person.awards, key=lambda a: -a.year)]
    return InitiativeForm(award_choices=choices, **kwargs)


@bp.route("/people/<int:person_id>/initiatives/new", methods=["GET", "POST"])
def add_initiative(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("person.edit", person)
    form = _initiative_form(person)
    cancel = url_for("registry.person", person_id=person.id)
    if form.validate_on_submit():
        try:
            services.add_initiative(person, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã thêm sáng kiến, đề tài.", "success")
            return redirect(cancel)
    return render_template("registry/record_form.html", form=form, title="Thêm sáng kiến, đề tài",
                           subject=str(person), cancel=cancel)


@bp.route("/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
def edit_initiative(initiative_id: int):
    initiative = db.get_or_404(Initiative, initiative_id)
    authorize("person.edit", initiative.person)
    form = _initiative_form(initiative.person, obj=initiative)
    if request.method == "GET":
        form.used_by_award_id.data = initiative.used_by_award_id or 0
    cancel = url_for("registry.person", person_id=initiative.person_id)
    if form.validate_on_submit():
        try:
            services.update_initiative(initiative, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu sáng kiến, đề tài.", "success")
            return redirect(cancel)
    return render_template("registry/record_form.html", form=form, title="Sửa sáng kiến, đề tài",
                           subject=str(initiative.person), cancel=cancel)


@bp.post("/initiatives/<int:initiative_id>/delete")
def delete_initiative(initiative_id: int):
    initiative = db.get_or_404(Initiative, initiative_id)
    authorize("award_record.manage", initiative)
    person_id = initiative.person_id
    services.delete_initiative(initiative)
    db.session.commit()
    flash("Đã xóa sáng kiến, đề tài.", "success")
    return redirect(url_for("registry.person", person_id=person_id))


# --- discipline ---------------------------------------------------------------------------------

@bp.route("/people/<int:person_id>/discipline/new", methods=["GET", "POST"])
def add_discipline(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorize("award_record.manage", person)
    form = DisciplineForm()
    cancel = url_for("registry.person", person_id=person.id)
    if form.validate_on_submit():
        try:
            services.add_discipline(person, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi nhận kỷ luật.", "success")
            return redirect(cancel)
    return render_template("registry/record_form.html", form=form, title="Thêm kỷ luật", subject=str(person),
                           cancel=cancel)


@bp.route("/discipline/<int:record_id>/edit", methods=["GET", "POST"])
def edit_discipline(record_id: int):
    record = db.get_or_404(DisciplineRecord, record_id)
    authorize("award_record.manage", record)
    form = DisciplineForm(obj=record, current=record.level)
    cancel = url_for("registry.person", person_id=record.person_id)
    if form.validate_on_submit():
        try:
            services.update_discipline(record, **form.values())
        except services.RegistryError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu kỷ luật.", "success")
            return redirect(cancel)
    return render_template("registry/record_form.html", form=form, title="Sửa kỷ luật", subject=str(record.person),
                           cancel=cancel)


@bp.post("/discipline/<int:record_id>/delete")
def delete_discipline(record_id: int):
    record = db.get_or_404(DisciplineRecord, record_id)
    authorize("award_record.manage", record)
    person_id = record.person_id
    services.delete_discipline(record)
    db.session.commit()
    flash("Đã xóa kỷ luật.", "success")
    return redirect(url_for("registry.person", person_id=person_id))


# --- unit history -------------------------------------------------------------------------------

@bp.get("/units/<int:unit_id>")
def unit_history(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("unit_history.view", unit)
    lineage = lineage_ids(unit.id)
    awards = queries.unit_awards(lineage)
    evaluations = db.session.scalars(
        sa.select(AnnualEvaluation).where(AnnualEvaluation.unit_id.in_(lineage))
        .order_by(AnnualEvaluation.year.desc())
    ).all()
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(lineage)))}
    people = db.session.scalar(sa.select(sa.func.count(Person.id)).where(Person.unit_id.in_(descendant_ids([unit.id]))))
    return render_template("registry/unit_history.html", unit=unit, awards=awards, evaluations=evaluations,
                           units=units, people=people)


# --- Excel import of historical awards ----------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@requires("registry.import")
def import_awards():
    form = ImportForm()
    errors: list[importer.RowError] = []
    if form.validate_on_submit():
        try:
            data, _kind = storage.read_upload(form.file.data, kinds={"xlsx"})
            checked = importer.check(data)
        except (storage.UploadRefused, importer.ImportRefused) as exc:
            form.file.errors.append(str(exc))
        else:
            if checked.errors:
                errors = checked.errors
            else:
                token = importer.stash(data)
                return redirect(url_for("registry.import_preview", token=token))
    return render_template("registry/import_awards.html", form=form, errors=errors, columns=importer.COLUMNS,
                           help=importer.HELP, required=importer.REQUIRED_COLUMNS)


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires("registry.import")
def import_preview(token: str):
    try:
        checked = importer.check(importer.unstash(token))
    except importer.StaleImport as exc:
        flash(str(exc), "error")
        return redirect(url_for("registry.import_awards"))
    except importer.ImportRefused as exc:  # the stored file was readable at upload; be safe anyway
        importer.discard(token)
        flash(str(exc), "error")
        return redirect(url_for("registry.import_awards"))
    errors = checked.errors
    choices = {g.key: request.form.get(f"choice-{g.key}") for g in checked.matched_groups}
    if request.method == "POST" and not errors:
        if any(answer is None for answer in choices.values()):
            # A match appeared since the preview was shown: ask again rather than guess.
            flash("Sổ vừa có thêm người trùng thông tin với tệp. Vui lòng xem lại các lựa chọn rồi xác nhận.",
                  "warning")
        else:
            try:
                result = importer.apply(checked, choices)
            except importer.ImportInvalid as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                importer.discard(token)
                flash(f"Đã nhập {result.records} dòng khen thưởng: tạo {result.people_created} người mới, "
                      f"gộp vào {result.people_reused} hồ sơ có sẵn.", "success")
                return redirect(url_for("registry.search"))
    return render_template("registry/import_preview.html", checked=checked, errors=errors, token=token,
                           choices=choices, merge=importer.MERGE, new=importer.NEW)


@bp.post("/import/<token>/cancel")
@requires("registry.import")
def import_cancel(token: str):
    importer.discard(token)
    flash("Đã hủy lần nhập này; tệp tải lên đã được xóa.", "success")
    return redirect(url_for("registry.import_awards"))


@bp.get("/import/template.xlsx")
@requires("registry.import")
def import_template():
    return send_file(io.BytesIO(importer.template_workbook()), as_attachment=True,
                     download_name="mau-nhap-khen-thuong.xlsx", mimetype=storage.KINDS["xlsx"][0])
