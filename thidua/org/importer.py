"""Importing units from an Excel workbook: all rows are checked first, and nothing is saved unless
every row is valid.

`check(data)` reads the bytes of an .xlsx file and returns the parsed rows and the list of errors
(by Excel row number and column). `apply(rows)` creates new units and updates existing ones
(matched by code) and adds lineage links; it flushes, never commits, so the caller's transaction
holds the whole import. `import_units(data)` does both. `template_workbook()` builds the blank
template users download.

Columns are matched by their header (case- and diacritic-insensitive), in any order. A column
that is absent from the file leaves that attribute of existing units unchanged; an empty cell in
a present column clears it. Lineage ("Kế thừa từ") only adds links, it never removes one.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time

import openpyxl
import sqlalchemy as sa
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import aliased

from thidua.audit.services import label
from thidua.extensions import db
from thidua.fields import parse_vn_date
from thidua.text import fold, nfc

from .models import Unit, UnitKind, UnitSuccession
from .services import ADDRESS_MAX, NAME_MAX, code_problem, date_range_problem

# key → header as written in the template
COLUMNS: dict[str, str] = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "kind": "Loại đơn vị",
    "parent_code": "Mã đơn vị cấp trên",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "predecessors": "Kế thừa từ",
    "address": "Địa chỉ",
    "note": "Ghi chú",
}
REQUIRED_COLUMNS = ("code", "name", "kind")
HELP = {
    "code": "Bắt buộc. Mã định danh duy nhất, không có dấu cách. Trùng mã đơn vị đã có thì đơn vị đó được cập nhật.",
    "name": "Bắt buộc.",
    "kind": "Bắt buộc. Tên loại hoặc giá trị trong trang “Loại đơn vị”.",
    "parent_code": "Mã của đơn vị cấp trên: đơn vị đã có trong hệ thống hoặc một dòng trong tệp này. "
                   "Bỏ trống nếu là đơn vị cấp cao nhất.",
    "valid_from": "Ngày dạng dd/mm/yyyy. Bỏ trống nếu không rõ.",
    "valid_to": "Ngày cuối cùng đơn vị còn hoạt động, dạng dd/mm/yyyy. Bỏ trống nếu đơn vị đang hoạt động.",
    "predecessors": "Mã các đơn vị cũ mà đơn vị này kế thừa (sáp nhập), cách nhau bằng dấu phẩy.",
    "address": "",
    "note": "",
}
SHEET_UNITS = "Đơn vị"
SHEET_KINDS = "Loại đơn vị"
FIRST_DATA_ROW = 2


class ImportRefused(ValueError):
    """The whole file cannot be imported (not readable, missing columns, no rows); the message says
    why, in Vietnamese."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class UnitRow:
    row: int
    code: str
    name: str | None = None
    kind: UnitKind | None = None
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    predecessors: list[str] = field(default_factory=list)
    address: str | None = None
    note: str | None = None


@dataclass
class ImportResult:
    created: int
    updated: int


class ImportInvalid(ValueError):
    """Some rows are wrong; `errors` lists them and nothing was saved."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} lỗi trong tệp")
        self.errors = errors


# --- reading cells -------------------------------------------------------------------------------

def cell_text(value) -> str | None:
    """A cell as trimmed NFC text; whole numbers lose their ".0" (Excel stores 38 as 38.0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value))
    return text or None


