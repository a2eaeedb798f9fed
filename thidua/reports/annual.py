"""The annual report on emulation and commendation work (báo cáo kết quả công tác thi đua, khen thưởng năm …).

`annual_report(year, unit)` gathers, for one unit and everything below it (or the whole province when `unit` is
None): the campaigns active in the year (the same set form 0601.N counts) and those launched in it, the units'
registrations, the dossiers of the year by status, the awards of the year by title or form from the registry
(revoked ones excluded), and the prize money of issued decisions for the year by title or form (revoked items
excluded). The plan asks units to report before 10 December (`due_on`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from thidua.awards.models import Decision, DecisionItem, DecisionStatus
from thidua.campaigns.models import Campaign, CampaignRegistration
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.org.models import Unit
from thidua.registry.models import AwardRecord, NomineeKind, Person
from thidua.rules.models import AwardType

from . import statistics

DUE_DAY = (12, 10)  # "trước ngày 10/12 hằng năm" (the provincial plan, section IV)


@dataclass
class AwardLine:
    code: str
    name: str
    collective: int = 0
    individual: int = 0

    @property
    def total(self) -> int:
        return self.collective + self.individual


@dataclass
class PrizeLine:
    code: str
    name: str
    count: int = 0
    amount: int = 0


@dataclass
class AnnualReport:
    year: int
    unit: Unit | None
    campaigns: list[Campaign]
    launched: list[Campaign]
    registrations: list[tuple[str, int]]  # (unit name, registrations)
    dossiers: list[tuple[NominationStatus, int]]
    awards: list[AwardLine]
    prizes: list[PrizeLine]
    per_campaign: dict[int, int] = field(default_factory=dict)  # campaign id → registrations in scope
    headline: dict[str, int] = field(default_factory=dict)

    @property
    def due_on(self) -> date:
        return date(self.year, *DUE_DAY)

    @property
    def scope_name(self) -> str:
        return self.unit.name if self.unit else "Toàn tỉnh"


def _registrations(campaign_ids: list[int], ids: set[int] | None) -> list[tuple[str, int]]:
    if not campaign_ids:
        return []
    stmt = (sa.select(Unit.name, sa.func.count(CampaignRegistration.id))
            .join(Unit, Unit.id == CampaignRegistration.unit_id)
            .where(CampaignRegistration.campaign_id.in_(campaign_ids))
            .group_by(Unit.id, Unit.code, Unit.name).order_by(Unit.code))
    if ids is not None:
        stmt = stmt.where(CampaignRegistration.unit_id.in_(ids))
    return [(name, count) for name, count in db.session.execute(stmt)]


def _dossiers(year: int, ids: set[int] | None) -> list[tuple[NominationStatus, int]]:
    stmt = sa.select(Nomination.status, sa.func.count(Nomination.id)).where(Nomination.year == year)
    if ids is not None:
        stmt = stmt.where(Nomination.unit_id.in_(ids))
    counts = dict(db.session.execute(stmt.group_by(Nomination.status)).all())
    return [(s, counts.get(s, 0)) for s in NominationStatus]


def _awards(year: int, ids: set[int] | None) -> list[AwardLine]:
    stmt = (sa.select(AwardRecord.award_code, AwardRecord.award_name, AwardRecord.nominee_kind)
            .outerjoin(Person, Person.id == AwardRecord.person_id)
            .where(AwardRecord.year == year, AwardRecord.revoked_on.is_(None)))
    if ids is not None:
        stmt = stmt.where(sa.or_(AwardRecord.unit_id.in_(ids), Person.unit_id.in_(ids)))
    lines: dict[str, AwardLine] = {}
    for code, name, kind in db.session.execute(stmt):
        line = lines.setdefault(code, AwardLine(code, name))
        if kind == NomineeKind.COLLECTIVE:
            line.collective += 1
        else:
            line.individual += 1
    return _in_catalogue_order(lines)


def _in_catalogue_order(lines: dict) -> list:
    order = {code: i for i, code in enumerate(db.session.scalars(
        sa.select(AwardType.code).group_by(AwardType.code).order_by(sa.func.min(AwardType.id))))}
    return sorted(lines.values(), key=lambda line: (order.get(line.code, len(order)), line.code))


def _prizes(year: int, ids: set[int] | None) -> list[PrizeLine]:
    stmt = (sa.select(AwardType.code, AwardType.name, DecisionItem.amount)
            .join(Decision, Decision.id == DecisionItem.decision_id)
            .join(AwardType, AwardType.id == Decision.award_type_id)
            .outerjoin(Person, Person.id == DecisionItem.person_id)
            .where(Decision.status == DecisionStatus.ISSUED, Decision.year == year, DecisionItem.revoked_at.is_(None)))
    if ids is not None:
        stmt = stmt.where(sa.or_(DecisionItem.group_unit_id.in_(ids), DecisionItem.unit_id.in_(ids),
                                 Person.unit_id.in_(ids)))
    lines: dict[str, PrizeLine] = {}
    for code, name, amount in db.session.execute(stmt):
        line = lines.setdefault(code, PrizeLine(code, name))
        line.count += 1
        line.amount += amount or 0
    return _in_catalogue_order(lines)


def annual_report(year: int, unit: Unit | None = None) -> AnnualReport:
    ids = statistics.scope_ids(unit)
    campaigns = statistics.active_campaigns(year, ids)
    launched = [c for c in campaigns if c.starts_on.year == year]
    report = AnnualReport(
        year=year, unit=unit, campaigns=campaigns, launched=launched,
        registrations=_registrations([c.id for c in campaigns], ids),
        dossiers=_dossiers(year, ids), awards=_awards(year, ids), prizes=_prizes(year, ids),
        per_campaign=campaign_registration_counts(campaigns, ids),
    )
    report.headline = {
        "campaigns": len(campaigns),
        "launched": len(launched),
        "registrations": sum(n for _name, n in report.registrations),
        "dossiers": sum(n for _s, n in report.dossiers),
        "awards": sum(line.total for line in report.awards),
        "prize_amount": sum(line.amount for line in report.prizes),
    }
    return report


HEADLINE_LABELS = {
    "campaigns": "Phong trào thi đua triển khai trong năm",
    "launched": "Phong trào phát động mới trong năm",
    "registrations": "Lượt đơn vị đăng ký thi đua",
    "dossiers": "Hồ sơ đề nghị khen thưởng",
    "awards": "Lượt khen thưởng (đã ghi sổ, không tính thu hồi)",
    "prize_amount": "Tiền thưởng đã chi theo quyết định (đồng)",
}


def campaign_registration_counts(campaigns: list[Campaign], ids: set[int] | None) -> dict[int, int]:
    """Registrations per campaign (units in scope only)."""
    if not campaigns:
        return {}
    stmt = sa.select(CampaignRegistration.campaign_id).where(
        CampaignRegistration.campaign_id.in_([c.id for c in campaigns]))
    if ids is not None:
        stmt = stmt.where(CampaignRegistration.unit_id.in_(ids))
    return dict(Counter(db.session.scalars(stmt)))

