"""The dashboards' numbers. Every count is one grouped SQL query (GROUP BY), never rows loaded and
counted in Python, so a dashboard costs a fixed number of queries whatever the number of dossiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from thidua.awards.models import Decision, DecisionItem, DecisionStatus
from thidua.campaigns.models import Campaign, CampaignRegistration, CampaignStatus
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.org.models import Unit
from thidua.rules.models import AwardCategory, AwardType, QuotaRule

# A dossier submitted to the secretariat is overdue when it has waited more than this many working
# days without being accepted, returned or rejected: the province level has 10 working days to
# appraise a dossier (domain.md §1g "Time limits": the older decree's figure, still common in provincial
# procedures; the current national value is unsure, hence a constant to adjust). Public holidays are not
# known to the app, so only Saturdays and Sundays are skipped: the count errs towards "not yet overdue".
OVERDUE_WORKING_DAYS = 10

YEARS_SHOWN = 5  # the leaders' series cover the chosen year and the four before it
TOP_UNITS = 10


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, read from the query string (kept in the URL)."""

    year: int | None = None
    campaign_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        year = _int(args.get("year"))
        return cls(year=year if year and 1990 <= year <= 2100 else None, campaign_id=_int(args.get("campaign_id")))

    def nominations(self, stmt: sa.Select) -> sa.Select:
        if self.year:
            stmt = stmt.where(Nomination.year == self.year)
        if self.campaign_id:
            stmt = stmt.where(Nomination.campaign_id == self.campaign_id)
        return stmt


def _scoped(stmt: sa.Select, scope: set[int] | None) -> sa.Select:
    return stmt if scope is None else stmt.where(Nomination.unit_id.in_(scope))


def status_counts(filters: Filters, *, scope: set[int] | None) -> list[tuple[NominationStatus, int]]:
    """Dossiers per status (every status listed, zeros included, in workflow order), filed by units in
    `scope` (None: every unit)."""
    stmt = sa.select(Nomination.status, sa.func.count()).group_by(Nomination.status)
    counts = {NominationStatus(s): n for s, n in db.session.execute(_scoped(filters.nominations(stmt), scope))}
    return [(status, counts.get(status, 0)) for status in NominationStatus]


# --- unit officer ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    campaign: Campaign
    days_left: int
    drafts: int  # the officer's dossiers in this campaign still draft or returned (not yet submitted)


def deadlines(filters: Filters, *, scope: set[int], today: date | None = None) -> list[Deadline]:
    """Open campaigns whose nomination deadline has not passed, soonest first, with the unit's unsent dossiers."""
    today = today or date.today()
    stmt = (sa.select(Campaign).where(Campaign.status == CampaignStatus.OPEN, Campaign.nomination_deadline >= today)
            .order_by(Campaign.nomination_deadline, Campaign.id))
    if filters.campaign_id:
        stmt = stmt.where(Campaign.id == filters.campaign_id)
    campaigns = list(db.session.scalars(stmt))
    drafts: dict[int, int] = {}
    if campaigns and scope:
        unsent = (sa.select(Nomination.campaign_id, sa.func.count())
                  .where(Nomination.unit_id.in_(scope), Nomination.campaign_id.in_([c.id for c in campaigns]),
                         Nomination.status.in_([NominationStatus.DRAFT, NominationStatus.RETURNED]))
                  .group_by(Nomination.campaign_id))
        drafts = dict(db.session.execute(filters.nominations(unsent)).all())
    return [Deadline(c, (c.nomination_deadline - today).days, drafts.get(c.id, 0)) for c in campaigns]


def unsent_total(filters: Filters, *, scope: set[int]) -> int:
    """The unit's dossiers still draft or returned, in any campaign or none."""
    if not scope:
        return 0
    stmt = sa.select(sa.func.count()).select_from(Nomination).where(
        Nomination.unit_id.in_(scope), Nomination.status.in_([NominationStatus.DRAFT, NominationStatus.RETURNED]))
    return db.session.scalar(filters.nominations(stmt)) or 0


@dataclass(frozen=True)
class QuotaUse:
    unit: Unit
    award_code: str
    basis_code: str
    used: int
    limit: int
    basis: int
    over: bool
    message: str


