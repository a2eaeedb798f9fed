"""Certificate batches: a whole decision's certificates, or one unit's, rendered in the background into
one PDF that is kept for download.

`start_print_job` (in the request) checks the selection and writes a queued PrintJob; the view commits and
enqueues it (thidua.jobs). `run_print_job` (the task, in the consumer) builds every page's HTML here, with
the database, splits the pages into chunks of at most PRINT_CHUNK_PAGES, renders the chunks in
PRINT_PROCESSES worker processes (WeasyPrint is single-threaded; a worker needs no Flask app and writes
its chunk's PDF to a temporary file), merges them in order with pypdf and writes the print log.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import multiprocessing.connection
import secrets
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from thidua.awards.models import Decision, DecisionItem
from thidua.extensions import db
from thidua.notifications import events
from thidua.org.models import Unit

from .models import JobStatus, PrinterCalibration, PrintJob, PrintMode
from .services import MAX_COPIES, PrintRefused, log_prints

log = logging.getLogger(__name__)

# What the worker processes import, once, in the fork server before any job: a worker then starts in
# milliseconds with WeasyPrint imported and the fonts loaded (thidua/certificates/worker.py), instead of
# ~0.5 s of imports and ~45 ms of font loading for every chunk. Workers run only
# `thidua.documents.pdf.write_html`, so they never import the models (~40 MB less per worker).
WORKER_PRELOAD = ["thidua.certificates.worker"]
STALE_MESSAGE = "Máy in nền đã dừng giữa chừng; vui lòng in lại."
FAILED_MESSAGE = ("Không tạo được tệp PDF do lỗi hệ thống ({kind}). Vui lòng thử lại; nếu vẫn lỗi, "
                  "báo quản trị viên (chi tiết lỗi đã được ghi vào nhật ký máy chủ).")


class BatchRefused(ValueError):
    """The batch cannot be started; the message says why, in Vietnamese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- the selection ----------------------------------------------------------------------------------

def selection(decision: Decision, unit: Unit | None = None) -> tuple[list[DecisionItem], int]:
    """The items a batch prints, in annex order (position), and how many revoked items it skips.
    With `unit`: the items whose group unit is `unit` or a unit below it."""
    from thidua.org.queries import descendant_ids

    query = (sa.select(DecisionItem).where(DecisionItem.decision_id == decision.id)
             .options(selectinload(DecisionItem.person)).order_by(DecisionItem.position))
    if unit is not None:
        query = query.where(DecisionItem.group_unit_id.in_(descendant_ids([unit.id])))
    items = db.session.scalars(query).all()
    kept = [item for item in items if not item.is_revoked]
    return kept, len(items) - len(kept)


def unit_counts(decision: Decision) -> list[tuple[Unit, int]]:
    """The decision's group units, each with how many printable items a batch for it holds (its own and
    those of the units below it), sorted by name."""
    from thidua.org.queries import descendant_ids

    rows = db.session.execute(
        sa.select(DecisionItem.group_unit_id, sa.func.count())
        .where(DecisionItem.decision_id == decision.id, DecisionItem.revoked_at.is_(None),
               DecisionItem.group_unit_id.is_not(None))
        .group_by(DecisionItem.group_unit_id)
    ).all()
    direct = dict(rows)
    units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(direct))).all()
    result = [(u, sum(n for uid, n in direct.items() if uid in descendant_ids([u.id]))) for u in units]
    return sorted(result, key=lambda pair: pair[0].name)


def start_print_job(decision: Decision, *, unit: Unit | None = None, mode: PrintMode,
                    calibration: PrinterCalibration | None = None, copies: int = 1, user) -> PrintJob:
    """Queue a batch of `decision`'s certificates (all, or `unit`'s): a PrintJob in "queued" with its page
    count. The caller commits, then enqueues it (`thidua.jobs.enqueue_print_job`). The number of revoked
    items skipped is on `job.skipped` (not stored). Raises BatchRefused for a draft decision, an empty
    selection or a wrong number of copies."""
    if not decision.is_issued:
        raise BatchRefused("Quyết định chưa ban hành: chưa in được giấy khen, bằng khen.")
    if not 1 <= copies <= MAX_COPIES:
        raise BatchRefused(f"Số bản in mỗi người phải từ 1 đến {MAX_COPIES}.", "copies")
    items, skipped = selection(decision, unit)
    if not items:
        where = f" thuộc {unit.name}" if unit is not None else ""
        reason = " (các trường hợp đều đã bị thu hồi)" if skipped else ""
        raise BatchRefused(f"Không có cá nhân, tập thể nào{where} để in{reason}.", "unit_id")
    job = PrintJob(decision=decision, unit=unit, mode=mode, calibration=calibration, copies=copies,
                   total=len(items) * copies, requested_by=user, status=JobStatus.QUEUED)
    db.session.add(job)
    db.session.flush()
    job.skipped = skipped
    return job


# --- the task ---------------------------------------------------------------------------------------

