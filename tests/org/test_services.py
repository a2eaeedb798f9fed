from datetime import date

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.org import services
from thidua.org.models import Unit, UnitKind, UnitSuccession
from thidua.org.queries import lineage_ids
from thidua.org.services import OrgError

from ..factories import make_succession, make_unit


def _fields(**kw):
    values = {"code": "38.SYT", "name": "Sở Y tế", "kind": "department", "parent_id": None,
              "valid_from": None, "valid_to": None, "address": None, "note": None}
    values.update(kw)
    return values


def test_create_unit_under_parent_saves_it(db, province):
    unit = services.create_unit(**_fields(parent_id=province.id, address="  "))
    assert unit.id is not None
    assert unit.parent is province and unit.kind is UnitKind.DEPARTMENT
    assert unit.name_folded == "so y te"
    assert unit.address is None


def test_create_unit_is_audited_as_unit_create(db, province):
    unit = services.create_unit(**_fields())
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "units",
                                                           AuditEntry.object_id == str(unit.id))).one()
    assert entry.action == "unit.create"


def test_create_unit_with_duplicate_code_is_refused(db, unit):
    with pytest.raises(OrgError, match="đã được dùng") as exc:
        services.create_unit(**_fields(code=unit.code))
    assert exc.value.field == "code"


def test_create_unit_with_space_in_code_is_refused(db):
    with pytest.raises(OrgError, match="dấu cách") as exc:
        services.create_unit(**_fields(code="38 SYT"))
    assert exc.value.field == "code"


def test_create_unit_with_unknown_kind_is_refused(db):
    with pytest.raises(OrgError) as exc:
        services.create_unit(**_fields(kind="huyen"))
    assert exc.value.field == "kind"


def test_create_unit_ending_before_it_starts_is_refused(db):
    with pytest.raises(OrgError, match="không được trước") as exc:
        services.create_unit(**_fields(valid_from=date(2025, 7, 1), valid_to=date(2025, 6, 30)))
    assert exc.value.field == "valid_to"


def test_update_unit_keeping_its_own_code_succeeds(db, unit):
    services.update_unit(unit, code=unit.code, name="Sở Giáo dục và Đào tạo tỉnh Thanh Hóa")
    assert unit.name_folded == "so giao duc va dao tao tinh thanh hoa"


def test_update_unit_to_code_of_another_unit_is_refused(db, unit, province):
    with pytest.raises(OrgError, match="UBND tỉnh Thanh Hóa"):
        services.update_unit(unit, code=province.code)


def test_update_unit_as_its_own_parent_is_refused(db, unit):
    with pytest.raises(OrgError, match="chính nó") as exc:
        services.update_unit(unit, parent_id=unit.id)
    assert exc.value.field == "parent_id"


def test_update_unit_under_its_descendant_is_refused_as_cycle(db, province, unit):
    grandchild = make_unit(parent=unit.children[0], kind="division")
    with pytest.raises(OrgError, match="vòng lặp") as exc:
        services.update_unit(province, parent_id=grandchild.id)
    assert exc.value.field == "parent_id"
    assert province.parent_id is None


def test_update_unit_under_another_branch_moves_it(db, province, unit):
    other = make_unit(parent=province)
    school = unit.children[0]
    services.update_unit(school, parent_id=other.id)
    assert school.parent is other
    assert other.children == [school]


def test_update_unit_with_valid_to_ends_it(db, unit):
    services.update_unit(unit, valid_to=date(2025, 6, 30))
    assert not unit.is_current
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == str(unit.id),
                                                           AuditEntry.object_type == "units")).all()[-1]
    assert entry.action == "unit.end"


def test_update_unit_ending_before_stored_start_is_refused(db, unit):
    unit.valid_from = date(2025, 7, 1)
    with pytest.raises(OrgError, match="không được trước"):
        services.update_unit(unit, valid_to=date(2025, 1, 1))


def test_add_succession_links_predecessor_to_successor(db, province):
    old = make_unit(kind="ward", parent=province, valid_to=date(2025, 6, 30))
    new = make_unit(kind="ward", parent=province, valid_from=date(2025, 7, 1))
    link = services.add_succession(old, new, effective_on=date(2025, 7, 1), partial=True, note="NQ 1686")
    assert new.predecessors == [old] and old.successors == [new]
    assert link.partial is True and link.note == "NQ 1686"


def test_add_succession_to_itself_is_refused(db, unit):
    with pytest.raises(OrgError, match="chính nó"):
        services.add_succession(unit, unit)


def test_add_succession_twice_is_refused(db, province):
    old, new = make_unit(parent=province), make_unit(parent=province)
    make_succession(old, new)
    with pytest.raises(OrgError, match="Đã ghi nhận"):
        services.add_succession(old, new)


def test_add_succession_closing_a_lineage_cycle_is_refused(db, province):
    a, b, c = make_unit(), make_unit(), make_unit()
    make_succession(a, b)
    make_succession(b, c)
    with pytest.raises(OrgError, match="vòng lặp"):
        services.add_succession(c, a)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitSuccession)) == 2


def test_lineage_ids_across_two_mergers_include_every_predecessor(db, province):
    # Two old wards merged in 2020, then that ward and a third merged in 2025.
    w1, w2, w3 = (make_unit(kind="ward", parent=province) for _ in range(3))
    merged_2020 = make_unit(kind="ward", parent=province)
    merged_2025 = make_unit(kind="ward", parent=province)
    services.add_succession(w1, merged_2020)
    services.add_succession(w2, merged_2020)
    services.add_succession(merged_2020, merged_2025)
    services.add_succession(w3, merged_2025, partial=True)
    assert lineage_ids(merged_2025.id) == {merged_2025.id, merged_2020.id, w1.id, w2.id, w3.id}
    assert lineage_ids(merged_2020.id) == {merged_2020.id, w1.id, w2.id}


def test_remove_succession_deletes_only_the_link(db, province):
    old, new = make_unit(), make_unit()
    link = make_succession(old, new)
    services.remove_succession(link)
    assert db.session.scalars(sa.select(UnitSuccession)).all() == []
    assert db.session.get(Unit, old.id) is not None and db.session.get(Unit, new.id) is not None
