from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua import storage
from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.filters import local_time
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, is_staff, officer_scope, requires

from . import services
from .forms import CampaignForm, DocumentForm, RegistrationForm
from .models import Campaign, CampaignDocument, CampaignKind, CampaignRegistration, CampaignStatus

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _list_query(args) -> tuple[sa.Select, dict]:
    """The campaign list's statement under the query-string filters, and those filters (for the page and
    its Excel export)."""
    status = args.get("status") or ""
    kind = args.get("kind") or ""
    year = args.get("year", type=int)
    stmt = sa.select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    if not is_staff(current_user):
        stmt = stmt.where(Campaign.status != CampaignStatus.DRAFT)
    if status in {s.value for s in CampaignStatus}:
        stmt = stmt.where(Campaign.status == CampaignStatus(status))
    else:
        status = ""
    if kind in {k.value for k in CampaignKind}:
        stmt = stmt.where(Campaign.kind == CampaignKind(kind))
    else:
        kind = ""
    if year:
        stmt = stmt.where(sa.extract("year", Campaign.starts_on) == year)
    return stmt, {"status": status, "kind": kind, "year": year}


def _registration_counts() -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(CampaignRegistration.campaign_id, sa.func.count()).group_by(CampaignRegistration.campaign_id)
    ).all())


@bp.get("/")
@requires("campaign.list")
def index():
    stmt, filters = _list_query(request.args)
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("campaigns/index.html", page=page, counts=_registration_counts(), **filters,
                           statuses=list(CampaignStatus), kinds=list(CampaignKind))


@bp.get("/export.xlsx")
@requires("campaign.list")
def index_xlsx():
    stmt, filters = _list_query(request.args)
    counts = _registration_counts()
    rows = ([c.name, c.kind, c.launching_authority, c.starts_on, c.ends_on, c.nomination_deadline, c.status,
             counts.get(c.id, 0)] for c in db.session.scalars(stmt))
    return xlsx_response("danh-sach-phong-trao", "Danh sách phong trào thi đua",
                         [col("Tên phong trào"), col("Loại"), col("Cơ quan phát động"), col("Bắt đầu", "date"),
                          col("Kết thúc", "date"), col("Hạn đề nghị", "date"), col("Trạng thái"),
                          col("Đơn vị đăng ký", "int")], rows,
                         filters={"Trạng thái": CampaignStatus(filters["status"]) if filters["status"] else None,
                                  "Loại": CampaignKind(filters["kind"]) if filters["kind"] else None,
                                  "Năm bắt đầu": filters["year"]})


