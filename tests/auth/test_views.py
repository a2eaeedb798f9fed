"""Accounts over HTTP: login, logout, password change, user administration, CSRF and cookies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role, RoleAssignment, User
from thidua.extensions import utcnow

BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture
def user(db):
    user = factories.make_user(username="hang", full_name="Lê Thị Hằng", roles=[Role.SECRETARIAT])
    db.session.commit()
    return user


def login(client, username="hang", password=factories.PASSWORD, **kw):
    return client.post("/auth/login" + kw.pop("query", ""), data={"username": username, "password": password, **kw})


def text(response) -> str:
    return response.get_data(as_text=True)


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


# --- login --------------------------------------------------------------------------------------

def test_login_page_is_in_vietnamese(client):
    html = text(client.get("/auth/login"))
    assert "Đăng nhập" in html and "Tên đăng nhập" in html and "Mật khẩu" in html


def test_login_with_the_right_password_greets_and_redirects_home(client, user):
    response = login(client)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Xin chào, Lê Thị Hằng." in text(client.get("/"))


@pytest.mark.parametrize(("username", "password"), [("hang", "sai-mat-khau-1"), ("khongco", factories.PASSWORD)])
def test_login_failure_gives_one_message_for_unknown_user_and_wrong_password(client, user, username, password):
    response = login(client, username, password)

    assert response.status_code == 200
    assert BAD_CREDENTIALS in text(response)
    assert not is_logged_in(client)


def test_login_with_empty_fields_asks_for_them(client):
    html = text(client.post("/auth/login", data={"username": " ", "password": ""}))
    assert "Vui lòng nhập tên đăng nhập." in html and "Vui lòng nhập mật khẩu." in html


def test_login_locks_the_account_after_max_failures_even_for_the_right_password(app, client, db, user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert BAD_CREDENTIALS in text(login(client, password="sai-mat-khau-1"))
    assert "Tài khoản tạm khóa 15 phút" in text(login(client, password="sai-mat-khau-1"))

    response = login(client)

    assert response.status_code == 200
    assert "Tài khoản tạm khóa do đăng nhập sai nhiều lần" in text(response)
    assert not is_logged_in(client)
    assert db.session.get(User, user.id).is_locked()


def test_login_works_again_once_the_lockout_is_over(client, db, user):
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert "tạm khóa" in text(login(client))

    user.locked_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert login(client).status_code == 302
    assert is_logged_in(client)


def test_login_success_resets_the_failure_counter(app, client, db, user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, password="sai-mat-khau-1")

    assert login(client).status_code == 302

    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0


def test_login_of_an_inactive_user_is_refused(client, db):
    factories.make_user(username="nghi", active=False)
    db.session.commit()

    response = login(client, "nghi")

    assert "Tài khoản đã bị vô hiệu hóa" in text(response)
    assert not is_logged_in(client)


def test_a_user_deactivated_while_logged_in_is_logged_out(db, login_as, user):
    client = login_as(user)
    assert is_logged_in(client)

    user.active = False
    db.session.commit()

    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_login_follows_a_local_next(client, user):
    response = login(client, query="?next=/campaigns/%3Fstatus%3Dopen")
    assert response.headers["Location"] == "/campaigns/?status=open"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
])
def test_login_never_redirects_off_site(client, user, target):
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": "hang", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_protected_page_sends_to_login_and_back(client, user):
    response = client.get("/campaigns/")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/auth/login?next=")

    assert login(client, query=location.removeprefix("/auth/login")).headers["Location"] == "/campaigns/"


def test_login_page_when_logged_in_redirects_home(login_as, user):
    assert login_as(user).get("/auth/login").headers["Location"] == "/"


# --- logout -------------------------------------------------------------------------------------

def test_logout_by_get_is_not_allowed(login_as, user):
    client = login_as(user)

    assert client.get("/auth/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_by_post_ends_the_session(client, user):
    login(client)

    response = client.post("/auth/logout")

    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "Bạn đã đăng xuất." in text(client.get("/auth/login"))
    assert not is_logged_in(client)


# --- changing one's password --------------------------------------------------------------------

def change(client, current=factories.PASSWORD, new="mat-khau-moi-1", confirm=None):
    return client.post("/auth/password", data={"current": current, "new": new,
                                               "confirm": new if confirm is None else confirm})


def test_password_page_needs_login(client):
    response = client.get("/auth/password")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_change_password_with_wrong_current_is_refused(login_as, user):
    response = change(login_as(user), current="sai-mat-khau-1")
    assert response.status_code == 200
    assert "Mật khẩu hiện tại không đúng." in text(response)


def test_change_password_with_mismatched_confirmation_is_refused(login_as, user):
    response = change(login_as(user), confirm="mat-khau-khac-1")
    assert "Hai mật khẩu mới không khớp." in text(response)


@pytest.mark.parametrize(("new", "message"), [
    ("ngan-1", "Mật khẩu phải có ít nhất 10 ký tự."),
    ("9081726354", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("chiconchuthoi", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
])
def test_change_password_refuses_short_or_weak_passwords(db, login_as, user, new, message):
    old_hash = user.password_hash

    response = change(login_as(user), new=new)

    assert message in text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_change_password_lets_the_new_one_in_and_keeps_the_old_one_out(client, user):
    login(client)
    response = change(client)
    assert response.status_code == 302
    assert "Đã đổi mật khẩu." in text(client.get("/"))
    client.post("/auth/logout")

    assert BAD_CREDENTIALS in text(login(client))
    assert login(client, password="mat-khau-moi-1").status_code == 302


# --- user administration ------------------------------------------------------------------------

@pytest.fixture
def admin(users, login_as):
    return login_as(users[Role.ADMIN])


def user_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def new_user_data(**overrides):
    data = {"username": "lanhdao", "full_name": "Đỗ Minh Tuấn", "email": "", "roles": ["approver"],
            "officer_unit_id": "0", "active": "y", "password": "hoso-vang-2026"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_user_admin_is_forbidden_to_other_roles(users, login_as, role):
    client = login_as(users[role])
    assert client.get("/auth/users").status_code == 403
    assert client.post("/auth/users/new", data=new_user_data()).status_code == 403
    assert client.post(f"/auth/users/{users[Role.ADMIN].id}/unlock").status_code == 403


def test_user_list_is_shown_to_an_admin(admin, users):
    html = text(admin.get("/auth/users"))
    assert "Người dùng" in html and "secretariat" in html


def test_user_list_filters_by_role(admin, users):
    html = text(admin.get("/auth/users?role=approver"))
    assert ">approver</a>" in html and ">secretariat</a>" not in html


def test_create_user_saves_the_user_with_roles(admin, db, unit):
    response = admin.post("/auth/users/new", data=new_user_data(officer_unit_id=str(unit.id)))

    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "lanhdao"))
    assert user.check_password("hoso-vang-2026")
    assert user.roles == {Role.APPROVER, Role.UNIT_OFFICER}
    assert user.officer_units == [unit]


def test_create_user_with_a_duplicate_username_shows_it_beside_the_field(admin, db, users):
    before = user_count(db)

    response = admin.post("/auth/users/new", data=new_user_data(username="Secretariat"))

    html = text(response)
    assert response.status_code == 200
    assert "Tên đăng nhập “Secretariat” đã được dùng." in html
    assert html.index('id="username"') < html.index("đã được dùng") < html.index('id="full_name"')
    assert user_count(db) == before


def test_create_user_as_unit_officer_needs_a_unit(admin, db, users):
    before = user_count(db)

    response = admin.post("/auth/users/new", data=new_user_data(roles=["unit_officer"]))

    assert response.status_code == 200
    assert "“unit_officer” không phải lựa chọn hợp lệ." in text(response)
    assert user_count(db) == before


def test_create_user_without_any_role_is_refused(admin, db, users):
    before = user_count(db)

    response = admin.post("/auth/users/new", data=new_user_data(roles=[]))

    assert "Người dùng phải có ít nhất một vai trò." in text(response)
    assert user_count(db) == before


def test_create_user_needs_an_initial_password(admin, db, users):
    response = admin.post("/auth/users/new", data=new_user_data(password=""))
    assert "Vui lòng đặt mật khẩu ban đầu." in text(response)


def test_edit_user_replaces_the_roles(admin, db, unit, users):
    target = users[Role.APPROVER]

    response = admin.post(f"/auth/users/{target.id}", data=new_user_data(
        username=target.username, roles=["secretariat"], officer_unit_id=str(unit.id), password=""))

    assert response.status_code == 302
    rows = db.session.execute(sa.select(RoleAssignment.role, RoleAssignment.unit_id)
                              .where(RoleAssignment.user_id == target.id)).all()
    assert set(rows) == {(Role.SECRETARIAT, None), (Role.UNIT_OFFICER, unit.id)}


def test_edit_user_form_shows_the_current_roles(admin, users, unit):
    html = text(admin.get(f"/auth/users/{users[Role.UNIT_OFFICER].id}"))
    assert f'<option selected value="{unit.id}">' in html


def test_edit_user_can_deactivate_another_user(admin, db, users):
    target = users[Role.APPROVER]

    admin.post(f"/auth/users/{target.id}", data=new_user_data(
        username=target.username, full_name="Tạm nghỉ", roles=["approver"], active="", password=""))

    db.session.expire_all()
    target = db.session.get(User, target.id)
    assert not target.active and target.full_name == "Tạm nghỉ"


def test_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(admin, db, users):
    me = users[Role.ADMIN]

    dropped = admin.post(f"/auth/users/{me.id}", data=new_user_data(username=me.username, roles=["approver"],
                                                                    password=""))
    off = admin.post(f"/auth/users/{me.id}", data=new_user_data(username=me.username, roles=["admin"], active="",
                                                                password=""))

    assert "Không thể tự bỏ vai trò quản trị của chính mình." in text(dropped)
    assert "Không thể tự vô hiệu hóa tài khoản của chính mình." in text(off)
    db.session.expire_all()
    me = db.session.get(User, me.id)
    assert me.active and me.roles == {Role.ADMIN}


def test_edit_of_a_missing_user_is_404(admin):
    assert admin.get("/auth/users/9999").status_code == 404


def test_unlock_lets_the_user_log_in_again(admin, client, db, users):
    target = factories.make_user(username="bikhoa", locked_until=utcnow() + timedelta(minutes=10))
    db.session.commit()
    assert "Mở khóa" in text(admin.get("/auth/users"))

    response = admin.post(f"/auth/users/{target.id}/unlock")

    assert response.status_code == 302
    assert "Đã mở khóa tài khoản bikhoa." in text(admin.get("/auth/users"))
    assert login(client, "bikhoa").status_code == 302


# --- CSRF and cookies ---------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_with_the_400_page(csrf_app, user):
    client = csrf_app.test_client()

    response = login(client)

    assert response.status_code == 400
    assert "thiếu mã bảo mật CSRF" in text(response)
    assert not is_logged_in(client)


def test_logout_without_csrf_token_is_refused(csrf_app, login_as, user):
    client = login_as(user)

    assert client.post("/auth/logout").status_code == 400
    assert is_logged_in(client)


def test_post_with_the_page_csrf_token_is_accepted(csrf_app, user):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/auth/login"))).group(1)

    response = login(client, csrf_token=token)

    assert response.status_code == 302 and is_logged_in(client)


def test_session_cookie_is_httponly_samesite_and_expires(client, user):
    response = login(client)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("thidua_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_remember_me_cookie_is_httponly(client, user):
    response = login(client, remember="y")

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_by_default():
    env = {k: v for k, v in os.environ.items() if k != "SESSION_COOKIE_SECURE"}
    code = "from thidua.config import Config as C; print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE)"

    out = subprocess.run([sys.executable, "-c", code], env={**env, "THIDUA_ENV": "production"},
                         capture_output=True, text=True, check=True).stdout

    assert out.split() == ["True", "True"]
