"""Reminders and the daily run of scheduled work.

Two kinds of reminder, each sent **once per person and event** (a `ReminderLog` row, unique on user + key,
written in the same transaction as the notification):

- **Campaign deadlines** (`campaign:<id>:deadline:<n>`): for an OPEN campaign whose nomination deadline is
  exactly n days ahead (n in `REMINDER_DAYS`), the officers of each unit that still has dossiers in draft
  or returned for revision, and of each unit registered for the campaign that has no live dossier at all
  (registering is a commitment to take part; a withdrawn or rejected dossier does not count as one).
  Told: the officers whose role covers the unit (assigned to it or to a unit above, as the permission
  policy has it), one message per officer and campaign listing each of their units' backlog.
- **Council score sheets** (`session:<id>:sheets`): for a session with a rubric that is OPEN, or PLANNED
  and held tomorrow, each scoring member (not recused from everything, not recorded absent) whose sheets
  are not all submitted (`councils.scoring.progress`).

The `due_*` functions answer "who would be reminded, of what" without writing; `send_*` write the logs and
the notifications and flush; `run_daily(day)` is the scheduled job (the CLI command `flask thidua reminders`
and the Huey periodic task): it runs every step in its own transaction and commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from thidua.auth.models import Role, RoleAssignment, User
from thidua.campaigns.models import Campaign, CampaignRegistration, CampaignStatus
from thidua.councils.models import CouncilSession, SessionStatus
from thidua.extensions import db
from thidua.nominations.models import ACTIVE_STATUSES, Nomination, NominationStatus
from thidua.org.models import Unit
from thidua.text import vi_text_key

from .models import ReminderLog
from .services import app_path, notify

DEADLINE_KIND = "campaign.deadline"
SHEETS_KIND = "session.sheets_missing"
_PENDING = (NominationStatus.DRAFT, NominationStatus.RETURNED)


def local_today() -> date:
    """Today in the app's time zone (the server may run on UTC)."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- campaign deadlines ---------------------------------------------------------------------------------

@dataclass
class UnitBacklog:
    unit: Unit
    drafts: int = 0
    returned: int = 0
    registered_without_dossier: bool = False

    @property
    def pending(self) -> int:
        return self.drafts + self.returned

    def sentence(self) -> str:
        if self.registered_without_dossier:
            return f"{self.unit.name}: đã đăng ký thi đua nhưng chưa có hồ sơ đề nghị khen thưởng."
        parts = []
        if self.drafts:
            parts.append(f"{self.drafts} dự thảo")
        if self.returned:
            parts.append(f"{self.returned} bị trả lại bổ sung")
        return f"{self.unit.name}: còn {self.pending} hồ sơ chưa gửi ({', '.join(parts)})."


@dataclass
class DeadlineReminder:
    """One officer to remind of one campaign's deadline, with the backlog of each of their units."""

    user: User
    campaign: Campaign
    days: int
    units: list[UnitBacklog] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"campaign:{self.campaign.id}:deadline:{self.days}"

    @property
    def title(self) -> str:
        return (f"Còn {self.days} ngày đến hạn gửi hồ sơ phong trào “{self.campaign.name}” "
                f"(hạn {_vn(self.campaign.nomination_deadline)})")

    @property
    def body(self) -> str:
        return "\n".join(b.sentence() for b in self.units)


def _backlogs(campaign: Campaign) -> list[UnitBacklog]:
    """Units that still have to act on `campaign`: dossiers in draft or returned, or registered and no live
    dossier. In unit name order."""
    backlog: dict[int, UnitBacklog] = {}
    rows = db.session.execute(
        sa.select(Nomination.unit_id, Nomination.status, sa.func.count())
        .where(Nomination.campaign_id == campaign.id, Nomination.status.in_(_PENDING))
        .group_by(Nomination.unit_id, Nomination.status))
    for unit_id, status, count in rows:
        entry = backlog.setdefault(unit_id, UnitBacklog(unit=None))  # type: ignore[arg-type]
        if status == NominationStatus.DRAFT:
            entry.drafts += count
        else:
            entry.returned += count
    with_dossier = sa.select(Nomination.id).where(
        Nomination.campaign_id == campaign.id, Nomination.unit_id == CampaignRegistration.unit_id,
        Nomination.status.in_(ACTIVE_STATUSES))
    for unit_id in db.session.scalars(sa.select(CampaignRegistration.unit_id).where(
            CampaignRegistration.campaign_id == campaign.id, ~with_dossier.exists())):
        backlog[unit_id] = UnitBacklog(unit=None, registered_without_dossier=True)  # type: ignore[arg-type]
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(list(backlog))))}
    for unit_id, entry in backlog.items():
        entry.unit = units[unit_id]
    return sorted(backlog.values(), key=lambda b: (vi_text_key(b.unit.name), b.unit.id))


