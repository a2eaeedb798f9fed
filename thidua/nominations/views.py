"""Dossier pages: the unit's list, the dossier form and page (checklist, attachments, timeline, workflow
buttons), submission letters, and the secretariat's queue. Every view: load → authorize → validate →
service → commit → flash + redirect."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua import storage
from thidua.campaigns.models import Campaign
from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, is_staff, officer_scope, requires
from thidua.registry.models import Initiative, RecognitionLevel
from thidua.rules.models import AwardMethod, AwardType, DossierPart

from . import queries, services, workflow
from .forms import (
    ActionForm,
    AttachmentForm,
    BatchAddForm,
    BatchForm,
    InitiativeForm,
    LinkInitiativeForm,
    NominationForm,
)
from .models import Nomination, NominationAttachment, NominationStatus, SubmissionBatch

bp = Blueprint("nominations", __name__, url_prefix="/nominations")

UPLOAD_KINDS = {"pdf", "docx", "jpeg", "png"}
DONE = {
    "submit": "Đã gửi hồ sơ tới Ban Thi đua - Khen thưởng.",
    "return": "Đã trả lại hồ sơ cho đơn vị để bổ sung.",
    "accept": "Đã tiếp nhận hồ sơ: đủ điều kiện trình Hội đồng.",
    "reject": "Đã ghi nhận hồ sơ không đủ điều kiện và báo lý do cho đơn vị.",
    "withdraw": "Đã rút hồ sơ.",
}


def _scope() -> set[int] | None:
    """Units whose dossiers the user sees: all for the secretariat (None), else the officer's units."""
    return None if is_staff(current_user) else officer_scope(current_user)