def chunk_sizes(pages: int, *, max_pages: int, processes: int) -> list[int]:
    """Sizes of the chunks of a `pages`-page batch: at most `max_pages` each, as equal as possible, and a
    multiple of `processes` of them when there are enough pages, so no worker idles while another renders
    a last chunk alone (500 pages, 200, 2 processes → 4 × 125, not 200 + 200 + 100)."""
    if pages <= 0:
        return []
    count = math.ceil(pages / max(1, max_pages))
    count = min(pages, math.ceil(count / processes) * processes)
    base, extra = divmod(pages, count)
    return [base + 1 if i < extra else base for i in range(count)]


class ChunkFailed(RuntimeError):
    """A worker process died twice on the same chunk (a crash, the OOM killer, a kill by an operator)."""


CHUNK_ATTEMPTS = 2  # a chunk whose worker dies is rendered once more before the job fails


def _context():
    """Worker processes are started by a fork server ("fork" is unsafe in a threaded web process: a child
    could inherit a lock held by another thread), which has imported WeasyPrint and loaded the fonts."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def render_chunks(chunks: Iterator[tuple[int, str, Path]], *, css: str, base_url: str, processes: int,
                  progress=None, worker=None) -> int:
    """Render each (pages, html, path) chunk into `path` on its own worker process, at most `processes` at a
    time, calling `progress(pages_done)` as chunks finish; returns the pages done.

    One process per chunk, which exits when its chunk is written: a worker that had rendered five
    200-page chunks held ~250 MB instead of ~170 MB (memory WeasyPrint and the allocator do not give back),
    and a new one costs milliseconds (fork of the warm server). Plain processes rather than
    ProcessPoolExecutor(max_tasks_per_child=1), which on Python 3.11 can report a healthy pool as broken
    when a worker retires (CPython gh-115634). A chunk whose worker dies is started again once; the next
    death raises ChunkFailed, so a job is retried or visibly failed, never silently short. `worker` (default
    `thidua.documents.pdf.write_html`) is what each process runs: (html, css, base_url, path)."""
    from thidua.documents.pdf import write_html

    worker = worker or write_html
    context = _context()
    running: list[tuple[multiprocessing.process.BaseProcess, int, str, Path, int]] = []
    done = 0

    def start(size: int, html: str, path: Path, attempt: int) -> None:
        process = context.Process(target=worker, args=(html, css, base_url, str(path)), daemon=True,
                                  name=f"thidua-print-{path.stem}")
        process.start()
        running.append((process, size, html, path, attempt))

    def wait_below(limit: int) -> None:
        nonlocal done
        while len(running) >= limit > 0 or (limit == 0 and running):
            multiprocessing.connection.wait([entry[0].sentinel for entry in running])
            for entry in [e for e in running if e[0].exitcode is not None]:
                process, size, html, path, attempt = entry
                running.remove(entry)
                process.join()
                if process.exitcode == 0 and path.exists():
                    done += size
                    if progress is not None:
                        progress(done)
                elif attempt < CHUNK_ATTEMPTS:
                    log.warning("print chunk %s: worker ended with exit code %s; rendering it again",
                                path.name, process.exitcode)
                    start(size, html, path, attempt + 1)
                else:
                    raise ChunkFailed(f"chunk {path.name}: worker ended with exit code {process.exitcode}")

    try:
        # The next chunk's HTML is built while the workers render, then waits for a free worker.
        for size, html, path in chunks:
            wait_below(processes)
            start(size, html, path, 1)
        wait_below(0)
    finally:
        for process, *_ in running:
            process.kill()
            process.join()
    return done


def merge(paths: list[Path], target: Path) -> int:
    """Concatenate PDF files in order into `target`; return its size."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for path in paths:
        writer.append(str(path))
    with target.open("wb") as out:
        writer.write(out)
    writer.close()
    return target.stat().st_size


def _set_progress(job_id: int, done: int) -> None:
    # Its own short transaction, beside the task's session, so the job page sees progress at once without
    # expiring (and reloading) the items the task holds. A finished chunk is also the job's heartbeat.
    with db.engine.begin() as conn:
        conn.execute(sa.update(PrintJob).where(PrintJob.id == job_id)
                     .values(done=done, heartbeat_at=datetime.now(UTC)))


def _pages(items: list[DecisionItem], *, template, mode: PrintMode, calibration, copies: int) -> Iterator[str]:
    from .render import artwork_urls, fields_for, page_html, public_base_url

    base_url, artwork = public_base_url(), artwork_urls()
    for item in items:
        fields = fields_for(item, base_url=base_url, template=template, artwork=artwork)
        page = page_html(template, fields, mode=mode, calibration=calibration)
        for _ in range(copies):
            yield page


