"""Speed of certificate printing (issue 5): one PDF of a decision's certificates, a single certificate on
demand, and the memory of a large batch.

Builds a throwaway app (temporary instance folder, SQLite file database upgraded by the migrations), seeds the
catalogue, the certificate templates and decisions with Vietnamese awardees (500 and 2,000; `--quick`: 100
and 400), then measures in the same run, all in the full design (border, emblem, QR code):

- naive: one WeasyPrint document per certificate, the CSS re-parsed and a new FontConfiguration each time;
- batch: `thidua.certificates.batch.render_batch` (what `run_print_job` runs) on the 500 certificates:
  pages built here, chunks of at most PRINT_CHUNK_PAGES on PRINT_PROCESSES worker processes, merged;
- single: `render.render_items([item])` in this process, warm, median of 20;
- peak memory of the 2,000-page batch, run in a fresh process as a job consumer would run it: the PSS
  (proportional set size: shared pages split between the processes that share them, so the sum is the real
  total) of that process, its fork server, resource tracker and workers, sampled with psutil every 50 ms;
  the largest total (see PeakRss).

    python bench/certificates.py            # full size (about a minute)
    python bench/certificates.py --quick    # small data

The last line printed is `name=value` pairs; the exit status is 1 when a goal is missed. The Word /
LibreOffice route is not measured here: `word_route_ms_per_page` is the reference figure from
../shared/TECH-NOTES.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Nothing of thidua is imported at module level: the worker processes import this script again (as the
# multiprocessing main module), and they must stay as small as in production.

WORD_ROUTE_MS_PER_PAGE = 20.0  # python-docx + LibreOffice headless, TECH-NOTES.md (not measured here)
GOALS = {"batch_500_s": 5.0, "ratio": 5.0, "word_ratio": 2.0, "single_ms": 40.0, "peak_rss_mb": 400.0}

FAMILY = ["Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Trịnh", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Mai", "Đào", "Lương", "Lại", "Tạ", "Quách"]
MIDDLE = {"male": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Đình", "Quốc", "Trọng"],
          "female": ["Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Phương", "Hồng", "Thúy"]}
GIVEN = {"male": ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Phúc", "Sơn",
                  "Thắng", "Tiến", "Tuấn", "Tùng", "Việt", "Vinh", "Hiếu", "Trường", "Lộc", "Nghĩa"],
         "female": ["Anh", "Chi", "Dung", "Giang", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan", "Liên", "Linh",
                    "Ngân", "Nhung", "Oanh", "Quỳnh", "Thảo", "Thủy", "Trang", "Uyên", "Yến", "Duyên"]}
POSITIONS = ["Giáo viên", "Chuyên viên", "Chuyên viên chính", "Bác sĩ", "Điều dưỡng", "Kế toán", "Trưởng phòng",
             "Phó hiệu trưởng", "Hiệu trưởng", "Kỹ sư", "Thanh tra viên"]
UNITS = ["Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Tài chính", "Sở Xây dựng", "Sở Nông nghiệp và Môi trường",
         "Trường THPT chuyên Lam Sơn", "Trường THPT Hàm Rồng", "Bệnh viện Đa khoa tỉnh", "UBND phường Hạc Thành",
         "UBND xã Hoằng Hóa"]
ACHIEVEMENTS = ["Đã có thành tích xuất sắc trong công tác giảng dạy năm học 2024 – 2025",
                "Đã có thành tích xuất sắc trong phong trào thi đua yêu nước năm 2025",
                "Đã có thành tích xuất sắc trong công tác chăm sóc sức khỏe nhân dân năm 2025, góp phần vào sự "
                "nghiệp xây dựng và phát triển tỉnh Thanh Hóa"]


def seed(rng: random.Random, sizes: list[int]) -> list[int]:
    """Catalogue, templates, units, and one issued decision per size; returns the decisions' ids."""
    import secrets
    from base64 import b32encode

    from thidua.awards.models import Decision, DecisionItem, DecisionStatus, GoldBook
    from thidua.certificates.seed import seed_certificate_templates
    from thidua.extensions import db
    from thidua.org.models import Unit, UnitKind
    from thidua.registry.models import Gender, NomineeKind, Person
    from thidua.rules.models import AwardType
    from thidua.rules.seed import seed_catalogue

    seed_catalogue()
    seed_certificate_templates()
    province = Unit(code="38", name="UBND tỉnh Thanh Hóa", kind=UnitKind.PROVINCE)
    units = [Unit(code=f"38.{i:02d}", name=name, kind=UnitKind.DEPARTMENT, parent=province)
             for i, name in enumerate(UNITS)]
    db.session.add_all([province, *units])
    award = db.session.scalar(sa.select(AwardType).where(AwardType.code == "BK_TINH")
                              .order_by(AwardType.effective_from.desc()))
    signed = date(2026, 3, 5)
    ids = []
    for n, size in enumerate(sizes, start=1):
        decision = Decision(
            issuer_unit=province, issuer_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA", award_type=award,
            year=2025, subject="Về việc tặng Bằng khen của Chủ tịch UBND tỉnh", status=DecisionStatus.ISSUED,
            number=f"{1200 + n}/QĐ-UBND", number_year=2026, signed_on=signed, signer_name="Đỗ Minh Tuấn",
            signer_title="CHỦ TỊCH", base_salary=2_340_000, issued_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        )
        book = GoldBook(issuer_unit=province, award_code="BK_TINH", year=2026 + n, last_number=size)
        for position in range(1, size + 1):
            gender = rng.choice(["male", "female"])
            unit = rng.choice(units)
            person = Person(full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}",
                            gender=Gender(gender), position=rng.choice(POSITIONS), unit=unit)
            decision.items.append(DecisionItem(
                position=position, nominee_kind=NomineeKind.INDIVIDUAL, person=person, group_unit=unit,
                awardee_name=person.full_name, awardee_detail=f"{person.position}, {unit.name}",
                achievement=rng.choice(ACHIEVEMENTS), amount=2_340_000, gold_book=book, gold_book_number=position,
                verify_code=b32encode(secrets.token_bytes(13)).decode("ascii").rstrip("="),
            ))
        db.session.add(decision)
        db.session.flush()
        ids.append(decision.id)
    db.session.commit()
    return ids


