"""Faults: the database going away under the web server, and a background consumer killed mid-batch.

- PostgreSQL restarted during the load: the app runs under gunicorn (deploy/gunicorn.conf.py) against a
  throwaway PostgreSQL cluster of this module's own (initdb into a temporary folder, a free port; never the
  shared server), unit officers keep saving dossiers through the real form, and the cluster is restarted
  (`pg_ctl restart -m fast`, then `-m immediate`). Every answer is the saved dossier or the Vietnamese 503
  page, never a 500 or a dropped connection; every acknowledged dossier is whole (its person, its dossier, both
  audit entries) and every refused one left nothing; gunicorn serves again by itself, with the same workers.
- A consumer (`flask thidua worker`) killed with SIGKILL in the middle of a batch: the job it left "running"
  is marked failed with a readable message when a consumer comes back, and the next batch prints.
- The 503 page and its rules without a server (a database that refuses connections, a wrong query that
  stays a 500), and the sweeper's choice of stale jobs, on the suite's database.

The cluster needs PostgreSQL's server binaries (`initdb`, `pg_ctl`; run as user postgres when the tests run
as root). Without them those tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import glob
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask_login import FlaskLoginClient

from thidua import create_app, errors
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role, User
from thidua.certificates import batch
from thidua.certificates.models import JobStatus, PrintJob, PrintMode
from thidua.config import TestConfig
from thidua.extensions import db
from thidua.nominations.models import Nomination
from thidua.registry.models import Person

from . import factories

PROJECT_ROOT = Path(__file__).resolve().parent.parent
UNAVAILABLE_TEXT = "Dữ liệu bạn vừa gửi chưa được lưu"


# --- a throwaway PostgreSQL cluster -------------------------------------------------------------------

def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free port, trusting local connections."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="thidua-faults-pg-"))
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.port = _free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            shutil.chown(self.root, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.as_postgres, str(self.bindir / tool), *args], capture_output=True, text=True,
                                timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{self.log_tail()}")
        return result

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    @property
    def options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", self.options, "start")

    def restart(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-m", mode,
                  "-o", self.options, "restart")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop", check=check)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)

    def remove(self) -> None:
        if self.data.exists():
            self.stop("immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _missing_postgres(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the fault tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster():
    bindir = _pg_bindir()
    if bindir is None:
        _missing_postgres("PostgreSQL's initdb is missing: apt-get install postgresql")
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _missing_postgres("running as root needs the user postgres to run initdb")
    pg = Cluster(bindir)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()


def make_app(database_url: str, folder: Path, **config):
    app = create_app(type("FaultConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": folder / "instance",
        "UPLOAD_FOLDER": folder / "uploads", "TASK_QUEUE_FILE": folder / "jobs.sqlite3", **config,
    }))
    app.test_client_class = FlaskLoginClient
    return app


# --- gunicorn against the cluster, clients through the real forms --------------------------------------

@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Browser:
    """One user's HTTP client: keeps the cookies, never follows redirects, a new connection per request (so
    a dropped connection is seen as such, not hidden by a retry)."""

    def __init__(self, base_url: str):
        self.host, self.port = urlsplit(base_url).hostname, urlsplit(base_url).port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            return Reply(response.status, response.headers, text)
        finally:
            connection.close()

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Reply:
        return self.request("POST", path, form)


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def option_value(page: str, select: str, label: str) -> str:
    options = re.search(rf'<select[^>]*name="{select}"[^>]*>(.*?)</select>', page, re.S).group(1)
    for value, text in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)', options):
        if label in unescape(text):
            return value
    raise AssertionError(f"no option {label!r} in {select}")


def logged_in(base_url: str, username: str) -> Browser:
    browser = Browser(base_url)
    page = browser.get("/auth/login").text
    reply = browser.post("/auth/login", {"username": username, "password": factories.PASSWORD,
                                         "csrf_token": csrf_token(page)})
    assert reply.status == 302, reply.text[:500]
    return browser


def dossier_form(browser: Browser, unit_label: str) -> dict:
    """The fields of "Lập hồ sơ đề nghị" for a new person of `unit_label` nominated for Lao động tiên tiến."""
    page = browser.get("/nominations/new").text
    unit = option_value(page, "unit_id", unit_label)
    return {"csrf_token": csrf_token(page), "unit_id": unit, "nominee_kind": "individual", "person_id": "new",
            "new_unit_id": unit, "new_subject_category": "direct_worker",
            "award_type_id": option_value(page, "award_type_id", "Lao động tiên tiến (cá nhân)"),
            "method": "regular", "year": date.today().year - 1, "campaign_id": 0,
            "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ được giao.", "version": ""}


OFFICERS = [("donvi", "Sở Giáo dục và Đào tạo"), ("phuong", "Phường Hạc Thành")]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory):
    """Two unit officers and the catalogue on the cluster, and gunicorn serving them (2 workers × 4 threads,
    rate limits off)."""
    from flask_migrate import upgrade

    from thidua.audit.services import acting_as
    from thidua.rules.seed import seed_catalogue

    folder = tmp_path_factory.mktemp("faults-site")
    url = cluster.create_database("thidua")
    app = make_app(url, folder)
    with app.app_context(), acting_as(None):
        upgrade()
        seed_catalogue()
        province = factories.make_unit(code="38", name="UBND tỉnh Thanh Hóa", kind="province")
        for username, unit_name in OFFICERS:
            unit = factories.make_unit(name=unit_name, parent=province)
            factories.make_user(username=username, roles=[Role.UNIT_OFFICER], unit=unit)
        db.session.commit()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "faults-test-secret", "THIDUA_ENV": "development",
           "THIDUA_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4",
           "RATELIMIT_ENABLED": "0", "THIDUA_INSTANCE_PATH": str(folder / "instance"),
           "UPLOAD_FOLDER": str(folder / "uploads"), "TASK_QUEUE_FILE": str(folder / "jobs.sqlite3"),
           "LOG_FORMAT": "text"}
    log = folder / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")]
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):  # gunicorn ≥ 24: one socket per user
        command.append("--no-control-socket")
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "wsgi:app"], cwd=PROJECT_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{server.log_text()[-3000:]}"
            try:
                if Browser(server.url).get("/healthz").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{server.log_text()[-3000:]}"
            time.sleep(0.2)
        yield app, server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with app.app_context():
            db.engine.dispose()


@dataclass
class Outcome:
    name: str  # the new person's name, unique per POST
    status: int | str  # the HTTP status, or the exception when there was no answer
    started: float
    ended: float
    request_id: str | None = None
    page_ok: bool = True  # a 503 carries the Vietnamese page and Retry-After
    state: str | None = None  # what a 503 page says of the data: not_saved, saved or unknown
    follow: int | str | None = None  # the status of the dossier page the 302 led to


@dataclass
class Load:
    """Unit officers saving new dossiers in a loop, each POST naming a new person."""

    server: Server
    prefix: str
    threads: int = 6
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.lock = threading.Lock()
        self.workers = [threading.Thread(target=self._run, args=(n,), name=f"faults-client-{n}", daemon=True)
                        for n in range(self.threads)]
        self.errors: list[BaseException] = []

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def finish(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(90)
        assert not any(w.is_alive() for w in self.workers), "a client thread is stuck"
        assert not self.errors, self.errors

    def acks_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if o.status == 302 and o.started >= moment)

    def wait_for_acks(self, count: int, since: float, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.acks_since(since) < count:
            assert time.monotonic() < deadline, f"service did not resume: {self.summary()}"
            time.sleep(0.05)

    def summary(self) -> dict:
        with self.lock:
            counts: dict = {}
            for o in self.outcomes:
                counts[o.status] = counts.get(o.status, 0) + 1
            return counts

    def _run(self, n: int) -> None:
        try:
            username, unit = OFFICERS[n % len(OFFICERS)]
            browser = logged_in(self.server.url, username)
            form = dossier_form(browser, unit)
            count = 0
            while not self.stop.is_set():
                count += 1
                self._one(browser, form, f"{self.prefix} {chr(65 + n)}{count:04d}")
        except BaseException as exc:  # reported by finish()
            self.errors.append(exc)

    def _one(self, browser: Browser, form: dict, name: str) -> None:
        started = time.monotonic()
        try:
            reply = browser.post("/nominations/new", {**form, "new_full_name": name})
        except (OSError, http.client.HTTPException) as exc:
            outcome = Outcome(name, repr(exc), started, time.monotonic())
        else:
            outcome = Outcome(name, reply.status, started, time.monotonic(), reply.headers.get("X-Request-ID"))
            if reply.status == 503:
                states = [s for s, message in errors.UNAVAILABLE_MESSAGES.items() if message in reply.text]
                outcome.page_ok = len(states) == 1 and reply.headers.get("Retry-After") == "30"
                outcome.state = states[0] if states else None
            elif reply.status == 302:
                try:  # the dossier page, behind the login: 200, or 503 if the database went away meanwhile
                    outcome.follow = browser.get(urlsplit(reply.headers["Location"]).path).status
                except (OSError, http.client.HTTPException) as exc:
                    outcome.follow = repr(exc)
            elif reply.status not in (503, 302):
                outcome.status = f"{reply.status}: {reply.text[:300]}"
        with self.lock:
            self.outcomes.append(outcome)
        if outcome.status == 503:
            time.sleep(0.05)  # a user reads the page before trying again


def assert_saved_whole_or_not_at_all(app, outcomes: list[Outcome], prefix: str) -> dict[str, int]:
    """Every acknowledged dossier (redirected to, or a 503 page saying it was saved) has its person, the
    dossier and both audit entries; every refused one (a 503 page saying it was not saved) left no row at all;
    one whose page said the outcome is unknown is whole or absent; no other row carries the prefix."""
    acked = {o.name for o in outcomes if o.status == 302 or o.state == "saved"}
    refused = {o.name for o in outcomes if o.state == "not_saved"}
    unknown = {o.name for o in outcomes if o.state == "unknown"}
    with app.app_context():
        people = {p.full_name: p for p in db.session.scalars(
            sa.select(Person).where(Person.full_name.like(f"{prefix}%")))}
        dossiers = {n.person_id: n for n in db.session.scalars(
            sa.select(Nomination).where(Nomination.person_id.in_([p.id for p in people.values()])))}
        audited = set(db.session.execute(
            sa.select(AuditEntry.object_type, AuditEntry.object_id).where(AuditEntry.object_repr.like(f"{prefix}%"))))
        for name in acked | (unknown & set(people)):
            person = people.get(name)
            assert person is not None, f"acknowledged but missing: {name}"
            dossier = dossiers.get(person.id)
            assert dossier is not None, f"{name}: the person was saved without the dossier"
            assert ("people", str(person.id)) in audited, f"{name}: no audit entry for the person"
            assert ("nominations", str(dossier.id)) in audited, f"{name}: no audit entry for the dossier"
        leftovers = sorted(set(people) & refused)
        assert not leftovers, f"refused with 503 but saved (half or whole): {leftovers}"
        unacknowledged = sorted(set(people) - acked - unknown)
        assert not unacknowledged, f"saved without being acknowledged: {unacknowledged}"
        assert len(dossiers) == len(people)
        assert len(audited) == 2 * len(people), "an audit entry without its row, or the reverse"
        db.session.rollback()
    return {"acknowledged": len(acked), "refused": len(refused), "unknown": len(unknown),
            "unknown and saved": len(unknown & set(people))}


def test_database_stopped_gives_503_pages_saves_nothing_and_comes_back_by_itself(site, cluster):
    app, server = site
    workers = server.workers()
    browser = logged_in(server.url, "donvi")
    form = dossier_form(browser, "Sở Giáo dục và Đào tạo")
    cluster.stop("fast")
    try:
        listing = browser.get("/nominations/")  # behind the login: the user loader asks the database first
        saving = browser.post("/nominations/new", {**form, "new_full_name": "Người Thử Dừng Máy Một"})
        health = Browser(server.url).get("/healthz")
    finally:
        cluster.start()
    for reply in (listing, saving):
        assert reply.status == 503
        assert UNAVAILABLE_TEXT in reply.text and "Hệ thống tạm thời gián đoạn" in reply.text
        assert reply.headers["Retry-After"] == "30" and reply.headers["Cache-Control"] == "no-store"
    assert "Quay lại" in saving.text  # the form's content is still in the browser's history
    assert health.status == 503 and health.headers["Cache-Control"] == "no-store"

    # The same requests once PostgreSQL is back, with no restart of gunicorn (its workers are the same).
    assert browser.get("/nominations/").status == 200
    saved = browser.post("/nominations/new", {**form, "new_full_name": "Người Thử Dừng Máy Hai"})
    assert saved.status == 302
    assert Browser(server.url).get("/healthz").status == 200
    assert server.workers() == workers
    with app.app_context():
        names = set(db.session.scalars(sa.select(Person.full_name).where(Person.full_name.like("Người Thử Dừng Máy%"))))
    assert names == {"Người Thử Dừng Máy Hai"}
    # One line per 503, with the request's id, and no traceback.
    log = server.log_text()
    for reply in (listing, saving):
        lines = [line for line in log.splitlines() if reply.headers["X-Request-ID"] in line and "answered 503" in line]
        assert len(lines) == 1, lines
    assert "Traceback" not in log


def test_postgresql_restarted_under_load_every_answer_is_a_page_and_nothing_is_half_saved(site, cluster, capsys):
    app, server = site
    workers = server.workers()
    prefix = "Người Thử Tải"
    load = Load(server, prefix)
    load.start()
    report = []
    try:
        load.wait_for_acks(10, since=0)
        for mode in ("fast", "immediate"):
            began = time.monotonic()
            cluster.restart(mode)
            back = time.monotonic()
            load.wait_for_acks(10, since=back)
            report.append((mode, began, back))
    finally:
        load.finish()
    outcomes = sorted(load.outcomes, key=lambda o: o.started)

    bad = [o for o in outcomes if o.status not in (302, 503) or (o.status == 503 and not o.page_ok)
           or o.follow not in (None, 200, 503)]
    assert not bad, bad[:5]
    counts = assert_saved_whole_or_not_at_all(app, outcomes, prefix)
    assert counts["acknowledged"] >= 30

    # Each 503 was logged once, as one line with its request id; no traceback anywhere.
    log = server.log_text()
    logged = {m.group(1) for m in re.finditer(r"\[(\w+)\]: database unavailable, answered 503", log)}
    assert {o.request_id for o in outcomes if o.status == 503} <= logged
    assert "Traceback" not in log
    assert server.workers() == workers  # the same gunicorn workers served before, during and after
    for n, (mode, began, _back) in enumerate(report):  # the load did meet each outage
        until = report[n + 1][1] if n + 1 < len(report) else float("inf")
        assert any(o.status == 503 and began <= o.ended < until for o in outcomes), f"no 503 during -m {mode}"

    with capsys.disabled():
        for n, (mode, began, back) in enumerate(report):
            until = report[n + 1][1] if n + 1 < len(report) else float("inf")
            window = [o for o in outcomes if began <= o.ended < until]
            failed = [o for o in window if o.status == 503]
            last_503 = max((o.ended for o in failed), default=began)
            resumed = min(o.ended for o in outcomes if o.status == 302 and o.started >= last_503)
            states = {state: sum(1 for o in failed if o.state == state) for state in errors.UNAVAILABLE_MESSAGES}
            print(f"\n  pg_ctl restart -m {mode}: {len(failed)} answers 503 {states}, "
                  f"{sum(1 for o in window if o.status == 302 and o.ended < back)} saved during the restart, "
                  f"pg_ctl took {back - began:.2f} s, first save after the last 503 {resumed - began:.2f} s "
                  f"after the restart began")
        print(f"  in all: {counts}, {len(outcomes)} POSTs")


# --- a consumer killed in the middle of a batch -----------------------------------------------------------

def _job_state(app, job_id: int):
    with app.app_context():
        row = db.session.execute(sa.select(PrintJob.status, PrintJob.done, PrintJob.heartbeat_at, PrintJob.error)
                                 .where(PrintJob.id == job_id)).one()
        db.session.rollback()
    return row


def _wait(app, job_id: int, ready, what: str, consumer: subprocess.Popen, log: Path, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        state = _job_state(app, job_id)
        if ready(state):
            return state
        assert consumer.poll() is None, f"the consumer exited:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"job {job_id}: {what} did not happen: {state}\n{log.read_text()[-3000:]}"
        time.sleep(0.02)


def _consumer(database_url: str, folder: Path, log: Path, **env) -> subprocess.Popen:
    """`flask thidua worker` on the folder's SQLite queue file."""
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "faults-test-secret",
                   "THIDUA_ENV": "development", "THIDUA_INSTANCE_PATH": str(folder / "instance"),
                   "UPLOAD_FOLDER": str(folder / "uploads"), "TASK_QUEUE_FILE": str(folder / "jobs.sqlite3"),
                   "TASK_QUEUE_EMBEDDED": "0", "TMPDIR": str(folder / "tmp"), **env}
    (folder / "tmp").mkdir(exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "thidua", "worker"], cwd=PROJECT_ROOT,
                                env=environment, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def job_database(tmp_path):
    """(database URL for the consumers, app of the test) on an SQLite file shared with the consumers: the
    test runs wherever the suite does (the sweep's query on PostgreSQL is covered by the suite's own run there)."""
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'jobs-db.sqlite3'}"
    app = make_app(url, tmp_path)
    with app.app_context():
        upgrade()
    yield url, app
    with app.app_context():
        db.engine.dispose()


