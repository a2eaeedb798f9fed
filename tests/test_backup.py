"""`flask thidua backup` / `restore`: a round trip brings back the rows and the uploaded files' bytes, on a
SQLite file and on a throwaway PostgreSQL database; a damaged or foreign archive is refused and changes
nothing."""

from __future__ import annotations

import io
import json
import os
import secrets
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from thidua import create_app
from thidua.config import TestConfig, normalize_database_url
from thidua.extensions import db
from thidua.org.models import Unit

from .factories import make_unit


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database of each kind, removed after the test (never the session's test database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:  # the SQLite pass; .ci/run's PostgreSQL pass sets it (and fails when PostgreSQL is down)
        pytest.skip("PostgreSQL backup round trip needs TEST_DATABASE_URL")
    server = sa.engine.make_url(normalize_database_url(base))
    name = f"thidua_bak_{os.getpid()}_{secrets.token_hex(4)}"
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
def live_app(database_url, tmp_path):
    yield from _installation(database_url, tmp_path)


@pytest.fixture
def sqlite_app(tmp_path):
    """The checks made before restoring do not depend on the kind of database: SQLite is enough."""
    yield from _installation(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path)


def _installation(database_url, tmp_path):
    """An installation with a migrated database, two units and two uploaded files (one in a subfolder)."""
    app = create_app(type("LiveConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": tmp_path / "instance",
        "UPLOAD_FOLDER": tmp_path / "uploads",
    }))
    uploads = tmp_path / "uploads"
    (uploads / "batches").mkdir(parents=True)
    (uploads / "a1b2.pdf").write_bytes(b"%PDF-1.7 to trinh khen thuong " + bytes(range(256)))
    (uploads / "batches" / "c3d4.png").write_bytes(b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(2048))
    with app.app_context():
        upgrade()
        make_unit(code="SGD", name="Sở Giáo dục và Đào tạo")
        make_unit(code="SYT", name="Sở Y tế")
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _units(app) -> dict[str, str]:
    with app.app_context():
        names = {u.code: u.name for u in db.session.scalars(sa.select(Unit))}
        db.session.remove()
        return names


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _cli(app, *args, **kw):
    """Run `flask thidua …` on `app` (in its own app context: the session's one is already pushed)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["thidua", *args], **kw)


def _backup(app, out: Path) -> Path:
    result = _cli(app, "backup", "--output", str(out))
    assert result.exit_code == 0, result.output
    (archive,) = out.glob("thidua-backup-*.tar.gz")
    assert f"Đã sao lưu vào {archive}" in result.output
    return archive


def _change_everything(app, uploads: Path) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Unit).filter_by(code="SGD")).name = "Tên đã bị sửa"
        db.session.delete(db.session.scalar(sa.select(Unit).filter_by(code="SYT")))
        make_unit(code="MOI", name="Đơn vị thêm sau sao lưu")
        db.session.commit()
        db.session.remove()
    (uploads / "a1b2.pdf").write_bytes(b"overwritten")
    (uploads / "batches" / "c3d4.png").unlink()
    (uploads / "later.pdf").write_bytes(b"%PDF-1.7 later")


def test_backup_then_restore_brings_back_rows_and_file_bytes(live_app, tmp_path):
    uploads = tmp_path / "uploads"
    before_units, before_files = _units(live_app), _files(uploads)
    archive = _backup(live_app, tmp_path / "backups")

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    kind = sa.engine.make_url(live_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    assert manifest["database_kind"] == kind
    assert manifest["uploads"]["count"] == 2
    assert manifest["alembic_revision"]

    _change_everything(live_app, uploads)
    assert _units(live_app) != before_units and _files(uploads) != before_files

    result = _cli(live_app, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Đã phục hồi" in result.output
    assert _units(live_app) == before_units == {"SGD": "Sở Giáo dục và Đào tạo", "SYT": "Sở Y tế"}
    assert _files(uploads) == before_files
    assert not any(p.name.startswith(".uploads") for p in tmp_path.iterdir())  # no staging left behind

    with live_app.app_context():  # the app keeps working on the restored database
        make_unit(code="SAU", name="Sau phục hồi")
        db.session.commit()
        db.session.remove()
    assert "SAU" in _units(live_app)


def _rewrite(archive: Path, target: Path, change) -> Path:
    """Copy `archive` to `target`, passing each member's (name, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data is not None:
                data = change(member.name, data)
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


