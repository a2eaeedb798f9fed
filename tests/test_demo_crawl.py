"""Every page a demo user can reach by following links renders: the demo data (real-looking Vietnamese
records in every state) walked as each role and as an anonymous visitor, no server error anywhere."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
import sqlalchemy as sa
from flask_login import FlaskLoginClient

from thidua import create_app
from thidua.config import TestConfig
from thidua.extensions import db

MAX_PAGES = 250  # per user; the whole demo is reachable well within it for every role but the admin
FILES = re.compile(r"/(logout|static|bootstrap)/|\.(pdf|xlsx|docx|zip)$|/download|/export")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    from flask_migrate import upgrade

    from thidua.demo import seed_demo

    tmp = tmp_path_factory.mktemp("crawl")
    config = type("CrawlConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'demo.sqlite3'}",
                                                 "INSTANCE_PATH": tmp, "UPLOAD_FOLDER": tmp / "uploads"})
    app = create_app(config)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def crawl(client, starts) -> tuple[set[str], list[tuple[str, int]]]:
    seen: set[str] = set()
    errors = []
    queue = list(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        status, is_html = response.status_code, response.mimetype == "text/html"
        page = response.get_data(as_text=True) if is_html else ""
        response.close()  # downloads are streamed files
        if status >= 500:
            errors.append((url, status))
        if status != 200 or not is_html:
            continue
        for href in re.findall(r'href="([^"#]+)"', page):
            target = urlparse(urljoin(url, href.replace("&amp;", "&")))
            if target.netloc not in ("", "localhost") or FILES.search(target.path):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if path not in seen:
                queue.append(path)
    return seen, errors


@pytest.mark.parametrize("username", [None, "admin", "banthidua", "donvi", "phuong", "hoidong", "lanhdao"])
def test_every_linked_page_of_the_demo_renders_for_each_role(demo_app, username):
    from thidua.auth.models import User

    with demo_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username)) if username else None
        client = demo_app.test_client(user=user) if user else demo_app.test_client()
        seen, errors = crawl(client, ["/", "/public/", "/dashboard/"])
    assert errors == []
    assert len(seen) > (5 if username is None else 20)  # the walk did reach the app, not only a login page