@bp.route("/new", methods=["GET", "POST"])
@requires("campaign.create")
def create():
    form = CampaignForm(unit_choices=unit_choices())
    if form.validate_on_submit():
        campaign = services.create_campaign(actor=current_user, **form.values())
        db.session.commit()
        flash("Đã tạo phong trào (dự thảo). Kiểm tra lại rồi bấm “Phát động” để công bố.", "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None)


@bp.get("/<int:campaign_id>")
def detail(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.view", campaign)
    return render_template("campaigns/detail.html", campaign=campaign, registrations=_registrations(campaign),
                           transitions=services.TRANSITIONS, action_labels=services.ACTION_LABELS)


def _registrations(campaign: Campaign) -> list[CampaignRegistration]:
    """The units registered in a campaign, oldest registration first (the page and its Excel export)."""
    return db.session.scalars(
        sa.select(CampaignRegistration)
        .where(CampaignRegistration.campaign_id == campaign.id)
        .options(sa.orm.joinedload(CampaignRegistration.unit), sa.orm.joinedload(CampaignRegistration.registered_by))
        .order_by(CampaignRegistration.registered_at)
    ).all()


@bp.get("/<int:campaign_id>/registrations/export.xlsx")
def registrations_xlsx(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.view", campaign)
    rows = ([r.unit.name, r.unit.code, r.commitments, local_time(r.registered_at)] for r in _registrations(campaign))
    return xlsx_response(f"dang-ky-thi-dua-{campaign.id}", f"Đơn vị đăng ký thi đua: {campaign.name}",
                         [col("Đơn vị"), col("Mã đơn vị"), col("Nội dung đăng ký"), col("Ngày đăng ký", "date")],
                         rows, filters={"Phong trào": campaign.name})


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.edit", campaign)
    form = CampaignForm(obj=campaign, unit_choices=unit_choices())
    if request.method == "GET":
        form.launching_unit_id.data = campaign.launching_unit_id or 0
        form.version.data = str(campaign.version)
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, version=_int_or_none(form.version.data), **form.values())
        except services.CampaignError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Đã lưu phong trào.", "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.post("/<int:campaign_id>/status/<any(open, close, summarize):action>")
def change_status(campaign_id: int, action: str):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize(f"campaign.{action}", campaign)
    try:
        services.transition(campaign, action)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Đã chuyển phong trào sang trạng thái “{campaign.status.label}”.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/delete")
def delete(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.delete", campaign)
    try:
        files = services.delete_campaign(campaign)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
    db.session.commit()
    for name in files:
        storage.delete_stored(name)
    flash("Đã xóa phong trào dự thảo.", "success")
    return redirect(url_for("campaigns.index"))


@bp.route("/<int:campaign_id>/documents/new", methods=["GET", "POST"])
def add_document(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.document.manage", campaign)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            upload = storage.save_upload(form.file.data, kinds={"pdf"})
        except storage.UploadRefused as exc:
            form.file.errors.append(str(exc))
        else:
            try:
                services.add_document(campaign, upload=upload, title=form.title.data, actor=current_user)
                db.session.commit()
            except Exception:
                db.session.rollback()
                storage.delete_stored(upload.stored_name)
                raise
            flash(f"Đã đính kèm “{upload.original_name}”.", "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/document_form.html", form=form, campaign=campaign)


def _document(campaign_id: int, document_id: int) -> CampaignDocument:
    return get_in_or_404(CampaignDocument, document_id, campaign_id=campaign_id)


@bp.get("/<int:campaign_id>/documents/<int:document_id>")
def download_document(campaign_id: int, document_id: int):
    doc = _document(campaign_id, document_id)
    authorize("campaign.document.download", doc.campaign)
    return storage.send(doc)


@bp.post("/<int:campaign_id>/documents/<int:document_id>/delete")
def delete_document(campaign_id: int, document_id: int):
    doc = _document(campaign_id, document_id)
    authorize("campaign.document.manage", doc.campaign)
    try:
        stored = services.remove_document(doc)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        storage.delete_stored(stored)
        flash("Đã xóa văn bản đính kèm.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


def _registrable_units(campaign: Campaign) -> list[Unit]:
    scope = officer_scope(current_user)
    registered = {r.unit_id for r in campaign.registrations}
    units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(scope - registered)).order_by(Unit.code)).all()
    return [u for u in units if u.is_current]


@bp.route("/<int:campaign_id>/register", methods=["GET", "POST"])
def register(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    authorize("campaign.register", campaign)
    units = _registrable_units(campaign)
    form = RegistrationForm(unit_choices=[(u.id, f"{u.code} – {u.name}") for u in units])
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            services.register(campaign, unit=unit, commitments=form.commitments.data, actor=current_user)
        except services.CampaignError as exc:
            db.session.rollback()
            form.unit_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Đơn vị “{unit.name}” đã đăng ký thi đua.", "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/register.html", form=form, campaign=campaign)


@bp.post("/registrations/<int:registration_id>/cancel")
def cancel_registration(registration_id: int):
    reg = db.get_or_404(CampaignRegistration, registration_id)
    authorize("registration.cancel", reg)
    campaign_id = reg.campaign_id
    try:
        services.cancel_registration(reg)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã hủy đăng ký thi đua.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