@pytest.mark.parametrize("damage, message", [
    (lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name == "database.sqlite3" else data,
     "mã kiểm tra (sha256) của database.sqlite3 không khớp"),
    (lambda name, data: b"tampered" if name == "uploads/a1b2.pdf" else data,
     "mã kiểm tra (sha256) của uploads/a1b2.pdf không khớp"),
])
def test_damaged_archive_is_refused_and_nothing_changes(sqlite_app, tmp_path, damage, message):
    uploads = tmp_path / "uploads"
    good = _backup(sqlite_app, tmp_path / "backups")
    bad = _rewrite(good, tmp_path / "bad.tar.gz", damage)
    _change_everything(sqlite_app, uploads)
    units, files = _units(sqlite_app), _files(uploads)

    result = _cli(sqlite_app, "restore", str(bad), "--yes")
    assert result.exit_code != 0
    assert "Tệp sao lưu bị hỏng" in result.output and message in result.output
    assert _units(sqlite_app) == units and _files(uploads) == files


def test_truncated_archive_and_foreign_or_newer_manifest_are_refused(sqlite_app, tmp_path):
    uploads = tmp_path / "uploads"
    good = _backup(sqlite_app, tmp_path / "backups")
    _change_everything(sqlite_app, uploads)
    units, files = _units(sqlite_app), _files(uploads)

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])

    def manifest_with(**changes):
        def change(name, data):
            return json.dumps(json.loads(data) | changes).encode() if name == "manifest.json" else data
        return change

    cases = {
        truncated: "Tệp sao lưu bị hỏng",
        _rewrite(good, tmp_path / "pg.tar.gz", manifest_with(database_kind="postgresql")):
            "Bản sao lưu là của cơ sở dữ liệu PostgreSQL, còn hệ thống đang dùng SQLite",
        _rewrite(good, tmp_path / "newer.tar.gz", manifest_with(alembic_revision="ffffffffffff")):
            "mới hơn mã nguồn đang cài",
    }
    for archive, message in cases.items():
        result = _cli(sqlite_app, "restore", str(archive), "--yes")
        assert result.exit_code != 0 and message in result.output, (archive.name, result.output)
    declined = _cli(sqlite_app, "restore", str(good), input="n\n")
    assert declined.exit_code != 0 and "Đã hủy, không thay đổi gì." in declined.output
    assert _units(sqlite_app) == units and _files(uploads) == files


def test_archive_of_an_older_release_is_restored_and_upgraded(live_app, tmp_path):
    """A backup taken before the latest migration, restored by the newer code: the rows come back, the schema is
    the code's (the newer columns exist), tables the newer schema added are not left over, and the app works."""
    from flask_migrate import downgrade

    app = live_app
    with app.app_context():
        head = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        from thidua.backup import _script_directory

        previous = _script_directory(app).get_revision(head).down_revision
        assert isinstance(previous, str)
        downgrade(revision=previous)  # the installation as the previous release left it
        db.session.remove()
        db.engine.dispose()
    archive = _backup(app, tmp_path / "backups")
    with tarfile.open(archive) as tar:
        assert json.load(tar.extractfile("manifest.json"))["alembic_revision"] == previous

    with app.app_context():  # the release is upgraded and used before the restore
        upgrade()
        make_unit(code="MOI", name="Đơn vị thêm sau sao lưu")
        db.session.commit()
        db.session.remove()

    result = _cli(app, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert f"đã nâng cấp cơ sở dữ liệu từ phiên bản {previous} lên {head}" in result.output
    assert _units(app) == {"SGD": "Sở Giáo dục và Đào tạo", "SYT": "Sở Y tế"}
    with app.app_context():
        assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
        assert {"totp_secret", "must_change_password"} <= columns
        make_unit(code="SAU", name="Sau phục hồi")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert "SAU" in _units(app)
