"""Registry pages: search scope, person and unit histories, editing, and the two-step import."""

import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.registry.models import AnnualEvaluation, AwardRecord, Person

from .test_importer import person_row, xlsx


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def other_unit(db, province):
    return factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)


@pytest.fixture
def own(db, unit):
    return factories.make_person(full_name="Nguyễn Văn An", unit=unit.children[0], birth_date=date(1980, 1, 5),
                                 national_id="038080001234")


@pytest.fixture
def foreign(db, other_unit):
    return factories.make_person(full_name="Nguyễn Văn Ánh", unit=other_unit)


# --- search -------------------------------------------------------------------------------------

def test_search_by_officer_shows_only_people_of_their_units(users, login_as, own, foreign):
    page = login_as(users[Role.UNIT_OFFICER]).get("/registry/?q=nguyen").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Nguyễn Văn Ánh" not in page


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.COUNCIL_MEMBER, Role.APPROVER])
def test_search_by_staff_or_reviewers_shows_everyone(users, login_as, own, foreign, role):
    page = login_as(users[role]).get("/registry/?q=NGUYEN+VAN").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Nguyễn Văn Ánh" in page


def test_search_results_never_show_national_id(users, login_as, own):
    page = login_as(users[Role.SECRETARIAT]).get("/registry/?q=nguyen+van+an").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "038080001234" not in page


def test_search_units_tab_lists_matching_units(users, login_as, other_unit):
    page = login_as(users[Role.SECRETARIAT]).get("/registry/?q=so+y+te&what=units").get_data(as_text=True)
    assert f"/registry/units/{other_unit.id}" in page


def test_search_with_empty_box_asks_for_a_query(users, login_as, own):
    page = login_as(users[Role.SECRETARIAT]).get("/registry/").get_data(as_text=True)
    assert "Nhập họ tên, tên đơn vị hoặc chọn bộ lọc" in page and "Nguyễn Văn An" not in page


# --- person page --------------------------------------------------------------------------------

def test_person_page_of_another_unit_is_forbidden_to_officer(users, login_as, foreign):
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/registry/people/{foreign.id}").status_code == 403


def test_person_page_of_unknown_id_is_not_found(users, login_as):
    assert login_as(users[Role.SECRETARIAT]).get("/registry/people/999999").status_code == 404


def test_person_page_shows_history_and_discipline_only_to_staff(db, users, login_as, own):
    award = factories.make_award_record(code="CSTDCS", year=2023, person=own, decision_number="45/QĐ-SGDĐT",
                                        gold_book_number="SV-07", issuer="Giám đốc Sở GDĐT")
    factories.make_evaluation(year=2023, rating="excellent", person=own)
    factories.make_initiative(person=own, title="Dạy học STEM", level="province", used_by_award=award)
    from thidua.registry.models import DisciplineRecord

    db.session.add(DisciplineRecord(person=own, level="Khiển trách", starts_on=date(2021, 3, 1),
                                    ends_on=date(2022, 3, 1)))
    staff = login_as(users[Role.SECRETARIAT]).get(f"/registry/people/{own.id}").get_data(as_text=True)
    for text in ("Chiến sĩ thi đua cơ sở", "45/QĐ-SGDĐT", "SV-07", "Hoàn thành xuất sắc nhiệm vụ", "Dạy học STEM",
                 "Cấp tỉnh, bộ, ngành", "Đã dùng: Chiến sĩ thi đua cơ sở năm 2023", "Khiển trách"):
        assert text in staff
    officer = login_as(users[Role.UNIT_OFFICER]).get(f"/registry/people/{own.id}").get_data(as_text=True)
    assert "Dạy học STEM" in officer and "Khiển trách" not in officer


# --- creating and editing people ----------------------------------------------------------------

