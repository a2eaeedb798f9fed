"""The eligibility engine, check by check, at and around each boundary (domain.md §1d)."""

from datetime import date

import pytest
import sqlalchemy as sa

from thidua.extensions import db as _db
from thidua.registry.models import AwardRecord, DisciplineRecord, NomineeKind, Person
from thidua.rules.eligibility import (
    CHECKS,
    MIN_YEARS,
    Outcome,
    UnknownCheck,
    check_problem,
    describe,
    evaluate,
    evaluate_nomination,
    summary,
)

from ..factories import (
    award_type,
    make_award_record,
    make_evaluation,
    make_initiative,
    make_nomination,
    make_person,
    make_succession,
    make_unit,
)

YEAR = 2025
TODAY = date(2026, 1, 15)


def result(code: str, check: str, **kw):
    """The result of one check of award `code` (today fixed after the year under review)."""
    kw.setdefault("year", YEAR)
    kw.setdefault("today", TODAY)
    found = [r for r in evaluate(award_type(code), **kw) if r.code == check]
    assert len(found) == 1, f"{check} not evaluated"
    return found[0]


def titles(person, code: str, *years: int):
    for y in years:
        make_award_record(code=code, year=y, person=person)


def discipline(person, starts_on: date, ends_on: date | None, level: str = "Khiển trách"):
    record = DisciplineRecord(person_id=person.id, level=level, starts_on=starts_on, ends_on=ends_on)
    _db.session.add(record)
    _db.session.flush()
    return record


def members(unit, count: int, *, ldtt: int = 0, code: str = "LDTT") -> list[Person]:
    """`count` people of `unit`, the first `ldtt` of them holding `code` in YEAR (one flush)."""
    people = [Person(full_name=f"Thành viên {i}", unit=unit) for i in range(count)]
    _db.session.add_all(people)
    _db.session.flush()
    _db.session.add_all(AwardRecord(nominee_kind=NomineeKind.INDIVIDUAL, person=p, award_code=code,
                                    award_name=code, year=YEAR) for p in people[:ldtt])
    _db.session.flush()
    return people


@pytest.fixture
def person(db, unit):
    return make_person(full_name="Lê Thị Hoa", unit=unit, hired_on=date(2015, 9, 1))


# --- evaluation_at_least_good -----------------------------------------------------------------------

@pytest.mark.parametrize(("rating", "outcome"), [
    ("excellent", Outcome.PASS), ("good", Outcome.PASS), ("completed", Outcome.FAIL), ("not_completed", Outcome.FAIL),
])
def test_evaluation_at_least_good_follows_the_rating_scale(person, rating, outcome):
    make_evaluation(year=YEAR, rating=rating, person=person)
    assert result("LDTT", "evaluation_at_least_good", person=person).outcome == outcome


def test_evaluation_at_least_good_without_evaluation_is_unknown_and_says_what_to_add(person):
    make_evaluation(year=YEAR - 1, rating="excellent", person=person)
    r = result("LDTT", "evaluation_at_least_good", person=person)
    assert r.outcome == Outcome.UNKNOWN
    assert "Chưa có kết quả đánh giá năm 2025 trong sổ" in r.reason
    assert r.legal_ref == "Điều 24 Luật Thi đua, khen thưởng 2022"


# --- tenure_6_months --------------------------------------------------------------------------------

@pytest.mark.parametrize(("hired", "outcome"), [
    (date(2025, 7, 1), Outcome.PASS), (date(2025, 7, 2), Outcome.FAIL), (date(2024, 12, 31), Outcome.PASS),
])
def test_tenure_6_months_boundary_is_first_of_july(db, unit, hired, outcome):
    person = make_person(unit=unit, hired_on=hired)
    r = result("LDTT", "tenure_6_months", person=person)
    assert r.outcome == outcome
    assert hired.strftime("%d/%m/%Y") in r.reason


def test_tenure_6_months_without_hire_date_is_unknown(db, unit):
    r = result("LDTT", "tenure_6_months", person=make_person(unit=unit))
    assert r.outcome == Outcome.UNKNOWN and "ngày tuyển dụng" in r.reason


# --- no_pending_discipline -------------------------------------------------------------------------

