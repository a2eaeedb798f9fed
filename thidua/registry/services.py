"""State changes of the registry: people, award records (the gold book), yearly evaluations,
initiatives and discipline periods. Services flush, never commit, and raise `RegistryError` with a
Vietnamese message (and the form field it concerns) when a change is refused.

Other domains create people and award records through these functions too (a nomination's new
nominee, a decision's awardees), so the rules below hold whatever the entry point.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db
from thidua.org.models import Unit
from thidua.rules.models import AwardCategory, AwardMethod
from thidua.text import fold, nfc

from .models import (
    AnnualEvaluation,
    AwardRecord,
    DisciplineRecord,
    Gender,
    Initiative,
    NomineeKind,
    Person,
    Rating,
    RecognitionLevel,
    RecordSource,
    SubjectCategory,
)
from .queries import award_type_for, find_matches

__all__ = ["RegistryError", "DuplicatePerson", "find_matches", "create_person", "update_person",
           "add_award_record", "update_award_record", "delete_award_record", "add_evaluation",
           "update_evaluation", "delete_evaluation", "add_initiative", "update_initiative",
           "delete_initiative", "add_discipline", "update_discipline", "delete_discipline",
           "national_id_problem", "year_problem"]

NAME_MAX = 200
POSITION_MAX = 255
FIRST_YEAR = 1945  # the oldest awards of the Democratic Republic of Viet Nam

PERSON_FIELDS = ("full_name", "gender", "birth_date", "position", "unit_id", "national_id", "subject_category",
                 "hired_on")
AWARD_FIELDS = ("award_code", "award_name", "method", "year", "decision_number", "decision_date", "issuer",
                "gold_book_number", "note")
INITIATIVE_FIELDS = ("title", "is_research", "level", "recognised_on", "decision_ref", "used_by_award_id")
DISCIPLINE_FIELDS = ("level", "starts_on", "ends_on", "note")


class RegistryError(ValueError):
    """A refused change; the message (Vietnamese) is shown beside the form field named `field`
    (or as a message for the whole form when `field` is None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DuplicatePerson(RegistryError):
    """People with the same name, birth date and unit already exist; `matches` lists them."""

    def __init__(self, matches: list[Person]):
        super().__init__("Đã có người trùng thông tin — dùng hồ sơ có sẵn hay vẫn tạo mới?", "full_name")
        self.matches = matches


# --- checks shared with the forms and the importer ----------------------------------------------

def national_id_problem(value: str | None) -> str | None:
    """Why `value` is not a national ID number (CMND 9 digits, CCCD 12 digits), or None."""
    if not value:
        return None
    if not value.isdigit() or len(value) not in (9, 12):
        return "Số CMND/CCCD gồm 9 hoặc 12 chữ số."
    return None


def year_problem(year: int | None, *, today: date | None = None) -> str | None:
    last = (today or date.today()).year + 1
    if year is None:
        return "Vui lòng nhập năm."
    if not FIRST_YEAR <= year <= last:
        return f"Năm phải từ {FIRST_YEAR} đến {last}."
    return None


# --- people -------------------------------------------------------------------------------------

def _person_values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if k in PERSON_FIELDS}
    if "full_name" in values:
        values["full_name"] = " ".join((nfc(values["full_name"]) or "").split())
    for key in ("position", "national_id"):
        if key in values:
            values[key] = nfc(values[key]) or None
    if values.get("gender"):
        values["gender"] = Gender(values["gender"])
    if values.get("subject_category"):
        values["subject_category"] = SubjectCategory(values["subject_category"])
    for key in ("gender", "subject_category", "unit_id"):
        if key in values and not values[key]:
            values[key] = None
    return values


