"""A council session in a real browser: a member scores the two dossiers on the agenda (an out-of-range
value is refused first) and votes by secret ballot; the other members vote; the secretary follows the
count (who has voted, never how), closes the session, reads the results and downloads the minutes."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "hoidong-2026"
COUNCIL = "Hội đồng Thi đua - Khen thưởng tỉnh Thanh Hóa"
SESSION = "Phiên họp xét danh hiệu Chiến sĩ thi đua cấp tỉnh"
FIRST = "Lê Thị Ánh Tuyết"  # agreed by all: 4/4
SECOND = "Đặng Quốc Vượng"  # one member disagrees: 3/4 = 75% < 90% of all members
MEMBER = "uyvien1"
SECRETARY = "thuky"


@dataclass
class Seeded:
    session_id: int
    item_ids: dict[str, int]  # nominee → agenda item id
    other_voters: list[int]  # seat ids of the chair and the two other members


def seed_council(app) -> Seeded:
    """In the live server's database: a council (a chair, three members, a secretary, each a user with
    `PASSWORD`), an open session with a two-criterion rubric, two accepted dossiers of "Chiến sĩ thi
    đua cấp tỉnh" on its agenda and everybody marked present."""
    import sqlalchemy as sa

    from tests import factories
    from thidua.auth.models import Role
    from thidua.councils import recusal
    from thidua.councils.models import Attendance, AttendanceStatus
    from thidua.extensions import db, utcnow
    from thidua.org.models import Unit

    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == "38.SGDDT"))
        school = db.session.scalar(sa.select(Unit).where(Unit.code == "38.SGDDT.THPTLS"))
        people = [("chutich", "Trịnh Văn Chiến", "chair"), ("uyvien1", "Nguyễn Thị Hằng", "member"),
                  ("uyvien2", "Phạm Ngọc Ánh", "member"), ("uyvien3", "Lê Văn Ước", "member"),
                  ("thuky", "Hoàng Thị Thư", "secretary")]
        seats = [(factories.make_user(username=u, full_name=name, roles=[Role.COUNCIL_MEMBER], password=PASSWORD), role)
                 for u, name, role in people]
        council = factories.make_council(unit=unit.parent, members=seats, name=COUNCIL)
        rubric = factories.make_rubric(criteria=[(10, 2), (20, 1)], name="Bảng điểm Chiến sĩ thi đua cấp tỉnh")
        rubric.criteria[0].label, rubric.criteria[1].label = "Thành tích, sáng kiến", "Phạm vi ảnh hưởng"
        nominations = [factories.make_nomination(unit=unit, code="CSTDT", status="accepted",
                                                 person=factories.make_person(full_name=name, unit=school))
                       for name in (FIRST, SECOND)]
        session = factories.make_session(council=council, status="open", nominations=nominations, rubric=rubric,
                                         title=SESSION, place="Hội trường UBND tỉnh", opened_at=utcnow())
        for member in council.members:
            session.attendance.append(Attendance(member=member, status=AttendanceStatus.PRESENT))
        db.session.flush()
        recusal.automatic_recusals(session)
        db.session.commit()
        return Seeded(session_id=session.id,
                      item_ids={i.nomination.person.full_name: i.id for i in session.agenda},
                      other_voters=[m.id for m in council.members if m.user.username in ("chutich", "uyvien2", "uyvien3")])


def cast_other_votes(app, seeded: Seeded) -> None:
    """The chair and the two other members vote agree on both dossiers, through the service."""
    from thidua.councils.ballot import cast_vote
    from thidua.councils.models import AgendaItem, CouncilMember
    from thidua.extensions import db

    with app.app_context():
        for member_id in seeded.other_voters:
            for item_id in seeded.item_ids.values():
                cast_vote(db.session.get(AgendaItem, item_id), db.session.get(CouncilMember, member_id), agree=True)
            db.session.commit()


def saved_sheets(app) -> int:
    import sqlalchemy as sa

    from thidua.councils.models import ScoreSheet
    from thidua.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet))


