"""The eligibility engine: one place that evaluates the check codes stored on each award type
(`AwardType.checks`) against the registry (awards, evaluations, initiatives, discipline) and the live
dossiers, per domain.md §1d.

Every check answers PASS, FAIL or UNKNOWN with a concrete Vietnamese reason and the legal reference.
Missing data (no evaluation, no hire date, no member list) gives UNKNOWN with what to add, never FAIL;
a title that is only proposed (a live dossier, no decision yet) also gives UNKNOWN.

History is read with a fixed, small number of queries per evaluation, whatever the length of the
record: each data set (award records, evaluations, initiatives, discipline, live dossiers, members) is
loaded once, and only when a check needs it. For a collective, the records of every unit it succeeds
(`lineage_ids`) count too, so "consecutive years" holds across the 2025 mergers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import sqlalchemy as sa

from thidua.enums import LabeledEnum
from thidua.extensions import db
from thidua.nominations.models import ACTIVE_STATUSES, Nomination
from thidua.org.models import Unit
from thidua.org.queries import lineage_ids
from thidua.registry.models import (
    AnnualEvaluation,
    AwardRecord,
    DisciplineRecord,
    Initiative,
    Person,
    Rating,
    RecognitionLevel,
)

from .models import AwardType

LDTT, CSTDCS, CSTDT = "LDTT", "CSTDCS", "CSTDT"

INDIVIDUAL, COLLECTIVE = "individual", "collective"
BOTH = frozenset({INDIVIDUAL, COLLECTIVE})

# Circular 01/2024/TT-BNV: no LĐTT for people hired less than 6 months before the end of the year
# (the earlier rule was 10 months).
TENURE_MONTHS = 6

# Short forms used in reasons and quota messages; other codes use the catalogue name.
SHORT_NAMES = {
    "LDTT": "LĐTT",
    "CSTDCS": "CSTĐCS",
    "CSTDT": "CSTĐ cấp tỉnh",
    "CSTDTQ": "CSTĐ toàn quốc",
    "TTLDTT": "TTLĐTT",
    "TTLDXS": "TTLĐXS",
}

PRIOR, PRIOR_SAME_YEAR = "prior", "prior_same_year"
MIN_YEARS = "min_years_between"  # added automatically when `AwardType.min_years_between` is set


class Outcome(LabeledEnum):
    PASS = ("pass", "Đạt")
    FAIL = ("fail", "Không đạt")
    UNKNOWN = ("unknown", "Chưa đủ dữ liệu")


@dataclass(frozen=True)
class CheckResult:
    code: str
    label: str  # what is checked
    outcome: Outcome
    reason: str  # what was found: years, records, counts
    legal_ref: str | None


class UnknownCheck(ValueError):
    """A check code the engine does not implement; the message (Vietnamese) names it."""

    def __init__(self, code: str):
        super().__init__(f"Điều kiện “{code}” không có trong bộ kiểm tra tự động.")
        self.code = code


Verdict = tuple[Outcome, str]


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    legal_ref: str | None  # None: the award type's own reference
    subjects: frozenset[str]
    run: Callable[[_History, str | None], Verdict]
    parametric: bool = False  # "prior:<CODE>": the parameter is an award code


# --- formatting --------------------------------------------------------------------------------

def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "?"


def _years(years: Iterable[int]) -> str:
    return ", ".join(str(y) for y in sorted(set(years)))


def _pct(part: int, whole: int) -> str:
    text = f"{part * 100 / whole:.1f}".removesuffix(".0")
    return text.replace(".", ",") + "%"


def short_name(code: str, names: dict[str, str] | None = None) -> str:
    """"CSTĐCS" for CSTDCS; the catalogue name (or the code) for the rest."""
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    names = names if names is not None else award_names()
    return names.get(code, code)


def award_names() -> dict[str, str]:
    """Code → name of the latest version of each catalogue entry (one query)."""
    rows = db.session.execute(sa.select(AwardType.code, AwardType.name).order_by(AwardType.effective_from))
    return {code: name for code, name in rows}


def _initiative_text(i: Initiative, attached: set[int]) -> str:
    kind = "Đề tài" if i.is_research else "Sáng kiến"
    ref = f", {i.decision_ref}" if i.decision_ref else ""
    mark = ", đã gắn vào hồ sơ" if i.id in attached else ""
    recognised = f"công nhận {_d(i.recognised_on)}" if i.recognised_on else "chưa có ngày công nhận"
    return f"{kind} “{i.title}” ({i.level.label}, {recognised}{ref}{mark})"


# --- the nominee's history, loaded once per evaluation -----------------------------------------

@dataclass(frozen=True)
class _Pending:
    id: int
    code: str
    year: int
    status_label: str
    unit_name: str


class _History:
    """Everything the checks read about one nominee; each property is one query, run on first use."""

    def __init__(self, award_type: AwardType, *, person: Person | None, unit: Unit | None, year: int,
                 initiatives: Sequence[Initiative], exclude_nomination_id: int | None, today: date):
        self.award_type = award_type
        self.person = person
        self.unit = unit
        self.year = year
        self.linked = list(initiatives)
        self.exclude_id = exclude_nomination_id
        self.today = today
        self.subject = INDIVIDUAL if person is not None else COLLECTIVE

    @property
    def code(self) -> str:
        return self.award_type.code

    def name(self, code: str) -> str:
        return short_name(code, self.names)

    @cached_property
    def names(self) -> dict[str, str]:
        return award_names()

    # records of the nominee ---------------------------------------------------------------------
    @cached_property
    def lineage(self) -> set[int]:
        if self.unit is None or self.unit.id is None:
            return set()
        return lineage_ids(self.unit.id)

    @cached_property
    def unit_names(self) -> dict[int, str]:
        if len(self.lineage) <= 1:
            return {}
        return dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(self.lineage))).all())

    @cached_property
    def awards(self) -> dict[str, dict[int, list[AwardRecord]]]:
        """code → year → records of the nominee (for a collective: of its whole lineage)."""
        found: dict[str, dict[int, list[AwardRecord]]] = defaultdict(lambda: defaultdict(list))
        if self.person is not None:
            if self.person.id is None:
                return found
            where = AwardRecord.person_id == self.person.id
        else:
            if not self.lineage:
                return found
            where = AwardRecord.unit_id.in_(self.lineage)
        # A revoked award (thu hồi) stays in the registry for history but no longer counts.
        for record in db.session.scalars(sa.select(AwardRecord).where(where, AwardRecord.revoked_on.is_(None))
                                         .order_by(AwardRecord.year, AwardRecord.id)):
            found[record.award_code][record.year].append(record)
        return found

    def record_text(self, record: AwardRecord, *, with_year: bool = True) -> str:
        """"2024 – QĐ 12/QĐ-UBND – của Phường Trường Thi" (the unit only when it is a predecessor)."""
        parts = [str(record.year)] if with_year else []
        if record.decision_number:
            parts.append(f"QĐ {record.decision_number}")
        if self.unit is not None and record.unit_id != self.unit.id and record.unit_id in self.unit_names:
            parts.append(f"của {self.unit_names[record.unit_id]}")
        return " – ".join(parts)

    @cached_property
    def evaluations(self) -> dict[int, tuple[Rating, int | None]]:
        """year → (rating, unit id it belongs to). For a collective the unit's own rating wins; for a
        year it has none, the best rating among the units it succeeds."""
        result: dict[int, tuple[Rating, int | None]] = {}
        if self.person is not None:
            if self.person.id is None:
                return result
            rows = db.session.execute(sa.select(AnnualEvaluation.year, AnnualEvaluation.rating)
                                      .where(AnnualEvaluation.person_id == self.person.id))
            return {y: (r, None) for y, r in rows}
        if not self.lineage:
            return result
        rows = db.session.execute(sa.select(AnnualEvaluation.year, AnnualEvaluation.rating, AnnualEvaluation.unit_id)
                                  .where(AnnualEvaluation.unit_id.in_(self.lineage)))
        for y, rating, unit_id in rows:
            current = result.get(y)
            own = unit_id == self.unit.id
            if current is None or own or (current[1] != self.unit.id and rating.rank < current[0].rank):
                result[y] = (rating, unit_id)
        return result

    def rating_text(self, y: int) -> str:
        rating, unit_id = self.evaluations[y]
        text = f"năm {y}: {rating.label}"
        if self.unit is not None and unit_id != self.unit.id and unit_id in self.unit_names:
            text += f" (của {self.unit_names[unit_id]})"
        return text

    @cached_property
    def initiatives(self) -> list[Initiative]:
        """The person's initiatives in the registry plus those linked to the dossier."""
        found: list[Initiative] = []
        if self.person is not None and self.person.id is not None:
            found = list(db.session.scalars(
                sa.select(Initiative).where(Initiative.person_id == self.person.id)
                .options(sa.orm.joinedload(Initiative.used_by_award)).order_by(Initiative.recognised_on,
                                                                                Initiative.id)
            ).unique())
        known = {i.id for i in found}
        found.extend(i for i in self.linked if i.id is None or i.id not in known)
        return found

    @cached_property
    def attached(self) -> set[int]:
        return {i.id for i in self.linked if i.id is not None}

    def usable(self, initiative: Initiative) -> bool:
        """Not yet the basis of an award, other than the award this very dossier became."""
        used = initiative.used_by_award
        if initiative.used_by_award_id is None and used is None:
            return True
        return used is not None and used.award_code == self.code and used.year == self.year

    @cached_property
    def discipline(self) -> list[DisciplineRecord]:
        if self.person is None or self.person.id is None:
            return []
        return list(db.session.scalars(sa.select(DisciplineRecord).where(DisciplineRecord.person_id == self.person.id)
                                       .order_by(DisciplineRecord.starts_on)))

    @cached_property
    def counting_from(self) -> tuple[date, DisciplineRecord] | None:
        """After a discipline period ends, achievements count only from the day after its end."""
        ended = [r for r in self.discipline if r.ends_on is not None and r.ends_on < self.today]
        if not ended:
            return None
        last = max(ended, key=lambda r: r.ends_on)
        return last.ends_on + timedelta(days=1), last

    def year_counts(self, y: int) -> bool:
        return self.counting_from is None or date(y, 1, 1) >= self.counting_from[0]

    def day_counts(self, day: date) -> bool:
        return self.counting_from is None or day >= self.counting_from[0]

    def discipline_note(self, years: Iterable[int]) -> str:
        excluded = [y for y in years if not self.year_counts(y)]
        if not excluded:
            return ""
        start, record = self.counting_from
        return (f" Năm {_years(excluded)} không được tính vì kỷ luật {record.level} kết thúc ngày "
                f"{_d(record.ends_on)} (thành tích tính từ {_d(start)}).")

    # live dossiers --------------------------------------------------------------------------------
    @cached_property
    def pending(self) -> dict[str, dict[int, list[_Pending]]]:
        """code → year → other live dossiers of the same nominee (not this one)."""
        found: dict[str, dict[int, list[_Pending]]] = defaultdict(lambda: defaultdict(list))
        if self.person is not None:
            if self.person.id is None:
                return found
            where = Nomination.person_id == self.person.id
        else:
            if self.unit is None or self.unit.id is None:
                return found
            where = Nomination.nominee_unit_id == self.unit.id
        stmt = (sa.select(Nomination.id, Nomination.year, Nomination.status, AwardType.code, Unit.name)
                .join(AwardType, Nomination.award_type_id == AwardType.id)
                .join(Unit, Nomination.unit_id == Unit.id)
                .where(where, Nomination.status.in_(sorted(ACTIVE_STATUSES)))
                .order_by(Nomination.id))
        if self.exclude_id is not None:
            stmt = stmt.where(Nomination.id != self.exclude_id)
        for nid, y, status, code, unit_name in db.session.execute(stmt):
            found[code][y].append(_Pending(nid, code, y, status.label, unit_name))
        return found

    # members of a collective -----------------------------------------------------------------------
    @cached_property
    def members(self) -> list[Person]:
        if self.unit is None or self.unit.id is None:
            return []
        return list(db.session.scalars(sa.select(Person).where(Person.unit_id == self.unit.id)
                                       .order_by(Person.id)))

    def _member_ids(self):
        return sa.select(Person.id).where(Person.unit_id == self.unit.id).scalar_subquery()

    @cached_property
    def member_ratings(self) -> dict[int, Rating]:
        if not self.members:
            return {}
        return dict(db.session.execute(
            sa.select(AnnualEvaluation.person_id, AnnualEvaluation.rating)
            .where(AnnualEvaluation.person_id.in_(self._member_ids()), AnnualEvaluation.year == self.year)
        ).all())

    @cached_property
    def member_titles(self) -> dict[str, set[int]]:
        """code → ids of members holding it in the year."""
        found: dict[str, set[int]] = defaultdict(set)
        if self.members:
            for pid, code in db.session.execute(
                sa.select(AwardRecord.person_id, AwardRecord.award_code)
                .where(AwardRecord.person_id.in_(self._member_ids()), AwardRecord.year == self.year,
                       AwardRecord.revoked_on.is_(None))
            ):
                found[code].add(pid)
        return found

    @cached_property
    def member_pending(self) -> dict[str, set[int]]:
        """code → ids of members with a live dossier for it in the year."""
        found: dict[str, set[int]] = defaultdict(set)
        if self.members:
            for pid, code in db.session.execute(
                sa.select(Nomination.person_id, AwardType.code)
                .join(AwardType, Nomination.award_type_id == AwardType.id)
                .where(Nomination.person_id.in_(self._member_ids()), Nomination.year == self.year,
                       Nomination.status.in_(sorted(ACTIVE_STATUSES)))
            ):
                found[code].add(pid)
        return found

    # shared answers --------------------------------------------------------------------------------
    def title_in(self, code: str, y: int) -> list[AwardRecord]:
        return self.awards.get(code, {}).get(y, [])

    def pending_in(self, code: str, y: int) -> list[_Pending]:
        return self.pending.get(code, {}).get(y, [])

    def consecutive(self, code: str, years: list[int]) -> Verdict:
        """The nominee holds `code` in each of `years` (records that count after any discipline)."""
        name = self.name(code)
        held = {y: self.title_in(code, y) for y in years}
        found = [y for y in years if held[y]]
        counted = [y for y in found if self.year_counts(y)]
        note = self.discipline_note(found)
        missing = [y for y in years if y not in counted]
        if not missing:
            if len(years) == 1:
                ref = self.record_text(held[years[0]][0], with_year=False)
                return Outcome.PASS, f"Đạt {name} năm {years[0]}" + (f" ({ref})." if ref else ".")
            texts = "; ".join(self.record_text(held[y][0]) for y in years)
            return Outcome.PASS, f"Đạt {name} các năm {_years(years)} ({texts})."
        waiting = [y for y in missing if y not in found and self.pending_in(code, y)]
        if waiting and set(missing) == set(waiting):
            p = self.pending_in(code, waiting[0])[0]
            proposed = (f"năm {_years(waiting)} đang đề nghị {name} (hồ sơ số {p.id}, {p.status_label}), "
                        f"chờ quyết định.")
            if counted:
                return Outcome.UNKNOWN, f"Có {name} năm {_years(counted)}; {proposed}"
            return Outcome.UNKNOWN, proposed[0].upper() + proposed[1:]
        if counted:
            have = f" (có: {_years(counted)})"
        else:
            have = " (không có năm nào được tính)" if found else " (không có năm nào trong sổ)"
        if len(years) == 1 and not found:
            return Outcome.FAIL, f"Chưa có {name} năm {years[0]} trong sổ."
        return Outcome.FAIL, f"Thiếu {name} năm {_years(missing)}{have}.{note}"

    def initiatives_between(self, first: int, last: int, *, min_level: RecognitionLevel
                            ) -> tuple[list[Initiative], list[Initiative], list[Initiative]]:
        """(usable, used elsewhere, undated) initiatives of at least `min_level` recognised in first..last."""
        usable: list[Initiative] = []
        used: list[Initiative] = []
        undated: list[Initiative] = []
        for i in self.initiatives:
            if i.level.rank < min_level.rank:
                continue
            if i.recognised_on is None:
                undated.append(i)
            elif first <= i.recognised_on.year <= last and self.day_counts(i.recognised_on):
                (usable if self.usable(i) else used).append(i)
        return usable, used, undated


