from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow

if TYPE_CHECKING:
    from thidua.org.models import Unit


class ClusterKind(LabeledEnum):
    CLUSTER = ("cluster", "Cụm thi đua")
    BLOCK = ("block", "Khối thi đua")


class Cluster(db.Model):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[ClusterKind] = mapped_column(enum_column(ClusterKind, "cluster_kind"))
    description: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[ClusterMembership]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan", order_by="ClusterMembership.id"
    )

    def __str__(self) -> str:
        return self.name


class ClusterMembership(db.Model):
    __tablename__ = "cluster_memberships"
    __table_args__ = (sa.UniqueConstraint("cluster_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    joined_on: Mapped[date | None]
    left_on: Mapped[date | None]

    cluster: Mapped[Cluster] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship()
