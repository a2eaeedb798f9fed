"""Configuration read from the environment.

`Config` is what `create_app()` uses; `TestConfig` is what the test suite uses. Every setting
that differs between machines comes from an environment variable documented in the README.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = os.environ.get("THIDUA_ENV", "development")  # development | production
    INSTANCE_PATH = Path(os.environ.get("THIDUA_INSTANCE_PATH", DEFAULT_INSTANCE))

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'thidua.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Seconds before an unreachable PostgreSQL counts as down (the request gets the 503 page): thidua.errors.
    DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))

    UPLOAD_FOLDER = Path(os.environ.get("UPLOAD_FOLDER", INSTANCE_PATH / "uploads"))
    # Flask rejects any request body larger than this with 413 before a view runs.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    MAX_UPLOAD_BYTES = MAX_CONTENT_LENGTH

    # Login throttling: after LOGIN_MAX_FAILURES wrong passwords the account is locked for
    # LOGIN_LOCKOUT_MINUTES; the counter resets on success.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))

    SESSION_COOKIE_NAME = "thidua_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "8")))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=7)

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    BOOTSTRAP_SERVE_LOCAL = True  # never a CDN: the app runs on offline government LANs
    BOOTSTRAP_BTN_STYLE = "primary"

    # Behind a reverse proxy (nginx): how many proxies set X-Forwarded-For/-Proto/-Host in front of the app.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per log line

    TIMEZONE = os.environ.get("THIDUA_TIMEZONE", "Asia/Ho_Chi_Minh")
    TESTING = False

    # The address citizens reach the app at: certificates' QR codes point to <PUBLIC_BASE_URL>/verify/<code>.
    # Without it the QR code uses the address of the request (or http://localhost in background jobs).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

    # Background jobs (certificate batches) run on Huey: on Redis when REDIS_URL is set (with
    # `flask thidua worker` as the consumer), otherwise on an SQLite file under instance/ consumed by a
    # thread inside the web process — no extra server needed.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    TASK_QUEUE_FILE = Path(os.environ.get("TASK_QUEUE_FILE", INSTANCE_PATH / "jobs.sqlite3"))
    TASK_QUEUE_EMBEDDED = _bool("TASK_QUEUE_EMBEDDED", not REDIS_URL)
    # Run the daily job (reminders, digest, purge) at 07:00 from the consumers; a cron job or systemd timer
    # running `flask thidua reminders` is the reliable path (the embedded consumer starts with the first job).
    TASK_QUEUE_PERIODIC = _bool("TASK_QUEUE_PERIODIC", True)
    # E-mail: sent through this SMTP server on the task queue; without SMTP_HOST messages are kept in the
    # outbox that administrators read in the app (nothing is lost).
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_SSL = _bool("SMTP_SSL", False)
    SMTP_TIMEOUT = int(os.environ.get("SMTP_TIMEOUT", "20"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Thi đua - Khen thưởng <no-reply@localhost>")
    MAIL_RETRIES = int(os.environ.get("MAIL_RETRIES", "3"))  # retries of a failed sending, then "failed"
    MAIL_RETRY_DELAY = int(os.environ.get("MAIL_RETRY_DELAY", "60"))  # seconds between them
    # Reminders N days before a campaign's nomination deadline; inbox entries kept this many days.
    REMINDER_DAYS = tuple(int(d) for d in os.environ.get("REMINDER_DAYS", "7,1").split(",") if d.strip())
    NOTIFICATION_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_RETENTION_DAYS", "365"))
    PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", "2"))
    # Password policy (thidua/auth/passwords.py) and two-factor login (thidua/auth/two_factor.py): with
    # TOTP_REQUIRED, administrators, the secretariat and approvers must turn on two-factor login.
    PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))
    TOTP_REQUIRED = _bool("TOTP_REQUIRED", False)
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Thi đua - Khen thưởng")
    # Rate limits (thidua/ratelimit.py): counters in Redis when REDIS_URL is set, else in process memory;
    # each RATELIMIT_<NAME> limit (e.g. RATELIMIT_LOGIN="30 per minute; 300 per hour") can be set too.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")

    # Certificate batches: pages per chunk (one WeasyPrint document each, on a fresh worker process) and
    # worker processes. A worker holds about 40 MB plus 0.5 MB a page of its chunk, so the chunk size bounds
    # a batch's memory whatever its length; 100 pages keeps a 2,000-page batch under 400 MB in all
    # (bench/certificates.py) for a few percent of speed against 200.
    PRINT_CHUNK_PAGES = int(os.environ.get("PRINT_CHUNK_PAGES", "100"))
    PRINT_PROCESSES = int(os.environ.get("PRINT_PROCESSES", "2"))
    # A batch "running" with no sign of life (heartbeat) for this long was left by a consumer that died: it is
    # marked failed (thidua.certificates.batch.sweep_stale_jobs). A chunk finishing is a sign of life.
    PRINT_JOB_STALE_MINUTES = float(os.environ.get("PRINT_JOB_STALE_MINUTES", "15"))


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    LOGIN_MAX_FAILURES = 3
    LOGIN_LOCKOUT_MINUTES = 15
    # No consumer thread on the session's app: tests that run jobs start their own queue and consumer.
    TASK_QUEUE_EMBEDDED = False
    TASK_QUEUE_PERIODIC = False
    # Every test client comes from 127.0.0.1: tests of the limits build an app with them on.
    RATELIMIT_ENABLED = False


def resolve_secret_key(config) -> str:
    """Return the configured secret key, or in development create one kept under instance/.

    Production refuses to start without SECRET_KEY: a generated key would differ between
    workers and log every user out on restart.
    """
    key = config.get("SECRET_KEY")
    if key:
        return key
    if config.get("ENV_NAME") == "production":
        raise RuntimeError("SECRET_KEY must be set in production (THIDUA_ENV=production).")
    path = Path(config["INSTANCE_PATH"]) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
