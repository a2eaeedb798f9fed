"""Search of people and units: folding, filters, officer scope and the Vietnamese name order."""

from datetime import date

import pytest

from tests import factories
from thidua.registry import queries
from thidua.registry.queries import Filters, find_matches, search_people, search_units


def names(result) -> list[str]:
    return [p.full_name for p in result.page.items]


def search(q="", **kw):
    return names(search_people(Filters(q=q, **{k: v for k, v in kw.items() if k != "sort"}),
                               sort=kw.get("sort", "given")))


@pytest.fixture
def people(db, unit):
    school = unit.children[0]
    return {
        "an": factories.make_person(full_name="Nguyễn Văn An", unit=unit, birth_date=date(1980, 5, 1)),
        "dang": factories.make_person(full_name="Đặng Thị Hoa", unit=school),
        "binh": factories.make_person(full_name="Lê Văn Bình", unit=unit),
    }


@pytest.mark.parametrize("typed", ["nguyen van an", "NGUYEN", "Nguyễn Văn An", "an nguyen", "  nguyễn   văn  "])
def test_search_person_ignoring_diacritics_case_and_word_order_finds_them(people, typed):
    assert "Nguyễn Văn An" in search(typed)


def test_search_with_plain_d_finds_name_with_d_stroke(people):
    assert search("dang") == ["Đặng Thị Hoa"]


def test_search_name_not_in_registry_finds_nobody(people):
    assert search("tran") == []


def test_search_by_unit_includes_people_of_sub_units(people, unit):
    assert set(search(unit_id=unit.id)) == {"Nguyễn Văn An", "Đặng Thị Hoa", "Lê Văn Bình"}
    assert search(unit_id=unit.children[0].id) == ["Đặng Thị Hoa"]


def test_search_by_award_and_year_keeps_only_people_with_that_award(people):
    factories.make_award_record(code="LDTT", year=2023, person=people["an"])
    factories.make_award_record(code="CSTDCS", year=2024, person=people["binh"])
    assert search(award_code="LDTT") == ["Nguyễn Văn An"]
    assert search(year=2024) == ["Lê Văn Bình"]
    assert search(award_code="LDTT", year=2024) == []


def test_search_with_officer_scope_hides_people_of_other_units(people, province):
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    factories.make_person(full_name="Nguyễn Văn Ánh", unit=other)
    scope = {people["an"].unit_id, people["dang"].unit_id}
    assert search("nguyen") == ["Nguyễn Văn An", "Nguyễn Văn Ánh"]
    assert search("nguyen", scope=scope) == ["Nguyễn Văn An"]


def test_search_by_national_id_finds_the_person(people, unit):
    factories.make_person(full_name="Phạm Minh Tuấn", unit=unit, national_id="038080001234")
    assert search("038080001234") == ["Phạm Minh Tuấn"]


def test_sort_by_given_name_orders_the_vietnamese_way(db, unit):
    for name in ["Lê Văn Bình", "Trần Thị Âu", "Trần Thị Ánh", "Nguyễn Văn Anh", "Nguyễn Văn An",
                 "Hoàng Đức", "Phạm Duy", "Vũ Tiến Dũng"]:
        factories.make_person(full_name=name, unit=unit)
    # Tones only break ties between otherwise equal names (as ICU's Vietnamese collation does), so
    # "Ánh Thị Trần" comes before "Anh Văn Nguyễn"; â is a letter of its own, after a.
    assert search(unit_id=unit.id) == [
        "Nguyễn Văn An", "Trần Thị Ánh", "Nguyễn Văn Anh", "Trần Thị Âu", "Lê Văn Bình",
        "Vũ Tiến Dũng", "Phạm Duy", "Hoàng Đức",
    ]


def test_sort_by_family_name_orders_full_names_as_written(db, unit):
    for name in ["Lê Văn Bình", "Đặng Văn An", "Dương Thị Cúc"]:
        factories.make_person(full_name=name, unit=unit)
    assert search(unit_id=unit.id, sort="family") == ["Dương Thị Cúc", "Đặng Văn An", "Lê Văn Bình"]


def test_pages_follow_the_vietnamese_order_across_pages(db, unit):
    for name in ["Lê Văn Bình", "Trần Thị Ánh", "Nguyễn Văn An", "Hoàng Đức", "Phạm Duy"]:
        factories.make_person(full_name=name, unit=unit)
    filters = Filters(unit_id=unit.id)
    pages = [names(search_people(filters, page=n, per_page=2)) for n in (1, 2, 3)]
    assert pages == [["Nguyễn Văn An", "Trần Thị Ánh"], ["Lê Văn Bình", "Phạm Duy"], ["Hoàng Đức"]]
    assert search_people(filters, page=1, per_page=2).page.pages == 3


def test_large_result_falls_back_to_database_order_by_given_name(db, unit, monkeypatch):
    monkeypatch.setattr(queries, "SORT_LIMIT", 2)
    for name in ["Lê Văn Cường", "Trần Bình", "Nguyễn Thị Hồng An"]:
        factories.make_person(full_name=name, unit=unit)
    result = search_people(Filters(unit_id=unit.id))
    assert not result.exact_sort
    assert names(result) == ["Nguyễn Thị Hồng An", "Trần Bình", "Lê Văn Cường"]
    assert result.page.total == 3


def test_search_results_carry_recent_awards_newest_first(people):
    factories.make_award_record(code="LDTT", year=2022, person=people["an"])
    factories.make_award_record(code="CSTDCS", year=2024, person=people["an"])
    result = search_people(Filters(q="nguyen van an"))
    assert [a.year for a in result.awards[people["an"].id]] == [2024, 2022]


def test_search_units_ignoring_diacritics_or_by_code_finds_them(db, province):
    factories.make_unit(code="38.HACTHANH", name="Phường Hạc Thành", kind="ward", parent=province)
    assert [u.name for u in search_units(Filters(q="hac thanh")).items] == ["Phường Hạc Thành"]
    assert [u.name for u in search_units(Filters(q="38.hacthanh")).items] == ["Phường Hạc Thành"]


def test_search_units_by_award_and_year_lists_collectives_awarded(db, unit, province):
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    factories.make_award_record(code="TTLDXS", year=2024, unit=other)
    assert [u.name for u in search_units(Filters(award_code="TTLDXS", year=2024)).items] == ["Sở Y tế"]


def test_find_matches_same_folded_name_birth_date_and_unit_finds_person(people, unit):
    an = people["an"]
    assert find_matches("NGUYEN VAN AN", date(1980, 5, 1), unit.id) == [an]
    assert find_matches("Nguyễn Văn An", date(1980, 5, 2), unit.id) == []
    assert find_matches("Nguyễn Văn An", date(1980, 5, 1), unit.children[0].id) == []
    assert find_matches("Nguyễn Văn An", None, unit.id) == []
    assert find_matches("Lê Văn Bình", None, unit.id) == [people["binh"]]
