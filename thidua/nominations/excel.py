"""Excel in and out for dossier lists.

Import, for one title or form: `build_import_template(award_type)` is the blank workbook officers
download (one row per nominee); `parse_import(data, ...)` reads and checks every row and returns
(rows, errors), errors by Excel row number and column in Vietnamese; `import_nominations(rows, ...)`
creates the draft dossiers through `services.create_nomination`, in the caller's transaction. Nothing
is saved when any row is wrong: the view saves only when there are no errors, and rolls back when the
creation step still refuses a row.

Export: `export_nominations(rows)` writes any list of dossiers (the list page's filters decide which)
with Vietnamese headers, status labels and dd/mm/yyyy dates.

The approach (header matching, cell reading, `RowError`, all-or-nothing) is the unit importer's
(`thidua.org.importer`), reused rather than repeated.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa
from flask import current_app
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from thidua.enums import LabeledEnum
from thidua.extensions import db
from thidua.org.importer import ImportInvalid, ImportRefused, RowError
from thidua.org.importer import cell_date as read_date
from thidua.org.importer import cell_text as read_text
from thidua.org.models import Unit
from thidua.org.queries import descendant_ids
from thidua.registry import services as registry
from thidua.registry.models import Gender, Person, SubjectCategory
from thidua.registry.queries import find_matches
from thidua.rules.models import AwardMethod, AwardType
from thidua.text import fold

from . import services
from .models import ACTIVE_STATUSES, Nomination

__all__ = ["ImportInvalid", "ImportRefused", "RowError", "NomineeRow", "ImportResult", "columns_for",
           "build_import_template", "parse_import", "import_nominations", "export_nominations"]

SUMMARY_MAX = 20000
FIRST_DATA_ROW = 2
MAX_TEMPLATE_ROWS = 1000
SHEET_LIST = "Danh sách đề nghị"
SHEET_CHOICES = "Danh mục"

# key → header as written in the template
HEADERS: dict[str, str] = {
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "position": "Chức vụ",
    "unit_code": "Mã đơn vị công tác",
    "subject": "Đối tượng",
    "collective_code": "Mã đơn vị tập thể",
    "collective_kind": "Loại tập thể",
    "year": "Năm",
    "method": "Phương thức",
    "summary": "Tóm tắt thành tích",
}
INDIVIDUAL_KEYS = ("full_name", "birth_date", "gender", "position", "unit_code", "subject")
COLLECTIVE_KEYS = ("collective_code", "collective_kind")
COMMON_KEYS = ("year", "method", "summary")
WIDTHS = {"full_name": 28, "birth_date": 13, "gender": 9, "position": 28, "unit_code": 22, "subject": 40,
          "collective_code": 22, "collective_kind": 18, "year": 8, "method": 32, "summary": 60}


class CollectiveKind(LabeledEnum):
    """What a nominated collective is, for the statistics (an enterprise, a household, or neither)."""

    AGENCY = ("agency", "Cơ quan, đơn vị")
    ENTERPRISE = ("enterprise", "Doanh nghiệp")
    HOUSEHOLD = ("household", "Hộ gia đình")


def _for_individuals(award_type: AwardType) -> bool:
    return award_type.for_individual


def _for_collectives(award_type: AwardType) -> bool:
    # A household is filed as a collective flagged as a household (see services.Nominee).
    return award_type.for_collective or award_type.for_household


def collective_kinds(award_type: AwardType) -> list[CollectiveKind]:
    kinds = []
    if award_type.for_collective:
        kinds += [CollectiveKind.AGENCY, CollectiveKind.ENTERPRISE]
    if award_type.for_household:
        kinds.append(CollectiveKind.HOUSEHOLD)
    return kinds


def columns_for(award_type: AwardType) -> list[str]:
    """The column keys of this award's template, in order."""
    keys: list[str] = []
    if _for_individuals(award_type):
        keys += INDIVIDUAL_KEYS
    if _for_collectives(award_type):
        keys += COLLECTIVE_KEYS
    return keys + list(COMMON_KEYS)


