"""Every form of the application, fed with generated bad input (Hypothesis).

The forms are found, not listed: every page of the permission matrix (tests/test_permissions.py CASES) is
read by every role allowed to see it, and each `<form method="post">` is parsed for its fields, select
options and submit buttons. Each form is then posted bodies that mix plausible values (its own options,
numbers, dd/mm/yyyy dates) with hostile ones (empty, 10,000 characters, NUL and control characters,
combining marks, emoji, RTL marks, markup, SQL, paths, huge or negative numbers, impossible dates, invalid
UTF-8), with fields sometimes left out or sent twice, and files with hostile names and contents.

What must hold for every body: never a 5xx; and when the form is refused (the page comes back instead of a
redirect, or the redirect carries an error message) no row of any table changed, the audit log included,
and no file was left in the upload folder.

One test per blueprint, so one world (built once, ~0.3 s) serves all its pages; each form runs as a subtest
named after it, so a failure names the form, its fields and the page it was found on.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

import pytest
from flask import current_app
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests import test_permissions
from tests.security.pages import (
    REFUSAL_CATEGORIES,
    Field,
    Form,
    changed_tables,
    fuzz_settings,
    is_file_url,
    multipart,
    post_forms,
    table_fingerprint,
    take_flashes,
    upload_fingerprint,
)
from tests.test_permissions import ANON, CASES
from thidua.auth.models import Role

world = test_permissions.world

ROLE_ORDER = [Role.ADMIN, Role.SECRETARIAT, Role.UNIT_OFFICER, Role.COUNCIL_MEMBER, Role.APPROVER, ANON]
LAYOUT_FORMS = {"/auth/logout"}  # on every page; its own tests cover it
# What a refusal may still write, by design: a failed login is audited and counts towards the lockout.
REFUSAL_WRITES = {"/auth/login": {"audit_entries", "users"}}
GROUPS = sorted({c.endpoint.split(".")[0] for c in CASES} - {"static", "bootstrap", "observability"})
# Pages outside the permission matrix that show forms in another state of the world, by blueprint.
EXTRA_PAGES = {
    "org": [lambda w: f"/units/{w['other_unit'].id}"],  # the successor unit: its succession links can be removed
    "cluster_years": [lambda w: f"/cluster-years/{w['covenant_year'].id}/covenant",
                      lambda w: f"/cluster-years/{w['covenant_year'].id}/criteria"],
    "proposals": [lambda w: f"/proposals/new?award_type={w['submitted_proposal'].award_type_id}&year=2025",
                  lambda w: f"/proposals/{w['submitted_proposal'].id}"],
}
# Field names tried on a POST route no page offers a form for (its case in the matrix is all we have).
BLIND_NAMES = ["note", "reason", "number", "year", "unit_id", "nomination_id", "award_record_id", "initiative_id",
               "action", "value", "title", "dated_on", "decision_number", "code", "file"]

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_TEXT = [
    "", " ", " \t\r\n ", "\x00", "a\x00b", "\x07\x08\x1b[2J\x7f", "x" * 10_000, "Đặng Thị Hồng Nhung " * 600,
    "a\u0301\u0302\u0303\u0304\u0323\u0309", "👩🏽‍💻🇻🇳🎉", "\u202eLTR\u202c\u200f\u200b\ufeff", SCRIPT,
    "' OR 1=1 --", "'; DROP TABLE users; --", "%' OR '%'='", "../../etc/passwd", "..\\..\\windows\\win.ini",
    "/etc/passwd", "9" * 40, "-1", "-2147483649", "2147483648", "1e309", "-1e309", "NaN", "inf", "0x1F", "1,5",
    "１２３", "2026-02-30", "30/02/2026", "31/13/2025", "00/00/0000", "29/02/2025", "01/01/0001", "31/12/99999",
    "{{ 7*7 }}", "%s%n", "None", "null", "[]",
]
HOSTILE_BYTES = [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", b"caf\xe9"]
VIETNAMESE = ["Nguyễn Văn An", "Trường THPT chuyên Lam Sơn", "Hoàn thành xuất sắc nhiệm vụ năm 2025",
              "Sở Giáo dục và Đào tạo", "Ghi chú"]

TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TINY_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FILE_CONTENTS = [TINY_PDF, TINY_PNG, b"\xff\xd8\xff\xe0" + b"\x00" * 32, b"", b"MZ\x90\x00" + b"\x00" * 60,
                 b"<html><script>alert(1)</script></html>", b"PK\x03\x04not a zip", b"\x00" * 2048,
                 b"%PDF-" + b"A" * 5000]
FILE_NAMES = ["bao-cao.pdf", "../../../x.pdf", "..\\..\\x.pdf", "/etc/passwd", "", " ", "a" * 300 + ".pdf",
              "<script>alert(1)</script>.pdf", "nul\x00.pdf", "báo cáo tổng kết.pdf", "x.exe", "ảnh.jpg",
              "CON.pdf", ".htaccess", "x.pdf.exe", "x.xlsx"]
EXTRA_FIELDS = [("status", "approved"), ("id", "1"), ("unit_id", "999999"), ("is_admin", "1"),
                ("role", "admin"), ("csrf_token", "not-a-token")]


def _is_date(f: Field) -> bool:
    return "dd/mm" in f.placeholder or f.type == "date" or f.name.endswith(("_on", "_date")) or f.name == "date"


def _plausible(f: Field) -> st.SearchStrategy:
    """Values a careful user could type or pick in this field."""
    if f.type in ("select", "select-multiple"):
        return st.sampled_from(f.options) if f.options else st.just("")
    if f.type in ("hidden", "checkbox", "radio"):
        return st.just(f.value or "y")
    if _is_date(f):
        return st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y"))
    if f.type == "number" or f.name in ("year", "copies", "position", "amount", "scale") or re.fullmatch(r"p\d+", f.name):
        return st.sampled_from(["1", "0", "2025", "10", "0.5", "100000000", "99.99"])
    if f.type == "email" or "email" in f.name:
        return st.just("can.bo@thanhhoa.gov.vn")
    if f.type == "password":
        return st.just("Mat-khau-rat-dai-2026!")
    return st.sampled_from(VIETNAMESE) | st.text(min_size=1, max_size=30)


def _value(f: Field) -> st.SearchStrategy:
    if f.type == "file":
        return st.tuples(st.sampled_from(FILE_CONTENTS) | st.binary(max_size=512), st.sampled_from(FILE_NAMES))
    return _plausible(f) | st.sampled_from(HOSTILE_TEXT) | st.sampled_from(HOSTILE_BYTES) | st.text(max_size=200)


@st.composite
def bodies(draw, form: Form) -> list[tuple[str, object]]:
    """The (name, value) pairs of one submission: each field sent once (mostly), left out, or sent twice."""
    pairs: list[tuple[str, object]] = []
    for f in form.fields:
        presence = draw(st.integers(0, 9))  # 0-7 once, 8 left out, 9 twice; the simplest example sends each once
        for _ in range({8: 0, 9: 2}.get(presence, 1)):
            pairs.append((f.name, draw(_value(f))))
    if form.button:
        pairs.append(form.button)
    extra = draw(st.none() | st.sampled_from(EXTRA_FIELDS))
    if extra:
        pairs.append(extra)
    return pairs


def _post(http, form: Form, pairs):
    if form.multipart:
        body, content_type = multipart(pairs)
        return http.post(form.action, data=body, content_type=content_type)
    # urlencoded by hand so that invalid UTF-8 reaches the server as it would from a broken client
    body = urlencode([(n, v[1] if isinstance(v, tuple) else v) for n, v in pairs])
    return http.post(form.action, data=body, content_type="application/x-www-form-urlencoded")


def _shape(form: Form) -> tuple:
    """Forms that differ only in ids (the same button on every row of a list) are fuzzed once."""
    names = tuple(sorted({f.name for f in form.fields}))
    return re.sub(r"\d+", "#", form.path), names, form.button[0] if form.button else None


def discover(group: str, world, users, login_as, client) -> list[tuple[object, Form]]:
    """Every distinct form on the pages of `group`, each with the first role (in ROLE_ORDER) that is offered it."""
    adapter = current_app.url_map.bind("localhost")
    found: dict[tuple, tuple[object, Form]] = {}
    wrong_method = []
    pages = [(c.url(world), c.allowed) for c in CASES if c.method == "GET" and c.endpoint.split(".")[0] == group
             and not is_file_url(c.url(world))]
    pages += [(url(world), frozenset(ROLE_ORDER)) for url in EXTRA_PAGES.get(group, [])]
    for url, allowed in pages:
        for role in ROLE_ORDER:
            if role not in allowed:
                continue
            response = (client if role == ANON else login_as(users[role])).get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                response.close()
                continue
            for form in post_forms(url, response.get_data(as_text=True)):
                if form.path in LAYOUT_FORMS:
                    continue
                try:
                    adapter.match(form.path, method="POST")
                except (MethodNotAllowed, NotFound):
                    wrong_method.append(str(form))
                    continue
                found.setdefault(_shape(form), (role, form))
    assert wrong_method == [], "forms that post where no POST is accepted"
    # POST routes of the matrix that no page offered a form for (a state the world does not show): posted blind,
    # with the field names of this blueprint's forms and a few common ones.
    offered = {adapter.match(form.path, method="POST")[0] for _, form in found.values()}
    names = sorted({f.name for _, form in found.values() for f in form.fields} | set(BLIND_NAMES))
    for case in CASES:
        if case.method == "POST" and case.endpoint.split(".")[0] == group and case.endpoint not in offered:
            role = next((r for r in ROLE_ORDER if r in case.allowed), None)
            if role is not None:
                fields = [Field("input", "file" if n == "file" else "text", n) for n in names]
                found[("blind", case.endpoint, case.note)] = (role, Form("(no form)", case.url(world), True, fields))
    return sorted(found.values(), key=lambda rf: (not any(f.type != "hidden" for f in rf[1].fields), rf[1].action))


def fuzz(form: Form, http) -> None:
    state = {"tables": table_fingerprint(), "files": upload_fingerprint()}

    @settings(fuzz_settings())
    @given(pairs=bodies(form))
    def submit(pairs):
        response = _post(http, form, pairs)
        status, page = response.status_code, response.mimetype == "text/html"
        response.close()
        assert status < 500, f"{status} for {pairs!r:.2000}"
        flashes = take_flashes(http) if 300 <= status < 400 else []
        categories = {category for category, _ in flashes}
        # refused: an error page, the form back (a 200 file download is a success), or a redirect with an error
        refused = status >= 400 or (status < 300 and page) or bool(
            categories & REFUSAL_CATEGORIES and "success" not in categories)
        before, files_before = state["tables"], state["files"]
        state["tables"], state["files"] = table_fingerprint(), upload_fingerprint()
        if refused:
            allowed = REFUSAL_WRITES.get(form.path, set())
            changed = [t for t in changed_tables(before, state["tables"]) if t.split(" ")[0] not in allowed]
            assert changed == [], f"refused ({status}, {flashes}) yet changed {changed} for {pairs!r:.2000}"
            assert state["files"] <= files_before, f"refused ({status}) yet left files {state['files'] - files_before}"

    submit()


@pytest.mark.parametrize("group", GROUPS)
def test_fuzzed_forms_never_fail_and_refusals_save_nothing(group, world, users, login_as, client, subtests):
    forms = discover(group, world, users, login_as, client)
    if not forms:  # then the blueprint must take nothing by POST
        posts = [r.rule for r in current_app.url_map.iter_rules() if r.endpoint.startswith(group + ".")
                 and "POST" in r.methods]
        assert posts == [], f"POST routes of {group} that no page offers a form for and the matrix has no case for"
        return
    for role, form in forms:
        with subtests.test(msg=f"{getattr(role, 'value', role)}: {form}"):
            fuzz(form, client if role == ANON else login_as(users[role]))


def test_fingerprint_notices_an_edited_row_and_a_new_file(world, db, app):
    """The check behind "nothing saved": one changed column of one row, or one new file, shows."""
    tables, files = table_fingerprint(), upload_fingerprint()
    world["person"].position = "Giáo viên"
    db.session.commit()
    (app.config["UPLOAD_FOLDER"] / "stray.pdf").write_bytes(b"%PDF-1.4\n")
    assert "people" in [t.split(" ")[0] for t in changed_tables(tables, table_fingerprint())]
    assert upload_fingerprint() - files == {"stray.pdf"}
    (app.config["UPLOAD_FOLDER"] / "stray.pdf").unlink()
