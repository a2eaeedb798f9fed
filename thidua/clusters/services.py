"""State changes of emulation clusters and blocks and their member units. Services flush, never
commit, and raise ClusterError with a Vietnamese message."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.text import nfc

from .models import Cluster, ClusterKind, ClusterMembership

CODE_MAX = 32
NAME_MAX = 255
CLUSTER_FIELDS = ("code", "name", "kind", "description", "active")


class ClusterError(ValueError):
    """A refused change; the message is shown beside the form field named `field` (or flashed)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: (nfc(v) if isinstance(v, str) else v) for k, v in fields.items() if k in CLUSTER_FIELDS}
    if "description" in values:
        values["description"] = values["description"] or None
    if "kind" in values:
        try:
            values["kind"] = ClusterKind(values["kind"])
        except ValueError:
            raise ClusterError("Loại không hợp lệ.", "kind") from None
    if "name" in values and not values["name"]:
        raise ClusterError("Vui lòng nhập tên cụm, khối.", "name")
    return values


def _check_code(code: str | None, *, cluster: Cluster | None) -> None:
    if not code:
        raise ClusterError("Vui lòng nhập mã cụm, khối.", "code")
    if any(ch.isspace() for ch in code):
        raise ClusterError("Mã không được chứa dấu cách.", "code")
    stmt = sa.select(Cluster.name).where(Cluster.code == code)
    if cluster is not None and cluster.id is not None:
        stmt = stmt.where(Cluster.id != cluster.id)
    other = db.session.scalar(stmt)
    if other is not None:
        raise ClusterError(f"Mã “{code}” đã được dùng cho “{other}”.", "code")


def create_cluster(**fields: Any) -> Cluster:
    """Create a cluster or block from CLUSTER_FIELDS; raise ClusterError on a duplicate code."""
    values = _clean(fields)
    _check_code(values.get("code"), cluster=None)
    cluster = Cluster(**values)
    db.session.add(cluster)
    label(cluster, "cluster.create")
    db.session.flush()
    return cluster


def update_cluster(cluster: Cluster, **fields: Any) -> Cluster:
    values = _clean(fields)
    if "code" in values:
        _check_code(values["code"], cluster=cluster)
    for key, value in values.items():
        setattr(cluster, key, value)
    db.session.flush()
    return cluster


def add_member(cluster: Cluster, *, unit: Unit, joined_on: date | None = None) -> ClusterMembership:
    """Add a current unit to the cluster; raise ClusterError when it has ended or is already a member."""
    if not unit.is_current:
        raise ClusterError(f"Đơn vị “{unit.name}” đã hết hiệu lực, không thể thêm vào cụm, khối.", "unit_id")
    exists = db.session.scalar(
        sa.select(ClusterMembership.id).where(ClusterMembership.cluster_id == cluster.id,
                                              ClusterMembership.unit_id == unit.id)
    )
    if exists:
        raise ClusterError(f"Đơn vị “{unit.name}” đã là thành viên của “{cluster.name}”.", "unit_id")
    membership = ClusterMembership(cluster=cluster, unit=unit, joined_on=joined_on)
    db.session.add(membership)
    label(membership, "cluster.member.add")
    db.session.flush()
    return membership


def remove_member(membership: ClusterMembership) -> None:
    label(membership, "cluster.member.remove")
    db.session.delete(membership)
    db.session.flush()
