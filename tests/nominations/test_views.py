"""Dossier pages over HTTP: lists, the form, the dossier page, workflow buttons, uploads, submission
letters and the secretariat queue."""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.nominations.models import Nomination, NominationAttachment, NominationStatus, SubmissionBatch
from thidua.registry.models import Person
from thidua.rules.models import DossierPart

from .helpers import PDF, attach, complete_nomination

YEAR = date.today().year


def _count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _form(**overrides):
    data = {"unit_id": "", "nominee_kind": "individual", "person_q": "", "person_id": "", "new_full_name": "",
            "new_gender": "", "new_birth_date": "", "new_position": "", "new_unit_id": "0",
            "new_subject_category": "", "nominee_unit_id": "0", "award_type_id": "", "method": "regular",
            "year": str(YEAR), "campaign_id": "0", "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm học."}
    data.update({k: str(v) for k, v in overrides.items()})
    return data


@pytest.fixture
def officer(users, login_as):
    return login_as(users[Role.UNIT_OFFICER])


@pytest.fixture
def secretariat(users, login_as):
    return login_as(users[Role.SECRETARIAT])


# --- the unit's list -----------------------------------------------------------------------------

def test_index_shows_an_officer_only_the_dossiers_of_their_units(db, unit, province, officer):
    school = unit.children[0]
    factories.make_nomination(unit=school, person=factories.make_person(full_name="Lê Thị Hoa", unit=school))
    other = factories.make_unit(parent=province, name="Sở Y tế")
    factories.make_nomination(unit=other, person=factories.make_person(full_name="Bác sĩ Ngoài Phạm Vi", unit=other))
    page = officer.get("/nominations/").get_data(as_text=True)
    assert "Lê Thị Hoa" in page and "Ngoài Phạm Vi" not in page


def test_index_shows_the_secretariat_every_unit_with_counts_per_status(db, unit, province, secretariat):
    other = factories.make_unit(parent=province)
    factories.make_nomination(unit=unit, status="submitted")
    factories.make_nomination(unit=unit, status="submitted")
    factories.make_nomination(unit=other, status="returned")
    page = secretariat.get("/nominations/").get_data(as_text=True)
    assert 'data-status="submitted"' in page
    assert "Đã gửi, chờ thẩm định <span class=\"badge text-bg-light\">2</span>" in page
    assert "Trả lại bổ sung <span class=\"badge text-bg-light\">1</span>" in page


def test_index_filters_by_status_award_and_year(db, unit, secretariat):
    factories.make_nomination(unit=unit, person=factories.make_person(full_name="Người Đã Gửi", unit=unit),
                              status="submitted")
    factories.make_nomination(unit=unit, person=factories.make_person(full_name="Người Dự Thảo", unit=unit))
    factories.make_nomination(unit=unit, code="TTLDTT")
    factories.make_nomination(unit=unit, person=factories.make_person(full_name="Người Năm Trước", unit=unit),
                              year=YEAR - 1, status="submitted")
    page = secretariat.get(f"/nominations/?status=submitted&award=LDTT&year={YEAR}").get_data(as_text=True)
    page = page[page.index('id="nominations"'):]
    assert "Người Đã Gửi" in page
    assert "Người Dự Thảo" not in page and "Người Năm Trước" not in page and "Tập thể lao động tiên tiến" not in page


# --- the dossier form ----------------------------------------------------------------------------

def test_create_for_a_registry_person_saves_a_draft_and_opens_it(db, unit, officer):
    person = factories.make_person(full_name="Nguyễn Văn An", unit=unit.children[0])
    at = factories.award_type("LDTT")
    response = officer.post("/nominations/new", data=_form(unit_id=unit.id, person_id=person.id, award_type_id=at.id))
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/nominations/{nomination.id}")
    assert (nomination.person_id, nomination.status) == (person.id, NominationStatus.DRAFT)


