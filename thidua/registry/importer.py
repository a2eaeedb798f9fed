"""Importing historical awards (the old gold books) from an Excel workbook, in two steps.

`check(data)` reads the bytes of an .xlsx file and checks every row (errors by Excel row number and
column, in Vietnamese), groups the rows of one person (same folded name, birth date and unit), and
finds the existing people each group matches. `apply(checked, choices)` then writes everything in
the caller's transaction: for every matched group the choice is "merge" into one of its matches
(the default) or "new"; people are created or reused and one `AwardRecord` (source IMPORT) is
added per row. Nothing is written when any row fails: `import_awards(data)` does both steps and
raises `ImportInvalid` with all errors.

Between the two steps the web view keeps the file in the upload folder under a random token
(`stash`, `unstash`, `discard`), never in the session cookie.

Reading cells reuses the unit importer's helpers (`thidua.org.importer`): trimmed NFC text, dates
as Excel dates or dd/mm/yyyy text, and the same error types.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import time
import warnings
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from flask import current_app
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from thidua import storage
from thidua.audit.services import label
from thidua.extensions import db
from thidua.org.importer import ImportInvalid, ImportRefused, RowError, cell_date, cell_text
from thidua.org.models import Unit
from thidua.rules.models import AwardMethod, AwardType
from thidua.text import fold

from .models import AwardRecord, Gender, NomineeKind, Person, RecordSource, SubjectCategory
from .queries import version_for_year
from .services import NAME_MAX, POSITION_MAX, record_key, year_problem

__all__ = ["COLUMNS", "HELP", "REQUIRED_COLUMNS", "AwardRow", "PersonGroup", "Checked", "ImportResult",
           "ImportInvalid", "ImportRefused", "RowError", "StaleImport", "check", "apply", "import_awards",
           "template_workbook", "stash", "unstash", "discard", "MERGE", "NEW"]

# key → header as written in the template
COLUMNS: dict[str, str] = {
    "kind": "Loại đối tượng",
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "position": "Chức vụ",
    "subject_category": "Đối tượng thống kê",
    "unit_code": "Mã đơn vị",
    "award_code": "Mã danh hiệu/hình thức",
    "year": "Năm",
    "decision_number": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "issuer": "Cơ quan ban hành",
    "gold_book_number": "Số sổ vàng",
    "method": "Phương thức",
    "note": "Ghi chú",
}
REQUIRED_COLUMNS = ("kind", "full_name", "unit_code", "award_code", "year")
SHEET_AWARDS = "Khen thưởng"
SHEET_CATALOGUE = "Danh hiệu, hình thức"
SHEET_SUBJECTS = "Đối tượng thống kê"
SHEET_METHODS = "Phương thức"
HELP = {
    "kind": "Bắt buộc: “Cá nhân” hoặc “Tập thể”.",
    "full_name": "Bắt buộc với cá nhân. Với tập thể có thể bỏ trống (đơn vị lấy theo mã).",
    "birth_date": "Dạng dd/mm/yyyy. Cùng họ tên, ngày sinh và đơn vị với người đã có trong sổ thì được hỏi "
                  "có gộp vào hồ sơ đó không.",
    "gender": "“Nam” hoặc “Nữ”; bỏ trống nếu không rõ.",
    "position": "Chức vụ của cá nhân (khi tạo người mới).",
    "subject_category": f"Đối tượng theo biểu thống kê, xem trang “{SHEET_SUBJECTS}”; bỏ trống nếu chưa xác định.",
    "unit_code": "Bắt buộc. Cá nhân: mã đơn vị công tác. Tập thể: mã của chính tập thể đó. "
                 "Mã phải có trong danh sách đơn vị của hệ thống (kể cả đơn vị cũ đã sáp nhập).",
    "award_code": f"Bắt buộc. Mã trong trang “{SHEET_CATALOGUE}”, ví dụ LDTT, CSTDCS, BK_TINH.",
    "year": "Bắt buộc. Năm được khen thưởng (năm của thành tích), ví dụ 2019.",
    "decision_number": "Ví dụ: 123/QĐ-UBND.",
    "decision_date": "Dạng dd/mm/yyyy.",
    "gold_book_number": "",
    "issuer": "Ghi như trên quyết định, ví dụ: Chủ tịch UBND tỉnh Thanh Hóa.",
    "method": f"Tên hoặc giá trị trong trang “{SHEET_METHODS}”; bỏ trống là “Thường xuyên”.",
    "note": "",
}
FIRST_DATA_ROW = 2
MERGE = "merge"
NEW = "new"
STASH_PREFIX = "registry-import-"
STASH_MAX_AGE = 24 * 3600  # seconds a stashed file waits for confirmation
_TOKEN = re.compile(r"[0-9a-f]{32}")


class StaleImport(LookupError):
    """The stashed file is unknown or too old; the message says what to do, in Vietnamese."""


@dataclass
class AwardRow:
    row: int
    kind: NomineeKind | None = None
    full_name: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    position: str | None = None
    subject_category: SubjectCategory | None = None
    unit_code: str | None = None
    unit: Unit | None = None
    award_code: str | None = None
    award_type: AwardType | None = None
    year: int | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    issuer: str | None = None
    gold_book_number: str | None = None
    method: AwardMethod = AwardMethod.REGULAR
    note: str | None = None

    @property
    def person_key(self) -> tuple:
        return (fold(self.full_name), self.birth_date, self.unit.id if self.unit else None)

    @property
    def key(self) -> tuple:
        """The gold-book line this row adds (see `services.record_key`)."""
        return record_key(self.award_code, self.year, self.decision_number, self.award_type.category)


@dataclass
class PersonGroup:
    """The rows of one person in the file, and the existing people with the same name, birth date
    and unit (`matches`, oldest first)."""

    key: str  # "g1", "g2"… in order of first appearance; the preview's choice fields use it
    rows: list[AwardRow]
    matches: list[Person] = field(default_factory=list)
    # person id → lines the matched person already has that rows of this group would repeat
    repeats: dict[int, list[AwardRow]] = field(default_factory=dict)

    @property
    def first(self) -> AwardRow:
        return self.rows[0]

    @property
    def latest(self) -> AwardRow:
        return max(self.rows, key=lambda r: (r.year, r.row))


@dataclass
class Checked:
    rows: list[AwardRow]
    groups: list[PersonGroup]
    errors: list[RowError]

    @property
    def matched_groups(self) -> list[PersonGroup]:
        return [g for g in self.groups if g.matches]

    @property
    def collective_rows(self) -> list[AwardRow]:
        return [r for r in self.rows if r.kind == NomineeKind.COLLECTIVE]


@dataclass
class ImportResult:
    records: int
    people_created: int
    people_reused: int


# --- reading -------------------------------------------------------------------------------------

def _squeeze(text) -> str:
    return fold(cell_text(text) or "").replace(" ", "")


def _header_key(value) -> str | None:
    folded = _squeeze((cell_text(value) or "").rstrip("* "))
    for key, header in COLUMNS.items():
        if folded == _squeeze(header):
            return key
    return None


def _lookup(enum_cls, *aliases: tuple[str, object]) -> dict[str, object]:
    """Folded value, label and each part of the label ("Theo đợt, chuyên đề" → "theo dot",
    "chuyen de") → member."""
    table: dict[str, object] = {}
    for member in enum_cls:
        table[fold(member.value)] = member
        table[fold(member.label)] = member
        for part in re.split(r"[(),]", member.label):
            if fold(part):
                table.setdefault(fold(part), member)
    table.update({fold(a): m for a, m in aliases})
    return table


_KINDS = _lookup(NomineeKind)
_GENDERS = _lookup(Gender)
_SUBJECTS = _lookup(SubjectCategory)
_METHODS = _lookup(AwardMethod, ("cống hiến", AwardMethod.CAREER))


def _open_sheet(data: bytes):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise ImportRefused("Không đọc được tệp Excel; hãy mở và lưu lại tệp bằng Excel (.xlsx) rồi thử lại.") from exc
    return workbook, workbook.worksheets[0]


def _read_cells(data: bytes) -> list[tuple[int, dict]]:
    """(Excel row number, {column key: raw value}) for every non-blank data row of the first sheet."""
    workbook, sheet = _open_sheet(data)
    try:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some programs write a wrong sheet size; read every row
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, ())
        positions: dict[str, int] = {}
        for index, value in enumerate(header or ()):
            key = _header_key(value)
            if key and key not in positions:
                positions[key] = index
        missing = [COLUMNS[k] for k in REQUIRED_COLUMNS if k not in positions]
        if missing:
            raise ImportRefused(
                "Dòng 1 của trang tính đầu tiên phải là tiêu đề cột; thiếu cột "
                + ", ".join(f"“{m}”" for m in missing) + ". Hãy dùng tệp mẫu."
            )
        result = []
        for number, values in enumerate(rows, start=FIRST_DATA_ROW):
            cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
            if any(cell_text(v) is not None for v in cells.values()):
                result.append((number, cells))
    finally:
        workbook.close()
    if not result:
        raise ImportRefused("Tệp không có dòng dữ liệu nào (dữ liệu bắt đầu từ dòng 2).")
    return result


# --- checking ------------------------------------------------------------------------------------

class _Catalogue:
    """Every version of every award type, loaded once; `for_year` as `queries.award_type_for`."""

    def __init__(self):
        self.versions: dict[str, list[AwardType]] = defaultdict(list)
        for t in db.session.scalars(sa.select(AwardType).order_by(AwardType.effective_from)):
            self.versions[t.code.upper()].append(t)

    def for_year(self, code: str, year: int | None) -> AwardType | None:
        versions = self.versions.get(code.upper())
        if not versions:
            return None
        return versions[-1] if year is None else version_for_year(versions, year)


def _parse_row(number: int, cells: dict, units: dict[str, Unit], catalogue: _Catalogue,
               today: date) -> tuple[AwardRow, list[RowError]]:
    errors: list[RowError] = []
    row = AwardRow(row=number)

    def error(key: str, message: str) -> None:
        errors.append(RowError(number, COLUMNS[key], message))

    def text(key: str, limit: int | None = None, what: str = "") -> str | None:
        value = cell_text(cells.get(key))
        if value and limit and len(value) > limit:
            error(key, f"{what or COLUMNS[key]} tối đa {limit} ký tự.")
            return None
        return value

    def day(key: str) -> date | None:
        try:
            value = cell_date(cells.get(key))
        except ValueError:
            error(key, f"Ngày “{cell_text(cells.get(key))}” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy.")
            return None
        if value and value > today:
            error(key, f"Ngày {value:%d/%m/%Y} ở tương lai.")
            return None
        return value

    kind_text = text("kind")
    if not kind_text:
        error("kind", "Vui lòng nhập loại đối tượng: “Cá nhân” hoặc “Tập thể”.")
    else:
        row.kind = _KINDS.get(fold(kind_text))
        if row.kind is None:
            error("kind", f"Loại đối tượng “{kind_text}” không hợp lệ; hãy nhập “Cá nhân” hoặc “Tập thể”.")

    row.full_name = text("full_name", NAME_MAX, "Họ và tên")
    if row.full_name:
        row.full_name = " ".join(row.full_name.split())
    row.birth_date = day("birth_date")
    gender_text = text("gender")
    if gender_text:
        row.gender = _GENDERS.get(fold(gender_text))
        if row.gender is None:
            error("gender", f"Giới tính “{gender_text}” không hợp lệ; hãy nhập “Nam” hoặc “Nữ”.")
    row.position = text("position", POSITION_MAX)
    subject_text = text("subject_category")
    if subject_text:
        row.subject_category = _SUBJECTS.get(fold(subject_text))
        if row.subject_category is None:
            error("subject_category", f"Đối tượng “{subject_text}” không có trong trang “{SHEET_SUBJECTS}”.")

    if row.kind == NomineeKind.INDIVIDUAL and cell_text(cells.get("full_name")) is None:
        error("full_name", "Vui lòng nhập họ và tên của cá nhân.")
    if row.kind == NomineeKind.COLLECTIVE:
        for key in ("birth_date", "gender", "subject_category"):
            if cell_text(cells.get(key)) is not None:
                error(key, f"Tập thể không có {COLUMNS[key].lower()}; hãy để trống ô này.")

    row.unit_code = text("unit_code")
    if not row.unit_code:
        error("unit_code", "Vui lòng nhập mã đơn vị.")
    else:
        row.unit = units.get(row.unit_code)
        if row.unit is None:
            error("unit_code", f"Không tìm thấy đơn vị có mã “{row.unit_code}” trong hệ thống.")

    raw_year = cells.get("year")
    year_text = cell_text(raw_year)
    if not year_text:
        error("year", "Vui lòng nhập năm.")
    else:
        try:
            row.year = int(year_text)
        except ValueError:
            error("year", f"Năm “{year_text}” không hợp lệ; hãy nhập 4 chữ số, ví dụ 2019.")
        else:
            problem = year_problem(row.year, today=today)
            if problem:
                error("year", problem)
                row.year = None

    code = text("award_code")
    if not code:
        error("award_code", "Vui lòng nhập mã danh hiệu, hình thức khen thưởng.")
    else:
        row.award_type = catalogue.for_year(code, row.year)
        if row.award_type is None:
            error("award_code", f"Mã “{code}” không có trong danh mục (xem trang “{SHEET_CATALOGUE}” của tệp mẫu).")
        else:
            row.award_code = row.award_type.code
            at = row.award_type
            if row.kind == NomineeKind.INDIVIDUAL and not at.for_individual:
                error("award_code", f"“{at.name}” không dành cho cá nhân.")
            elif row.kind == NomineeKind.COLLECTIVE and not (at.for_collective or at.for_household):
                error("award_code", f"“{at.name}” không dành cho tập thể.")

    row.decision_number = text("decision_number", 64)
    row.decision_date = day("decision_date")
    if row.decision_date and row.year and row.decision_date.year < row.year:
        error("decision_date", "Ngày quyết định không được trước năm được khen thưởng.")
    row.issuer = text("issuer", 255)
    row.gold_book_number = text("gold_book_number", 32)
    method_text = text("method")
    if method_text:
        method = _METHODS.get(fold(method_text))
        if method is None:
            error("method", f"Phương thức “{method_text}” không có trong trang “{SHEET_METHODS}”.")
        else:
            row.method = method
    row.note = text("note")
    return row, errors


def check(data: bytes, *, today: date | None = None) -> Checked:
    """Read and check every row; group the people and find their existing matches.

    Raises ImportRefused when the file cannot be read, lacks a required column or has no rows."""
    today = today or date.today()
    cells = _read_cells(data)
    codes = {cell_text(c.get("unit_code")) for _, c in cells} - {None}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))} if codes else {}
    catalogue = _Catalogue()

    rows: list[AwardRow] = []
    errors: list[RowError] = []
    for number, row_cells in cells:
        row, row_errors = _parse_row(number, row_cells, units, catalogue, today)
        errors += row_errors
        if not row_errors:
            rows.append(row)

    # One line of the gold book appears once in the file.
    seen: dict[tuple, int] = {}
    unique_rows: list[AwardRow] = []
    for row in rows:
        nominee = row.person_key if row.kind == NomineeKind.INDIVIDUAL else ("unit", row.unit.id)
        key = (nominee, row.key)
        if key in seen:
            errors.append(RowError(row.row, COLUMNS["award_code"],
                                   f"Trùng với dòng {seen[key]} (cùng đối tượng, danh hiệu, năm"
                                   + ("" if len(row.key) == 2 else ", số quyết định") + ")."))
            continue
        seen[key] = row.row
        unique_rows.append(row)
    rows = unique_rows

    errors += _check_collectives([r for r in rows if r.kind == NomineeKind.COLLECTIVE])
    groups = _group_people([r for r in rows if r.kind == NomineeKind.INDIVIDUAL])
    errors += _check_groups(groups)
    order = list(COLUMNS.values())
    errors.sort(key=lambda e: (e.row, order.index(e.column) if e.column in order else 99))
    return Checked(rows=rows, groups=groups, errors=errors)


def _check_collectives(rows: list[AwardRow]) -> list[RowError]:
    """A collective's line that the gold book already holds is an error."""
    if not rows:
        return []
    existing: dict[int, dict[tuple, AwardRecord]] = defaultdict(dict)
    stored = db.session.scalars(sa.select(AwardRecord).where(
        AwardRecord.unit_id.in_({r.unit.id for r in rows}), AwardRecord.award_code.in_({r.award_code for r in rows})))
    categories = {r.award_code: r.award_type.category for r in rows}
    for record in stored:
        key = record_key(record.award_code, record.year, record.decision_number, categories[record.award_code])
        existing[record.unit_id][key] = record
    errors = []
    for row in rows:
        record = existing[row.unit.id].get(row.key)
        if record is not None:
            where = f" (quyết định số {record.decision_number})" if record.decision_number else ""
            errors.append(RowError(row.row, COLUMNS["award_code"],
                                   f"Sổ đã có “{record.award_name}” năm {record.year} của {row.unit.name}{where}."))
    return errors


