"""Two-factor login (TOTP): setting it up, the two-step login, replay and recovery codes, lockout, turning it off,
an administrator's reset, and the rule that makes it compulsory for staff when TOTP_REQUIRED is set."""

from __future__ import annotations

import re
import subprocess
import time

import pyotp
import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth import services, two_factor
from thidua.auth.models import Role, User


def text(response) -> str:
    return response.get_data(as_text=True)


def now_code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * two_factor.INTERVAL)


@pytest.fixture
def admin(db):
    user = factories.make_user(username="quantri", full_name="Lê Văn Quản", roles=[Role.ADMIN])
    db.session.commit()
    return user


def enable(db, user) -> tuple[str, list[str]]:
    secret = two_factor.new_secret()
    codes = services.enable_two_factor(user, secret=secret, code=now_code(secret))
    user.totp_last_step = None  # the code used to turn it on is not the next login's
    db.session.commit()
    return secret, codes


def login(client, username="quantri", password=factories.PASSWORD, **extra):
    return client.post("/auth/login", data={"username": username, "password": password, **extra})


# --- the codes --------------------------------------------------------------------------------------

def test_code_is_accepted_within_one_step_and_never_twice():
    secret = two_factor.new_secret()
    step = two_factor.matching_step(secret, now_code(secret))
    assert step is not None
    assert two_factor.matching_step(secret, now_code(secret), after=step) is None  # replayed
    assert two_factor.matching_step(secret, now_code(secret, -1)) is not None  # a phone a little slow
    assert two_factor.matching_step(secret, now_code(secret, -3)) is None  # an old code
    assert two_factor.matching_step(secret, "12345") is None
    assert two_factor.matching_step(secret, "abcdef") is None


def test_code_with_spaces_is_accepted():
    secret = two_factor.new_secret()
    code = now_code(secret)
    assert two_factor.matching_step(secret, f" {code[:3]} {code[3:]} ") is not None


def test_qr_code_holds_the_provisioning_address(app, admin, tmp_path):
    secret = two_factor.new_secret()
    uri = two_factor.provisioning_uri(admin, secret)
    png = tmp_path / "qr.png"
    import base64

    png.write_bytes(base64.b64decode(two_factor.qr_data_uri(uri).split(",", 1)[1]))
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == uri
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "quantri" in uri


# --- setting it up through the pages ----------------------------------------------------------------

