"""The arithmetic of scoring, shared by councils and emulation clusters: pure functions, no database.

Conventions (documented here once, relied on by both domains):

* **Totals** — `sheet_total` weights each counted criterion's points by its weight; informational
  criteria are shown but never counted. The share is the weighted total over the weighted maximum.
* **Standard deviation** — the *population* sd (divide by n): the council's members are the whole
  population of scorers of a dossier, not a sample of some larger group.
* **Disagreement** — flagged when the spread (max − min) exceeds 25 % of the scale, or the sd exceeds
  10 % of the scale (values split into two camps; both thresholds are module constants).
* **Normalisation** — per scorer, z = (total − scorer's mean) / scorer's sd; the z-score is put back on
  the raw scale as mid + z × (range / 6) (±3 sd span the range) and clamped to [scale_min, scale_max].
  A scorer with fewer than `min_count` subjects, or who gave every subject the same total (sd 0), is
  left out and listed in `excluded`.
* **Ranking** — competition ranking (1, 2, 2, 4): equal keys share the rank and are marked `tied`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median as _median
from typing import Any

DISAGREEMENT_SPREAD = 0.25  # of the scale
DISAGREEMENT_SD = 0.10  # of the scale (sd ≤ spread / 2, so a lower bar than the spread one)


def _f(value) -> float:
    return float(value) if value is not None else 0.0


@dataclass(frozen=True)
class SheetTotal:
    total: float  # weighted points of the counted criteria
    maximum: float  # weighted maximum of the counted criteria
    percent: float | None  # total / maximum × 100 (None when the maximum is 0)


def sheet_total(scores: Mapping[Any, Any], criteria: Iterable[Any]) -> SheetTotal:
    """Weighted total of one sheet. `scores` maps criterion id → points (missing = not scored = 0);
    `criteria` have `id`, `weight`, `max_points`, `min_points` (optional) and `informational`."""
    total = maximum = 0.0
    for c in criteria:
        if getattr(c, "informational", False):
            continue
        w = _f(c.weight)
        maximum += w * _f(c.max_points)
        if scores.get(c.id) is not None:
            total += w * _f(scores[c.id])
    return SheetTotal(round(total, 4), round(maximum, 4), round(total / maximum * 100, 2) if maximum else None)


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None = None
    median: float | None = None
    sd: float | None = None  # population sd
    min: float | None = None
    max: float | None = None
    spread: float | None = None
    disagreement: bool = False


def summary(values: Iterable[Any], *, scale: float | None = None) -> Summary:
    """n, mean, median, population sd, min, max, spread and the disagreement flag of `values`.
    `scale` is the width of the scale (max − min possible); without it no disagreement is flagged."""
    xs = [_f(v) for v in values if v is not None]
    if not xs:
        return Summary(n=0)
    n = len(xs)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / n)
    lo, hi = min(xs), max(xs)
    spread = hi - lo
    disagree = bool(scale) and (spread > DISAGREEMENT_SPREAD * scale or sd > DISAGREEMENT_SD * scale)
    return Summary(n=n, mean=round(mean, 4), median=round(float(_median(xs)), 4), sd=round(sd, 4),
                   min=lo, max=hi, spread=round(spread, 4), disagreement=disagree)


@dataclass
class Normalised:
    values: dict[Hashable, dict[Hashable, float]] = field(default_factory=dict)  # scorer → subject → value
    excluded: set[Hashable] = field(default_factory=set)  # scorers left out (too few subjects, or sd 0)

    def by_subject(self) -> dict[Hashable, list[float]]:
        out: dict[Hashable, list[float]] = {}
        for per_subject in self.values.values():
            for subject, value in per_subject.items():
                out.setdefault(subject, []).append(value)
        return out


def normalise(per_scorer: Mapping[Hashable, Mapping[Hashable, Any]], *, scale_min: float, scale_max: float,
              min_count: int) -> Normalised:
    """Per-scorer z-scores rescaled to the raw range: mid + z × range / 6, clamped (see module doc)."""
    lo, hi = _f(scale_min), _f(scale_max)
    mid, unit = (lo + hi) / 2, (hi - lo) / 6
    result = Normalised()
    for scorer, totals in per_scorer.items():
        xs = {s: _f(v) for s, v in totals.items() if v is not None}
        if len(xs) < max(min_count, 2):
            result.excluded.add(scorer)
            continue
        mean = sum(xs.values()) / len(xs)
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs.values()) / len(xs))
        if sd == 0:
            result.excluded.add(scorer)
            continue
        result.values[scorer] = {s: round(min(hi, max(lo, mid + (x - mean) / sd * unit)), 4) for s, x in xs.items()}
    return result


@dataclass(frozen=True)
class Ranked:
    rank: int
    tied: bool
    item: Any


def rank(items: Sequence[Any], key: Callable[[Any], Any], *, descending: bool = True) -> list[Ranked]:
    """Competition ranking (1, 2, 2, 4). Items whose key is None come last, unranked (rank 0)."""
    scored = [i for i in items if key(i) is not None]
    unscored = [i for i in items if key(i) is None]
    ordered = sorted(scored, key=lambda i: _sortable(key(i)), reverse=descending)
    counts: dict[Any, int] = {}
    for i in ordered:
        counts[_sortable(key(i))] = counts.get(_sortable(key(i)), 0) + 1
    out: list[Ranked] = []
    previous, current = object(), 0
    for position, item in enumerate(ordered, start=1):
        k = _sortable(key(item))
        if k != previous:
            current, previous = position, k
        out.append(Ranked(rank=current, tied=counts[k] > 1, item=item))
    out.extend(Ranked(rank=0, tied=False, item=i) for i in unscored)
    return out


def _sortable(value):
    if isinstance(value, float | Decimal):
        return round(float(value), 4)
    return value
