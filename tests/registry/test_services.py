"""Registry services: people, award records, evaluations, initiatives and discipline."""

import unicodedata
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.registry import services
from thidua.registry.models import AwardRecord, Person, RecordSource
from thidua.rules.models import AwardMethod


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- people -------------------------------------------------------------------------------------

def test_create_person_with_decomposed_name_stores_nfc_and_folded_name(db, unit):
    typed = unicodedata.normalize("NFD", "  Nguyễn   Văn An ")
    person = services.create_person(full_name=typed, unit_id=unit.id, gender="male", birth_date=date(1980, 5, 1))
    assert person.full_name == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", person.full_name)
    assert person.name_folded == "nguyen van an"


def test_create_person_matching_existing_one_asks_instead_of_duplicating(db, unit):
    existing = factories.make_person(full_name="Nguyễn Văn An", unit=unit, birth_date=date(1980, 5, 1))
    with pytest.raises(services.DuplicatePerson) as refused:
        services.create_person(full_name="NGUYEN VAN AN", unit_id=unit.id, birth_date=date(1980, 5, 1))
    assert refused.value.matches == [existing]
    assert "dùng hồ sơ có sẵn hay vẫn tạo mới" in str(refused.value)
    assert count(db, Person) == 1


def test_create_person_matching_existing_one_when_confirmed_creates_it(db, unit):
    factories.make_person(full_name="Nguyễn Văn An", unit=unit, birth_date=date(1980, 5, 1))
    services.create_person(full_name="Nguyễn Văn An", unit_id=unit.id, birth_date=date(1980, 5, 1),
                           allow_duplicate=True)
    assert count(db, Person) == 2


def test_create_person_same_name_other_birth_date_is_not_a_duplicate(db, unit):
    factories.make_person(full_name="Nguyễn Văn An", unit=unit, birth_date=date(1980, 5, 1))
    services.create_person(full_name="Nguyễn Văn An", unit_id=unit.id, birth_date=date(1991, 1, 2))
    assert count(db, Person) == 2


def test_create_person_with_national_id_of_someone_else_is_refused(db, unit):
    factories.make_person(full_name="Lê Văn Bình", unit=unit, national_id="038080001234")
    with pytest.raises(services.RegistryError) as refused:
        services.create_person(full_name="Trần Văn Cường", unit_id=unit.id, national_id="038080001234")
    assert refused.value.field == "national_id"


@pytest.mark.parametrize("bad", ["12345", "03808000123A", "0380800012345"])
def test_create_person_with_malformed_national_id_is_refused(db, unit, bad):
    with pytest.raises(services.RegistryError, match="9 hoặc 12 chữ số"):
        services.create_person(full_name="Trần Văn Cường", unit_id=unit.id, national_id=bad)


def test_create_person_born_in_the_future_is_refused(db, unit):
    with pytest.raises(services.RegistryError) as refused:
        services.create_person(full_name="Trần Văn Cường", unit_id=unit.id, birth_date=date(2999, 1, 1))
    assert refused.value.field == "birth_date"


def test_update_person_keeps_own_national_id_and_refolds_name(db, unit):
    person = factories.make_person(full_name="Lê Văn Bình", unit=unit, national_id="038080001234")
    services.update_person(person, full_name="Lê Văn Bính", national_id="038080001234")
    assert person.name_folded == "le van binh" and person.full_name == "Lê Văn Bính"


def test_create_person_is_audited_with_its_own_action(db, unit):
    person = services.create_person(full_name="Lê Văn Bình", unit_id=unit.id)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "people")).one()
    assert entry.action == "person.create" and entry.object_id == str(person.id)


# --- award records ------------------------------------------------------------------------------

def test_add_award_record_without_name_takes_the_catalogue_name(db, unit):
    person = factories.make_person(unit=unit)
    factories.award_type("LDTT")
    record = services.add_award_record(person=person, award_code="LDTT", year=2019, decision_number="12/QĐ-SGDĐT",
                                       decision_date=date(2020, 1, 5), issuer="Giám đốc Sở GDĐT")
    assert record.award_name == "Lao động tiên tiến"
    assert record.method == AwardMethod.REGULAR and record.source == RecordSource.MANUAL


def test_add_award_record_with_unknown_code_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    factories.award_type("LDTT")
    with pytest.raises(services.RegistryError, match="không có trong danh mục") as refused:
        services.add_award_record(person=person, award_code="XYZ", year=2019)
    assert refused.value.field == "award_code"
    assert count(db, AwardRecord) == 0


def test_add_collective_title_to_a_person_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    factories.award_type("TTLDXS")
    with pytest.raises(services.RegistryError, match="không dành cho cá nhân"):
        services.add_award_record(person=person, award_code="TTLDXS", year=2024)