def _group_people(rows: list[AwardRow]) -> list[PersonGroup]:
    by_key: dict[tuple, PersonGroup] = {}
    for row in rows:
        group = by_key.get(row.person_key)
        if group is None:
            group = by_key[row.person_key] = PersonGroup(key=f"g{len(by_key) + 1}", rows=[])
        group.rows.append(row)
    groups = list(by_key.values())
    if not groups:
        return groups
    names = {g.first.person_key[0] for g in groups}
    unit_ids = {g.first.unit.id for g in groups}
    candidates = db.session.scalars(
        sa.select(Person).where(Person.name_folded.in_(names), Person.unit_id.in_(unit_ids)).order_by(Person.id)
        .options(sa.orm.joinedload(Person.unit))
    )
    matches: dict[tuple, list[Person]] = defaultdict(list)
    for person in candidates:
        matches[(person.name_folded, person.birth_date, person.unit_id)].append(person)
    for group in groups:
        group.matches = matches.get(group.first.person_key, [])

    # Lines the matched people already hold, to warn before merging into them.
    matched_ids = {p.id for g in groups for p in g.matches}
    held: dict[int, set[tuple]] = defaultdict(set)
    if matched_ids:
        categories = {r.award_code: r.award_type.category for g in groups for r in g.rows}
        for record in db.session.scalars(sa.select(AwardRecord).where(AwardRecord.person_id.in_(matched_ids))):
            category = categories.get(record.award_code)
            if category is not None:
                held[record.person_id].add(
                    record_key(record.award_code, record.year, record.decision_number, category))
    for group in groups:
        for person in group.matches:
            repeats = [r for r in group.rows if r.key in held[person.id]]
            if repeats:
                group.repeats[person.id] = repeats
    return groups