def test_no_pending_discipline_without_records_passes(person):
    assert result("LDTT", "no_pending_discipline", person=person).outcome == Outcome.PASS


def test_no_pending_discipline_with_open_process_fails(person):
    discipline(person, date(2025, 11, 1), None, "Đang thanh tra")
    r = result("LDTT", "no_pending_discipline", person=person)
    assert r.outcome == Outcome.FAIL and "Đang thanh tra" in r.reason


@pytest.mark.parametrize(("ends_on", "outcome"), [(TODAY, Outcome.FAIL), (date(2026, 1, 14), Outcome.FAIL)])
def test_no_pending_discipline_ending_on_proposal_day_still_covers_it(person, ends_on, outcome):
    # Ends today: still running. Ends yesterday but began in the year under review: that year is lost.
    discipline(person, date(2025, 12, 1), ends_on)
    assert result("LDTT", "no_pending_discipline", person=person).outcome == outcome


def test_no_pending_discipline_with_period_inside_the_year_fails(person):
    discipline(person, date(2025, 2, 1), date(2025, 3, 1))
    r = result("LDTT", "no_pending_discipline", person=person)
    assert r.outcome == Outcome.FAIL
    assert "02/03/2025" in r.reason  # achievements count from the day after the end


def test_no_pending_discipline_ended_before_the_year_passes_and_says_from_when(person):
    discipline(person, date(2024, 1, 10), date(2024, 12, 31))
    r = result("LDTT", "no_pending_discipline", person=person)
    assert r.outcome == Outcome.PASS and "01/01/2025" in r.reason


def test_discipline_ended_mid_year_stops_that_year_counting_towards_consecutive_titles(person):
    titles(person, "CSTDCS", 2023, 2024, 2025)
    discipline(person, date(2023, 1, 1), date(2023, 6, 30))
    r = result("CSTDT", "three_consecutive_cstdcs", person=person)
    assert r.outcome == Outcome.FAIL
    assert "Năm 2023 không được tính" in r.reason and "01/07/2023" in r.reason


# --- not_awarded_same_year -------------------------------------------------------------------------

def test_not_awarded_same_year_with_record_that_year_fails(person):
    titles(person, "LDTT", YEAR)
    r = result("LDTT", "not_awarded_same_year", person=person)
    assert r.outcome == Outcome.FAIL and "2025" in r.reason


def test_not_awarded_same_year_with_record_the_year_before_passes(person):
    titles(person, "LDTT", YEAR - 1)
    assert result("LDTT", "not_awarded_same_year", person=person).outcome == Outcome.PASS


def test_not_awarded_same_year_with_another_live_dossier_fails_and_names_it(person, unit, province):
    other = make_nomination(unit=province, code="LDTT", person=person, year=YEAR, status="submitted")
    r = result("LDTT", "not_awarded_same_year", person=person)
    assert r.outcome == Outcome.FAIL
    assert f"hồ sơ số {other.id}" in r.reason and "UBND tỉnh Thanh Hóa" in r.reason


def test_not_awarded_same_year_ignores_withdrawn_dossier_and_other_years(person, province):
    make_nomination(unit=province, code="LDTT", person=person, year=YEAR, status="withdrawn")
    make_nomination(unit=province, code="LDTT", person=person, year=YEAR - 1, status="submitted")
    assert result("LDTT", "not_awarded_same_year", person=person).outcome == Outcome.PASS


def test_evaluate_nomination_does_not_count_the_dossier_itself_as_a_duplicate(person, unit):
    nomination = make_nomination(unit=unit, code="LDTT", person=person, year=YEAR, status="submitted")
    results = {r.code: r for r in evaluate_nomination(nomination, today=TODAY)}
    assert results["not_awarded_same_year"].outcome == Outcome.PASS


# --- ldtt_same_year -----------------------------------------------------------------------------------

def test_ldtt_same_year_with_record_passes(person):
    titles(person, "LDTT", YEAR)
    assert result("CSTDCS", "ldtt_same_year", person=person).outcome == Outcome.PASS


def test_ldtt_same_year_with_only_previous_year_fails(person):
    titles(person, "LDTT", YEAR - 1)
    r = result("CSTDCS", "ldtt_same_year", person=person)
    assert r.outcome == Outcome.FAIL and "Chưa có LĐTT năm 2025 trong sổ" in r.reason