def _check_person(values: dict[str, Any], *, person: Person | None) -> None:
    name = values.get("full_name", person.full_name if person else None)
    if not name:
        raise RegistryError("Vui lòng nhập họ và tên.", "full_name")
    if len(name) > NAME_MAX:
        raise RegistryError(f"Họ và tên tối đa {NAME_MAX} ký tự.", "full_name")
    if values.get("position") and len(values["position"]) > POSITION_MAX:
        raise RegistryError(f"Chức vụ tối đa {POSITION_MAX} ký tự.", "position")
    birth = values.get("birth_date")
    if birth and birth > date.today():
        raise RegistryError("Ngày sinh không được sau ngày hôm nay.", "birth_date")
    hired = values.get("hired_on")
    if hired and birth and hired < birth:
        raise RegistryError("Ngày tuyển dụng không được trước ngày sinh.", "hired_on")
    unit_id = values.get("unit_id")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise RegistryError("Không tìm thấy đơn vị.", "unit_id")
    national_id = values.get("national_id")
    problem = national_id_problem(national_id)
    if problem:
        raise RegistryError(problem, "national_id")
    if national_id:
        owner = db.session.scalar(sa.select(Person).where(Person.national_id == national_id))
        if owner is not None and owner is not person:
            raise RegistryError("Số CMND/CCCD này đã thuộc về một người khác trong sổ.", "national_id")


def create_person(*, allow_duplicate: bool = False, **fields: Any) -> Person:
    """Create a person from PERSON_FIELDS (unit by `unit_id`). Raises DuplicatePerson when people
    with the same folded name, birth date and unit exist, unless `allow_duplicate`."""
    values = _person_values(fields)
    _check_person(values, person=None)
    if not allow_duplicate:
        matches = find_matches(values["full_name"], values.get("birth_date"), values.get("unit_id"))
        if matches:
            raise DuplicatePerson(matches)
    person = Person(**values)
    db.session.add(person)
    label(person, "person.create")
    db.session.flush()
    return person


def update_person(person: Person, **fields: Any) -> Person:
    values = _person_values(fields)
    _check_person(values, person=person)
    for key, value in values.items():
        setattr(person, key, value)
    label(person, "person.update")
    db.session.flush()
    return person


# --- award records ------------------------------------------------------------------------------

def _same_record(record_filter, *, code: str, year: int, decision_number: str | None, category: AwardCategory,
                 exclude: AwardRecord | None) -> AwardRecord | None:
    """An existing record the new one would repeat: a title is received once a year; a form of
    commendation may be received several times a year, but once per decision."""
    stmt = sa.select(AwardRecord).where(record_filter, AwardRecord.award_code == code, AwardRecord.year == year)
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(AwardRecord.id != exclude.id)
    for other in db.session.scalars(stmt):
        if category == AwardCategory.TITLE or fold(other.decision_number) == fold(decision_number):
            return other
    return None


def record_key(code: str, year: int, decision_number: str | None, category: AwardCategory) -> tuple:
    """What makes two records of one nominee the same line of the gold book (see `_same_record`)."""
    return (code, year) if category == AwardCategory.TITLE else (code, year, fold(decision_number))


def _award_values(fields: dict[str, Any], record: AwardRecord | None) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if k in AWARD_FIELDS}
    for key in ("award_name", "decision_number", "issuer", "gold_book_number", "note"):
        if key in values:
            values[key] = nfc(values[key]) or None
    if values.get("method"):
        values["method"] = AwardMethod(values["method"])
    elif "method" in values or record is None:
        values["method"] = AwardMethod.REGULAR
    return values


def _apply_award(record: AwardRecord, values: dict[str, Any], *, person: Person | None, unit: Unit | None) -> None:
    """Check and set the fields of `record`, whose nominee is `person` or `unit` (passed apart so a
    new record is tied to its nominee only once it is valid)."""
    code = values.get("award_code", record.award_code)
    year = values.get("year", record.year)
    problem = year_problem(year)
    if problem:
        raise RegistryError(problem, "year")
    award_type = award_type_for(code, year) if code else None
    if award_type is None:
        raise RegistryError(f"Mã danh hiệu, hình thức “{code or ''}” không có trong danh mục.", "award_code")
    kind = record.nominee_kind
    if kind == NomineeKind.INDIVIDUAL and not award_type.for_individual:
        raise RegistryError(f"“{award_type.name}” không dành cho cá nhân.", "award_code")
    if kind == NomineeKind.COLLECTIVE and not (award_type.for_collective or award_type.for_household):
        raise RegistryError(f"“{award_type.name}” không dành cho tập thể.", "award_code")
    decision_date = values.get("decision_date", record.decision_date)
    if decision_date and decision_date > date.today():
        raise RegistryError("Ngày quyết định không được sau ngày hôm nay.", "decision_date")
    if decision_date and decision_date.year < year:
        raise RegistryError("Ngày quyết định không được trước năm được khen thưởng.", "decision_date")
    nominee_id = person.id if kind == NomineeKind.INDIVIDUAL else unit.id
    nominee = AwardRecord.person_id == nominee_id if kind == NomineeKind.INDIVIDUAL else AwardRecord.unit_id == nominee_id
    decision_number = values.get("decision_number", record.decision_number)
    other = None if nominee_id is None else _same_record(
        nominee, code=code, year=year, decision_number=decision_number, category=award_type.category, exclude=record)
    if other is not None:
        where = f" (quyết định số {other.decision_number})" if other.decision_number else ""
        raise RegistryError(f"Sổ đã có “{other.award_name}” năm {year}{where}.", "award_code")
    for key, value in values.items():
        setattr(record, key, value)
    if not record.award_name or ("award_code" in values and not values.get("award_name")):
        record.award_name = award_type.name