def _unit_options(scope: set[int] | None) -> list[tuple[int, str]]:
    if scope is None:
        return unit_choices()
    return [(u.id, f"{u.code} – {u.name}") for u in queries.units_in_scope(scope)]


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _show_error(form, exc: services.NominationError) -> None:
    """Put a refused change's message beside its field, or on top of the page."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "error")


# --- lists ---------------------------------------------------------------------------------------

@bp.get("/")
@requires("nomination.list")
def index():
    filters = queries.Filters.from_args(request.args)
    scope = _scope()
    counts = queries.status_counts(filters, scope=scope)
    # The status counts already hold the total: no separate COUNT over the same rows.
    page = db.paginate(queries.nomination_ids(filters, scope=scope), per_page=queries.PER_PAGE, error_out=False,
                       count=False)
    page.items = queries.rows(page.items)
    page.total = counts.get(NominationStatus(filters.status), 0) if filters.status else sum(counts.values())
    return render_template(
        "nominations/index.html", page=page, filters=filters, counts=counts,
        statuses=list(NominationStatus), awards=queries.award_codes(), campaigns=queries.campaigns_for_filter(),
        units=_unit_options(scope),
    )


@bp.get("/queue")
@requires("nomination.queue")
def queue():
    filters = queries.Filters.from_args(request.args)
    counts = queries.queue_counts(filters)
    page = db.paginate(queries.queue_ids(filters), per_page=50, error_out=False, count=False)
    page.items, page.total = queries.rows(page.items), counts.total
    return render_template(
        "nominations/queue.html", page=page, filters=filters, by_unit=counts.by_unit, by_award=counts.by_award,
        awards=queries.award_codes(), campaigns=queries.campaigns_for_filter(), units=unit_choices(),
        today=date.today(),
    )


@bp.get("/queue/export.xlsx")
@requires("nomination.queue")
def queue_xlsx():
    from .excel_views import filter_labels

    filters = queries.Filters.from_args(request.args)
    ids = db.session.scalars(queries.queue_ids(filters)).all()

    def rows():
        for start in range(0, len(ids), 500):  # a page of rows at a time, in the queue's order
            for n in queries.rows(ids[start:start + 500]):
                yield [n.submitted_at, n.nominee_name, n.award_type.name, n.year, n.unit.name,
                       n.campaign.name if n.campaign else None,
                       n.campaign.nomination_deadline if n.campaign else None, n.batch.number if n.batch else None]

    return xlsx_response("ho-so-cho-tham-dinh", "Hồ sơ chờ thẩm định",
                         [col("Ngày gửi", "datetime"), col("Người, tập thể được đề nghị"), col("Danh hiệu, hình thức"),
                          col("Năm", "int"), col("Đơn vị đề nghị"), col("Phong trào"), col("Hạn đề nghị", "date"),
                          col("Tờ trình")], rows(), filters=dict(filter_labels(filters)))


# --- the dossier form ----------------------------------------------------------------------------

def _nomination_form(nomination: Nomination | None) -> tuple[NominationForm, set[int]]:
    scope = officer_scope(current_user)
    units = _unit_options(scope)
    this_year = date.today().year
    years = {this_year - 1, this_year, this_year + 1} | ({nomination.year} if nomination else set())
    award_types = queries.award_types_for(years, keep_id=nomination.award_type_id if nomination else None)
    campaigns = queries.open_campaigns(keep_id=nomination.campaign_id if nomination else None)
    form = NominationForm(
        obj=nomination if request.method == "GET" else None,
        units=units, award_types=award_types, campaigns=[(c.id, c.name) for c in campaigns],
        find_person=lambda person_id: queries.person_in_scope(person_id, scope),
    )
    if nomination is not None and request.method == "GET":
        form.version.data = str(nomination.version)
        form.person_id.data = str(nomination.person_id or "")
        form.campaign_id.data = nomination.campaign_id or 0
        form.nominee_unit_id.data = nomination.nominee_unit_id or 0
    return form, scope


def _picker(form: NominationForm, scope: set[int]) -> list:
    """People shown in the picker: the search results, with the person already chosen first."""
    people = queries.search_people(scope, form.person_q.data) if form.person_q.data else []
    chosen = form.person_id.data
    if chosen and str(chosen).isdigit():
        person = queries.person_in_scope(int(chosen), scope)
        if person is not None and person not in people:
            people.insert(0, person)
    return people


def _service_args(form: NominationForm) -> dict:
    if form.is_individual:
        nominee = services.Nominee(new_person=form.new_person_fields()) if form.wants_new_person else \
            services.Nominee(person=form.person)
    else:
        nominee = services.Nominee(unit=db.session.get(Unit, form.nominee_unit_id.data),
                                   is_enterprise=form.is_enterprise.data, is_household=form.is_household.data)
    return {
        "unit": db.session.get(Unit, form.unit_id.data),
        "nominee": nominee,
        "award_type": db.session.get(AwardType, form.award_type_id.data),
        "method": AwardMethod(form.method.data),
        "year": form.year.data,
        "achievement_summary": form.achievement_summary.data,
        "campaign": db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None,
    }


def _show_nomination_error(form: NominationForm, exc: services.NominationError) -> None:
    _show_error(form, exc)
    if exc.field == "person_id" and form.wants_new_person and not form.person_q.data:
        # The "new" person is already in the registry: list the namesakes so the officer can pick one.
        form.person_q.data = form.new_full_name.data


def _searching() -> bool:
    return request.method == "POST" and "search" in request.form


@bp.route("/new", methods=["GET", "POST"])
@requires("nomination.create")
def create():
    form, scope = _nomination_form(None)
    if not _searching() and form.validate_on_submit():
        try:
            nomination = services.create_nomination(**_service_args(form), actor=current_user)
        except services.NominationError as exc:
            db.session.rollback()
            _show_nomination_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu hồ sơ (dự thảo). Đính kèm các thành phần hồ sơ rồi bấm “Gửi hồ sơ”.", "success")
            return redirect(url_for("nominations.detail", nomination_id=nomination.id))
    return render_template("nominations/form.html", form=form, nomination=None, people=_picker(form, scope))


@bp.route("/<int:nomination_id>/edit", methods=["GET", "POST"])
def edit(nomination_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.edit", nomination)
    form, scope = _nomination_form(nomination)
    if not _searching() and form.validate_on_submit():
        try:
            services.update_nomination(nomination, version=_int_or_none(form.version.data), **_service_args(form),
                                       actor=current_user)
        except services.NominationError as exc:
            db.session.rollback()
            _show_nomination_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu hồ sơ.", "success")
            return redirect(url_for("nominations.detail", nomination_id=nomination.id))
    return render_template("nominations/form.html", form=form, nomination=nomination, people=_picker(form, scope))


# --- the dossier page and its workflow -------------------------------------------------------------

@bp.get("/<int:nomination_id>")
def detail(nomination_id: int):
    nomination = queries.dossier(nomination_id)
    if nomination is None:
        abort(404)
    authorize("nomination.view", nomination)
    by_part = {part: [a for a in nomination.attachments if a.part == part] for part in DossierPart}
    return render_template(
        "nominations/detail.html", nomination=nomination, by_part=by_part,
        requirements=services.requirements(nomination), missing=services.missing_parts(nomination),
        checklist=services.eligibility(nomination),
        quota=services.quota_flags(nomination),
        actions=workflow.available_actions(nomination, current_user), action_labels=workflow.ACTION_LABELS,
        note_required=workflow.NOTE_REQUIRED, action_form=ActionForm(), statuses=NominationStatus,
    )


@bp.post("/<int:nomination_id>/<any(submit, return, accept, reject, withdraw):action>")
def act(nomination_id: int, action: str):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.view", nomination)
    # Who may act is asked where the status allows the action; otherwise the workflow refuses it with a
    # message naming the status (a page left open while someone else moved the dossier).
    if nomination.status in workflow.TRANSITIONS[action][0]:
        authorize(f"nomination.{action}", nomination)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form.first_error() or "Yêu cầu không hợp lệ.", "error")
        return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    try:
        services.act(nomination, action, actor=current_user, note=form.note.data)
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(DONE[action], "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


# --- attachments ---------------------------------------------------------------------------------

@bp.route("/<int:nomination_id>/attachments/new", methods=["GET", "POST"])
def add_attachment(nomination_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.edit", nomination)
    form = AttachmentForm(part=request.args.get("part") or DossierPart.ACHIEVEMENT_REPORT.value)
    if form.validate_on_submit():
        try:
            upload = storage.save_upload(form.file.data, kinds=UPLOAD_KINDS)
        except storage.UploadRefused as exc:
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            try:
                services.add_attachment(nomination, part=DossierPart(form.part.data), upload=upload,
                                        actor=current_user)
                db.session.commit()
            except services.REFUSED as exc:
                db.session.rollback()
                storage.delete_stored(upload.stored_name)
                flash(str(exc), "error")
            except Exception:
                db.session.rollback()
                storage.delete_stored(upload.stored_name)
                raise
            else:
                flash(f"Đã đính kèm “{upload.original_name}”.", "success")
                return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    return render_template("nominations/add_attachment.html", form=form, nomination=nomination)


def _attachment(nomination_id: int, attachment_id: int) -> NominationAttachment:
    return get_in_or_404(NominationAttachment, attachment_id, nomination_id=nomination_id)


@bp.get("/<int:nomination_id>/attachments/<int:attachment_id>")
def download_attachment(nomination_id: int, attachment_id: int):
    attachment = _attachment(nomination_id, attachment_id)
    authorize("nomination.view", attachment.nomination)
    return storage.send(attachment)


@bp.post("/<int:nomination_id>/attachments/<int:attachment_id>/delete")
def delete_attachment(nomination_id: int, attachment_id: int):
    attachment = _attachment(nomination_id, attachment_id)
    authorize("nomination.edit", attachment.nomination)
    try:
        stored = services.remove_attachment(attachment)
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        storage.delete_stored(stored)
        flash("Đã xóa tệp đính kèm.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


# --- initiatives ---------------------------------------------------------------------------------

def _linkable(nomination: Nomination) -> list[tuple[int, str]]:
    if nomination.person_id is None:
        return []
    return [(i.id, f"{i.title} ({i.level.label}{', ' + i.decision_ref if i.decision_ref else ''})")
            for i in queries.person_initiatives(nomination.person_id)
            if i not in nomination.initiatives and i.used_by_award_id is None]


@bp.route("/<int:nomination_id>/initiatives/new", methods=["GET", "POST"])
def add_initiative(nomination_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.edit", nomination)
    if nomination.person_id is None:
        abort(404)
    form = InitiativeForm()
    if form.validate_on_submit():
        try:
            services.add_initiative(nomination, title=form.title.data, level=RecognitionLevel(form.level.data),
                                    decision_ref=form.decision_ref.data or None,
                                    recognised_on=form.recognised_on.data, is_research=form.is_research.data)
        except services.REFUSED as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Đã thêm sáng kiến vào hồ sơ (và vào sổ theo dõi của người được đề nghị).", "success")
            return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    linkable = _linkable(nomination)
    link_form = LinkInitiativeForm(formdata=None, initiatives=linkable) if linkable else None
    return render_template("nominations/add_initiative.html", form=form, link_form=link_form, nomination=nomination)


@bp.post("/<int:nomination_id>/initiatives/link")
def link_initiative(nomination_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.edit", nomination)
    form = LinkInitiativeForm(initiatives=_linkable(nomination))
    if not form.validate_on_submit():
        flash(form.first_error() or "Yêu cầu không hợp lệ.", "error")
        return redirect(url_for("nominations.add_initiative", nomination_id=nomination_id))
    try:
        services.link_initiative(nomination, db.get_or_404(Initiative, form.initiative_id.data))
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("nominations.add_initiative", nomination_id=nomination_id))
    db.session.commit()
    flash("Đã đưa sáng kiến vào hồ sơ.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


@bp.post("/<int:nomination_id>/initiatives/<int:initiative_id>/remove")
def remove_initiative(nomination_id: int, initiative_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("nomination.edit", nomination)
    initiative = db.get_or_404(Initiative, initiative_id)
    if initiative not in nomination.initiatives:
        abort(404)
    try:
        services.remove_initiative(nomination, initiative)
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã gỡ sáng kiến khỏi hồ sơ; sáng kiến vẫn được lưu trong sổ theo dõi.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


# --- submission letters (tờ trình) ------------------------------------------------------------------

def _batch(batch_id: int) -> SubmissionBatch:
    batch = db.get_or_404(SubmissionBatch, batch_id)
    authorize("batch.manage", batch)
    return batch


@bp.get("/batches/")
@requires("batch.manage")
def batch_index():
    return render_template("nominations/batch_index.html", batches=queries.batches(officer_scope(current_user)))


@bp.route("/batches/new", methods=["GET", "POST"])
@requires("batch.manage")
def create_batch():
    form = BatchForm(units=_unit_options(officer_scope(current_user)))
    if form.validate_on_submit():
        try:
            batch = services.create_batch(unit=db.session.get(Unit, form.unit_id.data), number=form.number.data,
                                          dated_on=form.dated_on.data, title=form.title.data, actor=current_user)
        except services.NominationError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã tạo tờ trình. Chọn các hồ sơ đưa vào tờ trình rồi gửi.", "success")
            return redirect(url_for("nominations.batch_detail", batch_id=batch.id))
    return render_template("nominations/create_batch.html", form=form)


def _candidate_options(batch: SubmissionBatch) -> list[tuple[int, str]]:
    return [(n.id, f"Số {n.id}: {n.nominee_name} – {n.award_type.name} năm {n.year} ({n.status.label})")
            for n in queries.batch_candidates(batch)]


@bp.get("/batches/<int:batch_id>")
def batch_detail(batch_id: int):
    batch = _batch(batch_id)
    candidates = _candidate_options(batch)
    nominations = queries.batch_nominations(batch)
    return render_template(
        "nominations/batch_detail.html", batch=batch, nominations=nominations,
        pending=[n for n in nominations if n.status in services.EDITABLE],
        add_form=BatchAddForm(formdata=None, candidates=candidates) if candidates else None,
    )


@bp.post("/batches/<int:batch_id>/add")
def add_to_batch(batch_id: int):
    batch = _batch(batch_id)
    form = BatchAddForm(candidates=_candidate_options(batch))
    if not form.validate_on_submit():
        flash(form.first_error() or "Yêu cầu không hợp lệ.", "error")
        return redirect(url_for("nominations.batch_detail", batch_id=batch_id))
    try:
        for nomination_id in form.nomination_ids.data:
            services.add_to_batch(batch, db.session.get(Nomination, nomination_id))
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Đã đưa {len(form.nomination_ids.data)} hồ sơ vào tờ trình.", "success")
    return redirect(url_for("nominations.batch_detail", batch_id=batch_id))


@bp.post("/batches/<int:batch_id>/nominations/<int:nomination_id>/remove")
def remove_from_batch(batch_id: int, nomination_id: int):
    batch = _batch(batch_id)
    nomination = db.get_or_404(Nomination, nomination_id)
    try:
        services.remove_from_batch(batch, nomination)
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã gỡ hồ sơ khỏi tờ trình.", "success")
    return redirect(url_for("nominations.batch_detail", batch_id=batch_id))


@bp.post("/batches/<int:batch_id>/submit")
def submit_batch(batch_id: int):
    batch = _batch(batch_id)
    try:
        sent = services.submit_batch(batch, actor=current_user)
    except services.REFUSED as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Đã gửi {len(sent)} hồ sơ kèm {batch}.", "success")
    return redirect(url_for("nominations.batch_detail", batch_id=batch_id))
