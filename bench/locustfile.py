"""The users of bench/load.py, for locust (headless; bench/load.py starts it and reads what it writes).

- `Officer`: a unit officer in the last minutes before a nomination deadline. Logs in once through the
  login form (with its CSRF token), then, dossier after dossier: opens the new-dossier form, searches the
  registry for the person as typed without diacritics, saves the draft (a share of the saves sent twice at
  once, as an impatient double click), opens the dossier, uploads the short report (PDF) through the upload
  form, and presses "Gửi hồ sơ"; the dossier page that follows must say it was sent. Every form is the
  real one, every POST carries the CSRF token read from the page it comes from, and each dossier carries a
  unique marker in its achievement summary so that bench/load.py can count the rows afterwards.
- `Verifier`: anonymous look-ups of /verify/<code>, four valid codes for one invalid (a 404 is the right
  answer to an invalid code and is not an error).
- `Probe`: GET /static/css/app.css once a second (LOAD_PROBES users), the trivial endpoint of the same
  server (no database, no session, no template).
- `Monitor`: GET /healthz every 2 s, as a load balancer or an uptime check would.

Settings come from the environment (LOAD_CONFIG: the JSON written by bench/load.py; LOAD_OUT: where to
write the timings, failures and acknowledged markers when locust quits; LOAD_OFFICERS, LOAD_VERIFY_USERS,
LOAD_VERIFY_RATE, LOAD_PROBES, LOAD_THINK "low,high", LOAD_DOUBLE_CLICK; LOAD_STEADY_S: seconds of load after the last
officer has logged in, then locust stops). Not meant to be run by hand.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import time
from base64 import b32encode
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, constant_pacing, constant_throughput, events, task
from locust.exception import StopUser
from urllib3 import encode_multipart_formdata

if "LOAD_CONFIG" not in os.environ:
    raise SystemExit("bench/locustfile.py is driven by bench/load.py (LOAD_CONFIG is not set)")

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
RUN = CONFIG["run"]
PDF = Path(CONFIG["pdf"]).read_bytes()
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "1,3").split(","))
DOUBLE_CLICK = float(os.environ.get("LOAD_DOUBLE_CLICK", "0"))
ACCOUNTS = list(enumerate(CONFIG["officers"]))[::-1]  # popped from the end: officer 0 first

SUBMIT_OK = "Đã gửi hồ sơ tới Ban Thi đua - Khen thưởng."
TRIVIAL = "trivial: /static/css/app.css"
DUPLICATE_REFUSED = "Đơn vị đã có hồ sơ đề nghị"
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
DOSSIER_URL = re.compile(r"/nominations/(\d+)$")
FLASH = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)
TAGS = re.compile(r"<[^>]+>")

# What bench/load.py reads back.
SAMPLES: list[tuple[str, float, float, bool]] = []  # name, start (epoch s), response time (ms), succeeded
MESSAGES: Counter = Counter()
LOGGED_IN: list[float] = []  # when each officer had logged in and seen the home page
ACKED_DRAFTS: list[str] = []
ACKED_SUBMITS: list[str] = []
DOUBLE_CLICK_ANSWERS: Counter = Counter()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, **_):
    SAMPLES.append((name, start_time or time.time(), response_time, exception is None))
    if exception is not None:
        MESSAGES[f"{name}: {str(exception)[:160]}"] += 1


@events.test_start.add_listener
def _schedule_stop(environment, **_):
    """Stop STEADY seconds after the last officer has logged in: the steady window has its full length
    however long the arrival took (locust's --run-time is only the safety limit)."""
    officers, steady = int(os.environ.get("LOAD_OFFICERS", "0")), float(os.environ.get("LOAD_STEADY_S", "0"))

    def stop_later():
        while len(LOGGED_IN) < officers:
            gevent.sleep(0.2)
        gevent.sleep(steady)
        environment.runner.quit()

    if officers and steady:
        gevent.spawn(stop_later)


@events.quitting.add_listener
def _write(environment, **_):
    out = {"samples": SAMPLES, "failure_messages": MESSAGES, "logged_in": LOGGED_IN, "acked_drafts": ACKED_DRAFTS, "acked_submits": ACKED_SUBMITS,
           "double_clicks": sum(DOUBLE_CLICK_ANSWERS.values()), "double_click_answers": DOUBLE_CLICK_ANSWERS}
    Path(os.environ["LOAD_OUT"]).write_text(json.dumps(out, ensure_ascii=False))


def csrf_token(html: str) -> str | None:
    found = CSRF.search(html)
    return (found.group(1) or found.group(2)) if found else None


def flash_text(html: str) -> str:
    """The page's alerts as text, to say why a step was refused."""
    return " | ".join(" ".join(TAGS.sub(" ", m).split()) for m in FLASH.findall(html))[:200] or "no message"


def form_body(fields: list[tuple[str, str]]) -> tuple[str, dict]:
    return urlencode(fields), {"Content-Type": "application/x-www-form-urlencoded"}


class Browser(FastHttpUser):
    abstract = True

    def __init__(self, environment):
        super().__init__(environment)
        # Never follow a redirect (each step is a request of its own). Set once for good: FastHttpSession
        # turns following off and back on around each request with allow_redirects=False, and two requests
        # of one user at once (the double click) would turn it back on under the other's feet.
        self.client.client.redirect_response_codes = frozenset()

    def call(self, name: str, method: str, url: str, *, fields=None, body=None, headers=None,
             expect=(200,), must_contain: str | None = None):
        """One request, redirects not followed (a browser's next request is a step of its own), on a new
        connection; None when the answer is not the expected one (recorded as a failure with the reason)."""
        if fields is not None:
            body, headers = form_body(fields)
        # A connection per request, as nginx (deploy/docs: HTTP/1.0 to the upstream) opens to gunicorn.
        headers = {**(headers or {}), "Connection": "close"}
        with self.client.request(method, url, name=name, data=body, headers=headers, allow_redirects=False,
                                 catch_response=True) as response:
            if response.status_code not in expect:
                if response.status_code == 0:  # no answer: refused, reset, or no answer within the timeout
                    response.failure(f"no answer: {type(response.error).__name__} {response.error}"[:160])
                else:
                    detail = flash_text(response.text) if response.status_code == 200 else ""
                    response.failure(f"answered {response.status_code}, expected {expect} {detail}".strip())
                return None
            if must_contain and must_contain not in response.text:
                response.failure(f"page lacks “{must_contain[:60]}”: {flash_text(response.text)}")
                return None
            response.success()
            return response


class Officer(Browser):
    fixed_count = int(os.environ.get("LOAD_OFFICERS", "0"))
    wait_time = between(*THINK)

    def on_start(self):
        if not ACCOUNTS:
            raise StopUser
        self.index, self.account = ACCOUNTS.pop()
        self.people = list(self.account["people"])
        self.made = 0
        self.logged_in = False
        self.login()

    def login(self) -> None:
        page = self.call("officer: login form GET", "GET", "/auth/login", expect=(200, 302))
        if page is not None and page.status_code == 302:  # logged in after all: the answer came too late
            self.home()
            return
        token = page and csrf_token(page.text)
        if not token:
            return
        self.wait()
        answer = self.call("officer: login POST", "POST", "/auth/login", expect=(302,), fields=[
            ("csrf_token", token), ("username", self.account["username"]), ("password", self.account["password"])])
        if answer is None:
            return
        location = answer.headers.get("Location") or answer.headers.get("location") or ""
        if location.removeprefix(self.host) != "/":
            # Anything but the home page (a password change, two-factor setup) stops the officer here.
            self.fail("officer: login POST", f"the login led to {location}, not to the home page")
            return
        self.home()

    def home(self) -> None:
        self.logged_in = self.call("officer: home GET", "GET", "/") is not None
        if self.logged_in:
            LOGGED_IN.append(time.time())

    def think(self) -> None:
        self.wait()  # stops here, between two steps, when the load ends

    def fields(self, token: str, person: dict | None, search: str, marker: str | None) -> list[tuple[str, str]]:
        """The form as the browser sends it: every field, the person picked (or "new" and the new person's
        fields) once `marker` is given, i.e. for the save; without it, the fields before the search."""
        unit_id = str(self.account["unit_id"])
        new = marker is not None and person is None
        chosen = [("person_id", str(person["id"]) if person else "new")] if marker is not None else []
        summary = (f"Hoàn thành xuất sắc nhiệm vụ trong đợt thi đua cao điểm năm {CONFIG['year']}; tích cực đổi mới "
                   f"phương pháp làm việc, được đồng nghiệp tín nhiệm. Mã kiểm đếm {marker}.") if marker else ""
        return [
            ("csrf_token", token), ("version", ""), ("unit_id", unit_id), ("nominee_kind", "individual"),
            ("person_q", search), *chosen,
            ("new_full_name", search if new else ""), ("new_gender", "female" if new else ""),
            ("new_birth_date", "15/04/1990" if new else ""), ("new_position", "Giáo viên" if new else ""),
            ("new_unit_id", unit_id if new else "0"), ("new_subject_category", "direct_worker" if new else ""),
            ("nominee_unit_id", "0"), ("award_type_id", str(CONFIG["award_type_id"])), ("method", CONFIG["method"]),
            ("year", str(CONFIG["year"])), ("campaign_id", str(CONFIG["campaign_id"])),
            ("achievement_summary", summary),
        ]

    def fail(self, name: str, message: str) -> None:
        self.environment.events.request.fire(request_type="GET", name=name, response_time=0, response_length=0,
                                             response=None, context={}, exception=RuntimeError(message))

    def save(self, fields: list[tuple[str, str]]):
        """The draft's save; sometimes sent twice at once. The answer that redirected to the new dossier."""
        if random.random() >= DOUBLE_CLICK:
            return self.call("officer: save draft POST", "POST", "/nominations/new", fields=fields, expect=(302,))
        name = "officer: save draft POST (double click)"
        clicks = [gevent.spawn(self.call, name, "POST", "/nominations/new", fields=fields, expect=(200, 302))
                  for _ in range(2)]
        gevent.joinall(clicks)
        answers = [c.value for c in clicks]
        saved = [a for a in answers if a is not None and a.status_code == 302]
        others = [a for a in answers if a is not None and a.status_code != 302]
        if len(saved) == 2:
            DOUBLE_CLICK_ANSWERS["both saved"] += 1
        elif saved and others:
            refused = DUPLICATE_REFUSED in others[0].text
            DOUBLE_CLICK_ANSWERS["duplicate refused" if refused else f"other: {flash_text(others[0].text)[:80]}"] += 1
        else:
            DOUBLE_CLICK_ANSWERS["no dossier saved"] += 1
        return saved[0] if saved else None

    @task
    def dossier(self):
        if not self.logged_in:
            self.login()
            return
        person = self.people.pop(0) if self.people else None  # then someone new to the registry
        self.made += 1
        marker = f"{RUN}-{self.index:03d}-{self.made:03d}"
        search = person["q"] if person else f"Nguyễn Thị Mới {self.index}-{self.made}"

        page = self.call("officer: form GET", "GET", "/nominations/new",
                         must_contain=f'value="{CONFIG["campaign_id"]}"')
        token = page and csrf_token(page.text)
        if not token:
            return
        self.think()
        expected = f'value="{person["id"]}"' if person else "Không tìm thấy ai"
        page = self.call("officer: search POST", "POST", "/nominations/new",
                         fields=[*self.fields(token, person, search, None), ("search", "1")],
                         must_contain=expected)
        if page is None:
            return
        self.think()
        answer = self.save(self.fields(token, person, search, marker))
        found = answer and DOSSIER_URL.search(answer.headers.get("Location") or answer.headers.get("location") or "")
        if not found:
            return
        ACKED_DRAFTS.append(marker)
        dossier = f"/nominations/{found.group(1)}"

        if self.call("officer: dossier GET", "GET", dossier, must_contain=marker) is None:
            return
        self.think()
        page = self.call("officer: upload form GET", "GET", f"{dossier}/attachments/new?part=short_report")
        token = page and csrf_token(page.text)
        if not token:
            return
        self.think()
        body, content_type = encode_multipart_formdata([
            ("csrf_token", token), ("part", "short_report"),
            ("file", (f"Báo cáo tóm tắt - {marker}.pdf", PDF, "application/pdf"))])
        if self.call("officer: upload POST", "POST", f"{dossier}/attachments/new", body=body,
                     headers={"Content-Type": content_type}, expect=(302,)) is None:
            return
        page = self.call("officer: dossier GET", "GET", dossier, must_contain=f"{dossier}/submit")
        token = page and csrf_token(page.text)
        if not token:
            return
        self.think()
        if self.call("officer: submit POST", "POST", f"{dossier}/submit", fields=[("csrf_token", token), ("note", "")],
                     expect=(302,)) is None:
            return
        # What the officer reads next: the dossier page with the outcome on top.
        if self.call("officer: dossier after submit GET", "GET", dossier, must_contain=SUBMIT_OK) is not None:
            ACKED_SUBMITS.append(marker)


class Verifier(Browser):
    fixed_count = int(os.environ.get("LOAD_VERIFY_USERS", "0"))
    wait_time = constant_throughput(float(os.environ.get("LOAD_VERIFY_RATE", "5")))

    @task(4)
    def valid(self):
        self.call("verify: valid code", "GET", f"/verify/{random.choice(CONFIG['codes'])}", must_contain="Hợp lệ.")

    @task(1)
    def invalid(self):
        code = b32encode(secrets.token_bytes(13)).decode().rstrip("=")
        self.call("verify: invalid code", "GET", f"/verify/{code}", expect=(404,))


class Probe(Browser):
    """The trivial endpoint: a static file served by the same gunicorn (no database, no session, no
    template; in production nginx serves /static/ itself, so this is the floor of a request to the app)."""

    fixed_count = int(os.environ.get("LOAD_PROBES", "1"))
    wait_time = constant_pacing(1.0)

    @task
    def static_file(self):
        self.call(TRIVIAL, "GET", "/static/css/app.css", must_contain="{")


class Monitor(Browser):
    """A health monitor (a load balancer's or an uptime check's): GET /healthz every 2 s, one at a time."""

    fixed_count = 1
    wait_time = constant_pacing(2.0)

    @task
    def healthz(self):
        self.call("monitor: /healthz", "GET", "/healthz")