def required_columns(award_type: AwardType) -> list[str]:
    keys = list(COMMON_KEYS)
    if _for_individuals(award_type) and not _for_collectives(award_type):
        keys = ["full_name", "unit_code", "subject", *keys]
    elif _for_collectives(award_type) and not _for_individuals(award_type):
        keys = ["collective_code", *keys]
    return keys


def column_help(award_type: AwardType) -> dict[str, str]:
    both = _for_individuals(award_type) and _for_collectives(award_type)
    person = " (cá nhân)" if both else ""
    kinds = collective_kinds(award_type)
    kind_names = ", ".join(f"“{k.label}”" for k in kinds)
    return {
        "full_name": f"Bắt buộc{person}. Họ và tên đầy đủ, có dấu."
                     + (" Để trống nếu dòng là tập thể." if both else ""),
        "birth_date": "Dạng dd/mm/yyyy. Người đã có trong sổ (trùng họ tên, ngày sinh và đơn vị công tác) "
                      "được dùng lại, không tạo trùng.",
        "gender": "“Nam” hoặc “Nữ”.",
        "position": "Chức vụ hiện tại, ví dụ: Giáo viên, Trưởng phòng.",
        "unit_code": f"Bắt buộc{person}. Mã đơn vị nơi người được đề nghị công tác; phải thuộc đơn vị đề nghị.",
        "subject": f"Bắt buộc{person}. Một trong các đối tượng ở trang “{SHEET_CHOICES}” (dùng cho báo cáo thống kê).",
        "collective_code": ("Bắt buộc (tập thể). " if both else "Bắt buộc. ")
                           + "Mã đơn vị của tập thể được đề nghị; phải thuộc đơn vị đề nghị.",
        "collective_kind": f"{kind_names}. Để trống là “{kinds[0].label}”." if kinds else "",
        "year": "Bắt buộc. Năm xét khen thưởng, ví dụ 2025.",
        "method": f"Bắt buộc. Một trong các phương thức ở trang “{SHEET_CHOICES}”, ví dụ “Thường xuyên”.",
        "summary": f"Bắt buộc. Tối đa {SUMMARY_MAX} ký tự.",
    }


# --- reading choices -------------------------------------------------------------------------------

@functools.cache
def _lookup(enum_cls: type[LabeledEnum]) -> dict[str, LabeledEnum]:
    """Accept a member's value, its label, or the label's part before a parenthesis, folded; methods
    also by each part of their label ("chuyên đề", "hằng năm")."""
    table: dict[str, LabeledEnum] = {}
    for member in enum_cls:
        texts = [member.value, member.label, member.label.split(" (")[0]]
        if enum_cls is AwardMethod:
            texts += re.split(r"[(),]", member.label)
        for text in texts:
            if fold(text):
                table.setdefault(fold(text), member)
    return table


def _parse_choice(enum_cls: type[LabeledEnum], value) -> LabeledEnum | None:
    return _lookup(enum_cls).get(fold(read_text(value)))


def _short_label(member: LabeledEnum) -> str:
    return member.label.split(" (")[0]


# --- the template ----------------------------------------------------------------------------------

