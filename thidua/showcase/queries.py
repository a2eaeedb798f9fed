"""Read queries of good models: the signed-in registry list and the public pages.

The public queries select only published columns (never a Person row), so a template cannot leak a
birth date, an ID number or a position by accident, and each page costs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from thidua.awards.models import Decision, DecisionItem, DecisionStatus
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.permissions import is_reviewer, is_staff, officer_scope
from thidua.registry.models import AwardRecord, Person
from thidua.rules.models import AwardType
from thidua.text import fold

from .models import (
    FileKind,
    GoodModel,
    GoodModelFile,
    ModelField,
    ModelStatus,
    Replication,
    good_model_awards,
)

PER_PAGE = 12


@dataclass
class Filters:
    q: str = ""
    field: ModelField | None = None
    unit_id: int | None = None
    status: ModelStatus | None = None

    @classmethod
    def from_args(cls, args, *, with_status: bool = True) -> Filters:
        field = args.get("field") or None
        status = args.get("status") or None
        return cls(q=(args.get("q") or "").strip()[:200],
                   field=ModelField(field) if field in ModelField._value2member_map_ else None,
                   unit_id=args.get("unit", type=int),
                   status=ModelStatus(status) if with_status and status in ModelStatus._value2member_map_ else None)

    def args(self) -> dict:
        """The filters as URL arguments (for the pager's links)."""
        values = {"q": self.q, "field": self.field and self.field.value, "unit": self.unit_id,
                  "status": self.status and self.status.value}
        return {k: v for k, v in values.items() if v}


def _like(text: str) -> str:
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(stmt: sa.Select, filters: Filters) -> sa.Select:
    if filters.q:
        stmt = stmt.where(GoodModel.title_folded.like(_like(filters.q), escape="\\"))
    if filters.field:
        stmt = stmt.where(GoodModel.field == filters.field)
    if filters.unit_id:
        stmt = stmt.where(GoodModel.unit_id == filters.unit_id)
    if filters.status:
        stmt = stmt.where(GoodModel.status == filters.status)
    return stmt


def visible_to(user) -> sa.ColumnElement[bool]:
    """The rows of the registry `user` may open: the list's mirror of the rule "good_model.view"."""
    if is_staff(user) or is_reviewer(user):
        return sa.true()
    scope = officer_scope(user)
    recognised = GoodModel.status == ModelStatus.RECOGNISED
    return sa.or_(recognised, GoodModel.unit_id.in_(scope)) if scope else recognised


def registry_page(user, filters: Filters, *, page: int = 1):
    stmt = (_filtered(sa.select(GoodModel), filters).where(visible_to(user))
            .options(joinedload(GoodModel.unit)).order_by(GoodModel.created_at.desc(), GoodModel.id.desc()))
    return db.paginate(stmt, page=page, per_page=25, error_out=False)


def replication_counts(model_ids: list[int]) -> dict[int, int]:
    if not model_ids:
        return {}
    rows = db.session.execute(sa.select(Replication.good_model_id, sa.func.count())
                              .where(Replication.good_model_id.in_(model_ids)).group_by(Replication.good_model_id))
    return dict(rows.all())


def award_rows(model_id: int) -> list[sa.Row]:
    """The awards linked to a model, as published: award name, year, decision number and the awardee's
    name as printed on the decision (or the registry's name); revoked awards are left out."""
    name = sa.func.coalesce(DecisionItem.awardee_name, Person.full_name, Unit.name).label("awardee_name")
    stmt = (sa.select(AwardRecord.id, AwardRecord.award_name, AwardRecord.year, AwardRecord.decision_number,
                      AwardRecord.nominee_kind, name)
            .join(good_model_awards, good_model_awards.c.award_record_id == AwardRecord.id)
            .outerjoin(DecisionItem, DecisionItem.award_record_id == AwardRecord.id)
            .outerjoin(Person, Person.id == AwardRecord.person_id)
            .outerjoin(Unit, Unit.id == AwardRecord.unit_id)
            .where(good_model_awards.c.good_model_id == model_id, AwardRecord.revoked_on.is_(None),
                   DecisionItem.revoked_at.is_(None))
            .order_by(AwardRecord.year.desc(), AwardRecord.id))
    return list(db.session.execute(stmt))


def find_awards(q: str, *, limit: int = 30) -> list[AwardRecord]:
    """Registry awards whose awardee (person or collective) or award name matches `q`, newest first."""
    if not q.strip():
        return []
    pattern = _like(q)
    stmt = (sa.select(AwardRecord).outerjoin(Person, Person.id == AwardRecord.person_id)
            .outerjoin(Unit, Unit.id == AwardRecord.unit_id)
            .where(sa.or_(Person.name_folded.like(pattern, escape="\\"), Unit.name_folded.like(pattern, escape="\\")),
                   AwardRecord.revoked_on.is_(None))
            .options(joinedload(AwardRecord.person), joinedload(AwardRecord.unit))
            .order_by(AwardRecord.year.desc(), AwardRecord.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


# --- public pages --------------------------------------------------------------------------------------

def _first_photo_id():
    """Correlated subquery: the first public photo of the model in the outer query."""
    return (sa.select(sa.func.min(GoodModelFile.id))
            .where(GoodModelFile.good_model_id == GoodModel.id, GoodModelFile.kind == FileKind.PHOTO,
                   GoodModelFile.public.is_(True))
            .correlate(GoodModel).scalar_subquery().label("photo_id"))


@dataclass
class Card:
    id: int
    title: str
    summary: str
    field: ModelField
    unit_name: str
    recognised_on: date | None
    photo_id: int | None


def _cards(stmt: sa.Select) -> list[Card]:
    return [Card(r.id, r.title, r.summary, r.field, r.unit_name, r.recognised_on, r.photo_id)
            for r in db.session.execute(stmt)]


def _card_columns():
    return (GoodModel.id, GoodModel.title, GoodModel.summary, GoodModel.field, Unit.name.label("unit_name"),
            GoodModel.recognised_on, _first_photo_id())


def featured_cards(limit: int = 6) -> list[Card]:
    """Featured recognised models, most recently recognised first (one query)."""
    stmt = (sa.select(*_card_columns()).join(Unit, Unit.id == GoodModel.unit_id)
            .where(GoodModel.status == ModelStatus.RECOGNISED, GoodModel.featured.is_(True))
            .order_by(GoodModel.recognised_on.desc(), GoodModel.id.desc()).limit(limit))
    return _cards(stmt)


@dataclass
class CardPage:
    items: list[Card]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def iter_pages(self):
        return range(1, self.pages + 1)


def showcase_page(filters: Filters, *, page: int = 1, per_page: int = PER_PAGE) -> CardPage:
    """One page of recognised models matching `filters`, with the total count, in one query (a window
    count instead of a second COUNT query)."""
    page = max(page, 1)
    total = sa.func.count().over().label("total")
    stmt = (_filtered(sa.select(*_card_columns(), total), Filters(filters.q, filters.field, filters.unit_id))
            .join(Unit, Unit.id == GoodModel.unit_id)
            .where(GoodModel.status == ModelStatus.RECOGNISED)
            .order_by(GoodModel.featured.desc(), GoodModel.recognised_on.desc(), GoodModel.id.desc())
            .limit(per_page).offset((page - 1) * per_page))
    rows = list(db.session.execute(stmt))
    items = [Card(r.id, r.title, r.summary, r.field, r.unit_name, r.recognised_on, r.photo_id) for r in rows]
    return CardPage(items=items, total=rows[0].total if rows else 0, page=page, per_page=per_page)


def showcase_units() -> list[tuple[int, str]]:
    """Units that have a recognised model, for the showcase's unit filter."""
    stmt = (sa.select(Unit.id, Unit.name).where(sa.exists().where(GoodModel.unit_id == Unit.id,
                                                                  GoodModel.status == ModelStatus.RECOGNISED))
            .order_by(Unit.name))
    return [(r.id, r.name) for r in db.session.execute(stmt)]


@dataclass
class RecentDecision:
    number: str
    signed_on: date
    award_name: str
    issuer_name: str
    awardees: int


def recent_decisions(limit: int = 8) -> list[RecentDecision]:
    """Recently issued decisions as published: number, date, form, issuer and how many awardees
    (revoked ones left out) — no names, no amounts. One query."""
    awardees = (sa.select(sa.func.count(DecisionItem.id))
                .where(DecisionItem.decision_id == Decision.id, DecisionItem.revoked_at.is_(None))
                .correlate(Decision).scalar_subquery())
    stmt = (sa.select(Decision.number, Decision.signed_on, AwardType.name.label("award_name"),
                      Unit.name.label("issuer_name"), awardees.label("awardees"))
            .join(AwardType, AwardType.id == Decision.award_type_id)
            .join(Unit, Unit.id == Decision.issuer_unit_id)
            .where(Decision.status == DecisionStatus.ISSUED)
            .order_by(Decision.signed_on.desc(), Decision.id.desc()).limit(limit))
    return [RecentDecision(*row) for row in db.session.execute(stmt)]


def public_model(model_id: int) -> GoodModel | None:
    """A recognised model with its unit, public photos and replications (and their units) loaded."""
    stmt = (sa.select(GoodModel).where(GoodModel.id == model_id, GoodModel.status == ModelStatus.RECOGNISED)
            .options(joinedload(GoodModel.unit), joinedload(GoodModel.campaign)))
    return db.session.scalar(stmt)


def public_photos(model_id: int) -> list[GoodModelFile]:
    stmt = (sa.select(GoodModelFile).where(GoodModelFile.good_model_id == model_id,
                                           GoodModelFile.kind == FileKind.PHOTO, GoodModelFile.public.is_(True))
            .order_by(GoodModelFile.position, GoodModelFile.id))
    return list(db.session.scalars(stmt))


def replications_of(model_id: int) -> list[Replication]:
    stmt = (sa.select(Replication).where(Replication.good_model_id == model_id)
            .options(joinedload(Replication.unit)).order_by(Replication.adopted_on, Replication.id))
    return list(db.session.scalars(stmt))


def last_modified(model: GoodModel, photos: list[GoodModelFile], replications: list[Replication]) -> datetime:
    stamps = [model.updated_at or model.created_at, *(p.uploaded_at for p in photos),
              *(r.created_at for r in replications)]
    return max(s for s in stamps if s is not None)