# --- the checks ------------------------------------------------------------------------------------

def _no_rating(h: _History, y: int) -> str:
    who = "của tập thể " if h.subject == COLLECTIVE else ""
    return f"Chưa có kết quả đánh giá {who}năm {y} trong sổ; hãy bổ sung kết quả đánh giá, xếp loại."


def _evaluation_at_least_good(h: _History, _param) -> Verdict:
    if h.year not in h.evaluations:
        return Outcome.UNKNOWN, _no_rating(h, h.year)
    rating = h.evaluations[h.year][0]
    outcome = Outcome.PASS if rating.at_least(Rating.GOOD) else Outcome.FAIL
    return outcome, f"Xếp loại {h.rating_text(h.year)}."


def _tenure_6_months(h: _History, _param) -> Verdict:
    hired = h.person.hired_on
    if hired is None:
        return Outcome.UNKNOWN, "Chưa có ngày tuyển dụng trong sổ; hãy bổ sung ngày tuyển dụng."
    # TENURE_MONTHS whole months by 31/12: hired on or before 01/7 of the year.
    latest = date(h.year, 13 - TENURE_MONTHS, 1)
    if hired <= latest:
        return Outcome.PASS, f"Tuyển dụng ngày {_d(hired)}, đủ {TENURE_MONTHS} tháng tính đến 31/12/{h.year}."
    return Outcome.FAIL, (f"Tuyển dụng ngày {_d(hired)}, chưa đủ {TENURE_MONTHS} tháng tính đến 31/12/{h.year} "
                          f"(phải tuyển dụng từ ngày {_d(latest)} trở về trước).")