def _check_groups(groups: list[PersonGroup]) -> list[RowError]:
    """Rows of one person must agree on the gender."""
    errors = []
    for group in groups:
        first_with: dict[Gender, int] = {}
        for row in group.rows:
            if row.gender is not None:
                first_with.setdefault(row.gender, row.row)
        if len(first_with) > 1:
            later = max(first_with.values())
            errors.append(RowError(later, COLUMNS["gender"],
                                   f"Giới tính khác với dòng {min(first_with.values())} của cùng người "
                                   f"“{group.first.full_name}”."))
    return errors


# --- applying ------------------------------------------------------------------------------------

def resolve_choices(checked: Checked, choices: Mapping[str, object] | None) -> tuple[dict[str, Person | None],
                                                                                    list[RowError]]:
    """Turn the preview's answers into group key → person to merge into (None: create a new one).

    A matched group without an answer merges into its oldest match. An answer naming a person who
    is not among the group's matches is an error, and so is merging a row the person already has."""
    choices = choices or {}
    targets: dict[str, Person | None] = {}
    errors: list[RowError] = []
    for group in checked.groups:
        answer = choices.get(group.key, MERGE if group.matches else NEW)
        answer = str(answer)
        if answer == NEW or not group.matches:
            targets[group.key] = None
            continue
        if answer == MERGE:
            person = group.matches[0]
        else:
            person = next((p for p in group.matches if str(p.id) == answer), None)
            if person is None:
                errors.append(RowError(group.first.row, COLUMNS["full_name"],
                                       f"Lựa chọn gộp cho “{group.first.full_name}” không còn hợp lệ; "
                                       "hãy chọn lại."))
                continue
        targets[group.key] = person
        for row in group.repeats.get(person.id, []):
            errors.append(RowError(row.row, COLUMNS["award_code"],
                                   f"{person.full_name} đã có “{row.award_type.name}” năm {row.year} trong sổ; "
                                   "hãy chọn “tạo người mới” hoặc bỏ dòng này khỏi tệp."))
    return targets, errors


