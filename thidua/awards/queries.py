"""Read queries of award decisions: the listing with its filters, the approved dossiers a draft may take,
and the choices the forms offer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from thidua.councils.models import AgendaItem, CouncilSession
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.org.models import Unit, UnitKind
from thidua.registry.models import Person
from thidua.rules.models import AwardLevel, AwardType
from thidua.text import vi_name_key, vi_text_key

from .models import Decision, DecisionItem, DecisionStatus

PER_PAGE = 30
# Titles and forms the province or a unit decides itself; central ones go to upward proposals.
DECIDED_HERE = (AwardLevel.UNIT, AwardLevel.PROVINCE)


@dataclass(frozen=True)
class DecisionFilters:
    status: DecisionStatus | None = None
    year: int | None = None
    award_code: str | None = None

    @classmethod
    def from_args(cls, args) -> DecisionFilters:
        status = args.get("status") or None
        code = (args.get("award") or "").strip() or None
        return cls(status=DecisionStatus(status) if status in {s.value for s in DecisionStatus} else None,
                   year=args.get("year", type=int), award_code=code)

    def as_args(self) -> dict:
        return {k: v for k, v in (("status", self.status.value if self.status else None), ("year", self.year),
                                  ("award", self.award_code)) if v}


def decisions(filters: DecisionFilters):
    """The listing: newest first (drafts, which have no signing date, by creation)."""
    stmt = (sa.select(Decision).options(joinedload(Decision.award_type), joinedload(Decision.issuer_unit))
            .order_by(Decision.signed_on.desc().nulls_first(), Decision.created_at.desc(), Decision.id.desc()))
    if filters.status:
        stmt = stmt.where(Decision.status == filters.status)
    if filters.year:
        stmt = stmt.where(Decision.year == filters.year)
    if filters.award_code:
        stmt = stmt.join(AwardType, Decision.award_type_id == AwardType.id).where(AwardType.code == filters.award_code)
    return stmt


def item_counts(decision_ids: list[int]) -> dict[int, int]:
    if not decision_ids:
        return {}
    return dict(db.session.execute(sa.select(DecisionItem.decision_id, sa.func.count())
                                   .where(DecisionItem.decision_id.in_(decision_ids))
                                   .group_by(DecisionItem.decision_id)).all())


def decidable_award_types() -> list[AwardType]:
    """The newest version of every title and form decided in the province (not central ones)."""
    types = db.session.scalars(sa.select(AwardType).where(AwardType.level.in_(DECIDED_HERE))
                               .order_by(AwardType.position, AwardType.code, AwardType.effective_from.desc()))
    newest: dict[str, AwardType] = {}
    for t in types:
        newest.setdefault(t.code, t)
    return list(newest.values())


def approved_counts() -> dict[str, int]:
    """Award code → approved dossiers not yet in any decision."""
    rows = db.session.execute(
        sa.select(AwardType.code, sa.func.count(Nomination.id))
        .join(Nomination, Nomination.award_type_id == AwardType.id)
        .where(Nomination.status == NominationStatus.APPROVED, ~_in_a_decision())
        .group_by(AwardType.code))
    return dict(rows.all())


def _in_a_decision():
    return sa.exists().where(DecisionItem.nomination_id == Nomination.id)


def sort_dossiers(nominations: list[Nomination]) -> list[Nomination]:
    """Annex order: collectives first, then individuals; each by the nominating unit's name, then the
    awardee's name the Vietnamese way (given name first)."""
    return sorted(nominations, key=lambda n: (not n.is_collective, vi_text_key(n.unit.name),
                                              vi_text_key(n.nominee_name) if n.is_collective
                                              else vi_name_key(n.nominee_name), n.id))


def approved_dossiers(award_code: str, *, session_id: int | None = None, unit_id: int | None = None,
                      ids: list[int] | None = None) -> list[Nomination]:
    """Approved dossiers of `award_code` (any version) that no decision lists yet, in annex order;
    optionally only those on a council session's agenda, filed by one unit, or with the given ids."""
    stmt = (sa.select(Nomination).join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(AwardType.code == award_code, Nomination.status == NominationStatus.APPROVED, ~_in_a_decision())
            .options(joinedload(Nomination.person).joinedload(Person.unit),
                     joinedload(Nomination.nominee_unit).joinedload(Unit.parent), joinedload(Nomination.unit)))
    if session_id:
        stmt = stmt.where(sa.exists().where(AgendaItem.nomination_id == Nomination.id,
                                            AgendaItem.session_id == session_id))
    if unit_id:
        stmt = stmt.where(Nomination.unit_id == unit_id)
    if ids is not None:
        stmt = stmt.where(Nomination.id.in_(ids))
    return sort_dossiers(list(db.session.scalars(stmt).unique()))


def session_choices(award_code: str) -> list[tuple[int, str]]:
    """Council sessions with an approved dossier of `award_code` on their agenda."""
    stmt = (sa.select(CouncilSession).join(AgendaItem, AgendaItem.session_id == CouncilSession.id)
            .join(Nomination, AgendaItem.nomination_id == Nomination.id)
            .join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(AwardType.code == award_code, Nomination.status == NominationStatus.APPROVED)
            .order_by(CouncilSession.held_on.desc()).distinct())
    return [(s.id, f"{s.title} ({s.held_on:%d/%m/%Y})") for s in db.session.scalars(stmt)]


def nominating_unit_choices(award_code: str) -> list[tuple[int, str]]:
    stmt = (sa.select(Unit).join(Nomination, Nomination.unit_id == Unit.id)
            .join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(AwardType.code == award_code, Nomination.status == NominationStatus.APPROVED,
                   ~_in_a_decision()).distinct())
    units = sorted(db.session.scalars(stmt), key=lambda u: vi_text_key(u.name))
    return [(u.id, u.name) for u in units]


def root_province() -> Unit | None:
    """The province itself (UBND tỉnh): the top unit of kind province."""
    return db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None), Unit.kind == UnitKind.PROVINCE)
                             .order_by(Unit.code).limit(1))

