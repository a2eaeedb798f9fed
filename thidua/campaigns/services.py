"""State changes of campaigns, their documents and registrations. Services flush, never commit."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db, utcnow
from thidua.notifications import events
from thidua.org.models import Unit
from thidua.storage import StoredUpload

from .models import Campaign, CampaignDocument, CampaignRegistration, CampaignStatus


class CampaignError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user."""


class StaleEdit(CampaignError):
    """The object changed since the form was opened."""


# action → (allowed source states, target state)
TRANSITIONS: dict[str, tuple[frozenset[CampaignStatus], CampaignStatus]] = {
    "open": (frozenset({CampaignStatus.DRAFT}), CampaignStatus.OPEN),
    "close": (frozenset({CampaignStatus.OPEN}), CampaignStatus.CLOSED),
    "summarize": (frozenset({CampaignStatus.CLOSED}), CampaignStatus.SUMMARIZED),
}
ACTION_LABELS = {"open": "Phát động", "close": "Kết thúc", "summarize": "Tổng kết"}

EDITABLE_FIELDS = (
    "name", "kind", "launching_authority", "launching_unit_id", "decision_ref",
    "starts_on", "ends_on", "nomination_deadline", "goals", "criteria", "scope", "launch_level",
)


def create_campaign(*, actor, **fields: Any) -> Campaign:
    campaign = Campaign(status=CampaignStatus.DRAFT, created_by=actor, **_pick(fields))
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, *, version: int | None, **fields: Any) -> Campaign:
    """Apply edited fields; raise StaleEdit when `version` is not the stored one (someone else saved)."""
    if campaign.status == CampaignStatus.SUMMARIZED:
        raise CampaignError("Phong trào đã tổng kết, không thể sửa.")
    if version is not None and version != campaign.version:
        raise StaleEdit("Phong trào vừa được người khác sửa. Vui lòng tải lại trang để xem bản mới rồi sửa lại.")
    for key, value in _pick(fields).items():
        setattr(campaign, key, value)
    db.session.flush()
    return campaign


def _pick(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}


def transition(campaign: Campaign, action: str, *, today: date | None = None) -> Campaign:
    """Move the campaign's status by `action` (open, close, summarize); raise CampaignError if the
    current status does not allow it. Records the change in the audit log under "campaign.<action>"."""
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise CampaignError("Thao tác không hợp lệ.") from None
    if campaign.status not in sources:
        raise CampaignError(
            f"Không thể {ACTION_LABELS[action].lower()} phong trào đang ở trạng thái “{campaign.status.label}”."
        )
    today = today or date.today()
    if action == "open" and campaign.ends_on is not None and campaign.ends_on < today:
        raise CampaignError("Không thể phát động phong trào đã hết thời gian thực hiện.")
    campaign.status = target
    campaign.status_changed_at = utcnow()
    label(campaign, f"campaign.{action}")
    db.session.flush()
    if action == "open":
        events.campaign_opened(campaign)
    return campaign


def delete_campaign(campaign: Campaign) -> list[str]:
    """Delete a draft campaign; return the stored file names to remove once the deletion commits."""
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError("Chỉ xóa được phong trào ở trạng thái dự thảo.")
    files = [d.stored_name for d in campaign.documents]
    db.session.delete(campaign)
    db.session.flush()
    return files


def add_document(campaign: Campaign, *, upload: StoredUpload, title: str | None, actor) -> CampaignDocument:
    if campaign.status == CampaignStatus.SUMMARIZED:
        raise CampaignError("Phong trào đã tổng kết, không thể thêm văn bản.")
    doc = CampaignDocument(campaign=campaign, title=title or upload.original_name, uploaded_by=actor,
                           **upload.columns())
    db.session.add(doc)
    db.session.flush()
    return doc


def remove_document(doc: CampaignDocument) -> str:
    """Delete the document's record; return its stored file name to remove after commit."""
    if doc.campaign.status == CampaignStatus.SUMMARIZED:
        raise CampaignError("Phong trào đã tổng kết, không thể xóa văn bản.")
    stored = doc.stored_name
    db.session.delete(doc)
    db.session.flush()
    return stored


def register(campaign: Campaign, *, unit: Unit, commitments: str, actor) -> CampaignRegistration:
    """Register `unit` for an open campaign with its commitments (đăng ký thi đua)."""
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignError("Chỉ đăng ký được khi phong trào đang phát động.")
    if not unit.is_valid_on(date.today()):
        raise CampaignError(f"Đơn vị “{unit.name}” không còn hoạt động.")
    exists = db.session.scalar(
        sa.select(CampaignRegistration.id).where(
            CampaignRegistration.campaign_id == campaign.id, CampaignRegistration.unit_id == unit.id
        )
    )
    if exists:
        raise CampaignError(f"Đơn vị “{unit.name}” đã đăng ký phong trào này.")
    reg = CampaignRegistration(campaign=campaign, unit=unit, commitments=commitments, registered_by=actor)
    db.session.add(reg)
    db.session.flush()
    return reg


def cancel_registration(reg: CampaignRegistration) -> None:
    if reg.campaign.status != CampaignStatus.OPEN:
        raise CampaignError("Chỉ hủy đăng ký được khi phong trào đang phát động.")
    db.session.delete(reg)
    db.session.flush()
