from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from thidua.enums import LabeledEnum, enum_column
from thidua.extensions import db, utcnow

if TYPE_CHECKING:
    from thidua.org.models import Unit


class Role(LabeledEnum):
    ADMIN = ("admin", "Quản trị hệ thống")
    SECRETARIAT = ("secretariat", "Ban Thi đua - Khen thưởng")
    UNIT_OFFICER = ("unit_officer", "Cán bộ đơn vị")
    COUNCIL_MEMBER = ("council_member", "Thành viên Hội đồng")
    APPROVER = ("approver", "Lãnh đạo phê duyệt")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Set when an administrator chose the password (new account, reset by hand): the user must replace it
    # before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Two-factor login (TOTP, RFC 6238): the base32 secret shared with the user's authenticator app, when
    # it was turned on, the last time step accepted (a code is never accepted twice) and the sha256 digests
    # of the unused one-time recovery codes, one per line.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    totp_recovery: Mapped[str | None] = mapped_column(sa.Text)
    # E-mail notifications gathered into one message a day instead of one per event.
    email_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )

    # Never written to the audit log.
    __audit_exclude__ = frozenset({"password_hash", "totp_secret", "totp_last_step", "totp_recovery"})

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    @property
    def roles(self) -> set[Role]:
        return {a.role for a in self.role_assignments}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def officer_units(self) -> list[Unit]:
        """Units this user acts for as a unit officer (each also covers its sub-units)."""
        return [a.unit for a in self.role_assignments if a.role == Role.UNIT_OFFICER and a.unit]


class RoleAssignment(db.Model):
    """A role held by a user; a unit officer's role names the unit they act for."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "unit_id"),
        sa.CheckConstraint(
            "(role = 'unit_officer') = (unit_id IS NOT NULL)", name="unit_only_for_officer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)

    user: Mapped[User] = relationship(back_populates="role_assignments")
    unit: Mapped[Unit | None] = relationship()

    def __str__(self) -> str:
        return f"{self.role.label} – {self.unit.name}" if self.unit else self.role.label
