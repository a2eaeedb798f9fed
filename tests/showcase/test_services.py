from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.showcase import queries, services
from thidua.showcase.models import ModelStatus, Replication

from ..factories import make_good_model, make_unit, make_user


def _actions(db, model) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "good_models",
                                                                      AuditEntry.object_id == str(model.id))))


def test_create_model_is_proposed_and_audited(db, unit):
    model = services.create_model(title="Mô hình “Trường học số”", field="education", unit=unit,
                                  summary="Tóm tắt", description="Nội dung")
    assert model.status == ModelStatus.PROPOSED
    assert model.title_folded == "mo hinh “truong hoc so”"
    assert _actions(db, model) == ["good_model.create"]


def test_create_model_without_summary_is_refused(db, unit):
    with pytest.raises(services.ShowcaseError) as exc:
        services.create_model(title="Mô hình", field="education", unit=unit, summary="", description="Nội dung")
    assert exc.value.field == "summary"


def test_recognise_proposed_model_sets_date_and_document(db, unit):
    model = make_good_model(unit=unit)
    services.recognise(model, recognised_on=date(2025, 5, 1), recognition_ref="125/QĐ-UBND")
    assert (model.status, model.recognised_on, model.recognition_ref) == (ModelStatus.RECOGNISED, date(2025, 5, 1),
                                                                          "125/QĐ-UBND")
    assert "good_model.recognise" in _actions(db, model)


def test_recognise_twice_is_refused(db, unit):
    model = make_good_model(unit=unit, status="recognised")
    with pytest.raises(services.ShowcaseError, match="không thể công nhận"):
        services.recognise(model, recognised_on=date(2025, 5, 1), recognition_ref="1/QĐ-UBND")


def test_recognise_in_the_future_is_refused(db, unit):
    model = make_good_model(unit=unit)
    with pytest.raises(services.ShowcaseError) as exc:
        services.recognise(model, recognised_on=date.today() + timedelta(days=1), recognition_ref="1/QĐ-UBND")
    assert exc.value.field == "recognised_on"


def test_feature_proposed_model_is_refused(db, unit):
    with pytest.raises(services.ShowcaseError, match="đã được công nhận"):
        services.set_featured(make_good_model(unit=unit), True)


def test_archive_takes_a_featured_model_off_the_home(db, unit):
    model = make_good_model(unit=unit, status="recognised", featured=True)
    services.archive(model)
    assert (model.status, model.featured) == (ModelStatus.ARCHIVED, False)
    assert "good_model.archive" in _actions(db, model)


def test_replicate_proposed_model_is_refused(db, unit):
    model = make_good_model(unit=unit)
    with pytest.raises(services.ShowcaseError, match="đã được công nhận"):
        services.replicate(model, unit=make_unit(), adopted_on=date(2025, 6, 1))


def test_replicate_twice_by_one_unit_is_refused(db, unit):
    model = make_good_model(unit=unit, status="recognised")
    other = make_unit(name="Sở Y tế")
    rep = services.replicate(model, unit=other, adopted_on=date(2025, 6, 1), result="Giảm 20% thời gian")
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.object_type == "replications",
                                                                AuditEntry.object_id == str(rep.id))) \
        == "good_model.replicate"
    with pytest.raises(services.ShowcaseError, match="Sở Y tế đã ghi nhận") as exc:
        services.replicate(model, unit=other, adopted_on=date(2025, 7, 1))
    assert exc.value.field == "unit_id"
    assert db.session.scalar(sa.select(sa.func.count(Replication.id))) == 1


def test_replicate_by_the_model_own_unit_is_refused(db, unit):
    model = make_good_model(unit=unit, status="recognised")
    with pytest.raises(services.ShowcaseError, match="chính mô hình"):
        services.replicate(model, unit=unit, adopted_on=date(2025, 6, 1))


def test_search_ignores_diacritics_and_case(db, unit):
    wanted = make_good_model(unit=unit, title="Mô hình “Dân vận khéo” ở khu phố")
    make_good_model(unit=unit, title="Cách làm hay về chuyển đổi số")
    staff = make_user(roles=[Role.SECRETARIAT])
    found = queries.registry_page(staff, queries.Filters(q="MO HINH")).items
    assert [m.id for m in found] == [wanted.id]
    assert [m.id for m in queries.registry_page(staff, queries.Filters(q="dan van kheo")).items] == [wanted.id]


def test_registry_list_shows_proposed_models_only_to_their_unit_and_reviewers(db, unit):
    proposed = make_good_model(unit=unit)
    recognised = make_good_model(unit=make_unit(), status="recognised")
    other_proposed = make_good_model(unit=make_unit())
    officer = make_user(roles=[Role.UNIT_OFFICER], unit=unit)
    viewer = make_user(roles=[])  # signed in, no role
    assert {m.id for m in queries.registry_page(officer, queries.Filters()).items} == {proposed.id, recognised.id}
    assert {m.id for m in queries.registry_page(viewer, queries.Filters()).items} == {recognised.id}
    assert other_proposed.id not in {m.id for m in queries.registry_page(officer, queries.Filters()).items}
