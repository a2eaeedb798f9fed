"""The migrations are the schema: on a fresh database they build exactly what the models describe,
come down cleanly and go up again. Runs on a throwaway SQLite file, and on a throwaway PostgreSQL
database when TEST_DATABASE_URL is set (never on the session's test database).
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from thidua import create_app
from thidua.config import TestConfig, normalize_database_url
from thidua.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
FILE_NAME = re.compile(r"^(?P<stamp>\d{8}_\d{4})_(?P<rev>[0-9A-Za-z]+)_(?P<slug>[a-z0-9_]+)\.py$")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database_url(request, tmp_path):
    """The URL of an empty database of each kind, removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL migration check needs TEST_DATABASE_URL")
    server = sa.engine.make_url(normalize_database_url(base))
    name = f"thidua_mig_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_app(fresh_database_url, tmp_path):
    app = create_app(type("FreshConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": fresh_database_url,
        "INSTANCE_PATH": tmp_path / "instance",
        "UPLOAD_FOLDER": tmp_path / "uploads",
    }))
    yield app
    with app.app_context():
        db.engine.dispose()


def _schema_differences() -> list:
    """What `flask db migrate` would generate: the gap between the database and the models."""
    args = current_app.extensions["migrate"].configure_args
    opts = {key: args[key] for key in ("compare_type", "compare_server_default") if key in args}
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def _table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_migrations_on_fresh_database_match_models_downgrade_and_upgrade_again(fresh_app):
    model_tables = set(db.metadata.tables)
    with fresh_app.app_context():
        upgrade()
        assert _table_names() == model_tables | {"alembic_version"}
        assert _schema_differences() == []

        downgrade(revision="base")
        assert _table_names() <= {"alembic_version"}

        upgrade()
        assert _table_names() == model_tables | {"alembic_version"}
        assert _schema_differences() == []


def test_migration_files_are_named_date_time_revision_slug():
    versions = sorted((MIGRATIONS / "versions").glob("*.py"))
    assert versions, "no migration files found"
    for path in versions:
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name} is not YYYYMMDD_HHMM_<rev>_<slug>.py"
        datetime.strptime(match["stamp"], "%Y%m%d_%H%M")
        declared = re.search(r"""^revision\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", path.read_text(), re.M)
        assert declared and declared[1] == match["rev"], f"{path.name}: file name and revision id differ"


def test_migrations_have_a_single_head(app):
    with app.app_context():
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1
