"""The `flask thidua` commands: create-admin and seed-demo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from thidua import storage
from thidua.audit.models import AuditEntry
from thidua.audit.services import SYSTEM, acting_as
from thidua.auth.models import Role, User
from thidua.auth.services import authenticate
from thidua.awards.models import Decision, DecisionItem
from thidua.certificates.models import CertificateTemplate
from thidua.demo import (
    DEMO_PASSWORD,
    PEOPLE,
    RETURN_NOTE,
    TRY_IT_NOMINEE,
    USERS,
    demo_year,
    seed_units_and_users,
)
from thidua.models import (
    AnnualEvaluation,
    AwardRecord,
    Campaign,
    Cluster,
    ClusterMembership,
    Initiative,
    Nomination,
    NominationAttachment,
    NominationEvent,
    NoticeComment,
    Person,
    PublicNotice,
    RoleAssignment,
    Unit,
    UnitSuccession,
)
from thidua.nominations.models import NominationStatus
from thidua.nominations.services import eligibility
from thidua.notices.services import candidates, local_today
from thidua.registry.queries import award_type_for
from thidua.rules.eligibility import Outcome, evaluate, summary


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def create_admin(runner, username="quantri", password="hoso-vang-2026", **extra):
    args = ["thidua", "create-admin", "--username", username, "--full-name", "Quản trị viên", "--password", password]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return runner.invoke(args=args)


def counts(db) -> dict[str, int]:
    models = (Unit, UnitSuccession, Cluster, ClusterMembership, User, RoleAssignment, Campaign, Person, AwardRecord,
              AnnualEvaluation, Initiative, Nomination, NominationAttachment, NominationEvent, PublicNotice,
              NoticeComment, AuditEntry, Decision, DecisionItem, CertificateTemplate)
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models}


# --- create-admin -------------------------------------------------------------------------------

def test_create_admin_creates_an_admin_who_can_log_in(runner, db):
    result = create_admin(runner, email="qt@thanhhoa.gov.vn")

    assert result.exit_code == 0, result.output
    assert "Đã tạo quản trị viên quantri." in result.output
    user = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    assert user.roles == {Role.ADMIN} and user.email == "qt@thanhhoa.gov.vn"
    assert authenticate("quantri", "hoso-vang-2026").user is user


def test_create_admin_prompts_for_what_is_missing(runner, db):
    result = runner.invoke(args=["thidua", "create-admin"],
                           input="quantri\nQuản trị viên\nhoso-vang-2026\nhoso-vang-2026\n")

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.full_name).where(User.username == "quantri")) == "Quản trị viên"


def test_create_admin_refuses_a_duplicate_username(runner, db):
    assert create_admin(runner).exit_code == 0

    result = create_admin(runner, username="QuanTri")

    assert result.exit_code != 0
    assert "Tên đăng nhập “QuanTri” đã được dùng." in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_admin_refuses_a_weak_password(runner, db):
    result = create_admin(runner, password="9081726354")

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
    assert n["Person"] == len(PEOPLE) >= 20 and n["AwardRecord"] > 50 and n["AnnualEvaluation"] > 50
    assert n["Nomination"] == 10 and n["PublicNotice"] == 1
    assert n["Decision"] == 1 and n["DecisionItem"] == 4 and n["CertificateTemplate"] == 3


def test_seed_demo_twice_changes_nothing(runner, db):
    runner.invoke(args=["thidua", "seed-demo"])
    before = counts(db)

    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Dữ liệu mẫu đã có sẵn; không nạp lại." in result.output
    assert DEMO_PASSWORD in result.output
    assert counts(db) == before
    assert before["Nomination"] > 0


def test_seed_demo_keeps_an_existing_admin(runner, db):
    create_admin(runner, username="admin")

    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert authenticate("admin", "hoso-vang-2026").user is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(USERS)


def test_seed_demo_adds_the_nominations_slice_to_an_older_demo(runner, db):
    with acting_as(None):
        seed_units_and_users()
    db.session.commit()

    result = runner.invoke(args=["thidua", "seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Đã nạp dữ liệu mẫu." in result.output
    n = counts(db)
    assert n["User"] == len(USERS) and n["Person"] == len(PEOPLE) and n["Nomination"] == 10 and n["Decision"] == 1


def test_seed_demo_refuses_to_run_in_production(app, runner, db):
    app.config["ENV_NAME"] = "production"
    try:
        result = runner.invoke(args=["thidua", "seed-demo"])
    finally:
        app.config["ENV_NAME"] = "testing"

    assert result.exit_code != 0
    assert "Không nạp dữ liệu mẫu khi THIDUA_ENV=production." in result.output
    assert counts(db)["Unit"] == 0


# --- the demo's nominations slice ---------------------------------------------------------------

@pytest.fixture
def demo(runner, db):
    result = runner.invoke(args=["thidua", "seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return {(n.nominee_name, n.award_type.code): n for n in db.session.scalars(sa.select(Nomination))}


def test_seed_demo_dossiers_are_draft_submitted_and_returned(demo):
    status = {key: n.status for key, n in demo.items()}

    assert status == {
        ("Lê Thị Minh Nguyệt", "CSTDT"): NominationStatus.SUBMITTED,
        ("Hoàng Văn Đức", "CSTDT"): NominationStatus.DRAFT,
        ("Đỗ Thị Ngọc Ánh", "CSTDCS"): NominationStatus.RETURNED,
        ("Lê Thị Thanh Tâm", "BK_TINH"): NominationStatus.SUBMITTED,
        ("Phạm Thị Kim Oanh", "BK_TINH"): NominationStatus.SUBMITTED,
        ("Trường Tiểu học Điện Biên", "TTLDTT"): NominationStatus.DRAFT,
        # awarded by the demo's decision 215/QĐ-UBND
        ("Trường THPT chuyên Lam Sơn", "BK_TINH"): NominationStatus.AWARDED,
        ("Trịnh Thị Hương", "BK_TINH"): NominationStatus.AWARDED,
        ("Nguyễn Văn Thắng", "BK_TINH"): NominationStatus.AWARDED,
        ("Hà Thị Yến", "BK_TINH"): NominationStatus.AWARDED,
    }
    returned = demo["Đỗ Thị Ngọc Ánh", "CSTDCS"]
    assert [e.action for e in returned.events] == ["submit", "return"] and returned.events[-1].note == RETURN_NOTE
    assert {n.unit.code for n in demo.values()} == {"38.SGDDT", "38.HACTHANH"}
    assert all(n.year == demo_year() for n in demo.values())


def test_seed_demo_checklists_pass_with_three_cstdcs_and_fail_with_a_gap_year(demo):
    nguyet = demo["Lê Thị Minh Nguyệt", "CSTDT"]
    duc = demo["Hoàng Văn Đức", "CSTDT"]

    assert summary(eligibility(nguyet)) == Outcome.PASS
    assert [r.code for r in eligibility(duc) if r.outcome != Outcome.PASS] == ["three_consecutive_cstdcs"]
    assert summary(eligibility(demo["Đỗ Thị Ngọc Ánh", "CSTDCS"])) == Outcome.UNKNOWN
    assert summary(eligibility(demo["Lê Thị Thanh Tâm", "BK_TINH"])) == Outcome.PASS
    assert summary(eligibility(demo["Phạm Thị Kim Oanh", "BK_TINH"])) == Outcome.PASS


def test_seed_demo_leaves_an_eligible_person_free_to_try(demo, db):
    person = db.session.scalar(sa.select(Person).where(Person.full_name == TRY_IT_NOMINEE))
    year = demo_year()

    results = evaluate(award_type_for("CSTDCS", year), person=person, year=year)

    assert summary(results) == Outcome.PASS
    assert not any(n.person is person for n in demo.values())


def test_seed_demo_attachments_are_stored_pdf_files(demo, app):
    attachments = [a for n in demo.values() for a in n.attachments]

    assert len(attachments) == 10
    for a in attachments:
        path = storage.path_of(a.stored_name)
        data = path.read_bytes()
        assert path.parent == Path(app.config["UPLOAD_FOLDER"]).resolve()
        assert storage.sniff(data[:16], data) == "pdf" and data.rstrip().endswith(b"%%EOF")
        assert (a.size, a.sha256, a.content_type) == (len(data), hashlib.sha256(data).hexdigest(), "application/pdf")
        assert a.original_name.endswith(f" - {a.nomination.nominee_name}.pdf")


def test_seed_demo_public_notice_runs_for_the_bk_tinh_candidates(demo, db):
    notice = db.session.scalar(sa.select(PublicNotice))

    assert notice.award_type.code == "BK_TINH" and notice.is_running(local_today())
    assert {n.nominee_name for n in candidates(notice)} == {"Lê Thị Thanh Tâm", "Phạm Thị Kim Oanh"}
    assert len(notice.comments) == 1


def test_seed_demo_is_recorded_as_done_by_the_system(demo, db):
    actors = set(db.session.execute(sa.select(AuditEntry.actor_id, AuditEntry.actor_name).distinct()))

    assert actors == {(None, SYSTEM)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NominationEvent)
                             .where(NominationEvent.actor_id.is_not(None))) == 0
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "nominations")))
    assert {"nomination.submit", "nomination.return"} <= actions
