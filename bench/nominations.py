"""Speed of the dossier pages on PostgreSQL (issue 3, "Speed").

Seeds a throwaway database with the Thanh Hóa demo data plus 100,000 nominations and 200,000 award
records (a few hundred extra units, ~60,000 people with Vietnamese names, evaluations, initiatives,
submission letters, histories), then times four pages through the Flask test client and counts their
SQL queries: the secretariat queue, a unit's list, a dossier page (checklist and quota flags) and a
name search. A trivial page (the login form) is timed in the same run as the baseline, and each list
page is loaded once showing a few rows and once showing a full page (a dossier: the shortest and the
longest award history), to prove that the number of queries does not grow with the rows shown.

    python bench/nominations.py            # full size
    python bench/nominations.py --quick    # 5,000 nominations / 10,000 records

The database `thidua_bench_<pid>` is created on 127.0.0.1:5432 (user postgres, trust auth) and
dropped at the end, also on error; `--database-url` names an existing empty database instead, which
is emptied again at the end (the migrations downgraded to base). The last line printed is
`name=value` pairs; the exit status is 2 when the database cannot be reached. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from pgdb import SERVER, Unreachable, create_database, drop_database  # bench/ is on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from thidua import create_app  # noqa: E402
from thidua.auth.models import User  # noqa: E402
from thidua.campaigns.models import Campaign  # noqa: E402
from thidua.config import normalize_database_url  # noqa: E402
from thidua.demo import REFORM_DAY, seed_demo  # noqa: E402
from thidua.extensions import db  # noqa: E402
from thidua.nominations.models import (  # noqa: E402
    ACTIVE_STATUSES,
    Nomination,
    NominationAttachment,
    NominationEvent,
    NominationStatus,
    SubmissionBatch,
)
from thidua.org.models import Unit, UnitKind  # noqa: E402
from thidua.registry.models import (  # noqa: E402
    AnnualEvaluation,
    AwardRecord,
    DisciplineRecord,
    Gender,
    Initiative,
    NomineeKind,
    Person,
    Rating,
    RecognitionLevel,
    RecordSource,
    SubjectCategory,
)
from thidua.rules.models import AwardMethod, AwardType, DossierPart  # noqa: E402
from thidua.text import fold  # noqa: E402

S = NominationStatus
TODAY = date.today()
THIS_YEAR = TODAY.year
GOAL_P95_MS = 150


@dataclass(frozen=True)
class Size:
    nominations: int
    records: int
    people: int
    extra_units: int  # schools, communes, wards, divisions added under the demo units
    requests: int  # timed requests per page, after the warm-ups
    warmups: int = 3


FULL = Size(nominations=100_000, records=200_000, people=60_000, extra_units=380, requests=30)
QUICK = Size(nominations=5_000, records=10_000, people=3_000, extra_units=80, requests=10)


# --- Vietnamese names ----------------------------------------------------------------------------

FAMILY = [("Nguyễn", 34), ("Trần", 11), ("Lê", 11), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Trịnh", 3),
          ("Đặng", 2.5), ("Bùi", 2.5), ("Đỗ", 2), ("Hồ", 1.5), ("Ngô", 1.5), ("Dương", 1.2), ("Mai", 1),
          ("Đào", 1), ("Cao", 1), ("Hà", 1), ("Lưu", 0.6), ("Lương", 0.6), ("Tống", 0.5), ("Lại", 0.4),
          ("Đinh", 1), ("Tạ", 0.4), ("Quách", 0.3)]
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thanh", "Ngọc", "Đình",
               "Quốc", "Mạnh", "Trọng", "Tiến", "Anh", "Bá"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Phương", "Hồng", "Mai",
                 "Bích", "Thúy", "Diệu", "Hải"]
GIVEN_MALE = ["An", "Anh", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hùng", "Hưng", "Huy", "Khánh",
              "Long", "Minh", "Nam", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến",
              "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Hoàng", "Hiếu", "Lâm", "Kiên", "Toàn", "Trường",
              "Hòa", "Khoa", "Lộc", "Nghĩa", "Quân", "Thịnh", "Vũ", "Hậu", "Tâm", "Duy", "Bảo"]
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huệ",
                "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
                "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Uyên", "Vân", "Yến", "Hòa", "Nga",
                "Nhàn", "Xuân", "Lý", "Duyên", "Thơ", "Hường", "Trâm"]
PLACES = ["Hoằng Hóa", "Hậu Lộc", "Nga Sơn", "Quảng Xương", "Nghi Sơn", "Nông Cống", "Đông Sơn",
          "Triệu Sơn", "Thiệu Hóa", "Yên Định", "Vĩnh Lộc", "Thạch Thành", "Cẩm Thủy", "Ngọc Lặc",
          "Lang Chánh", "Bá Thước", "Quan Hóa", "Quan Sơn", "Mường Lát", "Thường Xuân", "Như Xuân",
          "Như Thanh", "Thọ Xuân", "Hà Trung", "Bỉm Sơn", "Sầm Sơn", "Hoằng Thanh", "Hải Tiến",
          "Quảng Ngọc", "Đông Tiến", "Thiệu Trung", "Định Tân", "Xuân Lập", "Nam Ngạn", "Quảng Thắng",
          "Điện Biên", "Lam Sơn", "Ba Đình", "Tân Sơn", "Trường Thi", "Đông Vệ", "Quảng Hưng", "Thiệu Dương",
          "Hoằng Quang", "Nga Thắng", "Hà Long", "Vĩnh Hùng", "Yên Trường", "Cẩm Tân", "Lưu Vệ"]
POSITIONS = ["Giáo viên", "Giáo viên", "Chuyên viên", "Chuyên viên chính", "Bác sĩ", "Điều dưỡng",
             "Kế toán", "Phó trưởng phòng", "Trưởng phòng", "Hiệu trưởng", "Phó hiệu trưởng", "Nhân viên",
             "Cán bộ", "Kỹ sư", "Thanh tra viên", None]

# Award types a person or a collective can receive (weights shape the registry and the dossiers).
INDIVIDUAL_AWARDS = [("LDTT", 50), ("CSTDCS", 12), ("GK_SO", 14), ("GK_XA", 6), ("BK_TINH", 9), ("CSTDT", 4),
                     ("BK_TTG", 3), ("CSTDTQ", 2)]
COLLECTIVE_AWARDS = [("TTLDTT", 40), ("TTLDXS", 20), ("GK_SO", 15), ("BK_TINH", 12), ("CTD_TINH", 6),
                     ("GK_XA", 4), ("BK_TTG", 2), ("CTD_CP", 1)]
ISSUERS = {"LDTT": "Thủ trưởng cơ quan, đơn vị", "CSTDCS": "Thủ trưởng cơ quan, đơn vị",
           "GK_SO": "Giám đốc Sở", "GK_XA": "Chủ tịch UBND xã, phường", "TTLDTT": "Thủ trưởng cơ quan, đơn vị"}
STATUS_BY_AGE = {  # years before this year → weighted statuses of the dossiers filed for that year
    0: [(S.DRAFT, 25), (S.SUBMITTED, 30), (S.RETURNED, 8), (S.ACCEPTED, 20), (S.REJECTED, 5),
        (S.WITHDRAWN, 7), (S.APPROVED, 5)],
    1: [(S.AWARDED, 55), (S.APPROVED, 10), (S.NOT_APPROVED, 8), (S.ACCEPTED, 5), (S.REJECTED, 10),
        (S.WITHDRAWN, 7), (S.SUBMITTED, 5)],
    2: [(S.AWARDED, 75), (S.NOT_APPROVED, 10), (S.REJECTED, 10), (S.WITHDRAWN, 5)],
}
# The actions that led to each status (the timeline of a seeded dossier).
PATHS = {
    S.DRAFT: [], S.SUBMITTED: ["submit"], S.RETURNED: ["submit", "return"], S.ACCEPTED: ["submit", "accept"],
    S.REJECTED: ["submit", "reject"], S.WITHDRAWN: ["withdraw"], S.APPROVED: ["submit", "accept", "approve"],
    S.NOT_APPROVED: ["submit", "accept", "not_approve"], S.AWARDED: ["submit", "accept", "approve", "award"],
}
TARGETS = {"submit": S.SUBMITTED, "return": S.RETURNED, "accept": S.ACCEPTED, "reject": S.REJECTED,
           "withdraw": S.WITHDRAWN, "approve": S.APPROVED, "not_approve": S.NOT_APPROVED, "award": S.AWARDED}
SEARCH_TERMS = ["nguyen van an", "tran thi", "hoa", "le thi hang", "pham minh", "hoang duc", "vu thi thu",
                "do van hung", "bui", "ngo quang", "trinh thi mai", "dang quoc", "ho thi", "mai lan"]


def pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


def utc(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(1, 10), rng.randint(0, 59), tzinfo=UTC)


def random_day(rng: random.Random, year: int, *, last: date | None = None) -> date:
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), last or date(year, 12, 31))
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


# --- the database ----------------------------------------------------------------------------------

def check_reachable_and_empty(url: str) -> None:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
    except sa.exc.OperationalError as exc:
        raise Unreachable(f"database not reachable: {exc.orig}") from exc
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(f"--database-url must name an empty database; it has {len(tables)} tables")


def make_app(url: str, tmp: Path):
    from flask_login import FlaskLoginClient

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "bench-not-secret", "INSTANCE_PATH": tmp, "UPLOAD_FOLDER": tmp / "uploads",
    })
    app.test_client_class = FlaskLoginClient
    return app


# --- seeding ---------------------------------------------------------------------------------------

def insert(model, rows: list[dict], chunk: int = 5000) -> None:
    """Bulk Core INSERT in chunks (no ORM events: derived columns are filled by the caller)."""
    for i in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model.__table__), rows[i:i + chunk])


def next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def fix_sequences(*models) -> None:
    for model in models:
        table = model.__tablename__
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"))


@dataclass
class Seeded:
    unit_parent: dict[int, int | None] = field(default_factory=dict)
    person_unit: dict[int, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def seed_units(rng: random.Random, size: Size, seeded: Seeded) -> None:
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    specs: list[tuple[str, str, UnitKind, date | None]] = []  # parent code, name, kind, valid_from
    n = size.extra_units
    plan = [  # share of the extra units, parent, kind, name pattern
        (0.40, "38.SGDDT", UnitKind.SCHOOL, ["Trường THPT {p}", "Trường THCS {p}", "Trường Tiểu học {p}",
                                              "Trường Mầm non {p}"]),
        (0.20, "38", UnitKind.COMMUNE, ["Xã {p}"]),
        (0.10, "38", UnitKind.WARD, ["Phường {p}"]),
        (0.10, "38.SYT", UnitKind.PUBLIC_SERVICE, ["Trung tâm Y tế {p}", "Bệnh viện Đa khoa {p}"]),
        (0.10, "38.HACTHANH", UnitKind.SCHOOL, ["Trường Tiểu học {p}", "Trường Mầm non {p}"]),
        (0.10, None, UnitKind.DIVISION, ["Phòng Tổ chức cán bộ", "Văn phòng", "Phòng Kế hoạch - Tài chính",
                                         "Thanh tra"]),
    ]
    departments = [code for code, u in units.items() if u.kind == UnitKind.DEPARTMENT]
    for share, parent, kind, patterns in plan:
        for i in range(max(1, round(n * share))):
            place = PLACES[i % len(PLACES)]
            suffix = f" số {i // len(PLACES) + 1}" if i >= len(PLACES) else ""
            if parent is None:
                dept = departments[i % len(departments)]
                name = f"{patterns[i // len(departments) % len(patterns)]} {units[dept].name}"
                specs.append((dept, name + suffix if i >= len(departments) * len(patterns) else name, kind, None))
            else:
                name = patterns[i % len(patterns)].format(p=place) + suffix
                specs.append((parent, name, kind, REFORM_DAY if kind in (UnitKind.COMMUNE, UnitKind.WARD) else None))
    # Communes get schools of their own (a third level), like the real tree.
    first = next_id(Unit)
    rows = []
    for offset, (parent_code, name, kind, valid_from) in enumerate(specs):
        rows.append({"id": first + offset, "code": f"{parent_code}.B{offset:04d}", "name": name,
                     "name_folded": fold(name), "kind": kind, "parent_id": units[parent_code].id,
                     "valid_from": valid_from, "valid_to": None, "address": f"{name}, tỉnh Thanh Hóa", "note": None})
    communes = [r for r in rows if r["kind"] == UnitKind.COMMUNE]
    for i, commune in enumerate(communes[: max(1, len(communes) // 2)]):
        name = f"Trường Tiểu học {commune['name'].removeprefix('Xã ')}"
        rows.append({"id": first + len(rows), "code": f"{commune['code']}.TH", "name": name, "name_folded": fold(name),
                     "kind": UnitKind.SCHOOL, "parent_id": commune["id"], "valid_from": None, "valid_to": None,
                     "address": None, "note": f"trường thứ {i + 1} của xã"})
    insert(Unit, rows)
    for unit_id, parent_id in db.session.execute(sa.select(Unit.id, Unit.parent_id)):
        seeded.unit_parent[unit_id] = parent_id
    seeded.counts["units"] = len(seeded.unit_parent)


def vietnamese_name(rng: random.Random, gender: Gender) -> str:
    family = pick(rng, FAMILY)
    middle = MIDDLE_MALE if gender == Gender.MALE else MIDDLE_FEMALE
    given = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    words = [family, rng.choice(middle)]
    if rng.random() < 0.15:
        words.append(rng.choice(middle[3:]))
    words.append(rng.choice(given))
    return " ".join(words)


def seed_people(rng: random.Random, size: Size, seeded: Seeded) -> None:
    unit_ids = [u for u in seeded.unit_parent if seeded.unit_parent[u] is not None]
    first = next_id(Person)
    rows = []
    for i in range(size.people):
        pid = first + i
        gender = Gender.FEMALE if rng.random() < 0.55 else Gender.MALE
        name = vietnamese_name(rng, gender)
        unit_id = rng.choice(unit_ids)
        born = date(rng.randint(1962, 2001), rng.randint(1, 12), rng.randint(1, 28))
        rows.append({
            "id": pid, "full_name": name, "name_folded": fold(name), "gender": gender, "birth_date": born,
            "position": rng.choice(POSITIONS), "unit_id": unit_id,
            "national_id": f"038{pid:09d}" if rng.random() < 0.4 else None,
            "subject_category": pick(rng, [(SubjectCategory.DIRECT_WORKER, 80), (SubjectCategory.OTHER_LEADER, 14),
                                           (SubjectCategory.LEADER_DEPARTMENT, 4), (None, 2)]),
            "hired_on": date(max(born.year + 22, 1985), rng.randint(1, 12), 1) if rng.random() < 0.9 else None,
        })
        seeded.person_unit[pid] = unit_id
    insert(Person, rows)
    seeded.counts["people"] = len(rows)


def seed_records(rng: random.Random, size: Size, seeded: Seeded, names: dict[str, str]) -> dict[int, list[int]]:
    """Award records 2015–2025: people earn LĐTT in runs of years and higher titles now and then;
    units earn collective titles. Returns person id → their record ids."""
    collective_target = size.records // 10
    individual_target = size.records - collective_target
    people = list(seeded.person_unit)
    seen: set[tuple] = set()
    rows: list[dict] = []
    decision_no = 0

    def add(kind: NomineeKind, subject: int, code: str, year: int) -> None:
        nonlocal decision_no
        key = (kind, subject, code, year)
        if key in seen:
            return
        seen.add(key)
        decision_no += 1
        day = date(year, 12, rng.randint(10, 30)) if year < THIS_YEAR else random_day(rng, year, last=TODAY)
        province = code in {"BK_TINH", "CSTDT", "CTD_TINH", "TTLDXS"}
        rows.append({
            "nominee_kind": kind, "person_id": subject if kind == NomineeKind.INDIVIDUAL else None,
            "unit_id": subject if kind == NomineeKind.COLLECTIVE else None, "award_code": code,
            "award_name": names[code], "method": AwardMethod.REGULAR, "year": year,
            "decision_number": f"{decision_no % 9000 + 100}/QĐ-{'UBND' if province else 'SNV'}",
            "decision_date": day, "issuer": "Chủ tịch UBND tỉnh Thanh Hóa" if province else ISSUERS.get(code, "Giám đốc Sở"),
            "gold_book_number": f"SV{year}-{decision_no:06d}" if province else None,
            "source": RecordSource.IMPORT, "note": None,
        })

    while len(rows) < individual_target:
        pid = rng.choice(people)
        start = rng.randint(2015, 2024)
        for year in range(start, min(start + rng.randint(1, 6), 2026)):
            add(NomineeKind.INDIVIDUAL, pid, "LDTT", year)
            if rng.random() < 0.25:
                add(NomineeKind.INDIVIDUAL, pid, pick(rng, INDIVIDUAL_AWARDS[1:]), year)
            if len(rows) >= individual_target:
                break
    units = list(seeded.unit_parent)
    while len(rows) < size.records:
        add(NomineeKind.COLLECTIVE, rng.choice(units), pick(rng, COLLECTIVE_AWARDS), rng.randint(2015, 2025))
    first = next_id(AwardRecord)
    by_person: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        row["id"] = first + i
        if row["person_id"]:
            by_person[row["person_id"]].append(row["id"])
    insert(AwardRecord, rows)
    seeded.counts["award_records"] = len(rows)
    return by_person


def seed_history(rng: random.Random, size: Size, seeded: Seeded, records_by_person: dict[int, list[int]]) -> None:
    """Yearly evaluations (a third of the people and every unit), initiatives and discipline."""
    ratings = [(Rating.EXCELLENT, 20), (Rating.GOOD, 55), (Rating.COMPLETED, 22), (Rating.NOT_COMPLETED, 3)]
    rated_units = set(db.session.execute(  # the demo data may have rated some units already
        sa.select(AnnualEvaluation.unit_id, AnnualEvaluation.year).where(AnnualEvaluation.unit_id.is_not(None))))
    rows = []
    for pid in rng.sample(list(seeded.person_unit), len(seeded.person_unit) // 3):
        for year in range(2020, 2026):
            rows.append({"person_id": pid, "unit_id": None, "year": year, "rating": pick(rng, ratings)})
    for unit_id in seeded.unit_parent:
        for year in range(2019, 2026):
            if (unit_id, year) not in rated_units:
                rows.append({"person_id": None, "unit_id": unit_id, "year": year, "rating": pick(rng, ratings)})
    insert(AnnualEvaluation, rows)
    seeded.counts["evaluations"] = len(rows)

    rows = []
    people = list(seeded.person_unit)
    for i in range(size.people // 8):
        pid = rng.choice(people)
        used = records_by_person.get(pid) if rng.random() < 0.2 else None
        rows.append({
            "person_id": pid, "title": f"Sáng kiến số {i + 1}: ứng dụng chuyển đổi số trong công tác chuyên môn",
            "is_research": rng.random() < 0.1,
            "level": pick(rng, [(RecognitionLevel.UNIT, 80), (RecognitionLevel.PROVINCE, 17),
                                (RecognitionLevel.NATIONAL, 3)]),
            "recognised_on": random_day(rng, rng.randint(2018, 2025)) if rng.random() < 0.95 else None,
            "decision_ref": f"QĐ {rng.randint(10, 999)}/QĐ-HĐSK", "used_by_award_id": rng.choice(used) if used else None,
        })
    insert(Initiative, rows)
    seeded.counts["initiatives"] = len(rows)

    rows = []
    for pid in rng.sample(people, max(1, size.people // 100)):
        starts = random_day(rng, rng.randint(2019, THIS_YEAR), last=TODAY)
        rows.append({"person_id": pid, "level": rng.choice(["Khiển trách", "Cảnh cáo"]), "starts_on": starts,
                     "ends_on": starts + timedelta(days=365) if rng.random() < 0.8 else None, "note": None})
    insert(DisciplineRecord, rows)


def seed_nominations(rng: random.Random, size: Size, seeded: Seeded, award_ids: dict[str, int],
                     campaign_id: int, officers: dict[str, int]) -> None:
    """Dossiers 2019–this year over all units, with statuses fitting their year, timelines, some
    attachments and submission letters. Keys are filled as the ORM event would (Core skips it), and
    the partial unique index on live dossiers is respected."""
    years = list(range(THIS_YEAR - 7, THIS_YEAR + 1))
    year_weights = [6, 7, 8, 10, 12, 14, 18, 25][-len(years):]
    people = list(seeded.person_unit)
    units = [u for u, parent in seeded.unit_parent.items() if parent is not None]
    live_keys = {tuple(row) for row in db.session.execute(  # the demo's own live dossiers
        sa.select(Nomination.unit_id, Nomination.award_type_id, Nomination.year, Nomination.campaign_key,
                  Nomination.nominee_key).where(Nomination.status.in_(sorted(ACTIVE_STATUSES))))}
    nominations, events, attachments, batches = [], [], [], []
    batch_of: dict[tuple[int, int], int] = {}
    first = next_id(Nomination)
    first_batch = next_id(SubmissionBatch)
    staff = officers["banthidua"]
    while len(nominations) < size.nominations:
        year = rng.choices(years, year_weights)[0]
        status = pick(rng, STATUS_BY_AGE[min(THIS_YEAR - year, 2)])
        collective = rng.random() < 0.1
        if collective:
            nominee_unit = rng.choice(units)
            person_id, nominee_key = None, f"u{nominee_unit}"
            code = pick(rng, COLLECTIVE_AWARDS)
            unit_id = seeded.unit_parent[nominee_unit] if rng.random() < 0.6 else nominee_unit
        else:
            person_id = rng.choice(people)
            nominee_unit, nominee_key = None, f"p{person_id}"
            code = pick(rng, INDIVIDUAL_AWARDS)
            home = seeded.person_unit[person_id]
            unit_id = seeded.unit_parent[home] if rng.random() < 0.3 and seeded.unit_parent[home] else home
        thematic = year == THIS_YEAR and rng.random() < 0.3
        campaign = campaign_id if thematic else None
        if status in ACTIVE_STATUSES:
            key = (unit_id, award_ids[code], year, campaign or 0, nominee_key)
            if key in live_keys:
                continue
            live_keys.add(key)
        nid = first + len(nominations)
        created = utc(random_day(rng, year, last=TODAY), rng) if year < THIS_YEAR else utc(
            random_day(rng, year, last=TODAY - timedelta(days=20)), rng)
        at = created
        path = PATHS[status]
        previous = S.DRAFT
        submitted_at = None
        for action in path:
            at = min(at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)), datetime.now(UTC))
            target = TARGETS[action]
            events.append({"nomination_id": nid, "action": action, "from_status": previous, "to_status": target,
                           "actor_id": officers["donvi"] if action in ("submit", "withdraw") else staff,
                           "note": "Đề nghị bổ sung biên bản họp Hội đồng." if action == "return" else None,
                           "at": at})
            if action == "submit":
                submitted_at = at
            previous = target
        batch_id = None
        if submitted_at is not None and rng.random() < 0.5:
            batch_id = batch_of.get((unit_id, year))
            if batch_id is None:
                batch_id = batch_of[(unit_id, year)] = first_batch + len(batches)
                batches.append({"id": batch_id, "unit_id": unit_id, "number": f"{len(batches) + 1}/TTr-{year}",
                                "dated_on": submitted_at.date(), "title": f"Tờ trình đề nghị khen thưởng năm {year}",
                                "created_by_id": officers["donvi"]})
        method = AwardMethod.THEMATIC if thematic else pick(rng, [(AwardMethod.REGULAR, 92), (AwardMethod.SUDDEN, 5),
                                                                  (AwardMethod.CAREER, 3)])
        nominations.append({
            "id": nid, "unit_id": unit_id, "campaign_id": campaign, "batch_id": batch_id,
            "award_type_id": award_ids[code], "method": method, "year": year,
            "nominee_kind": NomineeKind.COLLECTIVE if collective else NomineeKind.INDIVIDUAL,
            "person_id": person_id, "nominee_unit_id": nominee_unit, "nominee_key": nominee_key,
            "campaign_key": campaign or 0, "is_enterprise": False, "is_household": False,
            "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ được giao; tích cực tham gia phong trào thi đua, "
                                   "có sáng kiến được áp dụng hiệu quả tại đơn vị.",
            "status": status, "status_changed_at": at if path else None, "submitted_at": submitted_at,
            "created_by_id": officers["donvi"], "created_at": created, "updated_at": None, "version": 1,
        })
        if rng.random() < 0.3:
            for part in rng.sample([DossierPart.ACHIEVEMENT_REPORT, DossierPart.COUNCIL_MINUTES,
                                    DossierPart.EVIDENCE], rng.randint(1, 2)):
                attachments.append({
                    "nomination_id": nid, "part": part, "uploaded_by_id": officers["donvi"],
                    "original_name": f"{part.label}.pdf", "stored_name": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "content_type": "application/pdf", "size": rng.randint(40_000, 3_000_000),
                    "sha256": f"{rng.getrandbits(256):064x}", "uploaded_at": created,
                })
    insert(SubmissionBatch, batches)
    insert(Nomination, nominations)
    insert(NominationEvent, events)
    insert(NominationAttachment, attachments)
    seeded.counts.update(nominations=len(nominations), events=len(events), attachments=len(attachments),
                         batches=len(batches))


def seed(size: Size, rng: random.Random, *, analyze_only: bool = False) -> Seeded:
    seed_demo()
    db.session.commit()
    seeded = Seeded()
    seed_units(rng, size, seeded)
    seed_people(rng, size, seeded)
    names = {code: name for code, name in db.session.execute(sa.select(AwardType.code, AwardType.name))}
    award_ids = {code: i for code, i in db.session.execute(sa.select(AwardType.code, AwardType.id))}
    records_by_person = seed_records(rng, size, seeded, names)
    seed_history(rng, size, seeded, records_by_person)
    officers = {u.username: u.id for u in db.session.scalars(sa.select(User))}
    campaign_id = db.session.scalar(sa.select(Campaign.id).order_by(Campaign.id))
    seed_nominations(rng, size, seeded, award_ids, campaign_id, officers)
    fix_sequences(Unit, Person, AwardRecord, AnnualEvaluation, Initiative, DisciplineRecord, SubmissionBatch,
                  Nomination, NominationEvent, NominationAttachment)
    db.session.commit()
    # VACUUM as well as ANALYZE: on a live database autovacuum keeps the visibility map set, which lets
    # counts use index-only scans; right after a bulk load only an explicit VACUUM does.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE" if analyze_only else "VACUUM ANALYZE"))
    return seeded


# --- measuring --------------------------------------------------------------------------------------

ROW_PATTERNS = {  # how to count the rows a page shows
    "queue": re.compile(r'<tr data-id="'),
    "unit_list": re.compile(r'<td><a href="/nominations/\d+">'),
    "search": re.compile(r'<td><a href="/registry/people/\d+">'),
    "dossier": re.compile(r'<li class="mb-2" data-action="'),  # timeline entries
}


@dataclass
class PageResult:
    name: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def p(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class QueryCounter:
    """Counts the statements sent to the database; with `record` on, keeps them with their time."""

    def __init__(self, engine):
        self.count = 0
        self.statements: list[tuple[str, float]] = []
        self.record = False
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.record:
            self.statements.append((statement, (time.perf_counter() - self._started) * 1000))


def fetch(client, url: str, counter: QueryCounter) -> tuple[float, int, str]:
    counter.count = 0
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed, counter.count, response.get_data(as_text=True)


def measure(name: str, client, urls: list[str], counter: QueryCounter, size: Size) -> PageResult:
    result = PageResult(name)
    for i in range(size.warmups):
        fetch(client, urls[i % len(urls)], counter)
    for i in range(size.requests):
        elapsed, queries, html = fetch(client, urls[(size.warmups + i) % len(urls)], counter)
        result.times_ms.append(elapsed)
        result.queries.append(queries)
        if name in ROW_PATTERNS:
            result.rows.append(len(ROW_PATTERNS[name].findall(html)))
    return result


@dataclass
class Plan:
    queue: list[str]
    unit_list: list[str]
    dossier_staff: list[str]
    dossier_unit: list[str]
    search: list[str]
    growth: dict[str, tuple[str, str]]  # page → (url showing a few rows, url showing a full page)


def plan_urls(rng: random.Random, size: Size) -> Plan:
    from thidua.org.queries import descendant_ids
    from thidua.registry import queries as registry_queries

    donvi = db.session.scalar(sa.select(User).where(User.username == "donvi"))
    scope = descendant_ids(a.unit_id for a in donvi.role_assignments if a.unit_id)
    campaign_id = db.session.scalar(sa.select(Campaign.id).order_by(Campaign.id))
    queue = ["/nominations/queue", "/nominations/queue?page=2", "/nominations/queue?award=LDTT",
             f"/nominations/queue?campaign_id={campaign_id}", "/nominations/queue?page=5"]
    unit_list = ["/nominations/", "/nominations/?page=2", "/nominations/?status=submitted",
                 f"/nominations/?year={THIS_YEAR - 1}", "/nominations/?page=10", "/nominations/?award=CSTDCS"]
    ids = list(db.session.scalars(sa.select(Nomination.id)))
    own = list(db.session.scalars(sa.select(Nomination.id).where(Nomination.unit_id.in_(scope))))
    dossier_staff = [f"/nominations/{i}" for i in rng.sample(ids, min(len(ids), size.requests + size.warmups))]
    dossier_unit = [f"/nominations/{i}" for i in rng.sample(own, min(len(own), size.requests + size.warmups))]
    search = [f"/registry/?q={term.replace(' ', '+')}" for term in SEARCH_TERMS]

    # Pages showing only a few rows, for the query-growth check (same code path as the full pages).
    few_unit = db.session.execute(
        sa.select(Nomination.unit_id, sa.func.count()).where(Nomination.status == S.SUBMITTED)
        .group_by(Nomination.unit_id).having(sa.func.count().between(1, 5)).limit(1)).first()
    few_scope = db.session.execute(
        sa.select(Nomination.unit_id, Nomination.status, Nomination.year, sa.func.count())
        .where(Nomination.unit_id.in_(scope)).group_by(Nomination.unit_id, Nomination.status, Nomination.year)
        .having(sa.func.count().between(1, 5)).limit(1)).first()
    few_name = full_name = None
    for name in db.session.scalars(sa.select(Person.name_folded).order_by(Person.id).limit(400)):
        count = registry_queries.count_people(registry_queries.Filters(q=name))
        if count <= 5 and few_name is None:
            few_name = name
        if registry_queries.PER_PAGE < count <= registry_queries.SORT_LIMIT and full_name is None:
            full_name = name
    full_name = full_name or "nguyen van an"
    # Two LĐTT dossiers: the nominee with the shortest award history and the one with the longest.
    records = (sa.select(sa.func.count(AwardRecord.id)).where(AwardRecord.person_id == Nomination.person_id)
               .correlate(Nomination).scalar_subquery())
    ldtt = sa.select(Nomination.id).join(AwardType, Nomination.award_type_id == AwardType.id).where(
        AwardType.code == "LDTT", Nomination.person_id.is_not(None))
    short_history = db.session.scalar(ldtt.order_by(records.asc(), Nomination.id).limit(1))
    long_history = db.session.scalar(ldtt.order_by(records.desc(), Nomination.id).limit(1))
    growth = {
        "queue": (f"/nominations/queue?unit_id={few_unit.unit_id}" if few_unit else "/nominations/queue?year=1900",
                  "/nominations/queue"),
        "unit_list": (f"/nominations/?unit_id={few_scope.unit_id}&status={few_scope.status.value}&year={few_scope.year}"
                      if few_scope else "/nominations/?year=1900", "/nominations/"),
        "search": (f"/registry/?q={(few_name or 'zzzz').replace(' ', '+')}",
                   f"/registry/?q={full_name.replace(' ', '+')}"),
        "dossier": (f"/nominations/{short_history}", f"/nominations/{long_history}"),
    }
    return Plan(queue, unit_list, dossier_staff, dossier_unit, search, growth)


def run(args) -> int:
    size = QUICK if args.quick else FULL
    if args.requests:
        size = Size(**{**size.__dict__, "requests": args.requests})
    rng = random.Random(args.seed)
    own_db = None
    if args.database_url:
        url = normalize_database_url(args.database_url)
        check_reachable_and_empty(url)
    else:
        own_db = f"thidua_bench_{os.getpid()}"
        create_database(own_db)
        url = f"{SERVER}/{own_db}"
    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-"))
    app = None
    try:
        app = make_app(url, tmp)
        started = time.perf_counter()
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            seeded = seed(size, rng, analyze_only=args.analyze_only)
            counts = {name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                      for name, model in [("nominations", Nomination), ("award_records", AwardRecord),
                                          ("people", Person), ("units", Unit)]}
            plan = plan_urls(rng, size)
            counter = QueryCounter(db.engine)
            users = {u.username: u for u in db.session.scalars(sa.select(User))}
            clients = {name: app.test_client(user=users[name]) for name in ("banthidua", "donvi")}
            db.session.remove()
        seed_s = time.perf_counter() - started
        print(f"seeded in {seed_s:.0f} s: " + ", ".join(f"{k}={v}" for k, v in seeded.counts.items()), flush=True)
        anonymous = app.test_client()
        if not args.no_gc_freeze:
            # As a preforking server does after loading the app: the ~120,000 objects of the loaded app are
            # left out of garbage collection, or each full collection (~60 ms here) lands in some request.
            gc.collect()
            gc.freeze()
        # Requests run outside any application context, so each gets its own session, as in production.
        results = [
            measure("trivial", anonymous, ["/auth/login"], counter, size),
            measure("queue", clients["banthidua"], plan.queue, counter, size),
            measure("unit_list", clients["donvi"], plan.unit_list, counter, size),
            measure("dossier", clients["banthidua"], plan.dossier_staff, counter, size),
            measure("dossier_unit", clients["donvi"], plan.dossier_unit, counter, size),
            measure("search", clients["banthidua"], plan.search, counter, size),
        ]
        growth = {}
        for name, (few_url, full_url) in plan.growth.items():
            client = clients["donvi" if name == "unit_list" else "banthidua"]
            fetch(client, few_url, counter)
            fetch(client, full_url, counter)
            _, q_few, html_few = fetch(client, few_url, counter)
            _, q_full, html_full = fetch(client, full_url, counter)
            growth[name] = (len(ROW_PATTERNS[name].findall(html_few)), q_few,
                            len(ROW_PATTERNS[name].findall(html_full)), q_full, (few_url, full_url))
        if args.show_sql:
            counter.record = True
            for spec in args.show_sql:
                user, _, url = spec.rpartition(":") if not spec.startswith("/") else ("", "", spec)
                counter.statements.clear()
                elapsed, _, _ = fetch(clients[user or "banthidua"], url, counter)
                print(f"\n-- {url} as {user or 'banthidua'}: {len(counter.statements)} queries, {elapsed:.1f} ms")
                for statement, ms in counter.statements:
                    print(f"   {ms:7.1f} ms  " + " ".join(statement.split())[:args.sql_width])
            counter.record = False
        report(results, growth, counts, size)
        return 0
    finally:
        if args.keep:
            print(f"kept the database: {url}")
        elif app is not None:
            with app.app_context():
                db.session.remove()
                if own_db is None:
                    from flask_migrate import downgrade

                    downgrade(revision="base")
                    db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                    db.session.commit()
                db.engine.dispose()
        if own_db and not args.keep:
            drop_database(own_db)
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: list[PageResult], growth: dict, counts: dict, size: Size) -> None:
    print(f"\n{'page':<14}{'requests':>9}{'rows':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for r in results:
        rows = f"{max(r.rows)}" if r.rows else "-"
        queries = f"{min(r.queries)}-{max(r.queries)}" if min(r.queries) != max(r.queries) else f"{max(r.queries)}"
        print(f"{r.name:<14}{len(r.times_ms):>9}{rows:>7}{r.p(0.5):>9.1f}{r.p(0.95):>9.1f}{max(r.times_ms):>9.1f}"
              f"{queries:>9}")
    print(f"\n{'query growth':<14}{'few rows':>10}{'queries':>9}{'full page':>11}{'queries':>9}")
    for name, (rows_few, q_few, rows_full, q_full, urls) in growth.items():
        print(f"{name:<14}{rows_few:>10}{q_few:>9}{rows_full:>11}{q_full:>9}   {' vs '.join(urls)}")
    print("(dossier: timeline entries shown; nominee with the shortest vs the longest award history)")
    trivial, pages = results[0], results[1:]
    worst_p50 = max(r.p(0.5) for r in pages)
    worst_p95 = max(r.p(0.95) for r in pages)
    max_queries = max(max(r.queries) for r in pages)
    query_growth = max(q_full - q_few for _, q_few, _, q_full, _ in growth.values())
    verdict = "ok" if worst_p95 < GOAL_P95_MS and query_growth <= 0 else "GOAL MISSED"
    print(f"\nworst page p95 {worst_p95:.1f} ms (goal < {GOAL_P95_MS} ms), query growth {query_growth}: {verdict}")
    pairs = {
        "nominations": counts["nominations"], "award_records": counts["award_records"], "people": counts["people"],
        "p50_ms": f"{worst_p50:.1f}", "p95_ms": f"{worst_p95:.1f}", "max_queries_per_page": max_queries,
        "query_growth": query_growth, "trivial_p50_ms": f"{trivial.p(0.5):.1f}",
        "ratio_vs_trivial": f"{worst_p50 / trivial.p(0.5):.1f}",
    }
    for r in pages:
        pairs[f"{r.name}_p50_ms"] = f"{r.p(0.5):.1f}"
        pairs[f"{r.name}_p95_ms"] = f"{r.p(0.95):.1f}"
        pairs[f"{r.name}_queries"] = max(r.queries)
    pairs["requests_per_page"] = size.requests
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 nominations and 10,000 records")
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database to use instead")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 30, 10 with --quick)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generated data")
    parser.add_argument("--show-sql", action="append", metavar="[USER:]URL",
                        help="print the SQL of one request (as banthidua, or as USER: donvi)")
    parser.add_argument("--analyze-only", action="store_true", help="ANALYZE after seeding, without VACUUM")
    parser.add_argument("--no-gc-freeze", action="store_true", help="leave the loaded app in garbage collection")
    parser.add_argument("--keep", action="store_true", help="keep the database for inspection (drop it yourself)")
    parser.add_argument("--sql-width", type=int, default=160, help="characters of each statement shown")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except Unreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