def add_award_record(*, person: Person | None = None, unit: Unit | None = None,
                     source: RecordSource = RecordSource.MANUAL, **fields: Any) -> AwardRecord:
    """Add a gold-book line for `person` or the collective `unit` (exactly one). `award_name`
    defaults to the catalogue name of the code in force that year."""
    if (person is None) == (unit is None):
        raise RegistryError("Một dòng khen thưởng thuộc về đúng một cá nhân hoặc một tập thể.")
    record = AwardRecord(nominee_kind=NomineeKind.INDIVIDUAL if person is not None else NomineeKind.COLLECTIVE,
                         source=source)
    _apply_award(record, _award_values(fields, None), person=person, unit=unit)
    record.person, record.unit = person, unit
    db.session.add(record)
    label(record, "award_record.create")
    db.session.flush()
    return record


def update_award_record(record: AwardRecord, **fields: Any) -> AwardRecord:
    _apply_award(record, _award_values(fields, record), person=record.person, unit=record.unit)
    label(record, "award_record.update")
    db.session.flush()
    return record


def delete_award_record(record: AwardRecord) -> None:
    """Delete a gold-book line; initiatives it used become unused again."""
    for initiative in db.session.scalars(sa.select(Initiative).where(Initiative.used_by_award_id == record.id)):
        initiative.used_by_award = None
    label(record, "award_record.delete")
    db.session.delete(record)
    db.session.flush()


# --- yearly evaluations -------------------------------------------------------------------------

def _check_evaluation(*, person_id: int | None, unit_id: int | None, year: int,
                      exclude: AnnualEvaluation | None) -> None:
    problem = year_problem(year)
    if problem:
        raise RegistryError(problem, "year")
    stmt = sa.select(AnnualEvaluation.id).where(AnnualEvaluation.year == year)
    stmt = stmt.where(AnnualEvaluation.person_id == person_id if person_id is not None
                      else AnnualEvaluation.unit_id == unit_id)
    if exclude is not None:
        stmt = stmt.where(AnnualEvaluation.id != exclude.id)
    if db.session.scalar(stmt) is not None:
        raise RegistryError(f"Đã có kết quả đánh giá năm {year}; hãy sửa kết quả đó.", "year")


def add_evaluation(*, person: Person | None = None, unit: Unit | None = None, year: int,
                   rating: Rating | str) -> AnnualEvaluation:
    """Record the yearly evaluation of `person` or the collective `unit`; one per year."""
    if (person is None) == (unit is None):
        raise RegistryError("Kết quả đánh giá thuộc về đúng một cá nhân hoặc một tập thể.")
    person_id, unit_id = getattr(person, "id", None), getattr(unit, "id", None)
    _check_evaluation(person_id=person_id, unit_id=unit_id, year=year, exclude=None)
    evaluation = AnnualEvaluation(person_id=person_id, unit_id=unit_id, year=year, rating=Rating(rating))
    db.session.add(evaluation)
    label(evaluation, "evaluation.create")
    db.session.flush()
    return evaluation