def test_batch_of_a_killed_consumer_is_marked_failed_when_a_consumer_comes_back(job_database, tmp_path):
    from tests.certificates.test_batch import make_issued_decision
    from thidua import jobs

    url, app = job_database
    with app.app_context():
        province = factories.make_unit(code="38", name="UBND tỉnh Thanh Hóa", kind="province")
        unit = factories.make_unit(code="38.SGDDT", name="Sở Giáo dục và Đào tạo", parent=province)
        secretariat = factories.make_user(username="banthidua", roles=[Role.SECRETARIAT])
        decision = make_issued_decision(province, unit, 40)
        job = batch.start_print_job(decision, mode=PrintMode.FULL, copies=5, user=secretariat)  # 200 pages
        small = make_issued_decision(province, unit, 2)
        db.session.commit()
        job_id, small_id, user_id = job.id, small.id, secretariat.id
        jobs.enqueue_print_job(job_id)

    log = tmp_path / "consumers.log"
    first = _consumer(url, tmp_path, log, PRINT_CHUNK_PAGES="5", PRINT_PROCESSES="1")
    try:
        state = _wait(app, job_id, lambda s: s.status == JobStatus.RUNNING and s.done > 0, "a first chunk", first, log)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    state = _job_state(app, job_id)
    assert state.status == JobStatus.RUNNING and 0 < state.done < 200, "the kill came after the batch ended"

    # A consumer comes back once the heartbeat is older than the limit (here 1.2 s instead of 15 minutes).
    stale_after = timedelta(minutes=0.02)
    time.sleep(max(0.0, (state.heartbeat_at + stale_after - datetime.now(UTC)).total_seconds()) + 0.2)
    second = _consumer(url, tmp_path, log, PRINT_JOB_STALE_MINUTES="0.02")
    try:
        state = _wait(app, job_id, lambda s: s.status != JobStatus.RUNNING, "the sweep", second, log)
        assert state.status == JobStatus.FAILED and state.error == batch.STALE_MESSAGE
        with app.app_context():
            client = app.test_client(user=db.session.get(User, user_id))
            page = client.get(f"/print-jobs/{job_id}").get_data(as_text=True)
            assert batch.STALE_MESSAGE in page
            assert client.get(f"/print-jobs/{job_id}/status.json").get_json()["finished"] is True

            # The next batch prints on the new consumer.
            from thidua.awards.models import Decision

            again = batch.start_print_job(db.session.get(Decision, small_id), mode=PrintMode.FULL,
                                          user=db.session.get(User, user_id))
            db.session.commit()
            again_id = again.id
            jobs.enqueue_print_job(again_id)
        done = _wait(app, again_id, lambda s: s.status in (JobStatus.DONE, JobStatus.FAILED), "the next batch",
                     second, log)
        assert done.status == JobStatus.DONE and done.done == 2, done
    finally:
        second.terminate()
        try:
            second.wait(30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()


# --- without a server: the 503 rules, the sweeper's choice ------------------------------------------------

@pytest.fixture
def refused_app(tmp_path):
    """The app pointed at a PostgreSQL port where nothing listens: every connection is refused."""
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/thidua", tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_page_behind_login_with_database_refusing_is_503_in_vietnamese(refused_app):
    client = refused_app.test_client(user=User(id=7, username="donvi", full_name="Nguyễn Văn An"))
    response = client.get("/nominations/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert UNAVAILABLE_TEXT in page and "vui lòng thử lại sau ít phút" in page
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)


def test_form_post_with_database_refusing_is_503_and_says_nothing_was_saved(refused_app):
    client = refused_app.test_client(user=User(id=7, username="donvi", full_name="Nguyễn Văn An"))
    response = client.post("/nominations/new", data={"new_full_name": "Lê Văn Gửi"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert UNAVAILABLE_TEXT in page and "Quay lại" in page


def test_json_request_with_database_refusing_gets_503_json(refused_app):
    client = refused_app.test_client(user=User(id=7, username="donvi", full_name="Nguyễn Văn An"))
    response = client.get("/notifications/unread.json")
    assert response.status_code == 503
    assert response.get_json()["error"] == "database_unavailable"


def test_wrong_query_is_still_a_500_not_a_503(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'no-tables.sqlite3'}", tmp_path)  # never migrated: no tables
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client(user=User(id=7, username="donvi", full_name="Nguyễn Văn An"))
    response = client.get("/nominations/")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_database_unavailable_tells_a_locked_or_refused_database_from_a_wrong_query(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            sqlite3.connect(path, timeout=0).execute("SELECT * FROM t")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    refused = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/x",
                               poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.OperationalError) as no_server:
        refused.connect()
    with pytest.raises(sa.exc.OperationalError) as wrong:
        sa.create_engine("sqlite://").connect().execute(sa.text("SELECT * FROM missing"))
    assert errors.database_unavailable(locked.value)
    assert errors.database_unavailable(no_server.value)
    assert not errors.database_unavailable(wrong.value)


def test_sweep_fails_only_running_jobs_without_a_recent_heartbeat(app, db, province, unit, users):
    from tests.certificates.test_batch import make_issued_decision

    decision = make_issued_decision(province, unit, 1)
    now = datetime.now(UTC)
    limit = timedelta(minutes=app.config["PRINT_JOB_STALE_MINUTES"])

    def job(status, heartbeat_at):
        made = batch.start_print_job(decision, mode=PrintMode.FULL, user=users[Role.SECRETARIAT])
        made.status, made.started_at, made.heartbeat_at = status, now - 2 * limit, heartbeat_at
        return made

    stale = job(JobStatus.RUNNING, now - limit - timedelta(seconds=5))
    alive = job(JobStatus.RUNNING, now - limit + timedelta(seconds=30))
    queued = job(JobStatus.QUEUED, None)
    db.session.commit()
    assert batch.sweep_stale_jobs(now) == [stale.id]
    db.session.expire_all()
    assert (stale.status, stale.error) == (JobStatus.FAILED, batch.STALE_MESSAGE)
    assert alive.status == JobStatus.RUNNING and queued.status == JobStatus.QUEUED


def test_run_print_job_beats_its_heartbeat(app, db, province, unit, users):
    from tests.certificates.test_batch import make_issued_decision, run

    job = batch.start_print_job(make_issued_decision(province, unit, 2), mode=PrintMode.FULL,
                                user=users[Role.SECRETARIAT])
    job = run(db, job)
    assert job.status == JobStatus.DONE
    assert job.heartbeat_at is not None and job.heartbeat_at >= job.started_at