def _person_form(unit_id, **overrides):
    data = {"full_name": "Nguyễn Văn An", "gender": "male", "birth_date": "05/01/1980", "position": "Giáo viên",
            "unit_id": str(unit_id), "national_id": "", "subject_category": "direct_worker", "hired_on": ""}
    data.update(overrides)
    return data


def test_create_person_matching_existing_one_asks_and_saves_nothing(db, users, login_as, own):
    response = login_as(users[Role.UNIT_OFFICER]).post("/registry/people/new", data=_person_form(own.unit_id))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã có người trùng thông tin — dùng hồ sơ có sẵn hay vẫn tạo mới?" in page
    assert f"/registry/people/{own.id}" in page and 'name="confirm_duplicate"' in page
    assert count(db, Person) == 1


def test_create_person_matching_existing_one_with_confirmation_creates_it(db, users, login_as, own):
    response = login_as(users[Role.UNIT_OFFICER]).post(
        "/registry/people/new", data=_person_form(own.unit_id, confirm_duplicate="y"))
    assert response.status_code == 302
    assert count(db, Person) == 2


def test_create_person_by_officer_in_another_unit_is_refused(db, users, login_as, other_unit):
    response = login_as(users[Role.UNIT_OFFICER]).post("/registry/people/new", data=_person_form(other_unit.id))
    assert "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert count(db, Person) == 0


def test_create_person_with_bad_date_keeps_typed_data(db, users, login_as, unit):
    response = login_as(users[Role.SECRETARIAT]).post(
        "/registry/people/new", data=_person_form(unit.id, full_name="Trần Thị Ánh", birth_date="31/02/1990"))
    page = response.get_data(as_text=True)
    assert "Ngày không hợp lệ" in page and 'value="31/02/1990"' in page and 'value="Trần Thị Ánh"' in page
    assert count(db, Person) == 0


def test_edit_person_of_another_unit_is_forbidden_to_officer(users, login_as, foreign):
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.post(f"/registry/people/{foreign.id}/edit", data=_person_form(foreign.unit_id)).status_code == 403


def test_edit_person_with_national_id_of_someone_else_shows_error_beside_field(db, users, login_as, own, unit):
    other = factories.make_person(full_name="Lê Văn Bình", unit=unit)
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/registry/people/{other.id}/edit",
        data=_person_form(unit.id, full_name="Lê Văn Bình", national_id="038080001234"))
    assert "Số CMND/CCCD này đã thuộc về một người khác" in response.get_data(as_text=True)
    db.session.refresh(other)
    assert other.national_id is None


# --- award records and evaluations --------------------------------------------------------------

def _award_form(**overrides):
    data = {"award_code": "LDTT", "award_name": "", "method": "regular", "year": "2022",
            "decision_number": "9/QĐ-SGDĐT", "decision_date": "10/01/2023", "issuer": "Giám đốc Sở",
            "gold_book_number": "", "note": ""}
    data.update(overrides)
    return data


def test_add_award_by_staff_saves_it_on_the_person(db, users, login_as, own):
    factories.award_type("LDTT")
    response = login_as(users[Role.SECRETARIAT]).post(f"/registry/people/{own.id}/awards/new", data=_award_form())
    assert response.status_code == 302
    record = db.session.scalars(sa.select(AwardRecord)).one()
    assert (record.person_id, record.year, record.decision_date) == (own.id, 2022, date(2023, 1, 10))


def test_add_award_by_officer_is_forbidden(db, users, login_as, own):
    factories.award_type("LDTT")
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/registry/people/{own.id}/awards/new", data=_award_form())
    assert response.status_code == 403 and count(db, AwardRecord) == 0


def test_add_evaluation_by_officer_for_own_person_is_saved(db, users, login_as, own):
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/registry/people/{own.id}/evaluations/new",
                                                      data={"year": "2024", "rating": "good"})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(AnnualEvaluation)).one().person_id == own.id