def build_import_template(award_type: AwardType) -> bytes:
    """A blank template for `award_type`: one header row with a note on each column, drop-down lists
    for the closed sets, and a second sheet listing the allowed values. The award's code is kept in the
    file's properties so a template of another award is recognised on upload."""
    keys = columns_for(award_type)
    helps = column_help(award_type)
    required = set(required_columns(award_type))
    workbook = openpyxl.Workbook()
    workbook.properties.title = f"Danh sách đề nghị {award_type.name}"
    workbook.properties.subject = award_type.code
    sheet = workbook.active
    sheet.title = SHEET_LIST
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE2E1")
    for index, key in enumerate(keys, start=1):
        cell = sheet.cell(row=1, column=index, value=HEADERS[key] + (" *" if key in required else ""))
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.comment = Comment(helps[key], "thidua", width=320, height=130)
        sheet.column_dimensions[cell.column_letter].width = WIDTHS[key]
        if key in ("unit_code", "collective_code", "birth_date"):
            # Text cells keep leading zeros in codes and dates typed as dd/mm/yyyy.
            for row in range(FIRST_DATA_ROW, MAX_TEMPLATE_ROWS + 1):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    choices = workbook.create_sheet(SHEET_CHOICES)
    lists = {
        "gender": [g.label for g in Gender],
        "subject": [s.label for s in SubjectCategory],
        "collective_kind": [k.label for k in collective_kinds(award_type)],
        "method": [_short_label(m) for m in AwardMethod],
    }
    column = 0
    for key, values in lists.items():
        if key not in keys:
            continue
        column += 1
        head = choices.cell(row=1, column=column, value=HEADERS[key])
        head.font = bold
        head.fill = fill
        for row, value in enumerate(values, start=2):
            choices.cell(row=row, column=column, value=value)
        letter = head.column_letter
        choices.column_dimensions[letter].width = max(len(v) for v in values) + 4
        target = sheet.cell(row=1, column=keys.index(key) + 1).column_letter
        validation = DataValidation(type="list", formula1=f"='{SHEET_CHOICES}'!${letter}$2:${letter}${len(values) + 1}",
                                    allow_blank=True, showErrorMessage=False)
        validation.add(f"{target}{FIRST_DATA_ROW}:{target}{MAX_TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)
    note = choices.cell(row=len(SubjectCategory) + 4, column=1,
                        value=f"Tệp mẫu: {award_type.name} ({award_type.code}). Dữ liệu nhập ở trang “{SHEET_LIST}”, "
                              "bắt đầu từ dòng 2.")
    note.font = Font(italic=True)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- checking --------------------------------------------------------------------------------------

@dataclass
class NomineeRow:
    """One checked row: an individual (an existing `person`, or the fields of a new one) or a
    collective (`collective_unit`)."""

    row: int
    year: int
    method: AwardMethod
    summary: str
    full_name: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    position: str | None = None
    person_unit: Unit | None = None
    subject: SubjectCategory | None = None
    person: Person | None = None
    collective_unit: Unit | None = None
    kind: CollectiveKind | None = None

    @property
    def is_collective(self) -> bool:
        return self.collective_unit is not None

    def person_key(self) -> tuple:
        return (fold(self.full_name), self.birth_date, self.person_unit.id if self.person_unit else None)


@dataclass
class ImportResult:
    created: int
    people_created: int
    people_reused: int


def _header_keys(award_type: AwardType) -> dict[str, str]:
    """Folded header → column key; "Mã đơn vị" alone is accepted when the award has one kind of nominee."""
    table = {fold(HEADERS[k]): k for k in columns_for(award_type)}
    if not _for_collectives(award_type):
        table[fold("Mã đơn vị")] = "unit_code"
    elif not _for_individuals(award_type):
        table[fold("Mã đơn vị")] = "collective_code"
    return table


def _read_sheet(data: bytes, award_type: AwardType):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it drops
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise ImportRefused("Không đọc được tệp Excel; hãy mở và lưu lại tệp bằng Excel (.xlsx) rồi thử lại.") from exc
    made_for = (workbook.properties.subject or "").strip()
    if made_for and made_for != award_type.code:
        raise ImportRefused(f"Tệp này là mẫu của danh hiệu, hình thức có mã “{made_for}”, không phải "
                            f"“{award_type.name}”. Hãy tải tệp mẫu đúng danh hiệu, hình thức đã chọn.")
    sheet = workbook.worksheets[0]
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    table = _header_keys(award_type)
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = table.get(fold((read_text(value) or "").rstrip("* ")))
        if key and key not in positions:
            positions[key] = index
    missing = [HEADERS[k] for k in required_columns(award_type) if k not in positions]
    if not missing and not ({"full_name", "collective_code"} & set(positions)):
        missing = [HEADERS["full_name"], HEADERS["collective_code"]]
    if missing:
        raise ImportRefused("Dòng 1 của trang tính đầu tiên phải là tiêu đề cột; thiếu cột "
                            + ", ".join(f"“{m}”" for m in missing) + ". Hãy dùng tệp mẫu.")
    return sheet, positions


def parse_import(data: bytes, *, award_type: AwardType, unit: Unit,
                 officer_scope_ids: Iterable[int]) -> tuple[list[NomineeRow], list[RowError]]:
    """Read and check every row of an import file for `award_type`, filed by `unit`.

    Nominees (people's units and collectives) must be `unit` or below it, and within the officer's
    scope. A person already in the registry (same folded name, birth date and unit) is reused. Returns
    the rows and the errors, sorted by row then column; raises ImportRefused when the file itself is
    unusable (unreadable, a template of another award, a required column missing, no data row).
    """
    sheet, positions = _read_sheet(data, award_type)
    allowed = descendant_ids([unit.id]) & set(officer_scope_ids)
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    rows: list[NomineeRow] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple, int] = {}
    for number, values in enumerate(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True), start=FIRST_DATA_ROW):
        cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
        if all(read_text(v) is None for v in cells.values()):
            continue  # a blank line
        row, row_errors = _parse_row(number, cells, award_type=award_type, units=units, allowed=allowed)
        errors += row_errors
        if row is None:
            continue
        key = (("u", row.collective_unit.id) if row.is_collective else ("p", *row.person_key())) + (row.year,)
        if key in first_row_of:
            column = "collective_code" if row.is_collective else "full_name"
            errors.append(RowError(number, HEADERS[column],
                                   f"Trùng với dòng {first_row_of[key]}: cùng người (tập thể) được đề nghị, cùng năm."))
            continue
        first_row_of[key] = number
        rows.append(row)
    if not rows and not errors:
        raise ImportRefused("Tệp không có dòng dữ liệu nào (dữ liệu bắt đầu từ dòng 2).")
    errors += _existing_dossiers(rows, unit=unit, award_type=award_type)
    order = list(HEADERS.values())
    errors.sort(key=lambda e: (e.row, order.index(e.column) if e.column in order else len(order)))
    return rows, errors


