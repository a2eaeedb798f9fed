"""Gold-book numbers (sổ vàng): per issuer, title or form and year, unique and without gaps, even when
several decisions are issued at once and one of them fails and rolls back."""

from __future__ import annotations

import os
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from thidua.awards import services
from thidua.awards.models import Decision, DecisionItem, DecisionStatus, GoldBook

from .test_services import approved, draft, issue


def test_take_numbers_sequentially_continue_from_last(db, province):
    assert list(services.take_gold_book_numbers(province.id, "BK_TINH", 2025, 3)) == [1, 2, 3]
    assert list(services.take_gold_book_numbers(province.id, "BK_TINH", 2025, 2)) == [4, 5]
    book = db.session.scalar(sa.select(GoldBook).where(GoldBook.award_code == "BK_TINH"))
    assert (book.year, book.last_number) == (2025, 5)


def test_take_numbers_separate_books_per_award_year_and_issuer(db, province, unit):
    services.take_gold_book_numbers(province.id, "BK_TINH", 2025, 4)
    assert list(services.take_gold_book_numbers(province.id, "BK_TINH", 2026, 1)) == [1]
    assert list(services.take_gold_book_numbers(province.id, "CSTDT", 2025, 1)) == [1]
    assert list(services.take_gold_book_numbers(unit.id, "BK_TINH", 2025, 1)) == [1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GoldBook)) == 4


def test_issue_rolled_back_gives_its_numbers_back(db, province, unit):
    first = draft(province, [approved(unit), approved(unit)])
    db.session.commit()
    issue(first, number="1/QĐ-UBND")
    db.session.rollback()  # e.g. the view failed after the service
    second = draft(province, [approved(unit)])
    issue(second, number="2/QĐ-UBND")
    assert [i.gold_book_number for i in second.items] == [1]


def test_gold_book_year_is_the_signing_year_not_the_achievement_year(db, province, unit):
    decision = issue(draft(province, [approved(unit)], year=2024), signed_on=date(2025, 1, 15))
    assert decision.items[0].gold_book.year == 2025


WORKERS = 8
FAILING = 3  # this worker issues, holds its numbers a moment, then rolls back


@pytest.mark.postgres
def test_concurrent_issues_get_unique_gap_free_numbers(app, db, province, unit):
    if not os.environ.get("TEST_DATABASE_URL") or db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    decisions = [draft(province, [approved(unit) for _ in range(1 + i % 3)]) for i in range(WORKERS)]
    db.session.commit()
    ids = [d.id for d in decisions]
    barrier = threading.Barrier(WORKERS)
    outcome: dict[int, str] = {}

    def worker(n: int, decision_id: int) -> None:
        # Its own application context, hence its own session and database connection.
        with app.app_context():
            decision = db.session.get(Decision, decision_id)
            _ = [i.nomination.status for i in decision.items]  # loaded before the race, as a page would be
            barrier.wait()
            try:
                issue(decision, number=f"{100 + n}/QĐ-UBND")
                time.sleep(0.05)  # hold the gold book's row lock while the others queue behind it
                if n == FAILING:
                    raise RuntimeError("printer on fire")
                db.session.commit()
                outcome[n] = "issued"
            except Exception as exc:  # noqa: BLE001 — the failing worker, or a bug the asserts will show
                db.session.rollback()
                outcome[n] = f"rolled back: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n, decision_id)) for n, decision_id in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)

    db.session.expire_all()
    assert outcome[FAILING] == "rolled back: printer on fire"
    assert all(outcome[n] == "issued" for n in range(WORKERS) if n != FAILING), outcome
    numbers = sorted(db.session.scalars(sa.select(DecisionItem.gold_book_number)
                                        .where(DecisionItem.gold_book_number.is_not(None))))
    expected = sum(1 + n % 3 for n in range(WORKERS) if n != FAILING)
    assert numbers == list(range(1, expected + 1))
    assert db.session.scalar(sa.select(GoldBook.last_number)) == expected
    assert db.session.get(Decision, ids[FAILING]).status == DecisionStatus.DRAFT