def test_add_evaluation_twice_for_a_year_explains_and_keeps_one(db, users, login_as, own):
    factories.make_evaluation(year=2024, rating="good", person=own)
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/registry/people/{own.id}/evaluations/new",
                                                      data={"year": "2024", "rating": "excellent"})
    assert "Đã có kết quả đánh giá năm 2024" in response.get_data(as_text=True)
    assert count(db, AnnualEvaluation) == 1


# --- unit history -------------------------------------------------------------------------------

def test_unit_history_includes_awards_of_merged_units_marked_as_former(db, users, login_as, province):
    old = factories.make_unit(code="38.TPTH.DIENBIEN", name="Phường Điện Biên", kind="ward", parent=province,
                              valid_to=date(2025, 6, 30))
    ward = factories.make_unit(code="38.HACTHANH", name="Phường Hạc Thành", kind="ward", parent=province)
    factories.make_succession(old, ward)
    factories.make_award_record(code="TTLDXS", year=2023, unit=old)
    factories.make_award_record(code="TTLDTT", year=2025, unit=ward)
    page = login_as(users[Role.SECRETARIAT]).get(f"/registry/units/{ward.id}").get_data(as_text=True)
    assert "Tập thể lao động xuất sắc" in page and "(đơn vị cũ: Phường Điện Biên)" in page
    assert "Tập thể lao động tiên tiến" in page


def test_unit_history_of_another_unit_is_forbidden_to_officer(users, login_as, other_unit):
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/registry/units/{other_unit.id}").status_code == 403


# --- the two-step import ------------------------------------------------------------------------

