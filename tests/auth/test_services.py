"""Accounts without HTTP: authentication and lockout, passwords, users and their roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from thidua.audit.models import AuditEntry
from thidua.auth import services
from thidua.auth.models import Role, RoleAssignment, User
from thidua.extensions import utcnow

WRONG = "sai-mat-khau-1"


@pytest.fixture
def user(db):
    user = factories.make_user(username="hang", full_name="Lê Thị Hằng", roles=[Role.SECRETARIAT])
    db.session.commit()
    return user


def fail(times: int, username: str = "hang") -> services.LoginResult:
    result = None
    for _ in range(times):
        result = services.authenticate(username, WRONG)
    return result


# --- authenticate -------------------------------------------------------------------------------

def test_authenticate_with_the_right_password_returns_the_user(user):
    result = services.authenticate("hang", factories.PASSWORD)
    assert result.user is user and result.error is None
    assert user.last_login_at is not None


def test_authenticate_ignores_case_and_surrounding_spaces_in_the_username(user):
    assert services.authenticate("  HANG ", factories.PASSWORD).user is user


def test_authenticate_gives_the_same_message_for_unknown_user_and_wrong_password(user):
    unknown = services.authenticate("khongco", factories.PASSWORD)
    wrong = services.authenticate("hang", WRONG)

    assert unknown.user is None and wrong.user is None
    assert unknown.error == wrong.error == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_authenticate_counts_failures(user):
    fail(2)
    assert user.failed_logins == 2 and not user.is_locked()


def test_authenticate_locks_after_max_failures(app, user):
    result = fail(app.config["LOGIN_MAX_FAILURES"])

    assert user.is_locked()
    assert result.error == "Đăng nhập sai quá số lần cho phép. Tài khoản tạm khóa 15 phút."


def test_locked_account_is_refused_even_with_the_right_password(app, user):
    fail(app.config["LOGIN_MAX_FAILURES"])

    result = services.authenticate("hang", factories.PASSWORD)

    assert result.user is None
    assert result.error == ("Tài khoản tạm khóa do đăng nhập sai nhiều lần. "
                            "Vui lòng thử lại sau 15 phút.")


def test_lockout_expires(app, db, user):
    fail(app.config["LOGIN_MAX_FAILURES"])
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert services.authenticate("hang", factories.PASSWORD).user is user
    assert user.locked_until is None and user.failed_logins == 0


def test_lockout_survives_a_commit_and_reload(app, db, user):
    """The lockout time is timezone-aware on every database, so it compares with now."""
    fail(app.config["LOGIN_MAX_FAILURES"])
    db.session.commit()
    db.session.expire_all()

    reloaded = db.session.get(User, user.id)
    assert reloaded.locked_until.tzinfo is not None
    assert reloaded.is_locked()


def test_success_resets_the_failure_counter(app, user):
    fail(app.config["LOGIN_MAX_FAILURES"] - 1)
    assert services.authenticate("hang", factories.PASSWORD).user is user
    assert user.failed_logins == 0

    fail(app.config["LOGIN_MAX_FAILURES"] - 1)
    assert not user.is_locked()


def test_inactive_user_is_refused(db):
    factories.make_user(username="nghi", active=False)
    db.session.commit()

    result = services.authenticate("nghi", factories.PASSWORD)

    assert result.user is None
    assert result.error == "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị viên."


def test_failed_logins_are_audited_without_the_password(db, user):
    services.authenticate("khongco", "bi-mat-9")
    fail(1)
    services.authenticate("hang", factories.PASSWORD)
    db.session.commit()

    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
               if e.action.startswith("auth.")]
    assert actions == ["auth.login_failed", "auth.login_failed", "auth.login"]
    unknown = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "-"))
    assert unknown.changes == {"username": "khongco"}
    dumped = str([e.changes for e in db.session.scalars(sa.select(AuditEntry))])
    assert "bi-mat-9" not in dumped and WRONG not in dumped and factories.PASSWORD not in dumped


def test_successful_login_is_recorded_as_done_by_the_user(db, user):
    services.authenticate("hang", factories.PASSWORD)
    db.session.commit()

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.login"))
    assert entry.actor_id == user.id


# --- passwords ----------------------------------------------------------------------------------

def test_change_password_with_wrong_current_is_refused(user):
    with pytest.raises(services.AccountError, match="Mật khẩu hiện tại không đúng.") as exc:
        services.change_password(user, current=WRONG, new="mat-khau-moi-1")
    assert exc.value.field == "current"


@pytest.mark.parametrize(("new", "message"), [
    ("ngan-1", "Mật khẩu phải có ít nhất 10 ký tự."),
    ("9081726354", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("matkhaumoi", "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."),
    ("Matkhau@2026", "Mật khẩu này quá phổ biến"),
    (factories.PASSWORD, "Mật khẩu mới phải khác mật khẩu hiện tại."),
])
def test_change_password_refuses_weak_or_unchanged_passwords(user, new, message):
    with pytest.raises(services.AccountError, match=message) as exc:
        services.change_password(user, current=factories.PASSWORD, new=new)
    assert exc.value.field == "new"


def test_password_equal_to_username_is_refused():
    with pytest.raises(services.AccountError, match="không được chứa tên đăng nhập"):
        services.check_password_rules("Hang.2025.xyz", username="hang.2025")


def test_change_password_replaces_the_hash(db, user):
    services.change_password(user, current=factories.PASSWORD, new="mat-khau-moi-1")
    db.session.commit()

    assert user.check_password("mat-khau-moi-1")
    assert not user.check_password(factories.PASSWORD)
    assert user.password_changed_at is not None


# --- users and roles ----------------------------------------------------------------------------

def test_create_user_hashes_the_password_and_sets_roles(db, unit):
    user = services.create_user(username="donvi", full_name="Nguyễn Văn An", password="hoso-vang-2026",
                                roles=[(Role.UNIT_OFFICER, unit.id), (Role.APPROVER, None)])

    assert user.password_hash != "hoso-vang-2026" and user.check_password("hoso-vang-2026")
    assert {(a.role, a.unit_id) for a in user.role_assignments} == {(Role.UNIT_OFFICER, unit.id),
                                                                    (Role.APPROVER, None)}


def test_create_user_refuses_a_duplicate_username_whatever_its_case(db, user):
    with pytest.raises(services.AccountError, match="đã được dùng") as exc:
        services.create_user(username="HANG", full_name="Người khác", password="hoso-vang-2026")
    assert exc.value.field == "username"


def test_unit_officer_without_a_unit_is_refused(db):
    with pytest.raises(services.AccountError, match="phải được gắn với một đơn vị") as exc:
        services.create_user(username="donvi", full_name="Nguyễn Văn An", password="hoso-vang-2026",
                             roles=[(Role.UNIT_OFFICER, None)])
    assert exc.value.field == "officer_unit_id"


def test_other_roles_are_never_bound_to_a_unit(db, unit):
    user = services.create_user(username="lanhdao", full_name="Đỗ Minh Tuấn", password="hoso-vang-2026",
                                roles=[(Role.APPROVER, unit.id)])
    assert [(a.role, a.unit_id) for a in user.role_assignments] == [(Role.APPROVER, None)]


def test_set_roles_replaces_the_assignments(db, unit, user):
    services.set_roles(user, [(Role.APPROVER, None), (Role.UNIT_OFFICER, unit.id)])
    db.session.commit()

    rows = db.session.execute(sa.select(RoleAssignment.role, RoleAssignment.unit_id)
                              .where(RoleAssignment.user_id == user.id)).all()
    assert set(rows) == {(Role.APPROVER, None), (Role.UNIT_OFFICER, unit.id)}


def test_update_user_with_a_new_password_also_unlocks(db, user):
    user.locked_until = utcnow() + timedelta(minutes=5)
    user.failed_logins = 2

    services.update_user(user, full_name="Lê Thị Hằng", email=None, active=True,
                         roles=[(Role.SECRETARIAT, None)], new_password="mat-khau-moi-1")

    assert user.check_password("mat-khau-moi-1")
    assert not user.is_locked() and user.failed_logins == 0


def test_unlock_clears_the_lockout(app, db, user):
    fail(app.config["LOGIN_MAX_FAILURES"])

    services.unlock(user)

    assert not user.is_locked() and user.failed_logins == 0
    assert services.authenticate("hang", factories.PASSWORD).user is user