def apply(checked: Checked, choices: Mapping[str, object] | None = None) -> ImportResult:
    """Write a checked file: create or reuse people, add one award record per row; one flush.

    Raises ImportInvalid (nothing written) when the file has errors or a choice is not acceptable."""
    if checked.errors:
        raise ImportInvalid(checked.errors)
    targets, errors = resolve_choices(checked, choices)
    if errors:
        raise ImportInvalid(errors)
    created = 0
    owner: dict[str, Person] = {}
    for group in checked.groups:
        person = targets[group.key]
        if person is None:
            latest = group.latest
            person = Person(
                full_name=group.first.full_name, birth_date=group.first.birth_date, unit=group.first.unit,
                gender=next((r.gender for r in group.rows if r.gender), None),
                position=next((r.position for r in sorted(group.rows, key=lambda r: -r.year) if r.position),
                              latest.position),
                subject_category=next((r.subject_category for r in sorted(group.rows, key=lambda r: -r.year)
                                       if r.subject_category), None),
            )
            db.session.add(person)
            label(person, "person.import")
            created += 1
        owner[group.key] = person
    group_of = {id(r): g.key for g in checked.groups for r in g.rows}
    for row in checked.rows:
        individual = row.kind == NomineeKind.INDIVIDUAL
        record = AwardRecord(
            nominee_kind=row.kind, person=owner[group_of[id(row)]] if individual else None,
            unit=None if individual else row.unit, award_code=row.award_code, award_name=row.award_type.name,
            method=row.method, year=row.year, decision_number=row.decision_number,
            decision_date=row.decision_date, issuer=row.issuer, gold_book_number=row.gold_book_number,
            source=RecordSource.IMPORT, note=row.note,
        )
        db.session.add(record)
        label(record, "award_record.import")
    db.session.flush()
    return ImportResult(records=len(checked.rows), people_created=created,
                        people_reused=len({p.id for g, p in targets.items() if p is not None}))


