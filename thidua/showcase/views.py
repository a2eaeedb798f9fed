"""The signed-in registry of good models: list and search, propose and edit, photos and documents,
links to awards and dossiers, recognition, archive, featuring and replication."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua import storage
from thidua.extensions import db, get_in_or_404
from thidua.nominations.models import Nomination
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, is_staff, officer_scope, requires
from thidua.registry.models import AwardRecord

from . import queries, services
from .forms import FileForm, GoodModelForm, RecogniseForm, ReplicationForm
from .models import GoodModel, GoodModelFile, ModelField, ModelStatus

bp = Blueprint("showcase", __name__, url_prefix="/models")


def _show_error(form, exc: services.ShowcaseError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _units_for(user) -> list[tuple[int, str]]:
    """Units the user may act for: every unit for the secretariat, the officer's own units otherwise."""
    choices = unit_choices()
    if is_staff(user):
        return choices
    scope = officer_scope(user)
    return [(uid, label) for uid, label in choices if uid in scope]


def _unit_or_error(unit_id, allowed: list[tuple[int, str]]) -> Unit:
    if unit_id not in {uid for uid, _ in allowed}:
        raise services.ShowcaseError("Đơn vị không hợp lệ.", "unit_id")
    return db.session.get(Unit, unit_id)


@bp.get("/")
@requires("good_model.list")
def index():
    filters = queries.Filters.from_args(request.args)
    pagination = queries.registry_page(current_user, filters, page=request.args.get("page", 1, type=int))
    return render_template("showcase/index.html", pagination=pagination, filters=filters, fields=ModelField,
                           statuses=ModelStatus, units=unit_choices(),
                           counts=queries.replication_counts([m.id for m in pagination.items]))


@bp.route("/new", methods=["GET", "POST"])
@requires("good_model.create")
def create():
    allowed = _units_for(current_user)
    form = GoodModelForm(unit_choices=allowed)
    if form.validate_on_submit():
        try:
            model = services.create_model(unit=_unit_or_error(form.unit_id.data, allowed), actor=current_user,
                                          **form.values())
        except services.ShowcaseError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã ghi nhận đề xuất mô hình “{model.title}”.", "success")
            return redirect(url_for("showcase.detail", model_id=model.id))
    return render_template("showcase/form.html", form=form, model=None)