def test_ldtt_same_year_with_live_ldtt_dossier_is_unknown_until_decided(person, unit):
    make_nomination(unit=unit, code="LDTT", person=person, year=YEAR, status="accepted")
    r = result("CSTDCS", "ldtt_same_year", person=person)
    assert r.outcome == Outcome.UNKNOWN and "chờ quyết định" in r.reason


# --- excellent_or_initiative ---------------------------------------------------------------------------

def test_excellent_or_initiative_with_excellent_rating_passes(person):
    make_evaluation(year=YEAR, rating="excellent", person=person)
    assert result("CSTDCS", "excellent_or_initiative", person=person).outcome == Outcome.PASS


def test_excellent_or_initiative_with_good_rating_and_initiative_that_year_passes(person):
    make_evaluation(year=YEAR, rating="good", person=person)
    make_initiative(person=person, level="unit", recognised_on=date(YEAR, 12, 31), title="Số hóa sổ vàng")
    r = result("CSTDCS", "excellent_or_initiative", person=person)
    assert r.outcome == Outcome.PASS and "Số hóa sổ vàng" in r.reason


def test_excellent_or_initiative_with_initiative_of_previous_year_fails(person):
    make_evaluation(year=YEAR, rating="good", person=person)
    make_initiative(person=person, level="province", recognised_on=date(YEAR - 1, 12, 31))
    assert result("CSTDCS", "excellent_or_initiative", person=person).outcome == Outcome.FAIL


def test_excellent_or_initiative_with_initiative_already_used_fails(person):
    make_evaluation(year=YEAR, rating="good", person=person)
    earlier = make_award_record(code="GK_SO", year=YEAR, person=person)
    make_initiative(person=person, recognised_on=date(YEAR, 3, 1), used_by_award_id=earlier.id)
    r = result("CSTDCS", "excellent_or_initiative", person=person)
    assert r.outcome == Outcome.FAIL and "đã được dùng để khen thưởng" in r.reason


def test_excellent_or_initiative_without_rating_or_initiative_is_unknown(person):
    assert result("CSTDCS", "excellent_or_initiative", person=person).outcome == Outcome.UNKNOWN


# --- three_consecutive_cstdcs ----------------------------------------------------------------------------

@pytest.mark.parametrize(("years", "outcome"), [
    ((2023, 2024, 2025), Outcome.PASS),
    ((2022, 2024, 2025), Outcome.FAIL),  # a gap year
    ((2024, 2025), Outcome.FAIL),  # two of three
    ((2022, 2023, 2024), Outcome.FAIL),  # three, but not ending in the proposal year
])
def test_three_consecutive_cstdcs(person, years, outcome):
    titles(person, "CSTDCS", *years)
    assert result("CSTDT", "three_consecutive_cstdcs", person=person).outcome == outcome


def test_three_consecutive_cstdcs_names_the_missing_year(person):
    titles(person, "CSTDCS", 2023, 2025)
    r = result("CSTDT", "three_consecutive_cstdcs", person=person)
    assert "Thiếu CSTĐCS năm 2024" in r.reason and "có: 2023, 2025" in r.reason


def test_three_consecutive_cstdcs_with_third_year_pending_is_unknown(person, unit):
    titles(person, "CSTDCS", 2023, 2024)
    make_nomination(unit=unit, code="CSTDCS", person=person, year=2025, status="submitted")
    assert result("CSTDT", "three_consecutive_cstdcs", person=person).outcome == Outcome.UNKNOWN


# --- initiative_province / initiative_national ----------------------------------------------------------

@pytest.mark.parametrize(("level", "recognised_on", "outcome"), [
    ("province", date(2023, 1, 1), Outcome.PASS),  # first day of the counting period year-2..year
    ("province", date(2022, 12, 31), Outcome.FAIL),  # just before it
    ("national", date(2025, 6, 1), Outcome.PASS),  # a higher level also counts
    ("unit", date(2025, 6, 1), Outcome.FAIL),
])
def test_initiative_province_level_and_counting_period(person, level, recognised_on, outcome):
    make_initiative(person=person, level=level, recognised_on=recognised_on)
    assert result("CSTDT", "initiative_province", person=person).outcome == outcome


