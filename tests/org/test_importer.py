import io
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from thidua import storage
from thidua.org import importer
from thidua.org.importer import COLUMNS, ImportInvalid, ImportRefused
from thidua.org.models import Unit, UnitKind, UnitSuccession

from ..factories import make_succession, make_unit

HEADERS = list(COLUMNS.values())


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


def row(code, name, kind, parent="", valid_from=None, valid_to=None, predecessors="", address="", note=""):
    return [code, name, kind, parent, valid_from, valid_to, predecessors, address, note]


def unit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


def by_code(db, code) -> Unit:
    return db.session.scalars(sa.select(Unit).where(Unit.code == code)).one()


def test_import_good_file_creates_and_updates_in_one_go(db, province):
    old_ward = make_unit(code="38.TPTH.DIENBIEN", name="Phường Điện Biên", kind="ward", parent=province,
                         valid_to=date(2025, 6, 30))
    data = xlsx([
        # A child listed before its parent, a kind by label without diacritics, a kind by value.
        row("38.HACTHANH.TH1", "Trường Tiểu học Điện Biên", "truong hoc", "38.HACTHANH", "05/09/2025"),
        row("38.HACTHANH", "Phường Hạc Thành", "Phường", "38", datetime(2025, 7, 1), None,
            "38.TPTH.DIENBIEN, 38.TPTH.LAMSON", "Số 35 Đại lộ Lê Lợi"),
        row("38.TPTH.LAMSON", "Phường Lam Sơn", "WARD", "38", None, "30/06/2025"),
        row("38", "UBND tỉnh Thanh Hóa (sau sắp xếp)", "province"),
    ])
    result = importer.import_units(data)
    db.session.commit()

    assert (result.created, result.updated) == (3, 1)
    ward = by_code(db, "38.HACTHANH")
    assert ward.kind is UnitKind.WARD and ward.parent is province
    assert ward.valid_from == date(2025, 7, 1) and ward.address == "Số 35 Đại lộ Lê Lợi"
    assert by_code(db, "38.HACTHANH.TH1").parent is ward
    assert by_code(db, "38.HACTHANH.TH1").valid_from == date(2025, 9, 5)
    assert {u.code for u in ward.predecessors} == {"38.TPTH.DIENBIEN", "38.TPTH.LAMSON"}
    assert by_code(db, "38.TPTH.LAMSON").valid_to == date(2025, 6, 30)
    assert province.name == "UBND tỉnh Thanh Hóa (sau sắp xếp)"
    assert old_ward.successors == [ward]


def test_import_same_file_twice_changes_nothing_the_second_time(db, province):
    data = xlsx([row("38.SYT", "Sở Y tế", "department", "38", "01/01/2020"),
                 row("38.SYT.BVDK", "Bệnh viện Đa khoa tỉnh", "public_service", "38.SYT", None, None, "")])
    importer.import_units(data)
    db.session.commit()
    result = importer.import_units(data)
    assert (result.created, result.updated) == (0, 0)


def test_import_without_optional_columns_keeps_stored_values(db, province, unit):
    unit.address = "Số 1 Đường Hạc Thành"
    db.session.commit()
    importer.import_units(xlsx([["38.SGDDT", "Sở GD&ĐT", "Sở, ban, ngành"]], headers=HEADERS[:3]))
    assert unit.name == "Sở GD&ĐT"
    assert unit.address == "Số 1 Đường Hạc Thành" and unit.parent is province


def test_import_adds_lineage_to_existing_link_without_duplicating_it(db, province):
    old, new = make_unit(code="OLD"), make_unit(code="NEW")
    make_succession(old, new)
    importer.import_units(xlsx([row("NEW", new.name, "department", "", None, None, "OLD")]))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitSuccession)) == 1


def test_import_headers_in_other_order_and_case_are_matched(db):
    data = xlsx([["Xã Bát Mọt", "38.BATMOT", "xa"]], headers=["TEN DON VI", "mã đơn vị", "Loại đơn vị *"])
    importer.import_units(data)
    assert by_code(db, "38.BATMOT").kind is UnitKind.COMMUNE


def test_import_numeric_code_cell_is_read_as_text(db):
    importer.import_units(xlsx([[38, "UBND tỉnh Thanh Hóa", "province"]], headers=HEADERS[:3]))
    assert by_code(db, "38").name == "UBND tỉnh Thanh Hóa"


def test_import_blank_lines_are_skipped(db):
    data = xlsx([row("A1", "Đơn vị A", "other"), [None] * 9, row("A2", "Đơn vị B", "other")])
    assert importer.import_units(data).created == 2