def cell_date(value) -> date | None:
    """A cell as a date: an Excel date, or text dd/mm/yyyy; raise ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time | int | float | bool):
        raise ValueError(value)
    text = cell_text(value)
    return parse_vn_date(text) if text else None


_KIND_LOOKUP = {fold(k.value): k for k in UnitKind} | {fold(k.label): k for k in UnitKind}


def parse_kind(value) -> UnitKind | None:
    """The kind named by its value ("ward") or its Vietnamese label ("Phường"), in any case and with
    or without diacritics; None when unknown."""
    return _KIND_LOOKUP.get(fold(cell_text(value)))


def _header_key(value) -> str | None:
    folded = fold((cell_text(value) or "").rstrip("* "))
    for key, header in COLUMNS.items():
        if folded == fold(header):
            return key
    return None


# --- checking ------------------------------------------------------------------------------------

def read_rows(data: bytes) -> tuple[list[UnitRow], set[str], list[RowError]]:
    """Parse the first sheet: return the rows, the keys of the columns present, and the errors that
    need no database (required cells, lengths, kinds, dates, codes repeated in the file).

    Raises ImportRefused when the file cannot be read or lacks a required column.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise ImportRefused("Không đọc được tệp Excel; hãy mở và lưu lại tệp bằng Excel (.xlsx) rồi thử lại.") from exc
    sheet = workbook.worksheets[0]
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key and key not in positions:
            positions[key] = index
    missing = [COLUMNS[k] for k in REQUIRED_COLUMNS if k not in positions]
    if missing:
        raise ImportRefused(
            "Dòng 1 của trang tính đầu tiên phải là tiêu đề cột; thiếu cột "
            + ", ".join(f"“{m}”" for m in missing) + ". Hãy dùng tệp mẫu."
        )

    rows: list[UnitRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, values in enumerate(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True), start=FIRST_DATA_ROW):
        cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
        if all(cell_text(v) is None for v in cells.values()):
            continue  # blank line
        row, row_errors = _parse_row(number, cells)
        errors += row_errors
        if row.code:
            if row.code in first_row_of:
                errors.append(RowError(number, COLUMNS["code"],
                                       f"Mã “{row.code}” bị trùng với dòng {first_row_of[row.code]}."))
                continue
            first_row_of[row.code] = number
            rows.append(row)
    if not rows and not errors:
        raise ImportRefused("Tệp không có dòng dữ liệu nào (dữ liệu bắt đầu từ dòng 2).")
    return rows, set(positions), errors


def _parse_row(number: int, cells: dict) -> tuple[UnitRow, list[RowError]]:
    errors: list[RowError] = []

    def error(key: str, message: str) -> None:
        errors.append(RowError(number, COLUMNS[key], message))

    code = cell_text(cells.get("code"))
    problem = code_problem(code)
    if problem:
        error("code", problem)
        code = None
    row = UnitRow(row=number, code=code or "")

    row.name = cell_text(cells.get("name"))
    if not row.name:
        error("name", "Vui lòng nhập tên đơn vị.")
    elif len(row.name) > NAME_MAX:
        error("name", f"Tên đơn vị tối đa {NAME_MAX} ký tự.")

    kind_text = cell_text(cells.get("kind"))
    if not kind_text:
        error("kind", "Vui lòng nhập loại đơn vị.")
    else:
        row.kind = parse_kind(kind_text)
        if row.kind is None:
            error("kind", f"Loại đơn vị “{kind_text}” không có trong danh mục (xem trang “{SHEET_KINDS}” của tệp mẫu).")

    row.parent_code = cell_text(cells.get("parent_code"))
    if row.parent_code and code and row.parent_code == code:
        error("parent_code", "Một đơn vị không thể là cấp trên của chính nó.")

    for key in ("valid_from", "valid_to"):
        try:
            setattr(row, key, cell_date(cells.get(key)))
        except ValueError:
            error(key, f"Ngày “{cell_text(cells.get(key))}” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy.")

    codes = [c for c in (nfc(part) for part in (cell_text(cells.get("predecessors")) or "").replace(";", ",").split(","))
             if c]
    row.predecessors = list(dict.fromkeys(codes))
    if code and code in row.predecessors:
        error("predecessors", "Một đơn vị không thể kế thừa chính nó.")

    row.address = cell_text(cells.get("address"))
    if row.address and len(row.address) > ADDRESS_MAX:
        error("address", f"Địa chỉ tối đa {ADDRESS_MAX} ký tự.")
    row.note = cell_text(cells.get("note"))
    return row, errors


