"""Read queries over the unit tree."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from thidua.extensions import db

from .models import Unit, UnitSuccession


def descendant_ids(unit_ids: Iterable[int], *, include_self: bool = True) -> set[int]:
    """Ids of the units below `unit_ids` at any depth (one recursive query)."""
    roots = list(unit_ids)
    if not roots:
        return set()
    tree = sa.select(Unit.id).where(Unit.id.in_(roots)).cte("tree", recursive=True)
    tree = tree.union(sa.select(Unit.id).join(tree, Unit.parent_id == tree.c.id))
    found = set(db.session.scalars(sa.select(tree.c.id)))
    return found if include_self else found - set(roots)


def ancestor_ids(unit_id: int) -> list[int]:
    """Ids from the unit's parent up to the root, nearest first."""
    ids: list[int] = []
    unit = db.session.get(Unit, unit_id)
    while unit is not None and unit.parent_id is not None and unit.parent_id not in ids:
        ids.append(unit.parent_id)
        unit = unit.parent
    return ids


def lineage_ids(unit_id: int) -> set[int]:
    """The unit and every unit it succeeds through mergers, transitively.

    History checks ("three consecutive years") look at the awards of all of these, so a ward
    formed in 2025 keeps the record of the wards it absorbed.
    """
    seen = {unit_id}
    frontier = {unit_id}
    while frontier:
        rows = db.session.scalars(
            sa.select(UnitSuccession.predecessor_id).where(UnitSuccession.successor_id.in_(frontier))
        )
        frontier = set(rows) - seen
        seen |= frontier
    return seen


def unit_choices(*, current_only: bool = True) -> list[tuple[int, str]]:
    """(id, "code – name") pairs for select fields, in tree order by code."""
    stmt = sa.select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)
    if current_only:
        stmt = stmt.where(Unit.valid_to.is_(None) | (Unit.valid_to >= sa.func.current_date()))
    return [(row.id, f"{row.code} – {row.name}") for row in db.session.execute(stmt)]