def log_in(page, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()


def open_session(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Phiên họp của tôi", exact=True).click()
    page.locator("#my-sessions").get_by_role("link", name=SESSION).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SESSION)


def score(page, nominee: str, first: str, second: str):
    sheet = page.locator("section.card", has_text=nominee)
    sheet.get_by_label("Thành tích, sáng kiến").fill(first)
    sheet.get_by_label("Phạm vi ảnh hưởng").fill(second)
    sheet.get_by_role("button", name="Nộp phiếu").click()
    return page.locator("section.card", has_text=nominee)


def test_member_scores_and_votes_secretary_closes_and_downloads_minutes(live_server, new_page, tmp_path):
    from playwright.sync_api import expect

    seeded = seed_council(live_server.app)
    requested: list[str] = []

    # A member, at their desk: the session from "Phiên họp của tôi", then the score sheets.
    member = new_page()
    member.context.on("request", lambda request: requested.append(request.url))
    member.on("dialog", lambda dialog: dialog.accept())  # "Nộp phiếu?" / "Gửi phiếu?"
    log_in(member, MEMBER)
    open_session(member)
    member.locator("#session-links").get_by_role("link", name="Chấm điểm").click()
    expect(member.get_by_role("heading", name="Phiếu chấm điểm")).to_be_visible()

    # Out of range first: refused in Vietnamese beside the field, nothing saved.
    refused = score(member, FIRST, "11", "15")
    expect(member.locator(".alert-danger")).to_contain_text("điểm phải từ 0 đến 10 (đã nhập 11)")
    expect(refused.locator(".invalid-feedback")).to_have_text(re.compile("điểm phải từ 0 đến 10"))
    expect(refused.get_by_label("Thành tích, sáng kiến")).to_have_value("11")  # what was typed is kept
    expect(refused.locator(".badge", has_text="Chưa chấm")).to_be_visible()
    assert saved_sheets(live_server.app) == 0

    done = score(member, FIRST, "9", "18")
    expect(member.locator(".alert-success")).to_contain_text("Đã nộp phiếu chấm điểm")
    expect(done.locator(".badge", has_text="Đã nộp")).to_be_visible()
    done = score(member, SECOND, "7", "12")
    expect(done.locator(".badge", has_text="Đã nộp")).to_be_visible()
    expect(member.get_by_role("button", name="Nộp phiếu")).to_have_count(0)
    assert saved_sheets(live_server.app) == 2

    # The secret ballot: agree on the first dossier, disagree on the second.
    open_session(member)
    member.locator("#session-links").get_by_role("link", name="Bỏ phiếu kín").click()
    expect(member.get_by_role("heading", name="Bỏ phiếu kín")).to_be_visible()
    for nominee, choice in ((FIRST, "Đồng ý"), (SECOND, "Không đồng ý")):
        ballot = member.locator(".list-group-item", has_text=nominee)
        ballot.get_by_label(choice, exact=True).check()
        ballot.get_by_role("button", name="Bỏ phiếu").click()
        expect(member.locator(".alert-success")).to_contain_text("Đã ghi nhận phiếu bầu của bạn (bỏ phiếu kín).")
    expect(member.locator(".list-group-item .badge", has_text="Đã bỏ phiếu")).to_have_count(2)
    ballots = member.locator(".list-group").inner_text()
    assert "Không đồng ý" not in ballots and "Đồng ý" not in ballots  # voted, never what
    expect(member.locator("input[type=radio]")).to_have_count(0)

    # The chair and the two other members vote (agree on both) through the service.
    cast_other_votes(live_server.app, seeded)

    # The secretary: attendance lists them as not voting; the count shows how many voted, not how.
    secretary = new_page()
    secretary.context.on("request", lambda request: requested.append(request.url))
    secretary.on("dialog", lambda dialog: dialog.accept())  # "Kết thúc phiên họp?"
    log_in(secretary, SECRETARY)
    open_session(secretary)
    expect(secretary.locator("#attendance tr", has_text="Hoàng Thị Thư")).to_contain_text("không biểu quyết")
    expect(secretary.locator("#quorum")).to_contain_text("Có mặt 4/4 thành viên biểu quyết")
    links = secretary.locator("#session-links")
    expect(links.get_by_role("link", name="Chấm điểm", exact=True)).to_have_count(0)
    expect(links.get_by_role("link", name="Bỏ phiếu kín", exact=True)).to_have_count(0)
    links.get_by_role("link", name="Tiến độ bỏ phiếu").click()
    count = secretary.locator("#ballot-count")
    for nominee in (FIRST, SECOND):
        expect(count.locator("tr", has_text=nominee)).to_contain_text("4/4")
    assert "Đồng ý" not in count.inner_text()

    secretary.go_back()
    secretary.locator("#session-actions").get_by_role("button", name="Kết thúc phiên họp").click()
    expect(secretary.get_by_role("alert")).to_contain_text("Đã kết thúc phiên họp.")
    expect(secretary.locator("#session-status")).to_have_text("Đã kết thúc")
    secretary.locator("#session-links").get_by_role("link", name="Kết quả biểu quyết").click()
    results = secretary.locator("#ballot-results")
    first, second = results.locator("tr", has_text=FIRST), results.locator("tr", has_text=SECOND)
    expect(first).to_contain_text("4/4 (100,00%)")
    expect(first).to_contain_text("Đề nghị khen thưởng")
    expect(first.locator(".nomination-status")).to_have_text("Hội đồng thông qua")
    expect(second).to_contain_text("3/4 (75,00%)")
    expect(second).to_contain_text("Không đề nghị")
    expect(second.locator(".nomination-status")).to_have_text("Hội đồng không thông qua")

    # The minutes, as a PDF with the Vietnamese text intact.
    with secretary.expect_download() as download_info:
        secretary.get_by_role("link", name="Tải biên bản (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"bien-ban-phien-hop-{seeded.session_id}.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    head = secretary.context.request.get(download.url)
    assert head.ok and head.headers["content-type"] == "application/pdf"
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert COUNCIL in text and FIRST in text and SECOND in text

    network = [url for url in requested if not url.startswith(("data:", "blob:", "about:"))]
    assert network, "no request was recorded"
    outside = [url for url in network if not url.startswith(live_server.url + "/")]
    assert outside == [], f"requests left the app: {outside}"
    assert live_server.url.startswith("http://127.0.0.1:")