def check_against_database(rows: list[UnitRow], columns: set[str]) -> list[RowError]:
    """The checks that need the existing units: parent and predecessor codes exist (in the database
    or the file), no parent cycle, no lineage cycle, and validity ranges (taking stored dates for
    columns the file lacks)."""
    errors: list[RowError] = []
    in_file = {r.code: r for r in rows}
    existing = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    known = set(existing) | set(in_file)

    # The parent of every unit once the file is applied, by code.
    parent_of = {code: (u.parent.code if u.parent else None) for code, u in existing.items()}
    if "parent_code" in columns:
        parent_of.update({r.code: r.parent_code for r in rows})
    # Lineage once the file is applied: successor code → predecessor codes.
    predecessors_of: dict[str, set[str]] = {}
    predecessor, successor = aliased(Unit), aliased(Unit)
    stored_links = db.session.execute(
        sa.select(predecessor.code, successor.code)
        .select_from(UnitSuccession)
        .join(predecessor, UnitSuccession.predecessor_id == predecessor.id)
        .join(successor, UnitSuccession.successor_id == successor.id)
    )
    for predecessor_code, successor_code in stored_links:
        predecessors_of.setdefault(successor_code, set()).add(predecessor_code)
    for r in rows:
        predecessors_of.setdefault(r.code, set()).update(p for p in r.predecessors if p in known)

    for r in rows:
        if r.parent_code and r.parent_code != r.code:
            if r.parent_code not in known:
                errors.append(RowError(r.row, COLUMNS["parent_code"],
                                       f"Không tìm thấy đơn vị cấp trên có mã “{r.parent_code}” "
                                       "trong hệ thống hoặc trong tệp."))
            else:
                chain = _parent_cycle(r.code, parent_of)
                if chain:
                    errors.append(RowError(r.row, COLUMNS["parent_code"],
                                           "Cấp trên tạo thành vòng lặp: " + " → ".join(chain) + "."))
        unknown = [p for p in r.predecessors if p not in known]
        if unknown:
            errors.append(RowError(r.row, COLUMNS["predecessors"],
                                   "Không tìm thấy đơn vị có mã " + ", ".join(f"“{p}”" for p in unknown)
                                   + " trong hệ thống hoặc trong tệp."))
        elif r.predecessors and r.code not in r.predecessors and _reaches(r.code, r.code, predecessors_of):
            errors.append(RowError(r.row, COLUMNS["predecessors"],
                                   "Quan hệ kế thừa tạo thành vòng lặp (đơn vị kế thừa lại chính đơn vị đã kế thừa nó)."))

        stored = existing.get(r.code)
        valid_from = r.valid_from if "valid_from" in columns else (stored.valid_from if stored else None)
        valid_to = r.valid_to if "valid_to" in columns else (stored.valid_to if stored else None)
        problem = date_range_problem(valid_from, valid_to)  # a bad date was read as None: no false alarm
        if problem:
            errors.append(RowError(r.row, COLUMNS["valid_to"], problem))
    return errors


def _parent_cycle(code: str, parent_of: dict[str, str | None]) -> list[str] | None:
    """The chain code → … → code when following parents from `code` comes back to it, else None."""
    chain = [code]
    seen = {code}
    current = parent_of.get(code)
    while current is not None:
        chain.append(current)
        if current == code:
            return chain
        if current in seen:
            return None  # a cycle above, reported on its own rows
        seen.add(current)
        current = parent_of.get(current)
    return None


def _reaches(start: str, target: str, predecessors_of: dict[str, set[str]]) -> bool:
    """Whether following predecessor links from `start` leads to `target`."""
    seen: set[str] = set()
    frontier = set(predecessors_of.get(start, ()))
    while frontier:
        if target in frontier:
            return True
        seen |= frontier
        frontier = {p for c in frontier for p in predecessors_of.get(c, ())} - seen
    return False


def check(data: bytes) -> tuple[list[UnitRow], set[str], list[RowError]]:
    """Read and check every row; return (rows, columns present, errors sorted by row)."""
    rows, columns, errors = read_rows(data)
    errors += check_against_database(rows, columns)
    errors.sort(key=lambda e: (e.row, list(COLUMNS.values()).index(e.column)))
    return rows, columns, errors


