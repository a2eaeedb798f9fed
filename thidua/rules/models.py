from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow


class AwardCategory(LabeledEnum):
    TITLE = ("title", "Danh hiệu thi đua")
    FORM = ("form", "Hình thức khen thưởng")


class AwardLevel(LabeledEnum):
    UNIT = ("unit", "Cấp cơ sở (Sở, ngành, xã, doanh nghiệp)")
    PROVINCE = ("province", "Cấp tỉnh (Chủ tịch UBND tỉnh)")
    CENTRAL = ("central", "Cấp Nhà nước (tỉnh đề nghị lên Trung ương)")


class AwardMethod(LabeledEnum):
    """How an award is given; the statistical forms (TT 02/2023, biểu 0603.N) count by it."""

    REGULAR = ("regular", "Thường xuyên (công trạng, hằng năm)")
    THEMATIC = ("thematic", "Theo đợt, chuyên đề")
    SUDDEN = ("sudden", "Đột xuất")
    FOREIGN = ("foreign", "Đối ngoại")
    CAREER = ("career", "Quá trình cống hiến")
    SERVICE = ("service", "Niên hạn")
    RESISTANCE = ("resistance", "Kháng chiến")


class DossierPart(LabeledEnum):
    ACHIEVEMENT_REPORT = ("achievement_report", "Báo cáo thành tích")
    SHORT_REPORT = ("short_report", "Báo cáo tóm tắt thành tích")
    COUNCIL_MINUTES = ("council_minutes", "Biên bản họp Hội đồng TĐKT đơn vị")
    EVIDENCE = ("evidence", "Minh chứng (quyết định công nhận sáng kiến, đề tài…)")
    OTHER = ("other", "Tài liệu khác")


class VoteBasis(LabeledEnum):
    ALL_MEMBERS = ("all_members", "Trên tổng số thành viên Hội đồng")
    PRESENT = ("present", "Trên số thành viên có mặt")


class LegalBasis(db.Model):
    """A legal document (law, decree, circular, provincial decision) that rules cite."""

    __tablename__ = "legal_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)  # e.g. "98/2023/NĐ-CP"
    title: Mapped[str] = mapped_column(sa.String(300))
    issued_on: Mapped[date | None]
    effective_from: Mapped[date | None]
    effective_to: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"


class AwardType(db.Model):
    """One version of a title or form of commendation. A new version (new `effective_from`) is
    added when the law changes; a decision keeps the version in force on the day it was signed."""

    __tablename__ = "award_types"
    __table_args__ = (
        sa.UniqueConstraint("code", "effective_from"),
        sa.CheckConstraint("for_individual OR for_collective OR for_household", name="has_subject"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="period"),
        sa.CheckConstraint("vote_threshold IS NULL OR (vote_threshold > 0 AND vote_threshold <= 1)",
                           name="threshold_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    category: Mapped[AwardCategory] = mapped_column(enum_column(AwardCategory, "award_category"))
    level: Mapped[AwardLevel] = mapped_column(enum_column(AwardLevel, "award_level"))
    for_individual: Mapped[bool] = mapped_column(default=False)
    for_collective: Mapped[bool] = mapped_column(default=False)
    for_household: Mapped[bool] = mapped_column(default=False)
    # Prize = coefficient × base salary, rounded up to 10,000 VND (Decree 91/2017 art. 68.2);
    # a collective gets `collective_multiplier` times the individual amount.
    coefficient: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    collective_multiplier: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2), default=Decimal("1"))
    vote_required: Mapped[bool] = mapped_column(default=False)
    vote_threshold: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 3))
    vote_basis: Mapped[VoteBasis] = mapped_column(enum_column(VoteBasis, "vote_basis"), default=VoteBasis.ALL_MEMBERS)
    required_parts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    checks: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # eligibility check codes
    min_years_between: Mapped[int | None]  # years since the last award of the same type, when a rule sets one
    legal_basis_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_bases.id"))
    legal_ref: Mapped[str | None] = mapped_column(sa.String(255))  # article, e.g. "Điều 24 Luật TĐKT 2022"
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    position: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    legal_basis: Mapped[LegalBasis | None] = relationship()

    def __str__(self) -> str:
        return self.name

    def is_in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def subjects(self) -> list[str]:
        return [s for s, on in (("individual", self.for_individual), ("collective", self.for_collective),
                                ("household", self.for_household)) if on]

    @property
    def is_upward(self) -> bool:
        """Decided at the central level: the province only proposes."""
        return self.level == AwardLevel.CENTRAL


class QuotaRule(db.Model):
    """A ratio cap: per unit and year, awards of `award_code` may be at most `max_ratio` × the number
    of `basis_code` awards (e.g. CSTĐCS ≤ 15% of LĐTT, Decree 91/2017 art. 9.3)."""

    __tablename__ = "quota_rules"
    __table_args__ = (sa.CheckConstraint("max_ratio > 0 AND max_ratio <= 1", name="ratio"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    basis_code: Mapped[str] = mapped_column(sa.String(32))
    max_ratio: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3))
    hard_block: Mapped[bool] = mapped_column(default=False)
    legal_basis_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_bases.id"))
    legal_ref: Mapped[str | None] = mapped_column(sa.String(255))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)

    legal_basis: Mapped[LegalBasis | None] = relationship()

    def describe(self) -> dict[str, Any]:
        return {"award": self.award_code, "basis": self.basis_code, "max_ratio": float(self.max_ratio)}


class BaseSalary(db.Model):
    """The base salary (mức lương cơ sở) from a date on; prize money is a coefficient of it."""

    __tablename__ = "base_salaries"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # VND per month
    effective_from: Mapped[date] = mapped_column(unique=True)
    legal_ref: Mapped[str | None] = mapped_column(sa.String(255))  # e.g. "Nghị định 73/2024/NĐ-CP"

    def __str__(self) -> str:
        return f"{self.amount:,} đồng từ {self.effective_from:%d/%m/%Y}".replace(",", ".")
