import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.nominations import excel
from thidua.nominations.excel import HEADERS, ImportInvalid, ImportRefused
from thidua.nominations.models import Nomination, NominationStatus
from thidua.org.queries import descendant_ids
from thidua.registry.models import Gender, Person, SubjectCategory
from thidua.rules.models import AwardMethod

DIRECT = SubjectCategory.DIRECT_WORKER.label
YEAR = date.today().year


def xlsx(rows, headers) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def person_row(name="Nguyễn Văn An", birth="15/03/1985", gender="Nam", position="Giáo viên", unit="38.SGDDT.LS",
               subject=DIRECT, year=YEAR, method="Thường xuyên", summary="Hoàn thành tốt nhiệm vụ năm học."):
    return [name, birth, gender, position, unit, subject, year, method, summary]


PERSON_HEADERS = [HEADERS[k] for k in ("full_name", "birth_date", "gender", "position", "unit_code", "subject",
                                       "year", "method", "summary")]


def parse(data, unit, code="LDTT"):
    return excel.parse_import(data, award_type=factories.award_type(code), unit=unit,
                              officer_scope_ids=descendant_ids([unit.id]))


def run_import(data, unit, code="LDTT"):
    rows, errors = parse(data, unit, code)
    if errors:
        raise ImportInvalid(errors)
    return excel.import_nominations(rows, unit=unit, award_type=factories.award_type(code), actor=None)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def errors_of(data, unit, code="LDTT") -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in parse(data, unit, code)[1]}


# --- the template ----------------------------------------------------------------------------------

def test_template_for_individual_title_has_person_columns_and_choice_lists(db):
    workbook = openpyxl.load_workbook(io.BytesIO(excel.build_import_template(factories.award_type("LDTT"))))
    sheet, choices = workbook.worksheets
    headers = [c.value.rstrip(" *") for c in sheet[1]]
    assert headers == PERSON_HEADERS
    assert [c.value for c in sheet[1]][0] == "Họ và tên *" and [c.value for c in sheet[1]][1] == "Ngày sinh"
    listed = {c.value for col in choices.iter_cols() for c in col}
    assert {s.label for s in SubjectCategory} <= listed and "Nữ" in listed and "Thường xuyên" in listed
    assert workbook.properties.subject == "LDTT"


def test_template_for_collective_title_asks_for_the_collective_unit(db):
    workbook = openpyxl.load_workbook(io.BytesIO(excel.build_import_template(factories.award_type("TTLDTT"))))
    headers = [c.value.rstrip(" *") for c in workbook.worksheets[0][1]]
    assert headers == ["Mã đơn vị tập thể", "Loại tập thể", "Năm", "Phương thức", "Tóm tắt thành tích"]


def test_blank_template_uploaded_is_refused_as_empty(db, unit):
    with pytest.raises(ImportRefused, match="không có dòng dữ liệu"):
        parse(excel.build_import_template(factories.award_type("LDTT")), unit)


def test_filled_template_reads_back(db, unit):
    workbook = openpyxl.load_workbook(io.BytesIO(excel.build_import_template(factories.award_type("LDTT"))))
    workbook.worksheets[0].append(person_row())
    out = io.BytesIO()
    workbook.save(out)
    rows, errors = parse(out.getvalue(), unit)
    assert errors == [] and [r.full_name for r in rows] == ["Nguyễn Văn An"]


def test_template_of_another_award_is_refused(db, unit):
    workbook = openpyxl.load_workbook(io.BytesIO(excel.build_import_template(factories.award_type("CSTDCS"))))
    workbook.worksheets[0].append(person_row())
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ImportRefused, match="Chiến sĩ thi đua cơ sở|CSTDCS"):
        parse(out.getvalue(), unit)


def test_import_without_a_required_column_is_refused(db, unit):
    data = xlsx([person_row()[:5]], PERSON_HEADERS[:5])
    with pytest.raises(ImportRefused, match="thiếu cột “Đối tượng”, “Năm”, “Phương thức”, “Tóm tắt thành tích”"):
        parse(data, unit)


def test_import_of_a_file_that_is_not_excel_is_refused(db, unit):
    with pytest.raises(ImportRefused, match="Không đọc được tệp Excel"):
        parse(b"PK\x03\x04 not really a workbook", unit)