@bp.get("/<int:model_id>")
def detail(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.view", model)
    return render_template("showcase/detail.html", model=model, awards=queries.award_rows(model.id),
                           photos=[f for f in model.files if f.kind.value == "photo"],
                           documents=[f for f in model.files if f.kind.value == "document"])


@bp.route("/<int:model_id>/edit", methods=["GET", "POST"])
def edit(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.edit", model)
    allowed = _units_for(current_user)
    if model.unit_id not in {uid for uid, _ in allowed}:
        allowed = [(model.unit_id, model.unit.name), *allowed]
    form = GoodModelForm(obj=model, unit_choices=allowed)
    if form.validate_on_submit():
        try:
            services.update_model(model, unit=_unit_or_error(form.unit_id.data, allowed), **form.values())
        except services.ShowcaseError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu mô hình.", "success")
            return redirect(url_for("showcase.detail", model_id=model.id))
    return render_template("showcase/form.html", form=form, model=model)


# --- files -------------------------------------------------------------------------------------------

@bp.route("/<int:model_id>/files/new", methods=["GET", "POST"])
def add_file(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.edit", model)
    form = FileForm()
    if form.validate_on_submit():
        try:
            upload = storage.save_upload(form.file.data, kinds=set(services.FILE_KINDS))
        except storage.UploadRefused as exc:
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            try:
                services.add_file(model, upload=upload, caption=form.caption.data, public=form.public.data,
                                  actor=current_user)
                db.session.commit()
            except services.ShowcaseError as exc:
                db.session.rollback()
                storage.delete_stored(upload.stored_name)
                _show_error(form, exc)
            except Exception:
                db.session.rollback()
                storage.delete_stored(upload.stored_name)
                raise
            else:
                flash(f"Đã tải lên “{upload.original_name}”.", "success")
                return redirect(url_for("showcase.detail", model_id=model.id))
    return render_template("showcase/add_file.html", form=form, model=model)


def _file(model_id: int, file_id: int) -> GoodModelFile:
    return get_in_or_404(GoodModelFile, file_id, good_model_id=model_id)


@bp.get("/<int:model_id>/files/<int:file_id>")
def download_file(model_id: int, file_id: int):
    row = _file(model_id, file_id)
    authorize("good_model.view", row.good_model)
    return storage.send(row)


@bp.post("/<int:model_id>/files/<int:file_id>/visibility")
def toggle_file(model_id: int, file_id: int):
    row = _file(model_id, file_id)
    authorize("good_model.edit", row.good_model)
    services.set_file_public(row, not row.public)
    db.session.commit()
    flash("Tệp được hiển thị công khai." if row.public else "Tệp không còn hiển thị công khai.", "success")
    return redirect(url_for("showcase.detail", model_id=model_id))


@bp.post("/<int:model_id>/files/<int:file_id>/delete")
def delete_file(model_id: int, file_id: int):
    row = _file(model_id, file_id)
    authorize("good_model.edit", row.good_model)
    stored = services.remove_file(row)
    db.session.commit()
    storage.delete_stored(stored)
    flash("Đã xóa tệp.", "success")
    return redirect(url_for("showcase.detail", model_id=model_id))


# --- links to awards and dossiers -------------------------------------------------------------------

@bp.get("/<int:model_id>/links")
def links(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.edit", model)
    q = (request.args.get("q") or "").strip()
    linked = {a.id for a in model.awards}
    nominations = db.session.scalars(
        sa.select(Nomination).where(sa.or_(Nomination.unit_id == model.unit_id,
                                           Nomination.nominee_unit_id == model.unit_id))
        .order_by(Nomination.year.desc(), Nomination.id.desc()).limit(200)).all()
    return render_template("showcase/links.html", model=model, q=q, linked=linked,
                           found=[a for a in queries.find_awards(q) if a.id not in linked] if q else [],
                           nominations=[n for n in nominations if n not in model.nominations])


def _link(model_id: int, change, obj_model, obj_id, done: str):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.edit", model)
    if not obj_id:  # the form was sent without a choice
        flash("Vui lòng chọn một mục trong danh sách tìm được.", "error")
        return redirect(url_for("showcase.links", model_id=model_id))
    obj = db.session.get(obj_model, obj_id)
    if obj is None:
        abort(404)
    try:
        change(model, obj)
    except services.ShowcaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("showcase.links", model_id=model_id) if request.form.get("back") == "links"
                    else url_for("showcase.detail", model_id=model_id))


@bp.post("/<int:model_id>/awards")
def link_award(model_id: int):
    return _link(model_id, services.link_award, AwardRecord, request.form.get("award_record_id", type=int),
                 "Đã liên kết khen thưởng với mô hình.")


@bp.post("/<int:model_id>/awards/<int:record_id>/unlink")
def unlink_award(model_id: int, record_id: int):
    return _link(model_id, services.unlink_award, AwardRecord, record_id, "Đã bỏ liên kết khen thưởng.")


@bp.post("/<int:model_id>/nominations")
def link_nomination(model_id: int):
    return _link(model_id, services.link_nomination, Nomination, request.form.get("nomination_id", type=int),
                 "Đã liên kết hồ sơ với mô hình.")


@bp.post("/<int:model_id>/nominations/<int:nomination_id>/unlink")
def unlink_nomination(model_id: int, nomination_id: int):
    return _link(model_id, services.unlink_nomination, Nomination, nomination_id, "Đã bỏ liên kết hồ sơ.")


# --- recognition, archive, featuring ----------------------------------------------------------------

@bp.route("/<int:model_id>/recognise", methods=["GET", "POST"])
def recognise(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.recognise", model)
    form = RecogniseForm()
    if form.validate_on_submit():
        try:
            services.recognise(model, recognised_on=form.recognised_on.data,
                               recognition_ref=form.recognition_ref.data)
        except services.ShowcaseError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã công nhận mô hình “{model.title}”.", "success")
            return redirect(url_for("showcase.detail", model_id=model.id))
    return render_template("showcase/recognise.html", form=form, model=model)


def _state_change(model_id: int, action: str, change, done: str):
    model = db.get_or_404(GoodModel, model_id)
    authorize(action, model)
    try:
        change(model)
    except services.ShowcaseError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("showcase.detail", model_id=model_id))


@bp.post("/<int:model_id>/archive")
def archive(model_id: int):
    # Archiving is the secretariat's, like recognising.
    return _state_change(model_id, "good_model.recognise", services.archive, "Đã lưu trữ mô hình.")


@bp.post("/<int:model_id>/feature")
def feature(model_id: int):
    return _state_change(model_id, "good_model.feature", lambda m: services.set_featured(m, True),
                         "Mô hình được giới thiệu trên trang công khai.")


@bp.post("/<int:model_id>/unfeature")
def unfeature(model_id: int):
    return _state_change(model_id, "good_model.feature", lambda m: services.set_featured(m, False),
                         "Mô hình không còn được giới thiệu trên trang công khai.")


# --- replication -------------------------------------------------------------------------------------

@bp.route("/<int:model_id>/replications/new", methods=["GET", "POST"])
def replicate(model_id: int):
    model = db.get_or_404(GoodModel, model_id)
    authorize("good_model.replicate", model)
    allowed = [(uid, label) for uid, label in _units_for(current_user) if uid != model.unit_id]
    form = ReplicationForm(unit_choices=allowed)
    if form.validate_on_submit():
        try:
            services.replicate(model, unit=_unit_or_error(form.unit_id.data, allowed),
                               adopted_on=form.adopted_on.data, result=form.result.data, actor=current_user)
        except services.ShowcaseError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi nhận đơn vị nhân rộng mô hình.", "success")
            return redirect(url_for("showcase.detail", model_id=model.id))
    return render_template("showcase/replicate.html", form=form, model=model)
