"""The inbox: the bell's count on every page, the list (unread first, links), marking read, the purge."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.extensions import utcnow
from thidua.notifications.models import Notification
from thidua.notifications.services import NOTIFICATION_RETENTION_DAYS, notify, purge_old


def note(db, user, title="Hồ sơ bị trả lại để bổ sung: Lê Thị Hoa", *, url="/nominations/", ago=None, read=False):
    n = Notification(user_id=user.id, kind="nomination.returned", title=title, body="Thiếu báo cáo thành tích.",
                     url=url, created_at=utcnow() - (ago or timedelta()), read_at=utcnow() if read else None)
    db.session.add(n)
    db.session.flush()
    return n


def bell(html: str) -> str | None:
    match = re.search(r'id="bell-count">([^<]+)<', html)
    return match.group(1) if match else None


def test_bell_shows_unread_count_on_every_page(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    note(db, officer)
    note(db, officer, "Hồ sơ đã được tiếp nhận")
    note(db, officer, "Đã đọc", read=True)
    note(db, users[Role.ADMIN], "Của người khác")
    client = login_as(officer)
    for path in ("/", "/campaigns/", "/notifications/"):
        html = client.get(path).get_data(as_text=True)
        assert bell(html) == "2", path
        assert "Thông báo" in html


def test_bell_without_unread_shows_no_badge(db, users, login_as):
    html = login_as(users[Role.ADMIN]).get("/").get_data(as_text=True)
    assert 'id="bell"' in html and bell(html) is None


def test_inbox_needs_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_inbox_lists_own_notifications_unread_first(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    note(db, officer, "Cũ, chưa đọc", ago=timedelta(days=3))
    note(db, officer, "Mới, đã đọc", read=True)
    note(db, officer, "Mới nhất, chưa đọc", ago=timedelta(minutes=1))
    note(db, users[Role.SECRETARIAT], "Hồ sơ mới chờ thẩm định của người khác")
    html = login_as(officer).get("/notifications/").get_data(as_text=True)
    order = [t for t in ("Mới nhất, chưa đọc", "Cũ, chưa đọc", "Mới, đã đọc") if t in html]
    assert order == ["Mới nhất, chưa đọc", "Cũ, chưa đọc", "Mới, đã đọc"]
    assert sorted(order, key=html.index) == order
    assert "của người khác" not in html
    assert "Hồ sơ bị trả lại để bổ sung" in html  # the kind's label
    assert "2 chưa đọc" in html


def test_read_marks_it_and_goes_to_the_object(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    n = note(db, officer, url="/nominations/7")
    response = login_as(officer).post(f"/notifications/{n.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/nominations/7"
    db.session.refresh(n)
    assert n.read_at is not None


def test_read_another_users_notification_is_not_found(db, users, login_as):
    n = note(db, users[Role.SECRETARIAT])
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/notifications/{n.id}/read")
    assert response.status_code == 404
    db.session.refresh(n)
    assert n.read_at is None


def test_read_never_follows_a_link_to_another_site(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    n = note(db, officer, url="//evil.example/phish")
    response = login_as(officer).post(f"/notifications/{n.id}/read")
    assert response.headers["Location"] == "/notifications/"


def test_read_without_csrf_token_is_refused(db, users, login_as, csrf_app):
    officer = users[Role.UNIT_OFFICER]
    n = note(db, officer)
    assert login_as(officer).post(f"/notifications/{n.id}/read").status_code == 400
    db.session.refresh(n)
    assert n.read_at is None


def test_read_all_marks_only_own_and_clears_the_bell(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    mine = [note(db, officer), note(db, officer)]
    theirs = note(db, users[Role.ADMIN])
    client = login_as(officer)
    response = client.post("/notifications/read-all", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã đánh dấu 2 thông báo là đã đọc." in html
    assert bell(html) is None
    assert all(db.session.get(Notification, n.id).read_at is not None for n in mine)
    assert db.session.get(Notification, theirs.id).read_at is None


def test_unread_json_gives_the_count(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    note(db, officer)
    assert login_as(officer).get("/notifications/unread.json").get_json() == {"unread": 1}


def test_inbox_queries_do_not_grow_with_notifications(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    client = login_as(officer)

    def queries_for_inbox() -> int:
        db.session.commit()
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/notifications/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    for i in range(3):
        note(db, officer, f"Thông báo {i}")
    client.get("/notifications/")  # warm up
    few = queries_for_inbox()
    for i in range(27):
        note(db, officer, f"Thông báo thêm {i}", read=i % 2 == 0)
    assert queries_for_inbox() == few
    assert few <= 8


def test_notify_reaches_the_inbox_of_a_user(db, users, login_as):
    officer = users[Role.UNIT_OFFICER]
    notify([officer], kind="campaign.opened", title="Phát động phong trào thi đua: Chuyển đổi số", url="/campaigns/")
    html = login_as(officer).get("/notifications/").get_data(as_text=True)
    assert "Phát động phong trào thi đua: Chuyển đổi số" in html
    assert "Phong trào thi đua được phát động" in html


def test_purge_deletes_notifications_older_than_a_year(db, users):
    officer = users[Role.UNIT_OFFICER]
    old = note(db, officer, "Năm ngoái", ago=timedelta(days=NOTIFICATION_RETENTION_DAYS + 1), read=True)
    old_unread = note(db, officer, "Năm ngoái, chưa đọc", ago=timedelta(days=NOTIFICATION_RETENTION_DAYS + 30))
    recent = note(db, officer, "Gần một năm", ago=timedelta(days=NOTIFICATION_RETENTION_DAYS - 1))
    old_id, old_unread_id, recent_id = old.id, old_unread.id, recent.id
    assert purge_old(NOTIFICATION_RETENTION_DAYS) == 2
    db.session.expire_all()
    left = set(db.session.scalars(sa.select(Notification.id)))
    assert recent_id in left and old_id not in left and old_unread_id not in left
