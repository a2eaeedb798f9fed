"""Request ids, structured log lines and the /healthz probe."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading

import pytest

from thidua import create_app, observability
from thidua.config import TestConfig
from thidua.extensions import db


def test_safe_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9_Z"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.9_Z"


@pytest.mark.parametrize("unsafe", ["a b", "x" * 65, "<script>", "id;Set-Cookie:x", "../../etc/passwd", "mã-số"])
def test_unsafe_request_id_is_replaced(client, unsafe):
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_request_without_id_gets_a_new_one_each_time(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_error_page_carries_request_id(client):
    response = client.get("/khong-ton-tai", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "req-404"


@pytest.fixture
def log_output(app, monkeypatch):
    """Switch the app's log handler to `fmt` and return (switch, stream); the session's handler comes back after."""
    stream = io.StringIO()

    def switch(fmt: str) -> io.StringIO:
        monkeypatch.setitem(app.config, "LOG_FORMAT", fmt)
        observability.configure_logging(app).setStream(stream)
        return stream

    yield switch
    monkeypatch.undo()
    observability.configure_logging(app)


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_access_line_carries_request_fields(client, log_output):
    stream = log_output("json")
    client.get("/auth/login?next=/", headers={"X-Request-ID": "req-json-1"})
    [access] = [line for line in _json_lines(stream) if line["request_id"] == "req-json-1"]
    assert access["logger"] == "thidua.access"
    assert access["level"] == "INFO"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/auth/login", 200)
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", access["time"])


def test_json_log_of_a_module_during_a_request_carries_its_id(app, log_output):
    stream = log_output("json")
    with app.test_request_context("/nominations/", headers={"X-Request-ID": "req-json-2"}):
        app.preprocess_request()
        logging.getLogger("thidua.nominations").warning("Hồ sơ %s bị trả lại", 7)
    [line] = _json_lines(stream)
    assert line["message"] == "Hồ sơ 7 bị trả lại"  # Vietnamese kept readable, not \\u-escaped
    assert "Hồ sơ 7" in stream.getvalue()
    assert (line["request_id"], line["path"], line["level"]) == ("req-json-2", "/nominations/", "WARNING")


def test_json_log_outside_a_request_has_no_request_id(app, log_output):
    stream = log_output("json")
    try:
        raise ValueError("hỏng")
    except ValueError:
        logging.getLogger("thidua.jobs").exception("job failed")
    [line] = _json_lines(stream)
    assert line["request_id"] == "-" and "path" not in line
    assert "ValueError: hỏng" in line["exception"]


def test_text_log_line_carries_request_id(client, log_output):
    stream = log_output("text")
    client.get("/healthz", headers={"X-Request-ID": "req-text-1"})
    assert re.search(r"INFO thidua\.access \[req-text-1\]: GET /healthz 200 [\d.]+ms", stream.getvalue())


def test_configuring_logging_twice_keeps_one_handler(app):
    observability.configure_logging(app)
    observability.configure_logging(app)
    assert len(app.logger.handlers) == 1


def test_healthz_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_concurrent_healthz_requests_share_the_probe_and_all_answer_ok(app):
    """Monitors polling a busy server at the same moment must not get a false 503."""
    answers: list[int] = []

    def ask():
        with app.test_client() as client:
            answers.append(client.get("/healthz").status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * 8


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_503_when_database_unreachable(tmp_path):
    config = type("DownConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/thidua",
        "UPLOAD_FOLDER": tmp_path / "uploads", "INSTANCE_PATH": tmp_path,
    })
    app = create_app(config)
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_in_time_when_the_database_accepts_but_never_answers(tmp_path):
    """A server that accepts connections and says nothing (a frozen database, a half-open firewall): the probe
    gives up after HEALTH_TIMEOUT_SECONDS and the answer is a 503, not a request hanging until gunicorn's
    timeout; a probe asked meanwhile waits for the same probe (no second one piles up); the probe's thread ends by itself at the connect
    timeout (DATABASE_CONNECT_TIMEOUT, longer than the probe's wait)."""
    assert TestConfig.DATABASE_CONNECT_TIMEOUT > observability.HEALTH_TIMEOUT_SECONDS
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        config = type("SilentConfig", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/thidua",
            "UPLOAD_FOLDER": tmp_path / "uploads", "INSTANCE_PATH": tmp_path,
        })
        app = create_app(config)
        answers = []
        request = threading.Thread(target=lambda: answers.append(app.test_client().get("/healthz")))
        request.start()
        request.join(60)  # a guard against a hang, not a measure of speed
        assert not request.is_alive(), "/healthz hung on a silent database"
        [response] = answers
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "unavailable"}
        probes = [t for t in threading.enumerate() if t.name == "thidua-healthz"]
        assert len(probes) == 1 and probes[0].is_alive()  # still connecting

        assert app.test_client().get("/healthz").status_code == 503  # no second probe piles up
        assert all(t in probes for t in threading.enumerate() if t.name == "thidua-healthz")
        probes[0].join(60)
        assert not probes[0].is_alive(), "the connect timeout did not end the probe"
    with app.app_context():
        db.engine.dispose()