def test_add_individual_title_to_a_unit_is_refused(db, unit):
    factories.award_type("LDTT")
    with pytest.raises(services.RegistryError, match="không dành cho tập thể"):
        services.add_award_record(unit=unit, award_code="LDTT", year=2024)


def test_add_same_title_twice_in_one_year_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    factories.make_award_record(code="CSTDCS", year=2023, person=person)
    with pytest.raises(services.RegistryError, match="Sổ đã có"):
        services.add_award_record(person=person, award_code="CSTDCS", year=2023, decision_number="99/QĐ")


def test_add_same_form_twice_in_one_year_by_two_decisions_is_allowed(db, unit):
    person = factories.make_person(unit=unit)
    factories.make_award_record(code="BK_TINH", year=2023, person=person, decision_number="1/QĐ-UBND")
    services.add_award_record(person=person, award_code="BK_TINH", year=2023, decision_number="2/QĐ-UBND",
                              method="sudden")
    with pytest.raises(services.RegistryError, match="Sổ đã có"):
        services.add_award_record(person=person, award_code="BK_TINH", year=2023, decision_number="2/qđ-ubnd")


def test_add_award_with_decision_dated_before_the_award_year_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    factories.award_type("LDTT")
    with pytest.raises(services.RegistryError) as refused:
        services.add_award_record(person=person, award_code="LDTT", year=2020, decision_date=date(2019, 12, 1))
    assert refused.value.field == "decision_date"


@pytest.mark.parametrize("year", [1900, date.today().year + 2])
def test_add_award_with_implausible_year_is_refused(db, unit, year):
    person = factories.make_person(unit=unit)
    factories.award_type("LDTT")
    with pytest.raises(services.RegistryError) as refused:
        services.add_award_record(person=person, award_code="LDTT", year=year)
    assert refused.value.field == "year"


def test_update_award_record_to_a_year_already_held_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    factories.make_award_record(code="LDTT", year=2022, person=person)
    record = factories.make_award_record(code="LDTT", year=2023, person=person)
    with pytest.raises(services.RegistryError):
        services.update_award_record(record, award_code="LDTT", year=2022)
    services.update_award_record(record, award_code="LDTT", year=2021, award_name=None)
    assert record.year == 2021 and record.award_name == "Lao động tiên tiến"


def test_delete_award_record_frees_the_initiatives_it_used(db, unit):
    person = factories.make_person(unit=unit)
    record = factories.make_award_record(code="CSTDCS", year=2023, person=person)
    initiative = factories.make_initiative(person=person, used_by_award=record)
    services.delete_award_record(record)
    db.session.commit()
    db.session.refresh(initiative)
    assert initiative.used_by_award_id is None
    assert count(db, AwardRecord) == 0


# --- evaluations, initiatives, discipline -------------------------------------------------------

def test_add_second_evaluation_for_the_same_year_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    services.add_evaluation(person=person, year=2024, rating="good")
    with pytest.raises(services.RegistryError, match="Đã có kết quả đánh giá năm 2024"):
        services.add_evaluation(person=person, year=2024, rating="excellent")
    services.add_evaluation(unit=unit, year=2024, rating="excellent")  # the unit's own is separate


def test_update_evaluation_changes_rating(db, unit):
    evaluation = factories.make_evaluation(year=2024, rating="good", unit=unit)
    services.update_evaluation(evaluation, year=2024, rating="excellent")
    assert evaluation.rating.value == "excellent"


def test_mark_initiative_used_by_another_persons_award_is_refused(db, unit):
    person, other = factories.make_person(unit=unit), factories.make_person(unit=unit)
    their_award = factories.make_award_record(code="CSTDCS", year=2023, person=other)
    initiative = factories.make_initiative(person=person)
    with pytest.raises(services.RegistryError, match="chính người này"):
        services.update_initiative(initiative, used_by_award_id=their_award.id)


def test_add_initiative_without_title_is_refused(db, unit):
    with pytest.raises(services.RegistryError) as refused:
        services.add_initiative(factories.make_person(unit=unit), title="  ", level="unit")
    assert refused.value.field == "title"


def test_add_discipline_ending_before_it_starts_is_refused(db, unit):
    person = factories.make_person(unit=unit)
    with pytest.raises(services.RegistryError) as refused:
        services.add_discipline(person, level="Khiển trách", starts_on=date(2024, 3, 1), ends_on=date(2024, 2, 1))
    assert refused.value.field == "ends_on"
    record = services.add_discipline(person, level="Khiển trách", starts_on=date(2024, 3, 1), ends_on=None)
    assert record.ends_on is None