def _parse_row(number: int, cells: dict, *, award_type: AwardType, units: dict[str, Unit],
               allowed: set[int]) -> tuple[NomineeRow | None, list[RowError]]:
    errors: list[RowError] = []

    def error(key: str, message: str) -> None:
        errors.append(RowError(number, HEADERS[key], message))

    def unit_of(key: str) -> Unit | None:
        code = read_text(cells.get(key))
        if not code:
            return None
        found = units.get(code)
        if found is None:
            error(key, f"Không tìm thấy đơn vị có mã “{code}”.")
        elif found.id not in allowed:
            error(key, f"Đơn vị “{found.name}” ({code}) không thuộc đơn vị đề nghị hoặc ngoài phạm vi "
                       "tài khoản được phép.")
            return None
        return found

    full_name = " ".join((read_text(cells.get("full_name")) or "").split()) or None
    collective_code = read_text(cells.get("collective_code"))
    row = NomineeRow(row=number, year=0, method=AwardMethod.REGULAR, summary="")
    if full_name and collective_code:
        error("collective_code", "Mỗi dòng chỉ đề nghị một cá nhân hoặc một tập thể: để trống Họ và tên hoặc "
                                 "Mã đơn vị tập thể.")
    elif full_name:
        _parse_person(row, full_name, cells, award_type=award_type, error=error, unit_of=unit_of)
    elif collective_code:
        _parse_collective(row, cells, award_type=award_type, error=error, unit_of=unit_of)
    elif _for_individuals(award_type) and _for_collectives(award_type):
        error("full_name", "Vui lòng nhập Họ và tên (cá nhân) hoặc Mã đơn vị tập thể (tập thể).")
    elif _for_individuals(award_type):
        error("full_name", "Vui lòng nhập họ và tên.")
    else:
        error("collective_code", "Vui lòng nhập mã đơn vị của tập thể được đề nghị.")

    year_text = read_text(cells.get("year"))
    try:
        row.year = int(year_text) if year_text else None
    except ValueError:
        error("year", f"Năm “{year_text}” không hợp lệ; hãy nhập 4 chữ số, ví dụ 2025.")
    else:
        problem = registry.year_problem(row.year)
        if problem:
            error("year", problem)
        elif not services.award_in_force(award_type, row.year):
            error("year", f"“{award_type.name}” (phiên bản từ {award_type.effective_from:%d/%m/%Y}) không áp dụng "
                          f"cho năm {row.year}.")

    method_text = read_text(cells.get("method"))
    method = _parse_choice(AwardMethod, method_text)
    if not method_text:
        error("method", "Vui lòng nhập phương thức khen thưởng.")
    elif method is None:
        error("method", f"Phương thức “{method_text}” không có trong danh mục (xem trang “{SHEET_CHOICES}”).")
    else:
        row.method = method

    summary = read_text(cells.get("summary"))
    if not summary:
        error("summary", "Vui lòng nhập tóm tắt thành tích.")
    elif len(summary) > SUMMARY_MAX:
        error("summary", f"Tóm tắt thành tích tối đa {SUMMARY_MAX} ký tự.")
    else:
        row.summary = summary
    return (None if errors else row), errors


