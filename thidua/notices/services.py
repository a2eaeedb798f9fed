"""State changes of public notices (công khai) and the comments people send about candidates.

Services flush, never commit, and raise `NoticeError` with a Vietnamese message. `comments_for`
is the read function other domains (the council) call to show a candidate's comments with the
notice period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from thidua.audit.services import label
from thidua.enums import LabeledEnum
from thidua.extensions import db, utcnow
from thidua.nominations.models import ACTIVE_STATUSES, Nomination, NominationStatus
from thidua.registry.models import Person
from thidua.rules.models import AwardType
from thidua.text import vi_name_key

from .models import NoticeComment, PublicNotice, notice_nominations

TITLE_MAX = 300
AUTHOR_MAX = 200
CONTACT_MAX = 200
BODY_MAX = 2000

# At most COMMENT_LIMIT comments per COMMENT_WINDOW from one IP address, counted in the database so
# the limit holds across workers and restarts.
COMMENT_LIMIT = 5
COMMENT_WINDOW = timedelta(minutes=10)

# Dossiers that may be put on public notice: accepted for the council, or submitted and being checked.
PUBLISHABLE = frozenset({NominationStatus.ACCEPTED, NominationStatus.SUBMITTED})


class NoticeError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user. `field` names the form field
    the message belongs beside, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class CommentsLimited(NoticeError):
    """Too many comments from one address in the window."""


def local_today() -> date:
    """Today in the application's time zone (Viet Nam), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


class NoticeState(LabeledEnum):
    """Where a notice stands on a given day (derived from its period, never stored)."""

    UPCOMING = ("upcoming", "Chưa bắt đầu")
    RUNNING = ("running", "Đang công khai")
    ENDED = ("ended", "Đã kết thúc")


def state_of(notice: PublicNotice, day: date) -> NoticeState:
    if day < notice.starts_on:
        return NoticeState.UPCOMING
    if day > notice.ends_on:
        return NoticeState.ENDED
    return NoticeState.RUNNING


# --- queries ---------------------------------------------------------------------------------------

def publishable_nominations(award_type: AwardType) -> list[Nomination]:
    """Dossiers for this title or form (any version of it) that may be published: accepted or
    submitted. Sorted the Vietnamese way by nominee name."""
    stmt = (
        sa.select(Nomination)
        .join(AwardType, Nomination.award_type_id == AwardType.id)
        .where(AwardType.code == award_type.code, Nomination.status.in_(PUBLISHABLE))
        .options(*_with_nominee())
    )
    return sort_candidates(db.session.scalars(stmt).unique().all())


def sort_candidates(nominations: list[Nomination]) -> list[Nomination]:
    return sorted(nominations, key=lambda n: (n.is_collective, vi_name_key(n.nominee_name), n.id))


def _with_nominee():
    return (joinedload(Nomination.person).joinedload(Person.unit), joinedload(Nomination.nominee_unit),
            joinedload(Nomination.unit), joinedload(Nomination.award_type))


def listed_nominations(notice: PublicNotice) -> list[Nomination]:
    """Every dossier on the notice, with what a candidate row shows, in a fixed number of queries."""
    stmt = (sa.select(Nomination).join(notice_nominations, notice_nominations.c.nomination_id == Nomination.id)
            .where(notice_nominations.c.notice_id == notice.id).options(*_with_nominee()))
    return sort_candidates(list(db.session.scalars(stmt)))


def candidates(notice: PublicNotice) -> list[Nomination]:
    """The candidates shown on the public page: those still alive (a withdrawn or rejected dossier
    drops off the notice)."""
    return [n for n in listed_nominations(notice) if n.status in ACTIVE_STATUSES]


def candidate_counts(notice_ids: list[int]) -> dict[int, int]:
    if not notice_ids:
        return {}
    rows = db.session.execute(sa.select(notice_nominations.c.notice_id, sa.func.count())
                              .where(notice_nominations.c.notice_id.in_(notice_ids))
                              .group_by(notice_nominations.c.notice_id))
    return dict(rows.all())


