"""Load on a real server (issue 8, point 4): the last minutes before a nomination deadline.

Builds a throwaway PostgreSQL database (`thidua_load_<pid>` on 127.0.0.1:5432, user postgres, trust auth),
runs the migrations and seeds the demo province, N units each with one unit officer and a few people in
its registry, an open campaign whose nomination deadline is today, and an issued decision whose awardees
have verification codes. Then it starts gunicorn with deploy/gunicorn.conf.py on a free loopback port in
production mode and drives it with locust (bench/locustfile.py), headless, in one run:

- N unit officers: each logs in once (the login form and its CSRF token), then repeatedly opens the new
  dossier form, searches the registry for a person, saves the draft, uploads the short report (PDF) and
  presses "Gửi hồ sơ", each dossier carrying a unique marker in its achievement summary;
- a flood of anonymous look-ups of /verify/<code>, valid and invalid codes;
- probes requesting a static file (/static/css/app.css, through the same gunicorn) at a steady pace: the
  trivial endpoint of the same server in the same run; and a monitor requesting /healthz every 2 s.

Afterwards it stops the server and counts rows: every submission the client saw acknowledged must exist
exactly once, in the submitted state.

    python bench/load.py            # 200 officers arriving over 40 s or more, then 75 s of load
    python bench/load.py --quick    # 20 officers, then 20 s

The database, the server and the temporary folder are removed at the end, also on error or Ctrl-C. The
last line printed is `name=value` pairs; the exit status is 2 when PostgreSQL cannot be reached, 1 when a
dossier was lost or duplicated. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import psutil
import sqlalchemy as sa
from pgdb import SERVER, Unreachable, create_database, drop_database  # bench/ is on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
OFFICER_PASSWORD = "Tai-trong-2026!"
SUBMIT_PATH = re.compile(r"/nominations/\d+/submit")


@dataclass(frozen=True)
class Size:
    officers: int
    people_per_unit: int  # registry entries of each unit, nominated one per dossier
    awardees: int  # people on the issued decision: the valid verification codes
    run_s: int  # seconds of load after the officers have arrived (locust --run-time adds the arrival)
    spawn_rate: float  # officers arriving (logging in) per second
    verify_users: int  # anonymous look-up users ...
    verify_rate: float  # ... each at this many look-ups per second
    think: tuple[float, float]  # an officer's pause between two steps, seconds
    workers: int  # WEB_CONCURRENCY


# Many look-up users at a low rate each rather than a few fast ones: locust's users wait for their answer,
# so under saturation a few users would look up far less than a crowd of citizens does.
FULL = Size(officers=200, people_per_unit=10, awardees=100, run_s=75, spawn_rate=5, verify_users=50,
            verify_rate=1.0, think=(2.0, 5.0), workers=3)
QUICK = Size(officers=20, people_per_unit=8, awardees=20, run_s=20, spawn_rate=5, verify_users=10, verify_rate=2.0,
             think=(0.5, 1.5), workers=3)
PROBES = 5  # users requesting the trivial endpoint (a static file) once a second each

FAMILY = ["Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Vũ", "Trịnh", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Mai", "Đào", "Cao", "Hà", "Lương", "Đinh", "Tống", "Lại"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quang", "Hữu", "Ngọc", "Thu", "Thanh", "Kim", "Xuân", "Đình", "Hồng", "Bích"]
GIVEN = ["An", "Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong", "Sơn",
         "Thắng", "Tuấn", "Tùng", "Vinh", "Chi", "Dung", "Giang", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan",
         "Linh", "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Thủy", "Trang", "Vân", "Yến"]
PLACES = ["Hoằng Hóa", "Hậu Lộc", "Nga Sơn", "Quảng Xương", "Nghi Sơn", "Nông Cống", "Đông Sơn", "Triệu Sơn",
          "Thiệu Hóa", "Yên Định", "Vĩnh Lộc", "Thạch Thành", "Cẩm Thủy", "Ngọc Lặc", "Lang Chánh", "Bá Thước",
          "Quan Hóa", "Quan Sơn", "Mường Lát", "Thường Xuân", "Như Xuân", "Như Thanh", "Thọ Xuân", "Hà Trung"]
UNIT_PATTERNS = [("Trường THCS {p}", "school"), ("Trường Tiểu học {p}", "school"), ("Xã {p}", "commune"),
                 ("Trung tâm Y tế {p}", "public_service"), ("Trường Mầm non {p}", "school")]
POSITIONS = ["Giáo viên", "Chuyên viên", "Kế toán", "Nhân viên", "Bác sĩ", "Điều dưỡng", "Phó trưởng phòng"]


# --- the database ----------------------------------------------------------------------------------

# --- seeding ---------------------------------------------------------------------------------------

def report_pdf(kb: int, *lines: str) -> bytes:
    """A valid one-page PDF showing `lines`, about `kb` KB: the size of a scanned one-page report."""
    from thidua.demo import demo_pdf

    return demo_pdf(*lines, pad_kb=kb)


def unique_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
    return sorted(names, key=lambda _: rng.random())


def seed(size: Size, rng: random.Random, deadline: date) -> dict:
    """Demo data, the load's units, officers, people, campaign and decision. Returns what the locustfile
    needs (accounts, people to nominate, ids, verification codes)."""
    from thidua.audit.services import acting_as
    from thidua.auth.models import Role, User
    from thidua.auth.services import set_roles
    from thidua.awards import services as decisions
    from thidua.awards.models import DecisionItem
    from thidua.campaigns.models import Campaign, CampaignKind, CampaignStatus
    from thidua.demo import demo_year, seed_demo
    from thidua.extensions import db, utcnow
    from thidua.nominations import services as nominations
    from thidua.nominations import workflow
    from thidua.org.models import Unit, UnitKind
    from thidua.registry.models import Gender, Person, SubjectCategory
    from thidua.registry.queries import award_type_for
    from thidua.rules.models import AwardMethod
    from thidua.text import fold

    this_year, last_year = date.today().year, demo_year()
    with acting_as(None):
        seed_demo()  # the province, the catalogue, certificate templates, decision 215 (4 codes)
        province = db.session.scalar(sa.select(Unit).where(Unit.code == "38"))
        campaign = Campaign(
            name=f"Thi đua cao điểm hoàn thành nhiệm vụ năm {this_year}", kind=CampaignKind.THEMATIC,
            status=CampaignStatus.OPEN, status_changed_at=utcnow(), launching_authority="UBND tỉnh Thanh Hóa",
            launching_unit=province, decision_ref=f"KH 45/KH-UBND ngày 02/01/{this_year}",
            starts_on=date(this_year, 1, 2) if date(this_year, 1, 2) <= deadline else deadline - timedelta(days=30),
            ends_on=deadline + timedelta(days=30), nomination_deadline=deadline,
            goals="Đợt thi đua cao điểm; hồ sơ đề nghị khen thưởng theo đợt gửi trước hạn.",
        )
        db.session.add(campaign)

        # One password hash for every officer (werkzeug's default, scrypt, as production stores it): the
        # logins cost the server what they cost in production, the seeding does not hash 200 times.
        template = User(username="-", full_name="-")
        template.set_password(OFFICER_PASSWORD)
        place_names = [(pattern.format(p=place), kind) for pattern, kind in UNIT_PATTERNS for place in PLACES]
        units, officers = [], []
        for i in range(size.officers):
            name, kind = place_names[i % len(place_names)]
            if i >= len(place_names):
                name += f" số {i // len(place_names) + 1}"
            unit = Unit(code=f"38.TT{i + 1:03d}", name=name, kind=UnitKind(kind), parent=province,
                        address=f"{name}, tỉnh Thanh Hóa")
            db.session.add(unit)
            units.append(unit)
        db.session.flush()
        people_rows: list[list[Person]] = []
        for i, unit in enumerate(units):
            officer = User(username=f"canbo{i + 1:03d}", full_name=unique_names(rng, 1)[0],
                           password_hash=template.password_hash, password_changed_at=utcnow(),
                           must_change_password=False)
            set_roles(officer, [(Role.UNIT_OFFICER, unit.id)])
            db.session.add(officer)
            # The people the officer will nominate, and one more for the decision.
            row = []
            for name in unique_names(rng, size.people_per_unit + 1):
                gender = Gender.FEMALE if " Thị " in name else Gender.MALE
                row.append(Person(full_name=name, gender=gender, unit=unit, position=rng.choice(POSITIONS),
                                  birth_date=date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                                  subject_category=SubjectCategory.DIRECT_WORKER,
                                  hired_on=date(rng.randint(2000, 2020), 9, 1)))
            db.session.add_all(row)
            people_rows.append(row)
            officers.append((officer, unit, row[:-1]))
        db.session.flush()

        # An issued decision: the Bằng khen of the provincial chairman for last year, one awardee per unit
        # up to `awardees`, as the demo's decision 215 was made (dossiers approved, then issued).
        bk = award_type_for("BK_TINH", last_year)
        dossier_ids = []
        for unit, row in list(zip(units, people_rows, strict=True))[:size.awardees]:
            dossier = nominations.create_nomination(
                unit=unit, nominee=nominations.Nominee(person=row[-1]), award_type=bk, method=AwardMethod.REGULAR,
                year=last_year, achievement_summary="Hoàn thành xuất sắc nhiệm vụ, có nhiều đóng góp cho đơn vị.",
                actor=None)
            for action in ("submit", "accept", "approve"):
                workflow.transition(dossier, action, actor=None)
            dossier_ids.append(dossier.id)
        if dossier_ids:
            decision = decisions.create_draft(award_type=bk, issuer_unit=province, method=AwardMethod.REGULAR,
                                              year=last_year, nomination_ids=dossier_ids)
            decisions.issue_decision(decision, number="388/QĐ-UBND",
                                     signed_on=min(decisions.local_today(), date(last_year + 1, 1, 25)),
                                     signer_name="Đỗ Minh Tuấn", signer_title="CHỦ TỊCH", actor=None)
        db.session.commit()

    codes = list(db.session.scalars(sa.select(DecisionItem.verify_code).where(DecisionItem.verify_code.is_not(None))))
    gk = award_type_for("GK_SO", this_year)
    return {
        "campaign_id": campaign.id, "award_type_id": gk.id, "award_name": gk.name, "year": this_year,
        "method": AwardMethod.THEMATIC.value, "codes": codes,
        "officers": [{"username": o.username, "password": OFFICER_PASSWORD, "unit_id": u.id, "unit_name": u.name,
                      "people": [{"id": p.id, "name": p.full_name, "q": fold(p.full_name)} for p in row]}
                     for o, u, row in officers],
    }


# --- the server ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py, in its own process group, logging to a file."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.logfile = open(self.log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, url: str, timeout: float = 60) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # graceful: finish the requests in flight
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # a worker that outlived its master
            os.killpg(self.process.pid, signal.SIGKILL)
        self.logfile.close()
        self.process = None

    def tail(self, lines: int = 30) -> str:
        self.logfile.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def server_log_findings(log: Path) -> dict:
    """What the server said: 5xx in the access log, tracebacks, worker timeouts and restarts."""
    text = log.read_text(errors="replace")
    status = Counter(m.group(1) for m in re.finditer(r'HTTP/1\.[01]" (\d{3}) ', text))
    # The server's own time for each request (gunicorn's %(L)s: from the worker reading it to the answer),
    # without the wait for a free worker thread that the client's figures include.
    served: dict[str, list[float]] = defaultdict(list)
    for method, path, seconds in re.findall(r'"(\w+) (\S+) HTTP/1\.[01]" \d{3} \S+ ([\d.]+)s', text):
        name = "submit POST" if method == "POST" and SUBMIT_PATH.fullmatch(path) else \
            "trivial" if path.startswith("/static/") else "other"
        served[name].append(float(seconds) * 1000)
        served["all"].append(float(seconds) * 1000)
    return {
        "served": served,
        "status": status,
        "5xx": sum(n for s, n in status.items() if s.startswith("5")),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "worker_boots": text.count("Booting worker"),
        "examples": [line for line in text.splitlines()
                     if re.search(r'" 5\d\d |Traceback|WORKER TIMEOUT|Error', line)][:8],
    }


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` (the server's pooled connections)."""
    found = {}
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if f" {database} " in " ".join(process.info["cmdline"] or []):
                found[process.pid] = sum(process.cpu_times()[:2])
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process, its live children and the children it has reaped."""
    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:4])  # user, system, children_user, children_system
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                total += sum(child.cpu_times()[:2])
        return total
    except psutil.NoSuchProcess:
        return 0.0


# --- the load --------------------------------------------------------------------------------------

def arrival_s(size: Size) -> int:
    """Seconds for every user to be started at the spawn rate."""
    return math.ceil((size.officers + size.verify_users + PROBES + 1) / size.spawn_rate)


def time_limit(size: Size) -> int:
    """locust's --run-time: only a safety limit, the locustfile stops `run_s` after the last login."""
    return arrival_s(size) + size.run_s + 300