def _parse_person(row: NomineeRow, full_name: str, cells: dict, *, award_type: AwardType, error, unit_of) -> None:
    if not _for_individuals(award_type):
        error("full_name", f"“{award_type.name}” không xét tặng cho cá nhân; hãy nhập Mã đơn vị tập thể.")
        return
    row.full_name = full_name
    if len(full_name) > registry.NAME_MAX:
        error("full_name", f"Họ và tên tối đa {registry.NAME_MAX} ký tự.")
    try:
        row.birth_date = read_date(cells.get("birth_date"))
    except ValueError:
        error("birth_date", f"Ngày “{read_text(cells.get('birth_date'))}” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy.")
    else:
        if row.birth_date and row.birth_date > date.today():
            error("birth_date", "Ngày sinh không được sau ngày hôm nay.")
    gender_text = read_text(cells.get("gender"))
    if gender_text:
        row.gender = _parse_choice(Gender, gender_text)
        if row.gender is None:
            error("gender", f"Giới tính “{gender_text}” không hợp lệ; hãy nhập “Nam” hoặc “Nữ”.")
    row.position = read_text(cells.get("position"))
    if row.position and len(row.position) > registry.POSITION_MAX:
        error("position", f"Chức vụ tối đa {registry.POSITION_MAX} ký tự.")
    if read_text(cells.get("unit_code")) is None:
        error("unit_code", "Vui lòng nhập mã đơn vị công tác của người được đề nghị.")
    else:
        row.person_unit = unit_of("unit_code")
    subject_text = read_text(cells.get("subject"))
    if not subject_text:
        error("subject", "Vui lòng nhập đối tượng (dùng cho báo cáo thống kê).")
    else:
        row.subject = _parse_choice(SubjectCategory, subject_text)
        if row.subject is None:
            error("subject", f"Đối tượng “{subject_text}” không có trong danh mục (xem trang “{SHEET_CHOICES}”).")
    if row.person_unit is not None:
        matches = find_matches(full_name, row.birth_date, row.person_unit.id)
        row.person = matches[0] if matches else None