def update_evaluation(evaluation: AnnualEvaluation, *, year: int, rating: Rating | str) -> AnnualEvaluation:
    _check_evaluation(person_id=evaluation.person_id, unit_id=evaluation.unit_id, year=year, exclude=evaluation)
    evaluation.year = year
    evaluation.rating = Rating(rating)
    label(evaluation, "evaluation.update")
    db.session.flush()
    return evaluation


def delete_evaluation(evaluation: AnnualEvaluation) -> None:
    label(evaluation, "evaluation.delete")
    db.session.delete(evaluation)
    db.session.flush()


# --- initiatives --------------------------------------------------------------------------------

def _apply_initiative(initiative: Initiative, fields: dict[str, Any]) -> None:
    values = {k: v for k, v in fields.items() if k in INITIATIVE_FIELDS}
    if "title" in values:
        values["title"] = nfc(values["title"]) or ""
    if not values.get("title", initiative.title):
        raise RegistryError("Vui lòng nhập tên sáng kiến, đề tài.", "title")
    if "decision_ref" in values:
        values["decision_ref"] = nfc(values["decision_ref"]) or None
    if "level" in values:
        values["level"] = RecognitionLevel(values["level"])
    if values.get("recognised_on") and values["recognised_on"] > date.today():
        raise RegistryError("Ngày công nhận không được sau ngày hôm nay.", "recognised_on")
    if values.get("used_by_award_id"):
        award = db.session.get(AwardRecord, values["used_by_award_id"])
        if award is None or award.person_id != initiative.person.id:
            raise RegistryError("Chỉ chọn được khen thưởng của chính người này.", "used_by_award_id")
    elif "used_by_award_id" in values:
        values["used_by_award_id"] = None
    for key, value in values.items():
        setattr(initiative, key, value)


def add_initiative(person: Person, **fields: Any) -> Initiative:
    """Record an initiative or research topic of `person` with its recognition level."""
    initiative = Initiative(person=person, title="")
    fields.setdefault("level", RecognitionLevel.UNIT)
    _apply_initiative(initiative, fields)
    db.session.add(initiative)
    label(initiative, "initiative.create")
    db.session.flush()
    return initiative


def update_initiative(initiative: Initiative, **fields: Any) -> Initiative:
    _apply_initiative(initiative, fields)
    label(initiative, "initiative.update")
    db.session.flush()
    return initiative


def delete_initiative(initiative: Initiative) -> None:
    label(initiative, "initiative.delete")
    db.session.delete(initiative)
    db.session.flush()


# --- discipline ---------------------------------------------------------------------------------

def _apply_discipline(record: DisciplineRecord, fields: dict[str, Any]) -> None:
    values = {k: v for k, v in fields.items() if k in DISCIPLINE_FIELDS}
    for key in ("level", "note"):
        if key in values:
            values[key] = nfc(values[key]) or None
    if not values.get("level", record.level):
        raise RegistryError("Vui lòng chọn hình thức kỷ luật.", "level")
    starts_on = values.get("starts_on", record.starts_on)
    ends_on = values.get("ends_on", record.ends_on)
    if starts_on is None:
        raise RegistryError("Vui lòng nhập ngày bắt đầu.", "starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise RegistryError("Ngày kết thúc không được trước ngày bắt đầu.", "ends_on")
    for key, value in values.items():
        setattr(record, key, value)


def add_discipline(person: Person, **fields: Any) -> DisciplineRecord:
    """Record a discipline period (or a pending process when `ends_on` is None) of `person`."""
    record = DisciplineRecord(person=person)
    _apply_discipline(record, fields)
    db.session.add(record)
    label(record, "discipline.create")
    db.session.flush()
    return record


def update_discipline(record: DisciplineRecord, **fields: Any) -> DisciplineRecord:
    _apply_discipline(record, fields)
    label(record, "discipline.update")
    db.session.flush()
    return record


def delete_discipline(record: DisciplineRecord) -> None:
    label(record, "discipline.delete")
    db.session.delete(record)
    db.session.flush()


def mark_initiatives_used(initiatives, record: AwardRecord) -> None:
    """The initiatives a dossier relied on have now earned `record`: they cannot be counted again for
    another award (MoHA guidance 2025, domain.md §1d). Ones already used keep their first award."""
    for initiative in initiatives:
        if initiative.used_by_award_id is None and initiative.used_by_award is None:
            initiative.used_by_award = record
