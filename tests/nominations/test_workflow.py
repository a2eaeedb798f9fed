"""The nomination state machine: every (status, action) pair, its history and its audit entry."""

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.nominations.models import Nomination, NominationEvent, NominationStatus
from thidua.nominations.workflow import TRANSITIONS, InvalidTransition, available_actions, transition

PAIRS = [(status, action) for status in NominationStatus for action in TRANSITIONS]
ALLOWED = [(s, a) for s, a in PAIRS if s in TRANSITIONS[a][0]]
REFUSED = [(s, a) for s, a in PAIRS if s not in TRANSITIONS[a][0]]


def _ids(pair):
    return f"{pair[0].value}-{pair[1]}"


def test_transition_table_matches_the_issue():
    S = NominationStatus
    assert {a: (set(src), dst) for a, (src, dst) in TRANSITIONS.items()} == {
        "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED),
        "return": ({S.SUBMITTED}, S.RETURNED),
        "accept": ({S.SUBMITTED}, S.ACCEPTED),
        "reject": ({S.SUBMITTED}, S.REJECTED),
        "withdraw": ({S.DRAFT, S.SUBMITTED, S.RETURNED}, S.WITHDRAWN),
        "approve": ({S.ACCEPTED}, S.APPROVED),
        "not_approve": ({S.ACCEPTED}, S.NOT_APPROVED),
        "award": ({S.APPROVED}, S.AWARDED),
        "decline": ({S.APPROVED}, S.DECLINED),  # the central level did not award an upward proposal
    }


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=[_ids(p) for p in ALLOWED])
def test_transition_from_allowed_status_moves_status_and_writes_history(db, unit, users, status, action):
    actor = users[Role.SECRETARIAT]
    nomination = factories.make_nomination(unit=unit, status=status)
    event = transition(nomination, action, actor=actor, note="Ghi chú thử")
    db.session.commit()
    target = TRANSITIONS[action][1]
    assert nomination.status == target
    assert nomination.status_changed_at is not None
    assert (event.action, event.from_status, event.to_status, event.actor_id, event.note) == (
        action, status, target, actor.id, "Ghi chú thử")
    assert nomination.events == [event]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == f"nomination.{action}")).one()
    assert entry.object_id == str(nomination.id)
    assert entry.changes["status"] == [status.value, target.value]


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[_ids(p) for p in REFUSED])
def test_transition_from_wrong_status_is_refused_and_changes_nothing(db, unit, users, status, action):
    nomination = factories.make_nomination(unit=unit, status=status)
    version = nomination.version
    with pytest.raises(InvalidTransition, match=f"Không thể .* trạng thái “{status.label}”"):
        transition(nomination, action, actor=users[Role.SECRETARIAT], note="Ghi chú")
    db.session.flush()
    assert nomination.status == status
    assert nomination.version == version
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NominationEvent)) == 0


@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_return_or_reject_without_a_note_is_refused(db, unit, users, action, note):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    with pytest.raises(InvalidTransition, match="Vui lòng ghi rõ"):
        transition(nomination, action, actor=users[Role.SECRETARIAT], note=note)
    assert nomination.status == NominationStatus.SUBMITTED
    assert nomination.events == []


def test_unknown_action_is_refused(db, unit, users):
    nomination = factories.make_nomination(unit=unit)
    with pytest.raises(InvalidTransition, match="Thao tác không hợp lệ"):
        transition(nomination, "publish", actor=users[Role.ADMIN])


def test_transition_racing_another_change_is_refused(db, unit, users):
    nomination = factories.make_nomination(unit=unit, status="submitted")
    db.session.commit()
    # Another secretariat member acted on the dossier after we loaded it.
    db.session.execute(sa.update(Nomination).where(Nomination.id == nomination.id)
                       .values(version=Nomination.version + 1).execution_options(synchronize_session=False))
    with pytest.raises(InvalidTransition, match="vừa được người khác xử lý"):
        transition(nomination, "accept", actor=users[Role.SECRETARIAT])


def test_submit_stamps_submission_time_and_resubmit_restamps_it(db, unit, users):
    officer, secretariat = users[Role.UNIT_OFFICER], users[Role.SECRETARIAT]
    nomination = factories.make_nomination(unit=unit)
    transition(nomination, "submit", actor=officer)
    first = nomination.submitted_at
    assert first is not None
    transition(nomination, "return", actor=secretariat, note="Bổ sung biên bản họp Hội đồng")
    assert nomination.submitted_at == first
    transition(nomination, "submit", actor=officer)
    assert nomination.submitted_at >= first
    assert [e.action for e in nomination.events] == ["submit", "return", "submit"]


def test_transition_does_not_commit(db, unit, users):
    nomination = factories.make_nomination(unit=unit)
    db.session.commit()
    transition(nomination, "submit", actor=users[Role.UNIT_OFFICER])
    db.session.rollback()
    assert nomination.status == NominationStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NominationEvent)) == 0


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [
        (Role.UNIT_OFFICER, "draft", ["submit", "withdraw"]),
        (Role.UNIT_OFFICER, "returned", ["submit", "withdraw"]),
        (Role.UNIT_OFFICER, "submitted", ["withdraw"]),
        (Role.UNIT_OFFICER, "accepted", []),
        (Role.SECRETARIAT, "submitted", ["return", "accept", "reject"]),
        (Role.SECRETARIAT, "draft", []),
        (Role.ADMIN, "submitted", ["return", "accept", "reject"]),
        (Role.COUNCIL_MEMBER, "accepted", []),
        (Role.APPROVER, "submitted", []),
    ],
)
def test_available_actions_follow_status_and_policy(db, unit, users, role, status, expected):
    nomination = factories.make_nomination(unit=unit, status=status)
    assert available_actions(nomination, users[role]) == expected


def test_available_actions_offer_nothing_to_another_units_officer(db, unit, users, province):
    other = factories.make_unit(parent=province)
    nomination = factories.make_nomination(unit=other)
    assert available_actions(nomination, users[Role.UNIT_OFFICER]) == []
