"""An anonymous visitor searches the public showcase of good models in a real browser, filters by field
and opens a model page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_visitor_searches_filters_and_opens_a_model(live_server, page):
    from playwright.sync_api import expect

    page.goto("/public/")
    expect(page.locator("#featured")).to_contain_text("Trường học số")
    page.get_by_role("link", name="Mô hình hay", exact=True).click()
    expect(page).to_have_url(re.compile(r"/public/models$"))

    page.get_by_label("Tên mô hình").fill("mo hinh")  # typed without diacritics
    page.get_by_role("button", name="Tìm").click()
    models = page.locator("#models")
    expect(models).to_contain_text("Mô hình “Trường học số”")
    expect(models).to_contain_text("Tổ tự quản vệ sinh môi trường")
    expect(models).not_to_contain_text("Một cửa không chờ")  # a "cách làm", not a "mô hình"
    expect(models).not_to_contain_text("Bệnh viện không giấy tờ")  # proposed, not public

    page.get_by_label("Lĩnh vực").select_option(label="Tài nguyên, môi trường")
    page.get_by_role("button", name="Tìm").click()
    expect(page.locator("#result-count")).to_have_text("Tìm thấy 1 mô hình.")
    page.get_by_role("link", name=re.compile("Tổ tự quản vệ sinh")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Tổ tự quản vệ sinh môi trường khu dân cư")
    expect(page.locator("#facts")).to_contain_text("Phường Hàm Rồng")
    expect(page.get_by_role("link", name="Đăng xuất")).to_have_count(0)
