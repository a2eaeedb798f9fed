"""Backup and restore of one installation: the database and the uploaded files in one archive.

`flask thidua backup` writes `thidua-backup-<UTC timestamp>.tar.gz` holding

- `database.sqlite3` (SQLite: a consistent copy made with sqlite3's backup API, safe while the app runs)
  or `database.dump` (PostgreSQL: `pg_dump --format=custom`);
- `uploads/…`, every file of UPLOAD_FOLDER;
- `manifest.json`: the app version, the alembic revision of the database, the database kind, the number of
  uploaded files and the sha256 of every part.

`flask thidua restore ARCHIVE` checks everything in a temporary folder first (manifest, checksums, database
kind, revision no newer than the code) and only then replaces the database and the upload folder, so a
refused archive changes nothing. An archive of an older release is brought to the code's schema by the
migrations right after. Stop the web server and the workers before restoring.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask

from .extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_PART = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
UPLOADS = "uploads"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class RestoreReport:
    manifest: dict
    current_head: str | None

    @property
    def needs_upgrade(self) -> bool:
        return bool(self.manifest.get("alembic_revision")) and self.manifest["alembic_revision"] != self.current_head


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _app_version() -> str:
    try:
        return metadata.version("thidua")
    except metadata.PackageNotFoundError:
        return "unknown"


def database_kind(app: Flask) -> str:
    name = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name not in DATABASE_PART:
        raise BackupError(f"Không hỗ trợ sao lưu cơ sở dữ liệu loại {name}.")
    return name


def _sqlite_path(app: Flask) -> Path:
    database = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu hay phục hồi được.")
    return Path(database)


def _libpq(app: Flask) -> tuple[str, dict]:
    """The database URL for the PostgreSQL client tools without its password, and an environment holding
    the password in PGPASSWORD (never on the command line, where `ps` would show it)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"Không tìm thấy chương trình {command[0]} (cài gói postgresql-client).") from None
    if done.returncode != 0:
        raise BackupError(f"{what} không thành công: {done.stderr.strip()[-500:]}")


def _script_directory(app: Flask) -> ScriptDirectory:
    return ScriptDirectory(app.extensions["migrate"].directory)


def _current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# ---------------------------------------------------------------------------------------------- backup


def create_backup(app: Flask, output_dir: Path) -> Path:
    """Write a backup archive into `output_dir` and return its path. Needs an app context."""
    kind = database_kind(app)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = output_dir / f"thidua-backup-{stamp}.tar.gz"
    uploads = Path(app.config["UPLOAD_FOLDER"])

    with tempfile.TemporaryDirectory(prefix="thidua-backup-") as tmp:
        part = Path(tmp) / DATABASE_PART[kind]
        if kind == "sqlite":
            source = sqlite3.connect(_sqlite_path(app))
            copy = sqlite3.connect(part)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            url, env = _libpq(app)
            _run(["pg_dump", "--format=custom", f"--file={part}", f"--dbname={url}"], env,
                 "Sao lưu PostgreSQL (pg_dump)")
        revision = _current_revision()

        files = sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.is_dir() else []
        manifest = {
            "format": FORMAT,
            "app_version": _app_version(),
            "alembic_revision": revision,
            "database_kind": kind,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"name": part.name, "size": part.stat().st_size, "sha256": _sha256(part)},
            "uploads": {
                "count": len(files),
                "files": {p.relative_to(uploads).as_posix(): _sha256(p) for p in files},
            },
        }
        manifest_path = Path(tmp) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(manifest_path, arcname=MANIFEST)
            tar.add(part, arcname=part.name)
            for path in files:
                tar.add(path, arcname=f"{UPLOADS}/{path.relative_to(uploads).as_posix()}")
        partial.chmod(0o600)  # personal data: readable by the service account only
        partial.replace(target)
    return target


# --------------------------------------------------------------------------------------------- restore


