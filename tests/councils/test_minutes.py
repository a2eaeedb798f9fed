from __future__ import annotations

import subprocess

import pytest

from thidua.councils.ballot import cast_vote, decide
from thidua.councils.minutes import minutes_pdf, render_minutes_html
from thidua.documents import pdf

from .ballot_helpers import close, secretary_of, voting_session

NAMES = ["Nguyễn Thị Hằng", "Đặng Quốc Vượng", "Lê Văn Ước", "Phạm Thị Ngọc Ánh"]


@pytest.fixture
def closed_session(unit):
    session, members = voting_session(unit, members=4, written=1, names=NAMES)
    item = session.agenda[0]
    for i, m in enumerate(members):
        cast_vote(item, m, agree=i < 3)
    close(session)
    decide(session, actor=None)
    return session


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_minutes_html_has_heading_attendance_and_ballot_count(closed_session):
    html = render_minutes_html(closed_session)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "Độc lập - Tự do - Hạnh phúc" in html
    assert "Thanh Hóa, ngày" in html
    assert "BIÊN BẢN KIỂM PHIẾU" in html.upper()
    assert "Nguyễn Thị Hằng" in html and "Phạm Thị Ngọc Ánh" in html
    assert f"Hội đồng: {closed_session.council.name}" in html and "Hoàng Thị Thư (ghi biên bản, không biểu quyết)" in html
    assert "vắng có ý kiến bằng văn bản: 1" in html
    assert "3/4" in html and "75,00%" in html and "≥ 90,00%" in html  # 3 of 4 against 90% of all members
    assert "Không đề nghị" in html


def test_minutes_pdf_produced_twice_is_identical(closed_session):
    assert minutes_pdf(closed_session) == minutes_pdf(closed_session)


def test_minutes_pdf_keeps_vietnamese_names(closed_session, tmp_path):
    text = _pdf_text(minutes_pdf(closed_session), tmp_path)
    for phrase in ("Nguyễn Thị Hằng", "Đặng Quốc Vượng", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN KIỂM PHIẾU"):
        assert phrase in text


def test_minutes_pdf_embeds_only_the_bundled_font(closed_session, tmp_path):
    path = tmp_path / "minutes.pdf"
    path.write_bytes(minutes_pdf(closed_session))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = [line.split()[0] for line in listing.splitlines()[2:]]
    assert fonts and all(f.split("+")[-1].startswith(pdf.FONT_FAMILY.replace(" ", "-")) for f in fonts)
    assert all(line.split()[-5] == "yes" for line in listing.splitlines()[2:])  # embedded: the @font-face family exists only as the bundled file


def test_minutes_download_by_secretary_after_close_is_a_pdf(closed_session, login_as, tmp_path):
    secretary = secretary_of(closed_session).user
    response = login_as(secretary).get(f"/councils/ballot/sessions/{closed_session.id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Đặng Quốc Vượng" in _pdf_text(response.data, tmp_path)


def test_minutes_download_while_open_is_forbidden(unit, login_as):
    session, _ = voting_session(unit, members=3)
    assert login_as(secretary_of(session).user).get(f"/councils/ballot/sessions/{session.id}/minutes.pdf").status_code == 403


def test_minutes_with_scores_show_summary_rank_and_method(unit):
    from decimal import Decimal

    from tests import factories
    from thidua.councils.models import Score, ScoreSheet
    from thidua.extensions import db, utcnow

    session, members = voting_session(unit, members=3, dossiers=2)
    session.rubric = factories.make_rubric(criteria=[(10, 1)])
    criterion = session.rubric.criteria[0]
    for item, points in zip(session.agenda, (8, 6), strict=True):
        for member in members[:2]:
            sheet = ScoreSheet(agenda_item=item, member=member, submitted_at=utcnow())
            sheet.scores.append(Score(criterion=criterion, points=Decimal(points)))
            db.session.add(sheet)
    close(session)
    html = render_minutes_html(session)
    assert "Tổng hợp kết quả chấm điểm" in html and "Phương pháp xếp hạng:" in html
    assert "80,00%" in html and "60,00%" in html and "8,00" in html
