"""The events that notify someone: one function per event, deciding WHO is told and what the message
says, then handing it to `services.notify`. Recipients are filtered through the permission policy, so
nobody is told of an object they may not see, and the person who acted is not told of their own act.

The domains call these explicitly, right after the state change and in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from thidua.auth.models import Role, RoleAssignment, User
from thidua.extensions import db
from thidua.org.queries import ancestor_ids
from thidua.permissions import can

from .models import Notification
from .services import app_path, notify

# nomination workflow action → notification kind (withdraw tells nobody: the unit did it itself)
NOMINATION_KINDS = {
    "submit": "nomination.submitted",
    "return": "nomination.returned",
    "accept": "nomination.accepted",
    "reject": "nomination.rejected",
    "approve": "nomination.approved",
    "not_approve": "nomination.not_approved",
    "award": "nomination.awarded",
    "decline": "nomination.declined",
}
_NOMINATION_TITLES = {
    "submit": "Hồ sơ mới chờ thẩm định: {n}",
    "return": "Hồ sơ bị trả lại để bổ sung: {n}",
    "accept": "Hồ sơ đã được tiếp nhận, chờ Hội đồng: {n}",
    "reject": "Hồ sơ không được tiếp nhận: {n}",
    "approve": "Hội đồng đã thông qua hồ sơ: {n}",
    "not_approve": "Hội đồng không thông qua hồ sơ: {n}",
    "award": "Hồ sơ đã được khen thưởng: {n}",
    "decline": "Cấp trên không khen thưởng hồ sơ: {n}",
}


# --- who ---------------------------------------------------------------------------------------------

def _users(stmt: sa.Select) -> list[User]:
    """Active users of `stmt`, with their roles loaded (the policy reads them)."""
    return list(db.session.scalars(stmt.where(User.active.is_(True))
                                   .options(selectinload(User.role_assignments)).order_by(User.id)).unique())


def unit_officers(unit_id: int) -> list[User]:
    """Users whose unit-officer role covers `unit_id` (an officer acts for their unit and all below it)."""
    units = [unit_id, *ancestor_ids(unit_id)]
    return _users(sa.select(User).join(RoleAssignment).where(RoleAssignment.role == Role.UNIT_OFFICER,
                                                             RoleAssignment.unit_id.in_(units)))


def users_with_role(*roles: Role) -> list[User]:
    return _users(sa.select(User).join(RoleAssignment).where(RoleAssignment.role.in_(roles)))


def _allowed(users: Iterable[User], action: str, obj, *, actor=None) -> list[User]:
    actor_id = getattr(actor, "id", None)
    return [u for u in users if u.id != actor_id and can(u, action, obj)]


# --- dossiers ----------------------------------------------------------------------------------------

def nomination_transitioned(nomination, action: str, *, actor=None, note: str | None = None) -> list[Notification]:
    """After `nominations.workflow.transition`: a submitted dossier tells the secretariat; every later step
    (returned, accepted, rejected, approved or not, awarded, declined) tells the nominating unit's
    officers. The note (what to complete, the reason) goes in the body."""
    kind = NOMINATION_KINDS.get(action)
    if kind is None:
        return []
    if action == "submit":
        candidates = users_with_role(Role.SECRETARIAT)
        body = f"Đơn vị gửi: {nomination.unit.name}."
    else:
        candidates = unit_officers(nomination.unit_id)
        body = f"Trạng thái mới: {nomination.status.label}."
    if note:
        body += f"\nÝ kiến: {note}"
    return notify(_allowed(candidates, "nomination.view", nomination, actor=actor), kind=kind,
                  title=_NOMINATION_TITLES[action].format(n=nomination), body=body,
                  url=app_path("nominations.detail", nomination_id=nomination.id), obj=nomination)


# --- councils ----------------------------------------------------------------------------------------

def _when(session) -> str:
    where = f", tại {session.place}" if session.place else ""
    return f"Ngày họp: {session.held_on:%d/%m/%Y}{where}."


def session_scheduled(session, *, actor=None) -> list[Notification]:
    """A session is planned: its council's members serving on the session date (the secretary too)."""
    from thidua.councils.services import serving_members

    members = [m.user for m in serving_members(session)]
    return notify(_allowed(members, "session.view", session, actor=actor), kind="session.scheduled",
                  title=f"Lịch họp {session.council.name}: {session.title}", body=_when(session),
                  url=app_path("councils.session", session_id=session.id), obj=session)


