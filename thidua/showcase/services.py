"""State changes of good models: propose, edit, files, links to awards and dossiers, recognise, archive,
feature, and replication by other units.

Services flush, never commit, audit every change ("good_model.<action>") and raise `ShowcaseError`
with a Vietnamese message; they check *what* (state, invariants), the views ask the policy *who*.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from thidua.audit.services import label, record
from thidua.extensions import db
from thidua.nominations.models import Nomination
from thidua.org.models import Unit
from thidua.registry.models import AwardRecord
from thidua.storage import StoredUpload

from .models import FileKind, GoodModel, GoodModelFile, ModelField, ModelStatus, Replication

TITLE_MAX = 300
SUMMARY_MAX = 500
CAPTION_MAX = 300
REF_MAX = 255
PHOTO_KINDS = frozenset({"jpeg", "png"})
DOCUMENT_KINDS = frozenset({"pdf", "docx"})
FILE_KINDS = PHOTO_KINDS | DOCUMENT_KINDS


class ShowcaseError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user, beside `field` when given."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _check_text(title: str | None, summary: str | None, description: str | None) -> None:
    if not title:
        raise ShowcaseError("Vui lòng nhập tên mô hình.", "title")
    if len(title) > TITLE_MAX:
        raise ShowcaseError(f"Tên mô hình tối đa {TITLE_MAX} ký tự.", "title")
    if not summary:
        raise ShowcaseError("Vui lòng nhập tóm tắt.", "summary")
    if len(summary) > SUMMARY_MAX:
        raise ShowcaseError(f"Tóm tắt tối đa {SUMMARY_MAX} ký tự.", "summary")
    if not description:
        raise ShowcaseError("Vui lòng nhập nội dung mô hình.", "description")


def _check_started(started_on: date | None, today: date) -> None:
    if started_on and started_on > today:
        raise ShowcaseError("Ngày bắt đầu thực hiện không được sau hôm nay.", "started_on")


def create_model(*, title: str, field: ModelField, unit: Unit, summary: str, description: str,
                 results: str | None = None, started_on: date | None = None, campaign=None, actor=None,
                 today: date | None = None) -> GoodModel:
    """Propose a good model of `unit` (status "proposed")."""
    _check_text(title, summary, description)
    _check_started(started_on, today or date.today())
    model = GoodModel(title=title, field=ModelField(field), unit=unit, summary=summary, description=description,
                      results=results or None, started_on=started_on, campaign=campaign,
                      status=ModelStatus.PROPOSED, created_by_id=getattr(actor, "id", None))
    db.session.add(model)
    label(model, "good_model.create")
    db.session.flush()
    return model


def update_model(model: GoodModel, *, title: str, field: ModelField, unit: Unit, summary: str, description: str,
                 results: str | None = None, started_on: date | None = None, campaign=None,
                 today: date | None = None) -> GoodModel:
    _check_text(title, summary, description)
    _check_started(started_on, today or date.today())
    model.title, model.field, model.unit = title, ModelField(field), unit
    model.summary, model.description, model.results = summary, description, results or None
    model.started_on, model.campaign = started_on, campaign
    label(model, "good_model.edit")
    db.session.flush()
    return model


# --- files -------------------------------------------------------------------------------------------

def add_file(model: GoodModel, *, upload: StoredUpload, caption: str | None = None, public: bool = True,
             actor=None) -> GoodModelFile:
    """Attach a checked upload: a JPEG/PNG becomes a photo, a PDF/DOCX a document."""
    if upload.kind not in FILE_KINDS:
        raise ShowcaseError("Chỉ nhận ảnh JPEG, PNG hoặc tài liệu PDF, Word (.docx).", "file")
    if caption and len(caption) > CAPTION_MAX:
        raise ShowcaseError(f"Chú thích tối đa {CAPTION_MAX} ký tự.", "caption")
    position = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(GoodModelFile.position), 0))
                                 .where(GoodModelFile.good_model_id == model.id)) + 1
    row = GoodModelFile(good_model=model, kind=FileKind.PHOTO if upload.kind in PHOTO_KINDS else FileKind.DOCUMENT,
                        caption=caption or None, public=public, position=position,
                        uploaded_by_id=getattr(actor, "id", None), **upload.columns())
    db.session.add(row)
    label(row, "good_model.add_file")
    db.session.flush()
    return row


def set_file_public(row: GoodModelFile, public: bool) -> GoodModelFile:
    row.public = public
    label(row, "good_model.publish_file" if public else "good_model.hide_file")
    db.session.flush()
    return row


def remove_file(row: GoodModelFile) -> str:
    """Delete the row; return its stored name, which the caller deletes once committed."""
    stored = row.stored_name
    label(row, "good_model.remove_file")
    db.session.delete(row)
    db.session.flush()
    return stored


# --- links to awards and dossiers -------------------------------------------------------------------

def link_award(model: GoodModel, record_: AwardRecord) -> GoodModel:
    if record_ in model.awards:
        raise ShowcaseError("Khen thưởng này đã được liên kết với mô hình.")
    model.awards.append(record_)
    record("good_model.link_award", model, session=db.session, award_record_id=record_.id,
           award=str(record_))
    db.session.flush()
    return model


def unlink_award(model: GoodModel, record_: AwardRecord) -> GoodModel:
    if record_ not in model.awards:
        raise ShowcaseError("Khen thưởng này không được liên kết với mô hình.")
    model.awards.remove(record_)
    record("good_model.unlink_award", model, session=db.session, award_record_id=record_.id)
    db.session.flush()
    return model


def link_nomination(model: GoodModel, nomination: Nomination) -> GoodModel:
    # the dossiers the links page offers: the model's unit's own (an id typed in must not reach another unit's)
    if model.unit_id not in (nomination.unit_id, nomination.nominee_unit_id):
        raise ShowcaseError("Hồ sơ này không thuộc đơn vị của mô hình.")
    if nomination in model.nominations:
        raise ShowcaseError("Hồ sơ này đã được liên kết với mô hình.")
    model.nominations.append(nomination)
    record("good_model.link_nomination", model, session=db.session, nomination_id=nomination.id)
    db.session.flush()
    return model


def unlink_nomination(model: GoodModel, nomination: Nomination) -> GoodModel:
    if nomination not in model.nominations:
        raise ShowcaseError("Hồ sơ này không được liên kết với mô hình.")
    model.nominations.remove(nomination)
    record("good_model.unlink_nomination", model, session=db.session, nomination_id=nomination.id)
    db.session.flush()
    return model


# --- recognition, archive, featuring ----------------------------------------------------------------

def recognise(model: GoodModel, *, recognised_on: date | None, recognition_ref: str | None,
              today: date | None = None) -> GoodModel:
    """proposed → recognised, with the date and the recognising document."""
    if model.status != ModelStatus.PROPOSED:
        raise ShowcaseError(f"Mô hình đang ở trạng thái “{model.status.label}”, không thể công nhận.")
    if recognised_on is None:
        raise ShowcaseError("Vui lòng nhập ngày công nhận.", "recognised_on")
    if recognised_on > (today or date.today()):
        raise ShowcaseError("Ngày công nhận không được sau hôm nay.", "recognised_on")
    if model.started_on and recognised_on < model.started_on:
        raise ShowcaseError("Ngày công nhận không được trước ngày bắt đầu thực hiện mô hình.", "recognised_on")
    if not recognition_ref:
        raise ShowcaseError("Vui lòng nhập văn bản công nhận.", "recognition_ref")
    if len(recognition_ref) > REF_MAX:
        raise ShowcaseError(f"Văn bản công nhận tối đa {REF_MAX} ký tự.", "recognition_ref")
    model.status = ModelStatus.RECOGNISED
    model.recognised_on, model.recognition_ref = recognised_on, recognition_ref
    label(model, "good_model.recognise")
    db.session.flush()
    return model


def archive(model: GoodModel) -> GoodModel:
    """Take a model out of use (and off the public showcase); it is no longer featured."""
    if model.status == ModelStatus.ARCHIVED:
        raise ShowcaseError("Mô hình đã được lưu trữ.")
    model.status = ModelStatus.ARCHIVED
    model.featured = False
    label(model, "good_model.archive")
    db.session.flush()
    return model


def set_featured(model: GoodModel, featured: bool) -> GoodModel:
    """Feature a recognised model on the public home page, or stop featuring it."""
    if featured and model.status != ModelStatus.RECOGNISED:
        raise ShowcaseError("Chỉ mô hình đã được công nhận mới được giới thiệu trên trang công khai.")
    if model.featured == featured:
        raise ShowcaseError("Mô hình đã được giới thiệu." if featured else "Mô hình không được giới thiệu.")
    model.featured = featured
    label(model, "good_model.feature" if featured else "good_model.unfeature")
    db.session.flush()
    return model


# --- replication -------------------------------------------------------------------------------------

def replicate(model: GoodModel, *, unit: Unit, adopted_on: date | None, result: str | None = None, actor=None,
              today: date | None = None) -> Replication:
    """Record that `unit` adopted a recognised model: once per unit, not by the unit that built it."""
    if model.status != ModelStatus.RECOGNISED:
        raise ShowcaseError("Chỉ nhân rộng được mô hình đã được công nhận.")
    if unit.id == model.unit_id:
        raise ShowcaseError("Đơn vị xây dựng mô hình không ghi nhận nhân rộng chính mô hình của mình.", "unit_id")
    if adopted_on is None:
        raise ShowcaseError("Vui lòng nhập ngày áp dụng.", "adopted_on")
    if adopted_on > (today or date.today()):
        raise ShowcaseError("Ngày áp dụng không được sau hôm nay.", "adopted_on")
    exists = db.session.scalar(sa.select(Replication.id).where(Replication.good_model_id == model.id,
                                                               Replication.unit_id == unit.id))
    if exists is not None:
        raise ShowcaseError(f"{unit.name} đã ghi nhận nhân rộng mô hình này.", "unit_id")
    rep = Replication(good_model=model, unit=unit, adopted_on=adopted_on, result=result or None,
                      recorded_by_id=getattr(actor, "id", None))
    db.session.add(rep)
    label(rep, "good_model.replicate")
    db.session.flush()
    return rep
