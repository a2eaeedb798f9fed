"""HTTP security headers on every response, and ProxyFix when the app runs behind a reverse proxy.

The Content-Security-Policy allows scripts only from our own origin: no template may carry an inline
<script> or an on*= event handler (tests/test_security.py walks every page to hold that line). Styles may
be inline because templates use style attributes and server-rendered SVG; images may be data: URIs
because certificate QR codes are.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))

# A view may set a stricter value first (the password-reset pages send `Referrer-Policy: no-referrer`):
# these are defaults, never overrides.
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the security headers to every response; trust `PROXY_FIX_HOPS` proxies' X-Forwarded-* headers."""
    app.config.setdefault("PROXY_FIX_HOPS", 0)  # set from the environment in thidua.config
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops > 0:
        # Only as many hops as there are proxies we run: a client could forge any header beyond them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    app.before_request(refuse_nul)
    app.after_request(add_security_headers)


def refuse_nul() -> None:
    """A NUL character in the address or a form is refused (400) before any view: no person types one, and
    PostgreSQL text cannot hold it, so a query or an INSERT carrying it would fail with a 500."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method == "POST":
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Over plain HTTP the header is ignored by browsers and would lock out a site still being set up.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
