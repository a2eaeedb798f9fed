"""Reminders: campaign deadlines and missing score sheets, once per person and event; the daily run from the
CLI and the Huey periodic task. Every date is passed in; none depends on today's."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from thidua import jobs
from thidua.auth.models import Role
from thidua.councils.models import AgendaItem, ScoreSheet
from thidua.extensions import utcnow
from thidua.notifications import reminders
from thidua.notifications.models import EmailMessage, EmailStatus, Notification, ReminderLog
from thidua.notifications.reminders import (
    due_deadline_reminders,
    due_sheet_reminders,
    run_daily,
    send_deadline_reminders,
    send_sheet_reminders,
)

from ..factories import (
    make_campaign,
    make_council,
    make_nomination,
    make_registration,
    make_rubric,
    make_session,
    make_unit,
    make_user,
)

DAY = date(2030, 3, 1)


def officer(unit, **kw):
    return make_user(roles=[Role.UNIT_OFFICER], unit=unit, **kw)


def campaign_due_in(days: int, **kw):
    return make_campaign(starts_on=date(2030, 1, 1), ends_on=date(2030, 12, 31),
                         nomination_deadline=DAY + timedelta(days=days), **kw)


def notifications_of(db, user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def reminded(reminder_list) -> set[int]:
    return {r.user.id for r in reminder_list}


# --- campaign deadlines -----------------------------------------------------------------------------------

@pytest.fixture
def deadline_world(db, province, unit):
    """A campaign due in 7 days: `unit` has a draft and a returned dossier; `done` has submitted all of its;
    `registered` registered and filed nothing; another campaign, due in 8 days, has drafts of `late`."""
    campaign = campaign_due_in(7, name="Phong trào “Dạy tốt, học tốt”")
    done, registered, late = (make_unit(parent=province, name=name)
                              for name in ("Sở Y tế", "Sở Tài chính", "Sở Xây dựng"))
    make_nomination(unit=unit, campaign=campaign, status="draft")
    make_nomination(unit=unit, campaign=campaign, status="returned")
    make_nomination(unit=unit, campaign=campaign, status="submitted")
    make_nomination(unit=done, campaign=campaign, status="submitted")
    make_registration(campaign, done)
    make_registration(campaign, registered)
    other = campaign_due_in(8)
    make_nomination(unit=late, campaign=other, status="draft")
    w = dict(campaign=campaign, other=other,
             unit_officer=officer(unit, email="sgd@thanhhoa.gov.vn"), done_officer=officer(done),
             registered_officer=officer(registered), late_officer=officer(late))
    db.session.commit()
    return w


def test_deadline_reminder_goes_to_units_with_unsent_or_missing_dossiers_only(db, deadline_world):
    w = deadline_world
    due = due_deadline_reminders(DAY, days=(7, 1))
    assert reminded(due) == {w["unit_officer"].id, w["registered_officer"].id}
    by_user = {r.user.id: r for r in due}
    mine = by_user[w["unit_officer"].id]
    assert mine.key == f"campaign:{w['campaign'].id}:deadline:7"
    assert mine.title == "Còn 7 ngày đến hạn gửi hồ sơ phong trào “Phong trào “Dạy tốt, học tốt”” (hạn 08/03/2030)"
    assert mine.body == "Sở Giáo dục và Đào tạo: còn 2 hồ sơ chưa gửi (1 dự thảo, 1 bị trả lại bổ sung)."
    assert by_user[w["registered_officer"].id].body == (
        "Sở Tài chính: đã đăng ký thi đua nhưng chưa có hồ sơ đề nghị khen thưởng.")


def test_deadline_reminder_only_on_the_configured_days_before(db, deadline_world):
    w = deadline_world
    assert reminded(due_deadline_reminders(DAY, days=(1,))) == set()
    assert reminded(due_deadline_reminders(DAY + timedelta(days=6), days=(7, 1))) == {
        w["unit_officer"].id, w["registered_officer"].id}
    assert reminded(due_deadline_reminders(DAY + timedelta(days=7), days=(7, 1))) == {w["late_officer"].id}
    assert reminded(due_deadline_reminders(DAY + timedelta(days=2), days=(7, 1))) == set()


def test_deadline_reminder_skips_a_campaign_that_is_not_open(db, deadline_world):
    deadline_world["campaign"].status = "closed"
    db.session.flush()
    assert reminded(due_deadline_reminders(DAY, days=(7,))) == set()


def test_deadline_reminder_reaches_the_officer_of_a_unit_above_not_an_inactive_one(db, deadline_world, unit):
    school = unit.children[0]
    make_nomination(unit=school, campaign=deadline_world["campaign"], status="draft")
    officer(school, active=False)
    due = {r.user.id: r for r in due_deadline_reminders(DAY, days=(7,))}
    assert set(due) == {deadline_world["unit_officer"].id, deadline_world["registered_officer"].id}
    assert due[deadline_world["unit_officer"].id].body.splitlines() == [
        "Sở Giáo dục và Đào tạo: còn 2 hồ sơ chưa gửi (1 dự thảo, 1 bị trả lại bổ sung).",
        "Trường THPT chuyên Lam Sơn: còn 1 hồ sơ chưa gửi (1 dự thảo).",
    ]


def test_send_deadline_reminders_twice_the_same_day_sends_nothing_new(app, db, deadline_world):
    w = deadline_world
    app.config["REMINDER_DAYS"] = (7, 1)
    assert send_deadline_reminders(DAY) == 2
    db.session.commit()
    [note] = notifications_of(db, w["unit_officer"])
    assert note.kind == "campaign.deadline" and note.url == f"/campaigns/{w['campaign'].id}"
    assert note.title.startswith("Còn 7 ngày đến hạn gửi hồ sơ")
    [mail] = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.user_id == w["unit_officer"].id))
    assert mail.status == EmailStatus.OUTBOX and "còn 2 hồ sơ chưa gửi" in mail.text_body

    assert send_deadline_reminders(DAY) == 0
    db.session.commit()
    assert len(notifications_of(db, w["unit_officer"])) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderLog)) == 2


def test_a_reminder_logged_by_another_run_is_skipped_and_the_rest_still_sent(app, db, deadline_world):
    """Another process committed the log first (a concurrent run): the unique constraint refuses ours in a
    savepoint, that officer is skipped, the transaction goes on."""
    w = deadline_world
    app.config["REMINDER_DAYS"] = (7,)
    with db.engine.begin() as other_run:
        other_run.execute(sa.insert(ReminderLog).values(user_id=w["unit_officer"].id, sent_at=utcnow(),
                                                        key=f"campaign:{w['campaign'].id}:deadline:7"))
    assert send_deadline_reminders(DAY) == 1
    db.session.commit()
    assert notifications_of(db, w["unit_officer"]) == []
    assert len(notifications_of(db, w["registered_officer"])) == 1


def test_two_runs_at_once_send_each_reminder_once(app, db, deadline_world):
    """Two processes (here: threads with their own sessions) run the reminders at the same moment: the second
    insert of a log waits for the first transaction, then is refused by the unique constraint."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (the test SQLite database is one in-memory connection)")
    app.config["REMINDER_DAYS"] = (7,)
    start, sent, errors = threading.Barrier(2), [], []

    def run():
        with app.app_context():
            try:
                start.wait(5)
                sent.append(send_deadline_reminders(DAY))
                db.session.commit()
            except Exception as exc:  # reported below; a thread's exception would be lost
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and sorted(sent) in ([0, 2], [1, 1])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2


