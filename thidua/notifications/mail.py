"""E-mail: writing messages (one per notification, a daily digest, a password-reset link), sending them
through SMTP on the task queue, and the preferences that decide who gets what.

Every message is an `EmailMessage` row first. Without SMTP_HOST it stays there with status OUTBOX (the
admin reads it in the app); otherwise it is QUEUED and its id is put on the task queue **after the
transaction that wrote it commits** (an `after_commit` hook on the session), so the task always finds the
row and a rolled-back action sends nothing. The task re-reads the row and skips it unless it is still
waiting, so a task delivered twice never sends twice.

`send_message(id)` is the task: one SMTP conversation; on failure it counts the attempt, keeps the error
(never the password) and leaves the message RETRYING for Huey to run again after MAIL_RETRY_DELAY seconds,
or FAILED after the last of MAIL_RETRIES retries.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, render_template, request

from thidua import jobs
from thidua.audit.services import label
from thidua.auth.models import User
from thidua.extensions import db, utcnow

from .kinds import KINDS
from .models import EmailMessage, EmailStatus, Notification, NotificationPreference, ReminderLog

PASSWORD_RESET = "auth.password_reset"  # never suppressed by preferences or the digest
DIGEST = "notification.digest"
TASK_NAME = "send_email"
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 60  # seconds between attempts


class MailError(RuntimeError):
    """An SMTP attempt failed; the message names the cause without credentials."""


# --- preferences -----------------------------------------------------------------------------------

def email_kinds() -> dict[str, str]:
    """The kinds a user may turn e-mail off for (code → label): all but the password reset."""
    return {code: name for code, name in KINDS.items() if code != PASSWORD_RESET}


def disabled_kinds(user: User) -> set[str]:
    return disabled_kinds_of([user.id]).get(user.id, set())


def disabled_kinds_of(user_ids) -> dict[int, set[str]]:
    """{user id: kinds they turned e-mail off for}, for many users in one query."""
    found: dict[int, set[str]] = {}
    for user_id, kind in db.session.execute(sa.select(NotificationPreference.user_id, NotificationPreference.kind)
                                            .where(NotificationPreference.user_id.in_(list(user_ids)),
                                                   NotificationPreference.email.is_(False))):
        found.setdefault(user_id, set()).add(kind)
    return found


def wants_email(user: User, kind: str) -> bool:
    """Does `user` want e-mail for `kind` at all (in one message or in the digest)?"""
    return kind == PASSWORD_RESET or kind not in disabled_kinds(user)


def save_preferences(user: User, *, email_on: set[str], digest: bool) -> User:
    """Store `user`'s choice: e-mail for the kinds in `email_on` only, one by one or as a daily digest."""
    rows = {p.kind: p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind in email_kinds():
        wanted = kind in email_on
        row = rows.get(kind)
        if row is None:
            if not wanted:
                db.session.add(NotificationPreference(user_id=user.id, kind=kind, email=False))
        elif row.email != wanted:
            row.email = wanted
    user.email_digest = digest
    label(user, "notification.preferences")
    db.session.flush()
    return user


# --- writing messages ------------------------------------------------------------------------------

def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def public_base_url() -> str:
    """PUBLIC_BASE_URL, else the root of the current request, else http://localhost (in a job)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") if has_request_context() else "http://localhost"


def app_path(endpoint: str, **values) -> str | None:
    """The path of `endpoint`, built without a request (jobs have none); None if no such page exists."""
    from werkzeug.routing import BuildError

    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def absolute_url(path: str | None) -> str | None:
    if not path:
        return None
    return path if "://" in path else public_base_url() + "/" + path.lstrip("/")


def queue_for(user: User, notification: Notification, *, disabled: set[str] | None = None) -> EmailMessage | None:
    """The e-mail for one inbox notification, queued (or kept in the outbox), or None when the user has no
    address, turned e-mail off for this kind, or reads a daily digest instead. `disabled`: the user's
    switched-off kinds when the caller loaded them for many users at once. Flushes; never commits."""
    if not user.email or not user.active:
        return None
    if notification.kind != PASSWORD_RESET:
        if disabled is None:
            disabled = disabled_kinds(user)
        if user.email_digest or notification.kind in disabled:
            return None
    context = {"notification": notification, "link": absolute_url(notification.url),
               "kind_label": KINDS.get(notification.kind, ""),
               "preferences_url": absolute_url(app_path("mail.preferences"))}
    return queue_email(user, kind=notification.kind, subject=notification.title, template="emails/notification",
                       **context)


def queue_email(user: User, /, *, kind: str, subject: str, template: str, **context) -> EmailMessage:
    """Write a message to `user` from `<template>.txt` and `<template>.html` (given `user`, `subject` and
    `context`) and send it once the transaction commits (or keep it in the outbox without SMTP).
    Preferences are the caller's business. Flushes; never commits."""
    context = {**context, "user": user, "subject": subject}
    message = EmailMessage(
        user_id=user.id, to_address=user.email, kind=kind, subject=" ".join(subject.split())[:300],
        text_body=render_template(f"{template}.txt", **context),
        html_body=render_template(f"{template}.html", **context),
        status=EmailStatus.QUEUED if smtp_configured() else EmailStatus.OUTBOX,
    )
    db.session.add(message)
    db.session.flush()
    if message.status == EmailStatus.QUEUED:
        db.session().info.setdefault("mail_after_commit", []).append(message.id)
    return message


def queue_password_reset(user: User, *, link: str) -> EmailMessage:
    """The password-reset link for `user`, whatever their preferences (never part of a digest)."""
    return queue_email(user, kind=PASSWORD_RESET, subject="Đặt lại mật khẩu phần mềm Thi đua - Khen thưởng",
                       template="emails/password_reset", link=link,
                       hours=current_app.config["PASSWORD_RESET_HOURS"])


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _enqueue_committed(session) -> None:
    ids = session.info.pop("mail_after_commit", None)
    for message_id in ids or ():
        try:
            enqueue(message_id)
        except Exception:  # the action is committed: an unreachable queue must not turn it into an error page
            current_app.logger.exception("e-mail %s not queued; it stays QUEUED in the log", message_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop("mail_after_commit", None)


# --- the task --------------------------------------------------------------------------------------

def register_task(app: Flask):
    """Register the sending task on the app's queue (once per Huey instance) and return it. Called when the
    blueprint is registered, so a `flask thidua worker` process knows the task, and again before enqueueing
    (a queue rebuilt by `jobs.init_app` starts without it)."""
    tasks = app.extensions["huey_tasks"]
    if TASK_NAME not in tasks:
        def send_email(message_id: int, task=None):
            with app.app_context():
                send_message(message_id, retries_left=task.retries if task is not None else 0)

        tasks[TASK_NAME] = jobs.huey_of(app).task(
            name=TASK_NAME, context=True, retries=app.config.get("MAIL_RETRIES", DEFAULT_RETRIES),
            retry_delay=app.config.get("MAIL_RETRY_DELAY", DEFAULT_RETRY_DELAY))(send_email)
    return tasks[TASK_NAME]


def enqueue(message_id: int) -> None:
    register_task(current_app._get_current_object())
    jobs.enqueue(TASK_NAME, message_id)


def send_message(message_id: int, *, retries_left: int = 0) -> EmailMessage | None:
    """Send one queued message through SMTP and commit its new status (SENT, RETRYING or FAILED).

    A message that is gone or no longer waiting is skipped. On failure with retries left, raises MailError
    after committing, so that Huey runs the task again."""
    message = db.session.get(EmailMessage, message_id)
    if message is None or message.status not in (EmailStatus.QUEUED, EmailStatus.RETRYING):
        return message
    message.attempts += 1
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = describe_error(exc)
        message.status = EmailStatus.RETRYING if retries_left > 0 else EmailStatus.FAILED
        db.session.commit()
        if retries_left > 0:
            raise MailError(message.last_error) from None
        return message
    message.status = EmailStatus.SENT
    message.sent_at = utcnow()
    db.session.commit()
    return message


def mime_message(message: EmailMessage) -> MimeMessage:
    config = current_app.config
    mime = MimeMessage()
    mime["Subject"] = message.subject
    mime["From"] = config["MAIL_FROM"]
    mime["To"] = message.to_address
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=(config["MAIL_FROM"].rpartition("@")[2].strip(" >") or "localhost"))
    mime.set_content(message.text_body)
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html")
    return mime


def deliver(message: EmailMessage) -> None:
    """One SMTP conversation: SSL or STARTTLS as configured, login when a user is set, then the message."""
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    if config["SMTP_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(mime_message(message))


def describe_error(exc: BaseException) -> str:
    """The error as kept on the message: its class and text, with the SMTP password blanked out."""
    text = f"{type(exc).__name__}: {exc}"
    password = current_app.config.get("SMTP_PASSWORD")
    if password:
        text = text.replace(password, "***")
    return text[:2000]


# --- the daily digest ------------------------------------------------------------------------------

def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of `day` in the application's time zone, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return start, start + timedelta(days=1)


def send_digests(day: date) -> list[EmailMessage]:
    """The digests sent on `day` (by the daily run at 07:00): one message per user who chose the daily
    digest, listing their notifications of the day before (local time) still unread, of the kinds they want
    by e-mail. So every notification falls in exactly one digest, whatever the hour of the run. Never twice
    for a user and a day (a ReminderLog row keyed "digest:<day>"); a user with nothing to read gets nothing.
    Flushes; the caller commits (and the messages are sent after that commit)."""
    covered = day - timedelta(days=1)
    start, end = day_bounds(covered)
    key = f"digest:{day.isoformat()}"
    already = sa.select(ReminderLog.id).where(ReminderLog.user_id == User.id, ReminderLog.key == key)
    users = db.session.scalars(sa.select(User).where(
        User.email_digest.is_(True), User.active.is_(True), User.email.is_not(None), User.email != "",
        ~already.exists()).order_by(User.id)).all()
    sent = []
    for user in users:
        off = disabled_kinds(user)
        items = [n for n in db.session.scalars(sa.select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None),
            Notification.created_at >= start, Notification.created_at < end).order_by(Notification.created_at))
            if n.kind not in off]
        if not items:
            continue
        subject = f"Tổng hợp thông báo ngày {covered:%d/%m/%Y} ({len(items)} thông báo chưa đọc)"
        sent.append(queue_email(user, kind=DIGEST, subject=subject, template="emails/digest", day=covered, items=[(n, KINDS.get(n.kind, ""), absolute_url(n.url)) for n in items],
                                inbox_url=absolute_url(app_path("notifications.inbox")),
                                preferences_url=absolute_url(app_path("mail.preferences"))))
        db.session.add(ReminderLog(user_id=user.id, key=key))
    db.session.flush()
    return sent
