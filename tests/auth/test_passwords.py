"""The password policy: each rule with its Vietnamese message, and passwords that pass."""

from __future__ import annotations

import pytest

from thidua.auth import passwords


@pytest.mark.parametrize(("password", "message"), [
    ("ngan-12", "Mật khẩu phải có ít nhất 10 ký tự."),
    ("x" * 125 + "-1234567", "Mật khẩu dài tối đa 128 ký tự."),
    ("9081726354", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("chuoichicochu", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("aaaaaaaaaaaa", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("!!!!!!!!!!", "Mật khẩu không được là một ký tự lặp lại hay một dãy liên tiếp."),
    ("-./0123456", "Mật khẩu không được là một ký tự lặp lại hay một dãy liên tiếp."),
    ("xhang.ha-2026", "Mật khẩu không được chứa tên đăng nhập."),
    ("HANG.HA@2026x", "Mật khẩu không được chứa tên đăng nhập."),
    ("Hằng@20261975", "Mật khẩu không được là họ tên của bạn."),
    ("NguyenThiHang-1", "Mật khẩu không được là họ tên của bạn."),
    ("Matkhau@2026", "Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác."),
    ("Mật Khẩu 123456", "Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác."),
    ("ThanhHoa@123", "Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác."),
    ("P@ssw0rd!!!", "Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác."),
    ("12345678910", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
])
def test_refused_passwords_say_why(password, message):
    assert passwords.problem(password, username="hang.ha", full_name="Nguyễn Thị Hằng") == message


@pytest.mark.parametrize("password", [
    "so-vang-moi-27", "Lam Son 1931 xanh", "hoso-vang-2026", "Đồng-Xuân-2026", "k7qm 2xrp 9tna",
])
def test_reasonable_passwords_pass(password):
    assert passwords.problem(password, username="hang.ha", full_name="Nguyễn Thị Hằng") is None


def test_minimum_length_follows_the_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MIN_LENGTH", 14)
    assert passwords.problem("so-vang-moi-27") is None
    assert passwords.problem("so-vang-moi2") == "Mật khẩu phải có ít nhất 14 ký tự."
    assert "Ít nhất 14 ký tự" in passwords.hint()
