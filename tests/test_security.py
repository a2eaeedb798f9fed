"""Security headers on every kind of response, HSTS only over HTTPS, ProxyFix behind a proxy, and the
rule that makes the Content-Security-Policy safe to send: no page carries inline script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests import factories, test_permissions
from tests.test_permissions import ANON, CASES
from thidua import create_app
from thidua.auth.models import Role
from thidua.config import TestConfig
from thidua.extensions import db
from thidua.security import CONTENT_SECURITY_POLICY

world = test_permissions.world  # the permission matrix's fixture: every page has an object to show

BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def assert_base_headers(response) -> None:
    for name, value in BASE_HEADERS.items():
        assert response.headers.get(name) == value, name


def test_csp_forbids_inline_script_and_framing():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["img-src"] == "'self' data:"


def test_page_carries_security_headers(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert_base_headers(response)


def test_pdf_download_carries_security_headers(db, users, province, login_as):
    decision = factories.make_decision(issuer=province, awardees=[factories.make_person(full_name="Lê Văn Bình")])
    db.session.commit()
    response = login_as(users[Role.ADMIN]).get(f"/decisions/{decision.id}/annex.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert_base_headers(response)


def test_error_page_carries_security_headers(client):
    response = client.get("/khong-ton-tai")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)
    assert_base_headers(response)


def test_static_file_carries_security_headers(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_stricter_referrer_policy_of_a_view_is_kept(client):
    response = client.get("/auth/reset/not-a-real-token")
    assert response.status_code == 400
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.fixture
def make_app(tmp_path):
    """A second application with extra settings; its database connections are closed afterwards."""
    apps = []

    def make(**settings):
        config = type("ProxyConfig", (TestConfig,), {"UPLOAD_FOLDER": tmp_path / "uploads",
                                                     "INSTANCE_PATH": tmp_path, **settings})
        apps.append(create_app(config))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_forwarded_https_is_ignored_without_proxy_fix(make_app):
    app = make_app()
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_https_behind_one_proxy_turns_hsts_on(make_app):
    app = make_app(PROXY_FIX_HOPS=1)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


class InlineScriptFinder(HTMLParser):
    """Collects what a `script-src 'self'` policy would block: <script> without src, on*= handlers,
    javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        self.problems += [f"<{tag} {name}=…>" for name in names if name.startswith("on")]
        self.problems += [f"<{tag} {name}=javascript:…>" for name, value in attrs
                          if value and value.strip().lower().startswith("javascript:")]


def test_no_rendered_page_has_inline_script(world, users, login_as, client):
    """Every page of the permission world, read by a role allowed to see it: what the CSP would block."""
    pages = 0
    problems = []
    for case in CASES:
        if case.method != "GET":
            continue
        role = Role.ADMIN if Role.ADMIN in case.allowed else next(iter(case.allowed), ANON)
        http = client if role == ANON else login_as(users[role])
        response = http.get(case.url(world))
        if response.mimetype == "text/html":
            pages += 1
            finder = InlineScriptFinder()
            finder.feed(response.get_data(as_text=True))
            problems += [f"{case}: {p}" for p in finder.problems]
        response.close()
    assert pages > 100  # the walk really rendered the application's pages
    assert problems == []


def test_fund_year_select_is_marked_for_the_autosubmit_script(users, login_as):
    html = login_as(users[Role.ADMIN]).get("/fund/").get_data(as_text=True)
    assert '<select id="year" name="year" class="form-select form-select-sm" data-autosubmit>' in html
    assert "onchange" not in html
