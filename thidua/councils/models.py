from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow
from thidua.scoring.models import Aggregation

if TYPE_CHECKING:
    from thidua.auth.models import User
    from thidua.nominations.models import Nomination
    from thidua.org.models import Unit
    from thidua.scoring.models import Rubric, RubricCriterion


class CouncilLevel(LabeledEnum):
    PROVINCE = ("province", "Hội đồng Thi đua - Khen thưởng tỉnh")
    UNIT = ("unit", "Hội đồng Thi đua - Khen thưởng cơ sở")
    CLUSTER = ("cluster", "Hội nghị bình xét cụm, khối thi đua")  # the members' representatives vote (suy tôn)


class MemberRole(LabeledEnum):
    CHAIR = ("chair", "Chủ tịch Hội đồng")
    VICE_CHAIR = ("vice_chair", "Phó Chủ tịch Hội đồng")
    STANDING = ("standing", "Ủy viên thường trực")
    MEMBER = ("member", "Ủy viên")
    SECRETARY = ("secretary", "Thư ký")


class SessionStatus(LabeledEnum):
    PLANNED = ("planned", "Chưa họp")
    OPEN = ("open", "Đang họp")
    CLOSED = ("closed", "Đã kết thúc")


class AttendanceStatus(LabeledEnum):
    PRESENT = ("present", "Có mặt")
    ABSENT_WRITTEN = ("absent_written", "Vắng, có ý kiến bằng văn bản")
    ABSENT = ("absent", "Vắng")


class AgendaResult(LabeledEnum):
    APPROVED = ("approved", "Đề nghị khen thưởng")
    NOT_APPROVED = ("not_approved", "Không đề nghị")
    NO_QUORUM = ("no_quorum", "Không đủ số thành viên biểu quyết")


class Council(db.Model):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    level: Mapped[CouncilLevel] = mapped_column(enum_column(CouncilLevel, "council_level"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)  # the unit it serves
    established_by: Mapped[str | None] = mapped_column(sa.String(255))  # the founding decision
    # Recuse a member from dossiers of units above or below their own, not only their own unit.
    recuse_related_units: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council", cascade="all, delete-orphan", order_by="CouncilMember.id"
    )
    sessions: Mapped[list[CouncilSession]] = relationship(back_populates="council", order_by="CouncilSession.held_on")

    def __str__(self) -> str:
        return self.name


class CouncilMember(db.Model):
    """A user's seat on a council for a term; `unit_id` is the unit they come from (for recusal)."""

    __tablename__ = "council_members"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "user_id", "term_from"),
        sa.CheckConstraint("term_to IS NULL OR term_to >= term_from", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "member_role"))
    position: Mapped[str | None] = mapped_column(sa.String(255))  # e.g. "Giám đốc Sở Nội vụ"
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))  # the member in the registry
    term_from: Mapped[date]
    term_to: Mapped[date | None]

    council: Mapped[Council] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __str__(self) -> str:
        return f"{self.user.full_name} – {self.role.label}" if self.user else self.role.label

    @property
    def votes(self) -> bool:
        """Every role but the secretary scores and votes; the secretary keeps the minutes."""
        return self.role != MemberRole.SECRETARY

    def serves_on(self, day: date) -> bool:
        return self.term_from <= day and (self.term_to is None or day <= self.term_to)


class CouncilSession(db.Model):
    __tablename__ = "council_sessions"
    __table_args__ = (
        sa.CheckConstraint("quorum_ratio > 0 AND quorum_ratio <= 1", name="quorum"),
        sa.CheckConstraint("vote_threshold IS NULL OR (vote_threshold > 0 AND vote_threshold <= 1)",
                           name="threshold_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    held_on: Mapped[date]
    place: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus, "session_status"),
                                                  default=SessionStatus.PLANNED)
    rubric_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubrics.id"))
    aggregation: Mapped[Aggregation] = mapped_column(enum_column(Aggregation, "session_aggregation"),
                                                      default=Aggregation.MEAN)
    normalise: Mapped[bool] = mapped_column(default=False)
    quorum_ratio: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), default=Decimal("0.667"))
    # When set, every item of the session is voted against this share instead of its award type's
    # threshold (a cluster's suy tôn sets its own); the basis stays the award type's.
    vote_threshold: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 3))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    council: Mapped[Council] = relationship(back_populates="sessions")
    rubric: Mapped[Rubric | None] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    attendance: Mapped[list[Attendance]] = relationship(back_populates="session", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.title


class AgendaItem(db.Model):
    """A dossier on a session's agenda, with the result the session reached for it."""

    __tablename__ = "agenda_items"
    __table_args__ = (sa.UniqueConstraint("session_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    result: Mapped[AgendaResult | None] = mapped_column(enum_column(AgendaResult, "agenda_result"))
    decided_at: Mapped[datetime | None]

    session: Mapped[CouncilSession] = relationship(back_populates="agenda")
    nomination: Mapped[Nomination] = relationship()
    recusals: Mapped[list[Recusal]] = relationship(back_populates="agenda_item", cascade="all, delete-orphan")


class Attendance(db.Model):
    __tablename__ = "attendances"
    __table_args__ = (sa.UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("council_members.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))

    session: Mapped[CouncilSession] = relationship(back_populates="attendance")
    member: Mapped[CouncilMember] = relationship()


class Recusal(db.Model):
    """A member kept out of one dossier: automatically (the nominee, the same unit, the nominator) or
    by their own declaration with a reason. A recused member neither scores, votes nor sees results."""

    __tablename__ = "recusals"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("council_members.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    automatic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="recusals")
    member: Mapped[CouncilMember] = relationship()


class ScoreSheet(db.Model):
    """One member's scores for one agenda item. Scores may change until the sheet is submitted; after
    that they are final and never overwritten."""

    __tablename__ = "score_sheets"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("council_members.id"), index=True)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None]

    agenda_item: Mapped[AgendaItem] = relationship()
    member: Mapped[CouncilMember] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_criteria.id"), index=True)
    points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()


class BallotReceipt(db.Model):
    """That a member has voted on an agenda item — never what they voted. Kept apart from the
    ballot box so the two cannot be joined."""

    __tablename__ = "ballot_receipts"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("council_members.id"), index=True)


class BallotBox(db.Model):
    """The secret ballot of one agenda item: only the counts. There is no row per ballot, so no id,
    order or time can tie a vote to a voter; the counts are raised with one UPDATE per vote, and this
    table is kept out of the audit log (whose actor would otherwise name the voter)."""

    __tablename__ = "ballot_boxes"
    __table_args__ = (sa.CheckConstraint("agree >= 0 AND disagree >= 0", name="counts"),)

    agenda_item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"),
                                                primary_key=True)
    agree: Mapped[int] = mapped_column(default=0)
    disagree: Mapped[int] = mapped_column(default=0)

    __audit_skip__ = True