def run_locust(host: str, size: Size, config_path: Path, out_path: Path, log: Path, args) -> subprocess.CompletedProcess:
    users = size.officers + size.verify_users + PROBES + 1  # + the /healthz monitor
    env = {**os.environ, "LOAD_CONFIG": str(config_path), "LOAD_OUT": str(out_path),
           "LOAD_OFFICERS": str(size.officers), "LOAD_VERIFY_USERS": str(size.verify_users),
           "LOAD_VERIFY_RATE": str(size.verify_rate), "LOAD_THINK": f"{size.think[0]},{size.think[1]}",
           "LOAD_DOUBLE_CLICK": str(args.double_click), "LOAD_PROBES": str(PROBES), "LOAD_STEADY_S": str(size.run_s)}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
               "--users", str(users), "--spawn-rate", f"{size.spawn_rate:g}",
               "--run-time", f"{time_limit(size)}s", "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            process.wait(timeout=time_limit(size) + 120)
        except BaseException:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # locust stops its users and writes its results
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            raise
    return process


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


# --- counting the rows -----------------------------------------------------------------------------

def count_rows(url: str, run: str, results: dict) -> dict:
    """Every acknowledged submission exists exactly once, submitted, with its timeline event and audit
    entry; every acknowledged draft exists."""
    marker = re.compile(rf"{re.escape(run)}-\d+-\d+")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, status, achievement_summary FROM nominations WHERE achievement_summary LIKE :pattern"),
                {"pattern": f"%{run}-%"}).all()
            ids = [r.id for r in rows] or [0]
            submit_events = Counter(dict(conn.execute(sa.text(
                "SELECT nomination_id, count(*) FROM nomination_events WHERE action = 'submit' "
                "AND nomination_id = ANY(:ids) GROUP BY nomination_id"), {"ids": ids}).all()))
            audited = {int(r[0]) for r in conn.execute(sa.text(
                "SELECT object_id FROM audit_entries WHERE action = 'nomination.submit' AND object_id = ANY(:ids)"),
                {"ids": [str(i) for i in ids]}).all()}
            attachments = Counter(dict(conn.execute(sa.text(
                "SELECT nomination_id, count(*) FROM nomination_attachments WHERE nomination_id = ANY(:ids) "
                "GROUP BY nomination_id"), {"ids": ids}).all()))
    finally:
        engine.dispose()
    by_marker: dict[str, list] = defaultdict(list)
    for row in rows:
        found = marker.search(row.achievement_summary or "")
        if found:
            by_marker[found.group(0)].append(row)
    acked_submits, acked_drafts = set(results["acked_submits"]), set(results["acked_drafts"])
    submitted = {m for m, rs in by_marker.items() if any(r.status == "submitted" for r in rs)}
    submitted_ids = [r.id for rs in by_marker.values() for r in rs if r.status == "submitted"]
    return {
        "rows": len(rows),
        "lost": len(acked_submits - submitted),  # acknowledged, but no row of it is in the submitted state
        "lost_drafts": len(acked_drafts - by_marker.keys()),
        "duplicated": sum(len(rs) - 1 for rs in by_marker.values() if len(rs) > 1),
        "duplicated_markers": sorted(m for m, rs in by_marker.items() if len(rs) > 1)[:5],
        "submitted": len(submitted),
        "submitted_unacked": len(submitted - acked_submits),  # sent when the load stopped mid-request
        "drafts_left": sum(1 for rs in by_marker.values() for r in rs if r.status == "draft"),
        "double_submit_events": sum(1 for i in submitted_ids if submit_events[i] > 1),
        "missing_submit_events": sum(1 for i in submitted_ids if submit_events[i] == 0),
        "missing_audit": sum(1 for i in submitted_ids if i not in audited),
        "without_attachment": sum(1 for i in submitted_ids if attachments[i] == 0),
    }