def test_create_search_finds_people_without_diacritics_and_saves_nothing(db, unit, province, officer):
    factories.make_person(full_name="Nguyễn Văn An", unit=unit)
    factories.make_person(full_name="Nguyễn Văn Bình", unit=unit)
    factories.make_person(full_name="Nguyễn Văn Ân", unit=factories.make_unit(parent=province))
    response = officer.post("/nominations/new", data=_form(unit_id=unit.id, person_q="nguyen van an", search="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nguyễn Văn An" in page
    assert "Nguyễn Văn Bình" not in page and "Nguyễn Văn Ân" not in page  # another unit's namesake stays hidden
    assert _count(db, Nomination) == 0


def test_create_with_a_new_person_adds_them_to_the_registry(db, unit, officer):
    at = factories.award_type("CSTDCS")
    response = officer.post("/nominations/new", data=_form(
        unit_id=unit.id, person_id="new", new_full_name="Đỗ Thị Mai", new_birth_date="05/03/1988",
        new_unit_id=unit.id, new_subject_category="direct_worker", award_type_id=at.id))
    assert response.status_code == 302
    person = db.session.scalars(sa.select(Person)).one()
    assert (person.full_name, person.birth_date) == ("Đỗ Thị Mai", date(1988, 3, 5))
    assert db.session.scalars(sa.select(Nomination)).one().person == person


def test_create_with_errors_keeps_what_was_typed_and_explains_in_vietnamese(db, unit, officer):
    at = factories.award_type("LDTT")
    response = officer.post("/nominations/new", data=_form(
        unit_id=unit.id, person_id="new", new_full_name="Đỗ  Thị Mai", new_birth_date="31/02/1988",
        award_type_id=at.id, achievement_summary="", year="1990"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Đỗ  Thị Mai"' in page and 'value="31/02/1988"' in page
    assert "Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy" in page
    assert "Vui lòng tóm tắt thành tích." in page
    assert "Vui lòng chọn đơn vị công tác." in page
    assert f"Năm xét phải từ 2000 đến {YEAR + 1}." in page
    assert _count(db, Nomination) == 0 and _count(db, Person) == 0


def test_create_refusal_from_the_service_is_shown_beside_the_field(db, unit, officer):
    person = factories.make_person(unit=unit)
    at = factories.award_type("TTLDTT")  # a collective title
    page = officer.post("/nominations/new", data=_form(unit_id=unit.id, person_id=person.id,
                                                       award_type_id=at.id)).get_data(as_text=True)
    assert "“Tập thể lao động tiên tiến” không xét tặng cho cá nhân." in page
    assert 'class="form-select is-invalid" id="award_type_id"' in page
    assert _count(db, Nomination) == 0


def test_create_for_a_person_of_another_unit_by_id_is_refused(db, unit, province, officer):
    stranger = factories.make_person(unit=factories.make_unit(parent=province))
    page = officer.post("/nominations/new", data=_form(unit_id=unit.id, person_id=stranger.id,
                                                       award_type_id=factories.award_type("LDTT").id)).get_data(as_text=True)
    assert "Người được chọn không có trong sổ của đơn vị bạn." in page
    assert _count(db, Nomination) == 0


def test_create_duplicate_dossier_is_refused_with_a_clear_message(db, unit, officer):
    first = factories.make_nomination(unit=unit)
    db.session.commit()
    page = officer.post("/nominations/new", data=_form(unit_id=unit.id, person_id=first.person_id,
                                                       award_type_id=first.award_type_id)).get_data(as_text=True)
    assert f"Đơn vị đã có hồ sơ đề nghị “Lao động tiên tiến” năm {YEAR}" in page
    assert _count(db, Nomination) == 1


def test_create_for_a_collective_records_the_unit_and_its_flags(db, unit, officer):
    school = unit.children[0]
    at = factories.award_type("TTLDTT")
    response = officer.post("/nominations/new", data=_form(unit_id=unit.id, nominee_kind="collective",
                                                           nominee_unit_id=school.id, is_enterprise="y",
                                                           award_type_id=at.id))
    assert response.status_code == 302
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert (nomination.nominee_unit, nomination.is_enterprise, nomination.person) == (school, True, None)


def test_create_new_person_already_in_the_registry_lists_the_namesake_to_pick(db, unit, officer):
    existing = factories.make_person(full_name="Đỗ Thị Mai", birth_date=date(1988, 3, 5), unit=unit)
    db.session.commit()
    page = officer.post("/nominations/new", data=_form(
        unit_id=unit.id, person_id="new", new_full_name="Đỗ Thị Mai", new_birth_date="05/03/1988",
        new_unit_id=unit.id, new_subject_category="direct_worker",
        award_type_id=factories.award_type("LDTT").id)).get_data(as_text=True)
    assert "Sổ đã có “Đỗ Thị Mai”, sinh ngày 05/03/1988 cùng đơn vị." in page
    assert f'id="person-{existing.id}" value="{existing.id}"' in page
    assert _count(db, Person) == 1 and _count(db, Nomination) == 0


def test_edit_form_opens_with_the_dossier_values(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, achievement_summary="Thành tích đã lưu")
    page = officer.get(f"/nominations/{nomination.id}/edit").get_data(as_text=True)
    assert "Thành tích đã lưu" in page
    assert f'id="person-{nomination.person_id}" value="{nomination.person_id}" checked' in page
    assert f'name="version" type="hidden" value="{nomination.version}"' in page


def test_edit_with_a_stale_version_saves_nothing(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, achievement_summary="Bản gốc")
    db.session.commit()
    stale = nomination.version
    nomination.achievement_summary = "Bản người khác vừa lưu"
    db.session.commit()
    response = officer.post(f"/nominations/{nomination.id}/edit", data=_form(
        unit_id=unit.id, person_id=nomination.person_id, award_type_id=nomination.award_type_id, version=stale,
        achievement_summary="Bản của tôi"))
    assert "Hồ sơ vừa được người khác sửa" in response.get_data(as_text=True)
    db.session.refresh(nomination)
    assert nomination.achievement_summary == "Bản người khác vừa lưu"


def test_edit_after_submission_is_forbidden(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    assert officer.get(f"/nominations/{nomination.id}/edit").status_code == 403


# --- the dossier page ----------------------------------------------------------------------------

def test_detail_shows_the_eligibility_checklist_with_reasons_and_legal_references(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, code="LDTT")
    factories.make_evaluation(year=YEAR, rating="good", person=nomination.person)
    page = officer.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert 'id="checklist"' in page
    assert 'data-outcome="pass"' in page
    assert "Hoàn thành tốt nhiệm vụ" in page
    assert "Căn cứ: " in page and "Điều 24" in page


def test_detail_highlights_missing_required_parts(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, code="LDTT")
    attach(nomination, DossierPart.ACHIEVEMENT_REPORT)
    page = officer.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert 'class="table-danger" data-part="council_minutes"' in page
    assert 'class="" data-part="achievement_report"' in page
    assert "Còn thiếu: <strong>Biên bản họp Hội đồng TĐKT đơn vị</strong>" in page


def test_detail_flags_a_quota_the_unit_goes_over(db, unit, officer):
    factories.award_type("CSTDCS")  # seeds the quota rule CSTĐCS ≤ 15% of LĐTT (a warning)
    nomination = factories.make_nomination(unit=unit, code="CSTDCS")
    page = officer.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    quota = page[page.index('id="quota"'):]
    assert "Đề nghị 1 CSTĐCS, vượt tỷ lệ 15%" in quota and "alert-warning" in quota


def test_detail_offers_only_the_actions_the_user_may_take(db, unit, officer, secretariat):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    officer_page = officer.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    staff_page = secretariat.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    assert "/withdraw" in officer_page and "/accept" not in officer_page
    assert all(f"/{a}" in staff_page for a in ("return", "accept", "reject")) and "/withdraw" not in staff_page


def test_detail_of_another_units_dossier_is_forbidden_to_an_officer(db, unit, province, officer):
    other = factories.make_nomination(unit=factories.make_unit(parent=province))
    assert officer.get(f"/nominations/{other.id}").status_code == 403
    assert officer.get(f"/nominations/{other.id}/edit").status_code == 403
    assert officer.post(f"/nominations/{other.id}/withdraw").status_code == 403
    assert other.status == NominationStatus.DRAFT


def test_detail_of_an_unknown_dossier_is_not_found(db, officer):
    assert officer.get("/nominations/999999").status_code == 404


# --- workflow over HTTP --------------------------------------------------------------------------

def test_submit_with_parts_missing_is_refused_with_the_list_and_changes_nothing(db, unit, officer):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    response = officer.post(f"/nominations/{nomination.id}/submit", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Chưa gửi được hồ sơ: thiếu “Báo cáo thành tích”; thiếu “Biên bản họp Hội đồng TĐKT đơn vị”" in page
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.DRAFT


def test_file_return_resubmit_journey_keeps_a_timeline(db, unit, users, officer, secretariat):
    nomination = complete_nomination(unit=unit)
    assert officer.post(f"/nominations/{nomination.id}/submit").status_code == 302
    secretariat.post(f"/nominations/{nomination.id}/return", data={"note": "Bổ sung minh chứng sáng kiến"})
    officer.post(f"/nominations/{nomination.id}/submit", data={"note": "Đã bổ sung"})
    secretariat.post(f"/nominations/{nomination.id}/accept")
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.ACCEPTED
    page = officer.get(f"/nominations/{nomination.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    assert timeline.count('data-action="submit"') == 2 and 'data-action="return"' in timeline
    assert "Bổ sung minh chứng sáng kiến" in timeline and users[Role.SECRETARIAT].full_name in timeline


def test_return_without_a_note_is_refused_and_changes_nothing(db, unit, secretariat):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    db.session.commit()
    page = secretariat.post(f"/nominations/{nomination.id}/return", data={"note": "  "},
                            follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng ghi rõ nội dung cần bổ sung" in page
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.SUBMITTED and nomination.events == []


def test_reject_with_a_reason_closes_the_dossier(db, unit, secretariat):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    secretariat.post(f"/nominations/{nomination.id}/reject", data={"note": "Không đủ 3 năm CSTĐCS liên tục"})
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.REJECTED
    assert nomination.events[-1].note == "Không đủ 3 năm CSTĐCS liên tục"


def test_accept_by_a_unit_officer_is_forbidden(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    assert officer.post(f"/nominations/{nomination.id}/accept").status_code == 403
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.SUBMITTED


def test_action_on_a_dossier_moved_meanwhile_is_refused_with_its_status(db, unit, secretariat):
    nomination = factories.make_nomination(unit=unit, status="withdrawn")
    db.session.commit()
    page = secretariat.post(f"/nominations/{nomination.id}/accept", follow_redirects=True).get_data(as_text=True)
    assert "Không thể tiếp nhận hồ sơ đang ở trạng thái “Đơn vị đã rút”." in page
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.WITHDRAWN


def test_action_post_without_csrf_token_is_refused(db, unit, users, csrf_app, login_as):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    response = login_as(users[Role.SECRETARIAT]).post(f"/nominations/{nomination.id}/accept")
    assert response.status_code == 400
    db.session.refresh(nomination)
    assert nomination.status == NominationStatus.SUBMITTED


# --- uploads -------------------------------------------------------------------------------------

def _upload(client, nomination, content: bytes, name: str, part="achievement_report"):
    return client.post(f"/nominations/{nomination.id}/attachments/new",
                       data={"part": part, "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _stored_files(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir()}


def test_upload_pdf_is_stored_under_a_random_name_and_downloaded_with_permission(app, db, unit, province, officer,
                                                                                 users, login_as):
    nomination = factories.make_nomination(unit=unit)
    response = _upload(officer, nomination, PDF, "Báo cáo thành tích.pdf")
    assert response.status_code == 302
    attachment = db.session.scalars(sa.select(NominationAttachment)).one()
    assert attachment.original_name == "Báo cáo thành tích.pdf" and attachment.stored_name != attachment.original_name
    url = f"/nominations/{nomination.id}/attachments/{attachment.id}"
    download = officer.get(url)
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert login_as(users[Role.COUNCIL_MEMBER]).get(url).status_code == 403  # a draft is not the council's yet


def test_upload_executable_renamed_pdf_is_refused_with_the_reason(app, db, unit, officer):
    nomination = factories.make_nomination(unit=unit)
    before = _stored_files(app)
    response = _upload(officer, nomination, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "bao-cao.pdf")
    assert response.status_code == 200
    assert "Nội dung tệp không phải định dạng được chấp nhận" in response.get_data(as_text=True)
    assert _count(db, NominationAttachment) == 0 and _stored_files(app) == before


def test_upload_oversized_file_is_refused(app, db, unit, officer, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024)
    nomination = factories.make_nomination(unit=unit)
    response = _upload(officer, nomination, PDF + b"0" * 2048, "lon.pdf")
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert _count(db, NominationAttachment) == 0


def test_upload_with_a_path_traversal_name_stays_in_the_upload_folder(app, db, unit, officer):
    nomination = factories.make_nomination(unit=unit)
    _upload(officer, nomination, PDF, "../../../etc/passwd.pdf")
    attachment = db.session.scalars(sa.select(NominationAttachment)).one()
    assert attachment.original_name == "passwd.pdf"
    assert "/" not in attachment.stored_name and (Path(app.config["UPLOAD_FOLDER"]) / attachment.stored_name).exists()


def test_upload_after_submission_is_forbidden(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    assert _upload(officer, nomination, PDF, "muon.pdf").status_code == 403


def test_download_of_another_dossiers_attachment_id_is_not_found(db, unit, officer):
    first, second = factories.make_nomination(unit=unit), factories.make_nomination(unit=unit)
    attach(first, DossierPart.EVIDENCE)
    attachment = first.attachments[0]
    assert officer.get(f"/nominations/{second.id}/attachments/{attachment.id}").status_code == 404


def test_delete_attachment_removes_record_and_file(app, db, unit, officer):
    nomination = factories.make_nomination(unit=unit)
    _upload(officer, nomination, PDF, "bc.pdf")
    attachment = db.session.scalars(sa.select(NominationAttachment)).one()
    path = Path(app.config["UPLOAD_FOLDER"]) / attachment.stored_name
    officer.post(f"/nominations/{nomination.id}/attachments/{attachment.id}/delete")
    assert _count(db, NominationAttachment) == 0 and not path.exists()


# --- initiatives ---------------------------------------------------------------------------------

def test_add_initiative_from_the_dossier(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, code="CSTDCS")
    response = officer.post(f"/nominations/{nomination.id}/initiatives/new", data={
        "title": "Ứng dụng bản đồ tư duy", "level": "unit", "decision_ref": "15/QĐ-SGDĐT", "recognised_on": "20/05/2025"})
    assert response.status_code == 302
    db.session.refresh(nomination)
    assert [i.title for i in nomination.initiatives] == ["Ứng dụng bản đồ tư duy"]
    assert nomination.initiatives[0].recognised_on == date(2025, 5, 20)


def test_link_an_initiative_already_in_the_registry(db, unit, officer):
    nomination = factories.make_nomination(unit=unit, code="CSTDCS")
    initiative = factories.make_initiative(person=nomination.person, title="Sáng kiến đã công nhận")
    page = officer.get(f"/nominations/{nomination.id}/initiatives/new").get_data(as_text=True)
    assert "Sáng kiến đã công nhận" in page
    officer.post(f"/nominations/{nomination.id}/initiatives/link", data={"initiative_id": initiative.id})
    db.session.refresh(nomination)
    assert nomination.initiatives == [initiative]


def test_link_another_persons_initiative_by_id_is_refused(db, unit, officer):
    nomination = factories.make_nomination(unit=unit)
    stranger = factories.make_initiative(person=factories.make_person(unit=unit))
    db.session.commit()
    officer.post(f"/nominations/{nomination.id}/initiatives/link", data={"initiative_id": stranger.id})
    db.session.refresh(nomination)
    assert nomination.initiatives == []


# --- the secretariat queue -----------------------------------------------------------------------

def _submitted(unit, *, at, campaign=None, code="LDTT", name=None):
    n = factories.make_nomination(unit=unit, code=code, campaign=campaign, status="submitted",
                                  person=factories.make_person(full_name=name, unit=unit) if name else None)
    n.submitted_at = at
    return n


def test_queue_orders_by_campaign_deadline_then_arrival_and_counts(db, unit, province, secretariat):
    other = factories.make_unit(parent=province, name="Sở Y tế")
    soon = factories.make_campaign(nomination_deadline=date.today() + timedelta(days=5))
    later = factories.make_campaign(nomination_deadline=date.today() + timedelta(days=50))
    t0 = datetime(YEAR, 1, 10, tzinfo=UTC)
    no_campaign = _submitted(unit, at=t0)
    later_first = _submitted(other, at=t0 + timedelta(hours=1), campaign=later)
    soon_second = _submitted(unit, at=t0 + timedelta(hours=3), campaign=soon, code="TTLDTT")
    soon_first = _submitted(unit, at=t0 + timedelta(hours=2), campaign=soon)
    factories.make_nomination(unit=unit, status="draft")
    response = secretariat.get("/nominations/queue")
    page = response.get_data(as_text=True)
    order = [page.index(f'data-id="{n.id}"') for n in (soon_first, soon_second, later_first, no_campaign)]
    assert order == sorted(order)
    by_unit = page[page.index('id="count-by-unit"'):page.index('id="count-by-award"')]
    assert f'data-unit="{unit.id}"' in by_unit and ">3</span>" in by_unit and ">1</span>" in by_unit
    by_award = page[page.index('id="count-by-award"'):page.index('id="queue"')]
    assert 'data-award="LDTT"' in by_award and 'data-award="TTLDTT"' in by_award


def test_queue_filters_by_unit(db, unit, province, secretariat):
    other = factories.make_unit(parent=province)
    mine = _submitted(unit, at=datetime(YEAR, 1, 1, tzinfo=UTC))
    theirs = _submitted(other, at=datetime(YEAR, 1, 1, tzinfo=UTC))
    page = secretariat.get(f"/nominations/queue?unit_id={other.id}").get_data(as_text=True)
    assert f'data-id="{theirs.id}"' in page and f'data-id="{mine.id}"' not in page


def test_queue_is_forbidden_to_unit_officers(db, officer):
    assert officer.get("/nominations/queue").status_code == 403


def test_queue_query_count_does_not_grow_with_rows(app, db, unit, secretariat):
    from thidua.extensions import db as _db

    def queries_for_page():
        db.session.commit()  # the same starting state each time: nothing pending, everything expired
        statements = []

        def count(*args, **kwargs):
            statements.append(args[2])

        sa.event.listen(_db.engine, "before_cursor_execute", count)
        try:
            assert secretariat.get("/nominations/queue").status_code == 200
            assert secretariat.get("/nominations/").status_code == 200
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(2):
        _submitted(unit, at=datetime(YEAR, 1, 1, tzinfo=UTC), campaign=factories.make_campaign())
    queries_for_page()  # warm up: per-process caches
    few = queries_for_page()
    for _ in range(15):
        _submitted(unit, at=datetime(YEAR, 1, 1, tzinfo=UTC), campaign=factories.make_campaign(), code="TTLDTT"
                   if _ % 2 else "LDTT")
    assert queries_for_page() == few


# --- submission letters --------------------------------------------------------------------------

def test_batch_submit_over_http_is_all_or_nothing(db, unit, officer):
    officer.post("/nominations/batches/new", data={"unit_id": unit.id, "number": "12/TTr-SGDĐT",
                                                   "dated_on": "10/12/2025", "title": "Đề nghị tặng danh hiệu"})
    batch = db.session.scalars(sa.select(SubmissionBatch)).one()
    assert batch.dated_on == date(2025, 12, 10)
    ready, incomplete = complete_nomination(unit=unit), factories.make_nomination(unit=unit, code="TTLDTT")
    officer.post(f"/nominations/batches/{batch.id}/add", data={"nomination_ids": [ready.id, incomplete.id]})
    page = officer.post(f"/nominations/batches/{batch.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert f"Hồ sơ số {incomplete.id}" in page
    db.session.refresh(ready)
    assert ready.status == NominationStatus.DRAFT
    attach(incomplete, *incomplete.award_type.required_parts)
    db.session.commit()
    officer.post(f"/nominations/batches/{batch.id}/submit")
    db.session.refresh(ready)
    db.session.refresh(incomplete)
    assert ready.status == incomplete.status == NominationStatus.SUBMITTED


def test_batch_with_a_taken_number_is_refused_beside_the_field(db, unit, officer):
    data = {"unit_id": unit.id, "number": "12/TTr-SGDĐT", "dated_on": "10/12/2025", "title": "Đề nghị"}
    officer.post("/nominations/batches/new", data=data)
    page = officer.post("/nominations/batches/new", data=data).get_data(as_text=True)
    assert "Đơn vị đã có tờ trình số “12/TTr-SGDĐT”." in page
    assert _count(db, SubmissionBatch) == 1


def test_batch_of_another_unit_is_forbidden(db, unit, province, officer):
    from thidua.nominations import services

    batch = services.create_batch(unit=factories.make_unit(parent=province), number="1/TTr", dated_on=date.today(),
                                  title="Khác", actor=None)
    db.session.commit()
    assert officer.get(f"/nominations/batches/{batch.id}").status_code == 403
    assert officer.post(f"/nominations/batches/{batch.id}/submit").status_code == 403
