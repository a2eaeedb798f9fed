"""Bad input tried for real, through the real forms, database, files and PDFs (read back with pdftotext):

- script payloads typed into the main text fields come back escaped on every page that shows them, and
  printed as typed in the PDFs (certificate, decision annex, council minutes, cluster and annual reports);
- path traversal: no file route serves a file outside the upload folder, whatever the address or a tampered
  stored name says, and an upload named with a path is stored inside the folder under a random name;
- oversized bodies (413, in Vietnamese), over-limit artwork, and files whose content is not their extension
  are refused with nothing saved;
- SQL in every search box finds exactly what a harmless text finds;
- a unit officer walking another unit's ids (in the address or in a form) is refused and changes nothing;
- a POST without this session's CSRF token is refused (400, in Vietnamese) and changes nothing;
- and the cases the fuzzing (test_fuzz_forms.py) found, kept as plain regression tests.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from tests import factories, test_permissions
from tests.security.pages import (
    changed_tables,
    is_file_url,
    multipart,
    post_forms,
    search_boxes,
    table_fingerprint,
    take_flashes,
)
from tests.test_permissions import ANON
from tests.test_security import InlineScriptFinder
from thidua.auth.models import Role
from thidua.campaigns.models import CampaignDocument
from thidua.certificates.models import Artwork
from thidua.clusters.models import ClusterEvidence, ClusterScoreSheet, SheetKind
from thidua.nominations.models import NominationAttachment
from thidua.registry.models import Person
from thidua.rules.models import DossierPart
from thidua.showcase.models import GoodModelFile

world = test_permissions.world

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = str(escape(PAYLOAD))
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the signature is what the content check reads
STORED_MODELS = (NominationAttachment, CampaignDocument, GoodModelFile, ClusterEvidence, Artwork)


# --- helpers ------------------------------------------------------------------------------------

def submit(http, page: str, changes: dict, *, files: dict | None = None, action: str | None = None):
    """Fill in the form of `page` the way a user would: what it shows, with `changes` typed over it (a list
    value ticks several boxes), and post it. `action` picks the form whose target contains it."""
    response = http.get(page)
    assert response.status_code == 200, f"{page}: {response.status_code}"
    forms = [f for f in post_forms(page, response.get_data(as_text=True)) if f.path != "/auth/logout"
             and (action is None or action in f.action) and set(changes) | set(files or {}) <= f.names()]
    assert forms, f"no form on {page} with fields {sorted(changes)}"
    form = min(forms, key=lambda f: f.button is not None)  # the plain save button, not "search" and the like
    pairs = [(n, v) for n, v in form.defaults() if n not in changes]
    for name, value in changes.items():
        pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    if form.multipart:
        body, content_type = multipart(pairs + list((files or {}).items()))
        return http.post(form.action, data=body, content_type=content_type)
    return http.post(form.action, data=MultiDict(pairs))


def form_errors(html: str) -> list[str]:
    """The messages a refused form shows (beside its fields and above it)."""
    found = re.findall(r'<div class="(?:invalid-feedback[^"]*|alert alert-danger[^"]*)"[^>]*>(.*?)</div>', html, re.S)
    return [re.sub(r"<[^>]+>", " ", m).strip() for m in found]


def assert_saved(response) -> str:
    """The form was accepted (redirected); returns where to."""
    assert response.status_code == 302, (response.status_code, form_errors(response.get_data(as_text=True)))
    return response.headers["Location"]


def assert_escaped(http, url: str, *, marker: str = ESCAPED) -> None:
    """The page shows the payload as text: never the raw markup, always its escaped form, and nothing a
    script-src 'self' policy would have to block."""
    response = http.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    html = response.get_data(as_text=True)
    assert PAYLOAD not in html, f"{url} shows the payload unescaped"
    assert "<img src=x" not in html and "<script>alert" not in html, url
    assert marker in html, f"{url} does not show the payload"
    finder = InlineScriptFinder()
    finder.feed(html)
    assert finder.problems == [], f"{url}: {finder.problems}"


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def assert_pdf_shows_payload(data: bytes) -> None:
    """pdftotext reads the payload back as typed: the markup was printed, not interpreted."""
    text = re.sub(r"\s+", "", pdf_text(data))
    assert re.sub(r"\s+", "", PAYLOAD) in text, text[:2000]


def as_role(role, users, login_as, client):
    return client if role == ANON else login_as(users[role])


# --- script payloads ----------------------------------------------------------------------------

def test_person_name_payload_is_escaped_on_pages_and_printed_as_text(world, users, login_as, db):
    staff = login_as(users[Role.SECRETARIAT])
    unit = world["unit"]
    location = assert_saved(submit(staff, "/registry/people/new", {"full_name": PAYLOAD, "unit_id": str(unit.id)}))
    person = db.session.query(Person).filter_by(full_name=PAYLOAD).one()
    assert location.endswith(f"/registry/people/{person.id}")
    for http in (staff, login_as(users[Role.UNIT_OFFICER])):
        assert_escaped(http, f"/registry/people/{person.id}")
        assert_escaped(http, "/registry/?q=alert")
    # the person is awarded: the decision's pages, its annex and the certificate print the name as text
    decision = factories.make_decision(issuer=world["unit"].parent, awardees=[person])
    db.session.commit()
    assert_escaped(staff, f"/decisions/{decision.id}")
    assert_pdf_shows_payload(staff.get(f"/decisions/{decision.id}/annex.pdf").data)
    item = decision.items[0]
    printed = submit(staff, f"/certificates/decisions/{decision.id}/items/{item.id}/print", {"mode": "full"})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert_pdf_shows_payload(printed.data)


def _w(path: str):
    """A URL template over the world: "/units/{unit}" → /units/<world['unit'].id>."""
    return lambda w: re.sub(r"\{(\w+)\}", lambda m: str(w[m.group(1)].id), path)


# (who types, the form's page, what they type, the pages that must show it escaped, who reads them)
TYPED = [
    pytest.param(Role.SECRETARIAT, "/campaigns/new",
                 {"name": PAYLOAD, "goals": PAYLOAD, "criteria": PAYLOAD, "launching_authority": PAYLOAD,
                  "starts_on": "01/01/2026", "ends_on": "31/12/2026"},
                 ["/campaigns/", "{new}"], Role.SECRETARIAT, id="campaign name and description"),
    pytest.param(Role.SECRETARIAT, "/campaigns/{open}/edit", {"name": PAYLOAD, "goals": PAYLOAD},
                 ["/campaigns/", "/campaigns/{open}", "/"], Role.UNIT_OFFICER, id="open campaign read by a unit"),
    pytest.param(Role.UNIT_OFFICER, "/campaigns/{open}/register", {"commitments": PAYLOAD},
                 ["/campaigns/{open}"], Role.SECRETARIAT, id="registration commitments"),
    pytest.param(Role.ADMIN, "/units/new", {"code": "38.XSS", "name": PAYLOAD, "address": PAYLOAD,
                                            "valid_from": "01/07/2025"},
                 ["/units/", "{new}"], Role.ADMIN, id="unit name"),
    pytest.param(Role.ADMIN, "/units/{unit}/edit", {"name": PAYLOAD},
                 ["/registry/units/{unit}", "/nominations/{draft_nomination}", "/clusters/{cluster}",
                  "/reports/annual?year=2025&unit={unit}"], Role.SECRETARIAT, id="renamed unit on other pages"),
    pytest.param(Role.SECRETARIAT, "/councils/{council}/edit", {"name": PAYLOAD, "established_by": PAYLOAD},
                 ["/councils/", "/councils/{council}", "/councils/sessions/{planned_session}"], Role.APPROVER,
                 id="council name"),
    pytest.param(Role.UNIT_OFFICER, "/nominations/{draft_nomination}/edit", {"achievement_summary": PAYLOAD},
                 ["/nominations/{draft_nomination}"], Role.UNIT_OFFICER, id="nomination achievements"),
    pytest.param(Role.SECRETARIAT, "/decisions/{draft_decision}/edit",
                 {"preamble": PAYLOAD, "subject": PAYLOAD, "achievement_default": PAYLOAD},
                 ["/decisions/{draft_decision}", "/decisions/"], Role.APPROVER, id="decision legal basis"),
    pytest.param(Role.ADMIN, "/catalogue/legal-bases/new", {"code": "XSS-1", "title": PAYLOAD,
                                                             "issued_on": "01/01/2024", "effective_from": "01/01/2024"},
                 ["/catalogue/legal-bases"], Role.UNIT_OFFICER, id="legal basis title"),
    pytest.param(Role.SECRETARIAT, "/models/{good_model}/edit", {"title": PAYLOAD, "summary": PAYLOAD},
                 [("/models/", Role.UNIT_OFFICER), ("/models/{good_model}", Role.UNIT_OFFICER), "/public/models",
                  "/public/models/{good_model}"], ANON,
                 id="good model title and summary"),
    pytest.param(Role.SECRETARIAT, "/notices/{notice}/edit", {"title": PAYLOAD},
                 [("/notices/", Role.COUNCIL_MEMBER), ("/notices/{notice}", Role.COUNCIL_MEMBER), "/public/notices",
                  "/public/notices/{notice}"], ANON,
                 id="public notice title"),
    pytest.param(ANON, "/public/notices/{notice}/candidates/{notice_candidate}",
                 {"author_name": PAYLOAD, "contact": "a@b.vn", "body": PAYLOAD},
                 ["/notices/{notice}", "/notices/nominations/{notice_candidate}/comments"], Role.SECRETARIAT,
                 id="citizen's comment on a notice"),
    pytest.param(Role.SECRETARIAT, "/clusters/{cluster}/edit", {"name": PAYLOAD, "description": PAYLOAD},
                 [("/clusters/", Role.SECRETARIAT), ("/clusters/{cluster}", Role.SECRETARIAT), "/cluster-years/",
                  "/cluster-years/{cluster_year}"], Role.UNIT_OFFICER, id="cluster name"),
    pytest.param(Role.SECRETARIAT, "/cluster-years/{covenant_year}/covenant",
                 {"covenant_text": PAYLOAD, "covenant_place": PAYLOAD, "covenant_signed_on": "15/01/2024"},
                 ["/cluster-years/{covenant_year}/covenant"], Role.UNIT_OFFICER, id="cluster covenant text"),
    pytest.param(Role.UNIT_OFFICER, "/cluster-years/{covenant_year}/covenant/{unit}",
                 {"targets": PAYLOAD, "signatory_name": PAYLOAD, "signed_on": "15/01/2024"},
                 ["/cluster-years/{covenant_year}/covenant"], Role.SECRETARIAT, id="unit's covenant commitment"),
    pytest.param(Role.SECRETARIAT, "/registry/people/{person}/awards/new",
                 {"award_code": "LDTT", "decision_number": PAYLOAD, "issuer": PAYLOAD, "note": PAYLOAD, "year": "2024"},
                 ["/registry/people/{person}"], Role.UNIT_OFFICER, id="award record in the registry"),
    pytest.param(Role.ADMIN, "/auth/users/new", {"username": "xss", "full_name": PAYLOAD, "roles": "secretariat",
                                                  "password": "Mat-khau-rat-dai-2026!"},
                 ["/auth/users"], Role.ADMIN, id="user's full name"),
]


@pytest.mark.parametrize(("author", "page", "typed", "shown_on", "reader"), TYPED)
def test_typed_payload_is_shown_escaped(author, page, typed, shown_on, reader, world, users, login_as, client):
    location = assert_saved(submit(as_role(author, users, login_as, client), _w(page)(world), typed))
    for url in shown_on:
        url, role = url if isinstance(url, tuple) else (url, reader)
        assert_escaped(as_role(role, users, login_as, client), location if url == "{new}" else _w(url)(world))


# (who types, the form's page, what they type, the PDF that prints it, who downloads it)
PRINTED = [
    pytest.param(Role.SECRETARIAT, "/councils/{council}/edit", {"name": PAYLOAD},
                 "/councils/ballot/sessions/{closed_session}/minutes.pdf", Role.SECRETARIAT, id="council minutes"),
    pytest.param(Role.SECRETARIAT, "/clusters/{cluster}/edit", {"name": PAYLOAD},
                 "/cluster-years/{cluster_year}/report.pdf", Role.UNIT_OFFICER, id="cluster report"),
    pytest.param(Role.SECRETARIAT, "/decisions/{draft_decision}/items/{draft_item}/edit", {"achievement": PAYLOAD},
                 "/decisions/{draft_decision}/annex.pdf", Role.APPROVER, id="decision annex"),
    pytest.param(Role.ADMIN, "/units/{other_unit}/edit", {"name": PAYLOAD},
                 "/reports/annual/pdf?year=2025&unit={other_unit}", Role.APPROVER, id="annual report"),
]


@pytest.mark.parametrize(("author", "page", "typed", "pdf", "reader"), PRINTED)
def test_typed_payload_is_printed_as_text(author, page, typed, pdf, reader, world, users, login_as, client):
    world["draft_item"] = world["draft_decision"].items[0]
    assert_saved(submit(as_role(author, users, login_as, client), _w(page)(world), typed))
    response = as_role(reader, users, login_as, client).get(_w(pdf)(world))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_pdf_shows_payload(response.data)


def test_decision_typed_with_payload_is_issued_and_its_certificate_prints_it_as_text(world, users, login_as):
    staff = login_as(users[Role.SECRETARIAT])
    decision, item = world["draft_decision"], world["draft_decision"].items[0]
    assert_saved(submit(staff, f"/decisions/{decision.id}/items/{item.id}/edit",
                        {"awardee_detail": PAYLOAD, "achievement": PAYLOAD}))
    assert_saved(submit(staff, f"/decisions/{decision.id}/edit", {"preamble": PAYLOAD}))
    docx = staff.get(f"/decisions/{decision.id}/draft.docx")
    with zipfile.ZipFile(io.BytesIO(docx.data)) as package:
        xml = package.read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml  # text in Word, not markup
    assert_saved(submit(staff, f"/decisions/{decision.id}/issue",
                        {"number": "99/QĐ-UBND", "signed_on": "05/03/2026", "signer_name": "Đỗ Minh Tuấn"}))
    assert_escaped(staff, f"/decisions/{decision.id}")
    printed = submit(staff, f"/certificates/decisions/{decision.id}/items/{item.id}/print", {"mode": "full"})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf", form_errors(printed.text)
    assert_pdf_shows_payload(printed.data)
    assert_escaped(login_as(users[Role.UNIT_OFFICER]), f"/verify/{item.verify_code}")


# --- path traversal -----------------------------------------------------------------------------

SECRET = b"%PDF-1.4 TOP-SECRET-OUTSIDE-THE-UPLOAD-FOLDER"
LEAKS = (SECRET, b"root:x:0:0", b"def create_app", b"[project]", b"SECRET_KEY")
TRAVERSALS = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fsecret-outside.pdf",
              "..%252f..%252fsecret-outside.pdf", "..%5c..%5csecret-outside.pdf", "..\\..\\secret-outside.pdf",
              "%2fetc%2fpasswd", "....//....//etc/passwd", "..", "%2e%2e", "..%00.pdf", "../secret-outside.pdf",
              "../../pyproject.toml", "../../../thidua/config.py"]


@pytest.fixture
def outside(app):
    """A file next to the upload folder (not in it) that no download may ever serve."""
    path = app.config["UPLOAD_FOLDER"].parent / "secret-outside.pdf"
    path.write_bytes(SECRET)
    yield path
    path.unlink()


def assert_no_leak(response, what: str) -> None:
    body = response.get_data()
    response.close()
    assert response.status_code < 500, f"{what}: {response.status_code}"
    assert not any(leak in body for leak in LEAKS), f"{what} served a file outside the upload folder"


def _file_cases(world, users, login_as, client):
    """(case, role) for every GET route that answers with a file rather than a page."""
    found = []
    for case in test_permissions.CASES:
        if case.method != "GET" or not case.allowed:
            continue
        role = next(r for r in (Role.ADMIN, Role.SECRETARIAT, Role.UNIT_OFFICER, Role.COUNCIL_MEMBER,
                                Role.APPROVER, ANON) if r in case.allowed)
        response = as_role(role, users, login_as, client).get(case.url(world))
        if response.status_code == 200 and response.mimetype != "text/html":
            found.append((case, role))
        response.close()
    return found


def test_file_routes_never_serve_a_path_outside_the_upload_folder(world, users, login_as, client, outside):
    files = _file_cases(world, users, login_as, client)
    assert {c.endpoint for c, _ in files} >= {  # the walk really found the downloads
        "campaigns.download_document", "nominations.download_attachment", "certificates.artwork_file",
        "print_jobs.download", "cluster_years.evidence", "showcase.download_file", "public.photo", "static",
        "award_documents.annex_pdf", "registry.import_template"}
    tried = 0
    for case, role in files:
        http = as_role(role, users, login_as, client)
        url = case.url(world)
        path, _, query = url.partition("?")
        segments = path.split("/")
        for i in range(2, len(segments)):  # every segment after the blueprint's prefix
            for bad in TRAVERSALS:
                mutated = "/".join([*segments[:i], bad, *segments[i + 1:]]) + ("?" + query if query else "")
                assert_no_leak(http.get(mutated), f"{case} as {mutated}")
                tried += 1
        for bad in TRAVERSALS:
            assert_no_leak(http.get(path + "/" + bad), f"{case} + /{bad}")
    assert tried > 500


def test_stored_name_pointing_outside_the_upload_folder_is_not_served(world, users, login_as, client, db, outside):
    """Even a tampered row (a stored name with a path in it) cannot reach a file outside the folder."""
    rows = {
        "attachment": f"/nominations/{world['draft_nomination'].id}/attachments/{world['attachment'].id}",
        "document": f"/campaigns/{world['open'].id}/documents/{world['document'].id}",
        "artwork": "/certificates/artwork/emblem",
        "cluster_evidence": f"/cluster-years/{world['cluster_year'].id}/evidence/{world['cluster_evidence'].id}",
        "good_model_photo": f"/models/{world['good_model'].id}/files/{world['good_model_photo'].id}",
        "done_print_job": f"/print-jobs/{world['done_print_job'].id}/download",
    }
    public_photo = f"/public/models/{world['good_model'].id}/photos/{world['good_model_photo'].id}"
    admin = login_as(users[Role.ADMIN])
    for stored in ("../secret-outside.pdf", str(outside), "/etc/passwd", "../../../../../../etc/passwd"):
        for key, url in rows.items():
            world[key].stored_name = stored
            db.session.commit()
            response = admin.get(url)
            assert response.status_code == 404, f"{key} with stored name {stored}: {response.status_code}"
            assert_no_leak(response, url)
        response = client.get(public_photo)
        assert response.status_code == 404
        assert_no_leak(response, public_photo)


UPLOADS = [  # (who, the form's page, its fields, the file field, a valid file)
    pytest.param(Role.UNIT_OFFICER, "/nominations/{draft_nomination}/attachments/new", {"part": "evidence"}, TINY_PDF,
                 "pdf", id="dossier attachment"),
    pytest.param(Role.SECRETARIAT, "/campaigns/{open}/documents/new", {"title": "Kế hoạch"}, TINY_PDF, "pdf",
                 id="campaign document"),
    pytest.param(Role.SECRETARIAT, "/models/{proposed_model}/files/new", {"caption": "Ảnh"}, PNG, "png",
                 id="good model file"),
    pytest.param(Role.UNIT_OFFICER, "/cluster-years/{cluster_year}/score/self/{unit}", {}, TINY_PDF, "pdf",
                 id="cluster evidence"),
    pytest.param(Role.ADMIN, "/certificates/templates", {}, PNG, "png", id="certificate emblem"),
]


def _uploaded(app) -> set[str]:
    return {p.name for p in app.config["UPLOAD_FOLDER"].iterdir()}


@pytest.mark.parametrize(("role", "page", "fields", "content", "ext"), UPLOADS)
def test_upload_named_with_a_path_is_stored_inside_the_folder_under_a_safe_name(
        role, page, fields, content, ext, world, users, login_as, app, db):
    for filename in ("../../../x.pdf", "..\\..\\x.pdf", "/etc/x.pdf", "C:\\Windows\\x.pdf"):
        _upload_with_path(role, page, fields, content, ext, filename.replace(".pdf", "." + ext), world, users,
                          login_as, app, db)


def _upload_with_path(role, page, fields, content, ext, filename, world, users, login_as, app, db):
    before = _uploaded(app)
    action = "/artwork/emblem" if "templates" in page else None
    assert_saved(submit(login_as(users[role]), _w(page)(world), fields, files={"file": (content, filename)},
                        action=action))
    new = _uploaded(app) - before
    assert len(new) == 1
    stored = new.pop()
    assert re.fullmatch(r"[0-9a-f]{32}\." + ext, stored)
    folder = app.config["UPLOAD_FOLDER"]
    for parent in (folder.parent, folder.parent.parent, Path("/etc"), Path("/")):
        assert not (parent / f"x.{ext}").exists()
    # the user's name is kept for display only, without its directories (multipart quoting eats backslashes)
    row = next(r for model in STORED_MODELS for r in db.session.scalars(sa.select(model).filter_by(stored_name=stored)))
    assert row.original_name.endswith(f"x.{ext}") and not re.search(r"[/\\]|^\.", row.original_name)


# --- oversized and disguised uploads -------------------------------------------------------------

def _nothing_saved(app, before_files, before_rows, db) -> None:
    assert _uploaded(app) == before_files, "a refused upload left a file behind"
    assert _stored_rows(db) == before_rows, "a refused upload left a row behind"


def _stored_rows(db) -> dict:
    return {model.__name__: sorted(db.session.scalars(sa.select(model.stored_name))) for model in STORED_MODELS}


def test_body_over_the_request_limit_is_refused_with_413_in_vietnamese(world, users, login_as, app, db):
    limit = app.config["MAX_CONTENT_LENGTH"]
    before_files, before_rows = _uploaded(app), _stored_rows(db)
    http = login_as(users[Role.UNIT_OFFICER])
    url = f"/nominations/{world['draft_nomination'].id}/attachments/new"
    body, content_type = multipart([("part", "evidence"), ("file", (TINY_PDF + b"0" * limit, "lon.pdf"))])
    response = http.post(url, data=body, content_type=content_type)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Tệp quá lớn" in page and "vượt quá dung lượng cho phép" in page
    _nothing_saved(app, before_files, before_rows, db)


def test_artwork_over_its_own_size_limit_is_refused_with_a_message(world, users, login_as, app, db):
    from thidua.certificates.services import ARTWORK_MAX_BYTES

    before_files, before_rows = _uploaded(app), _stored_rows(db)
    http = login_as(users[Role.ADMIN])
    big = PNG + b"\x00" * ARTWORK_MAX_BYTES  # under the request limit, over the artwork's
    response = submit(http, "/certificates/templates", {}, files={"file": (big, "quoc-huy.png")},
                      action="/artwork/emblem")
    assert response.status_code == 302
    page = http.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Tệp quá lớn: tối đa {ARTWORK_MAX_BYTES // (1024 * 1024)} MB." in page
    _nothing_saved(app, before_files, before_rows, db)


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
DISGUISED = [  # (who, the form's page, its fields, the file and the name it is sent under)
    pytest.param(Role.UNIT_OFFICER, "/nominations/{draft_nomination}/attachments/new", {"part": "evidence"},
                 EXE, "bao-cao.pdf", id="exe as pdf, dossier"),
    pytest.param(Role.UNIT_OFFICER, "/nominations/{draft_nomination}/attachments/new", {"part": "evidence"},
                 HTML, "anh.jpg", id="html as jpg, dossier"),
    pytest.param(Role.SECRETARIAT, "/campaigns/{open}/documents/new", {"title": "Kế hoạch"}, PNG, "ke-hoach.pdf",
                 id="png as pdf, campaign"),
    pytest.param(Role.SECRETARIAT, "/models/{proposed_model}/files/new", {}, HTML, "anh.jpg",
                 id="html as jpg, good model"),
    pytest.param(Role.UNIT_OFFICER, "/cluster-years/{cluster_year}/score/self/{unit}", {}, EXE, "minh-chung.pdf",
                 id="exe as pdf, cluster evidence"),
    pytest.param(Role.ADMIN, "/certificates/templates", {}, TINY_PDF, "quoc-huy.png", id="pdf as png, emblem"),
    pytest.param(Role.ADMIN, "/registry/import", {}, HTML, "khen-thuong.xlsx", id="html as xlsx, registry import"),
    pytest.param(Role.ADMIN, "/units/import", {}, EXE, "don-vi.xlsx", id="exe as xlsx, unit import"),
]


@pytest.mark.parametrize(("role", "page", "fields", "content", "filename"), DISGUISED)
def test_file_whose_content_is_not_its_extension_is_refused(role, page, fields, content, filename, world, users,
                                                             login_as, app, db):
    before_files, before_rows = _uploaded(app), _stored_rows(db)
    http = login_as(users[role])
    action = "/artwork/emblem" if "templates" in page else None
    response = submit(http, _w(page)(world), fields, files={"file": (content, filename)}, action=action)
    page_text = (http.get(response.headers["Location"]) if response.status_code == 302 else response).text
    assert "không phải định dạng được chấp nhận" in page_text or "không phải tệp Excel" in page_text, \
        form_errors(page_text)
    _nothing_saved(app, before_files, before_rows, db)


# --- SQL in the search boxes ---------------------------------------------------------------------

SQL = ["' OR 1=1 --", "' OR '1'='1", '" OR ""="', "') OR ('a'='a", "1; DROP TABLE users; --",
       "' UNION SELECT username, password_hash FROM users --", "%' OR 1=1 OR '%'='", "\\", "'", "%", "%%_%", "_%_",
       "'; SELECT pg_sleep(0); --", "ʼ OR 1=1 --", "Nguyễn' --"]
HARMLESS = "zzqxjw khong co"


def object_links(html: str) -> set[str]:
    """The links to objects (paths with an id) a result page shows, without their query strings."""
    return {href for href in re.findall(r'href="(/[^"?#]*\d[^"?#]*)', html)}


def _search_boxes(world, users, login_as, client):
    found = {}
    for case in test_permissions.CASES:
        if case.method != "GET" or is_file_url(case.url(world)):
            continue
        for role in (Role.ADMIN, Role.UNIT_OFFICER, ANON):
            if role not in case.allowed:
                continue
            response = as_role(role, users, login_as, client).get(case.url(world))
            if response.status_code == 200 and response.mimetype == "text/html":
                for action, name, others in search_boxes(case.url(world), response.text):
                    found.setdefault((action, name, role), others)
            response.close()
    return found


def test_sql_in_every_search_box_finds_what_a_harmless_string_finds(world, users, login_as, client):
    boxes = _search_boxes(world, users, login_as, client)
    assert {(a, n) for a, n, _ in boxes} >= {  # the walk found the application's search boxes
        ("/registry/", "q"), ("/auth/users", "q"), ("/audit/", "actor"), ("/audit/", "object_id"), ("/units/", "q"),
        ("/models/", "q"), ("/public/models", "q"), ("/mail/", "q"), ("/verify", "code")}
    filtering = 0
    for (action, name, role), others in sorted(boxes.items(), key=str):
        http = as_role(role, users, login_as, client)

        def search(text, action=action, name=name, others=others, http=http):
            response = http.get(action, query_string=[*others, (name, text)], follow_redirects=True)
            assert response.status_code in (200, 400, 404), f"{action}?{name}={text!r}: {response.status_code}"
            return response.status_code, object_links(response.text)

        harmless = search(HARMLESS)
        everything = search("")
        filtering += everything[1] != harmless[1]
        for text in SQL:
            assert search(text) == harmless, f"{action}?{name}={text!r} as {role} finds other rows than a harmless text"
    assert filtering >= 6, "the search boxes were tried where searching narrows the list"


# --- a unit officer walking other units' ids -------------------------------------------------------

@pytest.fixture
def elsewhere(world, app, db):
    """The world again, every unit-owned object swapped for one of another unit (Sở Y tế): the officer of
    Sở Giáo dục walks these ids."""
    other_unit, other_person, other_draft = world["other_unit"], world["other_person"], world["other_nomination"]
    w = dict(world)
    w["unit"], w["other_unit"] = other_unit, world["unit"]  # cross-scoring: Sở Y tế scoring Sở Giáo dục
    w["person"] = other_person
    w["draft_nomination"] = other_draft
    w["submitted_nomination"] = factories.make_nomination(unit=other_unit, status="submitted")
    w["accepted_nomination"] = factories.make_nomination(unit=other_unit, status="accepted")
    w["own_registration"] = world["other_registration"]
    w["batch"] = world["other_batch"]
    w["attachment"] = NominationAttachment(
        nomination=other_draft, part=DossierPart.ACHIEVEMENT_REPORT, original_name="bao-cao-syt.pdf",
        stored_name="other-unit-attachment.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
    db.session.add(w["attachment"])
    w["initiative"] = factories.make_initiative(person=other_draft.person)
    other_draft.initiatives.append(w["initiative"])
    w["person_initiative"] = factories.make_initiative(person=other_person)
    w["evaluation"] = factories.make_evaluation(year=2023, rating="good", person=other_person)
    w["award_record"] = factories.make_award_record(code="LDTT", year=2023, person=other_person)
    w["proposed_model"] = factories.make_good_model(unit=other_unit, awards=[w["award_record"]])
    w["proposed_model"].nominations.append(other_draft)
    with db.session.no_autoflush:
        w["cluster_sheet"] = ClusterScoreSheet(cluster_year=world["cluster_year"], kind=SheetKind.SELF,
                                               subject_unit=other_unit, scorer_unit=other_unit)
        w["cluster_evidence"] = ClusterEvidence(sheet=w["cluster_sheet"], original_name="minh-chung-syt.pdf",
                                                stored_name="other-unit-evidence.pdf",
                                                content_type="application/pdf", size=9, sha256="0" * 64)
        db.session.add_all([w["cluster_sheet"], w["cluster_evidence"]])
    for name in ("other-unit-attachment.pdf", "other-unit-evidence.pdf"):
        (app.config["UPLOAD_FOLDER"] / name).write_bytes(b"%PDF-1.4\n")
    db.session.commit()
    return w


class _Recorder(dict):
    def __getitem__(self, key):
        self.used.add(key)
        return super().__getitem__(key)


# What an officer may read of another unit, by design: the cluster's scoring (members review each other's
# self-assessment and evidence, and see the cluster's sheets); writing them stays refused.
SHARED_IN_THE_CLUSTER = {("GET", "cluster_years.sheet[self]"), ("GET", "cluster_years.sheet[cross]"),
                         ("GET", "cluster_years.sheet[final]"), ("GET", "cluster_years.evidence")}
UNIT_OWNED = {"unit", "other_unit", "person", "draft_nomination", "submitted_nomination", "accepted_nomination",
              "own_registration", "batch", "attachment", "initiative", "person_initiative", "evaluation",
              "award_record", "proposed_model", "cluster_sheet", "cluster_evidence"}


def test_unit_officer_walking_other_units_ids_is_refused(elsewhere, world, users, login_as, db):
    officer = login_as(users[Role.UNIT_OFFICER])
    tried, leaks = 0, []
    for case in test_permissions.CASES:
        recorder = _Recorder(elsewhere)
        recorder.used = set()
        url = case.url(recorder)
        if not recorder.used & UNIT_OWNED or (case.method, str(case)) in SHARED_IN_THE_CLUSTER:
            continue
        if "other_unit" in recorder.used and "unit" not in recorder.used:
            continue  # the matrix's own "other unit" cases, which the swap turns into the officer's unit
        before = table_fingerprint()
        response = officer.open(url, method=case.method)
        response.close()
        tried += 1
        if response.status_code not in (403, 404):
            leaks.append(f"{case.method} {url} ({case}): {response.status_code}")
        if case.method == "POST":
            assert changed_tables(before, table_fingerprint()) == [], f"{case.method} {url} changed rows"
    assert tried > 50
    assert leaks == [], '\n'.join(leaks)


# (the officer's own form, a field, the other unit's object it is pointed at)
BODY_WALKS = [
    ("/nominations/new", "unit_id", "unit"),
    ("/nominations/{draft_nomination}/edit", "person_id", "person"),
    ("/registry/people/new", "unit_id", "unit"),
    ("/registry/people/{person}/edit", "unit_id", "unit"),
    ("/nominations/batches/new", "unit_id", "unit"),
    ("/models/new", "unit_id", "unit"),
    ("/nominations/excel/import?award_type={award_type}", "unit_id", "unit"),
    ("/nominations/{draft_nomination}/initiatives/link", "initiative_id", "initiative"),
    ("/nominations/batches/{batch}/add", "nomination_ids", "draft_nomination"),
    ("/models/{proposed_model}/nominations", "nomination_id", "draft_nomination"),
]  # (a model's awards may be any unit's: the links page searches the whole gold book)


@pytest.mark.parametrize(("page", "field", "target"), BODY_WALKS, ids=[f"{p} {f}" for p, f, _ in BODY_WALKS])
def test_unit_officer_cannot_point_a_form_at_another_units_object(page, field, target, elsewhere, world, users,
                                                                  login_as, db):
    officer = login_as(users[Role.UNIT_OFFICER])
    url, other_id = _w(page)(world), str(elsewhere[target].id)
    before = table_fingerprint()
    if officer.get(url).status_code == 200:  # a page with the form: fill it in as shown, then point the field away
        response = submit(officer, url, {field: other_id})
    else:  # a POST-only route: what its form on another page sends
        response = officer.post(url, data={field: other_id, "back": "links"})
    flashes = take_flashes(officer) if response.status_code == 302 else []
    assert response.status_code in (200, 302, 400, 403, 404), response.status_code
    assert not any(category == "success" for category, _ in flashes), flashes
    assert changed_tables(before, table_fingerprint()) == [], f"{page}: {field}={other_id} saved"


# --- CSRF ------------------------------------------------------------------------------------------

def _csrf_token(http, url: str = "/auth/password") -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(url).text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _post_routes(app, world) -> list[tuple[str, str]]:
    """(url, what) for every route of the matrix that takes a POST."""
    adapter = app.url_map.bind("localhost")
    routes = {}
    for case in test_permissions.CASES:
        url = case.url(world)
        try:
            adapter.match(url.split("?")[0], method="POST")
        except HTTPException:
            continue
        routes.setdefault(url, str(case))
    return sorted(routes.items())


def test_post_without_a_valid_csrf_token_is_refused_and_saves_nothing(csrf_app, world, users, login_as, client):
    admin, other_session = login_as(users[Role.ADMIN]), login_as(users[Role.ADMIN])
    foreign = _csrf_token(other_session)  # valid, but for another session
    assert _csrf_token(admin) != foreign
    routes = _post_routes(csrf_app, world)
    assert len(routes) > 100
    state = table_fingerprint()
    for url, what in routes:
        for name, data in (("no token", {"note": "x"}), ("a wrong token", {"csrf_token": "abc.def.ghi"}),
                           ("another session's token", {"csrf_token": foreign})):
            for http in (admin, client):
                response = http.post(url, data=data)
                assert response.status_code == 400, f"{what} with {name}: {response.status_code}"
                assert "mã bảo mật CSRF" in response.text and "Vui lòng tải lại trang" in response.text
        after = table_fingerprint()
        assert changed_tables(state, after) == [], f"{what} changed rows without a valid CSRF token"
        state = after


def test_post_with_the_sessions_csrf_token_is_accepted(csrf_app, world, users, login_as):
    """The refusals above are CSRF protection, not a broken form: the same session's token goes through."""
    staff = login_as(users[Role.SECRETARIAT])
    response = submit(staff, "/registry/people/new", {"full_name": "Lê Văn Bình", "unit_id": str(world["unit"].id)})
    assert_saved(response)


