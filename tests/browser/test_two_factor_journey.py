"""An administrator turns on two-factor login in a real browser (reading the key off the set-up page, as a
phone would from the QR code), keeps the recovery codes, logs out and logs in again with a code; then logs in
with a recovery code when the phone is away."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from thidua.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def password_step(page) -> None:
    page.goto("/auth/login")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


def log_out(page) -> None:
    page.get_by_role("button", name="Quản trị hệ thống").click()
    page.get_by_role("button", name="Đăng xuất").click()


def test_admin_turns_on_two_factor_and_logs_in_with_a_code(live_server, page):
    from playwright.sync_api import expect

    password_step(page)
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()
    page.get_by_role("button", name="Quản trị hệ thống").click()
    page.get_by_role("link", name="Xác thực hai lớp").click()
    page.get_by_role("link", name="Bật xác thực hai lớp").click()
    expect(page.get_by_role("img", name="Mã QR thiết lập xác thực hai lớp")).to_be_visible()
    secret = page.locator("code").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    page.get_by_label("Mã trên ứng dụng").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận và bật").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Mã không đúng")

    page.get_by_label("Mã trên ứng dụng").fill(totp.now())
    page.get_by_role("button", name="Xác nhận và bật").click()
    expect(page.get_by_role("heading", name="Mã khôi phục")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Tôi đã lưu các mã").click()
    expect(page.get_by_text("Đang bật từ")).to_be_visible()
    log_out(page)

    # the password is no longer enough
    password_step(page)
    expect(page).to_have_url(re.compile("/auth/login/code$"))
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile("/auth/login"))

    # the phone's code, for a step not yet used (the one that turned it on is spent)
    password_step(page)
    next_code = totp.at(int(time.time()) + 30)
    page.get_by_label("Mã xác thực").fill(next_code)
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()
    log_out(page)

    # no phone: a recovery code, once
    password_step(page)
    page.get_by_label("Mã xác thực").fill(codes[0])
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()
    log_out(page)
    password_step(page)
    page.get_by_label("Mã xác thực").fill(codes[0])
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Mã xác thực không đúng")
