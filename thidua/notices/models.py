from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.extensions import db, utcnow

if TYPE_CHECKING:
    from thidua.nominations.models import Nomination
    from thidua.rules.models import AwardType

notice_nominations = sa.Table(
    "notice_nominations",
    db.metadata,
    sa.Column("notice_id", sa.ForeignKey("public_notices.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("nomination_id", sa.ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True),
)


class PublicNotice(db.Model):
    __tablename__ = "public_notices"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    award_type_id: Mapped[int] = mapped_column(sa.ForeignKey("award_types.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    award_type: Mapped[AwardType] = relationship()
    nominations: Mapped[list[Nomination]] = relationship(secondary=notice_nominations)
    comments: Mapped[list[NoticeComment]] = relationship(back_populates="notice", cascade="all, delete-orphan",
                                                         order_by="NoticeComment.created_at")

    def __str__(self) -> str:
        return self.title

    def is_running(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class NoticeComment(db.Model):
    """A citizen's comment on a candidate: kept for the secretariat and the council, never published."""

    __tablename__ = "notice_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("public_notices.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    ip: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[PublicNotice] = relationship(back_populates="comments")
    nomination: Mapped[Nomination] = relationship()

    # A citizen's contact details and address stay out of the audit log.
    __audit_exclude__ = frozenset({"contact", "ip"})
