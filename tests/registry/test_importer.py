"""Excel import of historical awards: row/column errors with nothing saved, person matching and
the merge choice, the template, and keeping the file between the two steps."""

import io
import os
import time
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from tests import factories
from thidua.registry import importer
from thidua.registry.importer import COLUMNS, ImportInvalid, ImportRefused, StaleImport
from thidua.registry.models import AwardRecord, Gender, NomineeKind, Person, RecordSource
from thidua.rules.models import AwardMethod

HEADERS = list(COLUMNS.values())
TODAY = date(2025, 9, 1)


def xlsx(rows, headers=HEADERS) -> bytes:
    """An .xlsx file whose first sheet has `headers` in row 1 and `rows` below."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def person_row(name, unit_code, code, year, *, birth="05/01/1980", gender="Nam", position="Giáo viên",
               subject="", decision="", decision_date=None, issuer="", gold="", method="", note=""):
    return ["Cá nhân", name, birth, gender, position, subject, unit_code, code, year, decision, decision_date,
            issuer, gold, method, note]


def collective_row(unit_code, code, year, *, decision="", decision_date=None, issuer="", method=""):
    return ["Tập thể", "", None, "", "", "", unit_code, code, year, decision, decision_date, issuer, "", method, ""]


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def catalogue(db):
    factories.award_type("LDTT")  # seeds the whole catalogue


def check(data):
    return importer.check(data, today=TODAY)


def errors_of(data) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in check(data).errors]


# --- a good file --------------------------------------------------------------------------------

def test_import_good_file_creates_people_and_records_in_one_go(db, unit, catalogue):
    school = unit.children[0]
    data = xlsx([
        person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019, decision="12/QĐ-SGDĐT", decision_date="05/01/2020",
                   issuer="Giám đốc Sở GDĐT", gold="A-12", subject="Người trực tiếp lao động"),
        person_row("nguyễn văn an", "38.SGDDT", "CSTDCS", 2020.0, decision="7/QĐ-SGDĐT",
                   decision_date=datetime(2021, 1, 8)),
        person_row("Lê Thị Bình", "38.SGDDT.LS", "BK_TINH", "2021", gender="Nữ", method="dot xuat", birth=""),
        collective_row("38.SGDDT.LS", "TTLDXS", 2021, decision="88/QĐ-UBND", issuer="Chủ tịch UBND tỉnh"),
    ])
    result = importer.import_awards(data)
    db.session.commit()

    assert (result.records, result.people_created, result.people_reused) == (4, 2, 0)
    an = db.session.scalars(sa.select(Person).where(Person.name_folded == "nguyen van an")).one()
    assert an.full_name == "Nguyễn Văn An" and an.birth_date == date(1980, 1, 5) and an.unit == unit
    assert an.gender == Gender.MALE and an.subject_category.value == "direct_worker"
    assert [(a.award_code, a.year) for a in an.awards] == [("LDTT", 2019), ("CSTDCS", 2020)]
    first = an.awards[0]
    assert first.award_name == "Lao động tiên tiến" and first.source == RecordSource.IMPORT
    assert (first.decision_number, first.decision_date, first.gold_book_number) == ("12/QĐ-SGDĐT", date(2020, 1, 5),
                                                                                    "A-12")
    binh = db.session.scalars(sa.select(Person).where(Person.name_folded == "le thi binh")).one()
    assert binh.birth_date is None and binh.unit == school and binh.awards[0].method == AwardMethod.SUDDEN
    flag = db.session.scalars(sa.select(AwardRecord).where(AwardRecord.unit_id == school.id)).one()
    assert flag.nominee_kind == NomineeKind.COLLECTIVE and flag.issuer == "Chủ tịch UBND tỉnh"


def test_import_columns_in_any_order_with_marked_headers_are_read(db, unit, catalogue):
    headers = ["Năm *", "mã danh hiệu / hình thức", "HỌ VÀ TÊN", "Mã đơn vị", "Loại đối tượng"]
    importer.import_awards(xlsx([[2022, "LDTT", "Trần Văn Cường", "38.SGDDT", "ca nhan"]], headers=headers))
    assert db.session.scalars(sa.select(AwardRecord)).one().year == 2022


# --- errors: by row and column, nothing saved ---------------------------------------------------

def test_import_with_errors_reports_each_by_row_and_column_and_saves_nothing(db, unit, catalogue):
    data = xlsx([
        person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019),                       # row 2: fine
        person_row("Trần Văn Cường", "38.KHONGCO", "LDTT", 2019),                    # 3: unknown unit
        person_row("Trần Văn Cường", "38.SGDDT", "XYZ", 2019),                        # 4: unknown award code
        person_row("Trần Văn Cường", "38.SGDDT", "LDTT", "năm ngoái"),                # 5: bad year
        person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2019, birth="31/02/1980"),   # 6: bad date
        person_row("", "38.SGDDT", "LDTT", 2019),                                     # 7: missing name
        person_row("NGUYEN VAN AN", "38.SGDDT", "LDTT", 2019),                        # 8: repeats row 2
        person_row("Trần Văn Cường", "38.SGDDT", "TTLDXS", 2019),                     # 9: collective title
        collective_row("38.SGDDT", "LDTT", 2019),                                     # 10: individual title
        person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2019, method="bất chợt"),   # 11: unknown method
        ["Ông", "Trần Văn Cường", "", "", "", "", "38.SGDDT", "LDTT", 2019],          # 12: unknown kind
        person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2030),                       # 13: future year
    ])
    assert errors_of(data) == [
        (3, "Mã đơn vị"), (4, "Mã danh hiệu/hình thức"), (5, "Năm"), (6, "Ngày sinh"), (7, "Họ và tên"),
        (8, "Mã danh hiệu/hình thức"), (9, "Mã danh hiệu/hình thức"), (10, "Mã danh hiệu/hình thức"),
        (11, "Phương thức"), (12, "Loại đối tượng"), (13, "Năm"),
    ]
    with pytest.raises(ImportInvalid) as refused:
        importer.import_awards(data)
    messages = {e.row: e.message for e in refused.value.errors}
    assert "38.KHONGCO" in messages[3] and "Trùng với dòng 2" in messages[8]
    assert "không dành cho cá nhân" in messages[9]
    assert count(db, Person) == 0 and count(db, AwardRecord) == 0


def test_import_collective_line_already_in_registry_is_refused(db, unit, catalogue):
    factories.make_award_record(code="TTLDXS", year=2021, unit=unit, decision_number="88/QĐ-UBND")
    data = xlsx([collective_row("38.SGDDT", "TTLDXS", 2021)])
    [error] = check(data).errors
    assert (error.row, error.column) == (2, "Mã danh hiệu/hình thức") and "Sổ đã có" in error.message


def test_import_rows_of_one_person_with_different_genders_are_refused(db, unit, catalogue):
    data = xlsx([person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2019, gender="Nam"),
                 person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2020, gender="Nữ")])
    assert errors_of(data) == [(3, "Giới tính")]


def test_import_file_without_required_column_is_refused_whole(db, catalogue):
    data = xlsx([["Nguyễn Văn An", 2019]], headers=["Họ và tên", "Năm"])
    with pytest.raises(ImportRefused, match="thiếu cột “Loại đối tượng”, “Mã đơn vị”, “Mã danh hiệu/hình thức”"):
        check(data)


def test_import_file_that_is_not_excel_is_refused(db, catalogue):
    with pytest.raises(ImportRefused, match="Không đọc được tệp Excel"):
        check(b"PK\x03\x04 not really a zip")


def test_import_file_with_only_headers_is_refused(db, catalogue):
    with pytest.raises(ImportRefused, match="không có dòng dữ liệu"):
        check(xlsx([]))


# --- matching existing people and the merge choice ----------------------------------------------

@pytest.fixture
def existing(db, unit):
    return factories.make_person(full_name="Nguyễn Văn An", unit=unit, birth_date=date(1980, 1, 5))


def test_import_person_matching_existing_one_is_offered_for_merge(db, unit, catalogue, existing):
    checked = check(xlsx([person_row("NGUYỄN VĂN AN", "38.SGDDT", "LDTT", 2019),
                          person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019, birth="06/01/1980")]))
    assert [g.matches for g in checked.groups] == [[existing], []]
    assert [g.rows[0].row for g in checked.matched_groups] == [2]


def test_import_with_default_choice_merges_without_duplicating_the_person(db, unit, catalogue, existing):
    data = xlsx([person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019),
                 person_row("Nguyễn Văn An", "38.SGDDT", "CSTDCS", 2020)])
    result = importer.import_awards(data)
    assert (result.people_created, result.people_reused) == (0, 1)
    assert count(db, Person) == 1
    assert [(a.award_code, a.year) for a in existing.awards] == [("LDTT", 2019), ("CSTDCS", 2020)]


def test_import_with_new_person_choice_creates_a_second_person(db, unit, catalogue, existing):
    data = xlsx([person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019)])
    checked = check(data)
    result = importer.apply(checked, {checked.groups[0].key: importer.NEW})
    assert result.people_created == 1 and count(db, Person) == 2
    assert existing.awards == []


def test_import_with_choice_naming_a_person_not_matched_is_refused(db, unit, catalogue, existing):
    stranger = factories.make_person(full_name="Lê Văn Bình", unit=unit)
    checked = check(xlsx([person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019)]))
    with pytest.raises(ImportInvalid, match="1 lỗi"):
        importer.apply(checked, {checked.groups[0].key: str(stranger.id)})
    assert count(db, AwardRecord) == 0


def test_import_merge_into_person_who_already_has_that_title_is_refused(db, unit, catalogue, existing):
    factories.make_award_record(code="LDTT", year=2019, person=existing)
    checked = check(xlsx([person_row("Nguyễn Văn An", "38.SGDDT", "LDTT", 2019)]))
    assert [r.row for r in checked.groups[0].repeats[existing.id]] == [2]
    with pytest.raises(ImportInvalid) as refused:
        importer.apply(checked)
    assert "đã có “Lao động tiên tiến” năm 2019" in refused.value.errors[0].message
    assert count(db, AwardRecord) == 1
    importer.apply(checked, {checked.groups[0].key: importer.NEW})  # another person of the same name
    assert count(db, AwardRecord) == 2


# --- the template -------------------------------------------------------------------------------

def test_template_has_the_headers_and_lists_the_catalogue_codes(db, catalogue):
    workbook = openpyxl.load_workbook(io.BytesIO(importer.template_workbook()))
    first = workbook.worksheets[0]
    assert [c.value.rstrip(" *") for c in first[1]] == HEADERS
    codes = [row[0] for row in workbook["Danh hiệu, hình thức"].iter_rows(min_row=2, values_only=True)]
    assert {"LDTT", "CSTDCS", "TTLDXS", "BK_TINH"} <= set(codes)
    subjects = [row[1] for row in workbook["Đối tượng thống kê"].iter_rows(min_row=2, values_only=True)]
    assert "Doanh nhân" in subjects


def test_template_filled_in_is_accepted(db, unit, catalogue):
    workbook = openpyxl.load_workbook(io.BytesIO(importer.template_workbook()))
    workbook.worksheets[0].append(["Cá nhân", "Phạm Thị Dung", "12/03/1985", "Nữ", "Kế toán",
                                   "Người trực tiếp lao động, sản xuất, học tập, công tác, chiến đấu",
                                   "38.SGDDT", "LDTT", 2024, "5/QĐ-SGDĐT", "10/01/2025", "Giám đốc Sở", "", "", ""])
    out = io.BytesIO()
    workbook.save(out)
    checked = check(out.getvalue())
    assert checked.errors == [] and len(checked.rows) == 1


# --- keeping the file between the two steps -----------------------------------------------------

def test_stash_then_unstash_returns_the_file_until_discarded(app):
    token = importer.stash(b"PK\x03\x04data")
    assert importer.unstash(token) == b"PK\x03\x04data"
    importer.discard(token)
    with pytest.raises(StaleImport, match="tải tệp lên lại"):
        importer.unstash(token)


@pytest.mark.parametrize("token", ["0" * 32, "../../etc/passwd", "ABCDEF", "a" * 31])
def test_unstash_unknown_or_malformed_token_is_refused(app, token):
    with pytest.raises(StaleImport):
        importer.unstash(token)


def test_unstash_after_a_day_is_refused_and_removes_the_file(app):
    token = importer.stash(b"old")
    path = app.config["UPLOAD_FOLDER"] / f"registry-import-{token}.xlsx"
    old = time.time() - importer.STASH_MAX_AGE - 60
    os.utime(path, (old, old))
    with pytest.raises(StaleImport, match="quá hạn"):
        importer.unstash(token)
    assert not path.exists()