# --- importing -------------------------------------------------------------------------------------

def test_import_good_file_creates_drafts_and_new_people(db, unit):
    school = unit.children[0]
    data = xlsx([
        person_row(),
        person_row(name="Lê Thị Bình", birth=datetime(1990, 7, 2), gender="nu", position="Tổ trưởng",
                   unit="38.SGDDT", subject="other_leader", method="dot xuat", summary="Cứu người đuối nước."),
    ], PERSON_HEADERS)
    result = run_import(data, unit)
    db.session.commit()

    assert (result.created, result.people_created, result.people_reused) == (2, 2, 0)
    nominations = db.session.scalars(sa.select(Nomination).order_by(Nomination.id)).all()
    assert [n.status for n in nominations] == [NominationStatus.DRAFT] * 2
    assert all(n.unit == unit and n.award_type.code == "LDTT" and n.year == YEAR for n in nominations)
    an, binh = (n.person for n in nominations)
    assert (an.full_name, an.birth_date, an.gender, an.position, an.unit, an.subject_category) == (
        "Nguyễn Văn An", date(1985, 3, 15), Gender.MALE, "Giáo viên", school, SubjectCategory.DIRECT_WORKER)
    assert (binh.gender, binh.unit, binh.subject_category) == (Gender.FEMALE, unit, SubjectCategory.OTHER_LEADER)
    assert nominations[1].method == AwardMethod.SUDDEN and nominations[1].achievement_summary == "Cứu người đuối nước."


def test_import_matching_person_reuses_them_and_fills_blanks(db, unit):
    school = unit.children[0]
    existing = factories.make_person(full_name="Nguyễn Văn An", unit=school, birth_date=date(1985, 3, 15))
    people = count(db, Person)
    result = run_import(xlsx([person_row(name="NGUYỄN  VĂN AN")], PERSON_HEADERS), unit)

    assert (result.people_created, result.people_reused) == (0, 1)
    assert count(db, Person) == people
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert nomination.person is existing
    assert existing.full_name == "Nguyễn Văn An" and existing.position == "Giáo viên"
    assert existing.subject_category == SubjectCategory.DIRECT_WORKER


def test_import_same_name_with_other_birth_date_creates_a_new_person(db, unit):
    factories.make_person(full_name="Nguyễn Văn An", unit=unit.children[0], birth_date=date(1970, 1, 1))
    result = run_import(xlsx([person_row()], PERSON_HEADERS), unit)
    assert (result.people_created, result.people_reused) == (1, 0)


def test_import_new_person_on_two_rows_of_different_years_is_created_once(db, unit):
    result = run_import(xlsx([person_row(year=YEAR - 1), person_row(year=YEAR)], PERSON_HEADERS), unit)
    assert result.created == 2 and result.people_created == 1
    assert len({n.person_id for n in db.session.scalars(sa.select(Nomination))}) == 1


def test_import_errors_are_reported_by_row_and_column_and_nothing_is_saved(db, unit, province):
    factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    people = count(db, Person)
    data = xlsx([
        person_row(),                                                   # row 2: fine
        person_row(name="Trần Văn Cường", unit="38.KHONGCO"),          # row 3: unknown unit
        person_row(name="Phạm Thị Dung", unit="38.SYT"),               # row 4: another unit's person
        person_row(name="Hoàng Văn Em", birth="31/02/1990", gender="X"),  # row 5: bad date and gender
        person_row(name="Vũ Thị Giang", subject="Nông dân", method="Hằng tuần"),  # row 6: bad choices
        person_row(name="Đỗ Văn Hùng", year=1900, summary=None),       # row 7: year out of range, no summary
        person_row(name=None, birth=None, unit=None, subject=None),    # row 8: no name
        person_row(name="Bùi Văn Khoa", year="năm nay"),               # row 9: year not a number
    ], PERSON_HEADERS)
    rows, errors = parse(data, unit)
    assert {(e.row, e.column) for e in errors} == {
        (3, "Mã đơn vị công tác"), (4, "Mã đơn vị công tác"), (5, "Ngày sinh"), (5, "Giới tính"),
        (6, "Đối tượng"), (6, "Phương thức"), (7, "Năm"), (7, "Tóm tắt thành tích"), (8, "Họ và tên"),
        (9, "Năm"),
    }
    messages = {(e.row, e.column): e.message for e in errors}
    assert messages[(3, "Mã đơn vị công tác")] == "Không tìm thấy đơn vị có mã “38.KHONGCO”."
    assert "không thuộc đơn vị đề nghị" in messages[(4, "Mã đơn vị công tác")]
    assert "dd/mm/yyyy" in messages[(5, "Ngày sinh")]
    assert messages[(7, "Tóm tắt thành tích")] == "Vui lòng nhập tóm tắt thành tích."
    assert [e.row for e in errors] == sorted(e.row for e in errors)
    with pytest.raises(ImportInvalid):
        run_import(data, unit)
    db.session.rollback()
    assert count(db, Nomination) == 0 and count(db, Person) == people


