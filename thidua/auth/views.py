from __future__ import annotations

import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from thidua.exports import col, xlsx_response
from thidua.extensions import db, login_manager
from thidua.filters import local_time
from thidua.notifications import mail
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, requires

from . import services, two_factor
from .forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    ForgotPasswordForm,
    LoginForm,
    RecoveryCodesForm,
    ResetPasswordForm,
    SecondFactorForm,
    UserForm,
)
from .models import Role, RoleAssignment, User

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session; a user deactivated since logging in is logged out on the next request."""
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


# Where a user who must first change their password or turn on two-factor login may still go.
_ALWAYS_OPEN = frozenset({"auth.logout", "auth.change_password", "static", "observability.healthz", "bootstrap.static"})
_SETUP_TWO_FACTOR = frozenset({"auth.two_factor_setup", "auth.two_factor_status"})


@bp.before_app_request
def _pending_obligations():
    """A password chosen by an administrator must be replaced, and a role that requires two-factor login
    must turn it on, before anything else is done."""
    if request.endpoint in _ALWAYS_OPEN or not current_user.is_authenticated:  # static files need no user
        return None
    if current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if (request.endpoint not in _SETUP_TWO_FACTOR and two_factor.required_for(current_user)
            and not current_user.two_factor_enabled):
        return redirect(url_for("auth.two_factor_setup"))
    return None


def _safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the home page (no open redirect).

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" or "/",
    tab, "/evil.example" would leave the site as surely as "//evil.example".
    """
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data)
        db.session.commit()  # failure counters and lockouts are kept even when the login fails
        if result.user is None:
            form.password.errors.append(result.error)
        elif result.needs_code:
            session.clear()
            session[PENDING] = {"user": result.user.id, "remember": bool(form.remember.data),
                                "next": request.args.get("next"), "at": time.time()}
            return redirect(url_for("auth.second_factor"))
        else:
            return _logged_in(result.user, remember=form.remember.data, next_url=request.args.get("next"))
    return render_template("auth/login.html", form=form)


# The password step of a two-factor login, kept in the session until the code is given (at most 5 minutes).
PENDING = "login_pending"
PENDING_SECONDS = 300


def _logged_in(user: User, *, remember: bool, next_url: str | None):
    session.clear()  # a new session for the logged-in user (no fixation)
    login_user(user, remember=remember)
    session.permanent = True
    flash(f"Xin chào, {user.full_name}.", "success")
    if user.must_change_password:
        flash("Mật khẩu của bạn do quản trị viên đặt. Vui lòng đổi mật khẩu trước khi tiếp tục.", "warning")
        return redirect(url_for("auth.change_password"))
    if two_factor.required_for(user) and not user.two_factor_enabled:
        flash("Vai trò của bạn bắt buộc dùng xác thực hai lớp. Vui lòng bật trước khi tiếp tục.", "warning")
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(_safe_next(next_url))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.active and user.two_factor_enabled else None