def render_batch(items: list[DecisionItem], *, mode: PrintMode, calibration=None, copies: int = 1,
                 target: Path, progress=None) -> int:
    """Render the certificates of `items` (each `copies` times, in order) into the PDF file `target`, in
    chunks on worker processes; `progress(pages_done)` is called as chunks finish. Returns the page count.
    Needs an app context (the pages' fields come from the database).

    A worker writes its chunk's PDF to a temporary file; the files are merged after the workers have
    exited, so the peak memory is the larger of rendering (this process + the workers) and merging (this
    process alone), not their sum."""
    from thidua.documents.pdf import static_dir

    from .render import document_created, document_css, document_html, template_for

    decision = items[0].decision
    template = template_for(decision.award_type.code)
    static = static_dir()
    css = document_css(template, mode=mode, static_dir=static)
    title = f"{template.name}: {decision}"
    created = document_created(items[0])
    config = current_app.config
    processes = max(1, int(config["PRINT_PROCESSES"]))
    sizes = chunk_sizes(len(items) * copies, max_pages=int(config["PRINT_CHUNK_PAGES"]), processes=processes)
    pages = _pages(items, template=template, mode=mode, calibration=calibration, copies=copies)
    with tempfile.TemporaryDirectory(prefix="thidua-print-") as tmp:
        paths = [Path(tmp, f"{n:04d}.pdf") for n in range(len(sizes))]
        chunks = ((size, document_html([next(pages) for _ in range(size)], title=title, created=created), path)
                  for size, path in zip(sizes, paths, strict=True))
        done = render_chunks(chunks, css=css, base_url=str(static), processes=processes, progress=progress)
        merge(paths, target)
    return done


def run_print_job(job_id: int) -> None:
    """The task: render a queued PrintJob into UPLOAD_FOLDER and log the prints, committing as it goes
    (running → progress after each chunk → done, or failed with a readable message and the traceback in
    the server log). A job that is not queued (already run, e.g. delivered twice) is left alone."""
    from thidua.audit.services import acting_as

    sweep_stale_jobs()
    job = db.session.get(PrintJob, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        log.warning("print job %s: not queued, skipped", job_id)
        return
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = datetime.now(UTC)
    db.session.commit()
    target = None
    started = time.perf_counter()
    try:
        with acting_as(job.requested_by):
            items, _skipped = selection(job.decision, job.unit)
            if not items:
                raise BatchRefused("Không còn cá nhân, tập thể nào để in (các trường hợp đã bị thu hồi).")
            # No write to the job through this session until the pages are rendered: the progress updates
            # run on another connection and would wait for the row lock (PostgreSQL) or the file (SQLite).
            target = Path(current_app.config["UPLOAD_FOLDER"]) / f"{secrets.token_hex(16)}.pdf"
            target.parent.mkdir(parents=True, exist_ok=True)
            render_batch(items, mode=job.mode, calibration=job.calibration, copies=job.copies, target=target,
                         progress=lambda done: _set_progress(job_id, done))
            job.total = len(items) * job.copies
            job.stored_name = target.name
            job.size = target.stat().st_size
            job.done = job.total
            job.status = JobStatus.DONE
            job.finished_at = datetime.now(UTC)
            log_prints(items, user=job.requested_by, mode=job.mode, copies=job.copies, job=job)
            events.print_job_done(job)
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("print job %s failed", job_id)
        if target is not None:
            target.unlink(missing_ok=True)
        _fail(job_id, _message(exc))
        return
    log.info("print job %s: %s pages in %.2f s", job_id, job.total, time.perf_counter() - started)


def _message(exc: Exception) -> str:
    from .render import TemplateInvalid

    if isinstance(exc, BatchRefused | PrintRefused | TemplateInvalid):
        return str(exc)
    return FAILED_MESSAGE.format(kind=type(exc).__name__)


def _fail(job_id: int, message: str) -> None:
    job = db.session.get(PrintJob, job_id)
    job.status = JobStatus.FAILED
    job.error = message
    job.finished_at = datetime.now(UTC)
    db.session.commit()


# --- jobs whose consumer died ---------------------------------------------------------------------------

def sweep_stale_jobs(now: datetime | None = None) -> list[int]:
    """Mark failed, with STALE_MESSAGE, the jobs left "running" by a consumer that died (killed, crashed, its
    server restarted): no heartbeat (set when the job starts and as each chunk finishes) for
    PRINT_JOB_STALE_MINUTES. A job that a live consumer runs keeps its heartbeat fresh and is left alone; a
    chunk whose worker hangs stops the heartbeat, so that job is failed too. Commits; returns the ids marked
    failed. Run when `flask thidua worker` starts, every few minutes by the consumers' scheduler
    (thidua.jobs.SWEEPS) and before each job."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(minutes=float(current_app.config["PRINT_JOB_STALE_MINUTES"]))
    last_sign = sa.func.coalesce(PrintJob.heartbeat_at, PrintJob.started_at, PrintJob.created_at)
    stale = sa.and_(PrintJob.status == JobStatus.RUNNING, last_sign < cutoff)
    swept = []
    for job_id in db.session.scalars(sa.select(PrintJob.id).where(stale).order_by(PrintJob.id)).all():
        # The same condition again in the UPDATE: a heartbeat written meanwhile keeps the job running.
        result = db.session.execute(
            sa.update(PrintJob).where(PrintJob.id == job_id, stale)
            .values(status=JobStatus.FAILED, error=STALE_MESSAGE, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            swept.append(job_id)
            log.warning("print job %s: still running with no heartbeat since before %s; its consumer died, "
                        "marked failed", job_id, cutoff.isoformat(timespec="seconds"))
    db.session.commit()
    return swept