def _officers(unit_ids) -> dict[int, list[User]]:
    """Unit id → the active users whose unit-officer role covers it (assigned to it or to a unit above:
    an officer acts for their unit and everything below, as in the permission policy)."""
    from thidua.org.queries import ancestor_ids

    lines = {unit_id: [unit_id, *ancestor_ids(unit_id)] for unit_id in unit_ids}
    assigned: dict[int, list[User]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(RoleAssignment.unit_id, User).join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.UNIT_OFFICER, User.active.is_(True),
               RoleAssignment.unit_id.in_({u for line in lines.values() for u in line}))
        .order_by(User.id))
    for unit_id, user in rows:
        assigned[unit_id].append(user)
    return {unit_id: list({u.id: u for a in line for u in assigned.get(a, ())}.values())
            for unit_id, line in lines.items()}


def due_deadline_reminders(day: date, *, days: tuple[int, ...] | None = None) -> list[DeadlineReminder]:
    """Who is to be reminded on `day` of a campaign deadline n days ahead (n in `days`, by default
    REMINDER_DAYS), whether or not they already were. One entry per officer and campaign."""
    days = tuple(days if days is not None else current_app.config["REMINDER_DAYS"])
    reminders: list[DeadlineReminder] = []
    for n in sorted(set(days), reverse=True):
        campaigns = db.session.scalars(sa.select(Campaign).where(
            Campaign.status == CampaignStatus.OPEN, Campaign.nomination_deadline == day + timedelta(days=n))
            .order_by(Campaign.id))
        for campaign in campaigns:
            backlogs = _backlogs(campaign)
            if not backlogs:
                continue
            officers = _officers(b.unit.id for b in backlogs)
            by_user: dict[int, DeadlineReminder] = {}
            for backlog in backlogs:
                for user in officers.get(backlog.unit.id, ()):
                    by_user.setdefault(user.id, DeadlineReminder(user=user, campaign=campaign, days=n)) \
                        .units.append(backlog)
            reminders.extend(by_user.values())
    return reminders


# --- council score sheets -------------------------------------------------------------------------------

@dataclass
class SheetReminder:
    """One council member to remind of the score sheets they have not submitted for a session."""

    user: User
    session: CouncilSession
    expected: int
    submitted: int

    @property
    def key(self) -> str:
        return f"session:{self.session.id}:sheets"

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def title(self) -> str:
        return f"Còn {self.missing} phiếu chấm điểm chưa gửi – {self.session.title} ({_vn(self.session.held_on)})"

    @property
    def body(self) -> str:
        when = ("Phiên họp đang diễn ra" if self.session.status == SessionStatus.OPEN
                else f"Phiên họp diễn ra ngày {_vn(self.session.held_on)}")
        return (f"{when}. Bạn đã gửi {self.submitted}/{self.expected} phiếu chấm điểm; "
                f"đề nghị hoàn thành {self.missing} phiếu còn lại.")


