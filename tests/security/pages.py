"""What the bad-input tests share: the forms a page offers (parsed with html.parser), a fingerprint of every
table and of the upload folder (to prove a refused request saved nothing), and the flash messages a
redirect carries."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import current_app
from hypothesis import settings

from thidua.extensions import db


def is_file_url(url: str) -> bool:
    """A URL that answers with a file, not a page (skipped by the walks that look for forms)."""
    path = urlsplit(url).path
    return path.startswith(("/static/", "/bootstrap/")) or path.endswith((".pdf", ".xlsx", ".docx", ".zip", ".json"))


def fuzz_settings() -> settings:
    """The profile registered in conftest.py: `deep` when HYPOTHESIS_PROFILE=deep, else `security`."""
    return settings.get_profile("deep" if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else "security")


@dataclass
class Field:
    tag: str  # input | select | textarea
    type: str  # text, number, hidden, checkbox, file, select, select-multiple, textarea...
    name: str
    value: str = ""
    options: list[str] = field(default_factory=list)
    placeholder: str = ""
    checked: bool = False
    selected: list[str] = field(default_factory=list)


@dataclass
class Form:
    """One way of submitting a form: its target (a button's formaction wins) and the fields it sends."""

    page: str  # the page it was found on
    action: str  # absolute path, with its query string
    multipart: bool
    fields: list[Field]
    button: tuple[str, str] | None = None  # a submit button's name and value

    @property
    def path(self) -> str:
        return urlsplit(self.action).path

    def __str__(self) -> str:
        names = ",".join(sorted({f.name for f in self.fields if f.name != "csrf_token"}))
        return f"POST {self.action} [{names}] (on {self.page})"

    def names(self) -> set[str]:
        return {f.name for f in self.fields}

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser sends for the form as shown: text as filled in, ticked boxes, selected options."""
        pairs = []
        for f in self.fields:
            if f.type in ("checkbox", "radio"):
                if f.checked:
                    pairs.append((f.name, f.value or "on"))
            elif f.type == "select":
                chosen = f.selected or f.options[:1]
                pairs += [(f.name, v) for v in chosen[:1]]
            elif f.type == "select-multiple":
                pairs += [(f.name, v) for v in f.selected]
            elif f.type != "file":
                pairs.append((f.name, f.value))
        if self.button:
            pairs.append(self.button)
        return pairs


class FormParser(HTMLParser):
    """Collects every <form method="post">: its fields (enabled ones, as a browser would send them), select
    options, and each enabled submit button (with its own formaction and name=value)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.raw: list[dict] = []
        self._form: dict | None = None
        self._select: Field | None = None
        self._option: dict | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action") or self.page,
                          "multipart": a.get("enctype") == "multipart/form-data", "fields": [], "buttons": []}
            self.raw.append(self._form)
            return
        form = self._form
        if form is None:
            return
        disabled = "disabled" in a
        kind = a.get("type", "").lower()
        submit = (tag == "button" and kind in ("", "submit")) or (tag == "input" and kind in ("submit", "image"))
        if submit and not disabled:
            form["buttons"].append((a.get("formaction"), a.get("name"), a.get("value", "")))
        elif tag == "input" and a.get("name") and not disabled and kind not in ("button", "reset"):
            form["fields"].append(Field("input", kind or "text", a["name"], a.get("value", ""),
                                        placeholder=a.get("placeholder", ""), checked="checked" in a))
        elif tag == "textarea" and a.get("name") and not disabled:
            self._textarea = Field("textarea", "textarea", a["name"])
            form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name") and not disabled:
            self._select = Field("select", "select-multiple" if "multiple" in a else "select", a["name"])
            form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            value = value if value is not None else self._option["text"].strip()
            self._select.options.append(value)
            if self._option["selected"]:
                self._select.selected.append(value)
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.value = self._textarea.value.removeprefix("\n")  # as browsers read it
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def forms(self) -> list[Form]:
        found = []
        for raw in self.raw:
            if raw["method"] != "post":
                continue
            for formaction, name, value in raw["buttons"]:
                action = urljoin(self.page, formaction or raw["action"])
                found.append(Form(self.page, action, raw["multipart"], raw["fields"],
                                  (name, value) if name else None))
        return found


def post_forms(page: str, html: str) -> list[Form]:
    parser = FormParser(page)
    parser.feed(html)
    parser.close()
    return parser.forms()


def search_boxes(page: str, html: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(action, name of a text box, the form's other values) for every <form method="get"> with a text box."""
    parser = FormParser(page)
    parser.feed(html)
    parser.close()
    boxes = []
    for raw in parser.raw:
        if raw["method"] != "get":
            continue
        form = Form(page, urljoin(page, raw["action"]).split("?")[0], False, raw["fields"])
        for f in raw["fields"]:
            if f.type in ("text", "search"):
                boxes.append((form.action, f.name, [(n, v) for n, v in form.defaults() if n != f.name]))
    return boxes


# --- fingerprints -------------------------------------------------------------------------------

def table_fingerprint() -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the sorted rows) of every table, read in the test's own session after
    discarding whatever a request left pending (production ends every request that way)."""
    db.session.rollback()
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":  # one round trip instead of one per table
        rows = conn.exec_driver_sql(" UNION ALL ".join(
            f"SELECT '{t.name}', count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
            f'FROM "{t.name}" AS r' for t in db.metadata.sorted_tables)).fetchall()
        db.session.rollback()
        return {name: (count, digest) for name, count, digest in rows}
    result = {}
    for table in db.metadata.sorted_tables:
        rows = conn.exec_driver_sql(f'SELECT * FROM "{table.name}"').fetchall()
        digest = hashlib.sha256("\n".join(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()
        result[table.name] = (len(rows), digest)
    db.session.rollback()
    return result


def upload_fingerprint() -> set[str]:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def changed_tables(before: dict, after: dict) -> list[str]:
    return [f"{name} ({before[name][0]}→{after[name][0]} rows)" for name in before if before[name] != after[name]]


def take_flashes(http) -> list[tuple[str, str]]:
    """The flash messages waiting in the client's session, removed so the next request starts clean."""
    with http.session_transaction() as session:
        return list(session.pop("_flashes", []))


REFUSAL_CATEGORIES = {"error", "danger"}  # ("warning" also follows a save: "saved, but no quorum yet")


def multipart(pairs) -> tuple[bytes, str]:
    """A multipart/form-data body built in memory from (name, value) pairs, a value being text or a
    (bytes, filename) file. (The test client spools a large body to a temporary file it never closes.)"""
    boundary = "thidua-security-boundary"
    parts = []
    for name, value in pairs:
        if isinstance(value, tuple):
            content, filename = value
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream")
        else:
            content = value if isinstance(value, bytes) else str(value).encode()
            head = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
