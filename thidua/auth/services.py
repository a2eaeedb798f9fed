"""Accounts: authentication with lockout after repeated failures, passwords, users and roles."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from thidua.audit.services import acting_as, label, record
from thidua.extensions import db, utcnow

from .models import Role, RoleAssignment, User

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A refused account change; the message is shown beside the form field named `field`."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None


BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login attempt and update the failure counter and lockout. Flushes; never commits.

    The same message is given for an unknown user and a wrong password, so a caller cannot learn
    which usernames exist. A locked account is refused even with the right password.
    """
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))
    if user is None:
        record("auth.login_failed", None, session=db.session, username=username[:64])
        return LoginResult(None, BAD_CREDENTIALS)
    now = utcnow()
    if user.is_locked(now):
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        record("auth.login_locked", user, session=db.session)
        return LoginResult(None, f"Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.")
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
            label(user, "auth.locked")
        else:
            label(user, "auth.login_failed")
        db.session.flush()
        if user.locked_until and user.locked_until > now:
            return LoginResult(None, "Đăng nhập sai quá số lần cho phép. Tài khoản tạm khóa "
                                     f"{current_app.config['LOGIN_LOCKOUT_MINUTES']} phút.")
        return LoginResult(None, BAD_CREDENTIALS)
    if not user.active:
        record("auth.login_inactive", user, session=db.session)
        return LoginResult(None, "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị viên.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    label(user, "auth.login")
    with acting_as(user):  # nobody is logged in yet, but the entry belongs to the user logging in
        db.session.flush()
    return LoginResult(user)


def check_password_rules(password: str, *, username: str | None = None, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.", field)
    if username and password.lower() == username.lower():
        raise AccountError("Mật khẩu không được trùng tên đăng nhập.", field)
    if password.isdigit() or password.isalpha():
        raise AccountError("Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt.", field)


def change_password(user: User, *, current: str, new: str) -> User:
    if not user.check_password(current):
        raise AccountError("Mật khẩu hiện tại không đúng.", "current")
    if current == new:
        raise AccountError("Mật khẩu mới phải khác mật khẩu hiện tại.", "new")
    check_password_rules(new, username=user.username, field="new")
    user.set_password(new)
    label(user, "auth.password_changed")
    db.session.flush()
    return user


def username_taken(username: str, *, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(sa.func.lower(User.username) == username.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_user(*, username: str, full_name: str, password: str, email: str | None = None,
                roles: Iterable[tuple[Role, int | None]] = ()) -> User:
    username = username.strip()
    if username_taken(username):
        raise AccountError(f"Tên đăng nhập “{username}” đã được dùng.", "username")
    check_password_rules(password, username=username)
    user = User(username=username, full_name=full_name, email=email or None)
    user.set_password(password)
    db.session.add(user)
    set_roles(user, roles)
    db.session.flush()
    return user


def update_user(user: User, *, full_name: str, email: str | None, active: bool,
                roles: Iterable[tuple[Role, int | None]], new_password: str | None = None) -> User:
    user.full_name = full_name
    user.email = email or None
    user.active = active
    if new_password:
        check_password_rules(new_password, username=user.username)
        user.set_password(new_password)
        user.failed_logins = 0
        user.locked_until = None
    set_roles(user, roles)
    db.session.flush()
    return user


def unlock(user: User) -> User:
    user.failed_logins = 0
    user.locked_until = None
    label(user, "auth.unlocked")
    db.session.flush()
    return user


def set_roles(user: User, roles: Iterable[tuple[Role, int | None]]) -> None:
    """Replace the user's role assignments with `roles` [(role, unit_id or None)].

    A unit officer must name a unit; other roles never do.
    """
    wanted: set[tuple[Role, int | None]] = set()
    for role, unit_id in roles:
        role = Role(role)
        if role == Role.UNIT_OFFICER and not unit_id:
            raise AccountError("Cán bộ đơn vị phải được gắn với một đơn vị.", "officer_unit_id")
        wanted.add((role, unit_id if role == Role.UNIT_OFFICER else None))
    current = {(a.role, a.unit_id): a for a in user.role_assignments}
    for key, assignment in current.items():
        if key not in wanted:
            user.role_assignments.remove(assignment)
    for role, unit_id in sorted(wanted - current.keys(), key=lambda k: (k[0].value, k[1] or 0)):
        user.role_assignments.append(RoleAssignment(role=role, unit_id=unit_id))


# --- password reset by e-mail ----------------------------------------------------------------------

RESET_SALT = "thidua.auth.password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """A digest of the current password hash: a new password changes it, which ends every token issued
    before (so a token works once). The hash itself never leaves the server."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def password_reset_token(user: User) -> str:
    """A signed token naming `user` and their current password, valid PASSWORD_RESET_HOURS."""
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token was issued to, or None when it is forged, expired or already used
    (the caller gives all three the same answer)."""
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        payload = _reset_serializer().loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or not hmac.compare_digest(str(payload.get("p")), _password_fingerprint(user)):
        return None
    return user


def users_for_reset(login: str) -> list[User]:
    """The active users with an e-mail address whose username or e-mail address is `login`."""
    login = login.strip().lower()
    if not login:
        return []
    return list(db.session.scalars(sa.select(User).where(
        sa.or_(sa.func.lower(User.username) == login, sa.func.lower(User.email) == login),
        User.active.is_(True), User.email.is_not(None)).order_by(User.id)))


def reset_password(user: User, *, new: str) -> User:
    """Set a new password through a reset link (which this ends) and lift a lockout. Flushes."""
    check_password_rules(new, username=user.username, field="new")
    user.set_password(new)
    user.failed_logins = 0
    user.locked_until = None
    label(user, "auth.password_reset")
    with acting_as(user):  # nobody is logged in: the entry belongs to the user who proved their mailbox
        db.session.flush()
    return user
