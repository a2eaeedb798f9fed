"""Error pages in Vietnamese: 400 (incl. a missing or wrong CSRF token), 403, 404, 405, 413, 500, and 503 when
the database cannot be reached.

**503, the database is away.** A request that fails because PostgreSQL is down, restarting, refusing
connections, or dropped the connection mid-request (`database_unavailable` tells these from a wrong query)
gets a 503 page with `Retry-After`. The session is rolled back, so the request's open transaction (all its
rows and its audit entries) is gone as a whole, and the error is logged as one line carrying the request
id (no traceback: a restart of the database would flood the log). The page says what became of the data
just sent, from how far the request's transactions got (`commit_state`): not saved (the usual case);
saved, when the failure came after the commit (a view reading the saved row again to redirect to it); or
unknown, when the connection broke during the COMMIT itself, whose outcome the server never reported. The
engine's `pool_pre_ping` then replaces the dead pooled connections on their next checkout, so the first
request after the database is back succeeds without restarting the web server. A page behind the login
fails the same way (Flask-Login's user loader is the first to ask the database). The page does not extend
`base.html`, whose navigation asks the database (the signed-in user's permissions, the bell); neither
does the 500 page when `error.html` itself cannot be drawn.

`init_database_guard` gives PostgreSQL connections a connect timeout (`DATABASE_CONNECT_TIMEOUT` seconds):
without it an unreachable host keeps a request waiting for the operating system's TCP timeout (minutes),
longer than gunicorn's, and the user gets no page at all. It also installs the commit tracking.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from .extensions import db, login_manager

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Máy chủ không hiểu yêu cầu này. Vui lòng tải lại trang và thử lại."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không được phép thực hiện thao tác này."),
    404: ("Không tìm thấy", "Trang hoặc dữ liệu bạn tìm không tồn tại hoặc đã bị xóa."),
    405: ("Thao tác không được hỗ trợ", "Trang này không nhận kiểu yêu cầu vừa gửi."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Dữ liệu chưa được lưu; vui lòng thử lại sau hoặc báo quản trị viên."),
    503: ("Hệ thống tạm thời gián đoạn",
          "Hệ thống tạm thời gián đoạn do không kết nối được cơ sở dữ liệu. Dữ liệu bạn vừa gửi chưa được lưu, "
          "vui lòng thử lại sau ít phút."),
}
# What the 503 page says about the data just sent, by `commit_state()`.
UNAVAILABLE_MESSAGES = {
    "not_saved": MESSAGES[503][1],
    "saved": "Dữ liệu bạn vừa gửi đã được lưu, nhưng hệ thống tạm thời gián đoạn (không kết nối được cơ sở dữ liệu) "
             "nên chưa hiển thị được trang tiếp theo. Vui lòng mở lại trang sau ít phút; không cần gửi lại.",
    "unknown": "Hệ thống tạm thời gián đoạn: kết nối tới cơ sở dữ liệu bị ngắt đúng lúc lưu, nên chưa rõ dữ liệu "
               "bạn vừa gửi đã được lưu hay chưa. Sau ít phút, vui lòng kiểm tra lại trước khi gửi lại.",
}
LOGGED_STATES = {"not_saved": "nothing saved", "saved": "after a commit", "unknown": "during a commit"}
RETRY_AFTER_SECONDS = 30  # a PostgreSQL restart takes seconds; a browser or proxy may retry after this

# PostgreSQL SQLSTATEs that mean "the server cannot serve now", not "this statement is wrong": class 08
# (connection exception), class 53 (insufficient resources: too many connections, disk full, out of memory)
# and 57P01–57P05 (administrator or crash shutdown, starting up or in recovery, database dropped, idle
# session timeout). Errors raised by the client library itself (connection refused, server closed the
# connection) have no SQLSTATE.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
# SQLite result codes of the same kind (the file is locked by another writer, cannot be opened, I/O error).
UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL",
                             "SQLITE_PROTOCOL", "SQLITE_NOTADB")


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def render_plain(code: int, message: str | None = None, *, state: str | None = None) -> str:
    """The page of `code` drawn without asking the database: not through `render_template`, whose context
    processors load the signed-in user (Flask-Login's) among others, and without the site's navigation."""
    title, default = MESSAGES[code]
    template = current_app.jinja_env.get_template("errors/plain.html")
    # request, g and url_for are Jinja globals
    return template.render(code=code, title=title, message=message or default, state=state)


def database_unavailable(error: BaseException | None) -> bool:
    """Did `error` (or an exception it was raised from) come from a database that cannot be reached, is
    restarting or dropped the connection, rather than from a wrong query or a broken rule?"""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _unavailable(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, sa.exc.DisconnectionError):
        return True
    if isinstance(error, sa.exc.PendingRollbackError):
        # Raised when the session is used again after its connection was invalidated by a disconnect.
        return "invalid transaction" in str(error)
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
            return True
        return _unavailable_driver_error(error.orig)
    return _unavailable_driver_error(error)


def _unavailable_driver_error(error: BaseException | None) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        psycopg = None
    if psycopg is not None and isinstance(error, psycopg.Error):
        if isinstance(error, psycopg.InterfaceError):
            return True
        if isinstance(error, psycopg.OperationalError):
            return error.sqlstate is None or error.sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
        return False
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorname", "").startswith(UNAVAILABLE_SQLITE_ERRORS)
    return False


def describe_error(error: BaseException) -> str:
    """The driver's error class and the first line of its message, for a one-line log entry."""
    detail = getattr(error, "orig", None) or error
    lines = str(detail).strip().splitlines()
    return f"{type(detail).__module__}.{type(detail).__name__}: {lines[0] if lines else ''}"


def _rollback_quietly() -> None:
    with contextlib.suppress(sa.exc.SQLAlchemyError):  # a dead connection: the pool drops it when the session closes
        db.session.rollback()


def commit_state() -> str:
    """How far the current request's writes got: "unknown" while a COMMIT was sent and not reported done,
    "saved" once a commit is done, else "not_saved"."""
    if g.get("_db_commit_pending"):
        return "unknown"
    return "saved" if g.get("_db_committed") else "not_saved"


def unavailable_response(error: BaseException):
    """The 503 answer: the page (or JSON for a client that asked for JSON), `Retry-After`, never cached.
    Rolls the session back first: the request's open transaction is dropped as a whole."""
    state = commit_state()
    _rollback_quietly()
    log.warning("database unavailable, answered 503 (%s): %s", LOGGED_STATES[state], describe_error(error))
    message = UNAVAILABLE_MESSAGES[state]
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        response = jsonify(error="database_unavailable", saved=state, message=message)
    else:
        response = current_app.make_response(render_plain(503, message, state=state))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_database_guard(app: Flask) -> None:
    """Give every new PostgreSQL connection of the app's engines `connect_timeout` =
    DATABASE_CONNECT_TIMEOUT seconds (libpq counts at least 2) unless the URL sets one, and note in `g` the
    commits of each request (for `commit_state`)."""
    timeout = int(app.config.get("DATABASE_CONNECT_TIMEOUT", 5))
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        sa.event.listen(engine, "commit", _commit_sent)
        if engine.dialect.name == "postgresql":

            @sa.event.listens_for(engine, "do_connect")
            def _connect_timeout(dialect, connection_record, cargs, cparams, timeout=timeout):
                cparams.setdefault("connect_timeout", timeout)

    if not sa.event.contains(db.session, "after_commit", _commit_done):
        sa.event.listen(db.session, "after_commit", _commit_done)


def _commit_sent(connection) -> None:
    if has_request_context():  # not in background jobs, nor in the health probe's thread
        g._db_commit_pending = True


def _commit_done(session) -> None:
    if has_request_context():
        g._db_commit_pending = False
        g._db_committed = True


def close_session(exc: BaseException | None = None) -> None:
    """End the request's session (teardown, run before Flask-SQLAlchemy's own). Closing rolls back, and when
    the connection died after the response was made (the dossier saved, the redirect ready), that rollback
    fails: the error would escape Flask, and gunicorn would answer its bare 500 instead of the response. The
    dead connection is discarded instead, with one log line."""
    if not db.session.registry.has():
        return
    try:
        db.session.remove()
    except sa.exc.SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        # The request context is gone (app-context teardown): its id comes from `g`.
        log.warning("database connection lost when request %s ended: %s", g.get("request_id", "-"),
                    describe_error(error))
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.registry().invalidate()  # closes without the rollback; the pool drops the connection
        db.session.remove()


def register_error_handlers(app: Flask) -> None:
    init_database_guard(app)
    app.teardown_appcontext(close_session)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã bảo mật CSRF). "
                                 "Vui lòng tải lại trang và gửi lại.")

    @app.errorhandler(401)
    def unauthorized(error):
        return login_manager.unauthorized()

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(OverflowError)
    def number_too_large(error):
        # A crafted number beyond the integer columns (`?year=99999999999999999999`): bad input, not a fault.
        # SQLite cannot bind it (OverflowError); PostgreSQL refuses it as out of range (SQLSTATE 22003, below).
        db.session.rollback()
        return render_error(400)

    @app.errorhandler(sa.exc.DataError)
    def data_error(error):
        if getattr(error.orig, "sqlstate", None) == "22003":  # numeric_value_out_of_range
            return number_too_large(error)
        raise error  # any other data error is a fault of ours: the usual 500 path

    def database_error(error):
        if not database_unavailable(error):
            raise error  # a wrong query: the usual 500 path (logged with its traceback)
        return unavailable_response(error)

    try:
        import psycopg

        driver_errors = (psycopg.Error,)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        driver_errors = ()
    for error_class in (sa.exc.DBAPIError, sa.exc.DisconnectionError, sa.exc.PendingRollbackError,
                        sqlite3.Error, *driver_errors):
        app.register_error_handler(error_class, database_error)

    @app.errorhandler(500)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if database_unavailable(original):  # raised outside a view, e.g. by an after-request hook
            return unavailable_response(original)
        _rollback_quietly()
        try:
            return render_error(500)
        except Exception:  # the navigation failed too (the database, most likely): the page without it
            log.exception("the 500 page could not be drawn")
            return render_plain(500), 500