def import_awards(data: bytes, choices: Mapping[str, object] | None = None) -> ImportResult:
    """Check then apply; raise ImportInvalid (nothing saved) or ImportRefused."""
    return apply(check(data), choices)


# --- keeping the file between the two steps ------------------------------------------------------

def _stash_name(token: str) -> str:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise StaleImport("Không tìm thấy tệp đang chờ nhập (đường dẫn không hợp lệ). Vui lòng tải tệp lên lại.")
    return f"{STASH_PREFIX}{token}.xlsx"


def stash(data: bytes) -> str:
    """Keep `data` in the upload folder under a new random token; old stashed files are removed."""
    _purge_stale()
    token = secrets.token_hex(16)
    storage.path_of(_stash_name(token)).write_bytes(data)
    return token


def unstash(token: str) -> bytes:
    """The bytes kept under `token`; raise StaleImport when unknown or expired."""
    path = storage.path_of(_stash_name(token))
    try:
        if time.time() - path.stat().st_mtime > STASH_MAX_AGE:
            path.unlink(missing_ok=True)
            raise StaleImport("Tệp chờ nhập đã quá hạn (sau 24 giờ). Vui lòng tải tệp lên lại.")
        return path.read_bytes()
    except FileNotFoundError:
        raise StaleImport("Không tìm thấy tệp đang chờ nhập: có thể đã được nhập, đã hủy hoặc đã quá hạn. "
                          "Vui lòng tải tệp lên lại.") from None


