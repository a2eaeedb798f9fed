"""Read queries over dossiers: the unit list and the secretariat queue with their filters and counts,
the person picker, and the choices the dossier form offers. Every list loads what its rows show in a
fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from thidua.campaigns.models import Campaign, CampaignStatus
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.registry.models import Initiative, Person
from thidua.rules.models import AwardCategory, AwardType
from thidua.text import fold, vi_name_key

from .models import Nomination, NominationEvent, NominationStatus, SubmissionBatch

PER_PAGE = 30


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@dataclass(frozen=True)
class Filters:
    """The filters of a dossier list, read from the query string (unknown values are ignored)."""

    status: str = ""
    award: str = ""  # award code: all versions of a title or form
    year: int | None = None
    campaign_id: int | None = None
    unit_id: int | None = None  # the nominating unit

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        status = args.get("status") or ""
        return cls(
            status=status if status in {s.value for s in NominationStatus} else "",
            award=(args.get("award") or "").strip().upper()[:32],
            year=_int(args.get("year")),
            campaign_id=_int(args.get("campaign_id")),
            unit_id=_int(args.get("unit_id")),
        )

    def as_args(self, *, without: tuple[str, ...] = ()) -> dict:
        """Non-empty filters (except `without`), for links that keep them (pager, counts, export)."""
        return {k: v for k, v in asdict(self).items() if v and k not in without}

    def apply(self, stmt: sa.Select, *, with_status: bool = True) -> sa.Select:
        if with_status and self.status:
            stmt = stmt.where(Nomination.status == NominationStatus(self.status))
        if self.award:
            stmt = stmt.where(Nomination.award_type_id.in_(sa.select(AwardType.id).where(AwardType.code == self.award)))
        if self.year:
            stmt = stmt.where(Nomination.year == self.year)
        if self.campaign_id:
            stmt = stmt.where(Nomination.campaign_id == self.campaign_id)
        if self.unit_id:
            stmt = stmt.where(Nomination.unit_id == self.unit_id)
        return stmt


def _scoped(stmt: sa.Select, scope: set[int] | None) -> sa.Select:
    """Limit to dossiers filed by units in `scope`; None means every unit (the secretariat)."""
    return stmt if scope is None else stmt.where(Nomination.unit_id.in_(scope))


def _row_options():
    return (joinedload(Nomination.award_type), joinedload(Nomination.person).joinedload(Person.unit),
            joinedload(Nomination.nominee_unit), joinedload(Nomination.unit), joinedload(Nomination.campaign),
            joinedload(Nomination.batch))


def nominations(filters: Filters, *, scope: set[int] | None) -> sa.Select:
    """Dossiers matching `filters` within `scope`, newest first, with everything a list row shows."""
    stmt = sa.select(Nomination).options(*_row_options())
    stmt = _scoped(filters.apply(stmt), scope)
    return stmt.order_by(Nomination.id.desc())  # newest first; the primary key serves the top-N


def nomination_ids(filters: Filters, *, scope: set[int] | None) -> sa.Select:
    """Ids of the dossiers matching `filters` within `scope`, newest first; `rows()` loads a page of them.
    (Selecting the page's ids apart keeps the statement the planner sees small: the eager-loading joins
    over a filtered, sorted scan cost more to plan than to run.)"""
    return _scoped(filters.apply(sa.select(Nomination.id)), scope).order_by(Nomination.id.desc())


def status_counts(filters: Filters, *, scope: set[int] | None) -> dict[NominationStatus, int]:
    """How many dossiers per status, under every filter except the status one."""
    stmt = sa.select(Nomination.status, sa.func.count()).group_by(Nomination.status)
    stmt = _scoped(filters.apply(stmt, with_status=False), scope)
    return {NominationStatus(status): count for status, count in db.session.execute(stmt)}


def queue_ids(filters: Filters) -> sa.Select:
    """Ids of the submitted dossiers waiting for the secretariat: earliest campaign deadline first
    (dossiers outside a campaign last), then in the order they arrived. Only ids, so that the sort
    handles narrow rows; `rows()` loads the page."""
    stmt = (sa.select(Nomination.id)
            .outerjoin(Campaign, Nomination.campaign_id == Campaign.id)
            .where(Nomination.status == NominationStatus.SUBMITTED))
    stmt = filters.apply(stmt, with_status=False)
    return stmt.order_by(Campaign.nomination_deadline.asc().nulls_last(), Nomination.submitted_at.asc(),
                         Nomination.id.asc())


def rows(ids: list[int]) -> list[Nomination]:
    """The dossiers `ids`, in that order, with everything a list row shows (one query)."""
    if not ids:
        return []
    found = {n.id: n for n in db.session.scalars(
        sa.select(Nomination).where(Nomination.id.in_(ids)).options(*_row_options()))}
    return [found[i] for i in ids if i in found]


class UnitRef(NamedTuple):
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class QueueCounts:
    by_unit: list[tuple[UnitRef, int]]  # most first, then by unit code
    by_award: list[tuple[str, str, int]]  # (code, name, count), most first, then by code

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.by_award)


def queue_counts(filters: Filters) -> QueueCounts:
    """Submitted dossiers counted per nominating unit and per award (code, name), most first: two
    grouped queries, whose rows are the lists themselves (their total is the length of the queue)."""
    submitted = Nomination.status == NominationStatus.SUBMITTED
    count = sa.func.count()
    by_unit = db.session.execute(filters.apply(
        sa.select(Unit.id, Unit.code, Unit.name, count).join(Nomination, Nomination.unit_id == Unit.id)
        .where(submitted).group_by(Unit.id, Unit.code, Unit.name), with_status=False,
    ).order_by(count.desc(), Unit.code))
    award = aliased(AwardType)  # not the AwardType that the award filter's subquery names
    by_award = db.session.execute(filters.apply(
        sa.select(award.code, sa.func.min(award.name), count).join(Nomination, Nomination.award_type_id == award.id)
        .where(submitted).group_by(award.code), with_status=False,
    ).order_by(count.desc(), award.code))
    return QueueCounts(by_unit=[(UnitRef(i, code, name), n) for i, code, name, n in by_unit],
                       by_award=[(code, name, n) for code, name, n in by_award])


def dossier(nomination_id: int) -> Nomination | None:
    """One dossier with what its page shows (nominee, award, attachments, initiatives, events and actors)."""
    return db.session.scalar(
        sa.select(Nomination).where(Nomination.id == nomination_id).options(
            *_row_options(),
            selectinload(Nomination.attachments),
            selectinload(Nomination.initiatives),
            selectinload(Nomination.events).joinedload(NominationEvent.actor),
        )
    )


# --- the dossier form ---------------------------------------------------------------------------

def units_in_scope(scope: Iterable[int]) -> list[Unit]:
    """Current units among `scope`, in tree order by code."""
    ids = list(scope)
    if not ids:
        return []
    stmt = sa.select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code)
    return [u for u in db.session.scalars(stmt) if u.is_current]


def search_people(scope: set[int], q: str, *, limit: int = 20) -> list[Person]:
    """People of units in `scope` whose name contains `q`, diacritic- and case-insensitive
    ("nguyen van an" finds "Nguyễn Văn An"), sorted the Vietnamese way."""
    folded = fold(q)
    if not folded or not scope:
        return []
    stmt = (sa.select(Person).options(joinedload(Person.unit))
            .where(Person.unit_id.in_(scope), Person.name_folded.contains(folded, autoescape=True))
            .order_by(Person.name_folded, Person.id).limit(limit))
    return sorted(db.session.scalars(stmt), key=lambda p: vi_name_key(p.full_name))


def person_in_scope(person_id: int, scope: set[int]) -> Person | None:
    person = db.session.get(Person, person_id)
    return person if person is not None and person.unit_id in scope else None


def award_types_for(years: Iterable[int], *, keep_id: int | None = None) -> list[AwardType]:
    """Catalogue versions in force during any of `years` (plus the one a dossier already uses),
    titles first, then forms, in catalogue order."""
    years = sorted(set(years))
    start, end = date(years[0], 1, 1), date(years[-1], 12, 31)
    in_force = (AwardType.effective_from <= end) & (AwardType.effective_to.is_(None) | (AwardType.effective_to >= start))
    if keep_id:
        in_force = in_force | (AwardType.id == keep_id)
    rows = db.session.scalars(sa.select(AwardType).where(in_force)
                              .order_by(AwardType.position, AwardType.code, AwardType.effective_from))
    order = list(AwardCategory)
    return sorted(rows, key=lambda t: order.index(t.category))


def open_campaigns(*, keep_id: int | None = None) -> list[Campaign]:
    """Campaigns a dossier can be filed under (open ones), plus the one it already names."""
    where = Campaign.status == CampaignStatus.OPEN
    if keep_id:
        where = where | (Campaign.id == keep_id)
    return list(db.session.scalars(sa.select(Campaign).where(where).order_by(Campaign.starts_on.desc(), Campaign.id)))


def campaigns_for_filter() -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.status != CampaignStatus.DRAFT)
                                   .order_by(Campaign.starts_on.desc(), Campaign.id)))


def award_codes() -> list[tuple[str, str]]:
    """(code, name) of every award in the catalogue, for filters (latest name of each code)."""
    rows = db.session.execute(sa.select(AwardType.code, AwardType.name, AwardType.position)
                              .order_by(AwardType.position, AwardType.effective_from)).all()
    names = {code: name for code, name, _ in rows}
    return list(names.items())


# --- submission letters ---------------------------------------------------------------------------

def batches(scope: set[int]) -> list[tuple[SubmissionBatch, int]]:
    """Submission letters of units in `scope` with their number of dossiers, newest first."""
    count = (sa.select(sa.func.count(Nomination.id)).where(Nomination.batch_id == SubmissionBatch.id)
             .correlate(SubmissionBatch).scalar_subquery())
    stmt = (sa.select(SubmissionBatch, count).options(joinedload(SubmissionBatch.unit))
            .where(SubmissionBatch.unit_id.in_(scope))
            .order_by(SubmissionBatch.dated_on.desc(), SubmissionBatch.id.desc()))
    return [(b, c) for b, c in db.session.execute(stmt)]


def batch_nominations(batch: SubmissionBatch) -> list[Nomination]:
    stmt = (sa.select(Nomination).options(*_row_options()).where(Nomination.batch_id == batch.id)
            .order_by(Nomination.id))
    return list(db.session.scalars(stmt))


def batch_candidates(batch: SubmissionBatch) -> list[Nomination]:
    """Dossiers of the batch's unit that may still join it: draft or returned, not already in it."""
    stmt = (sa.select(Nomination).options(*_row_options())
            .where(Nomination.unit_id == batch.unit_id,
                   Nomination.status.in_([NominationStatus.DRAFT, NominationStatus.RETURNED]),
                   Nomination.batch_id.is_(None) | (Nomination.batch_id != batch.id))
            .order_by(Nomination.id))
    return list(db.session.scalars(stmt))


def person_initiatives(person_id: int) -> list[Initiative]:
    """The person's initiatives in the registry, most recently recognised first."""
    return list(db.session.scalars(sa.select(Initiative).where(Initiative.person_id == person_id)
                                   .order_by(Initiative.recognised_on.desc().nulls_last(), Initiative.id.desc())))
