"""Test fixtures: one application and schema (built by the migrations) per session, empty tables
for every test, and clients logged in as a user of each role.

Tests run on SQLite in memory by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from flask import g, request_started
from flask_login import FlaskLoginClient

from thidua import create_app
from thidua.auth.models import Role
from thidua.config import TestConfig
from thidua.extensions import db as _db

from . import factories


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    upload_dir = tmp_path_factory.mktemp("uploads")
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(type("Config", (TestConfig,), {"UPLOAD_FOLDER": upload_dir, "INSTANCE_PATH": instance}))
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        if _db.engine.dialect.name == "postgresql":
            downgrade(revision="base")  # a database left by an interrupted run starts clean
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs inside one application context, which the test client's requests reuse (so
    objects made by factories are visible to them). Every request still starts with an empty `g`, as
    in production, or Flask-Login's cached user and the CSRF token would leak between requests.
    Afterwards the tables the test wrote to are emptied."""

    def clear_g(sender, **extra):
        for name in list(g):
            g.pop(name)

    written: set[str] = set()

    def note_writes(conn, cursor, statement, parameters, context, executemany):
        match = _INSERT.match(statement)
        if match:
            written.add(match.group(1).strip('"'))

    request_started.connect(clear_g, app)
    with app.app_context():
        sa.event.listen(_db.engine, "before_cursor_execute", note_writes)
        try:
            yield
        finally:
            _db.session.remove()
            sa.event.remove(_db.engine, "before_cursor_execute", note_writes)
            _empty_tables(written)
    request_started.disconnect(clear_g, app)


_INSERT = re.compile(r'\s*INSERT INTO ("?\w+"?)', re.IGNORECASE)


def _empty_tables(written: set[str]) -> None:
    """Empty the tables a test inserted into (and, on PostgreSQL, whatever references them)."""
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name in written]
    if not tables:
        return
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def province(db):
    return factories.make_unit(code="38", name="UBND tỉnh Thanh Hóa", kind="province")


@pytest.fixture
def unit(db, province):
    """A department with one school below it."""
    dept = factories.make_unit(code="38.SGDDT", name="Sở Giáo dục và Đào tạo", kind="department", parent=province)
    factories.make_unit(code="38.SGDDT.LS", name="Trường THPT chuyên Lam Sơn", kind="school", parent=dept)
    return dept


@pytest.fixture
def users(db, unit):
    """One user per role (the unit officer acts for `unit`), committed."""
    result = {role: factories.make_user(username=role.value, roles=[role], unit=unit) for role in Role}
    db.session.commit()
    return result


@pytest.fixture
def login_as(app, db):
    """`login_as(user)` returns a test client whose requests are made as `user`."""

    def _login(user):
        db.session.commit()
        return app.test_client(user=user)

    return _login


@pytest.fixture
def csrf_app(app):
    """Turn CSRF protection on for one test (the suite runs with it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {'PostgreSQL ' + url.rsplit('@', 1)[-1] if url else 'SQLite in memory'}"
