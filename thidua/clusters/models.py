from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.storage import StoredFileMixin

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.councils.models import CouncilSession
    from thidua.nominations.models import Nomination
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


# --- the yearly cycle (issue: covenant, criteria, scoring, ranking, suy tôn, proposals) -----------------

class ClusterYearStatus(LabeledEnum):
    SETUP = ("setup", "Chuẩn bị")
    COVENANT = ("covenant", "Ký kết giao ước")
    SCORING = ("scoring", "Tự chấm, chấm chéo")
    REVIEW = ("review", "Thẩm định, xếp hạng")
    VOTING = ("voting", "Bình xét, suy tôn")
    CLOSED = ("closed", "Đã tổng kết")


class ClusterYear(db.Model):
    """One year of a cluster or block: head and deputy, covenant, criteria table, scores, ranking, the suy tôn
    vote (a council session of the members' representatives, reusing the councils' ballot) and the
    proposals it produces."""

    __tablename__ = "cluster_years"
    __table_args__ = (
        sa.UniqueConstraint("cluster_id", "year"),
        sa.CheckConstraint("head_unit_id IS NULL OR deputy_unit_id IS NULL OR head_unit_id <> deputy_unit_id",
                           name="head_not_deputy"),
        sa.CheckConstraint("vote_threshold > 0 AND vote_threshold <= 1", name="threshold_share"),
        sa.CheckConstraint("flag_count >= 0 AND bk_count >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("clusters.id"), index=True)
    year: Mapped[int]
    status: Mapped[ClusterYearStatus] = mapped_column(enum_column(ClusterYearStatus, "cluster_year_status"),
                                                      default=ClusterYearStatus.SETUP)
    head_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # cụm trưởng / khối trưởng
    deputy_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # cụm phó / khối phó
    assignment_decision: Mapped[str | None] = mapped_column(sa.String(255))  # the decision naming head and deputy
    assigned_on: Mapped[date | None]
    # The covenant (giao ước thi đua), signed at the start of the year.
    covenant_signed_on: Mapped[date | None]
    covenant_place: Mapped[str | None] = mapped_column(sa.String(255))
    covenant_text: Mapped[str | None] = mapped_column(sa.Text)
    # Suy tôn: share of agree votes needed, and how many proposals each rank band produces.
    vote_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.500"))
    flag_count: Mapped[int] = mapped_column(default=1)  # leaders proposed for the provincial flag
    bk_count: Mapped[int] = mapped_column(default=2)  # next ones proposed for the chairman's Bằng khen
    propose_government_flag: Mapped[bool] = mapped_column(default=False)  # the leader also for the Government flag
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_sessions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    cluster: Mapped[Cluster] = relationship()
    head_unit: Mapped[Unit | None] = relationship(foreign_keys=[head_unit_id])
    deputy_unit: Mapped[Unit | None] = relationship(foreign_keys=[deputy_unit_id])
    session: Mapped[CouncilSession | None] = relationship()
    commitments: Mapped[list[CovenantCommitment]] = relationship(
        back_populates="cluster_year", cascade="all, delete-orphan", order_by="CovenantCommitment.id"
    )
    criteria: Mapped[list[ClusterCriterion]] = relationship(
        back_populates="cluster_year", cascade="all, delete-orphan", order_by="ClusterCriterion.position"
    )
    sheets: Mapped[list[ClusterScoreSheet]] = relationship(back_populates="cluster_year", cascade="all, delete-orphan")
    outcomes: Mapped[list[ClusterOutcome]] = relationship(
        back_populates="cluster_year", cascade="all, delete-orphan", order_by="ClusterOutcome.rank"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.cluster.name} năm {self.year}" if self.cluster else f"Năm {self.year}"


class CovenantCommitment(db.Model):
    """A member unit's targets and commitments in the covenant, with who signed for it."""

    __tablename__ = "covenant_commitments"
    __table_args__ = (sa.UniqueConstraint("cluster_year_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_year_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_years.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    targets: Mapped[str] = mapped_column(sa.Text)
    signatory_name: Mapped[str | None] = mapped_column(sa.String(200))
    signatory_title: Mapped[str | None] = mapped_column(sa.String(200))
    signed_on: Mapped[date | None]

    cluster_year: Mapped[ClusterYear] = relationship(back_populates="commitments")
    unit: Mapped[Unit] = relationship()


class CriterionKind(LabeledEnum):
    GROUP = ("group", "Nhóm tiêu chí")
    NORMAL = ("normal", "Tiêu chí")
    BONUS = ("bonus", "Điểm thưởng")
    PENALTY = ("penalty", "Điểm trừ")


class ClusterCriterion(db.Model):
    """A node of the cluster's criteria table: a group, or a criterion with its maximum points; bonus and
    penalty items carry their own limit (max_points), counted plus or minus."""

    __tablename__ = "cluster_criteria"
    __table_args__ = (sa.CheckConstraint("max_points >= 0", name="max_points"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_year_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_years.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cluster_criteria.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(16))  # "I", "1", "1.2"
    label: Mapped[str] = mapped_column(sa.String(500))
    kind: Mapped[CriterionKind] = mapped_column(enum_column(CriterionKind, "criterion_kind"),
                                                default=CriterionKind.NORMAL)
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=Decimal("0"))
    step: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2), default=Decimal("0.5"))
    help_text: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)

    cluster_year: Mapped[ClusterYear] = relationship(back_populates="criteria")
    parent: Mapped[ClusterCriterion | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[ClusterCriterion]] = relationship(back_populates="parent", order_by="ClusterCriterion.position")

    def __str__(self) -> str:
        return f"{self.code}. {self.label}"


class SheetKind(LabeledEnum):
    SELF = ("self", "Tự chấm")
    CROSS = ("cross", "Chấm chéo")
    FINAL = ("final", "Điểm thẩm định (cụm trưởng)")


class ClusterScoreSheet(db.Model):
    """One set of points for one member unit: its own (self), another member's (cross) or the head's
    panel's (final). Every figure is kept so the differences can be shown."""

    __tablename__ = "cluster_score_sheets"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'self' AND scorer_unit_id = subject_unit_id) OR "
            "(kind = 'cross' AND scorer_unit_id IS NOT NULL AND scorer_unit_id <> subject_unit_id) OR "
            "(kind = 'final' AND scorer_unit_id IS NULL)",
            name="scorer_matches_kind",
        ),
        sa.UniqueConstraint("cluster_year_id", "subject_unit_id", "kind", "scorer_unit_id"),
        sa.Index("uq_cluster_score_sheets_final", "cluster_year_id", "subject_unit_id", unique=True,
                 sqlite_where=sa.text("kind = 'final'"), postgresql_where=sa.text("kind = 'final'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_year_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_years.id", ondelete="CASCADE"), index=True)
    subject_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    scorer_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    kind: Mapped[SheetKind] = mapped_column(enum_column(SheetKind, "sheet_kind"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    cluster_year: Mapped[ClusterYear] = relationship(back_populates="sheets")
    subject_unit: Mapped[Unit] = relationship(foreign_keys=[subject_unit_id])
    scorer_unit: Mapped[Unit | None] = relationship(foreign_keys=[scorer_unit_id])
    submitted_by: Mapped[User | None] = relationship()
    scores: Mapped[list[ClusterScore]] = relationship(back_populates="sheet", cascade="all, delete-orphan")
    evidence: Mapped[list[ClusterEvidence]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class ClusterScore(db.Model):
    __tablename__ = "cluster_scores"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_criteria.id", ondelete="CASCADE"), index=True)
    points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    note: Mapped[str | None] = mapped_column(sa.Text)

    sheet: Mapped[ClusterScoreSheet] = relationship(back_populates="scores")
    criterion: Mapped[ClusterCriterion] = relationship()


class ClusterEvidence(StoredFileMixin, db.Model):
    """A file a unit attaches to its self-assessment (for the whole sheet or one criterion)."""

    __tablename__ = "cluster_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cluster_criteria.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    sheet: Mapped[ClusterScoreSheet] = relationship(back_populates="evidence")


class ClusterOutcome(db.Model):
    """A member's place in the year's ranking and what it led to: the award proposed for it and the
    dossier created in the nominations workflow."""

    __tablename__ = "cluster_outcomes"
    __table_args__ = (sa.UniqueConstraint("cluster_year_id", "unit_id", "award_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_year_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster_years.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    rank: Mapped[int]
    score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    award_code: Mapped[str] = mapped_column(sa.String(32))
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nominations.id", ondelete="SET NULL"))

    cluster_year: Mapped[ClusterYear] = relationship(back_populates="outcomes")
    unit: Mapped[Unit] = relationship()
    nomination: Mapped[Nomination | None] = relationship()