@bp.route("/login/code", methods=["GET", "POST"])
@requires("login.second_factor")
def second_factor():
    """The second step of a two-factor login: a code from the authenticator app or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Phiên đăng nhập đã hết hạn. Vui lòng nhập lại mật khẩu.", "warning")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        result = services.verify_second_factor(user, form.code.data)
        db.session.commit()
        if result.user is None:
            form.code.errors.append(result.error)
            if user.is_locked():
                session.pop(PENDING, None)
        else:
            pending = session[PENDING]
            if two_factor.recovery_left(user) <= 2:
                flash(f"Bạn còn {two_factor.recovery_left(user)} mã khôi phục. Hãy tạo bộ mã mới ở trang "
                      "Xác thực hai lớp.", "warning")
            return _logged_in(user, remember=pending.get("remember", False), next_url=pending.get("next"))
    return render_template("auth/second_factor.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


RESET_SENT = ("Nếu tài khoản tồn tại và có địa chỉ thư điện tử, chúng tôi đã gửi hướng dẫn đặt lại mật khẩu "
              "tới địa chỉ đó. Vui lòng kiểm tra hộp thư.")


# The token is in the page's address: links and assets on the page must not carry it away in a Referer.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@bp.route("/forgot", methods=["GET", "POST"])
@requires("password.reset")
def forgot_password():
    """Ask for a reset link by username or e-mail address; the answer is the same whether or not it exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        for user in services.users_for_reset(form.login.data):
            link = mail.public_base_url() + url_for("auth.reset_password", token=services.password_reset_token(user))
            mail.queue_password_reset(user, link=link)
        db.session.commit()
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@requires("password.reset")
def reset_password(token: str):
    """Set a new password from an e-mailed link; a forged, expired or used link gets one refusal page."""
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400, NO_REFERRER
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, new=form.new.data)
        except services.AccountError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash("Đã đặt mật khẩu mới. Vui lòng đăng nhập.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user), NO_REFERRER


@bp.route("/password", methods=["GET", "POST"])
@requires("account.password")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, current=form.current.data, new=form.new.data)
        except services.AccountError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash("Đã đổi mật khẩu.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


# --- two-factor login settings ----------------------------------------------------------------------

SETUP_SECRET = "totp_setup_secret"


@bp.get("/two-factor")
@requires("account.two_factor")
def two_factor_status():
    return _two_factor_page(DisableTwoFactorForm())


def _two_factor_page(disable_form: DisableTwoFactorForm):
    return render_template("auth/two_factor.html", user=current_user, left=two_factor.recovery_left(current_user),
                           required=two_factor.required_for(current_user),
                           disable_form=disable_form, codes_form=RecoveryCodesForm())


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@requires("account.two_factor")
def two_factor_setup():
    """Turn on two-factor login: scan the QR code (or type the secret), then prove it with a code. The secret
    is kept in the session until then, so nothing is saved before the app has it."""
    if current_user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_status"))
    secret = session.get(SETUP_SECRET)
    if not secret:
        secret = session[SETUP_SECRET] = two_factor.new_secret()
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_two_factor(current_user, secret=secret, code=form.code.data)
        except services.AccountError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            session.pop(SETUP_SECRET, None)
            flash("Đã bật xác thực hai lớp.", "success")
            return _recovery_codes_page(codes)
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("auth/two_factor_setup.html", form=form, qr=two_factor.qr_data_uri(uri),
                           secret=two_factor.grouped(secret))


def _recovery_codes_page(codes: list[str]):
    response = make_response(render_template("auth/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"  # shown once; never from the browser's cache
    return response


@bp.post("/two-factor/recovery-codes")
@requires("account.two_factor")
def two_factor_recovery_codes():
    form = RecoveryCodesForm()
    if form.validate_on_submit() and current_user.two_factor_enabled:
        try:
            codes = services.new_recovery_codes(current_user, password=form.password.data)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            return _recovery_codes_page(codes)
    return redirect(url_for("auth.two_factor_status"))


@bp.post("/two-factor/disable")
@requires("account.two_factor")
def two_factor_disable():
    form = DisableTwoFactorForm()
    if form.validate_on_submit() and current_user.two_factor_enabled:
        try:
            services.disable_two_factor(current_user, password=form.password.data, code=form.code.data)
        except services.AccountError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash("Đã tắt xác thực hai lớp.", "info")
            return redirect(url_for("auth.two_factor_status"))
    return _two_factor_page(form)


@bp.post("/users/<int:user_id>/two-factor/reset")
@requires("user.manage")
def reset_user_two_factor(user_id: int):
    user = db.get_or_404(User, user_id)
    authorize("user.manage", user)
    services.reset_two_factor(user)
    db.session.commit()
    flash(f"Đã tắt xác thực hai lớp của {user.username}; người dùng cần thiết lập lại.", "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.get("/users")
@requires("user.manage")
def users():
    q, role, stmt = _users_query(request.args)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("auth/users.html", page=page, q=q, role=role, roles=list(Role))


def _users_query(args) -> tuple[str, str, sa.Select]:
    """The user list's filters (name or login, role) and its statement, for the page and its export."""
    q = (args.get("q") or "").strip()
    role = args.get("role") or ""
    stmt = sa.select(User).order_by(User.username)
    if q:
        # autoescape: a typed % or _ is searched for, not a wildcard
        stmt = stmt.where(sa.or_(sa.func.lower(User.username).contains(q.lower(), autoescape=True),
                                 sa.func.lower(User.full_name).contains(q.lower(), autoescape=True)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role_assignments.any(RoleAssignment.role == Role(role)))
    else:
        role = ""
    return q, role, stmt.options(sa.orm.selectinload(User.role_assignments).joinedload(RoleAssignment.unit))


@bp.get("/users/export.xlsx")
@requires("user.manage")
def users_xlsx():
    q, role, stmt = _users_query(request.args)
    rows = ([u.username, u.full_name, u.email, "; ".join(str(a) for a in u.role_assignments),
             "Vô hiệu hóa" if not u.active else "Tạm khóa" if u.is_locked() else "Hoạt động",
             local_time(u.last_login_at) if u.last_login_at else None] for u in db.session.scalars(stmt))
    return xlsx_response("danh-sach-nguoi-dung", "Danh sách người dùng",
                         [col("Tên đăng nhập"), col("Họ và tên"), col("Thư điện tử"), col("Vai trò"),
                          col("Trạng thái"), col("Đăng nhập lần cuối", "datetime")], rows,
                         filters={"Tên hoặc tên đăng nhập chứa": q, "Vai trò": Role(role) if role else None})


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user, unit_choices=unit_choices(), creating=user is None)
    if user is not None and request.method == "GET":
        form.roles.data = [a.role.value for a in user.role_assignments if a.role != Role.UNIT_OFFICER]
        officer = next((a.unit_id for a in user.role_assignments if a.role == Role.UNIT_OFFICER), 0)
        form.officer_unit_id.data = officer
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@requires("user.manage")
def create_user():
    form = _user_form(None)
    if form.validate_on_submit():
        try:
            user = services.create_user(username=form.username.data, full_name=form.full_name.data,
                                        email=form.email.data, password=form.password.data, roles=form.role_pairs())
        except services.AccountError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Đã tạo tài khoản {user.username}.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("user.manage")
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    authorize("user.manage", user)
    form = _user_form(user)
    if form.validate_on_submit():
        if user.id == current_user.id and Role.ADMIN.value not in (form.roles.data or []):
            form.roles.errors.append("Không thể tự bỏ vai trò quản trị của chính mình.")
        elif user.id == current_user.id and not form.active.data:
            form.active.errors.append("Không thể tự vô hiệu hóa tài khoản của chính mình.")
        else:
            try:
                services.update_user(user, full_name=form.full_name.data, email=form.email.data,
                                     active=form.active.data, roles=form.role_pairs(),
                                     new_password=form.password.data or None)
            except services.AccountError as exc:
                db.session.rollback()
                form[exc.field].errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"Đã cập nhật tài khoản {user.username}.", "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/unlock")
@requires("user.manage")
def unlock_user(user_id: int):
    user = db.get_or_404(User, user_id)
    services.unlock(user)
    db.session.commit()
    flash(f"Đã mở khóa tài khoản {user.username}.", "success")
    return redirect(url_for("auth.users"))
