import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.extensions import db
from thidua.nominations import workflow
from thidua.notices import services
from thidua.notices.models import NoticeComment, PublicNotice


def _notice(unit, *, starts=-2, ends=8, nominations=None, title="Lấy ý kiến về Bằng khen của Chủ tịch UBND tỉnh"):
    """A notice whose period is relative to today (days), committed."""
    today = services.local_today()
    if nominations is None:
        nominations = [factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")]
    notice = services.create_notice(title=title, award_type=factories.award_type("BK_TINH"),
                                    starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends),
                                    nomination_ids=[n.id for n in nominations], actor=None)
    db.session.commit()
    return notice


def _comments(db) -> list[NoticeComment]:
    return db.session.scalars(sa.select(NoticeComment).order_by(NoticeComment.id)).all()


def _comment_url(notice, nomination=None):
    nomination = nomination or notice.nominations[0]
    return f"/public/notices/{notice.id}/candidates/{nomination.id}"


@pytest.fixture
def candidate(db, unit):
    person = factories.make_person(full_name="Lê Thị Hồng Nhung", unit=unit, birth_date=date(1980, 3, 15),
                                   national_id="038180001234", position="Phó Giám đốc Sở")
    return factories.make_nomination(unit=unit, code="BK_TINH", person=person, status="accepted",
                                     achievement_summary="Chỉ đạo chuyển đổi số toàn ngành.")


def test_public_page_shows_candidates_without_personal_data(db, unit, client, candidate):
    notice = _notice(unit, nominations=[candidate])
    page = client.get(f"/public/notices/{notice.id}").get_data(as_text=True)
    assert "Lê Thị Hồng Nhung" in page and "Phó Giám đốc Sở" in page and "Chỉ đạo chuyển đổi số" in page
    assert "Sở Giáo dục và Đào tạo" in page and "Bằng khen của Chủ tịch UBND tỉnh" in page
    for secret in ("15/03/1980", "1980-03-15", "1980", "038180001234"):
        assert secret not in page
    comment_page = client.get(_comment_url(notice)).get_data(as_text=True)
    assert "Lê Thị Hồng Nhung" in comment_page
    for secret in ("15/03/1980", "1980", "038180001234"):
        assert secret not in comment_page