def items_of(decision_id: int):
    from thidua.awards.models import Decision
    from thidua.certificates.batch import selection
    from thidua.extensions import db

    return selection(db.session.get(Decision, decision_id))[0]


def naive(items) -> float:
    """Seconds for one document per certificate, CSS parsed and a FontConfiguration made for each."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from thidua.certificates import render
    from thidua.certificates.models import PrintMode
    from thidua.documents.pdf import static_dir

    static = static_dir()
    template = render.template_for(items[0].decision.award_type.code)
    base_url = render.public_base_url()
    started = time.perf_counter()
    for item in items:
        page = render.page_html(template, render.fields_for(item, base_url=base_url), mode=PrintMode.FULL)
        html = render.document_html([page], title=item.awardee_name, created=render.document_created(item))
        fonts = FontConfiguration()
        css = CSS(string=render.document_css(template, mode=PrintMode.FULL, static_dir=static), font_config=fonts,
                  base_url=str(static))
        HTML(string=html, base_url=str(static)).write_pdf(stylesheets=[css], font_config=fonts)
    return time.perf_counter() - started


def build_pages(items) -> float:
    """Seconds to build the pages' HTML (database + Jinja + QR codes), the part the parent does."""
    from thidua.certificates.batch import _pages
    from thidua.certificates.models import PrintMode
    from thidua.certificates.render import template_for

    started = time.perf_counter()
    for _ in _pages(items, template=template_for(items[0].decision.award_type.code), mode=PrintMode.FULL,
                    calibration=None, copies=1):
        pass
    return time.perf_counter() - started


def batch(items, target: Path) -> float:
    from pypdf import PdfReader

    from thidua.certificates.batch import render_batch
    from thidua.certificates.models import PrintMode

    started = time.perf_counter()
    pages = render_batch(items, mode=PrintMode.FULL, target=target)
    elapsed = time.perf_counter() - started
    assert pages == len(items) == len(PdfReader(target).pages), "the merged PDF lacks pages"
    return elapsed


def single(item, repeat: int = 20) -> float:
    """Median milliseconds of one certificate on demand, after a warm-up."""
    from thidua.certificates.models import PrintMode
    from thidua.certificates.render import render_items

    render_items([item], mode=PrintMode.FULL)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        render_items([item], mode=PrintMode.FULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class PeakRss:
    """Samples every 50 ms the PSS of a process (this one, or `pid`) and of its multiprocessing helpers: the
    fork server, the resource tracker and the workers forked from the server; `peak_mb` is the largest sum.
    PSS, not RSS: RSS counts a shared page (the libraries, what the workers inherit from the fork server) in
    every process that maps it, so a sum of RSS overstates the memory used."""

    def __init__(self, interval: float = 0.05, pid: int | None = None):
        import psutil

        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.peak_parts: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        def pss(process) -> int:
            return process.memory_full_info().pss

        try:
            parts = [("job process", pss(self.process))]
            children = self.process.children()
        except psutil.NoSuchProcess:  # the job process has finished
            return
        for child in children:
            try:
                if "forkserver" not in " ".join(child.cmdline()):
                    parts.append(("resource tracker", pss(child)))
                    continue
                parts.append(("fork server", pss(child)))
                parts += [("worker", pss(worker)) for worker in child.children()]
            except psutil.NoSuchProcess:
                continue
        total = sum(size for _, size in parts)
        if total > self.peak:
            self.peak, self.peak_parts = total, parts

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def app_config(tmp: Path, chunk_pages: int) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}", "TESTING": True,
            "SECRET_KEY": "bench-not-secret", "INSTANCE_PATH": tmp, "UPLOAD_FOLDER": tmp / "uploads",
            "TASK_QUEUE_EMBEDDED": False, "PRINT_CHUNK_PAGES": chunk_pages, "PRINT_PROCESSES": 2,
            "PUBLIC_BASE_URL": "https://thiduakhenthuong.thanhhoa.gov.vn"}