def _parse_collective(row: NomineeRow, cells: dict, *, award_type: AwardType, error, unit_of) -> None:
    if not _for_collectives(award_type):
        error("collective_code", f"“{award_type.name}” không xét tặng cho tập thể; hãy nhập Họ và tên cá nhân.")
        return
    row.collective_unit = unit_of("collective_code")
    kinds = collective_kinds(award_type)
    kind_text = read_text(cells.get("collective_kind"))
    if not kind_text:
        row.kind = kinds[0]
    else:
        row.kind = _parse_choice(CollectiveKind, kind_text)
        if row.kind not in kinds:
            error("collective_kind", f"Loại tập thể “{kind_text}” không hợp lệ với “{award_type.name}”; chọn "
                                     + ", ".join(f"“{k.label}”" for k in kinds) + ".")


def _existing_dossiers(rows: list[NomineeRow], *, unit: Unit, award_type: AwardType) -> list[RowError]:
    """Rows whose nominee already has a live dossier of `unit` for this award and year (outside any
    campaign): importing them would duplicate it."""
    people = {r.person.id for r in rows if r.person is not None}
    collectives = {r.collective_unit.id for r in rows if r.collective_unit is not None}
    if not people and not collectives:
        return []
    stmt = (sa.select(Nomination)
            .join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(Nomination.unit_id == unit.id, AwardType.code == award_type.code,
                   Nomination.campaign_id.is_(None), Nomination.status.in_(list(ACTIVE_STATUSES)),
                   Nomination.person_id.in_(people) | Nomination.nominee_unit_id.in_(collectives)))
    existing = {}
    for n in db.session.scalars(stmt):
        existing[(n.nominee_key, n.year)] = n
    errors = []
    for r in rows:
        key = (f"u{r.collective_unit.id}" if r.is_collective else f"p{r.person.id}" if r.person else None, r.year)
        other = existing.get(key)
        if other is not None:
            errors.append(RowError(r.row, HEADERS["collective_code" if r.is_collective else "full_name"],
                                   f"Đơn vị đã có hồ sơ đề nghị “{other.award_type.name}” năm {other.year} cho "
                                   f"“{other.nominee_name}” (hồ sơ số {other.id}, {other.status.label})."))
    return errors


# --- creating --------------------------------------------------------------------------------------

_FIELD_COLUMNS = {"full_name": "full_name", "birth_date": "birth_date", "position": "position",
                  "unit_id": "unit_code", "new_unit_id": "unit_code", "person_id": "full_name",
                  "nominee_unit_id": "collective_code", "is_household": "collective_kind",
                  "award_type_id": "year", "year": "year", "method": "method",
                  "achievement_summary": "summary"}


def import_nominations(rows: list[NomineeRow], *, unit: Unit, award_type: AwardType, actor) -> ImportResult:
    """Create one draft dossier per checked row, filed by `unit`, through the dossier service; new
    people are added to the registry, matched ones reused (their empty gender, position or subject
    category filled from the file). Flushes, never commits.

    :raise ImportInvalid: a row was refused at creation (e.g. a dossier filed meanwhile); the caller
        rolls back so nothing is saved.
    """
    errors: list[RowError] = []
    created_people: dict[tuple, Person] = {}
    reused: set[int] = set()
    created = 0
    for r in rows:
        try:
            nominee = _nominee(r, created_people, reused)
            nomination = services.create_nomination(unit=unit, nominee=nominee, award_type=award_type,
                                                     method=r.method, year=r.year, achievement_summary=r.summary,
                                                     actor=actor)
        except (services.NominationError, registry.RegistryError) as exc:
            column = _FIELD_COLUMNS.get(getattr(exc, "field", None) or "",
                                        "collective_code" if r.is_collective else "full_name")
            errors.append(RowError(r.row, HEADERS[column], str(exc)))
            continue
        created += 1
        if not r.is_collective and r.person is None:
            created_people.setdefault(r.person_key(), nomination.person)
    if errors:
        raise ImportInvalid(errors)
    return ImportResult(created=created, people_created=len(created_people), people_reused=len(reused))


