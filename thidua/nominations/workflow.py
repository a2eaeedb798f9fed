"""The nomination workflow: one transition table, one function that moves a dossier's status, and the
history it leaves behind (NominationEvent rows, shown as the dossier's timeline).

draft → submitted → returned (with comments) → submitted … → accepted for the council (or rejected with
a reason) → approved / not approved by the council → awarded by a decision; the unit may withdraw a
dossier until the secretariat has accepted it. Nothing else in the code base assigns
`Nomination.status`.
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from thidua.audit.services import label
from thidua.extensions import db, utcnow
from thidua.notifications import events
from thidua.permissions import RULES, can

from .models import Nomination, NominationEvent, NominationStatus

S = NominationStatus


class InvalidTransition(ValueError):
    """The dossier's current status does not allow the action; the message (Vietnamese) says why."""


# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[NominationStatus], NominationStatus]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "withdraw": (frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED}), S.WITHDRAWN),
    "approve": (frozenset({S.ACCEPTED}), S.APPROVED),  # by the council (councils issue)
    "not_approve": (frozenset({S.ACCEPTED}), S.NOT_APPROVED),  # by the council
    "award": (frozenset({S.APPROVED}), S.AWARDED),  # by a signed decision, or the central one recorded
    "decline": (frozenset({S.APPROVED}), S.DECLINED),  # the central level did not award an upward proposal
}

# Button captions, and the verb used in refusals ("Không thể <verb> hồ sơ …").
ACTION_LABELS = {
    "submit": "Gửi hồ sơ",
    "return": "Trả lại để bổ sung",
    "accept": "Tiếp nhận (đủ điều kiện)",
    "reject": "Không tiếp nhận (không đủ điều kiện)",
    "withdraw": "Rút hồ sơ",
    "approve": "Hội đồng thông qua",
    "not_approve": "Hội đồng không thông qua",
    "award": "Ghi nhận đã khen thưởng",
    "decline": "Ghi nhận cấp trên không khen thưởng",
}
_VERBS = {
    "submit": "gửi", "return": "trả lại", "accept": "tiếp nhận", "reject": "từ chối", "withdraw": "rút",
    "approve": "thông qua", "not_approve": "ghi nhận không thông qua", "award": "ghi nhận khen thưởng cho",
    "decline": "ghi nhận không khen thưởng cho",
}
# Actions that need a written note: the unit must know what to complete, or why it was refused.
NOTE_REQUIRED = {
    "return": "Vui lòng ghi rõ nội dung cần bổ sung, hoàn thiện khi trả lại hồ sơ.",
    "reject": "Vui lòng ghi rõ lý do không tiếp nhận hồ sơ.",
}
# Actions whose note is shown to the unit as "ý kiến" of the secretariat.
STAFF_ACTIONS = frozenset({"return", "accept", "reject"})


def check(nomination: Nomination, action: str) -> NominationStatus:
    """Return the status `action` leads to from the dossier's current status, or raise InvalidTransition."""
    try:
        sources, target = TRANSITIONS[action]
    except KeyError:
        raise InvalidTransition("Thao tác không hợp lệ.") from None
    if nomination.status not in sources:
        raise InvalidTransition(
            f"Không thể {_VERBS[action]} hồ sơ đang ở trạng thái “{nomination.status.label}”."
        )
    return target


def transition(nomination: Nomination, action: str, *, actor, note: str | None = None) -> NominationEvent:
    """Move `nomination` by `action`: set its status (and submitted_at on submit), append a timeline event
    and label the audit entry "nomination.<action>"; flush, never commit, never check who acts. The people
    waiting on the new status are notified in the same transaction (`events.nomination_transitioned`).

    :raise InvalidTransition: the current status does not allow the action, a required note is missing, or
        the dossier changed since it was loaded (version check).
    """
    target = check(nomination, action)
    note = (note or "").strip() or None
    if note is None and action in NOTE_REQUIRED:
        raise InvalidTransition(NOTE_REQUIRED[action])
    now = utcnow()
    event = NominationEvent(action=action, from_status=nomination.status, to_status=target,
                            actor_id=getattr(actor, "id", None), note=note, at=now)
    # No autoflush in between: loading `events` must not flush the new status under a plain "update".
    with db.session.no_autoflush:
        label(nomination, f"nomination.{action}")
        nomination.status = target
        nomination.status_changed_at = now
        if action == "submit":
            nomination.submitted_at = now
        nomination.events.append(event)
    try:
        db.session.flush()
    except StaleDataError:  # the version check: someone else moved the dossier since it was loaded
        raise InvalidTransition("Hồ sơ vừa được người khác xử lý. Vui lòng tải lại trang để xem trạng thái mới.") from None
    events.nomination_transitioned(nomination, action, actor=actor, note=note)
    return event


def available_actions(nomination: Nomination, user) -> list[str]:
    """The actions `user` may take on `nomination` now: its status is a source and the policy allows them.
    Actions whose rule is not defined yet (the council's and the decision's) are left out."""
    return [action for action, (sources, _) in TRANSITIONS.items()
            if nomination.status in sources and f"nomination.{action}" in RULES
            and can(user, f"nomination.{action}", nomination)]