def _discipline_text(r: DisciplineRecord) -> str:
    end = f"đến {_d(r.ends_on)}" if r.ends_on else "chưa kết thúc"
    return f"{r.level} từ {_d(r.starts_on)} {end}"


def _no_pending_discipline(h: _History, _param) -> Verdict:
    running = [r for r in h.discipline if r.ends_on is None or r.ends_on >= h.today]
    if running:
        return Outcome.FAIL, (f"Đang trong thời gian kỷ luật hoặc xem xét xử lý ({_discipline_text(running[0])}); "
                              f"chưa được khen thưởng, đề nghị khen thưởng.")
    start, end = date(h.year, 1, 1), date(h.year, 12, 31)
    in_year = [r for r in h.discipline if r.starts_on <= end and r.ends_on >= start]
    if in_year:
        r = in_year[-1]
        return Outcome.FAIL, (f"Bị kỷ luật trong năm {h.year} ({_discipline_text(r)}); thành tích chỉ được tính "
                              f"từ ngày {_d(r.ends_on + timedelta(days=1))}.")
    if h.counting_from:
        start_from, r = h.counting_from
        return Outcome.PASS, (f"Không đang bị kỷ luật. Kỷ luật {_discipline_text(r)} đã kết thúc; thành tích "
                              f"được tính từ ngày {_d(start_from)}.")
    return Outcome.PASS, "Không có kỷ luật nào trong sổ."