def _upload(client, data: bytes, name="khen-thuong.xlsx"):
    return client.post("/registry/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _stashed(app) -> list:
    return list(app.config["UPLOAD_FOLDER"].glob("registry-import-*.xlsx"))


def test_import_upload_then_confirm_merges_and_deletes_the_file(app, db, users, login_as, own, unit):
    factories.award_type("LDTT")
    client = login_as(users[Role.SECRETARIAT])
    data = xlsx([person_row("Nguyễn Văn An", "38.SGDDT.LS", "LDTT", 2019),
                 person_row("Trần Thị Cúc", "38.SGDDT", "LDTT", 2019, gender="Nữ")])
    response = _upload(client, data)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "Gộp vào hồ sơ có sẵn" in preview and 'name="choice-g1"' in preview
    assert count(db, AwardRecord) == 0

    response = client.post(preview_url, data={"choice-g1": str(own.id)})
    assert response.status_code == 302
    assert count(db, Person) == 2  # Cúc created, An reused
    assert [a.year for a in db.session.get(Person, own.id).awards] == [2019]
    assert not [p for p in _stashed(app) if preview_url.rsplit("/", 1)[-1] in p.name]
    assert client.get(preview_url, follow_redirects=True).get_data(as_text=True).count("tải tệp lên lại") >= 1


def test_import_confirm_choosing_new_person_creates_another(db, users, login_as, own):
    factories.award_type("LDTT")
    client = login_as(users[Role.SECRETARIAT])
    preview_url = _upload(client, xlsx([person_row("Nguyễn Văn An", "38.SGDDT.LS", "LDTT", 2019)])).headers["Location"]
    client.post(preview_url, data={"choice-g1": "new"})
    assert count(db, Person) == 2 and db.session.get(Person, own.id).awards == []


def test_import_file_with_errors_lists_them_by_row_and_column_and_saves_nothing(app, db, users, login_as, unit):
    factories.award_type("LDTT")
    before = len(_stashed(app))
    response = _upload(login_as(users[Role.SECRETARIAT]),
                       xlsx([person_row("Trần Văn Cường", "38.KHONGCO", "LDTT", 2019)]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "chưa có dữ liệu nào được lưu" in page and "<td>2</td><td>Mã đơn vị</td>" in page
    assert count(db, Person) == 0 and len(_stashed(app)) == before


def test_import_of_a_file_that_is_not_xlsx_is_refused_with_reason(app, db, users, login_as):
    before = len(_stashed(app))
    response = _upload(login_as(users[Role.SECRETARIAT]), b"MZ\x90\x00 an executable", name="khen-thuong.xlsx")
    assert "Nội dung tệp không phải định dạng được chấp nhận (Excel (.xlsx))." in response.get_data(as_text=True)
    assert len(_stashed(app)) == before


def test_import_preview_with_stale_token_explains_and_returns_to_upload(users, login_as):
    response = login_as(users[Role.SECRETARIAT]).get("/registry/import/" + "0" * 32, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Không tìm thấy tệp đang chờ nhập" in page and "Tải tệp mẫu" in page


def test_import_cancel_deletes_the_stashed_file(app, users, login_as, unit):
    factories.award_type("LDTT")
    client = login_as(users[Role.SECRETARIAT])
    preview_url = _upload(client, xlsx([person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2019)])).headers["Location"]
    token = preview_url.rsplit("/", 1)[-1]
    client.post(f"/registry/import/{token}/cancel")
    assert not (app.config["UPLOAD_FOLDER"] / f"registry-import-{token}.xlsx").exists()


def test_import_confirm_without_csrf_token_is_refused(csrf_app, db, users, login_as, unit):
    from thidua.registry import importer

    factories.award_type("LDTT")
    token = importer.stash(xlsx([person_row("Trần Văn Cường", "38.SGDDT", "LDTT", 2019)]))
    response = login_as(users[Role.SECRETARIAT]).post(f"/registry/import/{token}", data={})
    assert response.status_code == 400 and count(db, AwardRecord) == 0
    importer.discard(token)


def test_import_template_download_is_an_excel_workbook(db, users, login_as):
    factories.award_type("LDTT")
    response = login_as(users[Role.SECRETARIAT]).get("/registry/import/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.worksheets[0]["A1"].value.startswith("Loại đối tượng")


def test_edit_unit_evaluation_by_staff_saves_new_rating(db, users, login_as, unit):
    evaluation = factories.make_evaluation(year=2024, rating="good", unit=unit)
    client = login_as(users[Role.SECRETARIAT])
    assert "Sở Giáo dục và Đào tạo" in client.get(f"/registry/evaluations/{evaluation.id}/edit").get_data(as_text=True)
    response = client.post(f"/registry/evaluations/{evaluation.id}/edit", data={"year": "2024", "rating": "excellent"})
    assert response.headers["Location"].endswith(f"/registry/units/{unit.id}")
    db.session.refresh(evaluation)
    assert evaluation.rating.value == "excellent"


def test_edit_person_of_a_merged_unit_keeps_that_unit(db, users, login_as, province):
    ended = factories.make_unit(code="38.CU", name="Phường Điện Biên", kind="ward", parent=province,
                                valid_to=date(2025, 6, 30))
    person = factories.make_person(full_name="Lê Văn Bình", unit=ended)
    client = login_as(users[Role.SECRETARIAT])
    assert "(hết hiệu lực)" in client.get(f"/registry/people/{person.id}/edit").get_data(as_text=True)
    response = client.post(f"/registry/people/{person.id}/edit",
                           data=_person_form(ended.id, full_name="Lê Văn Bình", position="Chủ tịch"))
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.unit_id == ended.id and person.position == "Chủ tịch"


def test_search_by_officer_filtering_on_another_unit_finds_nobody(users, login_as, foreign, other_unit):
    page = login_as(users[Role.UNIT_OFFICER]).get(f"/registry/?unit={other_unit.id}").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" not in page and "Không tìm thấy người nào." in page


@pytest.mark.parametrize("query", ["unit=99999999999", "year=99999999999", "page=99999999999&q=nguyen", "unit=abc"])
def test_search_with_out_of_range_filters_is_answered_not_crashed(users, login_as, own, query):
    assert login_as(users[Role.SECRETARIAT]).get(f"/registry/?{query}").status_code == 200
