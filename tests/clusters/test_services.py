from datetime import date

import pytest
import sqlalchemy as sa

from thidua.clusters import services
from thidua.clusters.models import ClusterKind, ClusterMembership
from thidua.clusters.services import ClusterError

from ..factories import make_cluster, make_unit


def _fields(**kw):
    values = {"code": "KHOI-VHXH", "name": "Khối thi đua Văn hóa - Xã hội", "kind": "block",
              "description": "", "active": True}
    values.update(kw)
    return values


def test_create_cluster_saves_it(db):
    cluster = services.create_cluster(**_fields())
    assert cluster.id is not None and cluster.kind is ClusterKind.BLOCK and cluster.description is None


def test_create_cluster_with_duplicate_code_is_refused(db):
    make_cluster(code="KHOI-VHXH", name="Khối cũ")
    with pytest.raises(ClusterError, match="đã được dùng cho “Khối cũ”") as exc:
        services.create_cluster(**_fields())
    assert exc.value.field == "code"


def test_update_cluster_keeping_its_code_succeeds(db):
    cluster = make_cluster(code="CUM-1")
    services.update_cluster(cluster, **_fields(code="CUM-1", name="Cụm thi đua số 1", kind="cluster", active=False))
    assert cluster.name == "Cụm thi đua số 1" and cluster.active is False


def test_update_cluster_to_code_of_another_is_refused(db):
    make_cluster(code="CUM-1")
    cluster = make_cluster(code="CUM-2")
    with pytest.raises(ClusterError):
        services.update_cluster(cluster, code="CUM-1")


def test_add_member_with_current_unit_adds_it(db, unit):
    cluster = make_cluster()
    membership = services.add_member(cluster, unit=unit, joined_on=date(2025, 1, 1))
    assert membership.unit is unit and cluster.memberships == [membership]


def test_add_member_twice_is_refused(db, unit):
    cluster = make_cluster(units=[unit])
    with pytest.raises(ClusterError, match="đã là thành viên") as exc:
        services.add_member(cluster, unit=unit)
    assert exc.value.field == "unit_id"


def test_add_member_with_ended_unit_is_refused(db, province):
    ended = make_unit(kind="district", parent=province, valid_to=date(2025, 6, 30))
    with pytest.raises(ClusterError, match="hết hiệu lực"):
        services.add_member(make_cluster(), unit=ended)


def test_remove_member_deletes_membership_only(db, unit):
    cluster = make_cluster(units=[unit])
    services.remove_member(cluster.memberships[0])
    assert db.session.scalars(sa.select(ClusterMembership)).all() == []
    assert unit.id is not None and cluster.id is not None
