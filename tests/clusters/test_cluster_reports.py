import io
import subprocess
from datetime import date

import openpyxl
import pytest

from thidua.auth.models import Role
from thidua.clusters import reports, vote
from thidua.clusters.models import CovenantCommitment
from thidua.councils import ballot
from thidua.councils import services as councils

from ..factories import make_user
from .test_cluster_vote import cast, open_vote, voting_year


@pytest.fixture
def closed_year(db):
    staff = make_user(roles=[Role.SECRETARIAT])
    cy, units = voting_year([30, 29, 28, 28, 25], bk_count=2)
    for unit in units:
        cy.commitments.append(CovenantCommitment(
            unit=unit, targets="Hoàn thành chỉ tiêu", signatory_name="Nguyễn Thị Hằng", signatory_title="Chủ tịch",
            signed_on=date(2025, 2, 15)))
    session = open_vote(cy, units, staff)
    item = session.agenda[0]
    cast(item, agrees=len(ballot._eligible(item)))
    councils.transition(session, "close", actor=staff)
    vote.record_results(cy, actor=staff)
    return cy


def pdf_text(data: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return text, fonts


def test_report_pdf_prints_members_scores_ranking_vote_and_proposals_in_the_bundled_font(closed_year, tmp_path):
    text, fonts = pdf_text(reports.report_pdf(closed_year), tmp_path)
    assert "BÁO CÁO TỔNG HỢP KẾT QUẢ THI ĐUA NĂM 2025" in text
    assert "Nguyễn Thị Hằng, Chủ tịch" in text and "UBND huyện E" in text
    assert "90,00" in text and "(đồng hạng)" in text  # A's final score; C and D tied at rank 3
    assert "Đề nghị khen thưởng" in text and "Cờ thi đua của UBND tỉnh" in text
    assert "Bằng khen của Chủ tịch UBND tỉnh" in text and "50,00%" in text  # the year's threshold
    names = {line.split()[0] for line in fonts.splitlines()[2:]}
    assert names and all("+Thidua-Serif" in name for name in names)


def test_report_pdf_is_the_same_bytes_for_the_same_data(closed_year):
    assert reports.report_pdf(closed_year) == reports.report_pdf(closed_year)


def test_report_xlsx_holds_scores_vote_and_proposals_as_numbers(closed_year):
    book = openpyxl.load_workbook(io.BytesIO(reports.report_xlsx(closed_year)))
    assert book.sheetnames == ["Thông tin", "Điểm", "Suy tôn", "Đề nghị"]
    scores = list(book["Điểm"].iter_rows(values_only=True))
    assert scores[0][9] == "Điểm thẩm định" and (scores[1][:3], scores[1][9]) == ((1, "UBND huyện A", None), 90.0)
    assert [r[0] for r in scores[1:]] == [1, 2, 3, 3, 5]
    ballots = list(book["Suy tôn"].iter_rows(values_only=True))
    assert ballots[1][0] == "UBND huyện A" and ballots[1][5] == 50.0 and ballots[1][6] == "Đề nghị khen thưởng"
    proposals = [r[1:4] for r in book["Đề nghị"].iter_rows(min_row=2, values_only=True)]
    assert proposals[:4] == [("UBND huyện A", 90.0, "Cờ thi đua của UBND tỉnh"),
                             ("UBND huyện B", 89.0, "Bằng khen của Chủ tịch UBND tỉnh"),
                             ("UBND huyện C", 88.0, "Bằng khen của Chủ tịch UBND tỉnh"),
                             ("UBND huyện D", 88.0, "Bằng khen của Chủ tịch UBND tỉnh")]
