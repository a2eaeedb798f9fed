"""Decisions: drafts from approved dossiers, issuing (money, gold book, registry, dossiers) in one
transaction, and revocation."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.awards import services
from thidua.awards.models import DecisionStatus, GoldBook
from thidua.nominations.models import NominationStatus
from thidua.registry.models import AwardRecord, RecordSource

SIGNED = date(2025, 1, 15)


def approved(unit, *, code: str = "BK_TINH", person=None, nominee_unit=None, **kw):
    """An approved dossier filed by `unit` (a new teacher of `unit` unless a nominee is given)."""
    if person is None and nominee_unit is None:
        person = factories.make_person(unit=unit, position="Giáo viên")
    return factories.make_nomination(unit=unit, code=code, status="approved", person=person,
                                     nominee_unit=nominee_unit, year=kw.pop("year", 2024), **kw)


def draft(issuer, nominations, *, code: str = "BK_TINH", year: int = 2024, **kw):
    return services.create_draft(award_type=factories.award_type(code), issuer_unit=issuer, method="regular",
                                 year=year, nomination_ids=[n.id for n in nominations], **kw)


def issue(decision, *, number: str = "123/QĐ-UBND", signed_on: date = SIGNED, actor=None, **kw):
    return services.issue_decision(decision, number=number, signed_on=signed_on, signer_name="Đỗ Minh Tuấn",
                                   signer_title="CHỦ TỊCH", actor=actor, today=kw.pop("today", date(2025, 6, 1)), **kw)


# --- drafts ------------------------------------------------------------------------------------------

def test_create_draft_orders_collectives_first_then_by_unit_and_vietnamese_given_name(province, unit):
    other = factories.make_unit(name="Sở Y tế", parent=province)
    school = unit.children[0]
    binh = approved(unit, person=factories.make_person(full_name="Trần Văn Bình", unit=unit))
    an = approved(unit, person=factories.make_person(full_name="Lê Thị An", unit=unit))
    yen = approved(other, person=factories.make_person(full_name="Đỗ Hải Yến", unit=other))
    collective = approved(unit, nominee_unit=school)

    decision = draft(province, [yen, binh, collective, an])

    assert [i.awardee_name for i in decision.items] == [school.name, "Lê Thị An", "Trần Văn Bình", "Đỗ Hải Yến"]
    assert [i.position for i in decision.items] == [1, 2, 3, 4]
    assert decision.items[0].group_unit == unit


def test_create_draft_fills_defaults_from_award_type_and_issuer(province, unit):
    person = factories.make_person(full_name="Lê Thị Thanh Tâm", unit=unit.children[0], position="Giáo viên Hóa học")
    decision = draft(province, [approved(unit, person=person)])

    assert decision.subject == "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh"
    assert decision.issuer_title == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA"
    assert decision.status == DecisionStatus.DRAFT
    item = decision.items[0]
    assert item.awardee_detail == "Giáo viên Hóa học, Trường THPT chuyên Lam Sơn"
    assert item.coefficient == decision.award_type.coefficient


def test_create_draft_uses_short_summary_and_default_for_long_one(province, unit):
    short = approved(unit, achievement_summary="Giáo viên dạy giỏi cấp tỉnh năm học 2023-2024.")
    long = approved(unit, achievement_summary="Bồi dưỡng học sinh giỏi. " * 20)
    decision = draft(province, [short, long], achievement_default="Đã có thành tích xuất sắc năm học 2023-2024.")

    by_dossier = {i.nomination_id: i.achievement for i in decision.items}
    assert by_dossier[short.id] == "Giáo viên dạy giỏi cấp tỉnh năm học 2023-2024."
    assert by_dossier[long.id] == "Đã có thành tích xuất sắc năm học 2023-2024."


def test_create_draft_unit_giay_khen_defaults_to_director_title(unit):
    decision = draft(unit, [approved(unit, code="GK_SO")], code="GK_SO")
    assert decision.issuer_title == "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO"


def test_create_draft_of_central_award_is_refused(province, unit):
    with pytest.raises(services.DecisionError, match="Trung ương"):
        draft(province, [approved(unit, code="BK_TTG")], code="BK_TTG")


def test_create_draft_of_provincial_award_by_department_is_refused(unit):
    with pytest.raises(services.DecisionError, match="UBND tỉnh") as exc:
        draft(unit, [approved(unit)])
    assert exc.value.field == "issuer_unit_id"


def test_create_draft_with_dossier_already_in_another_decision_is_refused(province, unit):
    dossier = approved(unit)
    draft(province, [dossier])
    with pytest.raises(services.DecisionError, match="quyết định khác"):
        draft(province, [dossier])


def test_create_draft_with_dossier_not_approved_is_refused(province, unit):
    accepted = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    with pytest.raises(services.DecisionError):
        draft(province, [accepted])


def test_move_item_down_swaps_it_with_next(province, unit):
    decision = draft(province, [approved(unit), approved(unit), approved(unit)])
    first, second, third = decision.items
    services.move_item(first, up=False)
    db_items = sorted(decision.items, key=lambda i: i.position)
    assert db_items == [second, first, third]


def test_move_item_up_at_top_changes_nothing(province, unit):
    decision = draft(province, [approved(unit), approved(unit)])
    first, second = decision.items
    services.move_item(first, up=True)
    assert (first.position, second.position) == (1, 2)


def test_remove_item_renumbers_rest_and_frees_dossier(province, unit):
    dossiers = [approved(unit), approved(unit), approved(unit)]
    decision = draft(province, dossiers)
    removed = decision.items[0]
    freed = removed.nomination
    services.remove_item(removed)
    assert [i.position for i in decision.items] == [1, 2]
    assert draft(province, [freed]).items[0].nomination == freed


def test_add_items_appends_after_existing(province, unit):
    decision = draft(province, [approved(unit)])
    later = approved(unit)
    services.add_items(decision, nomination_ids=[later.id])
    assert [(i.position, i.nomination) for i in decision.items][-1] == (2, later)


def test_update_item_changes_printed_texts(province, unit):
    item = draft(province, [approved(unit)]).items[0]
    services.update_item(item, awardee_name="Bà Lê Thị Tâm", awardee_detail="", achievement="Thành tích mới.")
    assert (item.awardee_name, item.awardee_detail, item.achievement) == ("Bà Lê Thị Tâm", None, "Thành tích mới.")


def test_totals_of_draft_use_base_salary_of_chosen_day(province, unit):
    decision = draft(province, [approved(unit), approved(unit, nominee_unit=unit.children[0])])
    assert services.totals(decision, date(2024, 6, 30)).total == 1_800_000 + 3_600_000
    assert services.totals(decision, date(2024, 7, 1)).total == 2_340_000 + 4_680_000


# --- issuing --------------------------------------------------------------------------------------

def test_issue_snapshots_money_gold_book_codes_and_registry(db, province, unit, users):
    person_dossier = approved(unit)
    collective_dossier = approved(unit, nominee_unit=unit.children[0])
    decision = draft(province, [person_dossier, collective_dossier])

    issue(decision, signed_on=date(2024, 6, 30), actor=users[Role.SECRETARIAT])

    assert decision.status == DecisionStatus.ISSUED
    assert (decision.number, decision.number_year, decision.base_salary) == ("123/QĐ-UBND", 2024, 1_800_000)
    assert [i.amount for i in decision.items] == [3_600_000, 1_800_000]  # the collective first, ×2
    assert decision.total_amount == 5_400_000
    assert decision.legal_basis_id == decision.award_type.legal_basis_id is not None
    assert [i.gold_book_number for i in decision.items] == [1, 2]
    assert all(len(i.verify_code) == 21 and i.verify_code.isalnum() for i in decision.items)
    assert len({i.verify_code for i in decision.items}) == 2
    record = decision.items[1].award_record
    assert (record.person_id, record.award_code, record.year, record.decision_number, record.decision_date,
            record.gold_book_number, record.source, record.issuer) == (
        person_dossier.person_id, "BK_TINH", 2024, "123/QĐ-UBND", date(2024, 6, 30), "2", RecordSource.DECISION,
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA")
    assert person_dossier.status == collective_dossier.status == NominationStatus.AWARDED
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "decisions")))
    assert "decision.issue" in actions


def test_issue_second_decision_continues_gold_book_numbers(province, unit):
    first = draft(province, [approved(unit), approved(unit)])
    issue(first, number="1/QĐ-UBND")
    second = draft(province, [approved(unit)])
    issue(second, number="2/QĐ-UBND")
    assert [i.gold_book_number for i in second.items] == [3]
    assert second.items[0].gold_book == first.items[0].gold_book


def test_issue_marks_the_dossiers_initiatives_used_by_the_new_award(province, unit):
    person = factories.make_person(unit=unit)
    dossier = approved(unit, person=person)
    used_before = factories.make_initiative(person=person)
    earlier = factories.make_award_record(code="CSTDCS", year=2022, person=person)
    used_before.used_by_award = earlier
    fresh = factories.make_initiative(person=person)
    dossier.initiatives.extend([fresh, used_before])

    decision = issue(draft(province, [dossier]))

    assert fresh.used_by_award == decision.items[0].award_record
    assert used_before.used_by_award == earlier  # an initiative keeps the first award it earned


@pytest.mark.parametrize("number", ["123", "123/QD-UBND", "123/QĐ-ubnd", "123456/QĐ-UBND", "123 /QĐ-UBND", ""])
def test_issue_with_malformed_number_is_refused_with_example(province, unit, number):
    decision = draft(province, [approved(unit)])
    with pytest.raises(services.DecisionError, match="1234/QĐ-UBND") as exc:
        issue(decision, number=number)
    assert exc.value.field == "number"


def test_issue_accepts_compound_sign(province, unit):
    decision = issue(draft(province, [approved(unit)]), number="45/QĐ-UBND-TĐKT")
    assert decision.number == "45/QĐ-UBND-TĐKT"


def test_issue_with_number_taken_same_issuer_and_year_is_refused(province, unit):
    issue(draft(province, [approved(unit)]), number="7/QĐ-UBND")
    with pytest.raises(services.DecisionError, match="đã được dùng"):
        issue(draft(province, [approved(unit)]), number="7/QĐ-UBND")


def test_issue_same_number_next_year_is_allowed(province, unit):
    issue(draft(province, [approved(unit)]), number="7/QĐ-UBND", signed_on=date(2024, 12, 30))
    decision = issue(draft(province, [approved(unit)]), number="7/QĐ-UBND", signed_on=date(2025, 1, 2))
    assert decision.is_issued


def test_issue_without_items_is_refused(province):
    decision = draft(province, [])
    with pytest.raises(services.DecisionError, match="chưa có người"):
        issue(decision)


def test_issue_signed_in_future_is_refused(province, unit):
    decision = draft(province, [approved(unit)])
    with pytest.raises(services.DecisionError, match="không được sau hôm nay") as exc:
        issue(decision, signed_on=date(2025, 6, 2), today=date(2025, 6, 1))
    assert exc.value.field == "signed_on"


def test_issue_already_issued_is_refused(province, unit):
    decision = issue(draft(province, [approved(unit)]))
    with pytest.raises(services.DecisionError, match="đã ban hành"):
        issue(decision, number="999/QĐ-UBND")


def test_issue_dossier_moved_meanwhile_saves_nothing(db, province, unit):
    from thidua.nominations.models import Nomination

    ok, moved = approved(unit), approved(unit)
    decision = draft(province, [ok, moved])
    db.session.commit()
    assert moved.status == NominationStatus.APPROVED  # loaded, as when the issue page was opened
    # Someone else moves the second dossier meanwhile (behind this session's back, as another request would).
    db.session.execute(sa.update(Nomination).where(Nomination.id == moved.id)
                       .values(status=NominationStatus.NOT_APPROVED, version=Nomination.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(services.DecisionError, match="vừa được người khác xử lý"):
        issue(decision)
    db.session.rollback()

    assert db.session.get(type(decision), decision.id).status == DecisionStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AwardRecord)) == 0
    assert db.session.scalar(sa.select(sa.func.max(GoldBook.last_number))) in (None, 0)
    assert db.session.get(Nomination, ok.id).status == NominationStatus.APPROVED


# --- revocation -----------------------------------------------------------------------------------

def test_revoke_item_records_decision_and_marks_registry(db, province, unit, users):
    decision = issue(draft(province, [approved(unit), approved(unit)]))
    item = decision.items[0]
    services.revoke_item(item, number="88/QĐ-UBND", dated_on=date(2025, 3, 1), reason="Khai man thành tích.",
                         actor=users[Role.SECRETARIAT], today=date(2025, 6, 1))

    assert item.is_revoked and item.revocation_number == "88/QĐ-UBND"
    assert item.award_record.revoked_on == date(2025, 3, 1)
    assert decision.items[1].award_record.revoked_on is None
    assert item.gold_book_number == 1  # the gold-book line stays
    actions = set(db.session.scalars(sa.select(AuditEntry.action)
                                               .where(AuditEntry.object_type == "decision_items")))
    assert "award.revoke" in actions


def test_revoke_without_reason_is_refused(province, unit):
    item = issue(draft(province, [approved(unit)])).items[0]
    with pytest.raises(services.DecisionError, match="lý do") as exc:
        services.revoke_item(item, number="88/QĐ-UBND", dated_on=date(2025, 3, 1), reason=" ", actor=None,
                             today=date(2025, 6, 1))
    assert exc.value.field == "reason" and not item.is_revoked


def test_revoke_twice_is_refused(province, unit):
    item = issue(draft(province, [approved(unit)])).items[0]
    services.revoke_item(item, number="88/QĐ-UBND", dated_on=date(2025, 3, 1), reason="Sai đối tượng.", actor=None,
                         today=date(2025, 6, 1))
    with pytest.raises(services.DecisionError, match="đã bị thu hồi"):
        services.revoke_item(item, number="89/QĐ-UBND", dated_on=date(2025, 3, 2), reason="Lần hai.", actor=None,
                             today=date(2025, 6, 1))


def test_revoke_dated_before_award_is_refused(province, unit):
    item = issue(draft(province, [approved(unit)])).items[0]
    with pytest.raises(services.DecisionError, match="trước ngày ký"):
        services.revoke_item(item, number="88/QĐ-UBND", dated_on=date(2024, 12, 31), reason="Sai.", actor=None,
                             today=date(2025, 6, 1))


def test_new_verify_code_is_21_base32_chars():
    codes = {services.new_verify_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 21 and set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for c in codes)


# --- revoked awards no longer count --------------------------------------------------------------

def test_eligibility_ignores_revoked_record(unit):
    from thidua.rules.eligibility import Outcome, evaluate

    person = factories.make_person(unit=unit, hired_on=date(2015, 9, 1))
    record = factories.make_award_record(code="LDTT", year=2025, person=person)

    def ldtt_same_year():
        found = [r for r in evaluate(factories.award_type("CSTDCS"), person=person, year=2025, today=date(2026, 1, 15))
                 if r.code == "ldtt_same_year"]
        return found[0].outcome

    assert ldtt_same_year() == Outcome.PASS
    record.revoked_on = date(2026, 1, 10)
    factories.db.session.flush()
    assert ldtt_same_year() == Outcome.FAIL


def test_quota_basis_ignores_revoked_record(unit):
    from thidua.rules.quotas import quota_status

    people = [factories.make_person(unit=unit) for _ in range(20)]
    records = [factories.make_award_record(code="LDTT", year=2025, person=p) for p in people]
    for _ in range(3):
        factories.make_nomination(unit=unit, code="CSTDCS", year=2025, status="submitted")
    assert quota_status(unit.id, 2025, "CSTDCS")[0].basis == 20
    records[0].revoked_on = date(2026, 1, 10)
    factories.db.session.flush()
    status = quota_status(unit.id, 2025, "CSTDCS")[0]
    assert (status.basis, status.limit, status.over) == (19, 2, True)
