"""Request ids, structured logs and the `/healthz` probe.

Every request gets an id: the one a proxy sent in `X-Request-ID` when it is a safe token, otherwise a new
one. It is kept in `g.request_id`, sent back in the `X-Request-ID` response header, and stamped on every log
record written while the request runs, so one line of a user's complaint finds all of that request's lines.
With `LOG_FORMAT=json` the app's log handler writes one JSON object per line, and each request ends with an
access line (method, path, status, duration_ms).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, jsonify, request
from flask.logging import default_handler, wsgi_errors_stream

from .errors import describe_error
from .extensions import db
from .permissions import requires

SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEALTH_TIMEOUT_SECONDS = 3

access_log = logging.getLogger("thidua.access")

bp = Blueprint("observability", __name__)


def init_app(app: Flask) -> None:
    """Give every request an id, log each request, and route the app's logs through one handler."""
    app.config.setdefault("LOG_FORMAT", "text")  # set from the environment in thidua.config
    app.extensions["thidua_healthz"] = {"lock": threading.Lock()}  # the /healthz probe under way
    configure_logging(app)
    app.before_request(_start_request)
    app.after_request(_finish_request)


def configure_logging(app: Flask) -> logging.Handler:
    """Replace the handlers of the app's logger (the `thidua` logger, parent of every `thidua.*` one) with one
    handler in the configured format. Returns it. Calling it again replaces the handler, never adds one."""
    logger = app.logger
    for handler in list(logger.handlers):
        if handler is default_handler or getattr(handler, "thidua", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(wsgi_errors_stream)  # the server's error log, stderr outside a request
    handler.thidua = True
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.DEBUG if app.debug else logging.INFO)
    return handler


def request_id_from(incoming: str | None) -> str:
    """The incoming id when it is a safe token (≤ 64 of A–Z a–z 0–9 . _ -), else a new random one: the id is
    written into logs and headers, so nothing else a client sends may pass."""
    if incoming and SAFE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get("X-Request-ID"))
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    access_log.info("%s %s %s %sms", request.method, request.path, response.status_code, duration_ms,
                    extra={"status": response.status_code, "duration_ms": duration_ms})
    return response


class RequestContextFilter(logging.Filter):
    """Stamp the request's id, method and path on each record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id") or "-"
            record.method = request.method
            record.path = request.path
        else:
            record.request_id = "-"
            record.method = record.path = None
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and where known method, path,
    status, duration_ms and the exception's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in ("method", "path", "status", "duration_ms"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@bp.get("/healthz")
@requires("health.check")
def healthz():
    """200 when the database answers `SELECT 1` within HEALTH_TIMEOUT_SECONDS, else 503; never cached, no login.

    The probe runs on a thread that the request waits for at most HEALTH_TIMEOUT_SECONDS, so the answer comes
    in time whatever the database does: refuses connections (at once), is unreachable (the connect timeout,
    thidua.errors), accepts connections but never answers, or holds a pooled connection that hangs in the
    pre-ping. At most one probe runs at a time per process: a request arriving while one is under way waits
    for that probe's answer (a monitor polling a busy server gets the truth, not a false 503) instead of
    piling up threads and connections."""
    thread, outcome = _current_probe(db.engine, current_app.extensions["thidua_healthz"])
    thread.join(HEALTH_TIMEOUT_SECONDS)
    if thread.is_alive():
        return _health_response(503, f"no answer from the database within {HEALTH_TIMEOUT_SECONDS} s")
    if "error" in outcome:
        return _health_response(503, describe_error(outcome["error"]))
    return _health_response(200)


def _current_probe(engine: sa.Engine, state: dict) -> tuple[threading.Thread, dict]:
    """The probe under way, or a new one started; `state` holds it and the lock guarding it."""
    with state["lock"]:
        running = state.get("probe")
        if running is not None and running[0].is_alive():
            return running
        outcome: dict = {}
        thread = threading.Thread(target=_probe, args=(engine, outcome), name="thidua-healthz", daemon=True)
        thread.start()
        state["probe"] = (thread, outcome)
        return thread, outcome


def _probe(engine: sa.Engine, outcome: dict) -> None:
    """`SELECT 1` with a statement timeout; records an exception in `outcome`."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SET LOCAL statement_timeout = {HEALTH_TIMEOUT_SECONDS * 1000}"))
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure means "unavailable"; the request thread reports it
        outcome["error"] = exc


def _health_response(status: int, problem: str | None = None) -> Response:
    if problem is not None:
        # One line, no traceback: a probe every few seconds while the database is down must not flood the log.
        logging.getLogger(__name__).warning("health check: the database is unavailable (%s)", problem)
    body = {"status": "ok", "database": "ok"} if status == 200 else {"status": "error", "database": "unavailable"}
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