def test_import_same_person_twice_in_one_year_is_refused_on_the_second_row(db, unit):
    data = xlsx([person_row(), person_row(name="nguyen van an", gender="Nam")], PERSON_HEADERS)
    errors = parse(data, unit)[1]
    assert [(e.row, e.column) for e in errors] == [(3, "Họ và tên")]
    assert "Trùng với dòng 2" in errors[0].message


def test_import_person_with_a_live_dossier_already_is_refused(db, unit):
    existing = factories.make_person(full_name="Nguyễn Văn An", unit=unit.children[0], birth_date=date(1985, 3, 15))
    factories.make_nomination(unit=unit, code="LDTT", person=existing, status="submitted", year=YEAR)
    errors = parse(xlsx([person_row()], PERSON_HEADERS), unit)[1]
    assert [(e.row, e.column) for e in errors] == [(2, "Họ và tên")]
    assert "Đơn vị đã có hồ sơ đề nghị “Lao động tiên tiến”" in errors[0].message


def test_import_person_whose_earlier_dossier_was_withdrawn_is_allowed(db, unit):
    existing = factories.make_person(full_name="Nguyễn Văn An", unit=unit.children[0], birth_date=date(1985, 3, 15))
    factories.make_nomination(unit=unit, code="LDTT", person=existing, status="withdrawn", year=YEAR)
    assert run_import(xlsx([person_row()], PERSON_HEADERS), unit).created == 1


def test_import_collectives_for_a_form_given_to_both_kinds(db, unit):
    headers = [HEADERS[k] for k in excel.columns_for(factories.award_type("BK_TINH"))]
    school = unit.children[0]
    data = xlsx([
        person_row()[:6] + [None, None] + person_row()[6:],
        [None] * 6 + ["38.SGDDT.LS", "Doanh nghiệp", YEAR, "Chuyên đề", "Dẫn đầu phong trào chuyển đổi số."],
    ], headers)
    result = run_import(data, unit, "BK_TINH")
    assert result.created == 2
    collective = db.session.scalars(sa.select(Nomination).where(Nomination.nominee_unit_id.is_not(None))).one()
    assert collective.nominee_unit == school and collective.is_enterprise and not collective.is_household
    assert collective.method == AwardMethod.THEMATIC


def test_import_row_with_both_a_person_and_a_collective_is_refused(db, unit):
    headers = [HEADERS[k] for k in excel.columns_for(factories.award_type("BK_TINH"))]
    data = xlsx([person_row()[:6] + ["38.SGDDT.LS", None] + person_row()[6:]], headers)
    assert errors_of(data, unit, "BK_TINH") == {(2, "Mã đơn vị tập thể")}


def test_import_collective_for_an_individual_title_is_refused(db, unit):
    headers = [*PERSON_HEADERS[:6], HEADERS["collective_code"], *PERSON_HEADERS[6:]]
    data = xlsx([[None] * 6 + ["38.SGDDT.LS"] + person_row()[6:]], headers)
    assert errors_of(data, unit) == {(2, "Họ và tên")}


def test_import_household_title_files_the_collective_as_a_household(db, unit):
    data = xlsx([["38.SGDDT.LS", None, YEAR, "Thường xuyên", "Gia đình gương mẫu."]],
                ["Mã đơn vị", "Loại tập thể", "Năm", "Phương thức", "Tóm tắt thành tích"])
    run_import(data, unit, "GDVH")
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert nomination.is_household and nomination.nominee_unit == unit.children[0]


