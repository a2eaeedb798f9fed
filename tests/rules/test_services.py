"""Catalogue changes: editing a version, adding a version, legal bases, quota rules."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.rules import services
from thidua.rules.models import AwardType, LegalBasis, QuotaRule, VoteBasis
from thidua.rules.services import CatalogueError

from ..factories import award_type


def _entries(db, obj) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == obj.__tablename__,
                                                                 AuditEntry.object_id == str(obj.id))
                                   .order_by(AuditEntry.id)))


def _versions(code: str) -> list[AwardType]:
    return services.versions_of(code)


# --- editing a version ---------------------------------------------------------------------------------

def test_update_award_type_saves_fields_and_is_audited(db):
    ldtt = award_type("LDTT")
    services.update_award_type(ldtt, name="Lao động tiên tiến (sửa)", coefficient=Decimal("0.35"),
                               min_years_between=2, checks=["evaluation_at_least_good", "tenure_6_months"])
    db.session.commit()
    assert (ldtt.name, ldtt.coefficient, ldtt.min_years_between) == ("Lao động tiên tiến (sửa)", Decimal("0.35"), 2)
    assert ldtt.checks == ["evaluation_at_least_good", "tenure_6_months"]
    entry = _entries(db, ldtt)[-1]
    assert entry.action == "award_type.update"
    assert entry.changes["coefficient"] == ["0.30", "0.35"]


def test_update_award_type_keeps_stored_order_of_unchanged_checks(db):
    cstdcs = award_type("CSTDCS")
    before = list(cstdcs.checks)
    services.update_award_type(cstdcs, checks=sorted(before))
    assert cstdcs.checks == before


def test_update_award_type_appends_new_checks_after_the_stored_ones(db):
    ldtt = award_type("LDTT")
    services.update_award_type(ldtt, checks=["prior:GK_SO", *reversed(ldtt.checks)])
    assert ldtt.checks[-1] == "prior:GK_SO" and ldtt.checks[0] == "evaluation_at_least_good"


@pytest.mark.parametrize(("checks", "message"), [
    (["ba_nam_lien_tuc"], "không có trong bộ kiểm tra tự động"),
    (["members_ldtt_70"], "chỉ áp dụng cho tập thể"),
    (["prior:KHONG_CO"], "không có trong danh mục"),
])
def test_update_award_type_with_bad_check_is_refused(db, checks, message):
    ldtt = award_type("LDTT")
    with pytest.raises(CatalogueError, match=message) as exc:
        services.update_award_type(ldtt, checks=checks)
    assert exc.value.field == "checks"


def test_update_award_type_requiring_a_vote_needs_a_threshold(db):
    with pytest.raises(CatalogueError) as exc:
        services.update_award_type(award_type("LDTT"), vote_required=True, vote_threshold=None)
    assert exc.value.field == "vote_threshold"


def test_update_award_type_without_vote_clears_the_threshold(db):
    cstdt = award_type("CSTDT")
    services.update_award_type(cstdt, vote_required=False, vote_threshold=Decimal("0.9"))
    assert cstdt.vote_threshold is None


def test_update_award_type_with_unknown_dossier_part_is_refused(db):
    with pytest.raises(CatalogueError) as exc:
        services.update_award_type(award_type("LDTT"), required_parts=["to_trinh_mieng"])
    assert exc.value.field == "required_parts"


def test_update_award_type_ending_before_it_starts_is_refused(db):
    ldtt = award_type("LDTT")
    with pytest.raises(CatalogueError, match="không được trước") as exc:
        services.update_award_type(ldtt, effective_to=date(2023, 12, 31))
    assert exc.value.field == "effective_to"


# --- new versions ----------------------------------------------------------------------------------------

def test_new_version_ends_the_previous_one_the_day_before(db):
    old = award_type("LDTT")
    new = services.new_version(old, effective_from=date(2025, 7, 1), coefficient=Decimal("0.4"),
                               legal_ref="Nghị định 152/2025/NĐ-CP")
    db.session.commit()
    assert old.effective_to == date(2025, 6, 30)
    assert (new.code, new.effective_from, new.effective_to) == ("LDTT", date(2025, 7, 1), None)
    assert new.coefficient == Decimal("0.4") and new.name == old.name and new.checks == old.checks
    assert old.coefficient == Decimal("0.30")  # the old version keeps its values
    assert [e.action for e in _entries(db, new)] == ["award_type.new_version"]
    assert _entries(db, old)[-1].action == "award_type.end"


@pytest.mark.parametrize("start", [date(2024, 1, 1), date(2023, 6, 1)])
def test_new_version_starting_on_or_before_the_latest_is_refused(db, start):
    old = award_type("LDTT")
    with pytest.raises(CatalogueError, match="Đã có phiên bản hiệu lực từ 01/01/2024") as exc:
        services.new_version(old, effective_from=start)
    assert exc.value.field == "effective_from"
    assert len(_versions("LDTT")) == 1


def test_new_version_from_an_older_version_cannot_start_inside_a_later_one(db):
    first = award_type("LDTT")
    services.new_version(first, effective_from=date(2025, 7, 1))
    with pytest.raises(CatalogueError, match="01/07/2025"):
        services.new_version(first, effective_from=date(2025, 1, 1))
    assert [v.effective_from for v in _versions("LDTT")] == [date(2024, 1, 1), date(2025, 7, 1)]


def test_new_version_after_a_gap_keeps_the_earlier_end_date(db):
    old = award_type("GDVH")
    services.update_award_type(old, effective_to=date(2024, 12, 31))
    services.new_version(old, effective_from=date(2026, 1, 1))
    assert old.effective_to == date(2024, 12, 31)


def test_edit_end_date_overlapping_the_next_version_is_refused(db):
    old = award_type("LDTT")
    services.new_version(old, effective_from=date(2025, 7, 1))
    with pytest.raises(CatalogueError, match="phải hết hiệu lực trước ngày đó") as exc:
        services.update_award_type(old, effective_to=None)
    assert exc.value.field == "effective_to"
    with pytest.raises(CatalogueError):
        services.update_award_type(old, effective_to=date(2025, 7, 1))
    services.update_award_type(old, effective_to=date(2025, 5, 31))  # a gap is allowed
    assert old.effective_to == date(2025, 5, 31)


def test_new_version_validates_like_an_edit(db):
    with pytest.raises(CatalogueError):
        services.new_version(award_type("LDTT"), effective_from=date(2026, 1, 1), checks=["members_ldtt_70"])
    assert len(_versions("LDTT")) == 1 and award_type("LDTT").effective_to is None


# --- legal bases ------------------------------------------------------------------------------------------

def test_create_legal_basis_saves_and_audits(db):
    basis = services.create_legal_basis(code="15/2025/TT-BNV", title="Thông tư hướng dẫn", issued_on=None,
                                        effective_from=date(2025, 8, 1), effective_to=None, note=None)
    assert basis.id and _entries(db, basis)[0].action == "legal_basis.create"


def test_create_legal_basis_with_existing_code_is_refused(db):
    award_type("LDTT")  # seeds the legal bases
    with pytest.raises(CatalogueError, match="đã có trong danh mục") as exc:
        services.create_legal_basis(code="98/2023/NĐ-CP", title="Trùng")
    assert exc.value.field == "code"


def test_update_legal_basis_with_end_before_start_is_refused(db):
    award_type("LDTT")
    basis = db.session.scalar(sa.select(LegalBasis).where(LegalBasis.code == "152/2025/NĐ-CP"))
    with pytest.raises(CatalogueError) as exc:
        services.update_legal_basis(basis, code=basis.code, title=basis.title, effective_from=date(2025, 7, 1),
                                    effective_to=date(2025, 6, 30))
    assert exc.value.field == "effective_to"


# --- quota rules ------------------------------------------------------------------------------------------

def _quota(**kw):
    values = {"award_code": "CSTDT", "basis_code": "LDTT", "max_ratio": Decimal("0.05"), "hard_block": True,
              "legal_basis_id": None, "legal_ref": "QĐ tỉnh", "effective_from": date(2025, 1, 1),
              "effective_to": None, "note": None}
    values.update(kw)
    return values


def test_create_quota_rule_saves_and_audits(db):
    award_type("LDTT")
    rule = services.create_quota_rule(**_quota())
    assert rule.max_ratio == Decimal("0.05") and _entries(db, rule)[0].action == "quota_rule.create"


def test_create_quota_rule_overlapping_the_same_pair_is_refused(db):
    award_type("LDTT")  # seeds CSTĐCS ≤ 15% LĐTT from 01/01/2024, open-ended
    with pytest.raises(CatalogueError, match="không được trùng nhau") as exc:
        services.create_quota_rule(**_quota(award_code="CSTDCS", effective_from=date(2030, 1, 1)))
    assert exc.value.field == "effective_from"


def test_quota_rule_periods_that_only_touch_are_allowed(db):
    award_type("LDTT")
    seeded = db.session.scalar(sa.select(QuotaRule).where(QuotaRule.award_code == "CSTDCS"))
    services.update_quota_rule(seeded, effective_to=date(2025, 6, 30))
    services.create_quota_rule(**_quota(award_code="CSTDCS", effective_from=date(2025, 7, 1)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuotaRule)
                             .where(QuotaRule.award_code == "CSTDCS")) == 2


@pytest.mark.parametrize(("values", "field"), [
    ({"basis_code": "CSTDT"}, "basis_code"),
    ({"award_code": "KHONG_CO"}, "award_code"),
    ({"max_ratio": Decimal("0")}, "max_ratio"),
    ({"max_ratio": Decimal("1.5")}, "max_ratio"),
    ({"effective_to": date(2024, 12, 31)}, "effective_to"),
])
def test_create_quota_rule_with_bad_values_is_refused(db, values, field):
    award_type("LDTT")
    with pytest.raises(CatalogueError) as exc:
        services.create_quota_rule(**_quota(**values))
    assert exc.value.field == field


def test_vote_basis_is_stored_as_the_enum(db):
    cstdt = award_type("CSTDT")
    services.update_award_type(cstdt, vote_basis="present", vote_required=True, vote_threshold=Decimal("0.75"))
    assert cstdt.vote_basis is VoteBasis.PRESENT