# --- council score sheets -------------------------------------------------------------------------------

@pytest.fixture
def council_world(db, province, unit):
    """A council of four (a chair, two members, a secretary), two accepted dossiers."""
    chair, member, idle, secretary = (make_user(roles=[Role.COUNCIL_MEMBER]) for _ in range(4))
    council = make_council(unit=province, members=[(chair, "chair"), member, idle, (secretary, "secretary")])
    dossiers = [make_nomination(unit=unit, status="accepted") for _ in range(2)]
    db.session.commit()
    return dict(council=council, chair=chair, member=member, idle=idle, secretary=secretary, dossiers=dossiers)


def submit(db, session, user, *, items: int, submitted: bool = True):
    member = next(m for m in session.council.members if m.user_id == user.id)
    for item in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.session_id == session.id)
                                   .order_by(AgendaItem.position).limit(items)):
        db.session.add(ScoreSheet(agenda_item=item, member=member, submitted_at=utcnow() if submitted else None))
    db.session.flush()


def test_sheet_reminder_goes_to_members_with_sheets_missing_not_to_one_who_finished(db, council_world):
    w = council_world
    session = make_session(council=w["council"], status="open", nominations=w["dossiers"], rubric=make_rubric(),
                           held_on=DAY, title="Phiên họp xét khen thưởng năm 2029")
    submit(db, session, w["chair"], items=2)
    submit(db, session, w["member"], items=1)
    submit(db, session, w["idle"], items=2, submitted=False)  # drafts only
    due = {r.user.id: r for r in due_sheet_reminders(DAY)}
    assert set(due) == {w["member"].id, w["idle"].id}
    assert due[w["member"].id].key == f"session:{session.id}:sheets"
    assert due[w["member"].id].title == "Còn 1 phiếu chấm điểm chưa gửi – Phiên họp xét khen thưởng năm 2029 (01/03/2030)"
    assert due[w["idle"].id].body == ("Phiên họp đang diễn ra. Bạn đã gửi 0/2 phiếu chấm điểm; "
                                      "đề nghị hoàn thành 2 phiếu còn lại.")