def _not_awarded_same_year(h: _History, _param) -> Verdict:
    name = h.name(h.code)
    own = [r for r in h.title_in(h.code, h.year) if h.person is not None or r.unit_id == h.unit.id]
    if own:
        ref = h.record_text(own[0], with_year=False)
        return Outcome.FAIL, f"Đã được tặng {name} năm {h.year}" + (f" ({ref})." if ref else ".")
    others = h.pending_in(h.code, h.year)
    if others:
        p = others[0]
        return Outcome.FAIL, (f"Đã có hồ sơ khác đề nghị {name} năm {h.year} cho cùng đối tượng "
                              f"(hồ sơ số {p.id} của {p.unit_name}, {p.status_label}).")
    return Outcome.PASS, f"Chưa được tặng và không có hồ sơ nào khác đề nghị {name} năm {h.year}."


def _ldtt_same_year(h: _History, _param) -> Verdict:
    return h.consecutive(LDTT, [h.year])


def _excellent_or_initiative(h: _History, _param) -> Verdict:
    rating = h.evaluations.get(h.year)
    if rating and rating[0] == Rating.EXCELLENT:
        return Outcome.PASS, f"Xếp loại {h.rating_text(h.year)}."
    usable, used, undated = h.initiatives_between(h.year, h.year, min_level=RecognitionLevel.UNIT)
    if usable:
        return Outcome.PASS, f"{_initiative_text(usable[0], h.attached)}."
    found = f"Xếp loại {h.rating_text(h.year)}" if rating else f"Chưa có kết quả đánh giá năm {h.year}"
    extra = ""
    if used:
        extra += f" {len(used)} sáng kiến năm {h.year} đã được dùng để khen thưởng nên không tính lại."
    if undated:
        return Outcome.UNKNOWN, (f"{found}; {_initiative_text(undated[0], h.attached)} chưa có ngày công nhận — "
                                 f"hãy bổ sung.{extra}")
    if rating is None:
        return Outcome.UNKNOWN, (f"{found} và chưa có sáng kiến, đề tài được công nhận năm {h.year} trong sổ; "
                                 f"hãy bổ sung kết quả đánh giá hoặc sáng kiến.{extra}")
    return Outcome.FAIL, f"{found}; không có sáng kiến, đề tài nào được công nhận năm {h.year}.{extra}"


