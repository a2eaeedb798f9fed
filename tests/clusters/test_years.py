from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.clusters import years
from thidua.clusters.models import ClusterMembership, ClusterYearStatus, CriterionKind
from thidua.clusters.years import YearError

from ..factories import make_cluster, make_cluster_year, make_unit


def test_create_year_copies_last_years_criteria_tree(db):
    old = make_cluster_year(year=2024)
    cy = years.create_year(old.cluster, year=2025, vote_threshold="0,6", flag_count=1, bk_count=2)
    assert [(c.code, c.kind, c.max_points) for c in years.tree_order(cy.criteria)] == \
        [(c.code, c.kind, c.max_points) for c in years.tree_order(old.criteria)]
    copied = {c.code: c for c in cy.criteria}
    assert copied["1"].parent is copied["I"] and copied["1"].id != {c.code: c for c in old.criteria}["1"].id
    assert cy.vote_threshold == Decimal("0.6") and cy.status == ClusterYearStatus.SETUP


def test_create_year_twice_is_refused(db):
    cy = make_cluster_year(year=2025)
    with pytest.raises(YearError, match="đã có năm 2025") as exc:
        years.create_year(cy.cluster, year=2025)
    assert exc.value.field == "year"


def test_create_year_with_threshold_over_one_is_refused(db):
    with pytest.raises(YearError, match="không quá 1") as exc:
        years.create_year(make_cluster(), year=2025, vote_threshold="1,5")
    assert exc.value.field == "vote_threshold"


def test_members_of_year_are_memberships_active_in_that_year(db):
    a, b, c = make_unit(name="A"), make_unit(name="B"), make_unit(name="C")
    cluster = make_cluster(units=[a])
    cluster.memberships += [ClusterMembership(unit=b, joined_on=date(2026, 1, 1)),
                            ClusterMembership(unit=c, left_on=date(2024, 12, 31))]
    cy = make_cluster_year(cluster=cluster, year=2025)
    assert years.members(cy) == [a]


def test_set_officers_with_non_member_head_is_refused(db):
    cy = make_cluster_year()
    with pytest.raises(YearError, match="thành viên") as exc:
        years.set_officers(cy, head_unit_id=make_unit().id, deputy_unit_id=None, assignment_decision=None, assigned_on=None)
    assert exc.value.field == "head_unit_id"


def test_set_officers_same_unit_as_head_and_deputy_is_refused(db):
    cy = make_cluster_year()
    unit = years.members(cy)[0]
    with pytest.raises(YearError, match="hai đơn vị khác nhau"):
        years.set_officers(cy, head_unit_id=unit.id, deputy_unit_id=unit.id, assignment_decision=None, assigned_on=None)


def test_rotation_lists_earlier_years_heads_newest_first(db):
    first = make_cluster_year(year=2023)
    a, b, _ = years.members(first)
    first.head_unit = a
    make_cluster_year(cluster=first.cluster, year=2024, head=b)
    cy = make_cluster_year(cluster=first.cluster, year=2025)
    assert [(y.year, y.head_unit) for y in years.rotation(cy)] == [(2024, b), (2023, a)]


def test_save_commitment_records_signature_and_shows_who_has_not_signed(db):
    cy = make_cluster_year(status="covenant")
    a, b, c = years.members(cy)
    years.save_commitment(cy, a, targets="Tăng trưởng 8%", signatory_name="Lê Văn Hùng", signatory_title="Chủ tịch",
                          signed_on=date(2025, 2, 10))
    years.save_commitment(cy, b, targets="Giảm nghèo 1,5%", signatory_name=None, signatory_title=None, signed_on=None)
    assert [(r.unit, r.signed) for r in years.covenant_rows(cy)] == [(a, True), (b, False), (c, False)]


def test_save_commitment_signed_date_without_signatory_is_refused(db):
    cy = make_cluster_year(status="covenant")
    with pytest.raises(YearError) as exc:
        years.save_commitment(cy, years.members(cy)[0], targets="Chỉ tiêu", signatory_name="", signatory_title=None,
                              signed_on=date(2025, 2, 10))
    assert exc.value.field == "signatory_name"


def test_add_criterion_after_scoring_started_is_refused(db):
    cy = make_cluster_year(status="scoring")
    with pytest.raises(YearError, match="trước khi bắt đầu chấm điểm"):
        years.add_criterion(cy, code="5", label="Tiêu chí mới", kind="normal", max_points="10", step="1")


def test_add_criterion_off_its_step_is_refused_and_summary_warns_unless_100(db):
    cy = make_cluster_year(criteria=[("I", "Nhóm", "group", 0, 1)])
    group = cy.criteria[0]
    with pytest.raises(YearError, match="bội số") as exc:
        years.add_criterion(cy, parent_id=group.id, code="1", label="Tiêu chí", kind="normal", max_points="10,3", step="0,5")
    assert exc.value.field == "max_points"
    years.add_criterion(cy, parent_id=group.id, code="1", label="Tiêu chí", kind="normal", max_points="90", step="0,5")
    years.add_criterion(cy, code="T", label="Thưởng", kind="bonus", max_points="5", step="0,5")
    s = years.summary(cy)
    assert (s.normal_total, s.bonus_limit, s.complete) == (Decimal("90"), Decimal("5"), False)


def test_delete_group_removes_its_criteria(db):
    cy = make_cluster_year()
    years.delete_criterion(next(c for c in cy.criteria if c.code == "I"))
    assert sorted(c.code for c in cy.criteria) == ["3", "4", "II", "T", "Tr"]


def test_transition_to_scoring_with_unsigned_covenant_is_refused(db):
    cy = make_cluster_year(status="covenant")
    with pytest.raises(YearError, match="Chưa ký giao ước"):
        years.transition(cy, "scoring")
    assert cy.status == ClusterYearStatus.COVENANT


def test_transition_steps_are_audited_with_their_label(db):
    cy = make_cluster_year(status="covenant", signed=True)
    years.transition(cy, "scoring")
    db.session.flush()
    assert cy.status == ClusterYearStatus.SCORING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "cluster_year.scoring")) == 1


def test_transition_from_wrong_status_is_refused(db):
    cy = make_cluster_year(status="setup")
    with pytest.raises(YearError, match="Không thể chuyển thẩm định"):
        years.transition(cy, "review")


def test_criterion_kinds_of_default_factory_table(db):
    cy = make_cluster_year()
    assert years.summary(cy).complete and {c.kind for c in cy.criteria} == set(CriterionKind)