def test_sheet_reminder_for_a_planned_session_only_the_day_before(db, council_world):
    w = council_world
    make_session(council=w["council"], nominations=w["dossiers"], rubric=make_rubric(), held_on=DAY + timedelta(days=1))
    make_session(council=w["council"], nominations=w["dossiers"], rubric=make_rubric(), held_on=DAY + timedelta(days=2))
    make_session(council=w["council"], status="closed", nominations=w["dossiers"], rubric=make_rubric(), held_on=DAY)
    make_session(council=w["council"], status="open", nominations=w["dossiers"], held_on=DAY)  # no rubric: no scoring
    due = due_sheet_reminders(DAY)
    assert sorted(r.user.id for r in due) == sorted([w["chair"].id, w["member"].id, w["idle"].id])
    assert {r.session.held_on for r in due} == {DAY + timedelta(days=1)}
    assert due[0].body.startswith("Phiên họp diễn ra ngày 02/03/2030.")


def test_send_sheet_reminders_once_per_member_and_session(db, council_world):
    w = council_world
    session = make_session(council=w["council"], status="open", nominations=w["dossiers"], rubric=make_rubric(),
                           held_on=DAY)
    submit(db, session, w["chair"], items=2)
    assert send_sheet_reminders(DAY) == 2
    db.session.commit()
    [note] = notifications_of(db, w["member"])
    assert note.kind == "session.sheets_missing" and note.url == f"/councils/scoring/sessions/{session.id}"
    assert notifications_of(db, w["chair"]) == notifications_of(db, w["secretary"]) == []
    assert send_sheet_reminders(DAY + timedelta(days=1)) == 0


# --- the daily run: CLI and periodic task ---------------------------------------------------------------

