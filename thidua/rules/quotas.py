"""Ratio caps per unit and year (tỷ lệ khen thưởng), computed live from the registry and the dossiers.

A `QuotaRule` says: awards of `award_code` proposed by a unit for a year may be at most `max_ratio` ×
the number of `basis_code` holders in that unit (e.g. CSTĐCS ≤ 15% of LĐTT, Decree 91/2017 art. 9.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

import sqlalchemy as sa

from thidua.extensions import db
from thidua.nominations.models import ACTIVE_STATUSES, Nomination
from thidua.org.queries import descendant_ids
from thidua.registry.models import AwardRecord, NomineeKind, Person

from .eligibility import SHORT_NAMES, award_names, short_name
from .models import AwardType, QuotaRule


@dataclass(frozen=True)
class QuotaStatus:
    rule_id: int
    award_code: str
    basis_code: str
    max_ratio: Decimal
    used: int  # live dossiers of award_code by the unit for the year, plus those being added
    basis: int  # distinct holders of basis_code in the unit and its sub-units (records + live dossiers)
    limit: int  # floor(max_ratio × basis)
    hard_block: bool
    legal_ref: str | None
    message: str

    @property
    def over(self) -> bool:
        return self.used > self.limit

    @property
    def blocks(self) -> bool:
        """Over a cap that the rule makes binding: submission must be refused."""
        return self.over and self.hard_block

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def percent(ratio: Decimal) -> str:
    """0.150 → "15%", 0.125 → "12,5%" (Vietnamese decimal comma)."""
    text = format((ratio * 100).normalize(), "f")
    return text.replace(".", ",") + "%"


def rules_in_force(award_code: str, day: date) -> list[QuotaRule]:
    return list(db.session.scalars(
        sa.select(QuotaRule)
        .where(QuotaRule.award_code == award_code, QuotaRule.effective_from <= day,
               sa.or_(QuotaRule.effective_to.is_(None), QuotaRule.effective_to >= day))
        .order_by(QuotaRule.basis_code, QuotaRule.id)
    ))


def _live_of(code: str, year: int):
    return (sa.select(Nomination.nominee_key)
            .join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(AwardType.code == code, Nomination.year == year,
                   Nomination.status.in_(sorted(ACTIVE_STATUSES))))


def used_count(unit_id: int, year: int, award_code: str) -> int:
    """Live dossiers of `award_code` filed by the unit itself for `year`."""
    stmt = _live_of(award_code, year).where(Nomination.unit_id == unit_id).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt))


def basis_count(scope: set[int], year: int, basis_code: str) -> int:
    """Distinct holders of `basis_code` in `year` among the units `scope`: award records (not revoked) of
    their people (or of the units themselves, for a collective title) plus live dossiers filed by those units.
    A person with both a record and the dossier that led to it counts once."""
    person_key = sa.literal("p", sa.String) + sa.cast(AwardRecord.person_id, sa.String)
    unit_key = sa.literal("u", sa.String) + sa.cast(AwardRecord.unit_id, sa.String)
    people = (sa.select(person_key.label("k")).join(Person, AwardRecord.person_id == Person.id)
              .where(AwardRecord.nominee_kind == NomineeKind.INDIVIDUAL, AwardRecord.award_code == basis_code,
                     AwardRecord.year == year, Person.unit_id.in_(scope), AwardRecord.revoked_on.is_(None)))
    units = (sa.select(unit_key.label("k"))
             .where(AwardRecord.nominee_kind == NomineeKind.COLLECTIVE, AwardRecord.award_code == basis_code,
                    AwardRecord.year == year, AwardRecord.unit_id.in_(scope), AwardRecord.revoked_on.is_(None)))
    dossiers = _live_of(basis_code, year).where(Nomination.unit_id.in_(scope))
    keys = sa.union(people, units, dossiers).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(keys))


def limit_for(max_ratio: Decimal, basis: int) -> int:
    """floor(max_ratio × basis): a share of whole people is rounded down, never up (15% of 12 is 1.8,
    so at most 1), because a cap that rounded up would allow more than the ratio the rule sets."""
    return int((Decimal(max_ratio) * basis).to_integral_value(rounding=ROUND_FLOOR))


def quota_status(unit_id: int, year: int, award_code: str, *, adding: int = 0,
                 today: date | None = None) -> list[QuotaStatus]:
    """The caps in force today on `award_code` for the unit's proposals in `year`, one per rule.

    used  = live dossiers (ACTIVE_STATUSES) of `award_code` filed by the unit for `year`, plus `adding`
            (dossiers about to be submitted or imported that are not live yet);
    basis = distinct holders of the rule's `basis_code` in `year` among people of the unit and its
            sub-units (award records), plus live dossiers of `basis_code` filed by those units;
    limit = floor(max_ratio × basis) — rounded down, see `limit_for`;
    over  = used > limit. `blocks` is true when the rule is a hard block.
    Three queries per rule plus one for the unit tree, whatever the numbers.
    """
    rules = rules_in_force(award_code, today or date.today())
    if not rules:
        return []
    scope = descendant_ids([unit_id])
    used = used_count(unit_id, year, award_code) + adding
    names = award_names() if any(c not in SHORT_NAMES for r in rules for c in (r.award_code, r.basis_code)) else {}
    result = []
    for rule in rules:
        basis = basis_count(scope, year, rule.basis_code)
        limit = limit_for(rule.max_ratio, basis)
        award, basis_name = short_name(rule.award_code, names), short_name(rule.basis_code, names)
        verdict = "vượt" if used > limit else "trong"
        message = (f"Đề nghị {used} {award}, {verdict} tỷ lệ {percent(rule.max_ratio)} của {basis} {basis_name} "
                   f"(tối đa {limit})")
        if rule.legal_ref:
            message += f" — {rule.legal_ref}"
        if used > limit:
            message += ". Quy định này bắt buộc: không gửi được hồ sơ khi vượt tỷ lệ." if rule.hard_block else (
                ". Cảnh báo, không chặn việc gửi hồ sơ.")
        else:
            message += "."
        result.append(QuotaStatus(rule_id=rule.id, award_code=rule.award_code, basis_code=rule.basis_code,
                                  max_ratio=rule.max_ratio, used=used, basis=basis, limit=limit,
                                  hard_block=rule.hard_block, legal_ref=rule.legal_ref, message=message))
    return result
