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

from . import passwords, two_factor
from .models import Role, RoleAssignment, User


class AccountError(ValueError):
    """A refused account change; the message is shown beside the form field named `field`."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None
    # The password was right and the account has two-factor login: the login ends with a code.
    needs_code: bool = False


BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."
BAD_CODE = "Mã xác thực không đúng hoặc đã hết hạn."


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login attempt and update the failure counter and lockout. Flushes; never commits.

    The same message is given for an unknown user and a wrong password, so a caller cannot learn
    which usernames exist. A locked account is refused even with the right password. For an account
    with two-factor login the result only says the password was right (`needs_code`): the login is
    complete after `verify_second_factor`, and the failure counter is reset only then.
    """
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))
    if user is None:
        record("auth.login_failed", None, session=db.session, username=username[:64])
        return LoginResult(None, BAD_CREDENTIALS)
    now = utcnow()
    refusal = _refusal_if_locked(user, now)
    if refusal:
        return refusal
    if not user.check_password(password):
        return _count_failure(user, now, "auth.login_failed", BAD_CREDENTIALS)
    if not user.active:
        record("auth.login_inactive", user, session=db.session)
        return LoginResult(None, "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị viên.")
    if user.two_factor_enabled:
        return LoginResult(user, needs_code=True)
    return _complete_login(user, now)


def verify_second_factor(user: User, code: str) -> LoginResult:
    """The second step of a login: a code from the authenticator app, or one of the recovery codes (used
    up). Wrong codes count towards the same lockout as wrong passwords. Flushes; never commits."""
    now = utcnow()
    refusal = _refusal_if_locked(user, now)
    if refusal:
        return refusal
    if not user.active or not user.two_factor_enabled:
        return LoginResult(None, BAD_CODE)
    step = two_factor.matching_step(user.totp_secret, code, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return _complete_login(user, now, second_factor="totp")
    if two_factor.take_recovery_code(user, code):
        return _complete_login(user, now, second_factor="recovery_code")
    return _count_failure(user, now, "auth.second_factor_failed", BAD_CODE)


def _refusal_if_locked(user: User, now) -> LoginResult | None:
    if not user.is_locked(now):
        return None
    minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
    record("auth.login_locked", user, session=db.session)
    return LoginResult(None, f"Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.")


def _count_failure(user: User, now, action: str, message: str) -> LoginResult:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        label(user, "auth.locked")
    else:
        label(user, action)
    db.session.flush()
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, "Đăng nhập sai quá số lần cho phép. Tài khoản tạm khóa "
                                 f"{current_app.config['LOGIN_LOCKOUT_MINUTES']} phút.")
    return LoginResult(None, message)


def _complete_login(user: User, now, **details) -> LoginResult:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    label(user, "auth.login")
    with acting_as(user):  # nobody is logged in yet, but the entry belongs to the user logging in
        db.session.flush()
        if details:
            record("auth.login_second_factor", user, session=db.session, **details)
            db.session.flush()
    return LoginResult(user)


# --- two-factor login: turning it on and off --------------------------------------------------------

def enable_two_factor(user: User, *, secret: str, code: str) -> list[str]:
    """Turn on two-factor login with `secret` (shown to the user as a QR code) once `code` proves their app
    has it. Returns the recovery codes, to be shown once. Flushes."""
    if not two_factor.offered_to(user):
        raise AccountError("Tài khoản này không dùng xác thực hai lớp.", "code")
    step = two_factor.matching_step(secret, code)
    if step is None:
        raise AccountError("Mã không đúng. Kiểm tra giờ trên điện thoại và nhập mã đang hiển thị.", "code")
    codes = two_factor.new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    user.totp_recovery = two_factor.stored_recovery(codes)
    label(user, "auth.two_factor_enabled")
    db.session.flush()
    return codes


def new_recovery_codes(user: User, *, password: str) -> list[str]:
    """Replace the recovery codes (the old ones stop working). Needs the password. Flushes."""
    if not user.check_password(password):
        raise AccountError("Mật khẩu không đúng.", "password")
    codes = two_factor.new_recovery_codes()
    user.totp_recovery = two_factor.stored_recovery(codes)
    record("auth.recovery_codes_renewed", user, session=db.session)
    db.session.flush()
    return codes


def disable_two_factor(user: User, *, password: str, code: str) -> User:
    """Turn off one's own two-factor login: needs the password and a current code (or a recovery code)."""
    if not user.check_password(password):
        raise AccountError("Mật khẩu không đúng.", "password")
    if two_factor.required_for(user):
        raise AccountError("Vai trò của bạn bắt buộc dùng xác thực hai lớp; không thể tắt.", "code")
    step = two_factor.matching_step(user.totp_secret or "", code, after=user.totp_last_step)
    if step is None and not two_factor.take_recovery_code(user, code):
        raise AccountError(BAD_CODE, "code")
    _clear_two_factor(user)
    label(user, "auth.two_factor_disabled")
    db.session.flush()
    return user


def reset_two_factor(user: User) -> User:
    """An administrator turns off a user's two-factor login (a lost phone and lost recovery codes); the user
    sets it up again at the next login when their role requires it. Flushes."""
    _clear_two_factor(user)
    label(user, "auth.two_factor_reset")
    db.session.flush()
    return user


def _clear_two_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.totp_recovery = None


def check_password_rules(password: str, *, username: str | None = None, full_name: str | None = None,
                         field: str = "password") -> None:
    """Refuse a password that breaks the policy (thidua/auth/passwords.py) with its message beside `field`."""
    problem = passwords.problem(password, username=username, full_name=full_name)
    if problem:
        raise AccountError(problem, field)


def change_password(user: User, *, current: str, new: str) -> User:
    if not user.check_password(current):
        raise AccountError("Mật khẩu hiện tại không đúng.", "current")
    if current == new:
        raise AccountError("Mật khẩu mới phải khác mật khẩu hiện tại.", "new")
    check_password_rules(new, username=user.username, full_name=user.full_name, field="new")
    user.set_password(new)
    user.must_change_password = False
    label(user, "auth.password_changed")
    db.session.flush()
    return user


def username_taken(username: str, *, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(sa.func.lower(User.username) == username.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_user(*, username: str, full_name: str, password: str, email: str | None = None,
                roles: Iterable[tuple[Role, int | None]] = (), must_change: bool = True) -> User:
    """A new account. Its password was chosen by an administrator, so by default the user must replace it
    at the first login (`must_change=False` for accounts made by scripts, e.g. the demo)."""
    username = username.strip()
    if username_taken(username):
        raise AccountError(f"Tên đăng nhập “{username}” đã được dùng.", "username")
    check_password_rules(password, username=username, full_name=full_name)
    user = User(username=username, full_name=full_name, email=email or None, must_change_password=must_change)
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
        check_password_rules(new_password, username=user.username, full_name=full_name)
        user.set_password(new_password)
        user.must_change_password = True  # an administrator knows it: the user replaces it
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
    check_password_rules(new, username=user.username, full_name=user.full_name, field="new")
    user.set_password(new)
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    label(user, "auth.password_reset")
    with acting_as(user):  # nobody is logged in: the entry belongs to the user who proved their mailbox
        db.session.flush()
    return user
