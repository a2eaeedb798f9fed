from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.registry.models import NomineeKind
from thidua.rules.models import AwardMethod, DossierPart
from thidua.storage import StoredFileMixin

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.campaigns.models import Campaign
    from thidua.org.models import Unit
    from thidua.registry.models import Initiative, Person
    from thidua.rules.models import AwardType


class NominationStatus(LabeledEnum):
    DRAFT = ("draft", "Dự thảo")
    SUBMITTED = ("submitted", "Đã gửi, chờ thẩm định")
    RETURNED = ("returned", "Trả lại bổ sung")
    ACCEPTED = ("accepted", "Đủ điều kiện, chờ Hội đồng")
    REJECTED = ("rejected", "Không đủ điều kiện")
    APPROVED = ("approved", "Hội đồng thông qua")
    NOT_APPROVED = ("not_approved", "Hội đồng không thông qua")
    AWARDED = ("awarded", "Đã khen thưởng")
    DECLINED = ("declined", "Cấp trên không khen thưởng")  # an upward proposal the central level refused
    WITHDRAWN = ("withdrawn", "Đơn vị đã rút")


# Statuses in which a nomination still counts (for duplicates and quotas).
ACTIVE_STATUSES = frozenset(NominationStatus) - {NominationStatus.REJECTED, NominationStatus.NOT_APPROVED,
                                                  NominationStatus.WITHDRAWN, NominationStatus.DECLINED}


class SubmissionBatch(db.Model):
    """A unit's submission letter (tờ trình) grouping its nominations, with its number and date."""

    __tablename__ = "submission_batches"
    __table_args__ = (sa.UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(64))  # e.g. "45/TTr-SGDĐT"
    dated_on: Mapped[date]
    title: Mapped[str] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    nominations: Mapped[list[Nomination]] = relationship(back_populates="batch")

    def __str__(self) -> str:
        return f"Tờ trình {self.number}"


nomination_initiatives = sa.Table(
    "nomination_initiatives",
    db.metadata,
    sa.Column("nomination_id", sa.ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("initiative_id", sa.ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True),
)


class Nomination(db.Model):
    """One dossier: a unit proposes one nominee (a person or a collective) for one title or form."""

    __tablename__ = "nominations"
    __table_args__ = (
        sa.CheckConstraint(
            "(nominee_kind = 'individual' AND person_id IS NOT NULL AND nominee_unit_id IS NULL) OR "
            "(nominee_kind = 'collective' AND nominee_unit_id IS NOT NULL AND person_id IS NULL)",
            name="one_nominee",
        ),
        # One unit cannot nominate the same nominee twice for the same award, year and campaign while
        # the first dossier is still alive (withdrawn or refused ones do not count).
        sa.Index(
            "uq_nominations_active_nominee",
            "unit_id", "award_type_id", "year", "campaign_key", "nominee_key",
            unique=True,
            sqlite_where=sa.text("status NOT IN ('withdrawn', 'rejected', 'not_approved', 'declined')"),
            postgresql_where=sa.text("status NOT IN ('withdrawn', 'rejected', 'not_approved', 'declined')"),
        ),
        sa.Index("ix_nominations_status_submitted", "status", "submitted_at"),
        sa.Index("ix_nominations_unit_status", "unit_id", "status"),
        # The queue's per-award counts and filters: without it PostgreSQL misjudges a common award's share.
        sa.Index("ix_nominations_status_award", "status", "award_type_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # the nominating unit
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission_batches.id"), index=True)
    award_type_id: Mapped[int] = mapped_column(sa.ForeignKey("award_types.id"), index=True)
    method: Mapped[AwardMethod] = mapped_column(enum_column(AwardMethod, "award_method"))
    year: Mapped[int]
    nominee_kind: Mapped[NomineeKind] = mapped_column(enum_column(NomineeKind, "nominee_kind"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    nominee_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # Denormalised keys for the uniqueness index ("p123"/"u45", campaign id or 0): NULLs are distinct in
    # unique indexes, so the nominee and the campaign need non-null forms.
    nominee_key: Mapped[str] = mapped_column(sa.String(24))
    campaign_key: Mapped[int] = mapped_column(default=0)
    is_enterprise: Mapped[bool] = mapped_column(default=False)
    is_household: Mapped[bool] = mapped_column(default=False)
    achievement_summary: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[NominationStatus] = mapped_column(
        enum_column(NominationStatus, "nomination_status"), default=NominationStatus.DRAFT
    )
    status_changed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    campaign: Mapped[Campaign | None] = relationship()
    batch: Mapped[SubmissionBatch | None] = relationship(back_populates="nominations")
    award_type: Mapped[AwardType] = relationship()
    person: Mapped[Person | None] = relationship()
    nominee_unit: Mapped[Unit | None] = relationship(foreign_keys=[nominee_unit_id])
    created_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[NominationAttachment]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan", order_by="NominationAttachment.id"
    )
    events: Mapped[list[NominationEvent]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan", order_by="NominationEvent.id"
    )
    initiatives: Mapped[list[Initiative]] = relationship(secondary=nomination_initiatives)

    __mapper_args__ = {"version_id_col": version}
    __audit_exclude__ = frozenset({"nominee_key", "campaign_key"})

    def __str__(self) -> str:
        return f"{self.nominee_name} – {self.award_type.name if self.award_type else ''}"

    @property
    def is_collective(self) -> bool:
        return self.nominee_kind == NomineeKind.COLLECTIVE

    @property
    def nominee_name(self) -> str:
        if self.is_collective:
            return self.nominee_unit.name if self.nominee_unit else ""
        return self.person.full_name if self.person else ""



@sa.event.listens_for(Nomination, "before_insert")
@sa.event.listens_for(Nomination, "before_update")
def _fill_keys(mapper, connection, target: Nomination) -> None:
    person_id = target.person_id if target.person_id is not None else getattr(target.person, "id", None)
    unit_id = target.nominee_unit_id if target.nominee_unit_id is not None else getattr(target.nominee_unit, "id", None)
    target.nominee_key = f"p{person_id}" if person_id is not None else f"u{unit_id}"
    campaign_id = target.campaign_id if target.campaign_id is not None else getattr(target.campaign, "id", None)
    target.campaign_key = campaign_id or 0


class NominationAttachment(StoredFileMixin, db.Model):
    __tablename__ = "nomination_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    part: Mapped[DossierPart] = mapped_column(enum_column(DossierPart, "dossier_part"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    nomination: Mapped[Nomination] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()


class NominationEvent(db.Model):
    """One step of a dossier's history, written by `workflow.transition` and shown as its timeline."""

    __tablename__ = "nomination_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[NominationStatus | None] = mapped_column(enum_column(NominationStatus, "event_from_status"))
    to_status: Mapped[NominationStatus] = mapped_column(enum_column(NominationStatus, "event_to_status"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
