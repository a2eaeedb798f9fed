"""Read queries over the registry: the award catalogue as the registry sees it, duplicate-person
detection, and the search of people and units (diacritic-insensitive, sorted the Vietnamese way).

Searches fold the typed text with `thidua.text.fold` and compare it with the stored folded names
using LIKE, which behaves the same on SQLite and PostgreSQL. A person's name is sorted by given
name, then middle names, then family name (`vi_name_key`); no column holds that key, so the
filtered set is sorted in Python when it is small enough (`SORT_LIMIT`) and approximately in SQL
(by the folded given name) beyond that.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from thidua.extensions import db
from thidua.org.models import Unit
from thidua.org.queries import descendant_ids
from thidua.rules.models import AwardType
from thidua.text import fold, vi_name_key, vi_text_key

from .models import AwardRecord, Person

# Above this many matching people the exact Vietnamese sort (done in Python) gives way to an
# approximate one done by the database; sorting 3,000 names takes about 30 ms.
SORT_LIMIT = 3000
PER_PAGE = 30


# --- the catalogue ------------------------------------------------------------------------------

def award_catalogue() -> dict[str, AwardType]:
    """The newest version of every award type, by code, in catalogue order."""
    types = db.session.scalars(
        sa.select(AwardType).order_by(AwardType.position, AwardType.code, AwardType.effective_from.desc())
    )
    catalogue: dict[str, AwardType] = {}
    for award_type in types:
        catalogue.setdefault(award_type.code, award_type)
    return catalogue


def version_for_year(versions: list[AwardType], year: int) -> AwardType | None:
    """Of one code's versions (oldest first), the one in force at the end of `year`; for years
    before the first version (historical awards), the earliest version."""
    if not versions:
        return None
    day = date(year, 12, 31)
    in_force = [v for v in versions if v.is_in_force(day)]
    if in_force:
        return in_force[-1]
    earlier = [v for v in versions if v.effective_from <= day]
    return earlier[-1] if earlier else versions[0]


def award_type_for(code: str, year: int) -> AwardType | None:
    """The version of `code` in force at the end of `year` (see `version_for_year`)."""
    return version_for_year(list(db.session.scalars(
        sa.select(AwardType).where(AwardType.code == code).order_by(AwardType.effective_from))), year)


def award_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} – {t.name}") for code, t in award_catalogue().items()]


# --- people -------------------------------------------------------------------------------------

def find_matches(full_name: str, birth_date: date | None, unit_id: int | None, *,
                 exclude_id: int | None = None) -> list[Person]:
    """Existing people with the same folded name, birth date and unit (a missing birth date or unit
    matches only a missing one), oldest record first."""
    stmt = sa.select(Person).where(Person.name_folded == fold(full_name))
    stmt = stmt.where(Person.birth_date.is_(None) if birth_date is None else Person.birth_date == birth_date)
    stmt = stmt.where(Person.unit_id.is_(None) if unit_id is None else Person.unit_id == unit_id)
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    return list(db.session.scalars(stmt.options(joinedload(Person.unit)).order_by(Person.id)))


def _name_condition(column, q: str):
    """Every word of `q` appears in the folded `column` ("nguyen an" finds "Nguyễn Văn An")."""
    words = fold(q).split()
    return sa.and_(*(column.contains(w, autoescape=True) for w in words)) if words else None


def _given_name_folded(column):
    """The last word of a folded name, in SQL that SQLite and PostgreSQL both accept: rtrim() with
    the set of the name's non-space characters strips the last word, leaving its start position."""
    return sa.func.substr(column, sa.func.length(sa.func.rtrim(column, sa.func.replace(column, " ", ""))) + 1)


@functools.lru_cache(maxsize=50_000)
def _name_key(full_name: str) -> tuple:
    return vi_name_key(full_name)


@functools.lru_cache(maxsize=50_000)
def _text_key(text: str) -> tuple:
    return vi_text_key(text)


class ListPagination(Pagination):
    """A page over a list already in memory (ids sorted in Python); same interface as
    `db.paginate`, so the `pager` macro works with it."""

    def _query_items(self) -> list:
        data = self._query_args["data"]
        return data[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["data"])


SORTS = {"given": "Tên, tên đệm, họ", "family": "Họ, tên đệm, tên"}


@dataclass
class Filters:
    """What the search box and its filters ask for; `scope` None means every unit."""

    q: str = ""
    unit_id: int | None = None
    year: int | None = None
    award_code: str | None = None
    scope: set[int] | None = None
    # Whether a national ID number typed in the box may find its holder: only for users who may see
    # national IDs ("person.personal_data"), or the search would tell anyone whose number it is.
    by_national_id: bool = True

    def unit_ids(self) -> set[int] | None:
        """The units the results may belong to: the chosen unit and its sub-units, within scope."""
        ids = descendant_ids([self.unit_id]) if self.unit_id else None
        if self.scope is not None:
            ids = set(self.scope) if ids is None else ids & self.scope
        return ids

    @property
    def empty(self) -> bool:
        return not (self.q.strip() or self.unit_id or self.year or self.award_code)


