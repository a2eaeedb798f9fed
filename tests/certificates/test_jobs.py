"""Certificate batches through the task queue: the print form, the real Huey consumer (an embedded thread on
an SQLite queue file, or Redis), the job page, status.json and the download."""

from __future__ import annotations

import io
import os
import re
import subprocess
import time
import uuid

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from thidua import jobs
from thidua.auth.models import Role
from thidua.certificates import batch
from thidua.certificates.models import JobStatus, PrintJob, PrintLog, PrintMode
from thidua.certificates.seed import seed_certificate_templates

from .test_batch import NAMES, make_issued_decision, names_in_order


@pytest.fixture
def queue(app, tmp_path):
    """The app's queue for one test, from its config: an SQLite file consumed by an embedded thread unless
    the test changes the config first (`queue.configure(...)`); the consumer is stopped afterwards."""

    class Queue:
        def configure(self, **config):
            jobs.stop_embedded_consumer(app)
            app.config.update(config)
            jobs.init_app(app)

    saved = {key: app.config[key] for key in ("REDIS_URL", "TASK_QUEUE_FILE", "TASK_QUEUE_EMBEDDED")}
    before = (app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"])
    q = Queue()
    q.configure(REDIS_URL="", TASK_QUEUE_FILE=tmp_path / "jobs.sqlite3", TASK_QUEUE_EMBEDDED=True)
    yield q
    jobs.stop_embedded_consumer(app)
    app.config.update(saved)
    app.config.pop("TASK_QUEUE_NAME", None)
    app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"] = before


@pytest.fixture
def staff(users, login_as):
    return login_as(users[Role.SECRETARIAT])


def wait_for(client, job_id: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/print-jobs/{job_id}/status.json").get_json()
        if state["finished"]:
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {state}")


def download(client, url: str) -> bytes:
    response = client.get(url)
    try:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        return response.data
    finally:
        response.close()  # send_file's open file


def post_job(client, decision, **data) -> int:
    form = {"unit_id": 0, "mode": PrintMode.FULL.value, "calibration_id": 0, "copies": 1, **data}
    response = client.post(f"/print-jobs/decisions/{decision.id}/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_print_request_runs_on_embedded_queue_and_downloads_pdf_in_order(db, province, unit, staff, queue):
    decision = make_issued_decision(province, unit, 5)
    job_id = post_job(staff, decision)
    assert "đang tạo tệp PDF" in staff.get(f"/print-jobs/{job_id}").get_data(as_text=True)
    state = wait_for(staff, job_id)
    assert state["status"] == "done", state
    page = staff.get(f"/print-jobs/{job_id}").get_data(as_text=True)
    assert "Tải tệp PDF" in page and state["download_url"] in page
    data = download(staff, state["download_url"])
    assert len(PdfReader(io.BytesIO(data)).pages) == 5
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    assert names_in_order(text.decode("utf-8"), NAMES[:5])


def test_print_request_for_a_unit_with_two_copies_prints_only_its_awardees_twice(db, province, unit, staff,
                                                                                   queue):
    from .. import factories

    seed_certificate_templates()
    health = factories.make_unit(name="Sở Y tế", parent=province)
    awardees = [factories.make_person(full_name="Nguyễn Thị Hằng", unit=unit),
                factories.make_person(full_name="Trần Văn Đức", unit=health),
                factories.make_person(full_name="Lê Thị Thu Hương", unit=unit)]
    decision = factories.make_decision(issuer=province, awardees=awardees)
    job_id = post_job(staff, decision, unit_id=unit.id, copies=2, mode=PrintMode.BLANK.value)
    assert wait_for(staff, job_id)["status"] == "done"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(download(staff, f"/print-jobs/{job_id}/download"))).pages]
    names = [next(n for n in ("Nguyễn Thị Hằng", "Trần Văn Đức", "Lê Thị Thu Hương") if n in p) for p in pages]
    assert names == ["Nguyễn Thị Hằng", "Nguyễn Thị Hằng", "Lê Thị Thu Hương", "Lê Thị Thu Hương"]


def test_print_form_lists_decision_units_with_counts(db, province, unit, staff):
    decision = make_issued_decision(province, unit, 3)
    page = staff.get(f"/print-jobs/decisions/{decision.id}/new").get_data(as_text=True)
    assert "Toàn bộ quyết định (3 cá nhân, tập thể)" in page
    assert f"{unit.name} (3)" in page


def test_print_form_posts_only_with_its_csrf_token(csrf_app, db, province, unit, staff, queue):
    queue.configure(TASK_QUEUE_EMBEDDED=False)  # the job is only queued, never run
    decision = make_issued_decision(province, unit, 1)
    url = f"/print-jobs/decisions/{decision.id}/new"
    data = {"unit_id": 0, "mode": "full", "calibration_id": 0, "copies": 1}
    assert staff.post(url, data=data).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintJob)) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', staff.get(url).get_data(as_text=True))
    assert staff.post(url, data={**data, "csrf_token": token.group(1)}).status_code == 302


