"""Council pages: councils and their members, sessions (agenda, attendance, quorum, recusals, opening,
closing and reopening) and a member's own sessions. Every view: load → authorize → validate → service
→ commit → flash + redirect."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.auth.models import User
from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.nominations.models import Nomination
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, can, requires, seat
from thidua.scoring.models import Rubric

from . import recusal, services
from .forms import (
    AgendaForm,
    CouncilForm,
    EndMemberForm,
    MemberForm,
    ReasonForm,
    SessionForm,
    attendance_form,
    attendance_values,
)
from .models import AgendaItem, Council, CouncilMember, CouncilSession, Recusal

bp = Blueprint("councils", __name__, url_prefix="/councils")

DONE = {"open": "Đã khai mạc phiên họp.", "close": "Đã kết thúc phiên họp.", "reopen": "Đã mở lại phiên họp."}


def _show_error(form, exc) -> None:
    field = getattr(exc, "field", None)
    if field and field in form:
        form[field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


# --- councils ---------------------------------------------------------------------------------------

@bp.get("/")
@requires("council.view")
def index():
    councils = db.session.scalars(sa.select(Council).order_by(Council.active.desc(), Council.name)).all()
    return render_template("councils/index.html", councils=councils)


@bp.route("/new", methods=["GET", "POST"])
@requires("council.manage")
def create():
    form = CouncilForm(unit_choices=unit_choices())
    if form.validate_on_submit():
        try:
            council = services.create_council(**form.values())
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã tạo “{council.name}”. Hãy thêm thành viên Hội đồng.", "success")
            return redirect(url_for("councils.detail", council_id=council.id))
    return render_template("councils/form.html", form=form, council=None)


@bp.get("/<int:council_id>")
def detail(council_id: int):
    council = db.get_or_404(Council, council_id)
    authorize("council.view", council)
    today = date.today()
    return render_template("councils/detail.html", council=council, today=today,
                           missing=services.missing_roles(council, today))


@bp.get("/<int:council_id>/sessions/export.xlsx")
def sessions_xlsx(council_id: int):
    council = db.get_or_404(Council, council_id)
    authorize("council.view", council)
    rows = ([s.title, s.held_on, s.place, s.status, len(s.agenda)] for s in reversed(council.sessions))
    return xlsx_response(f"phien-hop-hoi-dong-{council.id}", f"Phiên họp của {council.name}",
                         [col("Phiên họp"), col("Ngày họp", "date"), col("Địa điểm"), col("Trạng thái"),
                          col("Số hồ sơ xét", "int")], rows, filters={"Hội đồng": council.name})


@bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
def edit(council_id: int):
    council = db.get_or_404(Council, council_id)
    authorize("council.manage", council)
    form = CouncilForm(obj=council, unit_choices=unit_choices(current_only=False))
    if form.validate_on_submit():
        try:
            services.update_council(council, **form.values())
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu “{council.name}”.", "success")
            return redirect(url_for("councils.detail", council_id=council.id))
    return render_template("councils/form.html", form=form, council=council)


def _user_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(User.id, User.full_name, User.username).where(User.active.is_(True))
                              .order_by(User.full_name))
    return [(r.id, f"{r.full_name} ({r.username})") for r in rows]


@bp.route("/<int:council_id>/members/new", methods=["GET", "POST"])
def add_member(council_id: int):
    council = db.get_or_404(Council, council_id)
    authorize("council.manage", council)
    form = MemberForm(user_choices=_user_choices(), unit_choices=unit_choices())
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        try:
            member = services.add_member(council, user=user, **form.values())
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm {member.user.full_name} ({member.role.label}) vào Hội đồng.", "success")
            return redirect(url_for("councils.detail", council_id=council.id))
    return render_template("councils/add_member.html", form=form, council=council)


@bp.route("/<int:council_id>/members/<int:member_id>/end", methods=["GET", "POST"])
def end_member(council_id: int, member_id: int):
    member = get_in_or_404(CouncilMember, member_id, council_id=council_id)
    authorize("council.manage", member.council)
    form = EndMemberForm()
    if form.validate_on_submit():
        try:
            services.end_membership(member, on=form.term_to.data)
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã kết thúc nhiệm kỳ của {member.user.full_name}.", "success")
            return redirect(url_for("councils.detail", council_id=council_id))
    return render_template("councils/end_member.html", form=form, member=member)


# --- sessions ---------------------------------------------------------------------------------------

@bp.route("/<int:council_id>/sessions/new", methods=["GET", "POST"])
def create_session(council_id: int):
    council = db.get_or_404(Council, council_id)
    authorize("session.manage", council)
    rubrics = db.session.execute(sa.select(Rubric.id, Rubric.name).where(Rubric.active.is_(True)).order_by(Rubric.name))
    form = SessionForm(rubric_choices=[(r.id, r.name) for r in rubrics])
    if form.validate_on_submit():
        try:
            session = services.create_session(council, **form.values())
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã tạo phiên họp. Hãy lập chương trình và điểm danh.", "success")
            return redirect(url_for("councils.session", session_id=session.id))
    return render_template("councils/session_form.html", form=form, council=council)


def _session_page(session: CouncilSession, *, agenda_form=None, attendance=None, status=200):
    members = services.serving_members(session)
    current = {a.member_id: a.status.value for a in session.attendance}
    my_seat = seat(current_user, session.council)
    choices = [(n.id, f"{n.nominee_name} – {n.award_type.name} ({n.unit.name})")
               for n in services.addable_nominations(session)] if can(current_user, "session.manage", session) else []
    return render_template(
        "councils/session.html", session=session, members=members,
        attendance={a.member_id: a.status for a in session.attendance},
        attendance_form=attendance or attendance_form(members, current),
        agenda_form=agenda_form or AgendaForm(nomination_choices=choices, formdata=None),
        quorum=services.quorum(session), actions=services.available_actions(session, current_user),
        action_labels=services.ACTION_LABELS, my_seat=my_seat, is_voting=services.is_voting,
        recused={item.id: {r.member_id: r for r in item.recusals} for item in session.agenda},
    ), status


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.view", session)
    return _session_page(session)


@bp.post("/sessions/<int:session_id>/agenda")
def add_agenda(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.manage", session)
    form = AgendaForm(nomination_choices=[(n.id, str(n)) for n in services.addable_nominations(session)])
    if form.validate_on_submit():
        try:
            services.add_to_agenda(session, db.session.get(Nomination, form.nomination_id.data))
        except services.CouncilError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Đã thêm hồ sơ vào chương trình phiên họp.", "success")
    else:
        flash(form.first_error() or "Vui lòng chọn hồ sơ.", "error")
    return redirect(url_for("councils.session", session_id=session.id))


def _item(session_id: int, item_id: int) -> AgendaItem:
    return get_in_or_404(AgendaItem, item_id, session_id=session_id)


@bp.post("/sessions/<int:session_id>/agenda/<int:item_id>/remove")
def remove_agenda(session_id: int, item_id: int):
    item = _item(session_id, item_id)
    authorize("session.manage", item.session)
    try:
        services.remove_from_agenda(item)
    except services.CouncilError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã bỏ hồ sơ khỏi chương trình.", "success")
    return redirect(url_for("councils.session", session_id=session_id))


@bp.post("/sessions/<int:session_id>/agenda/<int:item_id>/<any(up, down):direction>")
def move_agenda(session_id: int, item_id: int, direction: str):
    item = _item(session_id, item_id)
    authorize("session.manage", item.session)
    try:
        services.move_item(item, up=direction == "up")
    except services.CouncilError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for("councils.session", session_id=session_id))


@bp.post("/sessions/<int:session_id>/attendance")
def attendance(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.manage", session)
    members = services.serving_members(session)
    form = attendance_form(members, {}, formdata=request.form)
    if form.validate_on_submit():
        try:
            services.set_attendance(session, attendance_values(form))
        except services.CouncilError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            q = services.quorum(session)
            flash(f"Đã lưu điểm danh: có mặt {q.present}/{q.members} thành viên"
                  f"{'' if q.met else f', chưa đủ {q.required} để khai mạc'}.", "success" if q.met else "warning")
            return redirect(url_for("councils.session", session_id=session.id))
    return _session_page(session, attendance=form, status=400)


@bp.post("/sessions/<int:session_id>/<any(open, close):action>")
def change_status(session_id: int, action: str):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.progress", session)
    try:
        services.transition(session, action, actor=current_user)
    except services.CouncilError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(DONE[action], "success")
    return redirect(url_for("councils.session", session_id=session.id))


@bp.route("/sessions/<int:session_id>/reopen", methods=["GET", "POST"])
def reopen(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.reopen", session)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.transition(session, "reopen", reason=form.reason.data)
        except services.CouncilError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(DONE["reopen"], "success")
            return redirect(url_for("councils.session", session_id=session.id))
    return render_template("councils/reopen.html", form=form, session=session)


@bp.route("/sessions/<int:session_id>/agenda/<int:item_id>/conflict", methods=["GET", "POST"])
def declare_conflict(session_id: int, item_id: int):
    item = _item(session_id, item_id)
    authorize("session.declare_conflict", item.session)
    member = seat(current_user, item.session.council)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            recusal.declare_conflict(item, member, form.reason.data)
        except recusal.RecusalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi nhận bạn không tham gia xem xét hồ sơ này.", "success")
            return redirect(url_for("councils.session", session_id=session_id))
    return render_template("councils/declare_conflict.html", form=form, item=item)


@bp.post("/sessions/<int:session_id>/recusals/<int:recusal_id>/lift")
def lift_recusal(session_id: int, recusal_id: int):
    row = db.get_or_404(Recusal, recusal_id)
    if row.agenda_item.session_id != session_id:
        abort(404)
    authorize("session.manage", row.agenda_item.session)
    try:
        recusal.lift(row)
    except recusal.RecusalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã bỏ khai báo xung đột lợi ích.", "success")
    return redirect(url_for("councils.session", session_id=session_id))


@bp.get("/my-sessions")
@requires("home.view")
def my_sessions():
    return render_template("councils/my_sessions.html", rows=services.sessions_of(current_user))