def read_manifest(archive: Path) -> dict:
    """The manifest of an archive, without extracting the rest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            return json.loads(member.read().decode("utf-8"))
    except FileNotFoundError:
        raise BackupError(f"Không tìm thấy tệp sao lưu {archive}.") from None
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError, AttributeError):
        raise BackupError("Tệp sao lưu bị hỏng hoặc không phải bản sao lưu của thidua (không đọc được "
                          "manifest.json).") from None


def _extract_and_verify(archive: Path, into: Path) -> dict:
    """Extract `archive` into `into` and check every part against the manifest; return the manifest."""
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("database"), dict):
        raise BackupError("Tệp sao lưu có định dạng không được hỗ trợ.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, `..` and links out of `into`
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Tệp sao lưu bị hỏng, không giải nén được: {exc}") from None

    expected = {manifest["database"]["name"]: manifest["database"]["sha256"]}
    files = manifest.get("uploads", {}).get("files", {})
    if len(files) != manifest.get("uploads", {}).get("count"):
        raise BackupError("Tệp sao lưu bị hỏng: số tệp đính kèm không khớp với manifest.json.")
    expected.update({f"{UPLOADS}/{name}": digest for name, digest in files.items()})
    found = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if found != set(expected):
        raise BackupError("Tệp sao lưu bị hỏng: danh sách tệp không khớp với manifest.json.")
    for name, digest in sorted(expected.items()):
        if _sha256(into / name) != digest:
            raise BackupError(f"Tệp sao lưu bị hỏng: mã kiểm tra (sha256) của {name} không khớp, "
                              "không phục hồi.")
    return manifest


def check_compatible(app: Flask, manifest: dict) -> str | None:
    """Refuse an archive of another database kind or of a revision the code does not know (a newer one);
    return the code's head revision."""
    kind = database_kind(app)
    theirs = manifest.get("database_kind")
    if theirs != kind or manifest["database"]["name"] != DATABASE_PART[kind]:
        raise BackupError(f"Bản sao lưu là của cơ sở dữ liệu {KIND_NAMES.get(theirs, theirs)}, còn hệ thống "
                          f"đang dùng {KIND_NAMES[kind]}: không phục hồi được.")
    script = _script_directory(app)
    head = script.get_current_head()
    revision = manifest.get("alembic_revision")
    if revision:
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise BackupError(f"Bản sao lưu ở phiên bản cơ sở dữ liệu {revision}, mới hơn mã nguồn đang "
                              "cài: hãy nâng cấp thidua trước khi phục hồi.")
    return head


def restore_backup(app: Flask, archive: Path) -> RestoreReport:
    """Check `archive` and restore the database and the uploads from it. Needs an app context.
    Nothing is changed unless every check passes."""
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="thidua-restore-") as tmp:
        manifest = _extract_and_verify(archive, Path(tmp))
        head = check_compatible(app, manifest)
        _restore_database(app, Path(tmp) / manifest["database"]["name"])
        _restore_uploads(app, Path(tmp) / UPLOADS)
    report = RestoreReport(manifest=manifest, current_head=head)
    if report.needs_upgrade:  # an archive of an older release: bring its schema to this code's
        from flask_migrate import upgrade

        db.engine.dispose()
        upgrade()
        db.engine.dispose()
    return report


def _restore_database(app: Flask, part: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    if database_kind(app) == "sqlite":
        target = _sqlite_path(app)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(f"{target}-wal").exists():  # fold a leftover write-ahead log in, or it would apply to the new file
            conn = sqlite3.connect(target)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
        staged = target.with_name(f".{target.name}.restore")
        shutil.copyfile(part, staged)
        os.replace(staged, target)  # atomic on one file system
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    else:
        # The archive's schema replaces the whole `public` schema in ONE transaction: pg_restore writes the
        # dump as SQL, and psql runs "drop the schema, create it, the dump" with --single-transaction, so a
        # failure leaves the database as it was. (pg_restore --clean alone would leave behind the tables a
        # newer schema added, and the upgrade that follows the restore of an older archive would then fail
        # on "already exists".)
        url, env = _libpq(app)
        script = part.with_suffix(".sql")
        _run(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists", f"--file={script}", str(part)],
             env, "Đọc bản sao lưu PostgreSQL (pg_restore)")
        _run(["psql", "--quiet", "--no-psqlrc", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--dbname={url}",
              "--command=DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;", f"--file={script}"],
             env, "Phục hồi PostgreSQL (psql)")


def _restore_uploads(app: Flask, extracted: Path) -> None:
    """Swap the upload folder for the archive's: extract next to it, then rename."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{folder.name}.restore-", dir=folder.parent))
    if extracted.is_dir():
        shutil.copytree(extracted, staged, dirs_exist_ok=True)
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        staged.chmod(folder.stat().st_mode & 0o7777)
        os.rename(folder, old)
    try:
        os.rename(staged, folder)
    except OSError:
        if old.exists():
            os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
