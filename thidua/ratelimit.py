"""Rate limits on the doors anyone can knock on: logging in, password resets and the public forms.

Flask-Limiter counts requests per client address (the real one behind nginx: ProxyFix, PROXY_FIX_HOPS) in a
moving window. The counters live in Redis when REDIS_URL is set — shared by every gunicorn worker and
server — and otherwise in each process's memory (a development server, or a single-process install).
If Redis goes away the app keeps serving with in-memory counters (`swallow_errors`, in-memory fallback):
a limiter must never be the reason a unit cannot file its dossiers before a deadline.

A refused request gets 429 with a Vietnamese page and `Retry-After`. Every limit is a setting
(`RATELIMIT_<NAME>`, in Flask-Limiter's notation: "10 per minute; 100 per hour"), and RATELIMIT_ENABLED=0
turns them all off (the test suite does; tests of the limits build an app with them on).

The account lockout (LOGIN_MAX_FAILURES) protects each account against guessing; the login limits here
protect the server and stop one address from trying many accounts (password spraying). They are per
address, and officers of a whole department may share one address behind NAT, so they are generous.
"""

from __future__ import annotations

import os

from flask import Flask, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

# Defaults of the settings; `thidua.config.Config` reads each from the environment.
DEFAULTS = {
    "RATELIMIT_LOGIN": "30 per minute; 300 per hour",  # login POSTs per address
    "RATELIMIT_LOGIN_ACCOUNT": "10 per minute",  # login POSTs per address and username
    "RATELIMIT_SECOND_FACTOR": "10 per minute",  # two-factor codes per address
    "RATELIMIT_PASSWORD_RESET": "5 per 15 minutes; 20 per day",  # reset requests and new passwords per address
    "RATELIMIT_VERIFY": "60 per minute",  # certificate look-ups per address
    "RATELIMIT_PUBLIC_FORM": "10 per minute; 100 per day",  # citizens' comments per address
    "RATELIMIT_PUBLIC_SEARCH": "120 per minute",  # the public showcase's search per address
}


def client_address() -> str:
    return request.remote_addr or "unknown"


def _login_account_key() -> str:
    username = (request.form.get("username") or "").strip().lower()[:64]
    return f"{client_address()}|{username}"


# Endpoint → its limits: (setting, methods or None for all, key function or None for the address).
# Listed here, in one place, rather than as decorators on the views.
LIMITS: dict[str, list[tuple[str, list[str] | None, object]]] = {
    "auth.login": [("RATELIMIT_LOGIN", ["POST"], None), ("RATELIMIT_LOGIN_ACCOUNT", ["POST"], _login_account_key)],
    "auth.second_factor": [("RATELIMIT_SECOND_FACTOR", ["POST"], None)],
    "auth.forgot_password": [("RATELIMIT_PASSWORD_RESET", ["POST"], None)],
    "auth.reset_password": [("RATELIMIT_PASSWORD_RESET", ["POST"], None)],
    "certificates.verify": [("RATELIMIT_VERIFY", None, None)],
    "certificates.verify_form": [("RATELIMIT_VERIFY", None, None)],
    "notices.public_comment": [("RATELIMIT_PUBLIC_FORM", ["POST"], None)],
    "public.showcase": [("RATELIMIT_PUBLIC_SEARCH", None, None)],
}


def init_app(app: Flask) -> Limiter:
    """Give `app` its own limiter (counters and settings are per app) and put the limits on the endpoints
    of LIMITS. Call after the blueprints are registered."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, os.environ.get(name, value))
    app.config.setdefault("RATELIMIT_ENABLED", True)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    limiter = Limiter(
        key_func=client_address,
        headers_enabled=True,
        swallow_errors=True,  # a storage failure lets the request through (and is logged)
        in_memory_fallback_enabled=True,
        key_prefix="thidua",
    )
    limiter.init_app(app)
    app.extensions["thidua_limiter"] = limiter  # the views' wrappers hold it only weakly
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for setting, methods, key_func in limits:
            # shared: endpoints with the same setting count together (the look-up form and the look-up)
            view = limiter.shared_limit(_setting(app, setting), scope=setting.removeprefix("RATELIMIT_").lower(),
                                        methods=methods, key_func=key_func)(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error):
        return render_template(
            "errors/error.html", code=429, title="Quá nhiều yêu cầu",
            message="Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng chờ ít phút rồi thử lại. "
                    "Yêu cầu vừa gửi chưa được xử lý."), 429

    return limiter


def _setting(app: Flask, name: str):
    return lambda: app.config[name]
