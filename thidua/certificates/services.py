"""State changes of the certificates domain: the print log, templates, artwork and printer calibrations.
Functions flush, never commit; errors a user can cause are exceptions with a Vietnamese message."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.awards.models import DecisionItem, DecisionStatus
from thidua.extensions import db, utcnow
from thidua.storage import UploadRefused, save_upload

from . import render
from .models import (
    Artwork,
    ArtworkKind,
    CertificateTemplate,
    PrinterCalibration,
    PrintJob,
    PrintLog,
    PrintMode,
)

ARTWORK_MAX_BYTES = 5 * 1024 * 1024
MAX_COPIES = 20


class PrintRefused(ValueError):
    """A certificate that may not be printed (revoked awardee, decision not issued…); says why."""


class CertificateError(ValueError):
    """A user's input the domain refuses; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _unproxied(user):
    """The user behind Flask-Login's `current_user` proxy (a relationship needs the object itself)."""
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def check_printable(item: DecisionItem) -> None:
    """Raise PrintRefused unless `item`'s certificate may be printed."""
    if item.decision.status != DecisionStatus.ISSUED:
        raise PrintRefused(f"Chưa thể in giấy chứng nhận cho {item.awardee_name}: quyết định chưa được ban hành.")
    if item.is_revoked:
        raise PrintRefused(f"Không thể in giấy chứng nhận cho {item.awardee_name}: khen thưởng đã bị thu hồi"
                           + (f" theo Quyết định số {item.revocation_number}." if item.revocation_number else "."))
    if not item.verify_code:
        raise PrintRefused(f"Chưa thể in giấy chứng nhận cho {item.awardee_name}: thiếu mã tra cứu.")


def log_prints(items: list[DecisionItem], *, user, mode: PrintMode, copies: int = 1,
               job: PrintJob | None = None) -> list[PrintLog]:
    """Record that `user` printed `copies` copies of each item's certificate (a reprint when the item was
    printed before). Raise PrintRefused, writing nothing, when any item may not be printed."""
    if copies < 1 or copies > MAX_COPIES:
        raise PrintRefused(f"Số bản in phải từ 1 đến {MAX_COPIES}.")
    for item in items:
        check_printable(item)
    ids = [item.id for item in items]
    printed = set(db.session.scalars(sa.select(PrintLog.item_id).where(PrintLog.item_id.in_(ids)).distinct()))
    logs = []
    for item in items:
        reprint = item.id in printed
        log = PrintLog(item=item, user=_unproxied(user), job=job, mode=mode, copies=copies, reprint=reprint)
        db.session.add(log)
        label(log, "certificate.reprint" if reprint else "certificate.print")
        logs.append(log)
    db.session.flush()
    return logs


def print_history(decision_id: int) -> list[PrintLog]:
    """Every print of the decision's certificates, newest first."""
    return db.session.scalars(
        sa.select(PrintLog).join(DecisionItem, PrintLog.item_id == DecisionItem.id)
        .where(DecisionItem.decision_id == decision_id)
        .options(sa.orm.joinedload(PrintLog.item), sa.orm.joinedload(PrintLog.user))
        .order_by(PrintLog.at.desc(), PrintLog.id.desc())
    ).all()


# --- templates ---------------------------------------------------------------------------------------

def update_template(template: CertificateTemplate, *, name: str, award_codes: list[str], page_width_mm: Decimal,
                    page_height_mm: Decimal, heading: str, html: str, css: str, blank_layout: dict,
                    actor) -> CertificateTemplate:
    """Save an edited template after checking that its HTML renders and its layout is well formed.
    An award code may belong to one template only."""
    try:
        layout = render.validate_template(html, blank_layout)
    except render.TemplateInvalid as exc:
        raise CertificateError(str(exc), exc.field) from exc
    codes = sorted({code.strip().upper() for code in award_codes if code.strip()})
    for other in db.session.scalars(sa.select(CertificateTemplate).where(CertificateTemplate.id != template.id)):
        taken = sorted(set(codes) & set(other.award_codes or []))
        if taken:
            raise CertificateError(f"Mã {', '.join(taken)} đã thuộc mẫu “{other.name}”.", "award_codes")
    template.name = name
    template.award_codes = codes
    template.page_width_mm = page_width_mm
    template.page_height_mm = page_height_mm
    template.heading = heading
    template.html = html
    template.css = css
    template.blank_layout = layout
    template.updated_by = actor
    label(template, "certificate_template.update")
    db.session.flush()
    return template


# --- artwork -----------------------------------------------------------------------------------------

def replace_artwork(kind: ArtworkKind, file, *, actor) -> tuple[Artwork, str | None]:
    """Store an uploaded PNG or JPEG as the emblem or border, replacing the previous one; return the row
    and the stored name of the replaced file, which the caller deletes (`delete_stored`) once the
    transaction is committed. A refused upload raises CertificateError."""
    try:
        upload = save_upload(file, kinds={"png", "jpeg"}, max_bytes=ARTWORK_MAX_BYTES)
    except UploadRefused as exc:
        raise CertificateError(str(exc), "file") from exc
    art = db.session.scalar(sa.select(Artwork).where(Artwork.kind == kind))
    old = art.stored_name if art else None
    if art is None:
        art = Artwork(kind=kind, **upload.columns(), uploaded_by=actor)
        db.session.add(art)
    else:
        for key, value in upload.columns().items():
            setattr(art, key, value)
        art.uploaded_by = actor
        art.uploaded_at = utcnow()
    label(art, "artwork.replace")
    db.session.flush()
    return art, old


def reset_artwork(kind: ArtworkKind) -> str | None:
    """Go back to the neutral placeholder for `kind`; return the stored name of the file to delete once
    committed (None when no upload was in use)."""
    art = db.session.scalar(sa.select(Artwork).where(Artwork.kind == kind))
    if art is None:
        return None
    label(art, "artwork.reset")
    db.session.delete(art)
    db.session.flush()
    return art.stored_name


# --- calibrations ------------------------------------------------------------------------------------

def save_calibration(calibration: PrinterCalibration | None, *, name: str, offset_x_mm: Decimal,
                     offset_y_mm: Decimal, scale: Decimal, note: str | None) -> PrinterCalibration:
    """Create (calibration None) or update a printer calibration; names are unique."""
    clash = db.session.scalar(sa.select(PrinterCalibration).where(
        PrinterCalibration.name == name,
        PrinterCalibration.id != (calibration.id if calibration else -1)))
    if clash is not None:
        raise CertificateError("Đã có máy in mang tên này.", "name")
    if not Decimal("0.5") < scale < Decimal("1.5"):
        raise CertificateError("Tỷ lệ phải lớn hơn 0,5 và nhỏ hơn 1,5.", "scale")
    if calibration is None:
        calibration = PrinterCalibration(name=name)
        db.session.add(calibration)
    calibration.name = name
    calibration.offset_x_mm = offset_x_mm
    calibration.offset_y_mm = offset_y_mm
    calibration.scale = scale
    calibration.note = note
    label(calibration, "printer_calibration.save")
    db.session.flush()
    return calibration


def delete_calibration(calibration: PrinterCalibration) -> None:
    """Delete a calibration; batches that used it keep no reference to it."""
    db.session.execute(sa.update(PrintJob).where(PrintJob.calibration_id == calibration.id)
                       .values(calibration_id=None))
    label(calibration, "printer_calibration.delete")
    db.session.delete(calibration)
    db.session.flush()
