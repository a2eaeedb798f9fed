"""A unit officer registers their unit for the open demo campaign, in a real browser."""

from __future__ import annotations

import re

import pytest

from thidua.demo import CAMPAIGN_NAME, DEMO_PASSWORD

pytestmark = pytest.mark.browser

UNIT_NAME = "Sở Giáo dục và Đào tạo"


def test_unit_officer_registers_unit_for_open_campaign(live_server, page):
    from playwright.sync_api import expect

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill("donvi")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()

    page.get_by_role("link", name=CAMPAIGN_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CAMPAIGN_NAME)
    page.get_by_role("link", name="Đăng ký thi đua").click()

    unit_select = page.get_by_label("Đơn vị đăng ký")
    option = unit_select.locator("option", has_text=re.compile(re.escape(UNIT_NAME) + r"\s*$"))
    unit_select.select_option(value=option.get_attribute("value"))
    page.get_by_label("Nội dung đăng ký, cam kết thi đua").fill(
        "Đạt 100% hồ sơ thủ tục hành chính trực tuyến toàn trình; ít nhất 3 sáng kiến chuyển đổi số."
    )
    expect(page.locator("main form input[name=csrf_token]")).to_have_count(1)  # CSRF protection is on
    page.get_by_role("button", name="Đăng ký", exact=True).click()

    expect(page.locator(".alert-success")).to_contain_text(f"“{UNIT_NAME}” đã đăng ký thi đua")
    expect(page.locator("#registrations")).to_contain_text(UNIT_NAME)
    expect(page.locator("#registrations")).to_contain_text("3 sáng kiến chuyển đổi số")

    # Bootstrap (CSS and JS) came from the app itself: the app must work on a LAN with no Internet.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bs-primary')").strip()
    assert page.evaluate("typeof window.bootstrap") == "object"
    network = [url for url in requested if not url.startswith(("data:", "blob:", "about:"))]
    assert any(re.search(r"/bootstrap[^?]*\.css", url) for url in network), network
    assert any(re.search(r"/bootstrap[^?]*\.js", url) for url in network), network
    outside = [url for url in network if not url.startswith(live_server.url + "/")]
    assert outside == [], f"requests left the app: {outside}"