def _three_consecutive_cstdcs(h: _History, _param) -> Verdict:
    return h.consecutive(CSTDCS, [h.year - 2, h.year - 1, h.year])


def _two_consecutive_cstdt(h: _History, _param) -> Verdict:
    # Each CSTĐ cấp tỉnh covers three years, so two consecutive ones are `year - 3` and `year`.
    return h.consecutive(CSTDT, [h.year - 3, h.year])


def _initiative_at(level: RecognitionLevel) -> Callable[[_History, str | None], Verdict]:
    def run(h: _History, _param) -> Verdict:
        first = h.year - 2
        usable, used, undated = h.initiatives_between(first, h.year, min_level=level)
        if usable:
            return Outcome.PASS, f"{_initiative_text(usable[0], h.attached)}."
        scope = f"phạm vi {level.label.lower()} trở lên" if level != RecognitionLevel.NATIONAL else "phạm vi toàn quốc"
        extra = ""
        if used:
            extra = (f" Đã loại {len(used)} sáng kiến đã dùng để khen thưởng: "
                     f"{'; '.join(_initiative_text(i, h.attached) for i in used)}.")
        if undated:
            return Outcome.UNKNOWN, (f"{_initiative_text(undated[0], h.attached)} chưa có ngày công nhận; hãy bổ "
                                     f"sung để xác định có thuộc giai đoạn {first}–{h.year} không.{extra}")
        note = h.discipline_note(range(first, h.year + 1))
        return Outcome.FAIL, (f"Không có sáng kiến, đề tài {scope} được công nhận trong giai đoạn {first}–{h.year} "
                              f"mà chưa dùng để khen thưởng.{extra}{note}")

    return run


def _bk_tinh(h: _History, _param) -> Verdict:
    years = [h.year - 1, h.year]
    if h.subject == COLLECTIVE:
        found = "; ".join(h.rating_text(y) for y in years if y in h.evaluations)
        if any(h.evaluations[y][0] != Rating.EXCELLENT for y in years if y in h.evaluations):
            return Outcome.FAIL, f"Chưa đủ 02 năm liên tục hoàn thành xuất sắc nhiệm vụ ({found})."
        missing = [y for y in years if y not in h.evaluations]
        if missing:
            return Outcome.UNKNOWN, _no_rating(h, missing[0]) + (f" Đã có: {found}." if found else "")
        return Outcome.PASS, f"Hoàn thành xuất sắc nhiệm vụ 02 năm liên tục ({found})."

    # Route 1: two consecutive CSTĐCS.
    route_a, reason_a = h.consecutive(CSTDCS, years)
    if route_a == Outcome.PASS:
        return route_a, reason_a
    # Route 2: two consecutive excellent years with two initiatives not yet used for an award (MoHA 2025:
    # initiatives that earned a CSTĐCS cannot be counted again).
    usable, used, undated = h.initiatives_between(years[0], years[-1], min_level=RecognitionLevel.UNIT)
    ratings = {y: h.evaluations[y][0] for y in years if y in h.evaluations}
    if any(r != Rating.EXCELLENT for r in ratings.values()) or not all(h.year_counts(y) for y in years):
        rating_state = Outcome.FAIL
    else:
        rating_state = Outcome.PASS if len(ratings) == len(years) else Outcome.UNKNOWN
    if len(usable) >= 2:
        initiative_state = Outcome.PASS
    else:
        initiative_state = Outcome.UNKNOWN if len(usable) + len(undated) >= 2 else Outcome.FAIL
    if rating_state == initiative_state == Outcome.PASS:
        listed = "; ".join(_initiative_text(i, h.attached) for i in usable[:2])
        return Outcome.PASS, (f"Hoàn thành xuất sắc nhiệm vụ năm {years[0]} và {years[1]}, có 02 sáng kiến chưa "
                              f"dùng để khen thưởng: {listed}.")
    found = "; ".join(h.rating_text(y) for y in years if y in ratings) or "chưa có kết quả đánh giá"
    reason_b = (f"chưa đủ 02 năm hoàn thành xuất sắc nhiệm vụ kèm 02 sáng kiến chưa dùng để khen thưởng "
                f"({found}; {len(usable)} sáng kiến được tính"
                + (f", {len(undated)} sáng kiến chưa có ngày công nhận" if undated else "")
                + (f", đã loại {len(used)} sáng kiến đã dùng" if used else "") + ").")
    route_b = Outcome.FAIL if Outcome.FAIL in (rating_state, initiative_state) else Outcome.UNKNOWN
    note = h.discipline_note(years)
    note = "" if note in reason_a else note
    if Outcome.UNKNOWN in (route_a, route_b):
        return Outcome.UNKNOWN, f"{reason_a} Cách thứ hai: {reason_b} Hãy bổ sung dữ liệu còn thiếu."
    return Outcome.FAIL, f"{reason_a} Cách thứ hai: {reason_b}{note}"