def test_print_form_with_too_many_copies_keeps_input_and_shows_error(db, province, unit, staff):
    decision = make_issued_decision(province, unit, 1)
    response = staff.post(f"/print-jobs/decisions/{decision.id}/new",
                          data={"unit_id": 0, "mode": "blank", "calibration_id": 0, "copies": 99})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Số bản phải từ 1 đến" in page and 'value="99"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintJob)) == 0


def test_print_form_on_draft_decision_is_forbidden(db, province, unit, staff):
    from .. import factories

    draft = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)], issued=False)
    assert staff.get(f"/print-jobs/decisions/{draft.id}/new").status_code == 403


def test_status_json_of_queued_job_has_progress_fields(db, province, unit, users, staff):
    job = batch.start_print_job(make_issued_decision(province, unit, 3), mode=PrintMode.FULL, copies=2,
                                user=users[Role.SECRETARIAT])
    db.session.commit()
    response = staff.get(f"/print-jobs/{job.id}/status.json")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"id": job.id, "status": "queued", "label": "Đang chờ", "done": 0, "total": 6,
                                   "percent": 0, "finished": False, "error": None, "download_url": None}
    assert staff.get(f"/print-jobs/{job.id}/download").status_code == 404
    page = staff.get(f"/print-jobs/{job.id}").get_data(as_text=True)
    assert "Tải lại" in page and "js/print-job.js" in page


def test_failed_job_shows_its_message_on_the_page(db, province, unit, staff, queue, monkeypatch):
    from thidua.certificates import render

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(render, "page_html", broken)
    job_id = post_job(staff, make_issued_decision(province, unit, 2))
    state = wait_for(staff, job_id)
    assert state["status"] == "failed" and "Không tạo được tệp PDF" in state["error"]
    page = staff.get(f"/print-jobs/{job_id}").get_data(as_text=True)
    assert "Không tạo được tệp PDF do lỗi hệ thống (RuntimeError)" in page and "Tải tệp PDF" not in page


def test_second_print_request_is_logged_as_reprint(db, province, unit, staff, queue):
    decision = make_issued_decision(province, unit, 2)
    first = post_job(staff, decision)
    wait_for(staff, first)
    second = post_job(staff, decision)
    wait_for(staff, second)
    db.session.expire_all()
    rows = db.session.execute(sa.select(PrintLog.job_id, PrintLog.reprint).order_by(PrintLog.id)).all()
    assert rows == [(first, False), (first, False), (second, True), (second, True)]
    listing = staff.get(f"/print-jobs/decisions/{decision.id}").get_data(as_text=True)
    assert listing.count("Tải về") == 2


def test_job_enqueued_by_one_huey_is_run_by_another_on_the_same_queue(app, db, province, unit, users, queue):
    queue.configure(TASK_QUEUE_EMBEDDED=False)
    job = batch.start_print_job(make_issued_decision(province, unit, 1), mode=PrintMode.FULL,
                                user=users[Role.SECRETARIAT])
    db.session.commit()
    jobs.enqueue_print_job(job.id)
    assert app.extensions["huey_consumer"] is None
    other, _tasks = jobs.make_huey(app)  # what another process builds from the same configuration
    assert other.pending_count() == 1
    task = other.dequeue()
    assert task.args == (job.id,)
    other.execute(task)
    db.session.expire_all()
    assert db.session.get(PrintJob, job.id).status == JobStatus.DONE


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_print_request_runs_on_redis_queue(db, province, unit, staff, queue):
    url = "redis://127.0.0.1:6379/15"
    if not _redis_reachable(url):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable on 127.0.0.1:6379, and CI has Redis")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    queue.configure(REDIS_URL=url, TASK_QUEUE_NAME=f"thidua-test-{uuid.uuid4().hex}", TASK_QUEUE_EMBEDDED=True)
    huey = jobs.huey_of()
    try:
        job_id = post_job(staff, make_issued_decision(province, unit, 2))
        assert wait_for(staff, job_id)["status"] == "done"
        assert len(PdfReader(io.BytesIO(download(staff, f"/print-jobs/{job_id}/download"))).pages) == 2
    finally:
        jobs.stop_embedded_consumer(jobs.current_app)
        huey.flush()