def quota_use(unit_ids: list[int], year: int, *, today: date | None = None) -> list[QuotaUse]:
    """Used vs allowed for every quota rule in force, for each of the officer's own units (the ratio engine
    of thidua.rules.quotas, three queries per rule and unit)."""
    from thidua.rules.quotas import quota_status

    today = today or date.today()
    codes = db.session.scalars(
        sa.select(QuotaRule.award_code).where(QuotaRule.effective_from <= today,
                                              sa.or_(QuotaRule.effective_to.is_(None), QuotaRule.effective_to >= today))
        .distinct().order_by(QuotaRule.award_code)).all()
    units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.code)).all() if codes else []
    result = []
    for unit in units:
        for code in codes:
            for q in quota_status(unit.id, year, code, today=today):
                result.append(QuotaUse(unit, q.award_code, q.basis_code, q.used, q.limit, q.basis, q.over, q.message))
    return result


# --- secretariat ---------------------------------------------------------------------------------------

def working_days_before(day: date, n: int) -> date:
    """The date `n` working days (Monday–Friday) before `day`."""
    while n > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days (Monday–Friday) after `start` up to and including `end`."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


@dataclass(frozen=True)
class Overdue:
    nomination: Nomination
    working_days: int


def overdue(filters: Filters, *, today: date | None = None, limit: int = 50) -> tuple[int, list[Overdue]]:
    """Dossiers submitted more than OVERDUE_WORKING_DAYS working days ago and still waiting for the
    secretariat (status submitted): their number, and the `limit` longest waiting."""
    today = today or date.today()
    cutoff = datetime.combine(working_days_before(today, OVERDUE_WORKING_DAYS), time.min, tzinfo=UTC)
    where = (Nomination.status == NominationStatus.SUBMITTED, Nomination.submitted_at < cutoff)
    total = db.session.scalar(filters.nominations(sa.select(sa.func.count()).select_from(Nomination).where(*where)))
    stmt = (sa.select(Nomination).where(*where).order_by(Nomination.submitted_at, Nomination.id).limit(limit)
            .options(joinedload(Nomination.unit), joinedload(Nomination.award_type), joinedload(Nomination.person),
                     joinedload(Nomination.nominee_unit)))
    rows = [Overdue(n, working_days_between(_day(n.submitted_at), today))
            for n in db.session.scalars(filters.nominations(stmt))]
    return total or 0, rows


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


@dataclass(frozen=True)
class Progress:
    id: int
    name: str
    registered: int
    dossiers: int
    awarded: int


def _registrations_filtered(stmt: sa.Select, filters: Filters) -> sa.Select:
    if filters.campaign_id:
        stmt = stmt.where(CampaignRegistration.campaign_id == filters.campaign_id)
    if filters.year:
        stmt = stmt.join(Campaign, CampaignRegistration.campaign_id == Campaign.id).where(
            sa.extract("year", Campaign.starts_on) <= filters.year,
            sa.or_(Campaign.ends_on.is_(None), sa.extract("year", Campaign.ends_on) >= filters.year))
    return stmt


def progress_by_unit(filters: Filters) -> list[Progress]:
    """Per nominating unit: campaign registrations, dossiers (any state but draft) and dossiers awarded."""
    sent = Nomination.status != NominationStatus.DRAFT
    awarded = sa.func.sum(sa.case((Nomination.status == NominationStatus.AWARDED, 1), else_=0))
    dossiers = dict((u, (d, a or 0)) for u, d, a in db.session.execute(filters.nominations(
        sa.select(Nomination.unit_id, sa.func.count(), awarded).where(sent).group_by(Nomination.unit_id))))
    registered = dict(db.session.execute(_registrations_filtered(
        sa.select(CampaignRegistration.unit_id, sa.func.count()).group_by(CampaignRegistration.unit_id), filters)).all())
    ids = set(dossiers) | set(registered)
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    rows = [Progress(i, names.get(i, ""), registered.get(i, 0), *dossiers.get(i, (0, 0))) for i in ids]
    return sorted(rows, key=lambda p: (-p.dossiers, -p.registered, p.name))