BAD_ROWS = {
    "duplicate code": (
        [row("38.X", "Đơn vị X", "other"), row("38.Y", "Đơn vị Y", "other"), row("38.X", "Đơn vị X lặp", "other")],
        4, "Mã đơn vị", "trùng với dòng 2"),
    "missing name": ([row("38.X", "", "other")], 2, "Tên đơn vị", "Vui lòng nhập tên đơn vị"),
    "missing code": ([row("", "Đơn vị X", "other")], 2, "Mã đơn vị", "Vui lòng nhập mã đơn vị"),
    "missing kind": ([row("38.X", "Đơn vị X", "")], 2, "Loại đơn vị", "Vui lòng nhập loại đơn vị"),
    "unknown kind": ([row("38.X", "Huyện Đông Sơn", "Quận huyện")], 2, "Loại đơn vị", "“Quận huyện” không có"),
    "unknown parent": ([row("38.X", "Đơn vị X", "other", "38.KHONGCO")], 2, "Mã đơn vị cấp trên",
                       "Không tìm thấy đơn vị cấp trên có mã “38.KHONGCO”"),
    "own parent": ([row("38.X", "Đơn vị X", "other", "38.X")], 2, "Mã đơn vị cấp trên", "chính nó"),
    "parent cycle": ([row("38.X", "Đơn vị X", "other", "38.Y"), row("38.Y", "Đơn vị Y", "other", "38.X")],
                     2, "Mã đơn vị cấp trên", "vòng lặp: 38.X → 38.Y → 38.X"),
    "bad date": ([row("38.X", "Đơn vị X", "other", "", "31/02/2025")], 2, "Hiệu lực từ", "“31/02/2025” không hợp lệ"),
    "number as date": ([row("38.X", "Đơn vị X", "other", "", None, 2025)], 2, "Hiệu lực đến", "không hợp lệ"),
    "end before start": ([row("38.X", "Đơn vị X", "other", "", "01/07/2025", "30/06/2025")], 2, "Hiệu lực đến",
                         "không được trước ngày bắt đầu"),
    "unknown predecessor": ([row("38.X", "Đơn vị X", "other", "", None, None, "38.A, 38.B")], 2, "Kế thừa từ",
                            "“38.A”, “38.B”"),
    "lineage cycle": ([row("38.X", "Đơn vị X", "other", "", None, None, "38.Y"),
                       row("38.Y", "Đơn vị Y", "other", "", None, None, "38.X")], 2, "Kế thừa từ", "vòng lặp"),
    "code with space": ([row("38 X", "Đơn vị X", "other")], 2, "Mã đơn vị", "dấu cách"),
}


@pytest.mark.parametrize("rows, line, column, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_import_bad_row_is_reported_by_row_and_column_and_nothing_saved(db, province, rows, line, column, message):
    good = row("38.OK", "Đơn vị hợp lệ", "other", "38")
    before = unit_count(db)
    with pytest.raises(ImportInvalid) as exc:
        importer.import_units(xlsx([*rows, good]))
    assert any(e.row == line and e.column == column and message in e.message for e in exc.value.errors), \
        exc.value.errors
    assert unit_count(db) == before


def test_import_moving_existing_unit_under_its_child_is_reported_as_cycle(db, province, unit):
    school = unit.children[0]
    with pytest.raises(ImportInvalid) as exc:
        importer.import_units(xlsx([row(unit.code, unit.name, "department", school.code)]))
    [error] = exc.value.errors
    assert (error.row, error.column) == (2, "Mã đơn vị cấp trên") and "vòng lặp" in error.message
    assert unit.parent is province


def test_import_lineage_closing_a_cycle_with_stored_links_is_reported(db):
    a, b = make_unit(code="A"), make_unit(code="B")
    make_succession(a, b)
    with pytest.raises(ImportInvalid) as exc:
        importer.import_units(xlsx([row("A", a.name, "other", "", None, None, "B")]))
    assert exc.value.errors[0].column == "Kế thừa từ"


def test_import_errors_are_listed_for_every_row_in_row_order(db):
    data = xlsx([row("X1", "", "other"), row("X2", "Đơn vị", "khong ro"), row("X3", "Đơn vị", "other", "", "hôm qua")])
    with pytest.raises(ImportInvalid) as exc:
        importer.import_units(data)
    assert [e.row for e in exc.value.errors] == [2, 3, 4]


def test_import_file_missing_required_column_is_refused(db):
    with pytest.raises(ImportRefused, match="thiếu cột “Loại đơn vị”"):
        importer.import_units(xlsx([["38.X", "Đơn vị X"]], headers=["Mã đơn vị", "Tên đơn vị"]))


def test_import_file_without_rows_is_refused(db):
    with pytest.raises(ImportRefused, match="không có dòng dữ liệu"):
        importer.import_units(xlsx([]))


def test_import_damaged_workbook_is_refused(db):
    with pytest.raises(ImportRefused, match="Không đọc được"):
        importer.import_units(b"PK\x03\x04 not really a zip")


def test_upload_of_non_xlsx_content_is_refused_with_reason(app):
    upload = FileStorage(io.BytesIO(b"Ma don vi;Ten don vi\n38;UBND\n"), filename="donvi.xlsx")
    with pytest.raises(storage.UploadRefused, match="Excel"):
        storage.read_upload(upload, kinds={"xlsx"})


def test_template_has_vietnamese_headers_and_kind_list(db):
    workbook = openpyxl.load_workbook(io.BytesIO(importer.template_workbook()))
    units, kinds = workbook.worksheets
    assert [c.value for c in units[1]] == HEADERS
    listed = [(r[0].value, r[1].value) for r in kinds.iter_rows(min_row=2)]
    assert listed == [(k.value, k.label) for k in UnitKind]


def test_template_filled_in_imports_cleanly(db, province):
    workbook = openpyxl.load_workbook(io.BytesIO(importer.template_workbook()))
    workbook.worksheets[0].append(row("38.SXD", "Sở Xây dựng", "Sở, ban, ngành", "38", "01/03/2025"))
    out = io.BytesIO()
    workbook.save(out)
    result = importer.import_units(out.getvalue())
    assert result.created == 1 and by_code(db, "38.SXD").parent is province