def memory_run(tmp: Path, decision_id: int, *, chunk_pages: int):
    """Run the batch of `decision_id` in a fresh process (`--memory-run`) and sample its memory and its
    workers' (PeakRss); returns (PeakRss, seconds)."""
    import subprocess

    child = subprocess.Popen([sys.executable, __file__, "--memory-run", str(tmp), str(decision_id),
                              "--chunk-pages", str(chunk_pages)], stdout=subprocess.PIPE, text=True)
    with PeakRss(pid=child.pid) as rss:
        out, _ = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"memory run failed: {out}")
    print(out.strip().splitlines()[0], flush=True)
    return rss, float(out.strip().splitlines()[-1])


def memory_child(tmp: Path, decision_id: int, chunk_pages: int) -> int:
    """The `--memory-run` process: load one decision's items and render them as a job would."""
    import psutil

    from thidua import create_app

    app = create_app(app_config(tmp, chunk_pages))
    with app.app_context():
        items = items_of(decision_id)
        print(f"job process before the batch: {psutil.Process().memory_full_info().pss / 2**20:.0f} MB (PSS)")
        seconds = batch(items, tmp / "big.pdf")
    print(seconds)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 certificates, a 400-page memory batch")
    parser.add_argument("--chunk-pages", type=int, default=100, help="PRINT_CHUNK_PAGES (default 100, as the app's)")
    parser.add_argument("--naive", type=int, default=None, help="certificates rendered the naive way (default: all)")
    parser.add_argument("--memory-run", nargs=2, metavar=("TMP", "DECISION"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_run:
        return memory_child(Path(args.memory_run[0]), int(args.memory_run[1]), args.chunk_pages)
    n_batch, n_big = (100, 400) if args.quick else (500, 2000)
    from thidua import create_app
    from thidua.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-cert-"))
    app = None
    try:
        app = create_app(app_config(tmp, args.chunk_pages))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            started = time.perf_counter()
            small_id, big_id = seed(random.Random(5), [n_batch, n_big])
            print(f"seeded {n_batch} + {n_big} awardees in {time.perf_counter() - started:.1f} s", flush=True)
            items = items_of(small_id)

            # Warm-up: the fork server, a worker's first render (font loading) and the page code paths.
            batch(items[:4], tmp / "warm.pdf")
            # Memory: the 2,000-page batch runs in a fresh process that holds what a job consumer holds
            # (the app and the data of one job), not this one's seed data, naive renders and caches.
            rss, big_s = memory_run(tmp, big_id, chunk_pages=args.chunk_pages)
            parts = ", ".join(f"{name} {mb / 2**20:.0f}" for name, mb in rss.peak_parts)
            print(f"{n_big}-page batch: {big_s:.1f} s, peak memory (PSS) {rss.peak_mb:.0f} MB ({parts})", flush=True)
            pages_s = build_pages(items)
            n_naive = min(args.naive or len(items), len(items))
            naive_s = naive(items[:n_naive])
            naive_ms = naive_s * 1000 / n_naive
            print(f"naive: {n_naive} certificates in {naive_s:.2f} s = {naive_ms:.1f} ms/page", flush=True)
            batch_s = min(batch(items, tmp / f"batch{i}.pdf") for i in range(3))
            batch_ms = batch_s * 1000 / len(items)
            size_mb = (tmp / "batch0.pdf").stat().st_size / 2**20
            print(f"batch: {len(items)} certificates in {batch_s:.2f} s (best of 3) = {batch_ms:.1f} ms/page, "
                  f"{size_mb:.1f} MB; building the pages' HTML alone: {pages_s:.2f} s", flush=True)
            single_ms = single(items[0])
            print(f"single: {single_ms:.1f} ms (median of 20, warm)", flush=True)

            db.session.remove()

        result = {"batch_500_s": batch_s, "ratio": naive_ms / batch_ms, "word_ratio": WORD_ROUTE_MS_PER_PAGE / batch_ms,
                  "single_ms": single_ms, "peak_rss_mb": rss.peak_mb}
        missed = [name for name, goal in GOALS.items()
                  if (result[name] > goal if name in ("batch_500_s", "single_ms", "peak_rss_mb") else result[name] < goal)]
        if args.quick:
            print("(--quick: batch_500_s is the time of the 100-certificate batch, peak_rss_mb of a 400-page one)")
        if missed:
            print("goals missed: " + ", ".join(missed))
        print(f"naive_ms_per_page={naive_ms:.1f} batch_ms_per_page={batch_ms:.1f} ratio={result['ratio']:.1f} "
              f"batch_500_s={batch_s:.2f} single_ms={single_ms:.1f} peak_rss_mb={rss.peak_mb:.0f} "
              f"word_route_ms_per_page={WORD_ROUTE_MS_PER_PAGE:.1f} word_ratio={result['word_ratio']:.1f}")
        return 1 if missed else 0
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