def test_initiative_province_already_used_for_an_award_does_not_count(person):
    used = make_award_record(code="BK_TINH", year=2024, person=person)
    make_initiative(person=person, level="province", recognised_on=date(2024, 5, 1), used_by_award_id=used.id)
    r = result("CSTDT", "initiative_province", person=person)
    assert r.outcome == Outcome.FAIL and "Đã loại 1 sáng kiến đã dùng" in r.reason


def test_initiative_province_used_by_this_very_award_still_counts(person):
    own = make_award_record(code="CSTDT", year=YEAR, person=person)
    make_initiative(person=person, level="province", recognised_on=date(2024, 5, 1), used_by_award_id=own.id)
    assert result("CSTDT", "initiative_province", person=person).outcome == Outcome.PASS


def test_initiative_province_without_recognition_date_is_unknown(person):
    initiative = make_initiative(person=person, level="province")
    initiative.recognised_on = None
    _db.session.flush()
    assert result("CSTDT", "initiative_province", person=person).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize(("level", "outcome"), [("national", Outcome.PASS), ("province", Outcome.FAIL)])
def test_initiative_national_needs_nationwide_recognition(person, level, outcome):
    make_initiative(person=person, level=level, recognised_on=date(2024, 5, 1))
    assert result("CSTDTQ", "initiative_national", person=person).outcome == outcome


def test_evaluate_nomination_marks_initiatives_attached_to_the_dossier(person, unit):
    initiative = make_initiative(person=person, level="province", recognised_on=date(2024, 5, 1), title="Bản đồ số")
    nomination = make_nomination(unit=unit, code="CSTDT", person=person, year=YEAR)
    nomination.initiatives.append(initiative)
    _db.session.flush()
    r = next(r for r in evaluate_nomination(nomination, today=TODAY) if r.code == "initiative_province")
    assert r.outcome == Outcome.PASS and "Bản đồ số" in r.reason and "đã gắn vào hồ sơ" in r.reason


# --- two_consecutive_cstdt ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("years", "outcome"), [
    ((2022, 2025), Outcome.PASS), ((2021, 2025), Outcome.FAIL), ((2025,), Outcome.FAIL),
])
def test_two_consecutive_cstdt_each_covering_three_years(person, years, outcome):
    titles(person, "CSTDT", *years)
    assert result("CSTDTQ", "two_consecutive_cstdt", person=person).outcome == outcome


# --- bk_tinh_individual -------------------------------------------------------------------------------------

def test_bk_tinh_with_two_consecutive_cstdcs_passes(person):
    titles(person, "CSTDCS", 2024, 2025)
    assert result("BK_TINH", "bk_tinh_individual", person=person).outcome == Outcome.PASS


def test_bk_tinh_with_cstdcs_not_consecutive_and_no_other_route_fails(person):
    titles(person, "CSTDCS", 2023, 2025)
    make_evaluation(year=2024, rating="good", person=person)
    make_evaluation(year=2025, rating="excellent", person=person)
    assert result("BK_TINH", "bk_tinh_individual", person=person).outcome == Outcome.FAIL


def test_bk_tinh_with_two_excellent_years_and_two_unused_initiatives_passes(person):
    for y in (2024, 2025):
        make_evaluation(year=y, rating="excellent", person=person)
        make_initiative(person=person, level="unit", recognised_on=date(y, 6, 1))
    assert result("BK_TINH", "bk_tinh_individual", person=person).outcome == Outcome.PASS


def test_bk_tinh_initiative_that_earned_a_cstdcs_is_not_counted_again(person):
    cstdcs = make_award_record(code="CSTDCS", year=2024, person=person)
    for y in (2024, 2025):
        make_evaluation(year=y, rating="excellent", person=person)
    make_initiative(person=person, recognised_on=date(2024, 6, 1), used_by_award_id=cstdcs.id)
    make_initiative(person=person, recognised_on=date(2025, 6, 1))
    r = result("BK_TINH", "bk_tinh_individual", person=person)
    assert r.outcome == Outcome.FAIL and "đã loại 1 sáng kiến đã dùng" in r.reason


