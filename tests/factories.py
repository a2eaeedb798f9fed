"""Plain factory functions: sensible defaults, keyword overrides, `add` + `flush`."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from thidua.auth.models import Role, RoleAssignment, User
from thidua.campaigns.models import Campaign, CampaignKind, CampaignRegistration, CampaignStatus
from thidua.clusters.models import Cluster, ClusterKind, ClusterMembership
from thidua.extensions import db
from thidua.org.models import Unit, UnitKind, UnitSuccession

PASSWORD = "mat-khau-123"
# A cheap hash keeps the suite fast; production uses werkzeug's default (scrypt).
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_seq = itertools.count(1)


def make_unit(*, code: str | None = None, name: str | None = None, kind: str | UnitKind = UnitKind.DEPARTMENT,
              parent: Unit | None = None, **kw) -> Unit:
    n = next(_seq)
    unit = Unit(code=code or f"U{n:04d}", name=name or f"Đơn vị số {n}", kind=UnitKind(kind), parent=parent, **kw)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_succession(predecessor: Unit, successor: Unit, **kw) -> UnitSuccession:
    link = UnitSuccession(predecessor=predecessor, successor=successor, **kw)
    db.session.add(link)
    db.session.flush()
    return link


def make_user(*, username: str | None = None, full_name: str | None = None, roles=(Role.ADMIN,),
              unit: Unit | None = None, password: str | None = None, **kw) -> User:
    n = next(_seq)
    user = User(username=username or f"user{n}", full_name=full_name or f"Người dùng {n}",
                password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000") if password else _FAST_HASH,
                **kw)
    for role in roles:
        role = Role(role)
        user.role_assignments.append(RoleAssignment(role=role, unit=unit if role == Role.UNIT_OFFICER else None))
    db.session.add(user)
    db.session.flush()
    return user


def make_campaign(*, status: str | CampaignStatus = CampaignStatus.OPEN, name: str | None = None, **kw) -> Campaign:
    n = next(_seq)
    today = date.today()
    values = {
        "name": name or f"Phong trào thi đua số {n}",
        "kind": CampaignKind.THEMATIC,
        "launching_authority": "UBND tỉnh Thanh Hóa",
        "starts_on": today - timedelta(days=30),
        "ends_on": today + timedelta(days=300),
        "nomination_deadline": today + timedelta(days=200),
    }
    values.update(kw)
    campaign = Campaign(status=CampaignStatus(status), **values)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_registration(campaign: Campaign, unit: Unit, *, commitments: str = "Đăng ký danh hiệu Tập thể lao động xuất sắc",
                      **kw) -> CampaignRegistration:
    reg = CampaignRegistration(campaign=campaign, unit=unit, commitments=commitments, **kw)
    db.session.add(reg)
    db.session.flush()
    return reg


def make_cluster(*, code: str | None = None, name: str | None = None, kind: str | ClusterKind = ClusterKind.CLUSTER,
                 units: list[Unit] = (), **kw) -> Cluster:
    n = next(_seq)
    cluster = Cluster(code=code or f"CUM{n:03d}", name=name or f"Cụm thi đua số {n}", kind=ClusterKind(kind), **kw)
    cluster.memberships = [ClusterMembership(unit=u) for u in units]
    db.session.add(cluster)
    db.session.flush()
    return cluster
