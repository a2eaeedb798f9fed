from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.storage import StoredFileMixin

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.org.models import Unit


class CampaignKind(LabeledEnum):
    REGULAR = ("regular", "Thường xuyên")
    THEMATIC = ("thematic", "Theo đợt, chuyên đề")


class CampaignScope(LabeledEnum):
    """The rows "theo phạm vi" of statistical form 0601.N (TT 02/2023/TT-BNV)."""

    NATIONWIDE = ("nationwide", "Toàn quốc")
    LOCALITY = ("locality", "Bộ, ngành, địa phương")
    CLUSTER = ("cluster", "Cụm, khối thi đua")
    UNIT = ("unit", "Cơ quan, đơn vị")


class LaunchLevel(LabeledEnum):
    """The columns of form 0601.N: who launched the movement."""

    CENTRAL = ("central", "Hội đồng Thi đua - Khen thưởng Trung ương")
    PROVINCE = ("province", "Cấp bộ, ban, ngành, tỉnh")
    UNIT = ("unit", "Cơ quan, đơn vị")


class CampaignStatus(LabeledEnum):
    DRAFT = ("draft", "Dự thảo")
    OPEN = ("open", "Đang phát động")
    CLOSED = ("closed", "Đã kết thúc")
    SUMMARIZED = ("summarized", "Đã tổng kết")


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind, "campaign_kind"))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT, index=True
    )
    launching_authority: Mapped[str] = mapped_column(sa.String(255))
    launching_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    scope: Mapped[CampaignScope] = mapped_column(enum_column(CampaignScope, "campaign_scope"),
                                                 default=CampaignScope.LOCALITY, server_default="locality")
    launch_level: Mapped[LaunchLevel] = mapped_column(enum_column(LaunchLevel, "launch_level"),
                                                      default=LaunchLevel.PROVINCE, server_default="province")
    decision_ref: Mapped[str | None] = mapped_column(sa.String(100))  # e.g. "KH 130/KH-UBND ngày 27/6/2025"
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    nomination_deadline: Mapped[date | None]
    goals: Mapped[str | None] = mapped_column(sa.Text)
    criteria: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    status_changed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    launching_unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    documents: Mapped[list[CampaignDocument]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignDocument.id"
    )
    registrations: Mapped[list[CampaignRegistration]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignRegistration.registered_at"
    )

    # Optimistic locking: a stale edit form is refused instead of overwriting someone else's change.
    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name

    def is_past_deadline(self, today: date | None = None) -> bool:
        return self.nomination_deadline is not None and (today or date.today()) > self.nomination_deadline


class CampaignDocument(StoredFileMixin, db.Model):
    """A PDF attached to a campaign (plan, launching decision, guidance). The file lives outside
    `static/` under a random name and is served only through a permission check."""

    __tablename__ = "campaign_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    campaign: Mapped[Campaign] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()


class CampaignRegistration(db.Model):
    """A unit's registration for a campaign (đăng ký thi đua) with its commitments."""

    __tablename__ = "campaign_registrations"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    commitments: Mapped[str] = mapped_column(sa.Text)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="registrations")
    unit: Mapped[Unit] = relationship()
    registered_by: Mapped[User | None] = relationship()
