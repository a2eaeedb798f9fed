"""Notifications: the in-app inbox, the e-mail log and outbox, preferences, and the reminders already sent."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow

if TYPE_CHECKING:
    from thidua.auth.models import User


class Notification(db.Model):
    """One message in a user's inbox, pointing at the object that waits on them. Kept for a year."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(48))  # event code, e.g. "nomination.returned"
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str | None] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.String(500))  # a path inside the app
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __audit_skip__ = True  # a side effect of audited acts, not an act of its own

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailStatus(LabeledEnum):
    QUEUED = ("queued", "Đang chờ gửi")
    SENT = ("sent", "Đã gửi")
    RETRYING = ("retrying", "Gửi lỗi, đang thử lại")
    FAILED = ("failed", "Gửi không thành công")
    OUTBOX = ("outbox", "Lưu trong hộp thư đi (chưa cấu hình máy chủ thư)")


class EmailMessage(db.Model):
    """Every e-mail the app writes: sent through SMTP on the task queue, or kept in the outbox when no SMTP
    server is configured, so nothing is lost. The log of attempts is its status and counters."""

    __tablename__ = "email_messages"
    __table_args__ = (sa.Index("ix_email_messages_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(48))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus, "email_status"), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()

    __audit_skip__ = True  # may carry a password-reset link; its state is its own log


class NotificationPreference(db.Model):
    """A user's choice for one kind of event: e-mail on or off (the inbox always receives)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(48))
    email: Mapped[bool] = mapped_column(default=True)


class ReminderLog(db.Model):
    """A reminder sent to a person for an event (e.g. campaign 12's deadline, 7 days before): never twice."""

    __tablename__ = "reminder_logs"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(120))  # "campaign:12:deadline:7", "session:5:sheets:1"
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
