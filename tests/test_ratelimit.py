"""Rate limits on login, password resets and the public forms: the 429 page, per-address and per-account
counting, counters shared through Redis by several processes, and a limiter that never takes the site down."""

from __future__ import annotations

import os
import uuid

import pytest

from thidua import create_app
from thidua.config import TestConfig
from thidua.extensions import db


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(**settings):
        config = type("Config", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/rl-{len(apps)}.sqlite3",
            "UPLOAD_FOLDER": tmp_path / "uploads", "INSTANCE_PATH": tmp_path,
            "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **settings})
        app = create_app(config)
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def post_login(client, username="ai-do", addr="198.51.100.7"):
    return client.post("/auth/login", data={"username": username, "password": "sai-mat-khau-1"},
                       environ_base={"REMOTE_ADDR": addr})


def test_login_posts_beyond_the_limit_get_a_vietnamese_429(make_app):
    client = make_app(RATELIMIT_LOGIN="3 per minute").test_client()
    statuses = [post_login(client, username=f"u{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 200]  # wrong passwords: the form again
    refused = post_login(client, username="u9")
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Content-Security-Policy"]  # still a page of this site, with its headers
    # the login page itself can still be read, and another address is not affected
    assert client.get("/auth/login").status_code == 200
    assert post_login(client, addr="203.0.113.5").status_code == 200


def test_one_account_is_limited_separately_from_the_address(make_app):
    client = make_app(RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="2 per minute").test_client()
    assert [post_login(client, username="hang").status_code for _ in range(2)] == [200, 200]
    assert post_login(client, username="HANG ").status_code == 429  # the same account, written differently
    assert post_login(client, username="binh").status_code == 200  # a colleague behind the same address


def test_certificate_lookups_and_password_resets_are_limited(make_app):
    client = make_app(RATELIMIT_VERIFY="2 per minute", RATELIMIT_PASSWORD_RESET="1 per minute").test_client()
    assert [client.get("/verify/ABCDEFGH").status_code for _ in range(2)] == [404, 404]
    assert client.get("/verify/ABCDEFGH").status_code == 429
    assert client.get("/verify?code=ABCDEFGH").status_code == 429  # the form shares the look-up counter
    assert client.post("/auth/forgot", data={"login": "hang"}).status_code == 302
    assert client.post("/auth/forgot", data={"login": "hang"}).status_code == 429


def test_limits_can_be_turned_off(make_app):
    client = make_app(RATELIMIT_ENABLED=False, RATELIMIT_LOGIN="1 per minute").test_client()
    assert {post_login(client).status_code for _ in range(5)} == {200}


def _redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("CI") == "true":
            raise
        return None
    return url


def test_processes_share_the_counters_through_redis(make_app):
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not running (set TEST_REDIS_URL)")
    prefix = uuid.uuid4().hex  # this run's counters only
    first = make_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_LOGIN="3 per minute")
    second = make_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_LOGIN="3 per minute")
    a, b = first.test_client(), second.test_client()
    assert [post_login(c, username=f"u{i}").status_code for i, c in enumerate((a, b, a))] == [200, 200, 200]
    assert post_login(b, username="u7").status_code == 429  # the fourth, counted across both "workers"


def test_a_storage_outage_does_not_take_the_site_down(make_app):
    client = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_LOGIN="1 per minute").test_client()
    assert post_login(client).status_code == 200
    # it falls back to counting in memory rather than letting everything through
    assert post_login(client).status_code == 429