def test_bk_tinh_with_one_good_year_fails_even_with_initiatives(person):
    make_evaluation(year=2024, rating="good", person=person)
    make_evaluation(year=2025, rating="excellent", person=person)
    for y in (2024, 2025):
        make_initiative(person=person, recognised_on=date(y, 6, 1))
    assert result("BK_TINH", "bk_tinh_individual", person=person).outcome == Outcome.FAIL


def test_bk_tinh_with_missing_rating_but_two_initiatives_is_unknown(person):
    make_evaluation(year=2025, rating="excellent", person=person)
    for y in (2024, 2025):
        make_initiative(person=person, recognised_on=date(y, 6, 1))
    assert result("BK_TINH", "bk_tinh_individual", person=person).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize(("ratings", "outcome"), [
    ({2024: "excellent", 2025: "excellent"}, Outcome.PASS),
    ({2024: "good", 2025: "excellent"}, Outcome.FAIL),
    ({2025: "excellent"}, Outcome.UNKNOWN),
])
def test_bk_tinh_for_a_collective_needs_two_excellent_years(unit, ratings, outcome):
    for y, rating in ratings.items():
        make_evaluation(year=y, rating=rating, unit=unit)
    assert result("BK_TINH", "bk_tinh_individual", unit=unit).outcome == outcome


# --- members of a collective ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "holders", "outcome"), [
    (100, 50, Outcome.FAIL),  # exactly half is not "more than half"
    (100, 51, Outcome.PASS),
    (3, 2, Outcome.PASS),
])
def test_members_ldtt_over_half(unit, total, holders, outcome):
    members(unit, total, ldtt=holders)
    r = result("TTLDTT", "members_ldtt_over_half", unit=unit)
    assert r.outcome == outcome
    assert f"{holders}/{total} thành viên" in r.reason


@pytest.mark.parametrize(("total", "holders", "outcome"), [
    (10, 7, Outcome.PASS),  # exactly 70% is enough
    (10, 6, Outcome.FAIL),
    (100, 69, Outcome.FAIL),
])
def test_members_ldtt_70(unit, total, holders, outcome):
    members(unit, total, ldtt=holders)
    assert result("TTLDXS", "members_ldtt_70", unit=unit).outcome == outcome


def test_members_ldtt_over_half_fail_says_how_many_are_needed(unit):
    members(unit, 10, ldtt=5)
    r = result("TTLDTT", "members_ldtt_over_half", unit=unit)
    assert "5/10 thành viên (50%)" in r.reason and "cần ít nhất 6 người" in r.reason


def test_members_ldtt_with_pending_dossiers_that_would_reach_the_share_is_unknown(unit):
    people = members(unit, 4, ldtt=2)
    make_nomination(unit=unit, code="LDTT", person=people[3], year=YEAR, status="submitted")
    assert result("TTLDTT", "members_ldtt_over_half", unit=unit).outcome == Outcome.UNKNOWN


def test_members_checks_without_members_are_unknown(unit):
    r = result("TTLDTT", "members_ldtt_over_half", unit=unit)
    assert r.outcome == Outcome.UNKNOWN and "danh sách thành viên" in r.reason


def test_members_of_a_sub_unit_are_not_members_of_the_collective(unit):
    school = unit.children[0]
    members(school, 3, ldtt=3)
    members(unit, 2, ldtt=0)
    assert result("TTLDTT", "members_ldtt_over_half", unit=unit).outcome == Outcome.FAIL


def test_members_all_completed_passes_fails_and_waits_for_missing_ratings(unit):
    a, b, c = members(unit, 3)
    make_evaluation(year=YEAR, rating="completed", person=a)
    make_evaluation(year=YEAR, rating="excellent", person=b)
    assert result("TTLDXS", "members_all_completed", unit=unit).outcome == Outcome.UNKNOWN
    evaluation = make_evaluation(year=YEAR, rating="good", person=c)
    assert result("TTLDXS", "members_all_completed", unit=unit).outcome == Outcome.PASS
    evaluation.rating = evaluation.rating.__class__("not_completed")
    _db.session.flush()
    r = result("TTLDXS", "members_all_completed", unit=unit)
    assert r.outcome == Outcome.FAIL and c.full_name in r.reason