# --- applying ------------------------------------------------------------------------------------

_SNAPSHOT = ("name", "kind", "parent", "valid_from", "valid_to", "address", "note")


def _snapshot(unit: Unit) -> tuple:
    return tuple(getattr(unit, key) for key in _SNAPSHOT)


def apply(rows: list[UnitRow], columns: set[str]) -> ImportResult:
    """Create and update units from checked rows, then add missing lineage links; one flush.

    Returns how many units were created and how many existing ones actually changed."""
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    before = {r.code: _snapshot(units[r.code]) for r in rows if r.code in units}
    for r in rows:
        unit = units.get(r.code)
        if unit is None:
            unit = units[r.code] = Unit(code=r.code)
            db.session.add(unit)
        unit.name = r.name
        unit.kind = r.kind
        for key in ("valid_from", "valid_to", "address", "note"):
            if key in columns:
                setattr(unit, key, getattr(r, key))
    if "parent_code" in columns:
        for r in rows:
            units[r.code].parent = units[r.parent_code] if r.parent_code else None

    links = {tuple(r) for r in db.session.execute(sa.select(UnitSuccession.predecessor_id, UnitSuccession.successor_id))}
    linked: set[str] = set()
    for r in rows:
        successor = units[r.code]
        for code in r.predecessors:
            predecessor = units[code]
            if (predecessor.id, successor.id) in links:  # both stored and already linked
                continue
            db.session.add(UnitSuccession(predecessor=predecessor, successor=successor, effective_on=r.valid_from))
            linked.add(r.code)

    changed = {code for code, snap in before.items() if snap != _snapshot(units[code])}
    for r in rows:
        if r.code not in before or r.code in changed:
            label(units[r.code], "unit.import")
    updated = changed | (linked & set(before))
    db.session.flush()
    return ImportResult(created=len(rows) - len(before), updated=len(updated))


def import_units(data: bytes) -> ImportResult:
    """Check every row, then apply them all; raise ImportInvalid (nothing saved) or ImportRefused."""
    rows, columns, errors = check(data)
    if errors:
        raise ImportInvalid(errors)
    return apply(rows, columns)


# --- the template --------------------------------------------------------------------------------

def template_workbook() -> bytes:
    """A blank import template: the header row with notes on each column, and a second sheet listing
    the allowed unit kinds (value and label)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_UNITS
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE2E1")
    widths = {"code": 20, "name": 40, "kind": 30, "parent_code": 22, "valid_from": 14, "valid_to": 14,
              "predecessors": 30, "address": 40, "note": 30}
    for index, (key, header) in enumerate(COLUMNS.items(), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = bold
        cell.fill = fill
        if HELP[key]:
            cell.comment = Comment(HELP[key], "thidua", width=300, height=120)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = widths[key]
        if key in ("code", "parent_code", "predecessors", "valid_from", "valid_to"):
            # Text cells keep leading zeros in codes and dates typed as dd/mm/yyyy.
            for row in range(FIRST_DATA_ROW, 1001):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    kinds = workbook.create_sheet(SHEET_KINDS)
    kinds.append(["Giá trị", "Tên loại đơn vị"])
    for cell in kinds[1]:
        cell.font = bold
        cell.fill = fill
    for kind in UnitKind:
        kinds.append([kind.value, kind.label])
    kinds.column_dimensions["A"].width = 22
    kinds.column_dimensions["B"].width = 50

    kind_column = get_column_letter(list(COLUMNS).index("kind") + 1)
    choices = DataValidation(type="list", formula1=f"='{SHEET_KINDS}'!$B$2:$B${len(UnitKind) + 1}",
                             allow_blank=True, showErrorMessage=False)
    choices.add(f"{kind_column}{FIRST_DATA_ROW}:{kind_column}1000")
    sheet.add_data_validation(choices)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