def running_notices(day: date) -> list[PublicNotice]:
    stmt = (sa.select(PublicNotice)
            .where(PublicNotice.starts_on <= day, PublicNotice.ends_on >= day)
            .options(joinedload(PublicNotice.award_type))
            .order_by(PublicNotice.ends_on, PublicNotice.id))
    return list(db.session.scalars(stmt))


def comment_counts(notice_ids: list[int]) -> dict[int, int]:
    if not notice_ids:
        return {}
    rows = db.session.execute(sa.select(NoticeComment.notice_id, sa.func.count())
                              .where(NoticeComment.notice_id.in_(notice_ids))
                              .group_by(NoticeComment.notice_id))
    return dict(rows.all())


def comments_for(nomination: Nomination) -> list[NoticeComment]:
    """Every comment sent about this dossier, oldest first, with its notice loaded (so its period
    can be shown next to it). For the secretariat and the council; never for the public."""
    stmt = (sa.select(NoticeComment)
            .where(NoticeComment.nomination_id == nomination.id)
            .options(joinedload(NoticeComment.notice))
            .order_by(NoticeComment.created_at, NoticeComment.id))
    return list(db.session.scalars(stmt))


@dataclass
class CandidateComments:
    nomination: Nomination
    comments: list[NoticeComment]
    listed: bool  # still on the notice (a candidate taken off keeps the comments already sent)


def comments_by_candidate(notice: PublicNotice) -> list[CandidateComments]:
    """The notice's candidates, each with the comments about it, plus any dossier that received
    comments and was later taken off the notice."""
    comments: dict[int, list[NoticeComment]] = {}
    stmt = (sa.select(NoticeComment).where(NoticeComment.notice_id == notice.id)
            .order_by(NoticeComment.created_at, NoticeComment.id))
    for c in db.session.scalars(stmt):
        comments.setdefault(c.nomination_id, []).append(c)
    listed = listed_nominations(notice)
    listed_ids = {n.id for n in listed}
    extra = []
    if set(comments) - listed_ids:
        stmt = (sa.select(Nomination).where(Nomination.id.in_(set(comments) - listed_ids))
                .options(*_with_nominee()))
        extra = sort_candidates(list(db.session.scalars(stmt)))
    return [CandidateComments(n, comments.get(n.id, []), n.id in listed_ids) for n in listed + extra]


# --- changes ---------------------------------------------------------------------------------------

def _check_period(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is None:
        raise NoticeError("Vui lòng nhập ngày bắt đầu công khai.", "starts_on")
    if ends_on is None:
        raise NoticeError("Vui lòng nhập ngày kết thúc công khai.", "ends_on")
    if ends_on < starts_on:
        raise NoticeError("Ngày kết thúc không được trước ngày bắt đầu.", "ends_on")


def _pick_nominations(award_type: AwardType, nomination_ids, *, keep: set[int] = frozenset()) -> list[Nomination]:
    """The chosen dossiers, each checked to be publishable for this award; `keep` are ids already on
    the notice, which stay allowed even if their status has moved on since (e.g. accepted → approved)."""
    ids = list(dict.fromkeys(int(i) for i in nomination_ids))
    if not ids:
        raise NoticeError("Vui lòng chọn ít nhất một hồ sơ để công khai.", "nomination_ids")
    found = {n.id: n for n in db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(ids)))}
    chosen = []
    for nid in ids:
        n = found.get(nid)
        if n is None or n.award_type.code != award_type.code:
            raise NoticeError("Hồ sơ được chọn không thuộc danh hiệu, hình thức khen thưởng của thông báo.",
                              "nomination_ids")
        if n.status not in PUBLISHABLE and nid not in keep:
            raise NoticeError(f"Hồ sơ “{n.nominee_name}” đang ở trạng thái “{n.status.label}”, không thể công khai.",
                              "nomination_ids")
        chosen.append(n)
    return chosen