def test_member_cstdcs_with_one_member_passes_and_with_none_fails(unit):
    members(unit, 5, ldtt=5)
    assert result("TTLDXS", "member_cstdcs", unit=unit).outcome == Outcome.FAIL
    members(unit, 1, ldtt=1, code="CSTDCS")
    assert result("TTLDXS", "member_cstdcs", unit=unit).outcome == Outcome.PASS


@pytest.mark.parametrize(("rating", "outcome"), [("excellent", Outcome.PASS), ("good", Outcome.FAIL),
                                                  (None, Outcome.UNKNOWN)])
def test_collective_excellent(unit, rating, outcome):
    if rating:
        make_evaluation(year=YEAR, rating=rating, unit=unit)
    assert result("TTLDXS", "collective_excellent", unit=unit).outcome == outcome


# --- prerequisites -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("years", "outcome"), [((2020,), Outcome.PASS), ((2025,), Outcome.FAIL), ((), Outcome.FAIL)])
def test_prior_bk_tinh_must_come_before_the_proposal_year(person, years, outcome):
    titles(person, "BK_TINH", *years)
    r = result("BK_TTG", "prior:BK_TINH", person=person)
    assert r.outcome == outcome
    assert r.label == "Đã được tặng “Bằng khen của Chủ tịch UBND tỉnh” trước năm đề nghị"


@pytest.mark.parametrize(("year", "outcome"), [(2025, Outcome.PASS), (2024, Outcome.FAIL)])
def test_prior_same_year_flag_must_be_the_same_year(unit, year, outcome):
    make_award_record(code="CTD_TINH", year=year, unit=unit)
    assert result("CTD_CP", "prior_same_year:CTD_TINH", unit=unit).outcome == outcome


# --- lineage across the 2025 mergers -------------------------------------------------------------------------

@pytest.fixture
def merged_ward(db, province):
    """Phường Hạc Thành (2025) took in Trường Thi, which itself had taken in Điện Biên earlier."""
    dien_bien = make_unit(code="OLD.DB", name="Phường Điện Biên", kind="ward", parent=province,
                          valid_to=date(2020, 12, 31))
    truong_thi = make_unit(code="OLD.TT", name="Phường Trường Thi", kind="ward", parent=province,
                           valid_to=date(2025, 6, 30))
    hac_thanh = make_unit(code="38.HT", name="Phường Hạc Thành", kind="ward", parent=province,
                          valid_from=date(2025, 7, 1))
    make_succession(dien_bien, truong_thi)
    make_succession(truong_thi, hac_thanh)
    return hac_thanh, truong_thi, dien_bien


def test_collective_history_counts_the_predecessors_evaluations(merged_ward):
    ward, truong_thi, _ = merged_ward
    make_evaluation(year=2024, rating="excellent", unit=truong_thi)
    make_evaluation(year=2025, rating="excellent", unit=ward)
    r = result("BK_TINH", "bk_tinh_individual", unit=ward)
    assert r.outcome == Outcome.PASS and "Phường Trường Thi" in r.reason


def test_collective_history_counts_awards_of_predecessors_of_predecessors(merged_ward):
    ward, _, dien_bien = merged_ward
    make_award_record(code="BK_TINH", year=2018, unit=dien_bien)
    r = result("BK_TTG", "prior:BK_TINH", unit=ward)
    assert r.outcome == Outcome.PASS and "Phường Điện Biên" in r.reason


def test_collective_history_ignores_unrelated_units(merged_ward, province):
    ward = merged_ward[0]
    make_award_record(code="BK_TINH", year=2018, unit=make_unit(code="38.X", name="Phường khác", parent=province))
    assert result("BK_TTG", "prior:BK_TINH", unit=ward).outcome == Outcome.FAIL


# --- min_years_between, unknown codes, the registry of checks --------------------------------------------

@pytest.mark.parametrize(("last", "outcome"), [(2020, Outcome.PASS), (2021, Outcome.FAIL)])
def test_min_years_between_counts_from_the_last_award_of_the_same_code(person, last, outcome):
    award_type("GK_SO").min_years_between = 5
    titles(person, "GK_SO", 2015, last)
    r = result("GK_SO", MIN_YEARS, person=person)
    assert r.outcome == outcome and str(last) in r.reason
    assert r.label == "Cách lần được tặng gần nhất ít nhất 5 năm"


