from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.rules.models import AwardMethod
from thidua.text import fold

if TYPE_CHECKING:
    from thidua.org.models import Unit


class NomineeKind(LabeledEnum):
    INDIVIDUAL = ("individual", "Cá nhân")
    COLLECTIVE = ("collective", "Tập thể")


class Gender(LabeledEnum):
    MALE = ("male", "Nam")
    FEMALE = ("female", "Nữ")


class SubjectCategory(LabeledEnum):
    """The individual rows of the statistical forms 0602.N / 0603.N (TT 02/2023/TT-BNV)."""

    LEADER_PROVINCE = ("leader_province", "Lãnh đạo cấp bộ, tỉnh trở lên")
    LEADER_DEPARTMENT = ("leader_department", "Lãnh đạo cấp vụ, sở, ngành")
    BUSINESS = ("business", "Doanh nhân")
    OTHER_LEADER = ("other_leader", "Lãnh đạo khác (từ phó trưởng phòng trở lên)")
    DIRECT_WORKER = ("direct_worker", "Người trực tiếp lao động, sản xuất, học tập, công tác, chiến đấu")


class Rating(LabeledEnum):
    """Yearly evaluation (đánh giá, xếp loại), best first."""

    EXCELLENT = ("excellent", "Hoàn thành xuất sắc nhiệm vụ")
    GOOD = ("good", "Hoàn thành tốt nhiệm vụ")
    COMPLETED = ("completed", "Hoàn thành nhiệm vụ")
    NOT_COMPLETED = ("not_completed", "Không hoàn thành nhiệm vụ")

    @property
    def rank(self) -> int:
        return list(Rating).index(self)

    def at_least(self, other: Rating) -> bool:
        return self.rank <= other.rank


class RecognitionLevel(LabeledEnum):
    UNIT = ("unit", "Cấp cơ sở")
    PROVINCE = ("province", "Cấp tỉnh, bộ, ngành")
    NATIONAL = ("national", "Toàn quốc")

    @property
    def rank(self) -> int:
        return list(RecognitionLevel).index(self)


class RecordSource(LabeledEnum):
    IMPORT = ("import", "Nhập từ Excel")
    MANUAL = ("manual", "Nhập tay")
    DECISION = ("decision", "Từ quyết định khen thưởng")


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (sa.Index("ix_people_match", "name_folded", "birth_date", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender, "gender"))
    birth_date: Mapped[date | None]
    position: Mapped[str | None] = mapped_column(sa.String(255))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    national_id: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    subject_category: Mapped[SubjectCategory | None] = mapped_column(enum_column(SubjectCategory, "subject_category"))
    hired_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    awards: Mapped[list[AwardRecord]] = relationship(back_populates="person", order_by="AwardRecord.year")

    __audit_exclude__ = frozenset({"name_folded"})

    def __str__(self) -> str:
        return self.full_name

    @sa.orm.validates("full_name")
    def _fold(self, key, value):
        self.name_folded = fold(value)
        return value


class AwardRecord(db.Model):
    """One award received: the gold-book line. Comes from a decision, an import or manual entry."""

    __tablename__ = "award_records"
    __table_args__ = (
        sa.CheckConstraint(
            "(nominee_kind = 'individual' AND person_id IS NOT NULL AND unit_id IS NULL) OR "
            "(nominee_kind = 'collective' AND unit_id IS NOT NULL AND person_id IS NULL)",
            name="one_nominee",
        ),
        sa.Index("ix_award_records_person_year", "person_id", "year"),
        sa.Index("ix_award_records_unit_year", "unit_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nominee_kind: Mapped[NomineeKind] = mapped_column(enum_column(NomineeKind, "nominee_kind"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    award_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    award_name: Mapped[str] = mapped_column(sa.String(255))  # as printed on the decision
    method: Mapped[AwardMethod] = mapped_column(enum_column(AwardMethod, "award_method"), default=AwardMethod.REGULAR)
    year: Mapped[int] = mapped_column(index=True)
    decision_number: Mapped[str | None] = mapped_column(sa.String(64))
    decision_date: Mapped[date | None]
    issuer: Mapped[str | None] = mapped_column(sa.String(255))
    gold_book_number: Mapped[str | None] = mapped_column(sa.String(32))
    source: Mapped[RecordSource] = mapped_column(enum_column(RecordSource, "record_source"), default=RecordSource.MANUAL)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Set when the award is revoked (thu hồi): the record stays for history but no longer counts.
    revoked_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship(back_populates="awards")
    unit: Mapped[Unit | None] = relationship()

    def __str__(self) -> str:
        return f"{self.award_name} năm {self.year}"


class AnnualEvaluation(db.Model):
    """A person's or a collective's yearly evaluation (đánh giá, xếp loại)."""

    __tablename__ = "annual_evaluations"
    __table_args__ = (
        sa.CheckConstraint("(person_id IS NULL) <> (unit_id IS NULL)", name="one_subject"),
        # One evaluation per subject and year; NULLs are distinct in a plain unique constraint, so
        # each kind of subject gets its own partial index.
        sa.Index("uq_annual_evaluations_person_year", "person_id", "year", unique=True,
                 sqlite_where=sa.text("person_id IS NOT NULL"), postgresql_where=sa.text("person_id IS NOT NULL")),
        sa.Index("uq_annual_evaluations_unit_year", "unit_id", "year", unique=True,
                 sqlite_where=sa.text("unit_id IS NOT NULL"), postgresql_where=sa.text("unit_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    year: Mapped[int]
    rating: Mapped[Rating] = mapped_column(enum_column(Rating, "rating"))


class Initiative(db.Model):
    """An initiative (sáng kiến) or research topic recognised at some level. Once it has been the basis
    of an award it cannot be counted again (MoHA guidance 2025)."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    is_research: Mapped[bool] = mapped_column(default=False)
    level: Mapped[RecognitionLevel] = mapped_column(enum_column(RecognitionLevel, "recognition_level"))
    recognised_on: Mapped[date | None]
    decision_ref: Mapped[str | None] = mapped_column(sa.String(255))
    used_by_award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award_records.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    used_by_award: Mapped[AwardRecord | None] = relationship()


class DisciplineRecord(db.Model):
    __tablename__ = "discipline_records"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    level: Mapped[str] = mapped_column(sa.String(100))  # khiển trách, cảnh cáo…
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]  # None: still running or pending (inspection, investigation)
    note: Mapped[str | None] = mapped_column(sa.Text)

    person: Mapped[Person] = relationship()