def _people_statement(filters: Filters, columns: Iterable) -> sa.Select:
    stmt = sa.select(*columns)
    condition = _name_condition(Person.name_folded, filters.q)
    if condition is not None:
        digits = filters.q.strip()
        if filters.by_national_id and digits.isdigit() and len(digits) >= 9:  # a national ID number typed in
            condition = condition | (Person.national_id == digits)
        stmt = stmt.where(condition)
    unit_ids = filters.unit_ids()
    if unit_ids is not None:
        stmt = stmt.where(Person.unit_id.in_(unit_ids))
    if filters.year or filters.award_code:
        award = sa.select(AwardRecord.id).where(AwardRecord.person_id == Person.id)
        if filters.year:
            award = award.where(AwardRecord.year == filters.year)
        if filters.award_code:
            award = award.where(AwardRecord.award_code == filters.award_code)
        stmt = stmt.where(award.exists())
    return stmt


def count_people(filters: Filters) -> int:
    return db.session.scalar(_people_statement(filters, [sa.func.count(Person.id)]))


@dataclass
class PeopleResult:
    page: Pagination
    exact_sort: bool
    # person id → their awards, newest first (for the list's "khen thưởng" column)
    awards: dict[int, list[AwardRecord]] = field(default_factory=dict)


def search_people(filters: Filters, *, sort: str = "given", page: int = 1, per_page: int = PER_PAGE) -> PeopleResult:
    """One page of the people matching `filters`, sorted the Vietnamese way. The number of queries
    does not depend on the page size: the matching ids and names are read once (up to SORT_LIMIT
    of them) and sorted in Python; beyond that the database counts and orders them approximately."""
    # The window count gives the number of matches with the first rows, so the approximate branch
    # needs no COUNT query of its own.
    rows = db.session.execute(_people_statement(
        filters, [Person.id, Person.full_name, sa.func.count().over().label("total")]).limit(SORT_LIMIT + 1)).all()
    if len(rows) <= SORT_LIMIT:
        key = _name_key if sort == "given" else _text_key
        ids = [r.id for r in sorted(rows, key=lambda r: (key(r.full_name), r.id))]
        pagination = ListPagination(page=page, per_page=per_page, error_out=False, data=ids)
        exact = True
    else:
        order = ([_given_name_folded(Person.name_folded), Person.name_folded] if sort == "given"
                 else [Person.name_folded])
        stmt = _people_statement(filters, [Person.id]).order_by(*order, Person.id)
        pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=False)
        pagination.total = rows[0].total
        exact = False
    ids = list(pagination.items)
    people = {p.id: p for p in db.session.scalars(
        sa.select(Person).where(Person.id.in_(ids)).options(joinedload(Person.unit)))} if ids else {}
    pagination.items = [people[i] for i in ids if i in people]
    return PeopleResult(page=pagination, exact_sort=exact, awards=awards_of_people(ids))


def awards_of_people(person_ids: list[int]) -> dict[int, list[AwardRecord]]:
    """Award records of these people, newest first, in one query (sorted here: with ORDER BY year the
    planner may walk the year index instead of looking the few people up)."""
    result: dict[int, list[AwardRecord]] = defaultdict(list)
    if person_ids:
        records = db.session.scalars(sa.select(AwardRecord).where(AwardRecord.person_id.in_(person_ids)))
        for record in sorted(records, key=lambda r: (-r.year, -r.id)):
            result[record.person_id].append(record)
    return result


# --- units --------------------------------------------------------------------------------------

def _units_statement(filters: Filters, columns: Iterable) -> sa.Select:
    stmt = sa.select(*columns)
    words = filters.q.strip()
    if words:
        condition = _name_condition(Unit.name_folded, words)
        stmt = stmt.where(condition | sa.func.lower(Unit.code).contains(words.lower(), autoescape=True))
    unit_ids = filters.unit_ids()
    if unit_ids is not None:
        stmt = stmt.where(Unit.id.in_(unit_ids))
    if filters.year or filters.award_code:
        award = sa.select(AwardRecord.id).where(AwardRecord.unit_id == Unit.id)
        if filters.year:
            award = award.where(AwardRecord.year == filters.year)
        if filters.award_code:
            award = award.where(AwardRecord.award_code == filters.award_code)
        stmt = stmt.where(award.exists())
    return stmt


def count_units(filters: Filters) -> int:
    return db.session.scalar(_units_statement(filters, [sa.func.count(Unit.id)]))


def search_units(filters: Filters, *, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """One page of the units matching `filters`, by Vietnamese alphabetical order of their names."""
    rows = db.session.execute(_units_statement(filters, [Unit.id, Unit.name, Unit.code])).all()
    ids = [r.id for r in sorted(rows, key=lambda r: (_text_key(r.name), r.code))]
    pagination = ListPagination(page=page, per_page=per_page, error_out=False, data=ids)
    units = {u.id: u for u in db.session.scalars(
        sa.select(Unit).where(Unit.id.in_(pagination.items)).options(joinedload(Unit.parent)))} if ids else {}
    pagination.items = [units[i] for i in pagination.items if i in units]
    return pagination


# --- histories ----------------------------------------------------------------------------------

def unit_awards(unit_ids: set[int]) -> list[AwardRecord]:
    """Collective awards of these units (a unit and the units it succeeds), newest first."""
    if not unit_ids:
        return []
    return list(db.session.scalars(
        sa.select(AwardRecord).where(AwardRecord.unit_id.in_(unit_ids)).options(joinedload(AwardRecord.unit))
        .order_by(AwardRecord.year.desc(), AwardRecord.decision_date.desc(), AwardRecord.id.desc())
    ))
