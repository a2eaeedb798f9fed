"""Personal data (Decree 13/2023/NĐ-CP): who sees a person's birth date, gender, hiring date and national
ID on pages, exports and PDFs, and the export of one person's data for a data subject's access request."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.awards.documents import annex_pdf
from thidua.councils.minutes import minutes_pdf
from thidua.councils.models import AgendaResult, MemberRole
from thidua.nominations.models import NominationAttachment, NominationEvent, NominationStatus
from thidua.notices.models import NoticeComment, PublicNotice
from thidua.permissions import can
from thidua.registry import privacy, services
from thidua.registry.models import DisciplineRecord, Gender
from thidua.rules.models import DossierPart

BORN = "15/03/1980"
NATIONAL_ID = "038180001234"
HIRED = "01/09/2005"
HIDDEN = (BORN, NATIONAL_ID, HIRED)
SEES = {Role.ADMIN, Role.SECRETARIAT, Role.UNIT_OFFICER}
REVIEWERS = {Role.COUNCIL_MEMBER, Role.APPROVER}
OTHER = {"name": "Trịnh Văn Khác", "national_id": "038070009999", "decision": "999/QĐ-KHAC",
         "summary": "Thành tích riêng của người khác", "comment": "Ý kiến về người khác"}


@pytest.fixture
def person(db, unit):
    return factories.make_person(full_name="Lê Thị Hồng Nhung", unit=unit, gender=Gender.FEMALE,
                                 birth_date=date(1980, 3, 15), national_id=NATIONAL_ID, hired_on=date(2005, 9, 1),
                                 position="Phó Giám đốc")


@pytest.fixture
def dossier(db, unit, person):
    """An accepted dossier for `person` (so council members and approvers may read it)."""
    return factories.make_nomination(unit=unit, code="BK_TINH", person=person, status="accepted", year=2025,
                                     achievement_summary="Ba năm liền Chiến sĩ thi đua cơ sở.")


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _sheet_rows(data: bytes, index: int = 0) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[index]
    return [[c.value for c in row] for row in sheet.iter_rows()]


# --- the rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_personal_data_rule_follows_the_policy_table(role, users, person, db, province):
    elsewhere = factories.make_person(unit=factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province))
    assert can(users[role], "person.personal_data", person) == (role in SEES)
    assert can(users[role], "person.personal_data", elsewhere) == (role in {Role.ADMIN, Role.SECRETARIAT})
    assert not can(None, "person.personal_data", person)


# --- registry pages and export --------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_person_page_shows_personal_fields_only_to_staff_and_the_unit_officer(role, users, login_as, person):
    page = _text(login_as(users[role]).get(f"/registry/people/{person.id}"))
    assert "Lê Thị Hồng Nhung" in page and "Phó Giám đốc" in page and "Sở Giáo dục và Đào tạo" in page
    for value in (*HIDDEN, "Giới tính"):
        assert (value in page) == (role in SEES), value
    assert ('id="personal-note"' in page) == (role not in SEES)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_search_results_show_birth_date_and_gender_only_to_those_who_may(role, users, login_as, person):
    page = _text(login_as(users[role]).get("/registry/?q=hong+nhung"))
    assert "Lê Thị Hồng Nhung" in page
    assert (BORN in page) == (role in SEES)
    assert ("(Nữ)" in page) == (role in SEES)
    assert ("<th scope=\"col\">Ngày sinh</th>" in page) == (role in SEES)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_search_by_national_id_finds_the_holder_only_for_those_who_may_see_it(role, users, login_as, person):
    page = _text(login_as(users[role]).get(f"/registry/?q={NATIONAL_ID}"))
    assert ("Lê Thị Hồng Nhung" in page) == (role in SEES)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_registry_export_has_personal_columns_only_for_those_who_may(role, users, login_as, person):
    response = login_as(users[role]).get("/registry/export.xlsx?q=hong+nhung")
    assert response.status_code == 200
    rows = _sheet_rows(response.data)
    header = rows[3]
    row = rows[4]
    assert row[0] == "Lê Thị Hồng Nhung" and "Phó Giám đốc" in row
    if role in SEES:
        assert header[:3] == ["Họ và tên", "Giới tính", "Ngày sinh"]
        assert row[1] == "Nữ" and row[2] == datetime(1980, 3, 15)
    else:
        assert "Ngày sinh" not in header and "Giới tính" not in header
        assert "Nữ" not in row and datetime(1980, 3, 15) not in row


# --- dossiers: page, Excel export, council and decision documents ---------------------------------

@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_dossier_page_shows_gender_only_to_those_who_may(role, users, login_as, dossier):
    page = _text(login_as(users[role]).get(f"/nominations/{dossier.id}"))
    assert "Lê Thị Hồng Nhung" in page and "Phó Giám đốc" in page
    assert ("(Nữ)" in page) == (role in SEES)
    for value in HIDDEN[:2]:
        assert value not in page


def test_dossier_export_blanks_a_nominee_who_moved_out_of_the_officers_units(users, login_as, unit, province,
                                                                           person, dossier, db):
    moved = factories.make_person(full_name="Đỗ Văn Chuyển", unit=unit, gender=Gender.MALE, birth_date=date(1975, 1, 2))
    factories.make_nomination(unit=unit, code="LDTT", person=moved, status="submitted", year=2025)
    moved.unit = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)

    def rows_as(role):
        response = login_as(users[role]).get("/nominations/excel/export.xlsx")
        assert response.status_code == 200
        return {row[3]: row for row in _sheet_rows(response.data)[1:]}

    officer, staff = rows_as(Role.UNIT_OFFICER), rows_as(Role.SECRETARIAT)
    assert officer["Lê Thị Hồng Nhung"][4:6] == [datetime(1980, 3, 15), "Nữ"]
    assert officer["Đỗ Văn Chuyển"][4:6] == [None, None]
    assert staff["Đỗ Văn Chuyển"][4:6] == [datetime(1975, 1, 2), "Nam"]


def test_council_minutes_pdf_names_the_nominee_without_personal_fields(dossier, unit, users, tmp_path, db):
    council = factories.make_council(unit=unit, members=[(users[Role.COUNCIL_MEMBER], "chair")])
    session = factories.make_session(council=council, status="closed", nominations=[dossier],
                                     closed_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC))
    text = _pdf_text(minutes_pdf(session), tmp_path)
    assert "Lê Thị Hồng Nhung" in text
    for value in (*HIDDEN, "1980"):
        assert value not in text


def test_decision_annex_pdf_and_excel_print_no_personal_fields(person, province, users, login_as, tmp_path):
    decision = factories.make_decision(issuer=province, awardees=[person])
    text = _pdf_text(annex_pdf(decision), tmp_path)
    assert "Lê Thị Hồng Nhung" in text
    approver = login_as(users[Role.APPROVER])
    cells = " ".join(str(v) for row in _sheet_rows(approver.get(f"/decisions/{decision.id}/annex.xlsx").data)
                     for v in row if v is not None)
    assert "Lê Thị Hồng Nhung" in cells
    for value in (*HIDDEN, "1980-03-15", "1980"):
        assert value not in text and value not in cells


@pytest.mark.parametrize("role", sorted(REVIEWERS), ids=lambda r: r.value)
def test_pages_a_reviewer_reaches_show_no_birth_date_or_national_id(role, users, login_as, unit, dossier, db):
    council = factories.make_council(unit=unit, members=[(users[Role.COUNCIL_MEMBER], "chair")])
    session = factories.make_session(council=council, nominations=[dossier])
    http = login_as(users[role])
    for url in (f"/nominations/{dossier.id}", f"/councils/sessions/{session.id}", "/dashboard/",
                f"/registry/people/{dossier.person.id}", "/registry/?q=nhung"):
        page = _text(http.get(url))
        for value in HIDDEN:
            assert value not in page, (url, value)


def test_public_pages_show_no_birth_date_or_national_id(client, person, dossier, province, db):
    decision = factories.make_decision(issuer=province, awardees=[person])
    verify = _text(client.get(f"/verify/{decision.items[0].verify_code}"))
    assert "Lê Thị Hồng Nhung" in verify and decision.number in verify
    today = date.today()
    notice = PublicNotice(title="Công khai Bằng khen", award_type=dossier.award_type, starts_on=today - timedelta(days=1),
                          ends_on=today + timedelta(days=5), nominations=[dossier])
    db.session.add(notice)
    db.session.commit()
    listed = _text(client.get(f"/public/notices/{notice.id}"))
    assert "Lê Thị Hồng Nhung" in listed
    for value in (*HIDDEN, "1980"):
        assert value not in verify and value not in listed


# --- the export of one person's data ---------------------------------------------------------------

def _upload(app, name: str, data: bytes) -> str:
    (app.config["UPLOAD_FOLDER"] / name).write_bytes(data)
    return name


def _fill(person, unit, province, users, app, db, *, tag: str, summary: str, comment: str,
          decision_number: str | None = None):
    """Data about `person` in every table that can name a person."""
    award = factories.make_award_record(code="CSTDCS", year=2023, person=person,
                                        decision_number=decision_number or f"12/QĐ-{tag}")
    factories.make_evaluation(year=2024, rating="excellent", person=person)
    initiative = factories.make_initiative(person=person, title=f"Sáng kiến số hóa bài giảng {tag}")
    db.session.add(DisciplineRecord(person=person, level=f"Khiển trách {tag}", starts_on=date(2019, 1, 1),
                                    ends_on=date(2019, 12, 31)))
    dossier = factories.make_nomination(unit=person.unit, code="BK_TINH", person=person, status="accepted",
                                        year=2025, achievement_summary=summary)
    dossier.initiatives.append(initiative)
    dossier.events.append(NominationEvent(action="accept", from_status=NominationStatus.SUBMITTED,
                                          to_status=NominationStatus.ACCEPTED, actor_id=users[Role.SECRETARIAT].id,
                                          note=f"Đủ điều kiện {tag}", at=datetime(2026, 2, 1, 2, 0, tzinfo=UTC)))
    stored = _upload(app, f"privacy-{tag}.pdf", f"%PDF-1.4 báo cáo {tag}".encode())
    db.session.add(NominationAttachment(nomination=dossier, part=DossierPart.ACHIEVEMENT_REPORT,
                                        original_name=f"Báo cáo thành tích {tag}.pdf", stored_name=stored,
                                        content_type="application/pdf", size=len(f"%PDF-1.4 báo cáo {tag}".encode()),
                                        sha256="0" * 64))
    notice = PublicNotice(title=f"Công khai {tag}", award_type=dossier.award_type, starts_on=date(2026, 1, 1),
                          ends_on=date(2026, 1, 10), nominations=[dossier])
    db.session.add(NoticeComment(notice=notice, nomination=dossier, body=comment, author_name=f"Người góp ý {tag}",
                                 contact="0912345678", ip="10.1.2.3"))
    seat_user = factories.make_user(full_name=person.full_name, roles=[Role.COUNCIL_MEMBER])
    council = factories.make_council(unit=unit, name=f"Hội đồng TĐKT {tag}", members=[(seat_user, "member")])
    council.members[0].person_id = person.id
    session = factories.make_session(council=council, status="closed", nominations=[dossier],
                                     closed_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC))
    session.agenda[0].result = AgendaResult.APPROVED
    decision = factories.make_decision(issuer=province, awardees=[person])
    factories.make_good_model(unit=unit, status="recognised", title=f"Mô hình lớp học thông minh {tag}",
                              awards=[award])
    gone = factories.make_award_record(code="LDTT", year=2019, person=person, note=f"xóa {tag}")
    services.delete_award_record(gone)
    db.session.flush()
    return {"dossier": dossier, "decision": decision, "gone_id": str(gone.id)}


@pytest.fixture
def seeded(app, db, unit, province, users, person):
    mine = _fill(person, unit, province, users, app, db, tag="NHUNG", summary="Ba năm liền Chiến sĩ thi đua cơ sở.",
                 comment="Đồng chí Nhung rất tận tụy.")
    other_unit = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    other = factories.make_person(full_name=OTHER["name"], unit=other_unit, national_id=OTHER["national_id"],
                                  birth_date=date(1970, 2, 2))
    theirs = _fill(other, other_unit, province, users, app, db, tag="KHAC", summary=OTHER["summary"],
                   comment=OTHER["comment"], decision_number=OTHER["decision"])
    db.session.commit()
    return {"person": person, "other": other, **mine, "other_code": theirs["decision"].items[0].verify_code}


def _export(login_as, users, person, role=Role.SECRETARIAT):
    response = login_as(users[role]).post(f"/registry/people/{person.id}/export")
    data = response.data
    response.close()  # closes the spooled file the archive was built in
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(data))


def test_export_holds_every_part_of_the_persons_data(seeded, login_as, users):
    person = seeded["person"]
    archive = _export(login_as, users, person)
    data = json.loads(archive.read(privacy.JSON_NAME))
    rows = {key: section["rows"] for key, section in data["sections"].items()}
    assert rows["person"] == [{"id": person.id, "full_name": "Lê Thị Hồng Nhung", "gender": "Nữ",
                               "birth_date": "1980-03-15", "national_id": NATIONAL_ID, "position": "Phó Giám đốc",
                               "unit": "Sở Giáo dục và Đào tạo (38.SGDDT)", "subject_category": None,
                               "hired_on": "2005-09-01", "created_at": rows["person"][0]["created_at"]}]
    assert [r["decision_number"] for r in rows["awards"]] == ["12/QĐ-NHUNG"]
    assert rows["evaluations"] == [{"year": 2024, "rating": "Hoàn thành xuất sắc nhiệm vụ"}]
    assert rows["initiatives"][0]["title"] == "Sáng kiến số hóa bài giảng NHUNG"
    assert rows["discipline"][0]["level"] == "Khiển trách NHUNG"
    dossier_id = seeded["dossier"].id
    assert [(r["id"], r["achievement_summary"], r["initiatives"]) for r in rows["nominations"]] == [
        (dossier_id, "Ba năm liền Chiến sĩ thi đua cơ sở.", "Sáng kiến số hóa bài giảng NHUNG")]
    assert rows["nomination_events"][0]["note"] == "Đủ điều kiện NHUNG"
    assert rows["nomination_events"][0]["action"] == "Tiếp nhận (đủ điều kiện)"
    attachment = rows["attachments"][0]
    assert attachment["original_name"] == "Báo cáo thành tích NHUNG.pdf"
    assert archive.read(attachment["in_archive"]) == "%PDF-1.4 báo cáo NHUNG".encode()
    assert rows["comments"] == [{"nomination_id": dossier_id, "notice": "Công khai NHUNG",
                                 "created_at": rows["comments"][0]["created_at"],
                                 "body": "Đồng chí Nhung rất tận tụy."}]
    assert rows["council_results"][0]["result"] == "Đề nghị khen thưởng"
    assert [r["verify_code"] for r in rows["certificates"]] == [seeded["decision"].items[0].verify_code]
    assert rows["good_models"][0]["title"] == "Mô hình lớp học thông minh NHUNG"
    assert rows["council_seats"] == [{"council": "Hội đồng TĐKT NHUNG", "role": MemberRole.MEMBER.label,
                                      "position": None, "term_from": "2024-01-01", "term_to": None}]
    audited = {(r["object_type"], r["object_id"], r["action"]) for r in rows["audit"]}
    assert ("Cá nhân", str(person.id), "Tạo mới") in audited
    assert ("Sổ khen thưởng", seeded["gone_id"], "Xóa khen thưởng khỏi sổ") in audited  # a deleted row, found by its person_id
    assert ("Hồ sơ đề nghị khen thưởng", str(dossier_id), "Tạo mới") in audited


def test_export_workbook_has_vietnamese_sheets_and_labels(seeded, login_as, users):
    archive = _export(login_as, users, seeded["person"])
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(privacy.XLSX_NAME)))
    assert workbook.sheetnames[:3] == ["Thông tin cá nhân", "Khen thưởng trong sổ", "Đánh giá, xếp loại hằng năm"]
    assert "Nhật ký hệ thống về người này" in workbook.sheetnames
    identity = {row[0]: row[1] for row in workbook["Thông tin cá nhân"].iter_rows(min_row=4, values_only=True)}
    assert identity["Họ và tên"] == "Lê Thị Hồng Nhung" and identity["Số CMND/CCCD"] == NATIONAL_ID
    assert identity["Ngày sinh"] == datetime(1980, 3, 15) and identity["Giới tính"] == "Nữ"
    header = [c.value for c in workbook["Hồ sơ đề nghị khen thưởng"][4]]
    assert header[:3] == ["Mã hồ sơ", "Danh hiệu, hình thức đề nghị", "Năm"]
    readme = archive.read(privacy.README_NAME).decode("utf-8")
    assert "Nghị định 13/2023/NĐ-CP" in readme and "Hồ sơ đề nghị khen thưởng: 1 dòng" in readme


def test_export_holds_nothing_of_another_person(seeded, login_as, users):
    archive = _export(login_as, users, seeded["person"])
    texts = [archive.read(privacy.JSON_NAME).decode("utf-8"), archive.read(privacy.README_NAME).decode("utf-8")]
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(privacy.XLSX_NAME)))
    texts += [" ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
              for ws in workbook.worksheets]
    everything = "\n".join(texts)
    for value in (*OTHER.values(), seeded["other_code"], "KHAC", "1970", "Người góp ý", "0912345678", "10.1.2.3"):
        assert value not in everything, value
    assert not [n for n in archive.namelist() if "khac" in n.lower()]


def test_export_is_audited_with_who_and_when(seeded, login_as, users, db):
    person = seeded["person"]
    _export(login_as, users, person)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "person.export"))
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("people", str(person.id),
                                                                    users[Role.SECRETARIAT].id)
    assert entry.actor_name == str(users[Role.SECRETARIAT]) and entry.at is not None
    assert entry.changes["attachments"] == 1
    # The next export tells the data subject about the first one.
    data = json.loads(_export(login_as, users, person, role=Role.ADMIN).read(privacy.JSON_NAME))
    assert "Xuất dữ liệu cá nhân (yêu cầu của chủ thể dữ liệu)" in {r["action"] for r in data["sections"]["audit"]["rows"]}


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER, Role.COUNCIL_MEMBER, Role.APPROVER], ids=lambda r: r.value)
def test_export_is_refused_to_other_roles_and_not_audited(role, person, users, login_as, db):
    response = login_as(users[role]).post(f"/registry/people/{person.id}/export")
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "person.export")) == 0


def test_export_by_an_anonymous_visitor_goes_to_login(person, client, db):
    response = client.post(f"/registry/people/{person.id}/export")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "person.export")) == 0


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_export_button_shows_only_for_staff(role, users, login_as, person):
    page = _text(login_as(users[role]).get(f"/registry/people/{person.id}"))
    assert ("Xuất dữ liệu cá nhân" in page) == (role in {Role.ADMIN, Role.SECRETARIAT})


def test_export_lists_files_beyond_the_size_limit_without_adding_them(seeded, users, db, app):
    with app.test_request_context():
        export = privacy.export_person(seeded["person"], actor=users[Role.SECRETARIAT], max_attachment_bytes=5)
    with export.file:
        archive = zipfile.ZipFile(io.BytesIO(export.file.read()))
    attachment = json.loads(archive.read(privacy.JSON_NAME))["sections"]["attachments"]["rows"][0]
    assert attachment["in_archive"].startswith("Không kèm theo")
    assert not [n for n in archive.namelist() if n.startswith(privacy.FILES_DIR)]
    assert (export.attachments_included, export.attachments_listed) == (0, 1)
