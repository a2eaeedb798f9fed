from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.campaigns import services
from thidua.campaigns.models import CampaignRegistration, CampaignStatus


@pytest.mark.parametrize(
    ("action", "source", "target"),
    [
        ("open", CampaignStatus.DRAFT, CampaignStatus.OPEN),
        ("close", CampaignStatus.OPEN, CampaignStatus.CLOSED),
        ("summarize", CampaignStatus.CLOSED, CampaignStatus.SUMMARIZED),
    ],
)
def test_transition_from_allowed_state_moves_status_and_is_audited(db, action, source, target):
    campaign = factories.make_campaign(status=source)
    services.transition(campaign, action)
    db.session.commit()
    assert campaign.status == target
    assert campaign.status_changed_at is not None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == f"campaign.{action}")).one()
    assert entry.changes["status"] == [source.value, target.value]


@pytest.mark.parametrize(
    ("action", "source"),
    [
        ("open", CampaignStatus.OPEN),
        ("open", CampaignStatus.CLOSED),
        ("close", CampaignStatus.DRAFT),
        ("close", CampaignStatus.SUMMARIZED),
        ("summarize", CampaignStatus.OPEN),
        ("summarize", CampaignStatus.DRAFT),
    ],
)
def test_transition_from_wrong_state_is_refused_and_changes_nothing(db, action, source):
    campaign = factories.make_campaign(status=source)
    with pytest.raises(services.CampaignError, match="Không thể"):
        services.transition(campaign, action)
    assert campaign.status == source


def test_open_after_campaign_period_ended_is_refused(db):
    campaign = factories.make_campaign(status="draft", starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31),
                                       nomination_deadline=None)
    with pytest.raises(services.CampaignError, match="hết thời gian"):
        services.transition(campaign, "open", today=date(2021, 1, 1))


def test_update_with_stale_version_is_refused(db):
    campaign = factories.make_campaign()
    db.session.commit()
    services.update_campaign(campaign, version=campaign.version, name="Tên mới")
    db.session.commit()
    with pytest.raises(services.StaleEdit, match="người khác sửa"):
        services.update_campaign(campaign, version=1, name="Bản cũ ghi đè")
    assert campaign.name == "Tên mới"


def test_update_summarized_campaign_is_refused(db):
    campaign = factories.make_campaign(status="summarized")
    with pytest.raises(services.CampaignError, match="đã tổng kết"):
        services.update_campaign(campaign, version=None, name="x")


def test_update_records_before_and_after_in_audit_log(db):
    campaign = factories.make_campaign(name="Phong trào A")
    db.session.commit()
    services.update_campaign(campaign, version=campaign.version, name="Phong trào B")
    db.session.commit()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "campaigns", AuditEntry.action == "update")
    ).one()
    assert entry.changes == {"name": ["Phong trào A", "Phong trào B"]}
    assert entry.object_id == str(campaign.id)


def test_register_open_campaign_creates_registration(db, unit):
    campaign = factories.make_campaign()
    reg = services.register(campaign, unit=unit, commitments="Phấn đấu đạt Cờ thi đua", actor=None)
    assert reg.id is not None and reg.unit == unit


def test_register_twice_for_same_unit_is_refused(db, unit):
    campaign = factories.make_campaign()
    services.register(campaign, unit=unit, commitments="Lần 1", actor=None)
    with pytest.raises(services.CampaignError, match="đã đăng ký"):
        services.register(campaign, unit=unit, commitments="Lần 2", actor=None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignRegistration)) == 1


@pytest.mark.parametrize("status", ["draft", "closed", "summarized"])
def test_register_when_campaign_not_open_is_refused(db, unit, status):
    campaign = factories.make_campaign(status=status)
    with pytest.raises(services.CampaignError, match="đang phát động"):
        services.register(campaign, unit=unit, commitments="x", actor=None)


def test_register_unit_no_longer_valid_is_refused(db, province):
    old = factories.make_unit(kind="ward", parent=province, valid_to=date.today() - timedelta(days=1),
                              valid_from=date(2000, 1, 1))
    campaign = factories.make_campaign()
    with pytest.raises(services.CampaignError, match="không còn hoạt động"):
        services.register(campaign, unit=old, commitments="x", actor=None)


def test_delete_non_draft_campaign_is_refused(db):
    campaign = factories.make_campaign(status="open")
    with pytest.raises(services.CampaignError, match="dự thảo"):
        services.delete_campaign(campaign)


def test_cancel_registration_after_close_is_refused(db, unit):
    campaign = factories.make_campaign()
    reg = factories.make_registration(campaign, unit)
    campaign.status = CampaignStatus.CLOSED
    with pytest.raises(services.CampaignError):
        services.cancel_registration(reg)