def session_opened(session, *, actor=None) -> list[Notification]:
    """A session is opened: scoring and voting start, the voting members are told."""
    from thidua.councils.services import voting_members

    members = [m.user for m in voting_members(session)]
    return notify(_allowed(members, "session.score", session, actor=actor), kind="session.opened",
                  title=f"Phiên họp “{session.title}” đã khai mạc: mời chấm điểm, biểu quyết",
                  body=f"{session.council.name}. {_when(session)}",
                  url=app_path("council_scoring.sheet", session_id=session.id), obj=session)


# --- decisions and certificates -------------------------------------------------------------------------

def decision_issued(decision, *, actor=None) -> list[Notification]:
    """A decision is issued: the officers of each awardee's unit (the item's group unit), one message per
    officer naming only the awardees they act for. Officers may not open the decision itself, so the
    link goes to the dossier when there is exactly one they may see, else to their dossier list."""
    items = [i for i in decision.items if not i.is_revoked]
    by_unit: dict[int, list] = {}
    for item in items:
        unit_id = item.group_unit_id or item.unit_id
        if unit_id is not None:
            by_unit.setdefault(unit_id, []).append(item)
    mine: dict[int, tuple[User, list]] = {}
    for unit_id, unit_items in by_unit.items():
        for officer in unit_officers(unit_id):
            entry = mine.setdefault(officer.id, (officer, []))
            entry[1].extend(i for i in unit_items if i not in entry[1])
    title = f"Quyết định số {decision.number} đã ban hành"
    sent: list[Notification] = []
    actor_id = getattr(actor, "id", None)
    for officer, own in mine.values():
        if officer.id == actor_id or not can(officer, "nomination.list"):
            continue
        names = ", ".join(i.awardee_name for i in own[:5]) + (f" và {len(own) - 5} trường hợp khác" if len(own) > 5 else "")
        dossiers = [i.nomination for i in own if i.nomination is not None and can(officer, "nomination.view", i.nomination)]
        url = (app_path("nominations.detail", nomination_id=dossiers[0].id) if len(dossiers) == 1
               else app_path("nominations.index"))
        sent += notify([officer], kind="decision.issued", title=title,
                       body=f"{decision.award_type.name} ({len(own)} trường hợp của đơn vị): {names}.", url=url,
                       obj=decision)
    return sent


def print_job_done(job) -> list[Notification]:
    """A print job finished: the user who asked for it, if they may still print that decision's certificates."""
    user = job.requested_by
    if user is None or not can(user, "certificate.print", job.decision):
        return []
    return notify([user], kind="print_job.done", title=f"Tệp in giấy khen, bằng khen theo {job.decision} đã sẵn sàng",
                  body=f"{job.total} trang.", url=app_path("print_jobs.detail", job_id=job.id), obj=job)


# --- campaigns ---------------------------------------------------------------------------------------

def campaign_opened(campaign, *, actor=None) -> list[Notification]:
    """A campaign is launched: every active unit officer (the units that may register), in one INSERT."""
    officers = users_with_role(Role.UNIT_OFFICER)
    deadline = (f" Hạn gửi hồ sơ đề nghị: {campaign.nomination_deadline:%d/%m/%Y}."
                if campaign.nomination_deadline else "")
    return notify(_allowed(officers, "campaign.view", campaign, actor=actor), kind="campaign.opened",
                  title=f"Phát động phong trào thi đua: {campaign.name}",
                  body=f"{campaign.launching_authority}.{deadline}",
                  url=app_path("campaigns.detail", campaign_id=campaign.id), obj=campaign)
