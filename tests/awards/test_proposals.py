"""Upward proposals to the central level: building the list, tracking, recording the central decision."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.awards import proposals as services
from thidua.awards.models import ProposalOutcome, ProposalStatus, UpwardProposal
from thidua.nominations.models import NominationAttachment, NominationStatus
from thidua.nominations.workflow import transition
from thidua.registry.models import AwardRecord, RecordSource
from thidua.rules.models import DossierPart

YEAR = 2025
PDF = b"%PDF-1.4\n% dossier file\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- helpers shared with test_proposal_views ------------------------------------------------------

def approved(*, unit, code: str = "BK_TTG", person=None, collective=None, year: int = YEAR, **kw):
    """An approved dossier of `unit` for `code` (an upward form by default)."""
    return factories.make_nomination(unit=unit, code=code, person=person, nominee_unit=collective, status="approved",
                                     year=year, **kw)


def attach_file(app, nomination, name: str, data: bytes, part=DossierPart.ACHIEVEMENT_REPORT):
    """An attachment with its bytes really stored in UPLOAD_FOLDER."""
    stored = f"p{nomination.id}-{len(nomination.attachments)}-{abs(hash(name)) % 10**8}.pdf"
    (app.config["UPLOAD_FOLDER"] / stored).write_bytes(data)
    from thidua.extensions import db

    attachment = NominationAttachment(nomination=nomination, part=part, original_name=name, stored_name=stored,
                                      content_type="application/pdf", size=len(data), sha256="0" * 64)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def make_dossiers(province, unit) -> dict:
    """Approved BK_TTG dossiers: two individuals of the school, one of the department, one collective."""
    school = unit.children[0]
    other = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    hang = factories.make_person(full_name="Nguyễn Thị Hằng", unit=school, position="Giáo viên")
    vuong = factories.make_person(full_name="Đặng Quốc Vượng", unit=other, position="Bác sĩ")
    an = factories.make_person(full_name="Lê Văn An", unit=school, position="Hiệu trưởng")
    return {
        "hang": approved(unit=unit, person=hang, achievement_summary="Có 3 sáng kiến cấp tỉnh."),
        "an": approved(unit=unit, person=an),
        "vuong": approved(unit=other, person=vuong),
        "school": approved(unit=unit, collective=school),
        "other_unit": other,
    }


@pytest.fixture
def dossiers(db, province, unit):
    return make_dossiers(province, unit)


def make_proposal(dossiers, *, number: str | None = "123/TTr-UBND", dated_on: date | None = date(2026, 1, 20),
                  keys=("hang", "an", "vuong", "school"), **kw) -> UpwardProposal:
    award_type = dossiers["hang"].award_type
    return services.create_proposal(award_type=award_type, year=YEAR, nomination_ids=[dossiers[k].id for k in keys],
                                    number=number, dated_on=dated_on, signer_name="Đỗ Minh Tuấn",
                                    signer_title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", actor=None, **kw)


def submitted(dossiers, **kw) -> UpwardProposal:
    proposal = make_proposal(dossiers, **kw)
    services.submit(proposal, actor=None, submitted_on=date(2026, 1, 22))
    return proposal


def names(proposal) -> list[str]:
    return [it.nomination.nominee_name for it in proposal.items]


# --- building ---------------------------------------------------------------------------------------

def test_available_lists_collectives_first_then_by_unit_and_vietnamese_name(dossiers, unit):
    lower = factories.make_unit(code="38.A", name="Ban Dân tộc", parent=unit.parent)
    approved(unit=lower, person=factories.make_person(full_name="Trần Văn Bình", unit=lower))
    found = services.available_nominations(dossiers["hang"].award_type, YEAR)
    # Ban Dân tộc < Sở Giáo dục… < Sở Y tế; within a unit by given name: An < Hằng
    assert [n.nominee_name for n in found] == ["Trường THPT chuyên Lam Sơn", "Trần Văn Bình", "Lê Văn An",
                                               "Nguyễn Thị Hằng", "Đặng Quốc Vượng"]


def test_available_leaves_out_other_forms_years_and_unapproved_dossiers(dossiers, unit):
    approved(unit=unit, code="BK_TINH")
    approved(unit=unit, year=YEAR - 1)
    factories.make_nomination(unit=unit, code="BK_TTG", status="accepted", year=YEAR)
    found = services.available_nominations(dossiers["hang"].award_type, YEAR)
    assert len(found) == 4


def test_create_proposal_lists_chosen_dossiers_in_order_with_default_title_and_recipient(dossiers):
    proposal = make_proposal(dossiers, title=None)
    assert names(proposal) == ["Trường THPT chuyên Lam Sơn", "Lê Văn An", "Nguyễn Thị Hằng", "Đặng Quốc Vượng"]
    assert [it.position for it in proposal.items] == [1, 2, 3, 4]
    assert proposal.title == "Tờ trình đề nghị tặng Bằng khen của Thủ tướng Chính phủ cho 1 tập thể và 3 cá nhân"
    assert proposal.recipient == "Thủ tướng Chính phủ"
    assert proposal.status == ProposalStatus.DRAFT and proposal.issuer_unit.name == "UBND tỉnh Thanh Hóa"
    assert [e.action for e in proposal.events] == ["create"]


def test_orders_and_medals_go_to_the_president(db, dossiers):
    award_type = dossiers["hang"].award_type
    award_type.name = "Huân chương Lao động hạng Ba"
    assert services.default_recipient(award_type) == "Chủ tịch nước"


def test_create_proposal_for_a_provincial_form_is_refused(dossiers, unit):
    n = approved(unit=unit, code="BK_TINH")
    with pytest.raises(services.ProposalError, match="cấp Nhà nước"):
        services.create_proposal(award_type=n.award_type, year=YEAR, nomination_ids=[n.id], actor=None)


def test_dossier_in_a_live_proposal_cannot_be_proposed_again(dossiers):
    make_proposal(dossiers, keys=("hang",))
    with pytest.raises(services.ProposalError, match="chưa có trong tờ trình khác") as exc:
        make_proposal(dossiers, number="124/TTr-UBND", keys=("hang", "an"))
    assert exc.value.field == "nomination_ids"
    assert "Nguyễn Thị Hằng" not in [n.nominee_name for n in
                                     services.available_nominations(dossiers["hang"].award_type, YEAR)]


@pytest.mark.parametrize("number", ["123", "123/TTr", "123/QĐ-UBND", "123/TTr-ubnd", "123456/TTr-UBND",
                                    "123/TTr-UBND-"])
def test_malformed_number_is_refused(dossiers, number):
    with pytest.raises(services.ProposalError, match="không đúng dạng") as exc:
        make_proposal(dossiers, number=number)
    assert exc.value.field == "number"


def test_number_with_several_codes_and_đ_is_accepted(dossiers):
    assert make_proposal(dossiers, number="45/TTr-SNV-TĐKT").number == "45/TTr-SNV-TĐKT"


def test_number_used_twice_by_the_province_is_refused(dossiers):
    make_proposal(dossiers, keys=("hang",))
    with pytest.raises(services.ProposalError, match="đã được dùng"):
        make_proposal(dossiers, keys=("an",))


def test_update_keeps_order_of_kept_dossiers_and_appends_added_ones(dossiers):
    proposal = make_proposal(dossiers, keys=("hang", "vuong"))
    services.move_item(proposal, proposal.items[1], step=-1)
    assert names(proposal) == ["Đặng Quốc Vượng", "Nguyễn Thị Hằng"]
    services.update_proposal(proposal, nomination_ids=[dossiers["hang"].id, dossiers["vuong"].id, dossiers["an"].id],
                             number="123/TTr-UBND", dated_on=proposal.dated_on, title="Tờ trình sửa",
                             recipient="Thủ tướng Chính phủ", signer_name=None, signer_title=None)
    assert names(proposal) == ["Đặng Quốc Vượng", "Nguyễn Thị Hằng", "Lê Văn An"]
    services.update_proposal(proposal, nomination_ids=[dossiers["an"].id, dossiers["hang"].id],
                             number="123/TTr-UBND", dated_on=proposal.dated_on, title="Tờ trình sửa",
                             recipient="Thủ tướng Chính phủ", signer_name=None, signer_title=None)
    assert names(proposal) == ["Nguyễn Thị Hằng", "Lê Văn An"] and [it.position for it in proposal.items] == [1, 2]
    assert proposal.title == "Tờ trình sửa"


def test_remove_item_frees_the_dossier_and_renumbers(db, dossiers):
    proposal = make_proposal(dossiers)
    services.remove_item(proposal, proposal.items[0])
    db.session.expire_all()
    assert [it.position for it in proposal.items] == [1, 2, 3]
    assert "Trường THPT chuyên Lam Sơn" in [n.nominee_name for n in
                                            services.available_nominations(dossiers["hang"].award_type, YEAR)]


# --- tracking -----------------------------------------------------------------------------------------

def test_submit_without_number_is_refused(dossiers):
    proposal = make_proposal(dossiers, number=None)
    with pytest.raises(services.ProposalError, match="chưa có số"):
        services.submit(proposal, actor=None)
    assert proposal.status == ProposalStatus.DRAFT


def test_submit_without_date_is_refused(dossiers):
    proposal = make_proposal(dossiers, dated_on=None)
    with pytest.raises(services.ProposalError, match="chưa có ngày"):
        services.submit(proposal, actor=None)


def test_submit_sets_status_date_and_timeline(dossiers):
    proposal = submitted(dossiers)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_on == date(2026, 1, 22)
    assert [e.action for e in proposal.events] == ["create", "submit"]


def test_submitted_proposal_cannot_be_edited(dossiers):
    proposal = submitted(dossiers)
    with pytest.raises(services.ProposalError, match="không thể sửa"):
        services.remove_item(proposal, proposal.items[0])


def test_return_needs_a_note_then_allows_editing_and_resubmitting(dossiers):
    proposal = submitted(dossiers)
    with pytest.raises(services.ProposalError, match="bổ sung"):
        services.return_proposal(proposal, note="  ", actor=None)
    services.return_proposal(proposal, note="Bổ sung báo cáo thành tích có xác nhận.", actor=None)
    assert proposal.status == ProposalStatus.RETURNED
    services.remove_item(proposal, proposal.items[-1])
    services.submit(proposal, actor=None, submitted_on=date(2026, 2, 10))
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_on == date(2026, 2, 10)
    assert [e.action for e in proposal.events] == ["create", "submit", "return", "resubmit"]
    assert proposal.events[2].note == "Bổ sung báo cáo thành tích có xác nhận."


def test_record_reference_keeps_the_central_receipt(dossiers):
    proposal = submitted(dossiers)
    services.record_reference(proposal, reference="Phiếu tiếp nhận số 88/PTN-BTĐKT", actor=None)
    assert proposal.central_reference == "Phiếu tiếp nhận số 88/PTN-BTĐKT"
    assert proposal.events[-1].action == "reference"


def _outcomes(proposal, declined=()):
    return {it.id: services.Outcome(ProposalOutcome.DECLINED if it.nomination.nominee_name in declined
                                    else ProposalOutcome.AWARDED, "Chưa đủ tiêu chuẩn" if it.nomination.nominee_name
                                    in declined else None) for it in proposal.items}


def test_record_decision_writes_registry_records_and_moves_dossiers(db, dossiers):
    proposal = submitted(dossiers)
    services.record_decision(proposal, number="1234/QĐ-TTg", decided_on=date(2026, 4, 2), issuer="Thủ tướng Chính phủ",
                             outcomes=_outcomes(proposal, declined={"Lê Văn An"}), actor=None)
    assert proposal.status == ProposalStatus.DECIDED and proposal.central_decision_number == "1234/QĐ-TTg"
    assert dossiers["hang"].status == NominationStatus.AWARDED
    assert dossiers["school"].status == NominationStatus.AWARDED
    assert dossiers["an"].status == NominationStatus.DECLINED
    records = db.session.scalars(sa.select(AwardRecord).order_by(AwardRecord.id)).all()
    assert len(records) == 3
    hang = dossiers["hang"].person
    db.session.expire(hang)
    [record] = hang.awards  # the person's history in the registry
    assert (record.award_code, record.award_name, record.year) == ("BK_TTG", "Bằng khen của Thủ tướng Chính phủ", YEAR)
    assert (record.decision_number, record.decision_date, record.issuer) == ("1234/QĐ-TTg", date(2026, 4, 2),
                                                                            "Thủ tướng Chính phủ")
    assert record.source == RecordSource.DECISION and record.method == dossiers["hang"].method
    school_record = next(r for r in records if r.unit_id is not None)
    assert school_record.unit == dossiers["school"].nominee_unit
    by_name = {it.nomination.nominee_name: it for it in proposal.items}
    assert by_name["Nguyễn Thị Hằng"].award_record == record
    assert by_name["Lê Văn An"].outcome == ProposalOutcome.DECLINED and by_name["Lê Văn An"].award_record is None
    assert by_name["Lê Văn An"].note == "Chưa đủ tiêu chuẩn"
    assert dossiers["hang"].events[-1].action == "award" and "1234/QĐ-TTg" in dossiers["hang"].events[-1].note


def test_record_decision_twice_is_refused(dossiers):
    proposal = submitted(dossiers)
    outcomes = _outcomes(proposal)
    services.record_decision(proposal, number="1234/QĐ-TTg", decided_on=date(2026, 4, 2), issuer="Thủ tướng Chính phủ",
                             outcomes=outcomes, actor=None)
    with pytest.raises(services.ProposalError, match="Đã có quyết định"):
        services.record_decision(proposal, number="1235/QĐ-TTg", decided_on=date(2026, 4, 3),
                                 issuer="Thủ tướng Chính phủ", outcomes=outcomes, actor=None)


def test_record_decision_needs_an_outcome_for_every_item(db, dossiers):
    proposal = submitted(dossiers)
    outcomes = _outcomes(proposal)
    outcomes.pop(proposal.items[1].id)
    with pytest.raises(services.ProposalError, match="Lê Văn An") as exc:
        services.record_decision(proposal, number="1234/QĐ-TTg", decided_on=date(2026, 4, 2),
                                 issuer="Thủ tướng Chính phủ", outcomes=outcomes, actor=None)
    assert exc.value.field == f"outcome_{proposal.items[1].id}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardRecord)) == 0


def test_record_decision_when_a_dossier_moved_meanwhile_saves_nothing(db, dossiers):
    proposal = submitted(dossiers)
    db.session.commit()
    transition(dossiers["vuong"], "decline", actor=None)  # the last item, after three awarded ones
    db.session.commit()
    with pytest.raises(services.ProposalError, match="Đặng Quốc Vượng"):
        services.record_decision(proposal, number="1234/QĐ-TTg", decided_on=date(2026, 4, 2),
                                 issuer="Thủ tướng Chính phủ", outcomes=_outcomes(proposal), actor=None)
    db.session.rollback()  # what the view does with a ProposalError
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardRecord)) == 0
    assert proposal.status == ProposalStatus.SUBMITTED
    assert {it.outcome for it in proposal.items} == {ProposalOutcome.PENDING}
    assert dossiers["hang"].status == NominationStatus.APPROVED and dossiers["school"].status == NominationStatus.APPROVED
