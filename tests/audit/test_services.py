"""The audit hook: every insert, update and delete is recorded in the same transaction."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_login import login_user

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.audit.services import GUEST, MASK, SYSTEM, acting_as, label, record
from thidua.auth import services as auth_services
from thidua.auth.models import Role, RoleAssignment, User
from thidua.org.models import Unit


def all_entries(db, **where) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)))


# --- create, update, delete ---------------------------------------------------------------------

def test_create_writes_one_entry_with_the_new_values(db):
    unit = factories.make_unit(code="38.SYT", name="Sở Y tế")

    [entry] = all_entries(db, object_type="units")
    assert entry.action == "create"
    assert entry.object_id == str(unit.id)
    assert entry.object_repr == "Sở Y tế"
    assert entry.changes["code"] == [None, "38.SYT"]
    assert entry.changes["name"] == [None, "Sở Y tế"]
    assert entry.changes["kind"] == [None, "department"]
    assert "id" not in entry.changes and "created_at" not in entry.changes


def test_update_writes_one_entry_with_only_the_changed_fields(db):
    unit = factories.make_unit(code="38.SYT", name="Sở Y tế")
    db.session.commit()

    unit.name = "Sở Y tế tỉnh Thanh Hóa"
    db.session.commit()

    [entry] = all_entries(db, object_type="units", action="update")
    assert entry.object_id == str(unit.id)
    assert entry.changes == {"name": ["Sở Y tế", "Sở Y tế tỉnh Thanh Hóa"]}


def test_update_to_the_same_value_writes_nothing(db):
    unit = factories.make_unit(name="Sở Y tế")
    db.session.commit()

    unit.name = "Sở Y tế"
    db.session.commit()

    assert all_entries(db, action="update") == []


def test_delete_writes_one_entry_with_the_last_values(db):
    unit = factories.make_unit(code="38.SYT", name="Sở Y tế")
    unit_id = unit.id
    db.session.commit()

    db.session.delete(unit)
    db.session.commit()

    [entry] = all_entries(db, object_type="units", action="delete")
    assert entry.object_id == str(unit_id)
    assert entry.changes["code"] == ["38.SYT", None]
    assert entry.changes["name"] == ["Sở Y tế", None]


def test_delete_of_an_expired_object_still_records_its_values(db):
    unit = factories.make_unit(code="38.STP", name="Sở Tư pháp")
    db.session.commit()  # expires every loaded attribute

    db.session.delete(unit)
    db.session.commit()

    [entry] = all_entries(db, action="delete")
    assert entry.changes["name"] == ["Sở Tư pháp", None]


def test_removing_a_role_records_the_deleted_assignment(db, unit):
    user = factories.make_user(roles=[Role.ADMIN, Role.APPROVER])
    db.session.commit()

    auth_services.set_roles(user, [(Role.ADMIN, None), (Role.UNIT_OFFICER, unit.id)])
    db.session.commit()

    assert [e.changes["role"] for e in all_entries(db, object_type="role_assignments", action="delete")] == [
        ["approver", None]
    ]
    [created] = [e for e in all_entries(db, object_type="role_assignments", action="create")
                 if e.changes["role"] == [None, "unit_officer"]]
    assert created.changes["unit_id"] == [None, unit.id]


def test_entries_of_one_flush_list_parents_before_children(db):
    factories.make_user(username="hang", roles=[Role.SECRETARIAT])

    assert [e.object_type for e in all_entries(db)] == ["users", "role_assignments"]


def test_a_rolled_back_change_leaves_no_entry(db):
    unit = factories.make_unit(name="Sở Y tế")
    db.session.commit()
    before = len(all_entries(db))

    unit.name = "Tên sai"
    db.session.flush()
    assert len(all_entries(db)) == before + 1  # written in the same transaction…
    db.session.rollback()

    assert len(all_entries(db)) == before  # …so it goes with it
    assert db.session.get(Unit, unit.id).name == "Sở Y tế"


def test_audit_entries_are_not_themselves_audited(db):
    record("auth.login_failed", None, session=db.session, username="khongco")
    db.session.commit()

    assert [e.action for e in all_entries(db)] == ["auth.login_failed"]


# --- secrets ------------------------------------------------------------------------------------

def test_password_hash_is_never_written_only_masked(db):
    user = auth_services.create_user(username="mai", full_name="Trịnh Thị Mai", password="mat-khau-cu-1",
                                     roles=[(Role.APPROVER, None)])
    db.session.commit()
    auth_services.change_password(user, current="mat-khau-cu-1", new="mat-khau-moi-2")
    db.session.commit()
    hashes = [user.password_hash]

    [created] = all_entries(db, object_type="users", action="create")
    [changed] = all_entries(db, object_type="users", action="auth.password_changed")
    assert created.changes["password_hash"] == [None, MASK]
    assert changed.changes["password_hash"] == [MASK, MASK]
    dumped = json.dumps([e.changes for e in all_entries(db)])
    assert not any(h in dumped for h in hashes)
    assert "scrypt" not in dumped and "pbkdf2" not in dumped


def test_deleting_a_user_does_not_write_the_hash(db):
    user = factories.make_user(username="xoa")
    db.session.commit()

    db.session.delete(user)
    db.session.commit()

    [entry] = all_entries(db, object_type="users", action="delete")
    assert "password_hash" not in entry.changes
    assert entry.changes["username"] == ["xoa", None]


# --- label() and record() -----------------------------------------------------------------------

def test_label_names_the_next_change_of_the_object(db):
    user = factories.make_user(username="khoa")
    db.session.commit()

    auth_services.unlock(user)  # nothing to unlock: no change, no entry, and the label is spent
    user.failed_logins = 2
    label(user, "auth.login_failed")
    db.session.commit()
    user.full_name = "Tên mới"
    db.session.commit()

    assert [e.action for e in all_entries(db, object_type="users")] == ["create", "auth.login_failed", "update"]


def test_label_on_a_new_object_names_its_creation(db):
    unit = Unit(code="38.SNV", name="Sở Nội vụ", kind="department")
    db.session.add(unit)
    label(unit, "unit.create")
    db.session.commit()

    assert [e.action for e in all_entries(db)] == ["unit.create"]


def test_record_adds_an_event_with_its_details(db):
    user = factories.make_user(username="an")

    record("auth.login_inactive", user, session=db.session, reason="thử")
    db.session.commit()

    [entry] = all_entries(db, action="auth.login_inactive")
    assert (entry.object_type, entry.object_id) == ("users", str(user.id))
    assert entry.changes == {"reason": "thử"}


# --- who acted ----------------------------------------------------------------------------------

def test_outside_a_request_the_actor_is_the_system(db):
    factories.make_unit()

    [entry] = all_entries(db)
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, SYSTEM, None)
    assert SYSTEM == "hệ thống"


def test_cli_work_is_attributed_to_the_user_given_to_acting_as(db):
    admin = factories.make_user(username="quantri", full_name="Quản trị")
    db.session.commit()

    with acting_as(admin):
        factories.make_unit()
    with acting_as(None):
        factories.make_unit()

    first, second = all_entries(db, object_type="units")
    assert (first.actor_id, first.actor_name) == (admin.id, "Quản trị (quantri)")
    assert (second.actor_id, second.actor_name) == (None, SYSTEM)


def test_in_a_request_the_actor_is_the_logged_in_user(app, db):
    user = factories.make_user(username="hang", full_name="Lê Thị Hằng", roles=[Role.SECRETARIAT])
    db.session.commit()

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        login_user(user)
        factories.make_unit()

    [entry] = all_entries(db, object_type="units")
    assert (entry.actor_id, entry.actor_name, entry.ip) == (user.id, "Lê Thị Hằng (hang)", "10.0.0.7")


def test_a_request_with_nobody_logged_in_is_a_guest(app, db):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.8"}):
        record("auth.login_failed", None, session=db.session, username="ai-do")
        db.session.commit()

    [entry] = all_entries(db)
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, GUEST, "10.0.0.8")


def test_admin_unlocking_a_user_over_http_is_the_recorded_actor(db, users, login_as):
    from datetime import timedelta

    from thidua.extensions import utcnow

    locked = factories.make_user(username="bikhoa", locked_until=utcnow() + timedelta(minutes=10))
    admin = users[Role.ADMIN]
    client = login_as(admin)

    assert client.post(f"/auth/users/{locked.id}/unlock").status_code == 302

    [entry] = all_entries(db, action="auth.unlocked")
    assert entry.actor_id == admin.id and entry.object_id == str(locked.id)
    assert entry.ip == "127.0.0.1"


@pytest.mark.parametrize("kind", ["create", "delete"])
def test_role_assignments_keep_their_user_in_the_entry(db, kind):
    user = factories.make_user(roles=[Role.APPROVER])
    db.session.commit()
    if kind == "delete":
        db.session.delete(db.session.scalar(sa.select(RoleAssignment)))
        db.session.commit()

    [entry] = all_entries(db, object_type="role_assignments", action=kind)
    assert user.id in entry.changes["user_id"]
    assert db.session.get(User, user.id) is not None


def test_a_label_given_through_current_user_names_the_change(db, login_as, users):
    user = users[Role.APPROVER]
    client = login_as(user)

    client.post("/auth/password", data={"current": factories.PASSWORD, "new": "mat-khau-moi-1",
                                        "confirm": "mat-khau-moi-1"})

    [entry] = all_entries(db, object_type="users", action="auth.password_changed")
    assert entry.actor_id == user.id
    assert entry.changes["password_hash"] == [MASK, MASK]
