"""Public notice (công khai): staff pages to publish candidates and read comments, and public pages
(no login) listing running notices and taking comments on candidates."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.nominations.models import Nomination
from thidua.permissions import authorize, requires
from thidua.registry.queries import award_catalogue
from thidua.rules.models import AwardType

from . import services
from .forms import CommentForm, NoticeForm
from .models import PublicNotice

bp = Blueprint("notices", __name__)


def _candidate_choices(nominations: list[Nomination]) -> list[tuple[int, str]]:
    return [(n.id, f"{n.nominee_name} – {n.unit.name} ({n.status.label})") for n in nominations]


def _show_error(form, exc: services.NoticeError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


# --- staff -----------------------------------------------------------------------------------------

@bp.get("/notices/")
@requires("notice.comments")
def index():
    return render_template("notices/index.html", **_list_query())


def _list_query() -> dict:
    """The staff list of notices, newest first, with their state today and their counts (the page and its
    Excel export)."""
    notices = db.session.scalars(sa.select(PublicNotice).options(sa.orm.joinedload(PublicNotice.award_type))
                                 .order_by(PublicNotice.starts_on.desc(), PublicNotice.id.desc())).all()
    today = services.local_today()
    return {"notices": notices, "states": {n.id: services.state_of(n, today) for n in notices},
            "counts": services.comment_counts([n.id for n in notices]),
            "candidate_counts": services.candidate_counts([n.id for n in notices])}


@bp.get("/notices/export.xlsx")
@requires("notice.comments")
def index_xlsx():
    data = _list_query()
    rows = ([n.title, n.award_type.name, n.starts_on, n.ends_on, data["states"][n.id],
             data["candidate_counts"].get(n.id, 0), data["counts"].get(n.id, 0)] for n in data["notices"])
    return xlsx_response("thong-bao-cong-khai", "Công khai, lấy ý kiến nhân dân",
                         [col("Thông báo"), col("Danh hiệu, hình thức"), col("Công khai từ ngày", "date"),
                          col("Đến ngày", "date"), col("Tình trạng"), col("Số trường hợp", "int"),
                          col("Ý kiến nhận được", "int")], rows, filters={})


def _award_types_with_candidates() -> list[tuple[AwardType, int]]:
    """Every title and form (its newest version) with how many dossiers could be published."""
    counts = dict(db.session.execute(
        sa.select(AwardType.code, sa.func.count(Nomination.id))
        .join(Nomination, Nomination.award_type_id == AwardType.id)
        .where(Nomination.status.in_(services.PUBLISHABLE))
        .group_by(AwardType.code)
    ).all())
    return [(t, counts.get(code, 0)) for code, t in award_catalogue().items()]


@bp.route("/notices/new", methods=["GET", "POST"])
@requires("notice.manage")
def create():
    award_type_id = request.args.get("award_type", type=int)
    if award_type_id is None:
        return render_template("notices/choose_award.html", award_types=_award_types_with_candidates())
    award_type = db.get_or_404(AwardType, award_type_id)
    nominations = services.publishable_nominations(award_type)
    form = NoticeForm(candidate_choices=_candidate_choices(nominations))
    if request.method == "GET" and not form.title.data:
        form.title.data = f"Công khai danh sách đề nghị {award_type.name}"
    if form.validate_on_submit():
        try:
            notice = services.create_notice(award_type=award_type, actor=current_user, **form.values())
        except services.NoticeError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã tạo thông báo công khai “{notice.title}”.", "success")
            return redirect(url_for("notices.comments", notice_id=notice.id))
    return render_template("notices/form.html", form=form, notice=None, award_type=award_type,
                           has_candidates=bool(nominations))


@bp.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
def edit(notice_id: int):
    notice = db.get_or_404(PublicNotice, notice_id)
    authorize("notice.manage", notice)
    on_notice = services.listed_nominations(notice)
    listed = {n.id for n in on_notice}
    nominations = services.sort_candidates(
        on_notice + [n for n in services.publishable_nominations(notice.award_type) if n.id not in listed])
    form = NoticeForm(obj=notice, candidate_choices=_candidate_choices(nominations))
    if request.method == "GET":
        form.nomination_ids.data = sorted(listed)
    if form.validate_on_submit():
        try:
            services.update_notice(notice, **form.values())
        except services.NoticeError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu thông báo công khai.", "success")
            return redirect(url_for("notices.comments", notice_id=notice.id))
    return render_template("notices/form.html", form=form, notice=notice, award_type=notice.award_type,
                           has_candidates=bool(nominations))


@bp.post("/notices/<int:notice_id>/end")
def end(notice_id: int):
    notice = db.get_or_404(PublicNotice, notice_id)
    authorize("notice.manage", notice)
    try:
        services.end_notice(notice)
    except services.NoticeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Đã kết thúc công khai: trang công khai không còn hiển thị và không nhận thêm ý kiến.", "success")
    return redirect(url_for("notices.comments", notice_id=notice.id))


@bp.get("/notices/<int:notice_id>")
def comments(notice_id: int):
    notice = db.get_or_404(PublicNotice, notice_id)
    authorize("notice.comments", notice)
    state = services.state_of(notice, services.local_today())
    return render_template("notices/comments.html", notice=notice, groups=services.comments_by_candidate(notice),
                           state=state, running=state == services.NoticeState.RUNNING,
                           started=state != services.NoticeState.UPCOMING)


@bp.get("/notices/nominations/<int:nomination_id>/comments")
def nomination_comments(nomination_id: int):
    nomination = db.get_or_404(Nomination, nomination_id)
    authorize("notice.comments", nomination)
    return render_template("notices/nomination_comments.html", nomination=nomination,
                           comments=services.comments_for(nomination))


# --- public (no login) -----------------------------------------------------------------------------

def _public_notice(notice_id: int) -> PublicNotice:
    """A notice the public may see: one that has started (an upcoming notice is not public yet)."""
    notice = db.get_or_404(PublicNotice, notice_id)
    if services.local_today() < notice.starts_on:
        abort(404)
    return notice


@bp.get("/public/notices")
@requires("notice.public")
def public_index():
    return render_template("notices/public_index.html", notices=services.running_notices(services.local_today()))


@bp.get("/public/notices/<int:notice_id>")
def public_detail(notice_id: int):
    notice = _public_notice(notice_id)
    authorize("notice.public", notice)
    running = services.state_of(notice, services.local_today()) == services.NoticeState.RUNNING
    return render_template("notices/public_detail.html", notice=notice, running=running,
                           candidates=services.candidates(notice) if running else [])


@bp.route("/public/notices/<int:notice_id>/candidates/<int:nomination_id>", methods=["GET", "POST"])
def public_comment(notice_id: int, nomination_id: int):
    notice = _public_notice(notice_id)
    nomination = db.get_or_404(Nomination, nomination_id)
    if nomination not in services.candidates(notice):
        abort(404)
    authorize("notice.comment", notice)
    if services.state_of(notice, services.local_today()) != services.NoticeState.RUNNING:
        flash("Thời gian công khai đã kết thúc; không nhận thêm ý kiến.", "warning")
        return redirect(url_for("notices.public_detail", notice_id=notice.id))
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.add_comment(notice, nomination, body=form.body.data, author_name=form.author_name.data,
                                 contact=form.contact.data, ip=request.remote_addr)
        except services.NoticeError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Cảm ơn bạn đã gửi ý kiến. Ý kiến được chuyển tới Ban Thi đua - Khen thưởng "
                  "và không đăng công khai.", "success")
            return redirect(url_for("notices.public_detail", notice_id=notice.id))
    return render_template("notices/public_comment.html", notice=notice, nomination=nomination, form=form)