def test_run_daily_twice_sends_each_reminder_once_and_purges_old_notifications(app, db, deadline_world, council_world):
    app.config["REMINDER_DAYS"] = (7, 1)
    make_session(council=council_world["council"], status="open", nominations=council_world["dossiers"],
                 rubric=make_rubric(), held_on=DAY)
    stale = Notification(user=deadline_world["done_officer"], kind="campaign.opened", title="Cũ",
                         created_at=utcnow() - timedelta(days=400))
    db.session.add(stale)
    db.session.commit()
    first = run_daily(DAY)
    assert (first.deadline_reminders, first.sheet_reminders, first.purged, first.errors) == (2, 3, 1, [])
    second = run_daily(DAY)
    assert (second.deadline_reminders, second.sheet_reminders, second.purged, second.errors) == (0, 0, 0, [])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 5


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_cli_reminders_reports_what_it_sent_and_sends_nothing_the_second_time(app, db, runner, deadline_world):
    app.config["REMINDER_DAYS"] = (7, 1)
    result = runner.invoke(args=["thidua", "reminders", "--date", "2030-03-01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == ["Ngày 01/03/2030:", "  Nhắc hạn gửi hồ sơ: 2 người",
                                              "  Nhắc phiếu chấm điểm: 0 người"]
    assert len(notifications_of(db, deadline_world["unit_officer"])) == 1
    again = runner.invoke(args=["thidua", "reminders", "--date", "2030-03-01"])
    assert again.exit_code == 0 and "Nhắc hạn gửi hồ sơ: 0 người" in again.output
    assert len(notifications_of(db, deadline_world["unit_officer"])) == 1


def test_cli_reminders_refuses_a_malformed_date(runner, db):
    result = runner.invoke(args=["thidua", "reminders", "--date", "01/03/2030"])
    assert result.exit_code == 2 and "--date" in result.output


def test_cli_reminders_fails_loudly_when_a_step_fails(app, db, runner, monkeypatch):
    def broken(day):
        raise RuntimeError("máy chủ thư không phản hồi")

    monkeypatch.setattr("thidua.notifications.mail.send_digests", broken)
    result = runner.invoke(args=["thidua", "reminders", "--date", "2030-03-01"])
    assert result.exit_code == 1
    assert "Lỗi: digests: máy chủ thư không phản hồi" in result.output
    assert "Nhắc hạn gửi hồ sơ: 0 người" in result.output  # the other steps still ran


def test_daily_run_is_a_periodic_task_at_seven_local_time(app):
    huey = jobs.huey_of(app)
    at_seven_in_hanoi = datetime(2030, 3, 1, 0, 0)  # Huey passes naive UTC; Asia/Ho_Chi_Minh is UTC+7
    assert [t.name for t in huey.read_periodic(at_seven_in_hanoi)] == ["daily_run"]
    assert huey.read_periodic(datetime(2030, 3, 1, 7, 0)) == []
    assert huey.read_periodic(datetime(2030, 3, 1, 0, 1)) == []


def test_periodic_task_runs_the_daily_reminders_for_today(app, db, monkeypatch, deadline_world):
    app.config["REMINDER_DAYS"] = (7,)
    monkeypatch.setattr(reminders, "local_today", lambda: DAY)
    app.extensions["huey_tasks"]["daily_run"].call_local()
    assert len(notifications_of(db, deadline_world["unit_officer"])) == 1


def test_embedded_consumer_runs_a_scheduler_without_periodic_tasks_under_tests(app, tmp_path):
    saved = {key: app.config[key] for key in ("TASK_QUEUE_FILE", "TASK_QUEUE_EMBEDDED")}
    before = (app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"])
    app.config.update(TASK_QUEUE_FILE=tmp_path / "jobs.sqlite3", TASK_QUEUE_EMBEDDED=True)
    jobs.init_app(app)
    try:
        jobs.ensure_embedded_consumer(app)
        consumer = app.extensions["huey_consumer"]
        assert consumer.scheduler.is_alive() and consumer.periodic is False
        jobs.stop_embedded_consumer(app, timeout=5)
        assert not consumer.scheduler.is_alive()
    finally:
        jobs.stop_embedded_consumer(app)
        app.config.update(saved)
        app.extensions["huey"], app.extensions["huey_tasks"], app.extensions["huey_consumer"] = before
