"""Ratio caps: used vs floor(ratio × basis), at and around the boundary."""

from datetime import date
from decimal import Decimal

import pytest

from thidua.extensions import db as _db
from thidua.registry.models import AwardRecord, NomineeKind, Person
from thidua.rules.models import QuotaRule
from thidua.rules.quotas import limit_for, percent, quota_status

from ..factories import award_type, make_award_record, make_nomination, make_person, make_unit

YEAR = 2025


def holders(unit, count: int, *, code: str = "LDTT", year: int = YEAR) -> list[Person]:
    """`count` people of `unit` holding `code` in `year` (one flush)."""
    people = [Person(full_name=f"Người {i}", unit=unit) for i in range(count)]
    _db.session.add_all(people)
    _db.session.flush()
    _db.session.add_all(AwardRecord(nominee_kind=NomineeKind.INDIVIDUAL, person=p, award_code=code,
                                    award_name=code, year=year) for p in people)
    _db.session.flush()
    return people


def nominate(unit, count: int, *, code: str = "CSTDCS", status: str = "submitted", year: int = YEAR):
    return [make_nomination(unit=unit, code=code, year=year, status=status) for _ in range(count)]


def cstdcs_status(unit, **kw):
    award_type("CSTDCS")  # seeds the catalogue, with its 15% rule
    statuses = quota_status(unit.id, YEAR, "CSTDCS", **kw)
    assert len(statuses) == 1
    return statuses[0]


@pytest.mark.parametrize(("ratio", "basis", "limit"), [
    ("0.150", 12, 1),  # 1.8 rounds down
    ("0.150", 19, 2),  # 2.85
    ("0.150", 20, 3),  # exactly 3.00
    ("0.150", 6, 0),  # 0.9: not even one
    ("0.100", 30, 3),
    ("0.125", 8, 1),
    ("1.000", 7, 7),
])
def test_limit_is_the_ratio_of_the_basis_rounded_down(ratio, basis, limit):
    assert limit_for(Decimal(ratio), basis) == limit


@pytest.mark.parametrize(("basis", "used", "over"), [(20, 3, False), (20, 4, True), (19, 3, True), (19, 2, False)])
def test_quota_at_and_around_the_boundary(unit, basis, used, over):
    holders(unit, basis)
    nominate(unit, used)
    status = cstdcs_status(unit)
    assert (status.used, status.basis, status.over) == (used, basis, over)


def test_quota_message_states_the_numbers_in_vietnamese(unit):
    holders(unit, 12)
    nominate(unit, 3)
    status = cstdcs_status(unit)
    assert status.message.startswith("Đề nghị 3 CSTĐCS, vượt tỷ lệ 15% của 12 LĐTT (tối đa 1)")
    assert "Điều 9.3 NĐ 91/2017" in status.message
    assert status.over and not status.blocks  # the seeded rule warns, it does not block


def test_quota_within_limit_says_so(unit):
    holders(unit, 20)
    nominate(unit, 2)
    status = cstdcs_status(unit)
    assert "trong tỷ lệ 15% của 20 LĐTT (tối đa 3)" in status.message and status.remaining == 1


def test_quota_adding_counts_dossiers_about_to_be_filed(unit):
    holders(unit, 20)
    nominate(unit, 3)
    assert not cstdcs_status(unit).over
    assert cstdcs_status(unit, adding=1).over


def test_quota_used_ignores_dead_dossiers_other_units_and_other_years(unit, province):
    holders(unit, 20)
    nominate(unit, 3)
    nominate(unit, 2, status="withdrawn")
    nominate(unit, 1, status="rejected")
    nominate(unit, 2, year=YEAR - 1)
    nominate(make_unit(code="38.SYT", parent=province), 5)
    assert cstdcs_status(unit).used == 3


def test_quota_basis_counts_people_of_sub_units_but_not_other_units(unit, province):
    holders(unit, 10)
    holders(unit.children[0], 5)  # the school below the department
    holders(make_unit(code="38.SYT", parent=province), 40)
    holders(unit, 7, year=YEAR - 1)
    assert cstdcs_status(unit).basis == 15


def test_quota_basis_adds_live_basis_dossiers_without_counting_anyone_twice(unit):
    people = holders(unit, 10)
    make_nomination(unit=unit, code="LDTT", person=people[0], year=YEAR, status="awarded")  # the dossier behind a record
    make_nomination(unit=unit, code="LDTT", person=make_person(unit=unit), year=YEAR, status="submitted")
    make_nomination(unit=unit, code="LDTT", person=make_person(unit=unit), year=YEAR, status="withdrawn")
    assert cstdcs_status(unit).basis == 11


def test_quota_rule_not_in_force_is_not_applied(unit):
    award_type("CSTDCS")
    rule = _db.session.query(QuotaRule).filter_by(award_code="CSTDCS").one()
    rule.effective_to = date(2025, 12, 31)
    _db.session.flush()
    assert quota_status(unit.id, YEAR, "CSTDCS", today=date(2026, 1, 1)) == []
    assert len(quota_status(unit.id, YEAR, "CSTDCS", today=date(2025, 12, 31))) == 1


def test_quota_hard_block_blocks_only_when_over(unit):
    award_type("CSTDCS")
    _db.session.query(QuotaRule).filter_by(award_code="CSTDCS").one().hard_block = True
    holders(unit, 7)  # limit 1
    nominate(unit, 1)
    assert not cstdcs_status(unit).blocks
    nominate(unit, 1)
    status = cstdcs_status(unit)
    assert status.blocks and "không gửi được" in status.message


def test_quota_for_award_without_rule_is_empty(unit):
    award_type("LDTT")
    assert quota_status(unit.id, YEAR, "LDTT") == []


def test_quota_counts_collective_basis_records(unit, province):
    award_type("TTLDXS")
    _db.session.add(QuotaRule(award_code="TTLDXS", basis_code="TTLDTT", max_ratio=Decimal("0.500"),
                              effective_from=date(2024, 1, 1)))
    schools = [make_unit(code=f"38.S{i}", parent=unit) for i in range(4)]
    for school in schools:
        make_award_record(code="TTLDTT", year=YEAR, unit=school)
    for school in schools[:2]:
        make_nomination(unit=unit, code="TTLDXS", nominee_unit=school, year=YEAR, status="submitted")
    status = quota_status(unit.id, YEAR, "TTLDXS")[0]
    assert (status.basis, status.limit, status.over) == (4, 2, False)
    assert "TTLĐXS" in status.message and "50%" in status.message


@pytest.mark.parametrize(("ratio", "text"), [("0.150", "15%"), ("0.125", "12,5%"), ("1.000", "100%")])
def test_percent_is_written_the_vietnamese_way(ratio, text):
    assert percent(Decimal(ratio)) == text
