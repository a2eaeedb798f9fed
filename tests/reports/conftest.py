"""A hand-built year of records for the report tests (year 2025, the `unit` fixture's subtree plus another)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from tests import factories
from thidua.campaigns.models import CampaignKind, CampaignScope, LaunchLevel
from thidua.registry.models import SubjectCategory
from thidua.rules.models import AwardMethod

YEAR = 2025


@dataclass
class World:
    province: object
    unit: object
    school: object
    other: object
    enterprise: object


@pytest.fixture
def world(db, province, unit):
    school = unit.children[0]
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", kind="department", parent=province)
    enterprise = factories.make_unit(code="38.SGDDT.DN", name="Công ty Sách – Thiết bị giáo dục",
                                     kind="enterprise", parent=unit)
    return World(province, unit, school, other, enterprise)


@pytest.fixture
def dataset(world):
    """Campaigns of each scope, level, kind and duration; award records of each method, subject and kind;
    revoked, other-year and out-of-form records that must not count; state-level dossiers."""
    w = world
    mk = factories.make_campaign
    mk(scope=CampaignScope.NATIONWIDE, launch_level=LaunchLevel.CENTRAL, kind=CampaignKind.THEMATIC,
       starts_on=date(2021, 1, 1), ends_on=date(2025, 12, 31), launching_unit=w.province)
    mk(scope=CampaignScope.LOCALITY, launch_level=LaunchLevel.PROVINCE, kind=CampaignKind.REGULAR,
       starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), launching_unit=w.province)
    mk(scope=CampaignScope.CLUSTER, launch_level=LaunchLevel.PROVINCE, kind=CampaignKind.THEMATIC,
       starts_on=date(2024, 3, 1), ends_on=date(2026, 2, 28), launching_unit=w.other)
    mk(scope=CampaignScope.UNIT, launch_level=LaunchLevel.UNIT, kind=CampaignKind.THEMATIC,
       starts_on=date(2025, 5, 1), ends_on=date(2025, 9, 30), launching_unit=w.unit)
    mk(scope=CampaignScope.UNIT, launch_level=LaunchLevel.UNIT, kind=CampaignKind.REGULAR,
       starts_on=date(2023, 1, 1), ends_on=None, launching_unit=w.school)
    mk(status="draft", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), launching_unit=w.unit)  # not counted
    mk(starts_on=date(2023, 1, 1), ends_on=date(2024, 12, 31), launching_unit=w.unit)  # over before the year

    person = factories.make_person
    teacher = person(unit=w.school, subject_category=SubjectCategory.DIRECT_WORKER)
    director = person(unit=w.unit, subject_category=SubjectCategory.LEADER_DEPARTMENT)
    doctor = person(unit=w.other, subject_category=SubjectCategory.DIRECT_WORKER)
    nobody = person(unit=w.unit)  # no subject category
    rec = factories.make_award_record
    rec(code="BK_TINH", year=YEAR, person=teacher, method=AwardMethod.REGULAR)
    rec(code="BK_TINH", year=YEAR, person=director, method=AwardMethod.THEMATIC)
    rec(code="BK_TINH", year=YEAR, unit=w.school, method=AwardMethod.SUDDEN)
    rec(code="BK_TINH", year=YEAR, unit=w.enterprise, method=AwardMethod.CAREER)
    rec(code="CSTDT", year=YEAR, person=teacher, method=AwardMethod.REGULAR)
    rec(code="CSTDT", year=YEAR, person=nobody, method=AwardMethod.SERVICE)
    rec(code="CTD_TINH", year=YEAR, unit=w.other, method=AwardMethod.REGULAR)
    rec(code="BK_TINH", year=YEAR, person=doctor, method=AwardMethod.FOREIGN)
    rec(code="BK_TINH", year=YEAR, person=doctor, method=AwardMethod.RESISTANCE, revoked_on=date(2025, 12, 30))
    rec(code="BK_TINH", year=YEAR - 1, person=teacher)  # another year
    rec(code="LDTT", year=YEAR, person=teacher)  # not in 0603
    rec(code="BK_TTG", year=YEAR, person=director)  # a central award recorded (0602)
    rec(code="CTD_CP", year=YEAR, unit=w.other)

    nom = factories.make_nomination
    nom(unit=w.unit, code="BK_TTG", status="approved", year=YEAR, person=teacher)
    nom(unit=w.unit, code="BK_TTG", status="approved", year=YEAR, nominee_unit=w.enterprise, is_enterprise=True)
    nom(unit=w.other, code="CSTDTQ", status="declined", year=YEAR, person=doctor)
    nom(unit=w.unit, code="BK_TTG", status="submitted", year=YEAR, person=director)  # not passed by the council
    nom(unit=w.unit, code="BK_TINH", status="approved", year=YEAR, person=director)  # province level: not 0602
    return w