def test_min_years_between_not_set_adds_no_check(person):
    assert all(r.code != MIN_YEARS for r in evaluate(award_type("GK_SO"), person=person, year=YEAR))


def test_unknown_stored_code_gives_unknown_instead_of_crashing(person):
    award_type("GK_XA").checks = ["not_awarded_same_year", "tu_choi"]
    results = evaluate(award_type("GK_XA"), person=person, year=YEAR)
    assert [r.outcome for r in results] == [Outcome.PASS, Outcome.UNKNOWN]
    assert "tu_choi" in results[1].reason


def test_describe_unknown_code_raises_a_vietnamese_error():
    with pytest.raises(UnknownCheck, match="không có trong bộ kiểm tra tự động"):
        describe("three_consecutive_cstdtq")
    with pytest.raises(UnknownCheck):
        describe("prior:")


def test_check_problem_refuses_a_collective_check_on_an_individual_title():
    problem = check_problem("members_ldtt_70", subjects=["individual"], award_codes=["LDTT"])
    assert problem is not None and "chỉ áp dụng cho tập thể" in problem
    assert check_problem("members_ldtt_70", subjects=["collective"], award_codes=[]) is None
    assert "KHONG_CO" in check_problem("prior:KHONG_CO", subjects=["individual"], award_codes=["LDTT"])


def test_every_check_has_a_vietnamese_label_and_a_legal_reference_or_uses_the_award_one():
    for check in CHECKS.values():
        assert check.label and any(ch in check.label for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỷỹý")
        assert check.legal_ref or check.parametric


def test_every_seeded_check_code_is_implemented(db):
    from thidua.rules.models import AwardType

    award_type("LDTT")  # seeds
    for at in _db.session.scalars(sa.select(AwardType)):
        for code in at.checks:
            describe(code)


def test_checks_that_do_not_apply_to_the_nominee_kind_are_left_out(unit):
    codes = [r.code for r in evaluate(award_type("BK_TINH"), unit=unit, year=YEAR)]
    assert codes == ["bk_tinh_individual", "not_awarded_same_year"]  # no personal discipline for a collective


def test_evaluate_needs_exactly_one_nominee(person, unit):
    with pytest.raises(ValueError):
        evaluate(award_type("LDTT"), person=person, unit=unit, year=YEAR)


def test_summary_is_fail_over_unknown_over_pass(person):
    results = evaluate(award_type("LDTT"), person=person, year=YEAR, today=TODAY)
    assert summary(results) == Outcome.UNKNOWN  # no evaluation yet
    make_evaluation(year=YEAR, rating="completed", person=person)
    assert summary(evaluate(award_type("LDTT"), person=person, year=YEAR, today=TODAY)) == Outcome.FAIL
    assert summary([]) == Outcome.PASS


# --- a fixed number of queries ----------------------------------------------------------------------------

def _queries(fn) -> int:
    count = 0

    def counter(*_args, **_kw):
        nonlocal count
        count += 1

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return count


@pytest.mark.parametrize("code", ["CSTDT", "BK_TINH", "CSTDCS"])
def test_evaluate_individual_reads_history_with_the_same_number_of_queries_however_long_it_is(db, unit, code):
    short, long = make_person(unit=unit), make_person(unit=unit)
    for person, first in ((short, 2023), (long, 2000)):
        for y in range(first, 2026):
            make_award_record(code="CSTDCS", year=y, person=person)
            make_evaluation(year=y, rating="excellent", person=person)
            make_initiative(person=person, level="province", recognised_on=date(y, 3, 1))
    award_type(code)
    few = _queries(lambda: evaluate(award_type(code), person=short, year=YEAR, today=TODAY))
    many = _queries(lambda: evaluate(award_type(code), person=long, year=YEAR, today=TODAY))
    assert many == few <= 8


def test_evaluate_collective_queries_do_not_grow_with_members(unit):
    award_type("TTLDXS")
    other = make_unit(code="38.K", name="Phòng khác", parent=unit)
    members(other, 2, ldtt=1)
    members(unit, 60, ldtt=50)
    few = _queries(lambda: evaluate(award_type("TTLDXS"), unit=other, year=YEAR, today=TODAY))
    many = _queries(lambda: evaluate(award_type("TTLDXS"), unit=unit, year=YEAR, today=TODAY))
    assert many == few <= 10
