"""An award decision in a real browser: the secretariat drafts it from the dossiers the council approved,
issues it with its number and signer, and reads the annex with gold-book numbers and prize money."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from thidua.demo import DEMO_PASSWORD, demo_year

pytestmark = pytest.mark.browser

AWARD = "Bằng khen của Chủ tịch UBND tỉnh"
CANDIDATES = ["Phạm Thị Kim Oanh", "Lê Thị Thanh Tâm"]  # annex order: Phường Hạc Thành before Sở GD&ĐT
NUMBER = "216/QĐ-UBND"


def approve_demo_candidates(app) -> None:
    """The council approves the two BK_TINH dossiers on public notice (the demo leaves them submitted)."""
    from thidua.extensions import db
    from thidua.nominations import workflow
    from thidua.nominations.models import Nomination, NominationStatus
    from thidua.registry.models import Person

    with app.app_context():
        dossiers = db.session.scalars(sa.select(Nomination).join(Person, Nomination.person_id == Person.id)
                                      .where(Person.full_name.in_(CANDIDATES), Nomination.year == demo_year(),
                                             Nomination.status == NominationStatus.SUBMITTED)).all()
        assert len(dossiers) == 2
        for dossier in dossiers:
            workflow.transition(dossier, "accept", actor=None)
            workflow.transition(dossier, "approve", actor=None)
        db.session.commit()


def test_secretariat_drafts_and_issues_decision_and_sees_annex(live_server, page):
    from playwright.sync_api import expect

    approve_demo_candidates(live_server.app)
    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill("banthidua")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()

    page.goto("/decisions/")
    expect(page.locator("#decisions")).to_contain_text("215/QĐ-UBND")  # the demo's issued decision
    page.get_by_role("link", name="Lập dự thảo quyết định").click()
    page.locator("#award-types a", has_text=AWARD).first.click()
    expect(page.get_by_role("heading", name="Lập dự thảo quyết định khen thưởng")).to_be_visible()
    for name in CANDIDATES:
        expect(page.get_by_label(re.compile(re.escape(name)))).to_be_checked()
    expect(page.get_by_label("Cơ quan ban hành")).to_have_value(re.compile(r"\d+"))
    page.get_by_role("button", name="Lập dự thảo").click()

    expect(page.locator(".alert-success")).to_contain_text("Đã lập dự thảo quyết định với 2 người, tập thể.")
    rows = page.locator("#annex tbody tr")
    expect(rows).to_have_count(2)
    for row, name in zip((rows.nth(0), rows.nth(1)), CANDIDATES, strict=True):
        expect(row).to_contain_text(name)
    expect(page.locator("#total-amount")).to_have_text("4.680.000 đ")

    page.get_by_role("link", name="Ban hành", exact=True).click()
    expect(page.locator("#fund-balance")).to_contain_text("4.680.000 đ")
    page.get_by_label("Số quyết định").fill("216/QD-UBND")  # no Đ: refused, with an example
    page.get_by_label("Ngày ký").fill(date.today().strftime("%d/%m/%Y"))
    page.get_by_label("Họ tên người ký").fill("Đỗ Minh Tuấn")
    page.get_by_label("Chức vụ người ký").select_option(label="KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
    page.get_by_role("button", name="Ban hành quyết định").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("ví dụ 1234/QĐ-UBND")
    expect(page.get_by_label("Họ tên người ký")).to_have_value("Đỗ Minh Tuấn")  # the typed data is kept
    page.get_by_label("Số quyết định").fill(NUMBER)
    page.get_by_role("button", name="Ban hành quyết định").click()

    expect(page.locator(".alert-success")).to_contain_text(f"Đã ban hành Quyết định số {NUMBER}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Quyết định số {NUMBER}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đã ban hành")
    # The demo decision took gold-book numbers 1–4 of this year's BK_TINH book; these continue it.
    for i, (name, gold_number) in enumerate(zip(CANDIDATES, (5, 6), strict=True)):
        row = rows.nth(i)
        expect(row).to_contain_text(name)
        expect(row.locator("td").nth(4)).to_have_text("2.340.000 đ")
        expect(row.locator("td").nth(5)).to_have_text(str(gold_number))
        expect(row.locator("code")).to_have_text(re.compile(r"^[A-Z2-7]{21}$"))
    expect(page.locator("#annex tfoot")).to_contain_text("4.680.000 đ")
    expect(page.get_by_role("link", name="Ban hành", exact=True)).to_have_count(0)