def test_setup_shows_a_qr_code_and_turns_on_only_with_a_right_code(db, login_as, admin):
    client = login_as(admin)
    page = text(client.get("/auth/two-factor/setup"))
    assert 'src="data:image/png;base64,' in page
    with client.session_transaction() as s:
        secret = s["totp_setup_secret"]
    assert two_factor.grouped(secret) in page

    refused = client.post("/auth/two-factor/setup", data={"code": "000000" if now_code(secret) != "000000" else "111111"})
    assert refused.status_code == 200
    assert "Mã không đúng" in text(refused)
    db.session.expire_all()
    assert not admin.two_factor_enabled

    done = client.post("/auth/two-factor/setup", data={"code": now_code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", text(done))
    assert len(codes) == two_factor.RECOVERY_CODES
    assert done.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert admin.two_factor_enabled and admin.totp_secret == secret
    assert all(c not in (admin.totp_recovery or "") for c in codes)  # only digests are stored
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.two_factor_enabled")).one()
    assert secret not in str(entry.changes)


def test_unit_officers_are_not_offered_two_factor(db, users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).get("/auth/two-factor/setup").status_code == 403
    assert login_as(users[Role.SECRETARIAT]).get("/auth/two-factor/setup").status_code == 200
    assert login_as(users[Role.APPROVER]).get("/auth/two-factor").status_code == 200


# --- logging in -------------------------------------------------------------------------------------

def test_login_asks_for_the_code_after_the_password(db, client, admin):
    secret, _ = enable(db, admin)
    first = login(client)
    assert first.status_code == 302 and first.headers["Location"].endswith("/auth/login/code")
    assert client.get("/").status_code == 302  # not logged in yet: the home page sends to the login page
    db.session.expire_all()
    assert admin.last_login_at is None

    done = client.post("/auth/login/code", data={"code": now_code(secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert admin.last_login_at is not None
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_second_factor")) is not None


def test_a_code_cannot_be_used_twice(db, app, admin):
    secret, _ = enable(db, admin)
    code = now_code(secret)
    first, second = app.test_client(), app.test_client()
    login(first)
    assert first.post("/auth/login/code", data={"code": code}).status_code == 302
    login(second)
    replay = second.post("/auth/login/code", data={"code": code})
    assert replay.status_code == 200
    assert services.BAD_CODE in text(replay)


def test_a_recovery_code_logs_in_once(db, app, admin):
    _, codes = enable(db, admin)
    first = app.test_client()
    login(first)
    assert first.post("/auth/login/code", data={"code": codes[0].lower()}).status_code == 302
    db.session.expire_all()
    assert two_factor.recovery_left(admin) == two_factor.RECOVERY_CODES - 1
    second = app.test_client()
    login(second)
    assert services.BAD_CODE in text(second.post("/auth/login/code", data={"code": codes[0]}))


def test_wrong_codes_lock_the_account_like_wrong_passwords(db, app, client, admin):
    secret, _ = enable(db, admin)
    login(client)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/auth/login/code", data={"code": "000000"})
    assert "tạm khóa" in text(response)
    db.session.expire_all()
    assert admin.is_locked()
    # even the right code (and the right password) is refused now
    again = app.test_client()
    assert "tạm khóa" in text(login(again))


def test_the_code_page_without_a_password_step_goes_back_to_login(client):
    response = client.get("/auth/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")


def test_password_step_expires(db, client, admin, monkeypatch):
    secret, _ = enable(db, admin)
    login(client)
    with client.session_transaction() as s:
        s["login_pending"]["at"] = time.time() - 301
        s.modified = True
    response = client.post("/auth/login/code", data={"code": now_code(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get("/").status_code == 302


# --- turning it off ---------------------------------------------------------------------------------

def test_turning_off_needs_password_and_code(db, login_as, admin):
    secret, _ = enable(db, admin)
    client = login_as(admin)
    wrong = client.post("/auth/two-factor/disable", data={"password": "sai-mat-khau-9", "code": now_code(secret)})
    assert "Mật khẩu không đúng." in text(wrong)
    db.session.expire_all()
    assert admin.two_factor_enabled
    client.post("/auth/two-factor/disable", data={"password": factories.PASSWORD, "code": now_code(secret)})
    db.session.expire_all()
    assert not admin.two_factor_enabled and admin.totp_secret is None


def test_admin_resets_another_users_two_factor(db, login_as, admin):
    officer = factories.make_user(username="thuky", roles=[Role.SECRETARIAT])
    db.session.commit()
    enable(db, officer)
    page = text(login_as(admin).get(f"/auth/users/{officer.id}"))
    assert "Đặt lại xác thực hai lớp" in page
    login_as(admin).post(f"/auth/users/{officer.id}/two-factor/reset")
    db.session.expire_all()
    assert not officer.two_factor_enabled
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.two_factor_reset")) is not None


# --- compulsory for staff ---------------------------------------------------------------------------

def test_required_two_factor_sends_staff_to_set_it_up_first(db, app, client, admin, users, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    response = login(client)
    assert response.headers["Location"].endswith("/auth/two-factor/setup")
    assert client.get("/campaigns/").headers["Location"].endswith("/auth/two-factor/setup")
    assert client.get("/auth/two-factor/setup").status_code == 200
    # a unit officer is not concerned
    officer = app.test_client()
    login(officer, username=users[Role.UNIT_OFFICER].username)
    assert officer.get("/campaigns/").status_code == 200


def test_required_two_factor_cannot_be_turned_off(db, app, login_as, admin, monkeypatch):
    secret, _ = enable(db, admin)
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    response = login_as(admin).post("/auth/two-factor/disable",
                                    data={"password": factories.PASSWORD, "code": now_code(secret)})
    assert "bắt buộc" in text(response)
    db.session.expire_all()
    assert admin.two_factor_enabled


# --- passwords chosen by an administrator -----------------------------------------------------------

def test_user_must_replace_a_password_an_administrator_chose(db, app, client, unit):
    services.create_user(username="canbo", full_name="Phạm Thị Thu", password="hoso-vang-2026",
                         roles=[(Role.UNIT_OFFICER, unit.id)])
    db.session.commit()
    response = login(client, username="canbo", password="hoso-vang-2026")
    assert response.headers["Location"].endswith("/auth/password")
    assert client.get("/nominations/").headers["Location"].endswith("/auth/password")
    client.post("/auth/password", data={"current": "hoso-vang-2026", "new": "so-vang-moi-27", "confirm": "so-vang-moi-27"})
    assert client.get("/nominations/").status_code == 200
    user = db.session.scalar(sa.select(User).where(User.username == "canbo"))
    db.session.refresh(user)
    assert not user.must_change_password