def discard(token: str) -> None:
    with contextlib.suppress(StaleImport):
        storage.delete_stored(_stash_name(token))


def _purge_stale() -> None:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    now = time.time()
    for path in folder.glob(f"{STASH_PREFIX}*.xlsx"):
        try:
            if now - path.stat().st_mtime > STASH_MAX_AGE:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


# --- the template --------------------------------------------------------------------------------

def template_workbook() -> bytes:
    """A blank template: the header row with a note on each column, and sheets listing the award
    codes of the catalogue, the statistical subject categories and the award methods."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_AWARDS
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE2E1")
    widths = {"kind": 14, "full_name": 28, "birth_date": 13, "gender": 10, "position": 24, "subject_category": 26,
              "unit_code": 18, "award_code": 22, "year": 8, "decision_number": 18, "decision_date": 15,
              "issuer": 32, "gold_book_number": 12, "method": 22, "note": 28}
    text_columns = {"unit_code", "award_code", "birth_date", "decision_date", "decision_number", "gold_book_number"}
    for index, (key, header) in enumerate(COLUMNS.items(), start=1):
        cell = sheet.cell(row=1, column=index, value=header + (" *" if key in REQUIRED_COLUMNS else ""))
        cell.font = bold
        cell.fill = fill
        if HELP[key]:
            cell.comment = Comment(HELP[key], "thidua", width=300, height=120)
        sheet.column_dimensions[cell.column_letter].width = widths[key]
        if key in text_columns:
            # Text cells keep leading zeros in codes and dates typed as dd/mm/yyyy.
            for row in range(FIRST_DATA_ROW, 1001):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    def listing(title: str, headers: list[str], rows: list[list], widths_: list[int]):
        ws = workbook.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for values in rows:
            ws.append(values)
        for i, width in enumerate(widths_, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        return len(rows)

    catalogue: dict[str, AwardType] = {}
    for t in db.session.scalars(sa.select(AwardType).order_by(AwardType.position, AwardType.effective_from.desc())):
        catalogue.setdefault(t.code, t)
    subjects_of = {"individual": "Cá nhân", "collective": "Tập thể", "household": "Hộ gia đình"}
    n_awards = listing(SHEET_CATALOGUE, ["Mã", "Tên danh hiệu, hình thức", "Loại", "Dành cho"],
                       [[t.code, t.name, t.category.label, ", ".join(subjects_of[s] for s in t.subjects)]
                        for t in catalogue.values()], [14, 55, 24, 26])
    listing(SHEET_SUBJECTS, ["Giá trị", "Đối tượng"], [[s.value, s.label] for s in SubjectCategory], [20, 70])
    listing(SHEET_METHODS, ["Giá trị", "Phương thức"], [[m.value, m.label] for m in AwardMethod], [14, 40])

    def column(key: str) -> str:
        return get_column_letter(list(COLUMNS).index(key) + 1)

    for key, formula in (
        ("kind", '"Cá nhân,Tập thể"'),
        ("gender", '"Nam,Nữ"'),
        ("award_code", f"='{SHEET_CATALOGUE}'!$A$2:$A${n_awards + 1}"),
        ("subject_category", f"='{SHEET_SUBJECTS}'!$B$2:$B${len(SubjectCategory) + 1}"),
        ("method", f"='{SHEET_METHODS}'!$B$2:$B${len(AwardMethod) + 1}"),
    ):
        choices = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
        choices.add(f"{column(key)}{FIRST_DATA_ROW}:{column(key)}1000")
        sheet.add_data_validation(choices)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
