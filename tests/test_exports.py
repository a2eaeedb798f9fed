"""Excel exports of the list pages: the file holds the list's rows under the same filters, typed cells,
and each export is refused to whoever may not see its list."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from thidua.auth.models import Role
from thidua.exports import HEADER_ROW, ascii_filename, build_xlsx, col

from . import factories


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Disposition"].isascii()
    ws = load_workbook(io.BytesIO(response.data)).active
    return ws


def _data(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def test_build_xlsx_types_dates_and_money_and_freezes_the_header():
    data = build_xlsx("Danh sách", [col("Ngày", "date"), col("Tiền", "money"), col("Tên")],
                      [[date(2025, 3, 5), 2_340_000, "Nguyễn Văn An"]], filters={"Năm": 2025, "Loại": None})
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Danh sách"
    assert ws["A2"].value == "Lọc theo: Năm: 2025"
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.cell(HEADER_ROW, 1).font.bold
    day, money = ws.cell(HEADER_ROW + 1, 1), ws.cell(HEADER_ROW + 1, 2)
    assert day.value == datetime(2025, 3, 5) and day.number_format == "dd/mm/yyyy"
    assert money.value == 2_340_000 and money.number_format == "#,##0"
    assert ws.column_dimensions["C"].width >= len("Nguyễn Văn An")


def test_ascii_filename_folds_vietnamese():
    assert ascii_filename("Danh sách đề nghị Đợt 1") == "danh-sach-de-nghi-dot-1"


def test_campaign_export_applies_the_list_filters(db, users, login_as):
    kept = factories.make_campaign(status="open", name="Thi đua dạy tốt, học tốt")
    factories.make_campaign(status="closed", name="Phong trào đã kết thúc")
    client = login_as(users[Role.UNIT_OFFICER])
    page = client.get("/campaigns/?status=open").get_data(as_text=True)
    assert "Thi đua dạy tốt, học tốt" in page and "Phong trào đã kết thúc" not in page
    assert "/campaigns/export.xlsx?status=open" in page
    ws = _sheet(client.get("/campaigns/export.xlsx?status=open"))
    rows = _data(ws)
    assert [r[0] for r in rows] == [kept.name]
    assert rows[0][3] == datetime.combine(kept.starts_on, datetime.min.time())
    assert "Đang phát động" in ws["A2"].value


def test_decision_export_lists_issued_decisions_with_money(db, province, unit, users, login_as):
    person = factories.make_person(unit=unit)
    issued = factories.make_decision(issuer=province, awardees=[person])
    factories.make_decision(issuer=province, awardees=[factories.make_person(unit=unit)], issued=False)
    ws = _sheet(login_as(users[Role.APPROVER]).get("/decisions/export.xlsx?status=issued"))
    rows = _data(ws)
    assert len(rows) == 1
    assert rows[0][0] == issued.number and rows[0][6] == 1 and rows[0][7] == issued.total_amount
    assert ws.cell(HEADER_ROW + 1, 8).number_format == "#,##0"


def test_queue_export_has_the_submitted_dossiers_of_the_filtered_unit(db, unit, users, login_as):
    other = factories.make_unit(name="Sở Y tế")
    now = datetime.now(UTC)
    mine = factories.make_nomination(unit=unit, status="submitted", submitted_at=now - timedelta(days=1))
    factories.make_nomination(unit=other, status="submitted", submitted_at=now)
    factories.make_nomination(unit=unit, status="draft")
    client = login_as(users[Role.SECRETARIAT])
    rows = _data(_sheet(client.get(f"/nominations/queue/export.xlsx?unit_id={unit.id}")))
    assert [(r[1], r[4]) for r in rows] == [(mine.nominee_name, unit.name)]
    assert len(_data(_sheet(client.get("/nominations/queue/export.xlsx")))) == 2


def test_user_export_filters_by_role(db, users, login_as):
    ws = _sheet(login_as(users[Role.ADMIN]).get("/auth/users/export.xlsx?role=approver"))
    assert [r[0] for r in _data(ws)] == ["approver"]


def test_audit_export_applies_the_action_filter(db, users, login_as):
    from thidua.audit.models import AuditEntry

    db.session.add_all([
        AuditEntry(actor_name="Quản trị", action="decision.issue", object_type="decisions", object_id="7",
                   object_repr="Quyết định 7/QĐ-UBND"),
        AuditEntry(actor_name="Quản trị", action="campaign.create", object_type="campaigns", object_id="3",
                   object_repr="Phong trào số 3"),
    ])
    client = login_as(users[Role.ADMIN])
    page = client.get("/audit/?action=decision.issue").get_data(as_text=True)
    assert "Quyết định 7/QĐ-UBND" in page and "Phong trào số 3" not in page
    ws = _sheet(client.get("/audit/export.xlsx?action=decision.issue"))
    assert [r[5] for r in _data(ws)] == ["Quyết định 7/QĐ-UBND"]
    assert isinstance(_data(ws)[0][0], datetime)


@pytest.mark.parametrize(("url", "allowed", "refused"), [
    ("/campaigns/export.xlsx", Role.UNIT_OFFICER, None),
    ("/decisions/export.xlsx", Role.APPROVER, Role.UNIT_OFFICER),
    ("/nominations/queue/export.xlsx", Role.SECRETARIAT, Role.UNIT_OFFICER),
    ("/auth/users/export.xlsx", Role.ADMIN, Role.SECRETARIAT),
    ("/audit/export.xlsx", Role.ADMIN, Role.SECRETARIAT),
])
def test_export_follows_its_list_permission(db, users, login_as, client, url, allowed, refused):
    assert login_as(users[allowed]).get(url).status_code == 200
    if refused is not None:
        assert login_as(users[refused]).get(url).status_code == 403
    assert client.get(url).status_code in (302, 401)