def due_sheet_reminders(day: date) -> list[SheetReminder]:
    """Who is to be reminded on `day` of missing score sheets, whether or not they already were: scoring
    members of sessions with a rubric that are open, or planned and held the next day."""
    from thidua.councils.scoring import progress

    sessions = db.session.scalars(sa.select(CouncilSession).where(
        CouncilSession.rubric_id.is_not(None),
        sa.or_(CouncilSession.status == SessionStatus.OPEN,
               sa.and_(CouncilSession.status == SessionStatus.PLANNED,
                       CouncilSession.held_on == day + timedelta(days=1))))
        .order_by(CouncilSession.held_on, CouncilSession.id))
    reminders = []
    for session in sessions:
        for p in progress(session):
            if not p.done and p.member.user.active:
                reminders.append(SheetReminder(user=p.member.user, session=session, expected=p.expected,
                                               submitted=p.submitted))
    return reminders


# --- sending once ---------------------------------------------------------------------------------------

def claim(user: User, key: str) -> bool:
    """Write the reminder log for (user, key) and say whether this call wrote it. The unique constraint
    decides, in a savepoint, so a second run — even a concurrent one — finds the row and sends nothing."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderLog(user_id=user.id, key=key))
            db.session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def _send(reminders, *, kind: str, url_of, obj_of) -> int:
    sent = 0
    for r in reminders:
        if claim(r.user, r.key):
            notify([r.user], kind=kind, title=r.title, body=r.body, url=url_of(r), obj=obj_of(r))
            sent += 1
    return sent


def send_deadline_reminders(day: date) -> int:
    """Notify the officers due a deadline reminder on `day` who were not yet told; flush. Returns how many."""
    return _send(due_deadline_reminders(day), kind=DEADLINE_KIND,
                 url_of=lambda r: app_path("campaigns.detail", campaign_id=r.campaign.id), obj_of=lambda r: r.campaign)


def send_sheet_reminders(day: date) -> int:
    """Notify the members due a score-sheet reminder on `day` who were not yet told; flush. Returns how many."""
    return _send(due_sheet_reminders(day), kind=SHEETS_KIND,
                 url_of=lambda r: app_path("council_scoring.sheet", session_id=r.session.id), obj_of=lambda r: r.session)


# --- the daily run --------------------------------------------------------------------------------------

@dataclass
class DailyRun:
    day: date
    deadline_reminders: int = 0
    sheet_reminders: int = 0
    purged: int | None = None
    digests: int | None = None
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Ngày {_vn(self.day)}:",
               f"  Nhắc hạn gửi hồ sơ: {self.deadline_reminders} người",
               f"  Nhắc phiếu chấm điểm: {self.sheet_reminders} người"]
        if self.purged is not None:
            out.append(f"  Xóa thông báo cũ: {self.purged}")
        if self.digests is not None:
            out.append(f"  Thư tổng hợp hằng ngày: {self.digests}")
        out += [f"  Lỗi: {e}" for e in self.errors]
        return out


def _count(result) -> int:
    return result if isinstance(result, int) else len(result or ())


def _purge() -> int:
    from .services import purge_old

    return _count(purge_old(current_app.config["NOTIFICATION_RETENTION_DAYS"]))


def _digests(day: date) -> int:
    from .mail import send_digests

    return _count(send_digests(day))


def run_daily(day: date | None = None) -> DailyRun:
    """Run everything due on `day` (default: today in the app's time zone): deadline reminders, score-sheet
    reminders, the purge of old notifications and the daily digest. Each step is its own transaction,
    committed here (this is the job's "view"); a failing step is rolled back, reported and does not stop
    the others. Safe to run twice: reminders already logged are not sent again."""
    from thidua.audit.services import acting_as

    day = day or local_today()
    run = DailyRun(day=day)
    steps = [
        ("deadline_reminders", lambda: send_deadline_reminders(day)),
        ("sheet_reminders", lambda: send_sheet_reminders(day)),
        ("purged", _purge),
        ("digests", lambda: _digests(day)),
    ]
    with acting_as(None):
        for name, step in steps:
            try:
                setattr(run, name, step())
                db.session.commit()
            except Exception as exc:  # one failing step must not cost the others their run
                db.session.rollback()
                current_app.logger.exception("scheduled step %s failed", name)
                run.errors.append(f"{name}: {exc}")
    return run


def run_scheduled() -> None:
    """The Huey periodic task: `run_daily()` for today, logged."""
    run = run_daily()
    for line in run.lines():
        current_app.logger.info(line)
