from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow


class Aggregation(LabeledEnum):
    MEAN = ("mean", "Điểm trung bình")
    MEDIAN = ("median", "Điểm trung vị")


class Rubric(db.Model):
    """A scoring table: criteria with scales and weights, for an award type or a campaign."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    award_code: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    aggregation: Mapped[Aggregation] = mapped_column(enum_column(Aggregation, "aggregation"),
                                                      default=Aggregation.MEAN)
    # Per-scorer normalisation (z-scores rescaled to the raw range) is shown beside the raw figures,
    # and only for scorers who scored at least this many subjects.
    normalise: Mapped[bool] = mapped_column(default=False)
    min_sheets_to_normalise: Mapped[int] = mapped_column(default=5)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="RubricCriterion.position"
    )

    def __str__(self) -> str:
        return self.name


class RubricCriterion(db.Model):
    __tablename__ = "rubric_criteria"
    __table_args__ = (
        sa.CheckConstraint("max_points > min_points", name="scale"),
        sa.CheckConstraint("step > 0", name="step"),
        sa.CheckConstraint("weight >= 0", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(255))
    help_text: Mapped[str | None] = mapped_column(sa.Text)
    min_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=Decimal("0"))
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    step: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=Decimal("1"))
    anchors: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)  # {"0": "Không đạt", "10": "Xuất sắc"}
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), default=Decimal("1"))
    required: Mapped[bool] = mapped_column(default=True)
    informational: Mapped[bool] = mapped_column(default=False)  # shown, never counted in totals or ranks
    position: Mapped[int] = mapped_column(default=0)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    def __str__(self) -> str:
        return self.label
