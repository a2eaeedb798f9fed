"""The `flask thidua` commands: create-admin and seed-demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from thidua.audit.models import AuditEntry
from thidua.audit.services import SYSTEM
from thidua.auth.models import Role, User
from thidua.auth.services import authenticate
from thidua.demo import DEMO_PASSWORD, USERS
from thidua.models import Campaign, Cluster, ClusterMembership, RoleAssignment, Unit, UnitSuccession


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def create_admin(runner, username="quantri", password="mat-khau-123", **extra):
    args = ["thidua", "create-admin", "--username", username, "--full-name", "Quản trị viên", "--password", password]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return runner.invoke(args=args)


def counts(db) -> dict[str, int]:
    models = (Unit, UnitSuccession, Cluster, ClusterMembership, User, RoleAssignment, Campaign, AuditEntry)
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models}


# --- create-admin -------------------------------------------------------------------------------

def test_create_admin_creates_an_admin_who_can_log_in(runner, db):
    result = create_admin(runner, email="qt@thanhhoa.gov.vn")

    assert result.exit_code == 0, result.output
    assert "Đã tạo quản trị viên quantri." in result.output
    user = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    assert user.roles == {Role.ADMIN} and user.email == "qt@thanhhoa.gov.vn"
    assert authenticate("quantri", "mat-khau-123").user is user


def test_create_admin_prompts_for_what_is_missing(runner, db):
    result = runner.invoke(args=["thidua", "create-admin"],
                           input="quantri\nQuản trị viên\nmat-khau-123\nmat-khau-123\n")

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.full_name).where(User.username == "quantri")) == "Quản trị viên"


def test_create_admin_refuses_a_duplicate_username(runner, db):
    assert create_admin(runner).exit_code == 0

    result = create_admin(runner, username="QuanTri")

    assert result.exit_code != 0
    assert "Tên đăng nhập “QuanTri” đã được dùng." in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_admin_refuses_a_weak_password(runner, db):
    result = create_admin(runner, password="12345678")

    assert result.exit_code != 0
    assert "Mật khẩu phải có cả chữ và số" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_admin_is_recorded_as_done_by_the_system(runner, db):
    create_admin(runner)

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "users"))
    assert (entry.action, entry.actor_id, entry.actor_name) == ("create", None, SYSTEM)


# --- seed-demo ----------------------------------------------------------------------------------

def test_seed_demo_creates_the_demo_data_and_prints_the_credentials(runner, db):
    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Đã nạp dữ liệu mẫu." in result.output
    assert DEMO_PASSWORD in result.output
    for username, *_ in USERS:
        assert username in result.output
        assert authenticate(username, DEMO_PASSWORD).user is not None
    db.session.rollback()
    n = counts(db)
    assert n["Unit"] > 30 and n["UnitSuccession"] == 8 and n["Cluster"] == 3 and n["Campaign"] == 2
    assert n["User"] == len(USERS)
    officer = db.session.scalar(sa.select(User).where(User.username == "donvi"))
    assert [u.code for u in officer.officer_units] == ["38.SGDDT"]


def test_seed_demo_twice_changes_nothing(runner, db):
    runner.invoke(args=["thidua", "seed-demo"])
    before = counts(db)

    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Dữ liệu mẫu đã có sẵn; không nạp lại." in result.output
    assert DEMO_PASSWORD in result.output
    assert counts(db) == before


def test_seed_demo_keeps_an_existing_admin(runner, db):
    create_admin(runner, username="admin")

    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert authenticate("admin", "mat-khau-123").user is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(USERS)


def test_seed_demo_refuses_to_run_in_production(app, runner, db):
    app.config["ENV_NAME"] = "production"
    try:
        result = runner.invoke(args=["thidua", "seed-demo"])
    finally:
        app.config["ENV_NAME"] = "testing"

    assert result.exit_code != 0
    assert "Không nạp dữ liệu mẫu khi THIDUA_ENV=production." in result.output
    assert counts(db)["Unit"] == 0
