"""Certificates: admin pages for templates and artwork, printer calibrations, printing one certificate,
the print log of a decision, and the public verification pages (no login)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.awards.models import Decision, DecisionItem
from thidua.documents.pdf import render_html, static_dir
from thidua.extensions import db, get_in_or_404
from thidua.permissions import authorize, requires
from thidua.storage import delete_stored

from . import render, services
from .forms import ArtworkForm, CalibrationForm, PrintForm, TemplateForm, VerifyForm
from .models import Artwork, ArtworkKind, CertificateTemplate, PrinterCalibration, PrintMode

bp = Blueprint("certificates", __name__)


def _show_error(form, exc: services.CertificateError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _calibrations() -> list[PrinterCalibration]:
    return db.session.scalars(sa.select(PrinterCalibration).order_by(PrinterCalibration.name)).all()


# --- templates and artwork (admin) -------------------------------------------------------------------

@bp.get("/certificates/templates")
@requires("certificate.template")
def templates():
    rows = db.session.scalars(sa.select(CertificateTemplate).order_by(CertificateTemplate.id)).all()
    artworks = {a.kind: a for a in db.session.scalars(sa.select(Artwork))}
    return render_template("certificates/templates.html", templates=rows, artworks=artworks,
                           kinds=list(ArtworkKind), form=ArtworkForm())


@bp.route("/certificates/templates/<int:template_id>/edit", methods=["GET", "POST"])
@requires("certificate.template")
def template_edit(template_id: int):
    template = db.get_or_404(CertificateTemplate, template_id)
    form = TemplateForm(obj=template)
    if request.method == "GET":
        form.award_codes.data = ", ".join(template.award_codes or [])
        form.blank_layout.data = json.dumps(template.blank_layout or {}, ensure_ascii=False, indent=2)
    if form.validate_on_submit():
        try:
            services.update_template(template, **form.values(), actor=current_user._get_current_object())
        except services.CertificateError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu mẫu “{template.name}”.", "success")
            return redirect(url_for("certificates.templates"))
    return render_template("certificates/template_edit.html", template=template, form=form,
                           fields=render.LAYOUT_FIELDS)


@bp.get("/certificates/templates/<int:template_id>/preview.pdf")
@requires("certificate.template")
def template_preview(template_id: int):
    template = db.get_or_404(CertificateTemplate, template_id)
    mode = PrintMode.BLANK if request.args.get("mode") == PrintMode.BLANK.value else PrintMode.FULL
    fields = {**render.sample_fields(template, base_url=render.public_base_url()), **render.artwork_urls()}
    html = render.document_html([render.page_html(template, fields, mode=mode)], title=f"Xem thử: {template.name}",
                                created=datetime(2026, 3, 5, tzinfo=UTC))
    static = static_dir()
    data = render_html(html, css=render.document_css(template, mode=mode, static_dir=static), base_url=str(static))
    return _pdf_response(data, f"xem-thu-{template.code}-{mode.value}.pdf")


def _artwork_kind(kind: str) -> ArtworkKind:
    try:
        return ArtworkKind(kind)
    except ValueError:
        abort(404)


@bp.post("/certificates/artwork/<kind>")
@requires("certificate.template")
def artwork_upload(kind: str):
    art_kind = _artwork_kind(kind)
    form = ArtworkForm()
    if form.validate_on_submit():
        try:
            _, replaced = services.replace_artwork(art_kind, request.files.get("file"),
                                                   actor=current_user._get_current_object())
        except services.CertificateError as exc:
            db.session.rollback()
            flash(f"{art_kind.label}: {exc}", "error")
        else:
            db.session.commit()
            if replaced:
                delete_stored(replaced)
            flash(f"Đã cập nhật ảnh {art_kind.label.lower()}.", "success")
    return redirect(url_for("certificates.templates"))


@bp.post("/certificates/artwork/<kind>/reset")
@requires("certificate.template")
def artwork_reset(kind: str):
    art_kind = _artwork_kind(kind)
    removed = services.reset_artwork(art_kind)
    db.session.commit()
    if removed:
        delete_stored(removed)
    flash(f"Đã trở về hình giữ chỗ cho {art_kind.label.lower()}.", "success")
    return redirect(url_for("certificates.templates"))


@bp.get("/certificates/artwork/<kind>")
@requires("certificate.template")
def artwork_file(kind: str):
    from thidua.storage import send

    art = db.session.scalar(sa.select(Artwork).where(Artwork.kind == _artwork_kind(kind)))
    if art is None:
        abort(404)
    return send(art)


# --- printer calibrations ----------------------------------------------------------------------------

@bp.get("/certificates/calibrations")
@requires("certificate.calibrate")
def calibrations():
    templates = db.session.scalars(sa.select(CertificateTemplate).order_by(CertificateTemplate.id)).all()
    return render_template("certificates/calibrations.html", calibrations=_calibrations(), templates=templates)


@bp.route("/certificates/calibrations/new", methods=["GET", "POST"])
@requires("certificate.calibrate")
def calibration_new():
    return _calibration_form(None)


@bp.route("/certificates/calibrations/<int:calibration_id>/edit", methods=["GET", "POST"])
@requires("certificate.calibrate")
def calibration_edit(calibration_id: int):
    return _calibration_form(db.get_or_404(PrinterCalibration, calibration_id))


def _calibration_form(calibration: PrinterCalibration | None):
    form = CalibrationForm(obj=calibration)
    if form.validate_on_submit():
        try:
            saved = services.save_calibration(calibration, name=form.name.data, offset_x_mm=form.offset_x_mm.data,
                                              offset_y_mm=form.offset_y_mm.data, scale=form.scale.data,
                                              note=form.note.data or None)
        except services.CertificateError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu hiệu chỉnh máy in “{saved.name}”.", "success")
            return redirect(url_for("certificates.calibrations"))
    return render_template("certificates/calibration_form.html", form=form, calibration=calibration)


@bp.post("/certificates/calibrations/<int:calibration_id>/delete")
@requires("certificate.calibrate")
def calibration_delete(calibration_id: int):
    calibration = db.get_or_404(PrinterCalibration, calibration_id)
    name = calibration.name
    services.delete_calibration(calibration)
    db.session.commit()
    flash(f"Đã xóa hiệu chỉnh máy in “{name}”.", "success")
    return redirect(url_for("certificates.calibrations"))


@bp.get("/certificates/calibrations/<int:calibration_id>/page.pdf")
@requires("certificate.calibrate")
def calibration_page(calibration_id: int):
    calibration = db.get_or_404(PrinterCalibration, calibration_id)
    template_id = request.args.get("template", type=int)
    if template_id is None:
        abort(404)
    template = db.get_or_404(CertificateTemplate, template_id)
    html = render.document_html([render.calibration_page_html(template, calibration)],
                                title=f"Trang hiệu chỉnh {calibration.name}", created=datetime(2026, 1, 1, tzinfo=UTC))
    static = static_dir()
    css = render.document_css(template, mode=PrintMode.BLANK, static_dir=static) + render.CALIBRATION_CSS
    return _pdf_response(render_html(html, css=css, base_url=str(static)), f"hieu-chinh-{template.code}.pdf")


# --- one certificate, print log ----------------------------------------------------------------------

@bp.route("/certificates/decisions/<int:decision_id>/items/<int:item_id>/print", methods=["GET", "POST"])
def print_item(decision_id: int, item_id: int):
    decision = db.get_or_404(Decision, decision_id)
    item = get_in_or_404(DecisionItem, item_id, decision_id=decision.id)
    authorize("certificate.print", decision)
    form = PrintForm(calibrations=_calibrations())
    if form.validate_on_submit():
        mode = PrintMode(form.mode.data)
        calibration = db.session.get(PrinterCalibration, form.calibration_id.data) if form.calibration_id.data else None
        try:
            services.log_prints([item], user=current_user, mode=mode, copies=form.copies.data)
            data = render.render_items([item], mode=mode, calibration=calibration if mode == PrintMode.BLANK else None,
                                       copies=form.copies.data)
        except services.PrintRefused as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return _pdf_response(data, f"giay-chung-nhan-{decision.id}-{item.position}.pdf")
    printed = services.print_history(decision.id)
    return render_template("certificates/print_item.html", decision=decision, item=item, form=form,
                           prints=[p for p in printed if p.item_id == item.id],
                           refusal=_refusal(item))


def _refusal(item: DecisionItem) -> str | None:
    try:
        services.check_printable(item)
    except services.PrintRefused as exc:
        return str(exc)
    return None


@bp.get("/certificates/decisions/<int:decision_id>/prints")
def print_log(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("print_log.view", decision)
    return render_template("certificates/print_log.html", decision=decision,
                           prints=services.print_history(decision.id))


# --- public verification (no login) ------------------------------------------------------------------

def _no_cache(response):
    # A revocation must show at once: browsers and proxies revalidate every time.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/verify")
@requires("certificate.verify")
def verify_form():
    form = VerifyForm(request.args)
    if request.args and form.validate():
        return redirect(url_for("certificates.verify", code=render.normalize_code(form.code.data)))
    return _no_cache(make_response(render_template("certificates/verify_form.html", form=form)))


@bp.get("/verify/<code>")
@requires("certificate.verify")
def verify(code: str):
    normalized = render.normalize_code(code)
    item = db.session.scalar(sa.select(DecisionItem).where(DecisionItem.verify_code == normalized)) if normalized else None
    if item is None or not item.decision.is_issued:
        response = make_response(render_template("certificates/verify_unknown.html", code=code, form=VerifyForm()), 404)
        return _no_cache(response)
    fields = render.fields_for(item, base_url=render.public_base_url())
    return _no_cache(make_response(render_template("certificates/verify.html", item=item, fields=fields,
                                                   decision=item.decision)))
