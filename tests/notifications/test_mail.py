"""E-mail: the outbox without SMTP, a real SMTP round-trip (aiosmtpd) through the task queue, retries then
FAILED, preferences and the daily digest, and the admin's log."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from thidua import jobs
from thidua.auth.models import Role
from thidua.notifications import mail
from thidua.notifications.models import EmailMessage, EmailStatus, Notification
from thidua.notifications.services import notify

from .. import factories

KIND = "nomination.returned"
TITLE = "Hồ sơ của Nguyễn Thị Hằng bị trả lại để bổ sung"
BODY = "Đề nghị bổ sung bản sao Quyết định công nhận sáng kiến cấp tỉnh."


def messages(db) -> list[EmailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(EmailMessage).order_by(EmailMessage.id)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_status(db, message_id: int, *statuses: EmailStatus, timeout: float = 20) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        message = db.session.get(EmailMessage, message_id)
        if message.status in statuses:
            return message
        time.sleep(0.1)
    raise AssertionError(f"message {message_id} still {message.status} after {timeout} s")


@pytest.fixture
def recipient(db, unit):
    user = factories.make_user(username="hang", full_name="Nguyễn Thị Hằng", roles=[Role.UNIT_OFFICER], unit=unit,
                               email="hang@sgddt.thanhhoa.gov.vn")
    db.session.commit()
    return user


@pytest.fixture
def queue(app, tmp_path):
    """An SQLite queue file for this test, consumed by the embedded thread (stopped afterwards)."""
    keys = ("REDIS_URL", "TASK_QUEUE_FILE", "TASK_QUEUE_EMBEDDED", "TASK_QUEUE_PERIODIC")
    saved = {key: app.config.get(key) for key in keys}
    before = (app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"])
    app.config.update(REDIS_URL="", TASK_QUEUE_FILE=tmp_path / "jobs.sqlite3", TASK_QUEUE_EMBEDDED=True,
                      TASK_QUEUE_PERIODIC=False)
    jobs.init_app(app)
    yield
    jobs.stop_embedded_consumer(app)
    app.config.update(saved)
    app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"] = before


class Inbox:
    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                           policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 (aiosmtpd), and the app configured to send through it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False, "SMTP_SSL": False,
                       "SMTP_USER": "", "SMTP_TIMEOUT": 5, "PUBLIC_BASE_URL": "https://thidua.thanhhoa.gov.vn",
                       "MAIL_FROM": "Thi đua - Khen thưởng <no-reply@thanhhoa.gov.vn>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


def test_notification_without_smtp_is_kept_in_outbox_with_link(db, app, recipient, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://thidua.thanhhoa.gov.vn")
    notify([recipient], kind=KIND, title=TITLE, body=BODY, url="/nominations/7")
    db.session.commit()
    [message] = messages(db)
    assert message.status == EmailStatus.OUTBOX and message.attempts == 0
    assert message.to_address == "hang@sgddt.thanhhoa.gov.vn" and message.subject == TITLE
    assert "Kính gửi Nguyễn Thị Hằng" in message.text_body and BODY in message.text_body
    assert "https://thidua.thanhhoa.gov.vn/nominations/7" in message.text_body
    assert 'href="https://thidua.thanhhoa.gov.vn/nominations/7"' in message.html_body


def test_smtp_round_trip_delivers_vietnamese_message_through_the_queue(db, recipient, smtp_server, queue):
    notify([recipient], kind=KIND, title=TITLE, body=BODY, url="/nominations/7")
    [queued] = messages(db)
    assert queued.status == EmailStatus.QUEUED
    db.session.commit()  # the task is enqueued only now
    sent = wait_status(db, queued.id, EmailStatus.SENT, EmailStatus.FAILED)
    assert sent.status == EmailStatus.SENT and sent.attempts == 1 and sent.sent_at is not None
    [(rcpt_tos, received)] = smtp_server.received
    assert rcpt_tos == ["hang@sgddt.thanhhoa.gov.vn"]
    assert received["To"] == "hang@sgddt.thanhhoa.gov.vn"
    assert received["Subject"] == TITLE
    assert str(received["From"]) == "Thi đua - Khen thưởng <no-reply@thanhhoa.gov.vn>"
    text = received.get_body(("plain",)).get_content()
    assert BODY in text and "Xem chi tiết: https://thidua.thanhhoa.gov.vn/nominations/7" in text
    assert "Hồ sơ bị trả lại để bổ sung" in received.get_body(("html",)).get_content()


def test_rolled_back_action_sends_nothing(db, recipient, smtp_server, queue):
    notify([recipient], kind=KIND, title=TITLE, body=BODY)
    db.session.rollback()
    db.session.commit()
    time.sleep(1.5)
    assert messages(db) == [] and smtp_server.received == []


def test_refused_connection_is_retried_then_failed_without_password(db, app, recipient, queue, monkeypatch):
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_STARTTLS": False,
                       "SMTP_USER": "thidua", "SMTP_PASSWORD": "mat-khau-bi-mat", "SMTP_TIMEOUT": 2,
                       "MAIL_RETRIES": 2, "MAIL_RETRY_DELAY": 1}.items():
        monkeypatch.setitem(app.config, key, value)
    jobs.init_app(app)  # a fresh queue: the task is registered with these retries
    notify([recipient], kind=KIND, title=TITLE)
    db.session.commit()
    [queued] = messages(db)
    retrying = wait_status(db, queued.id, EmailStatus.RETRYING)
    assert retrying.attempts == 1
    failed = wait_status(db, queued.id, EmailStatus.FAILED)
    assert failed.attempts == 3 and failed.sent_at is None
    assert "ConnectionRefusedError" in failed.last_error and "mat-khau-bi-mat" not in failed.last_error


def test_error_text_never_keeps_the_smtp_password(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "mat-khau-bi-mat")
    text = mail.describe_error(RuntimeError("535 auth failed for thidua:mat-khau-bi-mat"))
    assert "mat-khau-bi-mat" not in text and "535 auth failed" in text


def test_kind_turned_off_sends_no_mail_but_inbox_still_receives(db, recipient):
    mail.save_preferences(recipient, email_on=set(mail.email_kinds()) - {KIND}, digest=False)
    notify([recipient], kind=KIND, title=TITLE)
    notify([recipient], kind="campaign.opened", title="Phát động phong trào thi đua năm 2025")
    db.session.commit()
    assert [m.kind for m in messages(db)] == ["campaign.opened"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2


def test_digest_user_and_user_without_address_get_no_immediate_mail(db, recipient, unit):
    recipient.email_digest = True
    no_address = factories.make_user(roles=[Role.UNIT_OFFICER], unit=unit)
    notify([recipient, no_address], kind=KIND, title=TITLE)
    db.session.commit()
    assert messages(db) == []


def test_preferences_page_saves_choices_per_kind_and_digest(db, recipient, login_as):
    client = login_as(recipient)
    page = client.get("/mail/preferences").get_data(as_text=True)
    assert "Hồ sơ bị trả lại để bổ sung" in page and "hang@sgddt.thanhhoa.gov.vn" in page
    assert "auth.password_reset" not in page
    kept = [k for k in mail.email_kinds() if k != KIND]
    response = client.post("/mail/preferences", data={"email_kinds": kept, "delivery": "digest"})
    assert response.status_code == 302
    db.session.expire_all()
    assert mail.disabled_kinds(recipient) == {KIND} and recipient.email_digest is True
    page = client.get("/mail/preferences").get_data(as_text=True)
    checked = set(re.findall(r'<input checked[^>]*name="email_kinds"[^>]*value="([^"]+)"', page))
    assert checked == set(kept)
    assert '<option selected value="digest">' in page


def _notification_at(db, user, when: datetime, title: str, **kw) -> Notification:
    n = Notification(user_id=user.id, kind=kw.pop("kind", KIND), title=title, url="/nominations/7",
                     created_at=when, **kw)
    db.session.add(n)
    db.session.flush()
    return n


def test_digest_lists_previous_days_unread_notifications_once_per_day(db, app, recipient):
    recipient.email_digest = True
    zone = ZoneInfo(app.config["TIMEZONE"])
    today = date(2025, 3, 6)
    yesterday_noon = datetime(2025, 3, 5, 12, 0, tzinfo=zone).astimezone(UTC)
    _notification_at(db, recipient, yesterday_noon, "Hồ sơ thứ nhất bị trả lại")
    _notification_at(db, recipient, yesterday_noon + timedelta(hours=11, minutes=30), "Hồ sơ thứ hai bị trả lại")
    _notification_at(db, recipient, yesterday_noon, "Đã đọc rồi", read_at=yesterday_noon)
    _notification_at(db, recipient, yesterday_noon - timedelta(days=1), "Của hôm kia")
    _notification_at(db, recipient, yesterday_noon + timedelta(hours=12, minutes=30), "Sáng nay (ngày mai gửi)")
    [digest] = mail.send_digests(today)
    db.session.commit()
    assert digest.subject == "Tổng hợp thông báo ngày 05/03/2025 (2 thông báo chưa đọc)"
    assert "Hồ sơ thứ nhất bị trả lại" in digest.text_body and "Hồ sơ thứ hai bị trả lại" in digest.text_body
    for absent in ("Đã đọc rồi", "Của hôm kia", "Sáng nay"):
        assert absent not in digest.text_body
    assert mail.send_digests(today) == []  # the daily run may run twice: one digest a day
    db.session.commit()
    assert len(messages(db)) == 1


def test_email_log_lists_outbox_for_admin_only(db, recipient, users, login_as):
    notify([recipient], kind=KIND, title=TITLE, body=BODY)
    db.session.commit()
    [message] = messages(db)
    admin = login_as(users[Role.ADMIN])
    page = admin.get("/mail/?status=outbox").get_data(as_text=True)
    assert TITLE in page and "hang@sgddt.thanhhoa.gov.vn" in page and "Chưa cấu hình máy chủ gửi thư" in page
    assert TITLE not in admin.get("/mail/?status=failed").get_data(as_text=True)
    assert BODY in admin.get(f"/mail/{message.id}").get_data(as_text=True)
    assert login_as(users[Role.SECRETARIAT]).get(f"/mail/{message.id}").status_code == 403
    assert login_as(recipient).get("/mail/").status_code == 403
