from datetime import date

import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.councils.models import (
    AttendanceStatus,
    Council,
    CouncilMember,
    CouncilSession,
    MemberRole,
    Recusal,
    SessionStatus,
)

from ..factories import make_council, make_nomination, make_session, make_user


@pytest.fixture
def secretariat(users, login_as):
    return login_as(users[Role.SECRETARIAT])


@pytest.fixture
def council(db, unit, users):
    """A council chaired by the council-member user, with two more members."""
    others = [make_user(roles=[Role.COUNCIL_MEMBER], full_name=f"Ủy viên {i}") for i in (1, 2)]
    council = make_council(unit=unit, members=[(users[Role.COUNCIL_MEMBER], "chair"), *others])
    db.session.commit()
    return council


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_council_saves_and_shows_it(secretariat, db, unit):
    response = secretariat.post("/councils/new", data={
        "name": "Hội đồng Thi đua - Khen thưởng Sở Giáo dục", "level": "unit", "unit_id": unit.id,
        "established_by": "12/QĐ-SGDĐT ngày 05/3/2024", "recuse_related_units": "y", "active": "y"})
    assert response.status_code == 302
    council = db.session.scalar(sa.select(Council))
    assert council.recuse_related_units and council.established_by.startswith("12/QĐ")
    page = secretariat.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hội đồng Thi đua - Khen thưởng Sở Giáo dục" in page and "chưa có Chủ tịch Hội đồng" in page


def test_create_council_without_name_shows_the_error_beside_it(secretariat, db, unit):
    response = secretariat.post("/councils/new", data={"name": " ", "level": "unit", "unit_id": unit.id})
    assert response.status_code == 200 and "Vui lòng nhập tên Hội đồng." in response.get_data(as_text=True)
    assert _count(db, Council) == 0


def test_add_member_second_chair_is_refused_beside_the_role(secretariat, db, council):
    newcomer = make_user(full_name="Lê Văn Mới")
    db.session.commit()
    response = secretariat.post(f"/councils/{council.id}/members/new", data={
        "user_id": newcomer.id, "role": "chair", "unit_id": 0, "term_from": "01/01/2025"})
    assert response.status_code == 200 and "đã có chủ tịch hội đồng" in response.get_data(as_text=True)
    assert _count(db, CouncilMember) == 3


def test_add_member_secretary_is_listed(secretariat, db, council):
    newcomer = make_user(full_name="Lê Thị Thư Ký")
    db.session.commit()
    response = secretariat.post(f"/councils/{council.id}/members/new", data={
        "user_id": newcomer.id, "role": "secretary", "position": "Trưởng ban Thi đua", "unit_id": 0,
        "term_from": "01/01/2025", "term_to": ""})
    assert response.status_code == 302
    page = secretariat.get(f"/councils/{council.id}").get_data(as_text=True)
    assert "Lê Thị Thư Ký" in page and "Thư ký" in page and "missing-roles" not in page


