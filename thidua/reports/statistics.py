"""The sector's yearly statistical forms (Thông tư 02/2023/TT-BNV) filled from the records: pure queries.

`fill(code, year, unit)` builds a `StatForm` (rows with their mã số and indent, columns, cells) for a year and a
scope: province-wide (`unit=None`) or a unit and every unit below it. `cell_rows(code, row, col, year, unit)`
returns what one cell counts. Both go through `_items()`, which classifies every counted object once into the
set of row keys and the set of column keys it belongs to (totals and "of which" rows included), so a cell's
number is by construction the length of its list.

What is counted (and what is not):
- **0601.N** (movements): campaigns that are not drafts and whose period overlaps the year. A unit's report
  counts the campaigns launched by that unit or a unit below it. Duration bands compare the end (the day after
  `ends_on`) with the start plus 1, 3 and 5 calendar years: "1 năm" is exactly one year (01/01–31/12);
  an open-ended campaign is measured up to the report date, taken as 31 December of the reported year so
  the form does not change with the day it is printed. 29 February + n years falls on 1 March.
- **0602.N** (state-level commendations proposed by the province): (a) dossiers of a CENTRAL-level title or
  form for the year that the province passed on upward, i.e. in status approved (by the provincial council),
  awarded or declined (by the central level); plus (b) central awards recorded in the registry for the year,
  not revoked, that do not come from such a dossier (imported or typed in). Columns come from
  `STATE_COLUMNS`, data that maps catalogue codes (exactly or by prefix) to the form's groups; a central code
  no group claims lands in "Hình thức khác" so it is never dropped.
- **0603.N** (province-level commendations): registry records for the year, not revoked, whose code is in
  `PROVINCE_COLUMNS` (BK_TINH, CSTDT, CTD_TINH; no commemorative badge in the catalogue yet: its column is
  there and stays zero). Other province-level titles (e.g. Tập thể lao động xuất sắc) are not in the form.
- The registry's `year` is the year of the achievement. A person's unit places an individual in the unit
  tree (for a dossier without that, the nominating unit); a collective is its own unit.
- Subjects: a collective (of which an enterprise: the dossier's flag, else a unit of kind enterprise), a
  household (the dossier's flag, else a household-only title), or an individual by `Person.subject_category`;
  individuals without a category are counted in an extra row "Chưa xác định đối tượng" so that the rows
  still add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from thidua.awards.models import DecisionItem, ProposalItem
from thidua.campaigns.models import Campaign, CampaignKind, CampaignScope, CampaignStatus, LaunchLevel
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.org.models import Unit, UnitKind
from thidua.org.queries import descendant_ids
from thidua.registry.models import AwardRecord, NomineeKind, Person, SubjectCategory
from thidua.rules.models import AwardLevel, AwardMethod, AwardType

CIRCULAR = "Thông tư số 02/2023/TT-BNV"
RECEIVER = "Bộ Nội vụ"
FORM_CODES = ("0601", "0602", "0603")


# --- the shape of a form ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    key: str
    code: str  # mã số; "" for a heading
    label: str
    level: int = 0  # indent
    parts: tuple[str, ...] = ()  # the rows whose sum this row is (for SUM formulas)
    heading: bool = False  # a label-only line: no cells


@dataclass(frozen=True)
class Column:
    key: str
    code: str
    label: str
    group: str = ""  # the header line above (0602: the form or title)
    parts: tuple[str, ...] = ()


@dataclass
class StatForm:
    code: str
    title: str
    count_unit: str  # "Đơn vị tính"
    year: int
    unit: Unit | None
    rows: list[Row]
    columns: list[Column]
    cells: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def number(self) -> str:
        return f"Biểu số {self.code}.N/BNV-TĐKT"

    def value(self, row: str, col: str) -> int:
        return self.cells.get((row, col), 0)

    @property
    def data_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.heading]

    @property
    def header_groups(self) -> list[tuple[str, int]]:
        """The header line above the grouped columns: (group label, how many columns it spans)."""
        groups: list[tuple[str, int]] = []
        for c in self.columns:
            if c.group and groups and groups[-1][0] == c.group:
                groups[-1] = (c.group, groups[-1][1] + 1)
            elif c.group:
                groups.append((c.group, 1))
        return groups

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Entry:
    """One commendation counted by 0602/0603: a registry record or (0602) a dossier proposed upward."""

    name: str
    award_code: str
    award_name: str
    kind: NomineeKind
    unit_name: str
    decision_number: str | None
    decision_date: date | None
    source: AwardRecord | Nomination

    @property
    def is_record(self) -> bool:
        return isinstance(self.source, AwardRecord)

    @property
    def status_label(self) -> str:
        return "Đã ghi sổ khen thưởng" if self.is_record else self.source.status.label


# --- 0601: movements ------------------------------------------------------------------------------------

DURATION_BANDS = (
    ("under_1", "Dưới 1 năm"),
    ("1", "1 năm"),
    ("1_3", "Trên 1 năm đến dưới 3 năm"),
    ("3_5", "Từ 3 năm đến dưới 5 năm"),
    ("5_plus", "Từ 5 năm trở lên"),
)
# Method rows of 0601: thematic (chuyên đề) and regular (thường xuyên, hằng năm).
MOVEMENT_METHODS = ((CampaignKind.THEMATIC, "Thi đua theo chuyên đề"),
                    (CampaignKind.REGULAR, "Thi đua thường xuyên, hằng năm"))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


def duration_band(starts_on: date, ends_on: date | None, report_date: date) -> str:
    """The 0601 duration band of a period; an open-ended one runs to `report_date`."""
    end = (ends_on or report_date).toordinal() + 1  # the day after the last day
    if end < _add_years(starts_on, 1).toordinal():
        return "under_1"
    if end == _add_years(starts_on, 1).toordinal():
        return "1"
    if end < _add_years(starts_on, 3).toordinal():
        return "1_3"
    if end < _add_years(starts_on, 5).toordinal():
        return "3_5"
    return "5_plus"


def _numbered(rows: list[Row]) -> list[Row]:
    """The rows with their mã số: 01, 02… down the form, headings left without."""
    numbers = iter(range(1, len(rows) + 1))
    return [r if r.heading else Row(r.key, f"{next(numbers):02d}", r.label, r.level, r.parts) for r in rows]


def _rows_0601() -> list[Row]:
    return _numbered([
        Row("total", "", "Tổng số phong trào thi đua", 0, tuple(f"scope:{s.value}" for s in CampaignScope)),
        Row("h_scope", "", "Chia theo phạm vi", 0, heading=True),
        *[Row(f"scope:{s.value}", "", s.label, 1) for s in CampaignScope],
        Row("h_duration", "", "Chia theo thời gian thực hiện", 0, heading=True),
        *[Row(f"duration:{key}", "", label, 1) for key, label in DURATION_BANDS],
        Row("h_method", "", "Chia theo hình thức tổ chức", 0, heading=True),
        *[Row(f"method:{kind.value}", "", label, 1) for kind, label in MOVEMENT_METHODS],
    ])


def _columns_0601() -> list[Column]:
    levels = [f"level:{lv.value}" for lv in LaunchLevel]
    return [Column("total", "1", "Tổng số", parts=tuple(levels)),
            *[Column(f"level:{lv.value}", str(i), lv.label, group="Chia ra") for i, lv in enumerate(LaunchLevel, 2)]]


def _items_0601(year: int, ids: set[int] | None) -> list[tuple[Campaign, set[str], set[str]]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    stmt = (sa.select(Campaign).where(Campaign.status != CampaignStatus.DRAFT, Campaign.starts_on <= last,
                                      sa.or_(Campaign.ends_on.is_(None), Campaign.ends_on >= first))
            .options(joinedload(Campaign.launching_unit)).order_by(Campaign.starts_on, Campaign.id))
    if ids is not None:
        stmt = stmt.where(Campaign.launching_unit_id.in_(ids))
    items = []
    for c in db.session.scalars(stmt):
        rows = {"total", f"scope:{c.scope.value}", f"duration:{duration_band(c.starts_on, c.ends_on, last)}",
                f"method:{c.kind.value}"}
        items.append((c, rows, {"total", f"level:{c.launch_level.value}"}))
    return items


def active_campaigns(year: int, ids: set[int] | None) -> list[Campaign]:
    """The movements 0601.N counts for the year and scope (also the annual report's campaigns)."""
    return [c for c, _rows, _cols in _items_0601(year, ids)]


# --- 0602 / 0603: commendations by subject ---------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnGroup:
    key: str
    label: str
    codes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def claims(self, code: str) -> bool:
        return code in self.codes or (bool(self.prefixes) and code.startswith(self.prefixes))


# The columns of 0602.N: catalogue codes → form groups. Orders, medals, honorary titles and prizes are not in
# the catalogue yet; the prefixes are the codes they are expected to get.
STATE_COLUMNS = (
    ColumnGroup("orders", "Huân chương", prefixes=("HUAN_CHUONG", "HUANCHUONG")),
    ColumnGroup("medals", "Huy chương", prefixes=("HUY_CHUONG", "HUYCHUONG")),
    ColumnGroup("prizes", "Giải thưởng Hồ Chí Minh, Giải thưởng Nhà nước", prefixes=("GIAI_THUONG", "GT_HCM", "GT_NN")),
    ColumnGroup("honours", "Danh hiệu vinh dự Nhà nước", prefixes=("DHVD", "ANH_HUNG", "NGND", "NGUT", "TTND", "TTUT",
                                                                  "NSND", "NSUT", "BSND", "BSUT", "BMVNAH")),
    ColumnGroup("ctd_cp", "Cờ thi đua của Chính phủ", codes=("CTD_CP",)),
    ColumnGroup("bk_ttg", "Bằng khen của Thủ tướng Chính phủ", codes=("BK_TTG",)),
    ColumnGroup("cstdtq", "Chiến sĩ thi đua toàn quốc", codes=("CSTDTQ",)),
)
OTHER_STATE = ColumnGroup("other", "Hình thức khác")

# The columns of 0603.N (commemorative badge: no catalogue code yet, the column stays zero).
PROVINCE_COLUMNS = (
    ColumnGroup("bk", "Bằng khen", codes=("BK_TINH",)),
    ColumnGroup("cstd", "Chiến sĩ thi đua cấp tỉnh", codes=("CSTDT",)),
    ColumnGroup("ctd", "Cờ thi đua", codes=("CTD_TINH",)),
    ColumnGroup("knc", "Kỷ niệm chương", prefixes=("KNC",)),
)

SIDES = ((NomineeKind.COLLECTIVE, "Tập thể"), (NomineeKind.INDIVIDUAL, "Cá nhân"))
SUBJECT_NONE = "none"

# Dossiers the province passed on upward (the council approved them; the central level may have decided).
PROPOSED_STATUSES = (NominationStatus.APPROVED, NominationStatus.AWARDED, NominationStatus.DECLINED)


def state_group(code: str) -> ColumnGroup:
    return next((g for g in STATE_COLUMNS if g.claims(code)), OTHER_STATE)


def _subject_rows() -> list[Row]:
    individual = [f"subject:{c.value}" for c in SubjectCategory] + [f"subject:{SUBJECT_NONE}"]
    return [Row("total", "", "Tổng số", 0, ("collective", "household", "individual")),
            Row("h_subject", "", "Chia theo đối tượng", 0, heading=True),
            Row("collective", "", "Tập thể", 1),
            Row("enterprise", "", "Trong đó: Doanh nghiệp", 2),
            Row("household", "", "Hộ gia đình", 1),
            Row("individual", "", "Cá nhân", 1, tuple(individual)),
            *[Row(f"subject:{c.value}", "", c.label, 2) for c in SubjectCategory],
            Row(f"subject:{SUBJECT_NONE}", "", "Chưa xác định đối tượng", 2)]


def _rows_0602() -> list[Row]:
    return _numbered(_subject_rows())


def _rows_0603() -> list[Row]:
    return _numbered([*_subject_rows(), Row("h_method", "", "Chia theo hình thức khen thưởng", 0, heading=True),
                      *[Row(f"method:{m.value}", "", m.label, 1) for m in AwardMethod]])


def _columns_0602() -> list[Column]:
    leaves = [Column(f"{g.key}:{side.value}", "", label, group=g.label)
              for g in (*STATE_COLUMNS, OTHER_STATE) for side, label in SIDES]
    leaves = [Column(c.key, str(i), c.label, c.group) for i, c in enumerate(leaves, start=2)]
    return [Column("total", "1", "Tổng số", parts=tuple(c.key for c in leaves)), *leaves]


def _columns_0603() -> list[Column]:
    leaves = [Column(g.key, str(i), g.label, group="Chia ra") for i, g in enumerate(PROVINCE_COLUMNS, start=2)]
    return [Column("total", "1", "Tổng số", parts=tuple(c.key for c in leaves)), *leaves]


def _subject_keys(kind: NomineeKind, *, enterprise: bool, household: bool,
                  category: SubjectCategory | None) -> set[str]:
    if kind == NomineeKind.INDIVIDUAL:
        return {"total", "individual", f"subject:{category.value if category else SUBJECT_NONE}"}
    if household:
        return {"total", "household"}
    return {"total", "collective", "enterprise"} if enterprise else {"total", "collective"}


def _household_only_codes() -> set[str]:
    return set(db.session.scalars(sa.select(AwardType.code).where(AwardType.for_household,
                                                                  sa.not_(AwardType.for_collective))))


def _record_nominations(record_ids: list[int]) -> dict[int, Nomination]:
    """The dossier behind each registry record, through the decision item or the upward proposal item."""
    if not record_ids:
        return {}
    found: dict[int, Nomination] = {}
    for model in (DecisionItem, ProposalItem):
        rows = db.session.execute(sa.select(model.award_record_id, Nomination)
                                  .join(Nomination, Nomination.id == model.nomination_id)
                                  .where(model.award_record_id.in_(record_ids)))
        for record_id, nomination in rows:
            found.setdefault(record_id, nomination)
    return found


def _records(year: int, ids: set[int] | None, groups: Iterable[ColumnGroup] | None, *,
             level: AwardLevel | None = None) -> list[AwardRecord]:
    """The year's registry records in scope, not revoked, claimed by `groups` (None: any) and of `level`."""
    stmt = (sa.select(AwardRecord).outerjoin(Person, Person.id == AwardRecord.person_id)
            .where(AwardRecord.year == year, AwardRecord.revoked_on.is_(None))
            .options(joinedload(AwardRecord.person).joinedload(Person.unit), joinedload(AwardRecord.unit))
            .order_by(AwardRecord.award_code, AwardRecord.id))
    if groups is not None:
        groups = list(groups)
        stmt = stmt.where(sa.or_(AwardRecord.award_code.in_([c for g in groups for c in g.codes]),
                                 *[AwardRecord.award_code.startswith(p, autoescape=True)
                                   for g in groups for p in g.prefixes]))
    if level is not None:
        stmt = stmt.where(AwardRecord.award_code.in_(sa.select(AwardType.code).where(AwardType.level == level)))
    if ids is not None:
        stmt = stmt.where(sa.or_(AwardRecord.unit_id.in_(ids), Person.unit_id.in_(ids)))
    return list(db.session.scalars(stmt).unique())


def _record_entry(r: AwardRecord) -> Entry:
    if r.nominee_kind == NomineeKind.INDIVIDUAL:
        name, unit = r.person.full_name, r.person.unit
    else:
        name, unit = r.unit.name, r.unit.parent
    return Entry(name, r.award_code, r.award_name, r.nominee_kind, unit.name if unit else "", r.decision_number,
                 r.decision_date, r)


def _record_subject(r: AwardRecord, nomination: Nomination | None, household_codes: set[str]) -> set[str]:
    if nomination is not None and r.nominee_kind == NomineeKind.COLLECTIVE:
        enterprise, household = nomination.is_enterprise, nomination.is_household
    else:
        enterprise = r.unit is not None and r.unit.kind == UnitKind.ENTERPRISE
        household = r.award_code in household_codes
    category = r.person.subject_category if r.person is not None else None
    return _subject_keys(r.nominee_kind, enterprise=enterprise, household=household, category=category)


def _items_0603(year: int, ids: set[int] | None) -> list[tuple[Entry, set[str], set[str]]]:
    records = _records(year, ids, PROVINCE_COLUMNS)
    nominations = _record_nominations([r.id for r in records])
    household_codes = _household_only_codes()
    items = []
    for r in records:
        group = next(g for g in PROVINCE_COLUMNS if g.claims(r.award_code))
        rows = _record_subject(r, nominations.get(r.id), household_codes) | {f"method:{r.method.value}"}
        items.append((_record_entry(r), rows, {"total", group.key}))
    return items


def _items_0602(year: int, ids: set[int] | None) -> list[tuple[Entry, set[str], set[str]]]:
    stmt = (sa.select(Nomination).join(AwardType, AwardType.id == Nomination.award_type_id)
            .outerjoin(Person, Person.id == Nomination.person_id)
            .where(Nomination.year == year, AwardType.level == AwardLevel.CENTRAL,
                   Nomination.status.in_(PROPOSED_STATUSES))
            .options(joinedload(Nomination.award_type), joinedload(Nomination.person).joinedload(Person.unit),
                     joinedload(Nomination.nominee_unit), joinedload(Nomination.unit))
            .order_by(AwardType.code, Nomination.id))
    if ids is not None:
        stmt = stmt.where(sa.or_(
            Nomination.nominee_unit_id.in_(ids), Person.unit_id.in_(ids),
            sa.and_(Nomination.person_id.is_not(None), Person.unit_id.is_(None), Nomination.unit_id.in_(ids))))
    nominations = list(db.session.scalars(stmt).unique())
    counted = {n.id for n in nominations}
    items = []
    for n in nominations:
        side = n.nominee_kind
        if n.is_collective:
            unit = n.nominee_unit.parent if n.nominee_unit else None
        else:
            unit = n.person.unit or n.unit
        entry = Entry(n.nominee_name, n.award_type.code, n.award_type.name, side, unit.name if unit else "",
                      None, None, n)
        rows = _subject_keys(side, enterprise=n.is_enterprise, household=n.is_household,
                             category=n.person.subject_category if n.person else None)
        items.append((entry, rows, {"total", f"{state_group(n.award_type.code).key}:{side.value}"}))
    records = _records(year, ids, None, level=AwardLevel.CENTRAL)
    behind = _record_nominations([r.id for r in records])
    household_codes = _household_only_codes()
    for r in records:
        nomination = behind.get(r.id)
        if nomination is not None and nomination.id in counted:
            continue  # already counted as the dossier proposed
        rows = _record_subject(r, nomination, household_codes)
        items.append((_record_entry(r), rows,
                      {"total", f"{state_group(r.award_code).key}:{r.nominee_kind.value}"}))
    return items


# --- public functions -------------------------------------------------------------------------------------

TITLES = {
    "0601": ("Phong trào thi đua", "Phong trào"),
    "0602": ("Khen thưởng cấp Nhà nước (đề nghị)", "Lượt tập thể, cá nhân"),
    "0603": ("Khen thưởng cấp bộ, ban, ngành, tỉnh", "Lượt tập thể, cá nhân"),
}
_SHAPES = {
    "0601": (_rows_0601, _columns_0601, _items_0601),
    "0602": (_rows_0602, _columns_0602, _items_0602),
    "0603": (_rows_0603, _columns_0603, _items_0603),
}


def scope_ids(unit: Unit | None) -> set[int] | None:
    """The unit and every unit below it; None for the whole province."""
    return None if unit is None else descendant_ids([unit.id])


def _items(code: str, year: int, unit: Unit | None) -> list:
    try:
        shape = _SHAPES[code]
    except KeyError:
        raise ValueError(f"unknown form {code}") from None
    return shape[2](year, scope_ids(unit))


def fill(code: str, year: int, unit: Unit | None = None) -> StatForm:
    """Form `code` ("0601", "0602", "0603") for `year` and the scope `unit` (None: province-wide)."""
    rows_of, columns_of, _ = _SHAPES.get(code, (None, None, None))
    items = _items(code, year, unit)
    title, count_unit = TITLES[code]
    form = StatForm(code, title, count_unit, year, unit, rows_of(), columns_of())
    for _obj, row_keys, col_keys in items:
        for r in row_keys:
            for c in col_keys:
                form.cells[(r, c)] = form.cells.get((r, c), 0) + 1
    return form


def cell_rows(code: str, row: str, col: str, year: int, unit: Unit | None = None) -> list:
    """What the cell (row, col) of form `code` counts: Campaigns for 0601, `Entry`s for 0602/0603."""
    return [obj for obj, row_keys, col_keys in _items(code, year, unit) if row in row_keys and col in col_keys]