def test_import_household_kind_for_a_title_not_given_to_households_is_refused(db, unit):
    data = xlsx([["38.SGDDT.LS", "Hộ gia đình", YEAR, "Thường xuyên", "Tóm tắt."]],
                ["Mã đơn vị tập thể", "Loại tập thể", "Năm", "Phương thức", "Tóm tắt thành tích"])
    assert errors_of(data, unit, "TTLDTT") == {(2, "Loại tập thể")}


def test_import_nominee_outside_the_chosen_unit_is_refused_even_within_the_officer_scope(db, unit):
    school = unit.children[0]
    data = xlsx([person_row(unit="38.SGDDT")], PERSON_HEADERS)
    errors = excel.parse_import(data, award_type=factories.award_type("LDTT"), unit=school,
                                officer_scope_ids=descendant_ids([unit.id]))[1]
    assert [(e.row, e.column) for e in errors] == [(2, "Mã đơn vị công tác")]


# --- the pages -------------------------------------------------------------------------------------

def _upload(data: bytes, name="danh-sach.xlsx"):
    return (io.BytesIO(data), name)


def test_template_download_by_officer_is_an_xlsx_of_the_award(db, users, login_as):
    at = factories.award_type("CSTDCS")
    response = login_as(users[Role.UNIT_OFFICER]).get(f"/nominations/excel/template/{at.id}.xlsx")
    assert response.status_code == 200
    assert "mau-de-nghi-cstdcs.xlsx" in response.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).properties.subject == "CSTDCS"


def test_import_page_good_file_creates_drafts_and_says_so(db, unit, users, login_as):
    at = factories.award_type("LDTT")
    http = login_as(users[Role.UNIT_OFFICER])
    response = http.post(f"/nominations/excel/import?award_type={at.id}", content_type="multipart/form-data",
                         data={"unit_id": str(unit.id), "file": _upload(xlsx([person_row()], PERSON_HEADERS))})
    assert response.status_code == 302
    assert "/nominations/" in response.headers["Location"]
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert nomination.status == NominationStatus.DRAFT and nomination.created_by_id == users[Role.UNIT_OFFICER].id


def test_import_page_with_errors_lists_them_and_saves_nothing(db, unit, users, login_as):
    at = factories.award_type("LDTT")
    data = xlsx([person_row(), person_row(name="Trần Văn Cường", unit="38.KHONGCO")], PERSON_HEADERS)
    page = login_as(users[Role.UNIT_OFFICER]).post(
        f"/nominations/excel/import?award_type={at.id}", content_type="multipart/form-data",
        data={"unit_id": str(unit.id), "file": _upload(data)}).get_data(as_text=True)
    assert "chưa có hồ sơ nào được tạo" in page
    assert "<td>3</td><td>Mã đơn vị công tác</td><td>Không tìm thấy đơn vị có mã “38.KHONGCO”.</td>" in page
    assert count(db, Nomination) == 0 and count(db, Person) == 0


def test_import_page_refuses_a_file_that_is_not_xlsx(db, unit, users, login_as):
    at = factories.award_type("LDTT")
    page = login_as(users[Role.UNIT_OFFICER]).post(
        f"/nominations/excel/import?award_type={at.id}", content_type="multipart/form-data",
        data={"unit_id": str(unit.id), "file": _upload(b"MZ\x90\x00 executable", "danh-sach.xlsx")}
    ).get_data(as_text=True)
    assert "Nội dung tệp không phải định dạng được chấp nhận (Excel (.xlsx))." in page
    assert count(db, Nomination) == 0


def test_import_page_refuses_a_unit_outside_the_officer_scope(db, unit, province, users, login_as):
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    at = factories.award_type("LDTT")
    page = login_as(users[Role.UNIT_OFFICER]).post(
        f"/nominations/excel/import?award_type={at.id}", content_type="multipart/form-data",
        data={"unit_id": str(other.id), "file": _upload(xlsx([person_row(unit="38.SYT")], PERSON_HEADERS))}
    ).get_data(as_text=True)
    assert "Lựa chọn không hợp lệ." in page
    assert count(db, Nomination) == 0


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.COUNCIL_MEMBER])
def test_import_pages_are_for_unit_officers_only(db, users, login_as, role):
    at = factories.award_type("LDTT")
    http = login_as(users[role])
    assert http.get(f"/nominations/excel/import?award_type={at.id}").status_code == 403
    assert http.get(f"/nominations/excel/template/{at.id}.xlsx").status_code == 403


