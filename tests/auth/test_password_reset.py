"""Password reset by e-mail: one answer whether or not the account exists, a signed link that expires and
works once, the usual password rules, and an audit entry."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous.timed import TimestampSigner

from thidua.audit.models import AuditEntry
from thidua.auth import services
from thidua.auth.models import Role
from thidua.notifications import mail
from thidua.notifications.models import EmailMessage, EmailStatus

from .. import factories

SENT = "Nếu tài khoản tồn tại và có địa chỉ thư điện tử, chúng tôi đã gửi hướng dẫn đặt lại mật khẩu"
REFUSED = "Liên kết này không hợp lệ, đã hết hạn hoặc đã được dùng."


@pytest.fixture
def account(db, unit):
    user = factories.make_user(username="hang", full_name="Nguyễn Thị Hằng", roles=[Role.UNIT_OFFICER], unit=unit,
                               email="Hang@SGDDT.thanhhoa.gov.vn", password="cu-matkhau-1")
    db.session.commit()
    return user


def reset_mails(db) -> list[EmailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == mail.PASSWORD_RESET)))


def link_in(message: EmailMessage) -> str:
    return re.search(r"http://localhost(/auth/reset/\S+)", message.text_body).group(1)


def test_login_page_offers_forgotten_password_link(client):
    assert 'href="/auth/forgot"' in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("login", ["hang", "hang@sgddt.thanhhoa.gov.vn"])
def test_forgot_by_username_or_address_mails_a_reset_link(db, client, account, login):
    response = client.post("/auth/forgot", data={"login": login}, follow_redirects=True)
    assert SENT in response.get_data(as_text=True)
    [message] = reset_mails(db)
    assert message.to_address == "Hang@SGDDT.thanhhoa.gov.vn" and message.status == EmailStatus.OUTBOX
    assert message.subject == "Đặt lại mật khẩu phần mềm Thi đua - Khen thưởng"
    assert "hết hạn sau 2 giờ" in message.text_body and link_in(message)


def test_forgot_for_unknown_account_answers_the_same_and_sends_nothing(db, client, account):
    known = client.post("/auth/forgot", data={"login": "hang"})
    unknown = client.post("/auth/forgot", data={"login": "khong-ton-tai@example.vn"})
    assert (unknown.status_code, unknown.headers["Location"]) == (known.status_code, known.headers["Location"])
    assert SENT in client.get("/auth/login").get_data(as_text=True)
    assert len(reset_mails(db)) == 1


def test_reset_mail_ignores_preferences_and_digest(db, client, account):
    mail.save_preferences(account, email_on=set(), digest=True)
    db.session.commit()
    client.post("/auth/forgot", data={"login": "hang"})
    assert len(reset_mails(db)) == 1


def test_reset_link_sets_new_password_once_and_is_audited(db, client, account):
    client.post("/auth/forgot", data={"login": "hang"})
    link = link_in(reset_mails(db)[0])
    page = client.get(link)
    assert page.status_code == 200 and "Đặt lại mật khẩu" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(link, data={"new": "moi-matkhau-2", "confirm": "moi-matkhau-2"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    db.session.expire_all()
    assert account.check_password("moi-matkhau-2") and not account.check_password("cu-matkhau-1")
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.password_reset",
                                                         AuditEntry.object_type == "users",
                                                         AuditEntry.object_id == str(account.id))) is not None
    reused = client.post(link, data={"new": "khac-matkhau-3", "confirm": "khac-matkhau-3"})
    assert reused.status_code == 400 and REFUSED in reused.get_data(as_text=True)
    db.session.expire_all()
    assert account.check_password("moi-matkhau-2")


def test_reset_link_lifts_a_lockout(db, client, account):
    client.post("/auth/forgot", data={"login": "hang"})
    for _ in range(3):
        services.authenticate("hang", "sai-matkhau-0")
    db.session.commit()
    assert account.is_locked()
    client.post(link_in(reset_mails(db)[0]), data={"new": "moi-matkhau-2", "confirm": "moi-matkhau-2"})
    assert services.authenticate("hang", "moi-matkhau-2").user == account


def test_expired_link_is_refused_like_a_forged_one(db, app, client, account, monkeypatch):
    signed_at = int(time.time()) - app.config["PASSWORD_RESET_HOURS"] * 3600 - 5
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        token = services.password_reset_token(account)
    expired = client.get(f"/auth/reset/{token}")
    forged = client.get(f"/auth/reset/{token[:-3]}abc")
    assert expired.status_code == forged.status_code == 400
    assert expired.get_data(as_text=True) == forged.get_data(as_text=True)
    assert REFUSED in expired.get_data(as_text=True)
    fresh = services.password_reset_token(account)
    assert client.get(f"/auth/reset/{fresh}").status_code == 200


def test_token_of_another_app_secret_is_refused(db, app, client, account, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    token = services.password_reset_token(account)
    monkeypatch.undo()
    assert client.get(f"/auth/reset/{token}").status_code == 400


def test_weak_new_password_is_refused_beside_the_field(db, client, account):
    token = services.password_reset_token(account)
    response = client.post(f"/auth/reset/{token}", data={"new": "9081726354", "confirm": "9081726354"})
    assert response.status_code == 200
    assert "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt." in response.get_data(as_text=True)
    db.session.expire_all()
    assert account.check_password("cu-matkhau-1")
    assert client.get(f"/auth/reset/{token}").status_code == 200  # the link still works


def test_forgot_form_needs_its_csrf_token(csrf_app, db, client, account):
    response = client.post("/auth/forgot", data={"login": "hang"})
    assert response.status_code == 400
    assert reset_mails(db) == []