def _members_share(numerator: int, denominator: int, *, strict: bool) -> Callable[[_History, str | None], Verdict]:
    """> numerator/denominator of members (strict) or ≥ it hold LĐTT in the year."""

    def meets(count: int, total: int) -> bool:
        # Integer arithmetic: 50% of 10 members is exactly 5, never 4.999….
        return count * denominator > total * numerator if strict else count * denominator >= total * numerator

    def run(h: _History, _param) -> Verdict:
        total = len(h.members)
        if not total:
            return Outcome.UNKNOWN, ("Chưa có danh sách thành viên của tập thể trong sổ; hãy bổ sung cá nhân "
                                     "thuộc đơn vị.")
        holders = h.member_titles.get(LDTT, set())
        count = len(holders)
        share = f"{count}/{total} thành viên ({_pct(count, total)}) đạt LĐTT năm {h.year}"
        if meets(count, total):
            return Outcome.PASS, share + "."
        waiting = len(h.member_pending.get(LDTT, set()) - holders)
        if waiting and meets(count + waiting, total):
            return Outcome.UNKNOWN, f"{share}; thêm {waiting} người đang được đề nghị LĐTT, chờ quyết định."
        need = next(n for n in range(count, total + 1) if meets(n, total))
        return Outcome.FAIL, f"{share}; cần ít nhất {need} người."

    return run


def _members_all_completed(h: _History, _param) -> Verdict:
    total = len(h.members)
    if not total:
        return Outcome.UNKNOWN, "Chưa có danh sách thành viên của tập thể trong sổ; hãy bổ sung cá nhân thuộc đơn vị."
    failed = [m for m in h.members if m.id in h.member_ratings and not h.member_ratings[m.id].at_least(Rating.COMPLETED)]
    missing = [m for m in h.members if m.id not in h.member_ratings]
    if failed:
        return Outcome.FAIL, (f"{len(failed)}/{total} thành viên không hoàn thành nhiệm vụ năm {h.year}: "
                              f"{', '.join(m.full_name for m in failed[:5])}.")
    if missing:
        names = ", ".join(m.full_name for m in missing[:5]) + ("…" if len(missing) > 5 else "")
        return Outcome.UNKNOWN, (f"Chưa có kết quả đánh giá năm {h.year} của {len(missing)}/{total} thành viên: "
                                 f"{names}.")
    return Outcome.PASS, f"Cả {total}/{total} thành viên hoàn thành nhiệm vụ trở lên năm {h.year}."


def _member_cstdcs(h: _History, _param) -> Verdict:
    if not h.members:
        return Outcome.UNKNOWN, "Chưa có danh sách thành viên của tập thể trong sổ; hãy bổ sung cá nhân thuộc đơn vị."
    holders = h.member_titles.get(CSTDCS, set())
    if holders:
        names = ", ".join(m.full_name for m in h.members if m.id in holders)
        return Outcome.PASS, f"{len(holders)} thành viên đạt CSTĐCS năm {h.year}: {names}."
    if h.member_pending.get(CSTDCS):
        return Outcome.UNKNOWN, (f"Chưa có thành viên đạt CSTĐCS năm {h.year}; "
                                 f"{len(h.member_pending[CSTDCS])} người đang được đề nghị, chờ quyết định.")
    return Outcome.FAIL, f"Không có thành viên nào đạt CSTĐCS năm {h.year}."


def _collective_excellent(h: _History, _param) -> Verdict:
    if h.year not in h.evaluations:
        return Outcome.UNKNOWN, _no_rating(h, h.year)
    rating = h.evaluations[h.year][0]
    return (Outcome.PASS if rating == Rating.EXCELLENT else Outcome.FAIL), f"Xếp loại {h.rating_text(h.year)}."


