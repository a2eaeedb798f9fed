"""Dossier services: creating and editing, nominee and catalogue rules, duplicates, versions,
initiatives, attachments, submission checks and submission letters."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.nominations import services
from thidua.nominations.models import Nomination, NominationStatus, SubmissionBatch
from thidua.nominations.workflow import InvalidTransition, transition
from thidua.registry.models import Initiative, Person, RecognitionLevel, SubjectCategory
from thidua.rules.models import AwardMethod, AwardType, DossierPart, QuotaRule

from .helpers import attach, complete_nomination, upload

YEAR = date.today().year


def _create(unit, *, code="LDTT", person=None, new_person=None, nominee_unit=None, year=YEAR, campaign=None,
            method=AwardMethod.REGULAR, actor=None, **nominee_flags):
    nominee = services.Nominee(person=person, new_person=new_person, unit=nominee_unit, **nominee_flags)
    return services.create_nomination(unit=unit, nominee=nominee, award_type=factories.award_type(code), method=method,
                                      year=year, achievement_summary="Hoàn thành xuất sắc nhiệm vụ.",
                                      campaign=campaign, actor=actor)


def _count(model, *where):
    from thidua.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- creating ------------------------------------------------------------------------------------

def test_create_for_person_of_a_unit_below_saves_a_draft(db, unit, users):
    school = unit.children[0]
    teacher = factories.make_person(full_name="Lê Thị Hoa", unit=school)
    nomination = _create(unit, person=teacher, actor=users[Role.UNIT_OFFICER])
    db.session.commit()
    assert nomination.status == NominationStatus.DRAFT
    assert (nomination.person, nomination.unit, nomination.created_by_id) == (teacher, unit, users[Role.UNIT_OFFICER].id)
    assert nomination.nominee_key == f"p{teacher.id}"


def test_create_with_new_person_adds_them_to_the_registry(db, unit):
    nomination = _create(unit, new_person={"full_name": "Trần Văn Đức", "gender": None, "birth_date": date(1985, 3, 2),
                                           "position": "Giáo viên", "unit_id": unit.id,
                                           "subject_category": SubjectCategory.DIRECT_WORKER})
    db.session.commit()
    person = db.session.scalars(sa.select(Person)).one()
    assert nomination.person == person
    assert (person.full_name, person.name_folded, person.unit_id) == ("Trần Văn Đức", "tran van duc", unit.id)
    assert person.subject_category == SubjectCategory.DIRECT_WORKER


def test_create_with_new_person_matching_the_registry_is_refused(db, unit):
    factories.make_person(full_name="Trần Văn Đức", birth_date=date(1985, 3, 2), unit=unit)
    with pytest.raises(services.NominationError, match="Sổ đã có “Trần Văn Đức”, sinh ngày 02/03/1985") as info:
        _create(unit, new_person={"full_name": "tran van duc", "birth_date": date(1985, 3, 2), "unit_id": unit.id,
                                  "subject_category": SubjectCategory.DIRECT_WORKER})
    assert info.value.field == "person_id"
    assert _count(Person) == 1 and _count(Nomination) == 0


def test_create_for_person_of_another_unit_is_refused(db, unit, province):
    stranger = factories.make_person(unit=factories.make_unit(parent=province))
    with pytest.raises(services.NominationError, match="không thuộc đơn vị đề nghị"):
        _create(unit, person=stranger)


def test_create_for_a_collective_below_the_unit_records_its_flags(db, unit):
    school = unit.children[0]
    nomination = _create(unit, code="TTLDTT", nominee_unit=school, is_enterprise=True)
    assert nomination.is_collective and nomination.nominee_unit == school and nomination.is_enterprise


def test_create_for_a_household_title_needs_the_household_flag(db, unit):
    village = factories.make_unit(kind="village", parent=unit)
    assert _create(unit, code="GDVH", nominee_unit=village, is_household=True).is_household
    with pytest.raises(services.NominationError, match="không xét tặng cho tập thể"):
        _create(unit, code="GDVH", nominee_unit=village, year=YEAR - 1)


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        ("LDTT", "collective", "không xét tặng cho tập thể"),
        ("TTLDTT", "individual", "không xét tặng cho cá nhân"),
        ("TTLDXS", "household", "không xét tặng cho hộ gia đình"),
    ],
)
def test_create_with_award_not_for_that_nominee_is_refused(db, unit, code, kind, message):
    nominee = {"individual": {"person": factories.make_person(unit=unit)},
               "collective": {"nominee_unit": unit},
               "household": {"nominee_unit": unit, "is_household": True}}[kind]
    with pytest.raises(services.NominationError, match=message) as info:
        _create(unit, code=code, **nominee)
    assert info.value.field == "award_type_id"


def test_create_for_enterprise_and_household_at_once_is_refused(db, unit):
    with pytest.raises(services.NominationError, match="vừa là doanh nghiệp vừa là hộ gia đình"):
        _create(unit, code="GK_SO", nominee_unit=unit, is_enterprise=True, is_household=True)


def test_create_with_award_version_not_in_force_that_year_is_refused(db, unit):
    old = factories.award_type("LDTT")
    future = AwardType(code="LDTT", name="Lao động tiên tiến (mới)", category=old.category, level=old.level,
                       for_individual=True, effective_from=date(YEAR + 1, 1, 1))
    db.session.add(future)
    db.session.flush()
    with pytest.raises(services.NominationError, match=f"không áp dụng cho năm {YEAR}"):
        services.create_nomination(unit=unit, nominee=services.Nominee(person=factories.make_person(unit=unit)),
                                   award_type=future, method=AwardMethod.REGULAR, year=YEAR,
                                   achievement_summary="Thành tích", actor=None)


def test_create_under_a_closed_campaign_is_refused(db, unit):
    closed = factories.make_campaign(status="closed", name="Phong trào đã kết thúc")
    with pytest.raises(services.NominationError, match="không còn nhận hồ sơ"):
        _create(unit, person=factories.make_person(unit=unit), campaign=closed)


def test_create_duplicate_live_dossier_is_refused(db, unit):
    person = factories.make_person(full_name="Phạm Minh Châu", unit=unit)
    first = _create(unit, person=person)
    with pytest.raises(services.DuplicateNomination, match=f"hồ sơ số {first.id}"):
        _create(unit, person=person)
    assert _count(Nomination) == 1


def test_create_again_after_withdrawal_is_allowed(db, unit, users):
    person = factories.make_person(unit=unit)
    transition(_create(unit, person=person), "withdraw", actor=users[Role.UNIT_OFFICER])
    assert _create(unit, person=person).status == NominationStatus.DRAFT


def test_create_for_same_person_in_another_campaign_is_allowed(db, unit):
    person = factories.make_person(unit=unit)
    _create(unit, person=person)
    assert _create(unit, person=person, campaign=factories.make_campaign()).campaign is not None


def test_create_duplicate_racing_past_the_check_is_caught_from_the_unique_index(db, unit, monkeypatch):
    person = factories.make_person(unit=unit)
    first = _create(unit, person=person)
    db.session.commit()
    real = services.find_duplicate
    calls = []

    def blind_first_time(nomination):  # the other request committed between our check and our insert
        calls.append(nomination)
        return None if len(calls) == 1 else real(nomination)

    monkeypatch.setattr(services, "find_duplicate", blind_first_time)
    with pytest.raises(services.DuplicateNomination, match=f"hồ sơ số {first.id}"):
        _create(unit, person=person)
    assert len(calls) == 1
    assert _count(Nomination) == 1  # the session is still usable: the refused insert was in a savepoint


# --- editing -------------------------------------------------------------------------------------

def _update(nomination, *, version, summary="Nội dung mới", person=None):
    return services.update_nomination(
        nomination, version=version, unit=nomination.unit,
        nominee=services.Nominee(person=person or nomination.person), award_type=nomination.award_type,
        method=nomination.method, year=nomination.year, achievement_summary=summary, campaign=nomination.campaign,
    )


def test_update_with_current_version_saves(db, unit):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    _update(nomination, version=nomination.version, summary="Đã bổ sung thành tích")
    db.session.commit()
    assert nomination.achievement_summary == "Đã bổ sung thành tích"


def test_update_with_stale_version_is_refused_and_saves_nothing(db, unit):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    opened = nomination.version
    _update(nomination, version=opened, summary="Bản của người thứ nhất")
    db.session.commit()
    with pytest.raises(services.StaleEdit, match="Hồ sơ vừa được người khác sửa"):
        _update(nomination, version=opened, summary="Bản của người thứ hai")
    db.session.rollback()
    assert nomination.achievement_summary == "Bản của người thứ nhất"


def test_update_racing_another_writer_is_refused_at_flush(db, unit):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    version = nomination.version
    # Another transaction moved the row's version after we loaded it.
    db.session.execute(sa.update(Nomination).where(Nomination.id == nomination.id).values(version=version + 1)
                       .execution_options(synchronize_session=False))
    assert nomination.version == version  # our copy still looks current: only the flush can tell
    with pytest.raises(services.StaleEdit):
        _update(nomination, version=version)


@pytest.mark.parametrize("status", ["submitted", "accepted", "rejected", "withdrawn"])
def test_update_outside_draft_or_returned_is_refused(db, unit, status):
    nomination = factories.make_nomination(unit=unit, status=status)
    with pytest.raises(services.NominationError, match="Chỉ sửa được hồ sơ"):
        _update(nomination, version=nomination.version)


def test_update_to_another_person_drops_the_previous_persons_initiatives(db, unit):
    nomination = factories.make_nomination(unit=unit)
    services.add_initiative(nomination, title="Sáng kiến cũ", level=RecognitionLevel.UNIT, decision_ref=None,
                            recognised_on=None)
    _update(nomination, version=nomination.version, person=factories.make_person(unit=unit))
    assert nomination.initiatives == []


def test_update_records_an_audit_entry(db, unit):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    _update(nomination, version=nomination.version, summary="Sửa lại")
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "nominations",
                                                           AuditEntry.action == "update")).one()
    assert entry.changes["achievement_summary"][1] == "Sửa lại"


# --- initiatives ---------------------------------------------------------------------------------

def test_add_initiative_records_it_for_the_person_and_the_dossier(db, unit):
    nomination = factories.make_nomination(unit=unit, code="CSTDCS")
    initiative = services.add_initiative(nomination, title="Ứng dụng chuyển đổi số trong dạy học",
                                         level=RecognitionLevel.UNIT, decision_ref="12/QĐ-SGDĐT",
                                         recognised_on=date(YEAR, 5, 1))
    db.session.commit()
    assert initiative.person == nomination.person
    assert nomination.initiatives == [initiative]


def test_add_initiative_to_a_collective_dossier_is_refused(db, unit):
    nomination = factories.make_nomination(unit=unit, code="TTLDTT")
    with pytest.raises(services.NominationError, match="Chỉ hồ sơ cá nhân"):
        services.add_initiative(nomination, title="X", level=RecognitionLevel.UNIT, decision_ref=None,
                                recognised_on=None)


def test_link_initiative_of_someone_else_is_refused(db, unit):
    nomination = factories.make_nomination(unit=unit)
    other = factories.make_initiative(person=factories.make_person(unit=unit))
    with pytest.raises(services.NominationError, match="không phải của người được đề nghị"):
        services.link_initiative(nomination, other)


def test_link_initiative_already_used_by_an_award_is_refused(db, unit):
    nomination = factories.make_nomination(unit=unit)
    record = factories.make_award_record(code="CSTDCS", year=YEAR - 1, person=nomination.person)
    used = factories.make_initiative(person=nomination.person, used_by_award=record)
    with pytest.raises(services.NominationError, match="đã được dùng làm căn cứ"):
        services.link_initiative(nomination, used)


def test_remove_initiative_keeps_it_in_the_registry(db, unit):
    nomination = factories.make_nomination(unit=unit)
    initiative = factories.make_initiative(person=nomination.person)
    services.link_initiative(nomination, initiative)
    services.remove_initiative(nomination, initiative)
    db.session.commit()
    assert nomination.initiatives == []
    assert _count(Initiative) == 1


def test_initiative_change_moves_the_version_so_an_open_form_goes_stale(db, unit):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    opened = nomination.version
    services.add_initiative(nomination, title="Sáng kiến", level=RecognitionLevel.UNIT, decision_ref=None,
                            recognised_on=None)
    with pytest.raises(services.StaleEdit):
        _update(nomination, version=opened)


# --- attachments ---------------------------------------------------------------------------------

def test_add_and_remove_attachment_while_draft(db, unit, users):
    nomination = factories.make_nomination(unit=unit)
    attachment = services.add_attachment(nomination, part=DossierPart.ACHIEVEMENT_REPORT, upload=upload("bc.pdf"),
                                         actor=users[Role.UNIT_OFFICER])
    assert nomination.attachments == [attachment]
    assert attachment.uploaded_by_id == users[Role.UNIT_OFFICER].id
    stored = services.remove_attachment(attachment)
    db.session.commit()
    assert stored == attachment.stored_name and nomination.attachments == []


@pytest.mark.parametrize("status", ["submitted", "accepted"])
def test_attachment_changes_after_submission_are_refused(db, unit, status):
    nomination = factories.make_nomination(unit=unit, status=status)
    with pytest.raises(services.NominationError, match="Chỉ sửa được hồ sơ"):
        services.add_attachment(nomination, part=DossierPart.EVIDENCE, upload=upload(), actor=None)


# --- submitting ----------------------------------------------------------------------------------

def test_submit_with_required_parts_missing_is_refused_with_the_list(db, unit, users):
    nomination = factories.make_nomination(unit=unit, code="CSTDT")
    attach(nomination, DossierPart.COUNCIL_MINUTES)
    with pytest.raises(services.SubmitRefused) as info:
        services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    assert info.value.problems == ["thiếu “Báo cáo thành tích”",
                                   "thiếu “Minh chứng (quyết định công nhận sáng kiến, đề tài…)”"]
    assert nomination.status == NominationStatus.DRAFT


def test_submit_with_every_required_part_sends_it(db, unit, users):
    nomination = complete_nomination(unit=unit, code="CSTDT")
    services.submit(nomination, actor=users[Role.UNIT_OFFICER], note="Kèm tờ trình giấy")
    assert nomination.status == NominationStatus.SUBMITTED
    assert nomination.events[-1].note == "Kèm tờ trình giấy"


@pytest.mark.parametrize("method", [AwardMethod.SUDDEN, AwardMethod.THEMATIC])
def test_submit_sudden_or_thematic_award_with_short_report_follows_simplified_procedure(db, unit, users, method):
    nomination = factories.make_nomination(unit=unit, code="BK_TINH", method=method)
    attach(nomination, DossierPart.SHORT_REPORT, DossierPart.COUNCIL_MINUTES)
    services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    assert nomination.status == NominationStatus.SUBMITTED


def test_submit_regular_award_with_only_a_short_report_is_refused(db, unit, users):
    nomination = factories.make_nomination(unit=unit, code="BK_TINH", method=AwardMethod.REGULAR)
    attach(nomination, DossierPart.SHORT_REPORT, DossierPart.COUNCIL_MINUTES)
    with pytest.raises(services.SubmitRefused, match="thiếu “Báo cáo thành tích”"):
        services.submit(nomination, actor=users[Role.UNIT_OFFICER])


def test_submit_after_the_campaign_deadline_is_refused_but_a_returned_dossier_may_come_back(db, unit, users):
    late = factories.make_campaign(nomination_deadline=date.today() - timedelta(days=1))
    draft = complete_nomination(unit=unit, campaign=late)
    with pytest.raises(services.SubmitRefused, match="đã quá hạn gửi hồ sơ"):
        services.submit(draft, actor=users[Role.UNIT_OFFICER])
    returned = complete_nomination(unit=unit, campaign=late, status="returned")
    services.submit(returned, actor=users[Role.UNIT_OFFICER])
    assert returned.status == NominationStatus.SUBMITTED


def _quota_rule(db, code: str, *, hard: bool) -> QuotaRule:
    factories.award_type(code)  # seeds the catalogue and its quota rules
    rule = db.session.scalars(sa.select(QuotaRule).where(QuotaRule.award_code == code)).one()
    rule.hard_block = hard
    return rule


def test_submit_over_a_binding_quota_is_refused(db, unit, users):
    _quota_rule(db, "CSTDCS", hard=True)  # CSTĐCS ≤ 15% of LĐTT; the unit has 2 LĐTT, so no CSTĐCS at all
    for _ in range(2):
        factories.make_award_record(code="LDTT", year=YEAR, person=factories.make_person(unit=unit))
    nomination = complete_nomination(unit=unit, code="CSTDCS")
    with pytest.raises(services.SubmitRefused, match="vượt tỷ lệ 15%"):
        services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    assert nomination.status == NominationStatus.DRAFT


def test_submit_within_a_binding_quota_is_allowed(db, unit, users):
    _quota_rule(db, "CSTDCS", hard=True)
    for _ in range(7):  # 15% of 7 LĐTT allows one CSTĐCS
        factories.make_award_record(code="LDTT", year=YEAR, person=factories.make_person(unit=unit))
    nomination = complete_nomination(unit=unit, code="CSTDCS")
    services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    assert nomination.status == NominationStatus.SUBMITTED


def test_submit_over_a_warning_quota_is_allowed_but_flagged(db, unit, users):
    _quota_rule(db, "CSTDCS", hard=False)
    nomination = complete_nomination(unit=unit, code="CSTDCS")
    assert [q.award_code for q in services.quota_flags(nomination)] == ["CSTDCS"]
    services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    assert nomination.status == NominationStatus.SUBMITTED


def test_submit_twice_is_refused_by_the_workflow(db, unit, users):
    nomination = complete_nomination(unit=unit)
    services.submit(nomination, actor=users[Role.UNIT_OFFICER])
    with pytest.raises(InvalidTransition, match="Không thể gửi hồ sơ đang ở trạng thái “Đã gửi, chờ thẩm định”"):
        services.submit(nomination, actor=users[Role.UNIT_OFFICER])


# --- submission letters --------------------------------------------------------------------------

def _batch(unit, number="45/TTr-SGDĐT"):
    return services.create_batch(unit=unit, number=number, dated_on=date.today(),
                                 title="Về việc đề nghị tặng danh hiệu thi đua", actor=None)


def test_create_batch_number_is_unique_per_unit(db, unit, province):
    _batch(unit)
    with pytest.raises(services.NominationError, match="Đơn vị đã có tờ trình số “45/TTr-SGDĐT”") as info:
        _batch(unit)
    assert info.value.field == "number"
    _batch(factories.make_unit(parent=province))
    assert _count(SubmissionBatch) == 2


def test_add_to_batch_takes_only_editable_dossiers_of_the_same_unit(db, unit, province):
    batch = _batch(unit)
    services.add_to_batch(batch, factories.make_nomination(unit=unit))
    with pytest.raises(services.NominationError, match="không phải của đơn vị"):
        services.add_to_batch(batch, factories.make_nomination(unit=factories.make_unit(parent=province)))
    with pytest.raises(services.NominationError, match="không thêm vào tờ trình"):
        services.add_to_batch(batch, factories.make_nomination(unit=unit, status="submitted"))
    assert len(batch.nominations) == 1


def test_submit_batch_sends_every_pending_dossier(db, unit, users):
    batch = _batch(unit)
    dossiers = [complete_nomination(unit=unit), complete_nomination(unit=unit, code="TTLDTT"),
                complete_nomination(unit=unit, status="returned")]
    for n in dossiers:
        services.add_to_batch(batch, n)
    sent = services.submit_batch(batch, actor=users[Role.UNIT_OFFICER])
    db.session.commit()
    assert sent == dossiers
    assert {n.status for n in dossiers} == {NominationStatus.SUBMITTED}
    assert all(n.events[-1].note == "Gửi kèm Tờ trình 45/TTr-SGDĐT" for n in dossiers)


def test_submit_batch_with_one_incomplete_dossier_sends_none(db, unit, users):
    batch = _batch(unit)
    complete = complete_nomination(unit=unit)
    incomplete = factories.make_nomination(unit=unit, code="TTLDTT")
    services.add_to_batch(batch, complete)
    services.add_to_batch(batch, incomplete)
    db.session.commit()
    with pytest.raises(services.SubmitRefused) as info:
        services.submit_batch(batch, actor=users[Role.UNIT_OFFICER])
    db.session.rollback()
    assert [p.split(":")[0] for p in info.value.problems] == [f"Hồ sơ số {incomplete.id} ({incomplete.nominee_name} – "
                                                               "Tập thể lao động tiên tiến)"] * 2
    assert complete.status == incomplete.status == NominationStatus.DRAFT


def test_submit_batch_over_a_binding_quota_sends_none(db, unit, users):
    _quota_rule(db, "CSTDCS", hard=True)
    for _ in range(7):  # room for one CSTĐCS, the letter carries two
        factories.make_award_record(code="LDTT", year=YEAR, person=factories.make_person(unit=unit))
    batch = _batch(unit)
    dossiers = [complete_nomination(unit=unit, code="CSTDCS") for _ in range(2)]
    for n in dossiers:
        services.add_to_batch(batch, n)
    with pytest.raises(services.SubmitRefused, match="Đề nghị 2 CSTĐCS, vượt tỷ lệ"):
        services.submit_batch(batch, actor=users[Role.UNIT_OFFICER])
    assert {n.status for n in dossiers} == {NominationStatus.DRAFT}


def test_submit_batch_without_pending_dossiers_is_refused(db, unit, users):
    with pytest.raises(services.NominationError, match="không có hồ sơ nào chờ gửi"):
        services.submit_batch(_batch(unit), actor=users[Role.UNIT_OFFICER])