def test_public_pages_need_no_login_and_show_no_staff_navigation(db, unit, client):
    notice = _notice(unit)
    for url in ("/public/notices", f"/public/notices/{notice.id}", _comment_url(notice)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Đăng xuất" not in response.get_data(as_text=True)


def test_public_index_lists_only_running_notices(db, unit, client):
    _notice(unit, title="Đang chạy")
    _notice(unit, starts=2, ends=5, title="Sắp tới")
    _notice(unit, starts=-9, ends=-1, title="Đã xong")
    page = client.get("/public/notices").get_data(as_text=True)
    assert "Đang chạy" in page and "Sắp tới" not in page and "Đã xong" not in page


def test_public_detail_of_upcoming_notice_is_not_found(db, unit, client):
    notice = _notice(unit, starts=1, ends=5)
    assert client.get(f"/public/notices/{notice.id}").status_code == 404
    assert client.post(_comment_url(notice), data={"body": "Ý kiến"}).status_code == 404
    assert _comments(db) == []


def test_comment_is_stored_and_never_shown_publicly(db, unit, client, users, login_as):
    notice = _notice(unit)
    response = client.post(_comment_url(notice), data={"author_name": "Trần Văn Bình", "contact": "0912345678",
                                                        "body": "Đề nghị xem lại thành tích năm 2024."},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302
    [kept] = _comments(db)
    assert (kept.author_name, kept.contact, kept.ip) == ("Trần Văn Bình", "0912345678", "203.0.113.9")
    public = client.get(f"/public/notices/{notice.id}", follow_redirects=True).get_data(as_text=True)
    assert "Cảm ơn bạn đã gửi ý kiến" in public
    assert "Đề nghị xem lại thành tích" not in public and "0912345678" not in public
    staff = login_as(users[Role.SECRETARIAT]).get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "Đề nghị xem lại thành tích năm 2024." in staff and "0912345678" in staff


def test_comment_without_text_keeps_typed_data_and_explains(db, unit, client):
    notice = _notice(unit)
    page = client.post(_comment_url(notice), data={"author_name": "Trần Văn Bình", "body": "   "}).get_data(as_text=True)
    assert "Vui lòng nhập nội dung ý kiến." in page and 'value="Trần Văn Bình"' in page
    assert _comments(db) == []


def test_comment_too_long_is_refused(db, unit, client):
    notice = _notice(unit)
    page = client.post(_comment_url(notice), data={"body": "x" * (services.BODY_MAX + 1)}).get_data(as_text=True)
    assert f"Tối đa {services.BODY_MAX} ký tự." in page
    assert _comments(db) == []


def test_comment_rate_limit_refuses_the_sixth_from_one_address(db, unit, client):
    notice = _notice(unit)
    for i in range(services.COMMENT_LIMIT):
        response = client.post(_comment_url(notice), data={"body": f"Ý kiến {i}"},
                               environ_base={"REMOTE_ADDR": "203.0.113.7"})
        assert response.status_code == 302
    page = client.post(_comment_url(notice), data={"body": "Ý kiến thứ sáu"},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"}).get_data(as_text=True)
    assert "Bạn đã gửi 5 ý kiến trong 10 phút gần đây" in page and "Ý kiến thứ sáu" in page
    assert len(_comments(db)) == services.COMMENT_LIMIT
    other = client.post(_comment_url(notice), data={"body": "Từ máy khác"}, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert other.status_code == 302 and len(_comments(db)) == services.COMMENT_LIMIT + 1


def test_comment_after_the_period_is_refused(db, unit, client):
    notice = _notice(unit, starts=-9, ends=-1)
    response = client.post(_comment_url(notice), data={"body": "Muộn"}, follow_redirects=True)
    assert "Thời gian công khai đã kết thúc" in response.get_data(as_text=True)
    assert _comments(db) == []


def test_comment_on_dossier_not_on_the_notice_is_not_found(db, unit, client):
    notice = _notice(unit)
    other = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    db.session.commit()
    assert client.post(_comment_url(notice, other), data={"body": "Ý kiến"}).status_code == 404
    assert _comments(db) == []


def test_comment_without_csrf_token_is_refused(db, unit, client, csrf_app):
    notice = _notice(unit)
    response = client.post(_comment_url(notice), data={"body": "Không có mã"})
    assert response.status_code == 400
    assert _comments(db) == []


def test_comment_with_csrf_token_from_the_form_is_kept(db, unit, client, csrf_app):
    notice = _notice(unit)
    page = client.get(_comment_url(notice)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(_comment_url(notice), data={"body": "Có mã", "csrf_token": token})
    assert response.status_code == 302
    assert [c.body for c in _comments(db)] == ["Có mã"]


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER])
def test_staff_comment_pages_are_forbidden_to_unit_officers(db, unit, users, login_as, role):
    notice = _notice(unit)
    http = login_as(users[role])
    assert http.get(f"/notices/{notice.id}").status_code == 403
    assert http.get(f"/notices/nominations/{notice.nominations[0].id}/comments").status_code == 403
    assert http.get("/notices/").status_code == 403


@pytest.mark.parametrize("role", [Role.COUNCIL_MEMBER, Role.APPROVER, Role.SECRETARIAT])
def test_comments_per_nomination_show_the_period_to_council_and_staff(db, unit, users, login_as, client, role):
    notice = _notice(unit)
    services.add_comment(notice, notice.nominations[0], body="Người này rất xứng đáng.", ip="203.0.113.1")
    db.session.commit()
    page = login_as(users[role]).get(f"/notices/nominations/{notice.nominations[0].id}/comments").get_data(as_text=True)
    assert "Người này rất xứng đáng." in page
    assert f"từ {notice.starts_on:%d/%m/%Y} đến hết {notice.ends_on:%d/%m/%Y}" in page


def test_nomination_comments_of_unknown_dossier_is_not_found(db, users, login_as):
    assert login_as(users[Role.SECRETARIAT]).get("/notices/nominations/999/comments").status_code == 404


def test_create_by_secretariat_publishes_chosen_dossiers(db, unit, users, login_as):
    chosen = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    left_out = factories.make_nomination(unit=unit, code="BK_TINH", status="submitted")
    draft = factories.make_nomination(unit=unit, code="BK_TINH", status="draft")
    at = factories.award_type("BK_TINH")
    http = login_as(users[Role.SECRETARIAT])
    form_page = http.get(f"/notices/new?award_type={at.id}").get_data(as_text=True)
    assert chosen.nominee_name in form_page and left_out.nominee_name in form_page
    assert draft.nominee_name not in form_page
    response = http.post(f"/notices/new?award_type={at.id}", data={
        "title": "Công khai Bằng khen 2025", "starts_on": "01/12/2025", "ends_on": "10/12/2025",
        "nomination_ids": [str(chosen.id)]})
    assert response.status_code == 302
    notice = db.session.scalars(sa.select(PublicNotice)).one()
    assert notice.nominations == [chosen] and notice.award_type == at
    assert (notice.starts_on, notice.ends_on) == (date(2025, 12, 1), date(2025, 12, 10))
    assert notice.created_by_id == users[Role.SECRETARIAT].id


def test_create_with_bad_period_keeps_typed_data(db, unit, users, login_as):
    chosen = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    at = factories.award_type("BK_TINH")
    page = login_as(users[Role.SECRETARIAT]).post(f"/notices/new?award_type={at.id}", data={
        "title": "Tiêu đề đã gõ", "starts_on": "10/12/2025", "ends_on": "01/12/2025",
        "nomination_ids": [str(chosen.id)]}).get_data(as_text=True)
    assert "Ngày kết thúc không được trước ngày bắt đầu." in page
    assert 'value="Tiêu đề đã gõ"' in page and 'value="01/12/2025"' in page
    assert re.search(rf'value="{chosen.id}"[^>]*checked|checked[^>]*value="{chosen.id}"', page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicNotice)) == 0


def test_create_without_any_dossier_chosen_is_refused(db, unit, users, login_as):
    factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    at = factories.award_type("BK_TINH")
    page = login_as(users[Role.SECRETARIAT]).post(f"/notices/new?award_type={at.id}", data={
        "title": "Công khai", "starts_on": "01/12/2025", "ends_on": "10/12/2025"}).get_data(as_text=True)
    assert "Vui lòng chọn ít nhất một hồ sơ để công khai." in page


def test_create_for_unknown_award_is_not_found(db, users, login_as):
    assert login_as(users[Role.SECRETARIAT]).get("/notices/new?award_type=999").status_code == 404


def test_edit_changes_period_and_candidates(db, unit, users, login_as):
    notice = _notice(unit)
    added = factories.make_nomination(unit=unit, code="BK_TINH", status="submitted")
    db.session.commit()
    response = login_as(users[Role.SECRETARIAT]).post(f"/notices/{notice.id}/edit", data={
        "title": "Tiêu đề mới", "starts_on": "01/12/2025", "ends_on": "15/12/2025",
        "nomination_ids": [str(notice.nominations[0].id), str(added.id)]})
    assert response.status_code == 302
    db.session.refresh(notice)
    assert notice.title == "Tiêu đề mới" and notice.ends_on == date(2025, 12, 15) and len(notice.nominations) == 2


def test_end_early_takes_the_notice_off_the_public_page(db, unit, users, login_as, client):
    notice = _notice(unit)
    response = login_as(users[Role.SECRETARIAT]).post(f"/notices/{notice.id}/end", follow_redirects=True)
    assert "Đã kết thúc công khai" in response.get_data(as_text=True)
    assert notice.ends_on == services.local_today() - timedelta(days=1)
    assert notice.title not in client.get("/public/notices").get_data(as_text=True)
    assert client.post(_comment_url(notice), data={"body": "Muộn"}).status_code == 302
    assert _comments(db) == []


def test_manage_pages_are_forbidden_to_council_members(db, unit, users, login_as):
    notice = _notice(unit)
    http = login_as(users[Role.COUNCIL_MEMBER])
    assert http.get("/notices/new").status_code == 403
    assert http.get(f"/notices/{notice.id}/edit").status_code == 403
    assert http.post(f"/notices/{notice.id}/end").status_code == 403
    assert notice.ends_on == services.local_today() + timedelta(days=8)


def test_public_page_drops_a_withdrawn_candidate_and_shows_collectives(db, unit, client):
    school = unit.children[0]
    collective = factories.make_nomination(unit=unit, code="BK_TINH", nominee_unit=school, status="accepted")
    leaving = factories.make_nomination(unit=unit, code="BK_TINH", status="submitted")
    notice = _notice(unit, nominations=[collective, leaving])
    workflow.transition(leaving, "withdraw", actor=None)
    db.session.commit()
    page = client.get(f"/public/notices/{notice.id}").get_data(as_text=True)
    assert "Trường THPT chuyên Lam Sơn" in page and leaving.nominee_name not in page
    assert client.get(_comment_url(notice, leaving)).status_code == 404
