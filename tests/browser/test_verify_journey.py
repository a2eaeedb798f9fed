"""A citizen checks a certificate on the public verification page, in a real browser: a valid one shows
the awardee, a revoked one shows that it was revoked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from thidua.certificates.render import group_code
from thidua.extensions import db
from thidua.org.models import Unit

from ..certificates import awarded

pytestmark = pytest.mark.browser


def issued_items(app):
    """Two awardees of an issued Bằng khen; the second one's award is revoked. Returns their codes."""
    with app.app_context():
        province = db.session.scalars(db.select(Unit).where(Unit.parent_id.is_(None))).first()
        decision = awarded(province, province, names=["Nguyễn Thị Hằng", "Đặng Quốc Vượng"])
        revoked = decision.items[1]
        revoked.revoked_at = datetime.now(UTC)
        revoked.revocation_number, revoked.revocation_date = "215/QĐ-UBND", date(2026, 4, 2)
        revoked.revocation_reason = "Kê khai thành tích không trung thực"
        codes = [item.verify_code for item in decision.items]
        db.session.commit()
        return codes


def test_citizen_types_a_code_and_sees_the_awardee_or_the_revocation(live_server, page):
    from playwright.sync_api import expect

    valid, revoked = issued_items(live_server.app)

    page.goto("/verify")
    page.get_by_label("Mã tra cứu in trên giấy chứng nhận").fill(group_code(valid).lower())
    page.get_by_role("button", name="Tra cứu").click()
    expect(page).to_have_url(re.compile(f"/verify/{valid}$"))
    expect(page.locator("#status")).to_contain_text("Hợp lệ")
    expect(page.locator("#certificate")).to_contain_text("Bà Nguyễn Thị Hằng")
    expect(page.locator("#certificate")).to_contain_text("Bằng khen của Chủ tịch UBND tỉnh")

    page.get_by_role("link", name="Tra cứu mã khác").click()
    page.get_by_label("Mã tra cứu in trên giấy chứng nhận").fill(revoked)
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("#status")).to_contain_text("Đã bị thu hồi")
    expect(page.locator("#status")).to_contain_text("Quyết định số 215/QĐ-UBND ngày 02/04/2026")
    expect(page.locator("#certificate")).to_contain_text("Ông Đặng Quốc Vượng")

    page.goto("/verify/KHONG-CO-MA-NAY")
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy giấy chứng nhận")