def progress_by_campaign(filters: Filters) -> list[Progress]:
    """Per campaign (not draft): registered units, dossiers filed under it (not draft), dossiers awarded."""
    stmt = sa.select(Campaign.id, Campaign.name).where(Campaign.status != CampaignStatus.DRAFT)
    if filters.campaign_id:
        stmt = stmt.where(Campaign.id == filters.campaign_id)
    if filters.year:
        stmt = stmt.where(sa.extract("year", Campaign.starts_on) <= filters.year,
                          sa.or_(Campaign.ends_on.is_(None), sa.extract("year", Campaign.ends_on) >= filters.year))
    campaigns = db.session.execute(stmt.order_by(Campaign.starts_on.desc(), Campaign.id)).all()
    if not campaigns:
        return []
    ids = [c.id for c in campaigns]
    registered = dict(db.session.execute(
        sa.select(CampaignRegistration.campaign_id, sa.func.count()).where(CampaignRegistration.campaign_id.in_(ids))
        .group_by(CampaignRegistration.campaign_id)).all())
    awarded = sa.func.sum(sa.case((Nomination.status == NominationStatus.AWARDED, 1), else_=0))
    dossiers = {c: (d, a or 0) for c, d, a in db.session.execute(filters.nominations(
        sa.select(Nomination.campaign_id, sa.func.count(), awarded)
        .where(Nomination.campaign_id.in_(ids), Nomination.status != NominationStatus.DRAFT)
        .group_by(Nomination.campaign_id)))}
    return [Progress(i, name, registered.get(i, 0), *dossiers.get(i, (0, 0))) for i, name in campaigns]


# --- leaders ---------------------------------------------------------------------------------------------

def _awards(stmt: sa.Select, filters: Filters) -> sa.Select:
    """Items of issued decisions, not revoked; under a campaign filter only those from its dossiers."""
    stmt = stmt.where(Decision.status == DecisionStatus.ISSUED, DecisionItem.revoked_at.is_(None))
    if filters.campaign_id:
        stmt = stmt.where(DecisionItem.nomination_id.in_(
            sa.select(Nomination.id).where(Nomination.campaign_id == filters.campaign_id)))
    return stmt


def year_window(filters: Filters, today: date | None = None) -> list[int]:
    last = filters.year or (today or date.today()).year
    return list(range(last - YEARS_SHOWN + 1, last + 1))


@dataclass(frozen=True)
class YearRow:
    year: int
    titles: int  # emulation titles (danh hiệu)
    forms: int  # forms of commendation (hình thức khen thưởng)
    money: int  # VND

    @property
    def total(self) -> int:
        return self.titles + self.forms


def awards_by_year(filters: Filters, *, today: date | None = None) -> list[YearRow]:
    """Awards (decision items) and prize money per year of achievement, for the window of YEARS_SHOWN years."""
    years = year_window(filters, today)
    is_title = AwardType.category == AwardCategory.TITLE
    stmt = _awards(
        sa.select(Decision.year,
                  sa.func.sum(sa.case((is_title, 1), else_=0)),
                  sa.func.sum(sa.case((is_title, 0), else_=1)),
                  sa.func.coalesce(sa.func.sum(DecisionItem.amount), 0))
        .join(Decision, DecisionItem.decision_id == Decision.id)
        .join(AwardType, Decision.award_type_id == AwardType.id)
        .where(Decision.year.between(years[0], years[-1])).group_by(Decision.year), filters)
    found = {y: (int(t or 0), int(f or 0), int(m or 0)) for y, t, f, m in db.session.execute(stmt)}
    return [YearRow(y, *found.get(y, (0, 0, 0))) for y in years]


def _window_where(filters: Filters, today: date | None):
    if filters.year:
        return Decision.year == filters.year
    years = year_window(filters, today)
    return Decision.year.between(years[0], years[-1])


def awards_by_form(filters: Filters, *, today: date | None = None) -> list[tuple[str, str, int]]:
    """(code, name, count) per title or form, most first — for the chosen year, or the whole window."""
    stmt = _awards(
        sa.select(AwardType.code, sa.func.min(AwardType.name), sa.func.count())
        .select_from(DecisionItem).join(Decision, DecisionItem.decision_id == Decision.id)
        .join(AwardType, Decision.award_type_id == AwardType.id)
        .where(_window_where(filters, today)).group_by(AwardType.code), filters)
    return sorted(((c, n, k) for c, n, k in db.session.execute(stmt)), key=lambda r: (-r[2], r[0]))


def awards_by_unit(filters: Filters, *, today: date | None = None, top: int = TOP_UNITS) -> list[tuple[str, int]]:
    """(unit name, count) of the `top` units whose people or collectives received most awards (the item's unit)."""
    count = sa.func.count()
    stmt = _awards(
        sa.select(Unit.name, count).select_from(DecisionItem)
        .join(Decision, DecisionItem.decision_id == Decision.id)
        .join(Unit, DecisionItem.group_unit_id == Unit.id)
        .where(_window_where(filters, today)).group_by(Unit.id, Unit.name), filters)
    return [(name, n) for name, n in db.session.execute(stmt.order_by(count.desc(), Unit.name).limit(top))]


def campaigns_for_filter() -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.status != CampaignStatus.DRAFT)
                                   .order_by(Campaign.starts_on.desc(), Campaign.id)))