def test_end_member_sets_the_last_day(secretariat, db, council):
    member = council.members[2]
    response = secretariat.post(f"/councils/{council.id}/members/{member.id}/end", data={"term_to": "31/12/2025"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.term_to == date(2025, 12, 31)


def test_end_member_of_another_council_is_not_found(secretariat, db, council, unit):
    other = make_council(unit=unit, members=[make_user()])
    db.session.commit()
    assert secretariat.post(f"/councils/{council.id}/members/{other.members[0].id}/end",
                            data={"term_to": "31/12/2025"}).status_code == 404


def test_unknown_council_and_session_are_not_found(secretariat):
    assert secretariat.get("/councils/999999").status_code == 404
    assert secretariat.get("/councils/sessions/999999").status_code == 404


def test_create_session_with_decimal_comma_ratio(secretariat, db, council):
    response = secretariat.post(f"/councils/{council.id}/sessions/new", data={
        "title": "Phiên họp xét khen thưởng năm 2025", "held_on": "20/12/2025", "place": "Phòng họp số 1",
        "rubric_id": 0, "aggregation": "median", "quorum_ratio": "0,75"})
    assert response.status_code == 302
    session = db.session.scalar(sa.select(CouncilSession))
    assert str(session.quorum_ratio) == "0.750" and session.held_on == date(2025, 12, 20)


def test_create_session_with_bad_date_shows_the_error(secretariat, db, council):
    response = secretariat.post(f"/councils/{council.id}/sessions/new", data={
        "title": "Phiên họp", "held_on": "32/13/2025", "rubric_id": 0, "aggregation": "mean", "quorum_ratio": "0.667"})
    assert response.status_code == 200 and "dd/mm/yyyy" in response.get_data(as_text=True)
    assert _count(db, CouncilSession) == 0


def test_add_agenda_accepted_dossier_appears_on_the_session_page(secretariat, db, council, unit):
    session = make_session(council=council)
    n = make_nomination(unit=unit, status="accepted")
    db.session.commit()
    response = secretariat.post(f"/councils/sessions/{session.id}/agenda", data={"nomination_id": n.id})
    assert response.status_code == 302
    page = secretariat.get(f"/councils/sessions/{session.id}").get_data(as_text=True)
    assert n.nominee_name in page and 'id="item-' in page


def test_add_agenda_submitted_dossier_is_refused(secretariat, db, council, unit):
    session = make_session(council=council)
    n = make_nomination(unit=unit, status="submitted")
    db.session.commit()
    response = secretariat.post(f"/councils/sessions/{session.id}/agenda", data={"nomination_id": n.id},
                                follow_redirects=True)
    assert "Lựa chọn không hợp lệ" in response.get_data(as_text=True)
    assert session.agenda == []


def test_attendance_then_open_session(secretariat, db, council, unit):
    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    db.session.commit()
    chair, m1, m2 = council.members
    response = secretariat.post(f"/councils/sessions/{session.id}/attendance", data={
        f"member-{chair.id}": "present", f"member-{m1.id}": "present", f"member-{m2.id}": "absent_written"},
        follow_redirects=True)
    assert "có mặt 2/3 thành viên" in response.get_data(as_text=True)
    response = secretariat.post(f"/councils/sessions/{session.id}/open", follow_redirects=True)
    assert "Đã khai mạc phiên họp." in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.status == SessionStatus.OPEN


def test_session_page_lists_secretary_for_attendance_as_not_voting(secretariat, db, council, unit):
    secretary = make_user(roles=[Role.COUNCIL_MEMBER], full_name="Đỗ Thị Thư")
    council.members.append(CouncilMember(user=secretary, role=MemberRole.SECRETARY, term_from=date(2024, 1, 1)))
    session = make_session(council=council)
    db.session.commit()
    page = secretariat.get(f"/councils/sessions/{session.id}").get_data(as_text=True)
    row = page[page.index("Đỗ Thị Thư"):]
    row = row[:row.index("</tr>")]
    assert "Thư ký" in row and "không biểu quyết" in row
    assert "Có mặt 0/3 thành viên biểu quyết" in page


def test_open_without_quorum_shows_why_and_stays_planned(secretariat, db, council, unit):
    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    db.session.commit()
    page = secretariat.post(f"/councils/sessions/{session.id}/open", follow_redirects=True).get_data(as_text=True)
    assert "Chưa đủ số thành viên có mặt để khai mạc: có mặt 0/3, cần ít nhất 2." in page
    db.session.refresh(session)
    assert session.status == SessionStatus.PLANNED


def test_attendance_with_unknown_status_is_refused(secretariat, db, council):
    session = make_session(council=council)
    db.session.commit()
    response = secretariat.post(f"/councils/sessions/{session.id}/attendance",
                                data={f"member-{m.id}": "maybe" for m in council.members})
    assert response.status_code == 400 and "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert session.attendance == []


def test_reopen_by_chair_with_reason_reopens(council, db, login_as, users):
    session = make_session(council=council, status="closed")
    chair = login_as(users[Role.COUNCIL_MEMBER])
    response = chair.post(f"/councils/sessions/{session.id}/reopen", data={"reason": "Kiểm phiếu sai hồ sơ số 2"})
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.status == SessionStatus.OPEN and session.reopen_count == 1


def test_reopen_without_reason_shows_the_error(council, db, login_as, users):
    session = make_session(council=council, status="closed")
    response = login_as(users[Role.COUNCIL_MEMBER]).post(f"/councils/sessions/{session.id}/reopen", data={"reason": ""})
    assert response.status_code == 200 and "Vui lòng ghi rõ lý do." in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.status == SessionStatus.CLOSED


def test_reopen_by_staff_or_plain_member_is_forbidden(council, db, login_as, users):
    session = make_session(council=council, status="closed")
    plain = council.members[1].user
    for user in (users[Role.SECRETARIAT], plain):
        assert login_as(user).post(f"/councils/sessions/{session.id}/reopen",
                                   data={"reason": "Lý do"}).status_code == 403


def test_declare_conflict_by_member_shows_badge(council, db, login_as, unit):
    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    member = council.members[1]
    client = login_as(member.user)
    item = session.agenda[0]
    response = client.post(f"/councils/sessions/{session.id}/agenda/{item.id}/conflict",
                           data={"reason": "Vợ của người được đề nghị"})
    assert response.status_code == 302
    page = client.get(f"/councils/sessions/{session.id}").get_data(as_text=True)
    assert "Vợ của người được đề nghị (tự khai báo)" in page
    assert _count(db, Recusal) == 1


def test_declare_conflict_by_staff_without_seat_is_forbidden(council, db, secretariat, unit):
    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    db.session.commit()
    assert secretariat.post(f"/councils/sessions/{session.id}/agenda/{session.agenda[0].id}/conflict",
                            data={"reason": "x"}).status_code == 403


def test_lift_declared_recusal_by_staff_while_planned(council, db, secretariat, unit):
    from thidua.councils.recusal import declare_conflict

    session = make_session(council=council, nominations=[make_nomination(unit=unit, status="accepted")])
    row = declare_conflict(session.agenda[0], council.members[1], "Nhầm")
    db.session.commit()
    assert secretariat.post(f"/councils/sessions/{session.id}/recusals/{row.id}/lift").status_code == 302
    assert _count(db, Recusal) == 0


def test_my_sessions_lists_the_members_sessions_only(council, db, login_as, unit, users):
    make_session(council=council, title="Phiên họp tháng 12")
    other = make_council(unit=unit, members=[make_user()])
    make_session(council=other, title="Phiên họp của hội đồng khác")
    page = login_as(users[Role.COUNCIL_MEMBER]).get("/councils/my-sessions").get_data(as_text=True)
    assert "Phiên họp tháng 12" in page and "hội đồng khác" not in page and "Chủ tịch Hội đồng" in page


@pytest.mark.parametrize("path", ["/councils/", "/councils/new"])
def test_officer_is_denied_council_pages(users, login_as, path):
    assert login_as(users[Role.UNIT_OFFICER]).get(path).status_code == 403


def test_officer_is_denied_the_session_page(council, db, login_as, users):
    session = make_session(council=council)
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/councils/sessions/{session.id}").status_code == 403


def test_anonymous_is_sent_to_login(council, db, client):
    session = make_session(council=council)
    db.session.commit()
    response = client.get(f"/councils/sessions/{session.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_session_page_shows_automatic_recusal_badge(council, db, secretariat, unit):
    council.members[2].unit_id = unit.id
    make_nomination  # noqa: B018
    session = make_session(council=council)
    from thidua.councils import services

    services.add_to_agenda(session, make_nomination(unit=unit, status="accepted"))
    services.set_attendance(session, {council.members[0].id: AttendanceStatus.PRESENT})
    db.session.commit()
    page = secretariat.get(f"/councils/sessions/{session.id}").get_data(as_text=True)
    assert "Ủy viên 2: Cùng đơn vị với đối tượng được đề nghị" in page


def test_post_without_csrf_token_is_refused(csrf_app, council, db, secretariat):
    session = make_session(council=council)
    db.session.commit()
    response = secretariat.post(f"/councils/sessions/{session.id}/open")
    assert response.status_code == 400
