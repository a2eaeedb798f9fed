"""Award decisions (quyết định khen thưởng), their awardees, gold books, upward proposals and the reward fund."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.registry.models import NomineeKind
from thidua.rules.models import AwardMethod

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.councils.models import CouncilSession
    from thidua.nominations.models import Nomination
    from thidua.org.models import Unit
    from thidua.registry.models import AwardRecord, Person
    from thidua.rules.models import AwardType, LegalBasis


class DecisionStatus(LabeledEnum):
    DRAFT = ("draft", "Dự thảo")
    ISSUED = ("issued", "Đã ban hành")


class Decision(db.Model):
    """One award decision: one title or form, signed by the head of `issuer_unit`, listing its awardees.

    A draft is built from approved dossiers and edited freely; issuing it (services.issue_decision) fixes
    the number, the signer, the base salary and the money, gives every awardee a gold-book number and a
    verification code, writes the registry and moves the dossiers to "awarded", in one transaction.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        # Document numbers restart every year and belong to the issuing body (văn thư).
        sa.UniqueConstraint("issuer_unit_id", "number_year", "number"),
        sa.Index("ix_decisions_status_signed", "status", "signed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # The line printed on certificates in red, e.g. "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA".
    issuer_title: Mapped[str] = mapped_column(sa.String(255))
    award_type_id: Mapped[int] = mapped_column(sa.ForeignKey("award_types.id"), index=True)
    method: Mapped[AwardMethod] = mapped_column(enum_column(AwardMethod, "award_method"), default=AwardMethod.REGULAR)
    year: Mapped[int]  # the year of the achievement (the registry's year)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_sessions.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(500))  # trích yếu: "Về việc tặng Bằng khen …"
    preamble: Mapped[str | None] = mapped_column(sa.Text)  # the "Căn cứ …" lines
    achievement_default: Mapped[str | None] = mapped_column(sa.Text)  # "Đã có thành tích xuất sắc trong …"
    place: Mapped[str] = mapped_column(sa.String(100), default="Thanh Hóa")
    # Filled when issued (a draft may carry them early).
    number: Mapped[str | None] = mapped_column(sa.String(64))  # "1234/QĐ-UBND"
    number_year: Mapped[int | None]
    signed_on: Mapped[date | None]
    signer_name: Mapped[str | None] = mapped_column(sa.String(200))
    signer_title: Mapped[str | None] = mapped_column(sa.String(200))  # "CHỦ TỊCH" / "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    legal_basis_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_bases.id"))
    base_salary: Mapped[int | None] = mapped_column(sa.BigInteger)  # VND, in force on signed_on
    total_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[DecisionStatus] = mapped_column(enum_column(DecisionStatus, "decision_status"),
                                                   default=DecisionStatus.DRAFT)
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    issuer_unit: Mapped[Unit] = relationship()
    award_type: Mapped[AwardType] = relationship()
    session: Mapped[CouncilSession | None] = relationship()
    legal_basis: Mapped[LegalBasis | None] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    items: Mapped[list[DecisionItem]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="DecisionItem.position"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"Quyết định số {self.number}" if self.number else f"Dự thảo quyết định: {self.subject}"

    @property
    def is_issued(self) -> bool:
        return self.status == DecisionStatus.ISSUED


class DecisionItem(db.Model):
    """One awardee of a decision (a line of its annex), with the money, the gold-book number and the
    certificate's verification code. Revoking it (thu hồi) keeps the row and says which decision revoked it."""

    __tablename__ = "decision_items"
    __table_args__ = (
        sa.CheckConstraint(
            "(nominee_kind = 'individual' AND person_id IS NOT NULL AND unit_id IS NULL) OR "
            "(nominee_kind = 'collective' AND unit_id IS NOT NULL AND person_id IS NULL)",
            name="one_nominee",
        ),
        sa.UniqueConstraint("gold_book_id", "gold_book_number"),
        sa.UniqueConstraint("decision_id", "position"),
        # A dossier is awarded by one decision only.
        sa.Index("uq_decision_items_nomination", "nomination_id", unique=True,
                 sqlite_where=sa.text("nomination_id IS NOT NULL"),
                 postgresql_where=sa.text("nomination_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 1-based order in the annex and in certificate batches
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nominations.id"))
    nominee_kind: Mapped[NomineeKind] = mapped_column(enum_column(NomineeKind, "nominee_kind"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)  # the collective
    # The unit the awardee belongs to, for per-unit certificate batches (the nominating unit by default).
    group_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # As printed (the salutation Ông/Bà comes from the gender): "Nguyễn Thị Hằng" / "Trường THPT Hàm Rồng";
    # the detail line: "Giáo viên, Trường THPT Hàm Rồng".
    awardee_name: Mapped[str] = mapped_column(sa.String(255))
    awardee_detail: Mapped[str | None] = mapped_column(sa.String(500))
    achievement: Mapped[str] = mapped_column(sa.Text)
    coefficient: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # VND, set when issued
    gold_book_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gold_books.id"))
    gold_book_number: Mapped[int | None]
    award_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_records.id", ondelete="SET NULL"))
    # The certificate's public verification code: 104 random bits in base32 (see services.new_verify_code).
    verify_code: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revocation_number: Mapped[str | None] = mapped_column(sa.String(64))  # the revoking decision
    revocation_date: Mapped[date | None]
    revocation_reason: Mapped[str | None] = mapped_column(sa.Text)

    decision: Mapped[Decision] = relationship(back_populates="items")
    nomination: Mapped[Nomination | None] = relationship()
    person: Mapped[Person | None] = relationship()
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    group_unit: Mapped[Unit | None] = relationship(foreign_keys=[group_unit_id])
    gold_book: Mapped[GoldBook | None] = relationship()
    award_record: Mapped[AwardRecord | None] = relationship()
    revoked_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.awardee_name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class GoldBook(db.Model):
    """A gold book (sổ vàng): the sequential numbers of the certificates of one issuer, title or form and
    year. `last_number` only grows, inside the issuing transaction, so the numbers are unique and
    gap-free (see services.take_gold_book_numbers)."""

    __tablename__ = "gold_books"
    __table_args__ = (sa.UniqueConstraint("issuer_unit_id", "award_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    award_code: Mapped[str] = mapped_column(sa.String(32))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)

    issuer_unit: Mapped[Unit] = relationship()


class ProposalStatus(LabeledEnum):
    DRAFT = ("draft", "Dự thảo")
    SUBMITTED = ("submitted", "Đã trình Trung ương")
    RETURNED = ("returned", "Trung ương trả lại bổ sung")
    DECIDED = ("decided", "Đã có quyết định")


class ProposalOutcome(LabeledEnum):
    PENDING = ("pending", "Chờ quyết định")
    AWARDED = ("awarded", "Được khen thưởng")
    DECLINED = ("declined", "Không được khen thưởng")


class UpwardProposal(db.Model):
    """The province's submission (tờ trình) of approved dossiers for a form it only proposes (Prime
    Minister's Bằng khen, national titles, orders, medals), tracked until the central decision is recorded."""

    __tablename__ = "upward_proposals"
    __table_args__ = (sa.UniqueConstraint("issuer_unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # the submitting body (UBND tỉnh)
    award_type_id: Mapped[int] = mapped_column(sa.ForeignKey("award_types.id"), index=True)
    year: Mapped[int]
    number: Mapped[str | None] = mapped_column(sa.String(64))  # "123/TTr-UBND"
    dated_on: Mapped[date | None]
    title: Mapped[str] = mapped_column(sa.String(500))
    recipient: Mapped[str] = mapped_column(sa.String(255), default="Thủ tướng Chính phủ")
    signer_name: Mapped[str | None] = mapped_column(sa.String(200))
    signer_title: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus, "proposal_status"),
                                                   default=ProposalStatus.DRAFT)
    submitted_on: Mapped[date | None]
    central_reference: Mapped[str | None] = mapped_column(sa.String(255))  # e.g. the Ban TĐKT TW receipt
    central_decision_number: Mapped[str | None] = mapped_column(sa.String(64))
    central_decision_date: Mapped[date | None]
    central_issuer: Mapped[str | None] = mapped_column(sa.String(255))  # "Thủ tướng Chính phủ", "Chủ tịch nước"
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    issuer_unit: Mapped[Unit] = relationship()
    award_type: Mapped[AwardType] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[ProposalItem]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalItem.position"
    )
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"Tờ trình {self.number}" if self.number else f"Dự thảo tờ trình: {self.title}"


class ProposalItem(db.Model):
    __tablename__ = "proposal_items"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "nomination_id"),
        sa.UniqueConstraint("proposal_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("upward_proposals.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id"), index=True)
    position: Mapped[int]
    outcome: Mapped[ProposalOutcome] = mapped_column(enum_column(ProposalOutcome, "proposal_outcome"),
                                                     default=ProposalOutcome.PENDING)
    award_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_records.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    proposal: Mapped[UpwardProposal] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()
    award_record: Mapped[AwardRecord | None] = relationship()


class ProposalEvent(db.Model):
    """One step of a proposal's life at the central level (submitted, returned, decided…), as a timeline."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("upward_proposals.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[UpwardProposal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class FundBudget(db.Model):
    """The reward fund (quỹ thi đua, khen thưởng) of one issuing body for one year."""

    __tablename__ = "fund_budgets"
    __table_args__ = (
        sa.UniqueConstraint("issuer_unit_id", "year"),
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    year: Mapped[int]
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # VND
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    issuer_unit: Mapped[Unit] = relationship()
