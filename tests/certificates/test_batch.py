"""Certificate batches run directly (no queue): selection, chunking, copies, per-unit batches, failures and
the print log. The PDFs are real, rendered by the worker processes and read back with pypdf/pdftotext."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from thidua.certificates import batch
from thidua.certificates.models import JobStatus, PrintJob, PrintLog, PrintMode
from thidua.certificates.seed import seed_certificate_templates

from .. import factories

NAMES = ["Nguyễn Thị Hằng", "Trần Văn Đức", "Lê Thị Thu Hương", "Phạm Quốc Việt", "Hoàng Minh Tuấn",
         "Đặng Thị Ngọc Ánh", "Bùi Xuân Trường", "Đỗ Thị Mai", "Vũ Đình Khoa"]


def make_issued_decision(issuer, unit, count: int, *, names=NAMES):
    """An issued decision of `issuer` with `count` people of `unit`, certificate templates seeded."""
    seed_certificate_templates()
    people = [factories.make_person(full_name=names[i % len(names)] + ("" if i < len(names) else f" {i}"),
                                    unit=unit) for i in range(count)]
    return factories.make_decision(issuer=issuer, awardees=people)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def names_in_order(text: str, names: list[str]) -> bool:
    positions = [text.find(name) for name in names]
    return -1 not in positions and positions == sorted(positions)


def run(db, job: PrintJob) -> PrintJob:
    db.session.commit()
    batch.run_print_job(job.id)
    db.session.expire_all()
    return db.session.get(PrintJob, job.id)


def stored(app, job: PrintJob) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / job.stored_name


def test_chunk_sizes_keep_both_workers_busy_and_respect_the_limit():
    assert batch.chunk_sizes(500, max_pages=200, processes=2) == [125, 125, 125, 125]
    assert batch.chunk_sizes(7, max_pages=3, processes=2) == [2, 2, 2, 1]
    assert batch.chunk_sizes(2000, max_pages=200, processes=2) == [200] * 10
    assert batch.chunk_sizes(1, max_pages=200, processes=2) == [1]


def test_start_print_job_on_draft_decision_is_refused(db, province, unit, users):
    seed_certificate_templates()
    draft = factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)], issued=False)
    with pytest.raises(batch.BatchRefused, match="chưa ban hành"):
        batch.start_print_job(draft, mode=PrintMode.FULL, user=users[next(iter(users))])


def test_start_print_job_for_unit_without_awardees_is_refused(db, province, unit, users):
    other = factories.make_unit(name="Sở Y tế", parent=province)
    decision = make_issued_decision(province, unit, 2)
    with pytest.raises(batch.BatchRefused, match="Sở Y tế") as refused:
        batch.start_print_job(decision, unit=other, mode=PrintMode.FULL, user=None)
    assert refused.value.field == "unit_id"


def test_start_print_job_skips_and_counts_revoked_items(db, province, unit):
    decision = make_issued_decision(province, unit, 3)
    decision.items[1].revoked_at = datetime.now(UTC)
    job = batch.start_print_job(decision, mode=PrintMode.FULL, copies=2, user=None)
    assert (job.total, job.skipped, job.status) == (4, 1, JobStatus.QUEUED)


def test_run_print_job_renders_chunks_merged_in_list_order(app, db, province, unit, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_CHUNK_PAGES", 3)
    merged = []
    real_merge = batch.merge
    monkeypatch.setattr(batch, "merge", lambda paths, target: merged.append(len(paths)) or real_merge(paths, target))
    decision = make_issued_decision(province, unit, 7)
    job = run(db, batch.start_print_job(decision, mode=PrintMode.FULL, user=None))
    assert job.status == JobStatus.DONE, job.error
    assert merged == [4]  # 7 pages in chunks of at most 3, an even number of chunks for 2 workers
    pages = page_texts(stored(app, job))
    assert len(pages) == 7
    for name, page in zip(NAMES[:7], pages, strict=True):
        assert name in page
    assert (job.done, job.total, job.size) == (7, 7, stored(app, job).stat().st_size)


def test_run_print_job_with_two_copies_prints_each_certificate_twice_in_a_row(app, db, province, unit):
    decision = make_issued_decision(province, unit, 3)
    job = run(db, batch.start_print_job(decision, mode=PrintMode.FULL, copies=2, user=None))
    pages = page_texts(stored(app, job))
    assert len(pages) == 6
    assert [next(n for n in NAMES[:3] if n in page) for page in pages] == [NAMES[0], NAMES[0], NAMES[1], NAMES[1],
                                                                           NAMES[2], NAMES[2]]


def test_run_print_job_for_a_unit_prints_only_its_awardees_and_those_below(app, db, province, unit):
    seed_certificate_templates()
    school = unit.children[0]
    health = factories.make_unit(name="Sở Y tế", parent=province)
    awardees = [factories.make_person(full_name="Nguyễn Thị Hằng", unit=unit),
                factories.make_person(full_name="Trần Văn Đức", unit=health),
                factories.make_person(full_name="Lê Thị Thu Hương", unit=school)]
    decision = factories.make_decision(issuer=province, awardees=awardees)
    job = run(db, batch.start_print_job(decision, unit=unit, mode=PrintMode.BLANK, user=None))
    text = pdf_text(stored(app, job))
    assert len(PdfReader(stored(app, job)).pages) == 2
    assert names_in_order(text, ["Nguyễn Thị Hằng", "Lê Thị Thu Hương"])
    assert "Trần Văn Đức" not in text


def test_run_print_job_uses_only_the_bundled_font(app, db, province, unit):
    job = run(db, batch.start_print_job(make_issued_decision(province, unit, 2), mode=PrintMode.FULL, user=None))
    fonts = subprocess.run(["pdffonts", str(stored(app, job))], check=True, capture_output=True, text=True).stdout
    families = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert families and all(f.startswith("Thidua-Serif") for f in families), families


def test_run_print_job_failing_render_marks_job_failed_with_message(app, db, province, unit, monkeypatch):
    from thidua.certificates import render

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(render, "page_html", broken)
    decision = make_issued_decision(province, unit, 2)
    job = run(db, batch.start_print_job(decision, mode=PrintMode.FULL, user=None))
    assert job.status == JobStatus.FAILED
    assert "Không tạo được tệp PDF" in job.error and "RuntimeError" in job.error
    assert job.stored_name is None and job.finished_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintLog)) == 0


def test_run_print_job_logs_each_print_and_marks_the_second_as_reprint(app, db, province, unit, users):
    from thidua.auth.models import Role

    secretary = users[Role.SECRETARIAT]
    decision = make_issued_decision(province, unit, 2)
    first = run(db, batch.start_print_job(decision, mode=PrintMode.FULL, user=secretary))
    second = run(db, batch.start_print_job(decision, mode=PrintMode.BLANK, copies=2, user=secretary))
    logs = db.session.scalars(sa.select(PrintLog).order_by(PrintLog.id)).all()
    assert [(log.job_id, log.reprint, log.copies, log.mode, log.user_id) for log in logs] == [
        (first.id, False, 1, PrintMode.FULL, secretary.id), (first.id, False, 1, PrintMode.FULL, secretary.id),
        (second.id, True, 2, PrintMode.BLANK, secretary.id), (second.id, True, 2, PrintMode.BLANK, secretary.id),
    ]


def test_run_print_job_not_queued_is_left_alone(db, province, unit):
    job = batch.start_print_job(make_issued_decision(province, unit, 1), mode=PrintMode.FULL, user=None)
    job.status = JobStatus.DONE
    job = run(db, job)
    assert job.stored_name is None and job.started_at is None


def _chunks(tmp_path, count: int):
    from datetime import datetime

    from thidua.certificates.render import document_html

    for n in range(count):
        html = document_html([f'<section class="page"><p>Trang số {n + 1}</p></section>'], title="t",
                             created=datetime(2026, 1, 1, tzinfo=UTC))
        yield 1, html, tmp_path / f"{n:04d}.pdf"


def test_a_chunk_whose_worker_dies_is_rendered_again(app, tmp_path):
    from pypdf import PdfReader

    from tests.certificates.crashing_worker import dies_once
    from thidua.documents.pdf import font_face_css, static_dir

    seen = []
    done = batch.render_chunks(_chunks(tmp_path, 3), css=font_face_css(), base_url=str(static_dir()), processes=2,
                               progress=seen.append, worker=dies_once)
    assert done == 3 and seen[-1] == 3
    assert all(len(PdfReader(tmp_path / f"{n:04d}.pdf").pages) == 1 for n in range(3))
    assert all((tmp_path / f"{n:04d}.pdf.died").exists() for n in range(3))  # each died once, then rendered


def test_a_chunk_whose_worker_dies_twice_fails_the_batch_visibly(app, tmp_path):
    from tests.certificates.crashing_worker import always_dies
    from thidua.documents.pdf import font_face_css, static_dir

    with pytest.raises(batch.ChunkFailed, match="exit code 139"):
        batch.render_chunks(_chunks(tmp_path, 2), css=font_face_css(), base_url=str(static_dir()), processes=2,
                            worker=always_dies)
    assert not list(tmp_path.glob("*.pdf"))  # nothing half-written
