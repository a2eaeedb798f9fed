from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from thidua.awards.models import ProposalItem, UpwardProposal
from thidua.extensions import db
from thidua.reports import statistics
from thidua.reports.statistics import cell_rows, duration_band, fill

from .conftest import YEAR

END = date(YEAR, 12, 31)


@pytest.mark.parametrize(("starts_on", "ends_on", "band"), [
    (date(2025, 1, 1), date(2025, 12, 30), "under_1"),
    (date(2025, 1, 1), date(2025, 12, 31), "1"),          # exactly one year
    (date(2025, 1, 1), date(2026, 1, 1), "1_3"),          # one day more
    (date(2023, 1, 1), date(2025, 12, 30), "1_3"),        # one day short of 3 years
    (date(2023, 1, 1), date(2025, 12, 31), "3_5"),        # exactly 3 years
    (date(2021, 1, 1), date(2025, 12, 30), "3_5"),
    (date(2021, 1, 1), date(2025, 12, 31), "5_plus"),     # exactly 5 years
    (date(2024, 2, 29), date(2025, 2, 28), "1"),          # from 29 February: a year ends on 28 February
    (date(2025, 1, 1), None, "1"),                        # open-ended: measured to 31/12 of the year
    (date(2023, 1, 1), None, "3_5"),
])
def test_duration_band_boundaries(starts_on, ends_on, band):
    assert duration_band(starts_on, ends_on, END) == band


def test_0601_counts_active_campaigns_by_scope_duration_method_and_level(dataset):
    form = fill("0601", YEAR)
    assert form.value("total", "total") == 5  # the draft and the one over in 2024 do not count
    assert [form.value(f"scope:{s}", "total") for s in ("nationwide", "locality", "cluster", "unit")] == [1, 1, 1, 2]
    assert [form.value(f"duration:{b}", "total") for b, _ in statistics.DURATION_BANDS] == [1, 1, 1, 1, 1]
    assert form.value("method:thematic", "total") == 3
    assert form.value("method:regular", "total") == 2
    assert [form.value("total", f"level:{lv}") for lv in ("central", "province", "unit")] == [1, 2, 2]
    assert form.value("scope:unit", "level:unit") == 2


def test_0601_for_a_unit_counts_campaigns_launched_in_its_subtree_only(dataset):
    form = fill("0601", YEAR, dataset.unit)
    assert form.value("total", "total") == 2  # its own and its school's; not the province's nor Sở Y tế's
    assert {c.name for c in cell_rows("0601", "total", "total", YEAR, dataset.unit)} == {
        c.name for c in cell_rows("0601", "scope:unit", "total", YEAR)}


def test_0603_counts_province_awards_by_form_subject_and_method(dataset):
    form = fill("0603", YEAR)
    assert form.value("total", "total") == 8  # revoked, 2024 and LĐTT records excluded
    assert [form.value("total", c) for c in ("bk", "cstd", "ctd", "knc")] == [5, 2, 1, 0]
    assert form.value("collective", "total") == 3
    assert form.value("enterprise", "total") == 1
    assert form.value("household", "total") == 0
    assert form.value("individual", "total") == 5
    assert form.value("subject:direct_worker", "total") == 3
    assert form.value("subject:leader_department", "bk") == 1
    assert form.value("subject:none", "cstd") == 1
    methods = {m: form.value(f"method:{m}", "total") for m in
               ("regular", "thematic", "sudden", "foreign", "career", "service", "resistance")}
    assert methods == {"regular": 3, "thematic": 1, "sudden": 1, "foreign": 1, "career": 1, "service": 1,
                       "resistance": 0}


def test_0603_for_a_unit_counts_its_subtree_only(dataset):
    form = fill("0603", YEAR, dataset.unit)
    assert form.value("total", "total") == 6
    names = {e.name for e in cell_rows("0603", "total", "total", YEAR, dataset.unit)}
    assert "Sở Y tế" not in names and "Trường THPT chuyên Lam Sơn" in names


def test_0602_counts_dossiers_passed_upward_and_recorded_central_awards(dataset):
    form = fill("0602", YEAR)
    assert form.value("total", "total") == 5  # the dossier still "submitted" and the BK_TINH one do not count
    assert form.value("total", "bk_ttg:individual") == 2
    assert form.value("total", "bk_ttg:collective") == 1
    assert form.value("enterprise", "bk_ttg:collective") == 1
    assert form.value("total", "cstdtq:individual") == 1
    assert form.value("total", "ctd_cp:collective") == 1
    assert fill("0602", YEAR, dataset.unit).value("total", "total") == 3


def test_0602_does_not_count_a_proposed_dossier_twice_when_its_award_is_recorded(world):
    teacher = factories.make_person(unit=world.school)
    nomination = factories.make_nomination(unit=world.unit, code="BK_TTG", status="awarded", year=YEAR, person=teacher)
    record = factories.make_award_record(code="BK_TTG", year=YEAR, person=teacher)
    proposal = UpwardProposal(issuer_unit=world.province, award_type=nomination.award_type, year=YEAR,
                              title="Đề nghị tặng Bằng khen của Thủ tướng Chính phủ")
    proposal.items.append(ProposalItem(nomination=nomination, position=1, award_record=record))
    db.session.add(proposal)
    db.session.flush()
    rows = cell_rows("0602", "total", "total", YEAR)
    assert [e.source for e in rows] == [nomination]


def test_state_columns_map_codes_the_catalogue_may_add_later():
    assert statistics.state_group("HUAN_CHUONG_LD3").key == "orders"
    assert statistics.state_group("HUY_CHUONG_CCCB").key == "medals"
    assert statistics.state_group("BK_TTG").key == "bk_ttg"
    assert statistics.state_group("SOMETHING_NEW").key == "other"


@pytest.mark.parametrize("code", statistics.FORM_CODES)
@pytest.mark.parametrize("scoped", [False, True])
def test_totals_equal_the_sum_of_their_parts(dataset, code, scoped):
    form = fill(code, YEAR, dataset.unit if scoped else None)
    for row in form.data_rows:
        for col in form.columns:
            if col.parts:
                assert form.value(row.key, col.key) == sum(form.value(row.key, p) for p in col.parts)
            if row.parts:
                assert form.value(row.key, col.key) == sum(form.value(p, col.key) for p in row.parts)
    # every section of rows adds up to the total
    sections = {"0601": ("scope:", "duration:", "method:"), "0602": (), "0603": ("method:",)}[code]
    for prefix in sections:
        for col in form.columns:
            assert form.value("total", col.key) == sum(form.value(r.key, col.key) for r in form.data_rows
                                                       if r.key.startswith(prefix))


@pytest.mark.parametrize("code", statistics.FORM_CODES)
def test_each_cell_lists_exactly_the_rows_it_counts(dataset, code):
    form = fill(code, YEAR)
    nonzero = 0
    for row in form.data_rows:
        for col in form.columns:
            rows = cell_rows(code, row.key, col.key, YEAR)
            assert len(rows) == form.value(row.key, col.key), (row.key, col.key)
            nonzero += bool(rows)
    assert nonzero > 10
