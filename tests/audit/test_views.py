"""The audit log pages: admin only, filters, local times, readable changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.extensions import db as _db


def make_entry(*, at: datetime | None = None, action: str = "update", object_type: str = "units",
               object_id: str | None = "1", actor=None, actor_name: str | None = None, changes=None,
               **kw) -> AuditEntry:
    entry = AuditEntry(at=at or datetime.now(UTC), action=action, object_type=object_type, object_id=object_id,
                       actor_id=getattr(actor, "id", None),
                       actor_name=actor_name or (str(actor) if actor else "hệ thống"), changes=changes, **kw)
    _db.session.add(entry)
    _db.session.flush()
    return entry


@pytest.fixture
def admin_client(users, login_as):
    return login_as(users[Role.ADMIN])


def page(client, query: str = "") -> str:
    response = client.get("/audit/" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- who may look -------------------------------------------------------------------------------

def test_audit_log_is_shown_to_an_admin(admin_client):
    html = page(admin_client)
    assert "Nhật ký hệ thống" in html


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_audit_log_is_forbidden_to_other_roles(users, login_as, role):
    client = login_as(users[role])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/users/1").status_code == 403


def test_audit_log_sends_an_anonymous_visitor_to_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_audit_link_is_in_the_menu_only_for_admins(users, login_as):
    assert 'href="/audit/"' in login_as(users[Role.ADMIN]).get("/").get_data(as_text=True)
    assert 'href="/audit/"' not in login_as(users[Role.SECRETARIAT]).get("/").get_data(as_text=True)


# --- what a row shows ---------------------------------------------------------------------------

def test_entry_time_is_shown_in_vietnam_time(admin_client, db):
    make_entry(at=datetime(2025, 3, 5, 17, 30, tzinfo=UTC), object_repr="Sở Y tế")
    db.session.commit()

    assert "06/03/2025 00:30" in page(admin_client)


def test_entry_shows_actor_action_object_ip_and_changes(admin_client, users, db):
    admin = users[Role.ADMIN]
    make_entry(action="unit.update", object_id="7", object_repr="Sở Y tế", actor=admin, ip="10.1.2.3",
               changes={"name": ["Sở Y tế cũ", "Sở Y tế"], "valid_to": [None, "2025-06-30"]})
    db.session.commit()

    html = page(admin_client)
    assert str(admin) in html
    assert "Sửa đơn vị" in html
    assert "Đơn vị #7" in html and 'href="/audit/units/7"' in html
    assert "10.1.2.3" in html
    assert "<del>Sở Y tế cũ</del> → <ins>Sở Y tế</ins>" in html
    assert "Hiệu lực đến ngày" in html and "30/06/2025" in html


def test_enum_values_are_shown_with_their_labels(admin_client, db):
    make_entry(action="create", object_type="role_assignments", changes={"role": [None, "unit_officer"]})
    db.session.commit()

    assert "Cán bộ đơn vị" in page(admin_client)


def test_a_password_change_shows_only_the_mask(admin_client, users, db):
    from thidua.auth import services

    user = users[Role.APPROVER]
    services.change_password(user, current=factories.PASSWORD, new="mat-khau-moi-9")
    db.session.commit()

    html = page(admin_client, "?action=auth.password_changed")
    assert "Đổi mật khẩu" in html and "*** (được ẩn)" in html
    assert user.password_hash not in html


def test_list_is_newest_first_and_paginated(admin_client, db):
    db.session.execute(sa.delete(AuditEntry))  # the fixtures' own entries
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(55):
        make_entry(at=start + timedelta(minutes=i), object_id=str(i), object_repr=f"Mục số {i:02d}")
    db.session.commit()

    first = page(admin_client)
    assert first.index("Mục số 54") < first.index("Mục số 53")
    assert "Mục số 04" not in first
    assert "Tìm thấy 55 ghi nhận, trang 1/2" in first
    assert "Mục số 04" in page(admin_client, "?page=2")


def test_pages_keep_the_filters(admin_client, db):
    for i in range(55):
        make_entry(action="delete", object_id=str(i))
    make_entry(action="create")
    db.session.commit()

    html = page(admin_client, "?action=delete")
    assert "/audit/?action=delete&amp;page=2" in html or "/audit/?page=2&amp;action=delete" in html


# --- filters ------------------------------------------------------------------------------------

def test_filter_by_actor_matches_username_or_name_without_diacritics(admin_client, db):
    vuong = factories.make_user(username="hoidong", full_name="Đặng Quốc Vượng")
    tuan = factories.make_user(username="lanhdao", full_name="Đỗ Minh Tuấn")
    make_entry(actor=vuong, object_repr="việc của Vượng")
    make_entry(actor=tuan, object_repr="việc của Tuấn")
    db.session.commit()

    for query in ("hoidong", "HOIDONG", "Vượng", "dang quoc"):
        html = page(admin_client, f"?actor={query}")
        assert "việc của Vượng" in html and "việc của Tuấn" not in html, query


def test_filter_by_actor_finds_the_recorded_name_of_a_deleted_user(admin_client, db):
    make_entry(actor_name="Người đã nghỉ (cu)", object_repr="việc cũ")
    make_entry(object_repr="việc khác")
    db.session.commit()

    html = page(admin_client, "?actor=nghỉ")
    assert "việc cũ" in html and "việc khác" not in html


def test_filter_by_action(admin_client, db):
    make_entry(action="campaign.open", object_repr="phát động")
    make_entry(action="update", object_repr="sửa")
    db.session.commit()

    html = page(admin_client, "?action=campaign.open")
    assert "phát động" in html and ">sửa<" not in html
    assert '<option selected value="campaign.open">Phát động phong trào</option>' in html


def test_action_choices_include_row_changes_and_recorded_actions(admin_client, db):
    make_entry(action="auth.login")
    db.session.commit()

    html = page(admin_client)
    for label in ("Tạo mới", "Cập nhật", "Xóa", "Đăng nhập"):
        assert f">{label}</option>" in html


def test_filter_by_object_type_and_id(admin_client, db):
    make_entry(object_type="units", object_id="5", object_repr="đơn vị năm")
    make_entry(object_type="units", object_id="6", object_repr="đơn vị sáu")
    make_entry(object_type="users", object_id="5", object_repr="người năm")
    db.session.commit()

    html = page(admin_client, "?object_type=units&object_id=5")
    assert "đơn vị năm" in html
    assert "đơn vị sáu" not in html and "người năm" not in html
    assert '<option selected value="units">Đơn vị</option>' in html


def test_filter_by_local_date_range_includes_both_days(admin_client, db):
    # 04/03 23:30 in Hà Nội is 16:30 UTC; 06/03 00:30 in Hà Nội is 05/03 17:30 UTC.
    make_entry(at=datetime(2025, 3, 3, 16, 59, tzinfo=UTC), object_repr="trước")
    make_entry(at=datetime(2025, 3, 3, 17, 0, tzinfo=UTC), object_repr="ngày đầu")
    make_entry(at=datetime(2025, 3, 5, 16, 59, tzinfo=UTC), object_repr="ngày cuối")
    make_entry(at=datetime(2025, 3, 5, 17, 0, tzinfo=UTC), object_repr="sau")
    db.session.commit()

    html = page(admin_client, "?date_from=04/03/2025&date_to=05/03/2025")
    assert "ngày đầu" in html and "ngày cuối" in html
    assert ">trước<" not in html and ">sau<" not in html


@pytest.mark.parametrize(("query", "message"), [
    ("?date_from=31/02/2025", "Ngày không hợp lệ"),
    ("?date_to=hôm qua", "Ngày không hợp lệ"),
    ("?date_from=05/03/2025&date_to=01/03/2025", "“Đến ngày” không được trước “Từ ngày”."),
    ("?action=xoa-sach", "Lựa chọn không hợp lệ."),
    ("?object_type=bang_la", "Lựa chọn không hợp lệ."),
    ("?object_id=" + "9" * 65, "Tối đa 64 ký tự."),
])
def test_invalid_filter_shows_a_vietnamese_message(admin_client, db, query, message):
    make_entry(object_repr="không được hiện")
    db.session.commit()

    html = page(admin_client, query)
    assert message in html
    assert "Bộ lọc chưa hợp lệ" in html
    assert "không được hiện" not in html


def test_nonsense_page_number_shows_the_first_page(admin_client, db):
    make_entry(object_repr="mục duy nhất")
    db.session.commit()

    assert "mục duy nhất" in page(admin_client, "?page=abc")


# --- one object's history -----------------------------------------------------------------------

def test_object_history_lists_every_entry_of_that_object(admin_client, db):
    unit = factories.make_unit(name="Sở Y tế")
    db.session.commit()
    unit.name = "Sở Y tế tỉnh"
    db.session.commit()
    factories.make_unit(name="Sở khác")
    db.session.commit()

    response = admin_client.get(f"/audit/units/{unit.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lịch sử thay đổi: Sở Y tế tỉnh" in html
    assert "<del>Sở Y tế</del> → <ins>Sở Y tế tỉnh</ins>" in html
    assert "Sở khác" not in html
    assert html.index("Cập nhật") < html.index("Tạo mới")


def test_object_history_of_an_unknown_object_is_404(admin_client):
    assert admin_client.get("/audit/units/999").status_code == 404
