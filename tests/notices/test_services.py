from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.nominations import workflow
from thidua.notices import services
from thidua.notices.models import NoticeComment, PublicNotice

TODAY = date(2025, 11, 20)
NOW = datetime(2025, 11, 20, 3, 0, tzinfo=UTC)


def make_notice(unit, *, code="BK_TINH", starts_on=TODAY - timedelta(days=2), ends_on=TODAY + timedelta(days=8),
                nominations=None, status="accepted"):
    """A notice of `code` with the given candidates (by default one accepted dossier of `unit`)."""
    if nominations is None:
        nominations = [factories.make_nomination(unit=unit, code=code, status=status)]
    return services.create_notice(title="Lấy ý kiến nhân dân", award_type=factories.award_type(code),
                                  starts_on=starts_on, ends_on=ends_on,
                                  nomination_ids=[n.id for n in nominations], actor=None)


def comment(notice, nomination=None, *, ip="203.0.113.7", now=NOW, today=TODAY, body="Ý kiến"):
    return services.add_comment(notice, nomination or notice.nominations[0], body=body, ip=ip, now=now, today=today)


def comment_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(NoticeComment))


def test_create_with_accepted_and_submitted_dossiers_publishes_them(db, unit):
    accepted = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    submitted = factories.make_nomination(unit=unit, code="BK_TINH", status="submitted")
    notice = make_notice(unit, nominations=[accepted, submitted])
    assert set(notice.nominations) == {accepted, submitted}


@pytest.mark.parametrize("status", ["draft", "returned", "rejected", "withdrawn"])
def test_create_with_dossier_not_yet_sent_or_refused_is_refused(db, unit, status):
    with pytest.raises(services.NoticeError, match="không thể công khai"):
        make_notice(unit, status=status)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicNotice)) == 0


def test_create_with_dossier_of_another_award_is_refused(db, unit):
    other = factories.make_nomination(unit=unit, code="LDTT", status="accepted")
    with pytest.raises(services.NoticeError, match="không thuộc danh hiệu"):
        make_notice(unit, nominations=[other])


def test_create_with_end_before_start_is_refused(db, unit):
    with pytest.raises(services.NoticeError, match="không được trước ngày bắt đầu"):
        make_notice(unit, starts_on=TODAY, ends_on=TODAY - timedelta(days=1))


def test_update_keeps_candidate_whose_dossier_moved_on(db, unit):
    notice = make_notice(unit)
    nomination = notice.nominations[0]
    workflow.transition(nomination, "approve", actor=None)
    services.update_notice(notice, title="Tiêu đề mới", starts_on=notice.starts_on, ends_on=notice.ends_on,
                           nomination_ids=[nomination.id])
    assert notice.nominations == [nomination] and notice.title == "Tiêu đề mới"


def test_comment_while_running_is_kept_with_ip(db, unit):
    notice = make_notice(unit)
    kept = comment(notice, body="  Ông An đã bị kỷ luật năm 2024  ")
    assert kept.body == "Ông An đã bị kỷ luật năm 2024" and kept.ip == "203.0.113.7"
    assert services.comments_for(notice.nominations[0]) == [kept]


@pytest.mark.parametrize("today", [TODAY - timedelta(days=3), TODAY + timedelta(days=9)], ids=["before", "after"])
def test_comment_outside_the_period_is_refused(db, unit, today):
    notice = make_notice(unit)
    with pytest.raises(services.NoticeError, match="Chỉ nhận ý kiến trong thời gian công khai"):
        comment(notice, today=today)
    assert comment_count(db) == 0


@pytest.mark.parametrize("today", [TODAY - timedelta(days=2), TODAY + timedelta(days=8)], ids=["first", "last"])
def test_comment_on_first_and_last_day_is_kept(db, unit, today):
    notice = make_notice(unit)
    comment(notice, today=today)
    assert comment_count(db) == 1


def test_comment_on_dossier_not_on_the_notice_is_refused(db, unit):
    notice = make_notice(unit)
    other = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    with pytest.raises(services.NoticeError, match="không có trong danh sách"):
        comment(notice, other)


def test_comment_on_withdrawn_candidate_is_refused(db, unit):
    notice = make_notice(unit, status="submitted")
    workflow.transition(notice.nominations[0], "withdraw", actor=None)
    with pytest.raises(services.NoticeError, match="không có trong danh sách"):
        comment(notice)


def test_comment_limit_allows_five_then_refuses_the_sixth(db, unit):
    notice = make_notice(unit)
    for i in range(services.COMMENT_LIMIT):
        comment(notice, now=NOW + timedelta(minutes=i))
    with pytest.raises(services.CommentsLimited, match="Vui lòng chờ"):
        comment(notice, now=NOW + timedelta(minutes=9, seconds=59))
    assert comment_count(db) == services.COMMENT_LIMIT


def test_comment_limit_frees_up_once_the_first_leaves_the_window(db, unit):
    notice = make_notice(unit)
    for i in range(services.COMMENT_LIMIT):
        comment(notice, now=NOW + timedelta(minutes=i))
    comment(notice, now=NOW + services.COMMENT_WINDOW)  # the first one is exactly 10 minutes old: out
    assert comment_count(db) == services.COMMENT_LIMIT + 1


def test_comment_limit_counts_each_address_separately(db, unit):
    notice = make_notice(unit)
    for _ in range(services.COMMENT_LIMIT):
        comment(notice, ip="203.0.113.7")
    comment(notice, ip="198.51.100.2")
    assert comment_count(db) == services.COMMENT_LIMIT + 1


def test_end_running_notice_makes_yesterday_its_last_day(db, unit):
    notice = make_notice(unit)
    services.end_notice(notice, today=TODAY)
    assert notice.ends_on == TODAY - timedelta(days=1)
    with pytest.raises(services.NoticeError):
        comment(notice)


def test_end_notice_that_started_today_is_refused(db, unit):
    notice = make_notice(unit, starts_on=TODAY)
    with pytest.raises(services.NoticeError, match="bắt đầu công khai từ hôm nay"):
        services.end_notice(notice, today=TODAY)
    assert notice.ends_on == TODAY + timedelta(days=8)


def test_comments_by_candidate_keeps_comments_of_a_candidate_taken_off(db, unit):
    first = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    second = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    notice = make_notice(unit, nominations=[first, second])
    comment(notice, first, body="Về người thứ nhất")
    services.update_notice(notice, title=notice.title, starts_on=notice.starts_on, ends_on=notice.ends_on,
                           nomination_ids=[second.id])
    groups = {g.nomination: g for g in services.comments_by_candidate(notice)}
    assert not groups[first].listed and [c.body for c in groups[first].comments] == ["Về người thứ nhất"]
    assert groups[second].listed and groups[second].comments == []