# --- export ----------------------------------------------------------------------------------------

def _read_export(data: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    return workbook, [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_export_writes_every_dossier_with_vietnamese_labels_and_dates(db, unit):
    person = factories.make_person(full_name="Lê Thị Hồng Nhung", unit=unit, birth_date=date(1980, 3, 15),
                                   gender=Gender.FEMALE, position="Phó Giám đốc",
                                   subject_category=SubjectCategory.LEADER_DEPARTMENT)
    individual = factories.make_nomination(unit=unit, code="BK_TINH", person=person, status="submitted", year=2025,
                                           submitted_at=datetime(2025, 3, 9, 18, 30, tzinfo=UTC))
    collective = factories.make_nomination(unit=unit, code="TTLDTT", nominee_unit=unit.children[0], year=2025,
                                           is_enterprise=True, achievement_summary="Tập thể tiêu biểu.")
    workbook, rows, sheet = _read_export(excel.export_nominations([individual, collective]))
    assert rows[0] == excel.EXPORT_HEADERS
    assert rows[1] == [1, individual.id, "Cá nhân", "Lê Thị Hồng Nhung", datetime(1980, 3, 15), "Nữ", "Phó Giám đốc",
                       "Sở Giáo dục và Đào tạo", SubjectCategory.LEADER_DEPARTMENT.label,
                       "Bằng khen của Chủ tịch UBND tỉnh", 2025, AwardMethod.REGULAR.label, None,
                       "Sở Giáo dục và Đào tạo", None, "Đã gửi, chờ thẩm định", datetime(2025, 3, 10),
                       "Hoàn thành xuất sắc nhiệm vụ được giao."]
    assert rows[2][2:4] == ["Tập thể", "Trường THPT chuyên Lam Sơn"] and rows[2][8] == "Doanh nghiệp"
    assert rows[2][15] == "Dự thảo" and rows[2][16] is None
    assert sheet["E2"].number_format == "DD/MM/YYYY" and sheet["Q2"].number_format == "DD/MM/YYYY"
    assert len(rows) == 3


def test_export_page_uses_the_list_filters(db, unit, users, login_as):
    kept = factories.make_nomination(unit=unit, code="LDTT", status="submitted", year=2025)
    factories.make_nomination(unit=unit, code="LDTT", status="draft", year=2025)
    factories.make_nomination(unit=unit, code="CSTDCS", status="submitted", year=2025)
    factories.make_nomination(unit=unit, code="LDTT", status="submitted", year=2024)
    response = login_as(users[Role.SECRETARIAT]).get("/nominations/excel/export.xlsx?status=submitted&award=LDTT&year=2025")
    assert response.status_code == 200
    workbook, rows, _ = _read_export(response.data)
    assert [r[1] for r in rows[1:]] == [kept.id]
    filters = [[c.value for c in row] for row in workbook.worksheets[1].iter_rows()]
    assert ["Trạng thái", "Đã gửi, chờ thẩm định"] in filters and ["Năm", "2025"] in filters
    assert ["Danh hiệu, hình thức", "Lao động tiên tiến"] in filters


def test_export_by_officer_holds_only_their_units_dossiers(db, unit, province, users, login_as):
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    own = factories.make_nomination(unit=unit.children[0], code="LDTT")
    factories.make_nomination(unit=other, code="LDTT")
    response = login_as(users[Role.UNIT_OFFICER]).get("/nominations/excel/export.xlsx")
    assert [r[1] for r in _read_export(response.data)[1][1:]] == [own.id]
    response = login_as(users[Role.UNIT_OFFICER]).get(f"/nominations/excel/export.xlsx?unit_id={other.id}")
    assert _read_export(response.data)[1][1:] == []


def test_export_is_refused_to_council_members(db, users, login_as):
    assert login_as(users[Role.COUNCIL_MEMBER]).get("/nominations/excel/export.xlsx").status_code == 403
