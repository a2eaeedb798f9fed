"""Printing in a real browser: the secretariat prints the demo decision's certificates as one background
job on the embedded queue, watches the progress bar fill, downloads the PDF (one page per awardee, in the
annex order), and prints one unit's certificates on their own."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from thidua.demo import DEMO_DECISION_NUMBER, DEMO_PASSWORD

pytestmark = pytest.mark.browser
EMBEDDED_QUEUE = [{"TASK_QUEUE_EMBEDDED": True, "PRINT_CHUNK_PAGES": 3}]  # 4 awardees → two chunks, merged


def annex_names(app) -> list[str]:
    from thidua.awards.models import Decision
    from thidua.extensions import db

    with app.app_context():
        decision = db.session.scalar(sa.select(Decision).where(Decision.number == DEMO_DECISION_NUMBER))
        return [item.awardee_name for item in decision.items]


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("live_server", EMBEDDED_QUEUE, indirect=True)
def test_secretariat_prints_a_decision_in_background_and_downloads_it(live_server, page, tmp_path):
    from playwright.sync_api import expect
    from pypdf import PdfReader

    names = annex_names(live_server.app)
    assert len(names) == 4
    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill("banthidua")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()

    page.goto("/decisions/")
    page.locator("#decisions a", has_text=DEMO_DECISION_NUMBER).first.click()
    page.get_by_role("link", name="In bằng khen, giấy khen").click()
    expect(page.get_by_label("In cho")).to_contain_text("Toàn bộ quyết định (4 cá nhân, tập thể)")
    page.get_by_role("button", name="Tạo tệp PDF để in").click()

    # The page polls the job and reloads itself when it is done: the bar reaches 100% and the link appears.
    expect(page.locator("#print-job-download")).to_be_visible(timeout=60_000)
    expect(page.locator("#print-job-bar")).to_have_text("100%")
    with page.expect_download() as download:
        page.locator("#print-job-download").click()
    whole = tmp_path / "whole.pdf"
    download.value.save_as(whole)
    assert len(PdfReader(whole).pages) == 4
    text = pdf_text(whole)
    positions = [text.index(name) for name in names]
    assert positions == sorted(positions), "certificates are not in the annex order"
    assert DEMO_DECISION_NUMBER in text

    # One unit's awardees only: Phường Hạc Thành has one of the four.
    page.goto("/decisions/")
    page.locator("#decisions a", has_text=DEMO_DECISION_NUMBER).first.click()
    page.get_by_role("link", name="In bằng khen, giấy khen").click()
    ward_option = page.locator("select[name=unit_id] option", has_text="Hạc Thành")
    page.get_by_label("In cho").select_option(value=ward_option.get_attribute("value"))
    page.get_by_role("button", name="Tạo tệp PDF để in").click()
    expect(page.locator("#print-job-download")).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        page.locator("#print-job-download").click()
    ward = tmp_path / "ward.pdf"
    download.value.save_as(ward)
    assert len(PdfReader(ward).pages) == 1
    assert "Hà Thị Yến" in pdf_text(ward)
