"""The password policy, in one place.

Following NIST SP 800-63B (length and a list of known passwords matter; forced periodic changes and long
composition rules make passwords weaker), with the one composition rule Vietnamese agencies' IT rules
expect:

- at least PASSWORD_MIN_LENGTH characters (10 by default), at most 128 (hashing a megabyte is a DoS);
- not only digits and not only letters;
- not the username, not containing it, and not made of the person's own name;
- not one of the commonly used passwords in `common_passwords.txt` (compared ignoring case, Vietnamese
  diacritics and a trailing run of digits or punctuation: "Matkhau@2026" is "matkhau");
- no character repeated or counted in sequence for the whole password ("aaaaaaaaaa", "1234567890").

No expiry: a password is changed when it may be known to someone else — an administrator chose it (the
user must replace it at the next login) or the user asks for a reset.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context

from thidua.text import fold

MAX_LENGTH = 128
DEFAULT_MIN_LENGTH = 10
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


def min_length() -> int:
    if has_app_context():
        return int(current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))
    return DEFAULT_MIN_LENGTH


def hint() -> str:
    """The policy in one sentence, for the forms' help text."""
    return (f"Ít nhất {min_length()} ký tự, gồm cả chữ và số hoặc ký tự đặc biệt; "
            "không dùng tên đăng nhập, họ tên hay mật khẩu phổ biến.")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_core(line) for line in lines if line.strip() and not line.startswith("#"))


def _core(password: str) -> str:
    """The part of a password that matters for the known-passwords list: folded (no case, no diacritics,
    no spaces), with a trailing run of digits and punctuation dropped."""
    folded = re.sub(r"\s+", "", fold(password))
    stripped = re.sub(r"[\d\W_]+$", "", folded)
    return stripped or folded


def _is_run(password: str) -> bool:
    """One character repeated, or a run counting up or down by one ("abcdefghij", "9876543210")."""
    codes = [ord(c) for c in password.lower()]
    steps = {b - a for a, b in zip(codes, codes[1:], strict=False)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def problem(password: str, *, username: str | None = None, full_name: str | None = None) -> str | None:
    """Why `password` is refused (a Vietnamese sentence for the form), or None when it is acceptable."""
    minimum = min_length()
    if len(password) < minimum:
        return f"Mật khẩu phải có ít nhất {minimum} ký tự."
    if len(password) > MAX_LENGTH:
        return f"Mật khẩu dài tối đa {MAX_LENGTH} ký tự."
    if password.isdigit() or password.isalpha():
        return "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."
    if _is_run(password):
        return "Mật khẩu không được là một ký tự lặp lại hay một dãy liên tiếp."
    folded = fold(password).replace(" ", "")
    if username and len(username) >= 3 and fold(username) in folded:
        return "Mật khẩu không được chứa tên đăng nhập."
    if full_name:
        name = fold(full_name).replace(" ", "")
        core = _core(password)
        if name and (core == name or (len(core) >= 4 and core in name)):
            return "Mật khẩu không được là họ tên của bạn."
    if _core(password) in common_passwords() or folded in common_passwords():
        return "Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác."
    return None