def _nominee(r: NomineeRow, created_people: dict[tuple, Person], reused: set[int]) -> services.Nominee:
    if r.is_collective:
        return services.Nominee(unit=r.collective_unit, is_enterprise=r.kind == CollectiveKind.ENTERPRISE,
                                is_household=r.kind == CollectiveKind.HOUSEHOLD)
    if r.person is not None:
        blanks = {key: value for key, value in (("gender", r.gender), ("position", r.position),
                                                ("subject_category", r.subject))
                  if value and not getattr(r.person, key)}
        if blanks:
            registry.update_person(r.person, **blanks)
        reused.add(r.person.id)
        return services.Nominee(person=r.person)
    earlier = created_people.get(r.person_key())
    if earlier is not None:  # the same new person on two rows (two years): created once
        return services.Nominee(person=earlier)
    return services.Nominee(new_person={
        "full_name": r.full_name, "birth_date": r.birth_date, "gender": r.gender, "position": r.position,
        "unit_id": r.person_unit.id, "subject_category": r.subject,
    })


# --- export ----------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "STT", "Mã hồ sơ", "Cá nhân / Tập thể", "Họ và tên / Tên tập thể", "Ngày sinh", "Giới tính", "Chức vụ",
    "Đơn vị công tác", "Đối tượng / Loại tập thể", "Danh hiệu, hình thức", "Năm", "Phương thức", "Phong trào",
    "Đơn vị đề nghị", "Tờ trình", "Trạng thái", "Ngày gửi", "Tóm tắt thành tích",
]
EXPORT_WIDTHS = [6, 10, 12, 30, 12, 9, 26, 32, 34, 34, 7, 26, 30, 32, 22, 26, 12, 60]
DATE_FORMAT = "DD/MM/YYYY"


def _collective_kind_label(n: Nomination) -> str:
    if n.is_household:
        return CollectiveKind.HOUSEHOLD.label
    return CollectiveKind.ENTERPRISE.label if n.is_enterprise else CollectiveKind.AGENCY.label


def _category_label(n: Nomination) -> str | None:
    if n.person is None:
        return _collective_kind_label(n)
    return n.person.subject_category.label if n.person.subject_category else None


def _local_date(value: datetime | None) -> date | None:
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date() if value else None


def export_row(index: int, n: Nomination, *, personal: bool = True) -> list:
    """One dossier as the values of an export row (dates as `date`, written dd/mm/yyyy); without
    `personal`, the nominee's birth date and gender stay blank (Decree 13/2023, see permissions)."""
    person = n.person
    shown = person if personal else None
    return [
        index, n.id, n.nominee_kind.label, n.nominee_name,
        shown.birth_date if shown else None,
        shown.gender.label if shown and shown.gender else None,
        person.position if person else None,
        person.unit.name if person and person.unit else None,
        _category_label(n),
        n.award_type.name, n.year, n.method.label,
        n.campaign.name if n.campaign else None,
        n.unit.name,
        f"{n.batch.number} ngày {n.batch.dated_on:%d/%m/%Y}" if n.batch else None,
        n.status.label,
        _local_date(n.submitted_at),
        n.achievement_summary,
    ]


def export_nominations(query_rows: Iterable[Nomination], *, filters: Iterable[tuple[str, str]] = (),
                       personal: Callable[[Nomination], bool] | None = None) -> bytes:
    """Write dossiers to an .xlsx: one row each under Vietnamese headers; a second sheet lists the
    filters (label, value) that chose them. Written in streaming mode, so long lists stay cheap.
    `personal(n)` says whether the reader may see n's nominee's birth date and gender (default: yes)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Hồ sơ đề nghị")
    for i, width in enumerate(EXPORT_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for count, n in enumerate(query_rows, start=1):
        values = export_row(count, n, personal=personal is None or personal(n))
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            cells.append(cell)
        sheet.append(cells)

    about = workbook.create_sheet("Bộ lọc")
    about.append([WriteOnlyCell(about, value="Điều kiện lọc"), WriteOnlyCell(about, value="Giá trị")])
    for label_, value in filters:
        about.append([label_, value])
    about.append(["Số hồ sơ", count])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
