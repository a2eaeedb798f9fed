"""Browser fixtures: the real application served over HTTP on 127.0.0.1, and Debian's chromium
driven by Playwright.

The browser is Debian's /usr/bin/chromium (`apt-get install chromium`), never one fetched by
`playwright install`. Without it the browser tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from thidua import create_app
from thidua.config import TestConfig
from thidua.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
]
TIMEOUT_MS = 5_000


@dataclass
class LiveServer:
    app: Flask
    url: str  # http://127.0.0.1:<port>, no trailing slash


@pytest.fixture(autouse=True)
def _require_chromium() -> None:
    """Every test here needs the browser: skip (or, under CI=true, fail) before any set-up."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: `apt-get install chromium` (never `playwright install`)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed: pip install -e '.[dev]'"
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {problem}")
    pytest.skip(problem)


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


@pytest.fixture
def live_server(tmp_path, request) -> LiveServer:
    """The app on a fresh SQLite file (migrated, demo data loaded), CSRF on, on a free port. A test may add
    settings by indirect parametrisation: `@pytest.mark.parametrize("live_server", [{...}], indirect=True)`."""
    from flask_migrate import upgrade

    from thidua import jobs
    from thidua.demo import seed_demo

    config = type("BrowserConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        "INSTANCE_PATH": tmp_path / "instance",
        "UPLOAD_FOLDER": tmp_path / "uploads",
        "TASK_QUEUE_FILE": tmp_path / "jobs.sqlite3",
        "WTF_CSRF_ENABLED": True,
        **getattr(request, "param", {}),
    })
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        jobs.stop_embedded_consumer(app)
        # Request threads end once the browser has closed its connections.
        deadline = time.monotonic() + 5
        while _request_threads() and time.monotonic() < deadline:
            time.sleep(0.02)
        with app.app_context():
            db.engine.dispose()
        assert not thread.is_alive() and not _request_threads(), "live server threads did not stop"


@pytest.fixture
def chromium_browser(live_server):
    """Debian's Chromium, its own process per test (so no connection outlives the test)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(live_server, chromium_browser):
    """Open a page in a fresh browser context: its own cookies, as for another person at another desk.
    Call it once per user of a journey."""
    contexts = []

    def open_page():
        # Reduced motion turns off Bootstrap's smooth scrolling, which Playwright would wait out before
        # every click below the fold.
        context = chromium_browser.new_context(locale="vi-VN", base_url=live_server.url, reduced_motion="reduce")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh Chromium page."""
    return new_page()
