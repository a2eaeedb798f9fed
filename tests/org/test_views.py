import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.org.models import Unit, UnitSuccession

from ..factories import make_cluster, make_succession, make_unit
from .test_importer import row, xlsx


@pytest.fixture
def admin(users, login_as):
    return login_as(users[Role.ADMIN])


@pytest.fixture
def secretariat(users, login_as):
    return login_as(users[Role.SECRETARIAT])


def _form(**kw):
    values = {"code": "38.SYT", "name": "Sở Y tế", "kind": "department", "parent_id": "0",
              "valid_from": "", "valid_to": "", "address": "", "note": ""}
    values.update(kw)
    return values


def _units(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


# --- reading ---------------------------------------------------------------------------------

def test_index_as_secretariat_shows_nested_tree(secretariat, unit):
    page = secretariat.get("/units/").get_data(as_text=True)
    assert 'id="unit-tree"' in page
    # the school is nested inside the department's list, itself inside the province's
    tree = page[page.index('id="unit-tree"'):]
    assert tree.index("UBND tỉnh Thanh Hóa") < tree.index("Sở Giáo dục và Đào tạo") < tree.index("chuyên Lam Sơn")
    assert tree.count("<details") == 2


def test_index_search_without_diacritics_finds_unit(secretariat, unit):
    page = secretariat.get("/units/?q=lam+son").get_data(as_text=True)
    assert 'id="unit-results"' in page
    assert "Trường THPT chuyên Lam Sơn" in page and "Sở Giáo dục và Đào tạo</a>" not in page


def test_index_search_by_code_part_finds_unit(secretariat, unit):
    page = secretariat.get("/units/?q=sgddt.ls").get_data(as_text=True)
    assert "Trường THPT chuyên Lam Sơn" in page


def test_index_search_with_like_wildcard_matches_literally(secretariat, unit):
    page = secretariat.get("/units/?q=%25").get_data(as_text=True)
    assert "Không có đơn vị nào phù hợp" in page


def test_index_ended_units_are_hidden_unless_asked(secretariat, db, province):
    make_unit(name="Thành phố Thanh Hóa", kind="district", parent=province, valid_to=date(2025, 6, 30))
    db.session.commit()
    assert "Thành phố Thanh Hóa" not in secretariat.get("/units/").get_data(as_text=True)
    page = secretariat.get("/units/?all=1").get_data(as_text=True)
    assert "Thành phố Thanh Hóa" in page and "Hết hiệu lực từ 30/06/2025" in page


def test_index_kind_filter_lists_only_that_kind(secretariat, unit):
    page = secretariat.get("/units/?kind=school").get_data(as_text=True)
    assert "Trường THPT chuyên Lam Sơn" in page and "Sở Giáo dục và Đào tạo</a>" not in page


def test_index_as_unit_officer_is_forbidden(users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).get("/units/").status_code == 403


def test_index_anonymous_is_sent_to_login(client, db):
    response = client.get("/units/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_detail_shows_breadcrumb_children_lineage_and_clusters(secretariat, province, unit, db):
    old = make_unit(name="Sở Giáo dục (cũ)", parent=province, valid_to=date(2025, 2, 28))
    older = make_unit(name="Ty Giáo dục", parent=province, valid_to=date(1990, 1, 1))
    make_succession(old, unit, effective_on=date(2025, 3, 1))
    make_succession(older, old)
    successor = make_unit(name="Sở Giáo dục mới", parent=province)
    make_succession(unit, successor, partial=True)
    make_cluster(name="Khối thi đua Văn hóa - Xã hội", kind="block", units=[unit])
    db.session.commit()
    page = secretariat.get(f"/units/{unit.id}").get_data(as_text=True)
    assert f'class="breadcrumb-item"><a href="/units/{province.id}">UBND tỉnh Thanh Hóa</a>' in page
    assert "Trường THPT chuyên Lam Sơn" in page
    assert f'href="/units/{old.id}">Sở Giáo dục (cũ)</a>' in page and "từ 01/03/2025" in page
    assert "Ty Giáo dục" in page  # an earlier predecessor, through two mergers
    assert "Sở Giáo dục mới" in page and "Kế thừa một phần" in page
    assert "Khối thi đua Văn hóa - Xã hội" in page
    assert f"/units/{unit.id}/edit" not in page and "/successions/new" not in page  # secretariat only reads


def test_detail_of_unknown_unit_is_404(secretariat):
    assert secretariat.get("/units/999999").status_code == 404


# --- creating and editing -----------------------------------------------------------------------

def test_create_as_admin_saves_unit_and_redirects_to_it(admin, db, province):
    response = admin.post("/units/new", data=_form(parent_id=str(province.id), valid_from="01/07/2025"))
    unit = db.session.scalars(sa.select(Unit).where(Unit.code == "38.SYT")).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/units/{unit.id}")
    assert unit.parent_id == province.id and unit.valid_from == date(2025, 7, 1)


def test_create_page_preselects_parent_from_query(admin, province):
    page = admin.get(f"/units/new?parent={province.id}").get_data(as_text=True)
    assert f'<option selected value="{province.id}">' in page


def test_create_as_secretariat_is_forbidden(secretariat, db, province):
    assert secretariat.get("/units/new").status_code == 403
    before = _units(db)
    assert secretariat.post("/units/new", data=_form()).status_code == 403
    assert _units(db) == before


def test_create_with_duplicate_code_shows_message_beside_code_and_keeps_input(admin, db, unit):
    before = _units(db)
    response = admin.post("/units/new", data=_form(code=unit.code, name="Sở Giáo dục mới", address="Số 2 Lê Lợi"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Mã “{unit.code}” đã được dùng cho đơn vị “Sở Giáo dục và Đào tạo”." in page
    assert f'value="{unit.code}"' in page and 'value="Sở Giáo dục mới"' in page and 'value="Số 2 Lê Lợi"' in page
    assert page.index('id="code"') < page.index("đã được dùng") < page.index('id="name"')
    assert _units(db) == before


def test_create_with_end_before_start_is_refused(admin, db):
    before = _units(db)
    page = admin.post("/units/new", data=_form(valid_from="01/07/2025", valid_to="30/06/2025")).get_data(as_text=True)
    assert "Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực." in page
    assert 'value="30/06/2025"' in page
    assert _units(db) == before


def test_create_with_bad_date_keeps_typed_text(admin, db):
    page = admin.post("/units/new", data=_form(valid_from="31/02/2025")).get_data(as_text=True)
    assert "Ngày không hợp lệ" in page and 'value="31/02/2025"' in page


def test_edit_with_descendant_as_parent_is_refused_with_message(admin, db, province, unit):
    school = unit.children[0]
    response = admin.post(f"/units/{unit.id}/edit", data=_form(code=unit.code, name=unit.name,
                                                                parent_id=str(school.id)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "vòng lặp trong cây đơn vị" in page
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).parent_id == province.id


def test_edit_end_unit_sets_valid_to(admin, db, province, unit):
    response = admin.post(f"/units/{unit.id}/edit", data=_form(code=unit.code, name=unit.name, kind="department",
                                                                parent_id=str(province.id), valid_to="30/06/2025"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).valid_to == date(2025, 6, 30)


def test_edit_form_shows_stored_values(admin, db, province, unit):
    unit.valid_from = date(2020, 1, 5)
    db.session.commit()
    page = admin.get(f"/units/{unit.id}/edit").get_data(as_text=True)
    assert 'value="05/01/2020"' in page and f'<option selected value="{province.id}">' in page


def test_edit_unknown_unit_is_404(admin):
    assert admin.get("/units/424242/edit").status_code == 404


def test_edit_as_secretariat_is_forbidden(secretariat, unit):
    assert secretariat.get(f"/units/{unit.id}/edit").status_code == 403


# --- lineage ------------------------------------------------------------------------------------

def test_add_succession_as_admin_links_units(admin, db, province):
    old = make_unit(name="Phường Trường Thi", kind="ward", parent=province)
    new = make_unit(name="Phường Hạc Thành", kind="ward", parent=province)
    db.session.commit()
    response = admin.post(f"/units/{old.id}/successions/new",
                          data={"relation": "successor", "other_unit_id": str(new.id), "effective_on": "01/07/2025",
                                "partial": "y", "note": "NQ 1686/NQ-UBTVQH15"})
    assert response.status_code == 302
    link = db.session.scalars(sa.select(UnitSuccession)).one()
    assert (link.predecessor_id, link.successor_id) == (old.id, new.id)
    assert link.partial and link.effective_on == date(2025, 7, 1)


def test_add_succession_as_predecessor_links_other_way(admin, db, province):
    old, new = make_unit(parent=province), make_unit(parent=province)
    db.session.commit()
    admin.post(f"/units/{new.id}/successions/new", data={"relation": "predecessor", "other_unit_id": str(old.id)})
    link = db.session.scalars(sa.select(UnitSuccession)).one()
    assert (link.predecessor_id, link.successor_id) == (old.id, new.id)


def test_add_succession_closing_cycle_shows_message_and_saves_nothing(admin, db, province):
    a, b = make_unit(parent=province), make_unit(parent=province)
    make_succession(a, b)
    db.session.commit()
    response = admin.post(f"/units/{a.id}/successions/new",
                          data={"relation": "predecessor", "other_unit_id": str(b.id), "note": "ghi chú thử"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "vòng lặp" in page and 'value="ghi chú thử"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitSuccession)) == 1


def test_add_succession_as_secretariat_is_forbidden(secretariat, unit):
    assert secretariat.get(f"/units/{unit.id}/successions/new").status_code == 403


def test_remove_succession_deletes_link(admin, db, province):
    old, new = make_unit(parent=province), make_unit(parent=province)
    link = make_succession(old, new)
    db.session.commit()
    response = admin.post(f"/units/{new.id}/successions/{link.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/units/{new.id}")
    assert db.session.scalars(sa.select(UnitSuccession)).all() == []


def test_remove_succession_through_unrelated_unit_is_404(admin, db, province, unit):
    old, new = make_unit(parent=province), make_unit(parent=province)
    link = make_succession(old, new)
    db.session.commit()
    assert admin.post(f"/units/{unit.id}/successions/{link.id}/delete").status_code == 404


def test_remove_succession_get_is_not_allowed(admin, db, province):
    link = make_succession(make_unit(), make_unit())
    db.session.commit()
    assert admin.get(f"/units/{link.successor_id}/successions/{link.id}/delete").status_code == 405


# --- import -------------------------------------------------------------------------------------

def _upload(client, data: bytes, name="donvi.xlsx"):
    return client.post("/units/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_import_page_links_the_template(admin):
    page = admin.get("/units/import").get_data(as_text=True)
    assert 'href="/units/import/template.xlsx"' in page and 'enctype="multipart/form-data"' in page


def test_import_template_downloads_as_xlsx(admin):
    response = admin.get("/units/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet["A1"].value == "Mã đơn vị"


def test_import_good_file_saves_and_flashes_counts(admin, db, province):
    data = xlsx([row("38.SYT", "Sở Y tế", "Sở, ban, ngành", "38"), row("38", "UBND tỉnh Thanh Hóa", "tinh / ubnd tinh",
                                                                         "", "01/01/1945")])
    response = _upload(admin, data)
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nhập 1 đơn vị mới, cập nhật 1 đơn vị" in page
    assert db.session.scalars(sa.select(Unit).where(Unit.code == "38.SYT")).one().parent_id == province.id


def test_import_bad_file_shows_error_table_and_saves_nothing(admin, db, province):
    data = xlsx([row("38.SYT", "Sở Y tế", "department", "38"), row("38.X", "Đơn vị X", "quan", "38.KHONGCO")])
    before = _units(db)
    response = _upload(admin, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-errors"' in page
    assert "<td>3</td><td>Loại đơn vị</td>" in page and "<td>3</td><td>Mã đơn vị cấp trên</td>" in page
    assert "chưa có dữ liệu nào được lưu" in page
    assert _units(db) == before


def test_import_non_xlsx_is_refused_with_reason(admin, db):
    response = _upload(admin, b"%PDF-1.7 not a spreadsheet", name="donvi.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nội dung tệp không phải định dạng được chấp nhận (Excel (.xlsx))." in page


def test_import_without_file_asks_for_one(admin):
    page = admin.post("/units/import", data={}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Chưa chọn tệp." in page


def test_import_as_secretariat_is_forbidden(secretariat):
    assert secretariat.get("/units/import").status_code == 403
    assert secretariat.get("/units/import/template.xlsx").status_code == 403


# --- CSRF -----------------------------------------------------------------------------------------

def test_create_without_csrf_token_is_refused(csrf_app, admin, db):
    before = _units(db)
    response = admin.post("/units/new", data=_form())
    assert response.status_code == 400 and _units(db) == before


def test_detail_forms_carry_csrf_token(csrf_app, admin, db, province):
    link = make_succession(make_unit(parent=province), make_unit(parent=province))
    db.session.commit()
    page = admin.get(f"/units/{link.successor_id}").get_data(as_text=True)
    assert 'name="csrf_token"' in page and f"/successions/{link.id}/delete" in page


def test_add_succession_without_choosing_unit_asks_for_one(admin, db, unit):
    page = admin.post(f"/units/{unit.id}/successions/new", data={"relation": "successor", "other_unit_id": "0"}).get_data(
        as_text=True)
    assert "Vui lòng chọn đơn vị." in page
    assert db.session.scalars(sa.select(UnitSuccession)).all() == []