def _prior(h: _History, code: str) -> Verdict:
    name = h.name(code)
    records = [r for y, rs in h.awards.get(code, {}).items() if y < h.year for r in rs]
    if records:
        return Outcome.PASS, f"Đã được tặng {name}: {'; '.join(h.record_text(r) for r in records)}."
    return Outcome.FAIL, f"Chưa có {name} trước năm {h.year} trong sổ."


def _prior_same_year(h: _History, code: str) -> Verdict:
    return h.consecutive(code, [h.year])


def _min_years(h: _History, _param) -> Verdict:
    gap = h.award_type.min_years_between
    name = h.name(h.code)
    earlier = [y for y in h.awards.get(h.code, {}) if y < h.year]
    if not earlier:
        return Outcome.PASS, f"Chưa từng được tặng {name} trước năm {h.year}."
    last = max(earlier)
    if h.year - last >= gap:
        return Outcome.PASS, f"Lần gần nhất năm {last}, đã cách {h.year - last} năm."
    return Outcome.FAIL, (f"Lần gần nhất năm {last}, mới cách {h.year - last} năm; "
                          f"từ năm {last + gap} mới đủ {gap} năm.")


def _check(code, label, legal_ref, subjects, run, parametric=False) -> Check:
    return Check(code, label, legal_ref, frozenset(subjects), run, parametric)


_LAW = "Luật Thi đua, khen thưởng 2022"
CHECKS: dict[str, Check] = {c.code: c for c in [
    _check("evaluation_at_least_good", "Xếp loại năm đề nghị từ “Hoàn thành tốt nhiệm vụ” trở lên",
           f"Điều 24 {_LAW}", BOTH, _evaluation_at_least_good),
    _check("tenure_6_months", f"Công tác từ {TENURE_MONTHS} tháng trở lên trong năm (tuyển dụng từ 01/7 trở về trước)",
           "Thông tư 01/2024/TT-BNV", {INDIVIDUAL}, _tenure_6_months),
    _check("no_pending_discipline", "Không đang bị kỷ luật, xem xét xử lý; không bị kỷ luật trong năm đề nghị",
           f"Điều 6 {_LAW}; Nghị định 152/2025/NĐ-CP", {INDIVIDUAL}, _no_pending_discipline),
    _check("not_awarded_same_year", "Chưa được tặng và chưa có hồ sơ khác đề nghị cùng danh hiệu, hình thức trong năm",
           f"Điều 6 {_LAW} (một thành tích không khen thưởng nhiều lần)", BOTH, _not_awarded_same_year),
    _check("ldtt_same_year", "Đạt danh hiệu “Lao động tiên tiến” trong năm đề nghị", f"Điều 23 {_LAW}",
           {INDIVIDUAL}, _ldtt_same_year),
    _check("excellent_or_initiative",
           "Hoàn thành xuất sắc nhiệm vụ, hoặc có sáng kiến, đề tài được công nhận trong năm",
           f"Điều 23 {_LAW}", {INDIVIDUAL}, _excellent_or_initiative),
    _check("three_consecutive_cstdcs", "03 lần liên tục đạt “Chiến sĩ thi đua cơ sở” (năm đề nghị và 02 năm liền trước)",
           f"Điều 22 {_LAW}", {INDIVIDUAL}, _three_consecutive_cstdcs),
    _check("initiative_province",
           "Có sáng kiến, đề tài được công nhận phạm vi cấp tỉnh trở lên trong 03 năm, chưa dùng để khen thưởng",
           f"Điều 22 {_LAW}", {INDIVIDUAL}, _initiative_at(RecognitionLevel.PROVINCE)),
    _check("initiative_national",
           "Có sáng kiến, đề tài được công nhận phạm vi toàn quốc trong 03 năm, chưa dùng để khen thưởng",
           f"Điều 21 {_LAW}", {INDIVIDUAL}, _initiative_at(RecognitionLevel.NATIONAL)),
    _check("two_consecutive_cstdt", "02 lần liên tục đạt “Chiến sĩ thi đua cấp tỉnh”", f"Điều 21 {_LAW}",
           {INDIVIDUAL}, _two_consecutive_cstdt),
    _check("bk_tinh_individual",
           "Cá nhân: 02 lần liên tục đạt CSTĐCS, hoặc 02 năm liên tục hoàn thành xuất sắc nhiệm vụ với 02 sáng kiến "
           "chưa dùng để khen thưởng; tập thể: 02 năm liên tục hoàn thành xuất sắc nhiệm vụ",
           f"Điều 74 {_LAW}", BOTH, _bk_tinh),
    _check("members_ldtt_over_half", "Trên 50% thành viên đạt “Lao động tiên tiến”", f"Điều 28 {_LAW}",
           {COLLECTIVE}, _members_share(1, 2, strict=True)),
    _check("members_ldtt_70", "Từ 70% thành viên trở lên đạt “Lao động tiên tiến”", f"Điều 27 {_LAW}",
           {COLLECTIVE}, _members_share(7, 10, strict=False)),
    _check("members_all_completed", "100% thành viên hoàn thành nhiệm vụ trở lên", f"Điều 27 {_LAW}",
           {COLLECTIVE}, _members_all_completed),
    _check("member_cstdcs", "Có ít nhất 01 thành viên đạt “Chiến sĩ thi đua cơ sở” trong năm", f"Điều 27 {_LAW}",
           {COLLECTIVE}, _member_cstdcs),
    _check("collective_excellent", "Tập thể hoàn thành xuất sắc nhiệm vụ trong năm", f"Điều 27 {_LAW}",
           {COLLECTIVE}, _collective_excellent),
    _check(PRIOR, "Đã được tặng {name} trước năm đề nghị", None, BOTH, _prior, parametric=True),
    _check(PRIOR_SAME_YEAR, "Đạt {name} trong năm đề nghị", None, BOTH, _prior_same_year, parametric=True),
]}

