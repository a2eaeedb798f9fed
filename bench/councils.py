"""Speed of a council session's scoring results on PostgreSQL (issue 4).

Seeds a throwaway database with one closed session of 1,000 agenda items scored by 25 members on a
5-criterion rubric (25,000 submitted sheets, 125,000 scores, bulk Core inserts; two award types so the
ranking has groups), then times `thidua.councils.scoring.results(session)` and counts its SQL queries.
Baselines in the same run: the same figures computed naively (one query per item, totals in Python),
and `results()` on a second session of a tenth as many items, to show its queries do not grow with
the number of dossiers.

    python bench/councils.py            # 1,000 items × 25 members
    python bench/councils.py --quick    # 100 items × 9 members

The database `thidua_bench_c_<pid>` is created on 127.0.0.1:5432 (user postgres, trust auth), built
with the migrations (Flask-Migrate upgrade) and dropped at the end, also on error. The last line is
`tally_s=… queries=… naive_s=… ratio=…` (ratio = naive_s / tally_s); exit status 1 when the goal
(under 1 s, the same number of queries for both sessions) is missed, 2 when PostgreSQL is unreachable.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from pgdb import SERVER, Unreachable, create_database, drop_database  # bench/ is on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import factories as f  # noqa: E402
from thidua import create_app  # noqa: E402
from thidua.auth.models import Role  # noqa: E402
from thidua.councils import scoring  # noqa: E402
from thidua.councils.models import (  # noqa: E402
    AgendaItem,
    CouncilSession,
    Score,
    ScoreSheet,
    SessionStatus,
)
from thidua.extensions import db  # noqa: E402
from thidua.nominations.models import Nomination, NominationStatus  # noqa: E402
from thidua.registry.models import NomineeKind, Person  # noqa: E402
from thidua.rules.models import AwardMethod  # noqa: E402
from thidua.scoring import engine  # noqa: E402
from thidua.text import fold  # noqa: E402

GOAL_S = 1.0


class QueryCounter:
    def __init__(self, eng):
        self.count = 0
        sa.event.listen(eng, "before_cursor_execute", self._before)

    def _before(self, *args, **kw):
        self.count += 1


def insert(model, rows: list[dict], chunk: int = 10000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(sa.insert(model.__table__), rows[i:i + chunk])


def next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def seed(n_items: int, n_members: int, rng: random.Random) -> tuple[int, int]:
    """Return (big session id, small session id)."""
    province = f.make_unit(code="38", name="UBND tỉnh Thanh Hóa", kind="province")
    unit = f.make_unit(code="38.SNV", name="Sở Nội vụ", kind="department", parent=province)
    members = [f.make_user(full_name=f"Thành viên {i + 1}", roles=[Role.COUNCIL_MEMBER]) for i in range(n_members)]
    council = f.make_council(unit=province, members=[(members[0], "chair"), *members[1:]])
    rubric = f.make_rubric(criteria=[(10, 2), (10, 1), (20, 1), (10, 1.5), (5, 1)])
    award_ids = [f.award_type("LDTT").id, f.award_type("CSTDCS").id]
    big = f.make_session(council=council, status="open", rubric=rubric, title="Phiên họp xét khen thưởng năm")
    small = f.make_session(council=council, status="open", rubric=rubric, title="Phiên họp bổ sung")
    now = datetime.now(UTC)
    person0, nom0 = next_id(Person), next_id(Nomination)
    insert(Person, [{"id": person0 + i, "full_name": f"Lê Thị Hồng {i + 1}", "name_folded": fold(f"Lê Thị Hồng {i + 1}"),
                     "unit_id": unit.id} for i in range(n_items)])
    insert(Nomination, [{
        "id": nom0 + i, "unit_id": unit.id, "award_type_id": award_ids[i % 2], "method": AwardMethod.REGULAR,
        "year": date.today().year, "nominee_kind": NomineeKind.INDIVIDUAL, "person_id": person0 + i,
        "nominee_key": f"p{person0 + i}", "campaign_key": 0, "is_enterprise": False, "is_household": False,
        "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ được giao.", "status": NominationStatus.ACCEPTED,
        "created_at": now, "version": 1} for i in range(n_items)])
    criteria = [(c.id, int(c.max_points)) for c in rubric.criteria]
    item_id, sheet_id, score_id = next_id(AgendaItem), next_id(ScoreSheet), next_id(Score)
    items, sheets, scores = [], [], []
    for session, count in ((big, n_items), (small, max(1, n_items // 10))):
        for i in range(count):
            items.append({"id": item_id, "session_id": session.id, "nomination_id": nom0 + i, "position": i + 1})
            quality = rng.random()
            for seat in council.members:
                sheets.append({"id": sheet_id, "agenda_item_id": item_id, "member_id": seat.id, "submitted_at": now})
                for crit_id, top in criteria:
                    points = max(0, min(top, round(top * quality + rng.gauss(0, top / 8))))
                    scores.append({"id": score_id, "sheet_id": sheet_id, "criterion_id": crit_id,
                                   "points": Decimal(points)})
                    score_id += 1
                sheet_id += 1
            item_id += 1
    insert(AgendaItem, items)
    insert(ScoreSheet, sheets)
    insert(Score, scores)
    db.session.execute(sa.update(CouncilSession).where(CouncilSession.id.in_([big.id, small.id]))
                       .values(status=SessionStatus.CLOSED, normalise=True))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    print(f"seeded: items={n_items}+{n_items // 10} members={n_members} sheets={len(sheets)} scores={len(scores)}",
          flush=True)
    return big.id, small.id


def naive(session: CouncilSession) -> dict[int, float]:
    """The straightforward way: per item, load its sheets and scores, total them in Python."""
    criteria = list(session.rubric.criteria)
    out = {}
    for item in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.session_id == session.id)):
        sheets = db.session.scalars(sa.select(ScoreSheet).where(ScoreSheet.agenda_item_id == item.id,
                                                                ScoreSheet.submitted_at.is_not(None))
                                    .options(sa.orm.selectinload(ScoreSheet.scores))).all()
        totals = [engine.sheet_total({s.criterion_id: s.points for s in sh.scores}, criteria).total for sh in sheets]
        out[item.id] = engine.summary(totals).mean
    return out


def timed(fn, counter: QueryCounter, repeat: int = 3):
    best, queries, result = float("inf"), 0, None
    for _ in range(repeat):
        db.session.expire_all()
        counter.count = 0
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        queries = counter.count
    return best, queries, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 items × 9 members")
    args = parser.parse_args(argv)
    n_items, n_members = (100, 9) if args.quick else (1000, 25)
    rng = random.Random(4)
    name = f"thidua_bench_c_{os.getpid()}"
    try:
        create_database(name)
    except Unreachable as exc:
        print(exc, file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="thidua-bench-c-"))
    app = None
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"{SERVER}/{name}", "TESTING": True,
                          "SECRET_KEY": "bench-not-secret", "INSTANCE_PATH": tmp, "UPLOAD_FOLDER": tmp / "uploads"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            big_id, small_id = seed(n_items, n_members, rng)
            counter = QueryCounter(db.engine)
            big, small = db.session.get(CouncilSession, big_id), db.session.get(CouncilSession, small_id)
            tally_s, queries, res = timed(lambda: scoring.results(big), counter)
            small_s, small_q, _ = timed(lambda: scoring.results(small), counter)
            naive_s, naive_q, naive_means = timed(lambda: naive(big), counter, repeat=1)
            mismatch = sum(1 for r in res.items if abs((r.stats.mean or 0) - (naive_means[r.item_id] or 0)) > 1e-6)
            tied = sum(1 for r in res.items if r.tied)
            print(f"results({len(res.items)} items): {tally_s:.3f} s, {queries} queries; "
                  f"results({len(small.agenda)} items): {small_s:.3f} s, {small_q} queries; "
                  f"naive: {naive_s:.3f} s, {naive_q} queries; means differing from naive: {mismatch}; "
                  f"tied rows: {tied}", flush=True)
            db.session.remove()
        ok = tally_s < GOAL_S and queries == small_q and mismatch == 0
        print(f"tally_s={tally_s:.3f} queries={queries} naive_s={naive_s:.3f} ratio={naive_s / tally_s:.1f}")
        return 0 if ok else 1
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        drop_database(name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
