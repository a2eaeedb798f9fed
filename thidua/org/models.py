from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.text import fold


class UnitKind(LabeledEnum):
    PROVINCE = ("province", "Tỉnh / UBND tỉnh")
    DEPARTMENT = ("department", "Sở, ban, ngành")
    AGENCY = ("agency", "Cơ quan, đơn vị trực thuộc")
    DISTRICT = ("district", "Huyện, thị xã, thành phố (trước 01/7/2025)")
    COMMUNE = ("commune", "Xã")
    WARD = ("ward", "Phường")
    VILLAGE = ("village", "Thôn, tổ dân phố")
    SCHOOL = ("school", "Trường học")
    PUBLIC_SERVICE = ("public_service", "Đơn vị sự nghiệp công lập")
    ENTERPRISE = ("enterprise", "Doanh nghiệp, hợp tác xã")
    MASS_ORGANISATION = ("mass_organisation", "Tổ chức chính trị - xã hội")
    DIVISION = ("division", "Phòng, ban, bộ phận")
    OTHER = ("other", "Khác")


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_range"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    name_folded: Mapped[str] = mapped_column(sa.String(255), index=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    address: Mapped[str | None] = mapped_column(sa.String(255))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")
    predecessor_links: Mapped[list[UnitSuccession]] = relationship(
        back_populates="successor", foreign_keys="UnitSuccession.successor_id", cascade="all, delete-orphan"
    )
    successor_links: Mapped[list[UnitSuccession]] = relationship(
        back_populates="predecessor", foreign_keys="UnitSuccession.predecessor_id", cascade="all, delete-orphan"
    )

    __audit_exclude__ = frozenset({"name_folded"})

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    def __str__(self) -> str:
        return self.name

    @sa.orm.validates("name")
    def _fold_name(self, key, value):
        self.name_folded = fold(value)
        return value

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to >= date.today()

    @property
    def predecessors(self) -> list[Unit]:
        return [link.predecessor for link in self.predecessor_links]

    @property
    def successors(self) -> list[Unit]:
        return [link.successor for link in self.successor_links]


class UnitSuccession(db.Model):
    """One edge of merge lineage: `successor` took over (all or part of) `predecessor`."""

    __tablename__ = "unit_successions"
    __table_args__ = (
        sa.UniqueConstraint("predecessor_id", "successor_id"),
        sa.CheckConstraint("predecessor_id <> successor_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    successor_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date | None]
    partial: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(sa.String(255))

    predecessor: Mapped[Unit] = relationship(back_populates="successor_links", foreign_keys=[predecessor_id])
    successor: Mapped[Unit] = relationship(back_populates="predecessor_links", foreign_keys=[successor_id])