_MIN_YEARS_CHECK = _check(MIN_YEARS, "Cách lần được tặng gần nhất ít nhất {n} năm", None, BOTH, _min_years)


def parse(code: str) -> tuple[Check, str | None]:
    """The check behind `code` and its parameter ("prior:BK_TINH" → (prior, "BK_TINH"))."""
    base, sep, param = code.partition(":")
    check = CHECKS.get(base)
    if check is None or check.parametric != bool(sep) or (sep and not param):
        raise UnknownCheck(code)
    return check, (param or None)


def describe(code: str, names: dict[str, str] | None = None) -> str:
    """The Vietnamese label of a check code; raises UnknownCheck for a code the engine lacks."""
    check, param = parse(code)
    if param is None:
        return check.label
    names = names if names is not None else award_names()
    return check.label.format(name=f"“{names.get(param, param)}”")


def check_problem(code: str, *, subjects: Iterable[str], award_codes: Iterable[str]) -> str | None:
    """Why `code` cannot be stored on an award type for `subjects`, or None when it can."""
    try:
        check, param = parse(code)
    except UnknownCheck as exc:
        return str(exc)
    if param is not None and param not in set(award_codes):
        return f"Điều kiện “{code}” nhắc tới mã “{param}” không có trong danh mục."
    relevant = set(subjects) & {INDIVIDUAL, COLLECTIVE}
    if relevant and not (check.subjects & relevant):
        who = "cá nhân" if INDIVIDUAL in check.subjects else "tập thể"
        return f"Điều kiện “{check.label}” chỉ áp dụng cho {who}, nhưng danh hiệu này không dành cho {who}."
    return None


# --- entry points ----------------------------------------------------------------------------------

def evaluate(award_type: AwardType, *, person: Person | None = None, unit: Unit | None = None, year: int,
             initiatives: Sequence[Initiative] = (), exclude_nomination_id: int | None = None,
             today: date | None = None) -> list[CheckResult]:
    """Run the award type's checks (and its minimum gap, when set) for one nominee and year.

    Give exactly one of `person` (an individual) or `unit` (a collective). `initiatives` are those
    the dossier cites; the person's initiatives in the registry count too. `exclude_nomination_id`
    is the dossier being checked, left out of the duplicate search. Checks that do not apply to the
    nominee's kind (discipline for a collective) are left out; an unknown stored code gives UNKNOWN.
    """
    if (person is None) == (unit is None):
        raise ValueError("evaluate() needs exactly one of person or unit")
    history = _History(award_type, person=person, unit=unit, year=year, initiatives=initiatives,
                       exclude_nomination_id=exclude_nomination_id, today=today or date.today())
    results: list[CheckResult] = []
    for code in award_type.checks or []:
        try:
            check, param = parse(code)
        except UnknownCheck as exc:
            results.append(CheckResult(code, code, Outcome.UNKNOWN, f"{exc} Báo quản trị sửa danh mục.",
                                       award_type.legal_ref))
            continue
        if history.subject not in check.subjects:
            continue
        label = check.label.format(name=f"“{history.names.get(param, param)}”") if param else check.label
        outcome, reason = check.run(history, param)
        results.append(CheckResult(code, label, outcome, reason, check.legal_ref or award_type.legal_ref))
    if award_type.min_years_between:
        outcome, reason = _min_years(history, None)
        results.append(CheckResult(MIN_YEARS, _MIN_YEARS_CHECK.label.format(n=award_type.min_years_between),
                                   outcome, reason, award_type.legal_ref))
    return results


def evaluate_nomination(nomination: Nomination, *, today: date | None = None) -> list[CheckResult]:
    """The checklist of a dossier: its nominee, year and cited initiatives, leaving itself out of the
    duplicate search."""
    if nomination.person is not None:
        nominee = {"person": nomination.person}
    else:
        nominee = {"unit": nomination.nominee_unit}
    return evaluate(nomination.award_type, year=nomination.year, initiatives=list(nomination.initiatives),
                    exclude_nomination_id=nomination.id, today=today, **nominee)


def summary(results: Iterable[CheckResult]) -> Outcome:
    """FAIL if any check fails, else UNKNOWN if any cannot tell, else PASS (also for no checks)."""
    outcomes = {r.outcome for r in results}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    return Outcome.UNKNOWN if Outcome.UNKNOWN in outcomes else Outcome.PASS