# --- what the fuzzing found (tests/security/test_fuzz_forms.py), kept as plain cases -----------------

@pytest.mark.parametrize("page", ["/catalogue/quotas/new", "/catalogue/awards/{award_type}/edit"])
def test_percentage_out_of_range_is_a_field_message_not_a_500(page, world, users, login_as):
    field = "max_ratio" if "quotas" in page else "vote_threshold"
    response = submit(login_as(users[Role.ADMIN]), _w(page)(world), {field: "150"})
    assert response.status_code == 200
    assert any("từ 0,1% đến 100%." in e for e in form_errors(response.text)), form_errors(response.text)


def test_budget_edited_without_its_amount_is_asked_for_it(world, users, login_as, db):
    http = login_as(users[Role.SECRETARIAT])
    response = http.post(f"/fund/budgets/{world['fund_budget'].id}/edit", data={"note": "Bổ sung"})
    assert response.status_code == 200
    assert "Vui lòng nhập số tiền dự toán." in form_errors(response.text)
    db.session.refresh(world["fund_budget"])
    assert world["fund_budget"].amount == 100_000_000 and world["fund_budget"].note is None


def test_evidence_refused_by_the_sheet_leaves_no_file(world, users, login_as, app, db):
    sheet = world["cluster_sheet"]
    sheet.submitted_at = sheet.updated_at  # submitted: no more evidence
    db.session.commit()
    before_files, before_rows = _uploaded(app), _stored_rows(db)
    response = login_as(users[Role.UNIT_OFFICER]).post(
        f"/cluster-years/{world['cluster_year'].id}/sheets/{sheet.id}/evidence",
        data={"file": (io.BytesIO(TINY_PDF), "minh-chung.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422  # (the page no longer offers the form, so shows no message)
    _nothing_saved(app, before_files, before_rows, db)


def test_number_beyond_an_integer_column_is_a_field_message(world, users, login_as):
    response = submit(login_as(users[Role.SECRETARIAT]), f"/councils/{world['council'].id}/members/new",
                      {"person_id": "9" * 40, "user_id": str(users[Role.APPROVER].id), "term_from": "01/01/2026"})
    assert response.status_code == 200 and "Số quá lớn." in form_errors(response.text)


@pytest.mark.parametrize("url", ["/campaigns/?year=" + "9" * 30, "/registry/?year=" + "9" * 30,
                                 "/decisions/?year=-" + "9" * 30, "/reports/annual?year=" + "9" * 30])
def test_number_beyond_64_bits_in_a_query_string_is_not_a_500(url, world, users, login_as):
    response = login_as(users[Role.ADMIN]).get(url)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "Yêu cầu không hợp lệ" in response.text


@pytest.mark.parametrize(("method", "url", "data"), [
    ("POST", "/registry/people/new", {"full_name": "Lê\x00 Văn Bình", "unit_id": "{unit}"}),
    ("POST", "/councils/scoring/items/{agenda_item}", {"comment": "\x00"}),
    ("GET", "/registry/?q=L%C3%AA%00", None),
    ("GET", "/verify/AB%00CD", None),
    ("GET", "/audit/units/%00", None),
])
def test_nul_character_anywhere_in_a_request_is_refused(method, url, data, world, users, login_as, db):
    """PostgreSQL text cannot hold NUL: it used to reach the queries (a 500 on PostgreSQL)."""
    world["agenda_item"] = world["open_session"].agenda[0]
    data = {k: _w(v)(world) for k, v in data.items()} if data else None
    before = table_fingerprint()
    response = login_as(users[Role.ADMIN]).open(_w(url)(world), method=method, data=data)
    assert response.status_code == 400 and "Yêu cầu không hợp lệ" in response.text
    assert changed_tables(before, table_fingerprint()) == []


def test_id_beyond_64_bits_in_any_address_is_refused_not_a_500(world, users, login_as):
    admin, tried = login_as(users[Role.ADMIN]), 0
    for case in test_permissions.CASES:
        url = case.url(world)
        path, _, query = url.partition("?")
        if not re.search(r"/\d+(/|$|\.)", path):
            continue
        huge = re.sub(r"/\d+(?=/|$|\.)", "/" + "9" * 30, path, count=1) + ("?" + query if query else "")
        response = admin.open(huge, method=case.method)
        response.close()
        assert response.status_code in (400, 404), f"{case.method} {huge}: {response.status_code}"
        tried += 1
    assert tried > 150


@pytest.mark.parametrize(("page", "field"), [("/rubrics/{rubric}/criteria/new", "max_points"),
                                             ("/councils/{council}/sessions/new", "quorum_ratio"),
                                             ("/certificates/calibrations/new", "scale")])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN"])
def test_not_a_number_in_a_decimal_field_is_a_field_message(page, field, value, world, users, login_as):
    response = submit(login_as(users[Role.SECRETARIAT]), _w(page)(world), {field: value})
    assert response.status_code == 200
    assert any("số" in e for e in form_errors(response.text)), form_errors(response.text)


def test_control_characters_typed_in_a_name_do_not_break_the_excel_and_word_files(world, users, login_as, db):
    """They used to be stored as typed, and every .xlsx or .docx holding them failed to build (a 500)."""
    staff = login_as(users[Role.SECRETARIAT])
    person = world["person"]
    assert_saved(submit(staff, f"/registry/people/{person.id}/edit",
                        {"full_name": "Nguyễn\x07 Văn\x1b An\x0bTổ 1", "position": "Giáo\x0c viên"}))
    db.session.refresh(person)
    assert person.full_name.startswith("Nguyễn Văn An") and person.position.startswith("Giáo")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", person.full_name + person.position)
    for url in (f"/registry/people/{person.id}/export", "/registry/export.xlsx?q=nguyen"):
        response = staff.open(url, method="POST" if url.endswith("/export") else "GET")
        response.close()
        assert response.status_code == 200 and response.mimetype != "text/html", url
    response = staff.get(f"/decisions/{world['draft_decision'].id}/draft.docx")
    response.close()
    assert response.status_code == 200