# --- the run ---------------------------------------------------------------------------------------

def choose_size(args) -> Size:
    size = QUICK if args.quick else FULL
    changes = {key: value for key, value in {
        "officers": args.officers, "run_s": args.duration, "workers": args.workers, "spawn_rate": args.spawn_rate,
        "verify_users": args.verify_users, "verify_rate": args.verify_rate,
    }.items() if value is not None}
    if args.think:
        low, _, high = args.think.partition("-")
        changes["think"] = (float(low), float(high or low))
    size = replace(size, **changes)
    return replace(size, awardees=min(size.awardees, size.officers))


def deadline_day() -> date:
    """Today: the nomination deadline is a date, so "the last minutes before the deadline" are the last
    minutes of its day. Close to midnight the deadline moves to tomorrow, or the run would end late."""
    now = datetime.now()
    return now.date() + timedelta(days=1) if now.hour == 23 and now.minute >= 50 else now.date()


def run(args) -> int:
    size = choose_size(args)
    rng = random.Random(args.seed)
    run_id = "TT" + secrets.token_hex(3).upper()
    own_db = f"thidua_load_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="thidua-load-"))
    url = f"{SERVER}/{own_db}"
    server = None
    created = False

    def terminate(signum, frame):  # SIGTERM: clean up as for Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        create_database(own_db)
        created = True
        started = time.perf_counter()
        from thidua import create_app
        from thidua.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seeding-only", "INSTANCE_PATH": tmp,
                          "UPLOAD_FOLDER": tmp / "uploads", "TASK_QUEUE_FILE": tmp / "jobs.sqlite3",
                          "TASK_QUEUE_EMBEDDED": False, "TASK_QUEUE_PERIODIC": False})
        deadline = deadline_day()
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            config = seed(size, rng, deadline)
            db.session.remove()
            db.engine.dispose()
        config["run"] = run_id
        pdf = tmp / "bao-cao-tom-tat.pdf"
        pdf.write_bytes(report_pdf(args.pdf_kb, "BAO CAO TOM TAT THANH TICH", "De nghi tang Giay khen cua Giam doc So",
                                   "Dot thi dua cao diem"))
        config["pdf"] = str(pdf)
        config_path = tmp / "load-config.json"
        config_path.write_text(json.dumps(config, ensure_ascii=False))
        print(f"seeded {size.officers} units with one officer and {size.people_per_unit} people each, "
              f"{len(config['codes'])} verification codes, campaign deadline {deadline:%d/%m/%Y} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)

        port = free_port()
        host = f"http://127.0.0.1:{port}"
        env = {**os.environ, "THIDUA_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
               "DATABASE_URL": url, "THIDUA_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(size.workers),
               "SESSION_COOKIE_SECURE": "0", "RATELIMIT_ENABLED": "0", "THIDUA_INSTANCE_PATH": str(tmp / "instance"),
               "UPLOAD_FOLDER": str(tmp / "uploads"), "TASK_QUEUE_FILE": str(tmp / "jobs.sqlite3")}
        for key in ("REDIS_URL", "SMTP_HOST", "PUBLIC_BASE_URL", "PROXY_FIX_HOPS"):
            env.pop(key, None)  # loopback, no queue server, no mail: nothing of this machine's settings
        server = Gunicorn(env, tmp / "gunicorn.log")
        server.start()
        boot_s = server.wait_healthy(host)
        threads = int(env.get("GUNICORN_THREADS", "4"))
        print(f"gunicorn on {host}: WEB_CONCURRENCY={size.workers} workers x {threads} threads (gthread), "
              f"deploy/gunicorn.conf.py, THIDUA_ENV=production, up in {boot_s:.1f} s; rate limiter OFF "
              f"(RATELIMIT_ENABLED=0: this measures capacity, not the limiter)", flush=True)
        print(f"load: {size.officers} unit officers (pause {size.think[0]:g}-{size.think[1]:g} s between steps), "
              f"{size.verify_users} look-up users at {size.verify_rate:g}/s each, {PROBES} probes on a static file "
              f"at 1/s each, /healthz every 2 s; arriving over {arrival_s(size)} s, then {size.run_s} s of load ...",
              flush=True)

        out_path = tmp / "locust-results.json"
        locust_log = tmp / "locust.log"
        usage = {"load_before": os.getloadavg()[0]}
        machine, server_cpu, backends = psutil.cpu_times(), tree_cpu(server.process.pid), backends_cpu(own_db)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # gunicorn is not reaped before the end
        run_locust(host, size, config_path, out_path, locust_log, args)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        usage["locust_cpu_s"] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        usage["server_cpu_s"] = tree_cpu(server.process.pid) - server_cpu
        usage["postgres_cpu_s"] = sum(cpu - backends.get(pid, 0.0) for pid, cpu in backends_cpu(own_db).items())
        now = psutil.cpu_times()
        busy = sum(now) - now.idle - now.iowait - (sum(machine) - machine.idle - machine.iowait)
        usage["machine_busy"] = busy / max(sum(now) - sum(machine), 1e-9)
        usage["machine_busy_s"] = busy
        usage["load_after"] = os.getloadavg()[0]
        if not out_path.exists():
            raise RuntimeError("locust wrote no results:\n" + locust_log.read_text(errors="replace")[-3000:])
        results = json.loads(out_path.read_text())
        server.stop()  # every transaction is over before counting
        findings = server_log_findings(tmp / "gunicorn.log")
        counts = count_rows(url, run_id, results)
        for line in locust_log.read_text(errors="replace").splitlines():
            if "CPU usage" in line or "Traceback" in line:
                print(f"locust: {line.strip()[:200]}")
        return report(size, results, counts, findings, usage)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept the database {url} and the folder {tmp} (drop and remove them yourself)")
        else:
            if created:
                drop_database(own_db)
            shutil.rmtree(tmp, ignore_errors=True)


def split_phases(results: dict, officers: int) -> tuple[list, list, float, float]:
    """(ramp samples, steady samples, steady start, steady end). The steady window starts when the last
    officer has logged in: before that the logins (a scrypt hash each) share the server with everything."""
    samples = [tuple(s) for s in results["samples"]]
    if not samples:
        return [], [], 0.0, 0.0
    first = min(s[1] for s in samples)
    logged_in = results["logged_in"]
    steady_start = max(logged_in) if len(logged_in) == officers else first
    ramp = [s for s in samples if s[1] < steady_start]
    steady = [s for s in samples if s[1] >= steady_start]
    steady_end = max((s[1] + s[2] / 1000 for s in steady), default=steady_start)
    return ramp, steady, steady_start, steady_end


def times(samples: list, prefix: str) -> list[float]:
    return [s[2] for s in samples if s[0].startswith(prefix)]


def report(size: Size, results: dict, counts: dict, findings: dict, usage: dict) -> int:
    if not results["samples"]:
        raise RuntimeError("locust made no request")
    ramp, steady, steady_start, steady_end = split_phases(results, size.officers)
    all_samples = ramp + steady
    duration = max(steady_end - steady_start, 1e-9)
    first = min((s[1] for s in all_samples), default=steady_start)
    logins = times(all_samples, "officer: login POST")
    print(f"\narrival: {len(results['logged_in'])}/{size.officers} officers logged in within "
          f"{max(results['logged_in'], default=first) - first:.1f} s at {size.spawn_rate:g} a second (login POST p50 "
          f"{percentile(logins, 50):.0f} ms, p95 {percentile(logins, 95):.0f} ms: a scrypt hash each)")
    if len(results["logged_in"]) < size.officers:
        print("WARNING: not every officer could log in before the time limit (the server is saturated): there is "
              "no steady window, the figures below are those of the whole run")
        steady, duration = all_samples, max(s[1] + s[2] / 1000 for s in all_samples) - first
    else:
        print(f"the figures below are those of the {duration:.1f} s after the last login (the steady window)")
    print(f"\n{'request':<40}{'count':>7}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name in sorted({s[0] for s in steady}):
        values = times(steady, name)
        fails = sum(1 for s in steady if s[0] == name and not s[3])
        print(f"{name:<40}{len(values):>7}{fails:>6}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
              f"{percentile(values, 99):>9.0f}{max(values):>9.0f}")
    errors = sum(1 for s in all_samples if not s[3])
    for message, count in sorted(results["failure_messages"].items(), key=lambda kv: -kv[1])[:8]:
        print(f"  error x{count}: {message}")
    submit, trivial = times(steady, "officer: submit POST"), times(steady, "trivial:")
    verify, officer = times(steady, "verify"), times(steady, "officer")
    ratio = percentile(submit, 95) / percentile(trivial, 95) if percentile(trivial, 95) else 0.0
    rps = len(steady) / duration
    print(f"\nsteady: {len(steady)} requests in {duration:.1f} s = {rps:.1f}/s (officers {len(officer) / duration:.1f}/s, "
          f"look-ups {len(verify) / duration:.1f}/s); officer requests p95 {percentile(officer, 95):.0f} ms; "
          f"errors in the whole run {errors}")
    print(f"dossiers: {len(results['acked_drafts'])} drafts and {len(results['acked_submits'])} submissions "
          f"acknowledged; in the database {counts['rows']} rows, {counts['submitted']} submitted "
          f"({counts['submitted_unacked']} not acknowledged: in flight when the load stopped), "
          f"{counts['drafts_left']} drafts left; lost {counts['lost']} (drafts {counts['lost_drafts']}), "
          f"duplicated {counts['duplicated']} {counts['duplicated_markers'] or ''}")
    print(f"submitted dossiers: {counts['double_submit_events']} with two 'submit' events, "
          f"{counts['missing_submit_events']} without one, {counts['missing_audit']} without an audit entry, "
          f"{counts['without_attachment']} without an attachment; double-clicked saves: {results['double_clicks']} "
          f"(the second click's answer: {dict(results['double_click_answers'])})")
    statuses = " ".join(f"{s}:{n}" for s, n in sorted(findings["status"].items()))
    print(f"server log: {statuses}; tracebacks {findings['tracebacks']}, worker timeouts "
          f"{findings['worker_timeouts']}, workers booted {findings['worker_boots']}")
    served = findings["served"]
    print(f"server-side time (gunicorn's, whole run, without the wait for a free worker thread): submit POST p50 "
          f"{percentile(served['submit POST'], 50):.0f} ms, p95 {percentile(served['submit POST'], 95):.0f} ms; "
          f"static file p95 {percentile(served['trivial'], 95):.0f} ms; all requests p95 "
          f"{percentile(served['all'], 95):.0f} ms")
    for line in findings["examples"]:
        print(f"  {line[:200]}")
    server_ms = usage["server_cpu_s"] * 1000 / max(len(all_samples), 1)
    others = usage["machine_busy_s"] - usage["server_cpu_s"] - usage["locust_cpu_s"] - usage["postgres_cpu_s"]
    print(f"CPU during the load: gunicorn {usage['server_cpu_s']:.0f} s ({server_ms:.1f} ms a request), PostgreSQL "
          f"backends {usage['postgres_cpu_s']:.0f} s, locust {usage['locust_cpu_s']:.0f} s, other work on the machine "
          f"{max(others, 0):.0f} s; the {os.cpu_count()} cores busy {usage['machine_busy']:.0%}, load average "
          f"{usage['load_before']:.1f} before, {usage['load_after']:.1f} after (other work slows every figure: "
          f"compare runs made on an idle machine)")
    print(f"ratio_vs_trivial = p95 of 'Gửi hồ sơ' (POST /nominations/<id>/submit) ÷ p95 of GET /static/css/app.css "
          f"(served by the same gunicorn), both in the steady window = {percentile(submit, 95):.0f} / "
          f"{percentile(trivial, 95):.0f} ms")
    pairs = {
        "rps": f"{rps:.1f}", "p50_ms": f"{percentile(submit, 50):.0f}", "p95_ms": f"{percentile(submit, 95):.0f}",
        "p99_ms": f"{percentile(submit, 99):.0f}", "errors": errors, "lost": counts["lost"],
        "duplicated": counts["duplicated"], "ratio_vs_trivial": f"{ratio:.1f}",
        "submitted": len(results["acked_submits"]), "verify_rps": f"{len(verify) / duration:.1f}",
        "verify_p95_ms": f"{percentile(verify, 95):.0f}", "officer_p95_ms": f"{percentile(officer, 95):.0f}",
        "trivial_p95_ms": f"{percentile(trivial, 95):.0f}",
        "healthz_p95_ms": f"{percentile(times(steady, 'monitor: /healthz'), 95):.0f}", "login_p95_ms":
            f"{percentile(times(all_samples, 'officer: login POST'), 95):.0f}",
        "server_submit_p95_ms": f"{percentile(findings['served']['submit POST'], 95):.0f}", "server_5xx": findings["5xx"], "server_cpu_ms_per_req": f"{server_ms:.1f}", "officers": size.officers,
        "workers": size.workers, "steady_s": f"{duration:.0f}", "load_avg": f"{usage['load_before']:.1f}",
    }
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))
    return 1 if counts["lost"] or counts["duplicated"] or counts["lost_drafts"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 officers, 20 s")
    parser.add_argument("--officers", type=int, help="unit officers (units), default 200 (20 with --quick)")
    parser.add_argument("--duration", type=int,
                        help="seconds of load once every user has arrived, default 75 (20 with --quick)")
    parser.add_argument("--spawn-rate", type=float, help="officers arriving (logging in) per second, default 5")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY), default 3")
    parser.add_argument("--verify-users", type=int, help="anonymous look-up users, default 50 (10 with --quick)")
    parser.add_argument("--verify-rate", type=float, help="look-ups per second of each such user, default 1 (2)")
    parser.add_argument("--think", help="an officer's pause between steps, seconds: LOW-HIGH (default 2-5, "
                                        "0.5-1.5 with --quick)")
    parser.add_argument("--double-click", type=float, default=0.1,
                        help="share of draft saves sent twice at once, as an impatient double click (default 0.1)")
    parser.add_argument("--pdf-kb", type=int, default=300, help="size of the uploaded report, KB (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generated data")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs (remove them yourself)")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except Unreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: server stopped, database dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