def create_notice(*, title: str, award_type: AwardType, starts_on: date, ends_on: date, nomination_ids,
                  actor) -> PublicNotice:
    """Publish the chosen dossiers of `award_type` for the period [starts_on, ends_on]."""
    _check_period(starts_on, ends_on)
    notice = PublicNotice(title=title, award_type=award_type, starts_on=starts_on, ends_on=ends_on,
                          created_by_id=getattr(actor, "id", None),
                          nominations=_pick_nominations(award_type, nomination_ids))
    db.session.add(notice)
    label(notice, "notice.create")
    db.session.flush()
    return notice


def update_notice(notice: PublicNotice, *, title: str, starts_on: date, ends_on: date, nomination_ids) -> PublicNotice:
    """Change the title, the period and the candidates. Comments already sent are kept even for a
    candidate taken off the notice."""
    _check_period(starts_on, ends_on)
    current = {n.id for n in notice.nominations}
    notice.nominations = _pick_nominations(notice.award_type, nomination_ids, keep=current)
    notice.title = title
    notice.starts_on = starts_on
    notice.ends_on = ends_on
    label(notice, "notice.update")
    db.session.flush()
    return notice


def end_notice(notice: PublicNotice, *, today: date | None = None) -> PublicNotice:
    """End a running notice now: its last day becomes yesterday, so from today it is off the public
    page and takes no more comments."""
    today = today or local_today()
    state = state_of(notice, today)
    if state == NoticeState.ENDED:
        raise NoticeError("Thông báo đã kết thúc.")
    if state == NoticeState.UPCOMING:
        raise NoticeError("Thông báo chưa bắt đầu công khai; hãy sửa lại thời gian công khai.")
    yesterday = today - timedelta(days=1)
    if yesterday < notice.starts_on:
        # The period is counted in whole days and must not end before it starts.
        raise NoticeError("Thông báo bắt đầu công khai từ hôm nay nên chưa thể kết thúc sớm; "
                          "hãy sửa lại thời gian công khai.")
    notice.ends_on = yesterday
    label(notice, "notice.end")
    db.session.flush()
    return notice


def recent_comment_count(ip: str, *, now: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(NoticeComment)
                             .where(NoticeComment.ip == ip, NoticeComment.created_at > now - COMMENT_WINDOW))


def add_comment(notice: PublicNotice, nomination: Nomination, *, body: str, author_name: str | None = None,
                contact: str | None = None, ip: str | None, now: datetime | None = None,
                today: date | None = None) -> NoticeComment:
    """Keep a citizen's comment on a candidate of a running notice.

    Raises NoticeError outside the notice period or for a candidate not on the notice, and
    CommentsLimited when this address already sent COMMENT_LIMIT comments in COMMENT_WINDOW.
    """
    now = now or utcnow()
    today = today or local_today()
    if state_of(notice, today) != NoticeState.RUNNING:
        raise NoticeError(f"Chỉ nhận ý kiến trong thời gian công khai (từ {notice.starts_on:%d/%m/%Y} "
                          f"đến {notice.ends_on:%d/%m/%Y}).")
    if nomination not in candidates(notice):
        raise NoticeError("Ứng viên này không có trong danh sách công khai.")
    body = (body or "").strip()
    if not body:
        raise NoticeError("Vui lòng nhập nội dung ý kiến.", "body")
    if len(body) > BODY_MAX:
        raise NoticeError(f"Nội dung ý kiến tối đa {BODY_MAX} ký tự.", "body")
    ip = (ip or "không rõ")[:64]
    if recent_comment_count(ip, now=now) >= COMMENT_LIMIT:
        minutes = int(COMMENT_WINDOW.total_seconds() // 60)
        raise CommentsLimited(f"Bạn đã gửi {COMMENT_LIMIT} ý kiến trong {minutes} phút gần đây. "
                              f"Vui lòng chờ ít phút rồi gửi tiếp.")
    comment = NoticeComment(notice=notice, nomination=nomination, body=body, author_name=author_name or None,
                            contact=contact or None, ip=ip, created_at=now)
    db.session.add(comment)
    label(comment, "notice.comment")
    db.session.flush()
    return comment

