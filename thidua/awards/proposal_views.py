"""Upward proposals (tờ trình đề nghị Trung ương khen thưởng): list, build, edit, the package to send,
and the tracking steps up to the central decision."""

from __future__ import annotations

import tempfile

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.nominations.models import Nomination
from thidua.permissions import authorize, requires
from thidua.rules.models import AwardType

from . import proposals as services
from .models import ProposalItem, ProposalOutcome, ProposalStatus, UpwardProposal
from .proposal_forms import ProposalForm, ReferenceForm, ReturnForm, SubmitForm, decision_form

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

DEFAULT_SIGNER_TITLE = "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"


def _show_error(form, exc: services.ProposalError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _candidate_choices(nominations: list[Nomination]) -> list[tuple[int, str]]:
    choices = []
    for n in nominations:
        detail = services.nominee_detail(n)
        choices.append((n.id, f"{n.nominee_name} ({n.nominee_kind.label.lower()})"
                              + (f" – {detail}" if detail else "") + f" – đơn vị trình: {n.unit.name}"))
    return choices


def _detail(proposal: UpwardProposal):
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


def _list_query(args) -> tuple[list[UpwardProposal], dict[int, int], dict]:
    """The proposals under the query-string filters, their item counts, and those filters (for the page and
    its Excel export)."""
    status = args.get("status") or None
    if status not in {s.value for s in ProposalStatus}:
        status = None
    year = args.get("year", type=int)
    stmt = (sa.select(UpwardProposal).options(joinedload(UpwardProposal.award_type))
            .order_by(UpwardProposal.year.desc(), UpwardProposal.created_at.desc(), UpwardProposal.id.desc()))
    if status:
        stmt = stmt.where(UpwardProposal.status == ProposalStatus(status))
    if year:
        stmt = stmt.where(UpwardProposal.year == year)
    proposals = db.session.scalars(stmt).all()
    counts = dict(db.session.execute(
        sa.select(ProposalItem.proposal_id, sa.func.count()).where(ProposalItem.proposal_id.in_([p.id for p in proposals]))
        .group_by(ProposalItem.proposal_id)).all()) if proposals else {}
    return proposals, counts, {"status": status, "year": year}


@bp.get("/")
@requires("proposal.view")
def index():
    proposals, counts, filters = _list_query(request.args)
    status, year = filters["status"], filters["year"]
    years = db.session.scalars(sa.select(UpwardProposal.year).distinct().order_by(UpwardProposal.year.desc())).all()
    return render_template("proposals/index.html", proposals=proposals, counts=counts, statuses=list(ProposalStatus),
                           status=status, year=year, years=years)


@bp.get("/export.xlsx")
@requires("proposal.view")
def index_xlsx():
    proposals, counts, filters = _list_query(request.args)
    rows = ([p.number or "Dự thảo", p.dated_on, p.award_type.name, p.year, p.recipient, counts.get(p.id, 0), p.status,
             p.central_decision_number, p.central_decision_date] for p in proposals)
    return xlsx_response("to-trinh-de-nghi-trung-uong", "Tờ trình đề nghị Trung ương khen thưởng",
                         [col("Số tờ trình"), col("Ngày tờ trình", "date"), col("Hình thức, danh hiệu"),
                          col("Năm", "int"), col("Kính gửi"), col("Số hồ sơ", "int"), col("Trạng thái"),
                          col("Số quyết định của Trung ương"), col("Ngày quyết định của Trung ương", "date")], rows,
                         filters={"Trạng thái": ProposalStatus(filters["status"]) if filters["status"] else None,
                                  "Năm": filters["year"]})


@bp.route("/new", methods=["GET", "POST"])
@requires("proposal.manage")
def create():
    award_type_id = request.args.get("award_type", type=int)
    year = request.args.get("year", type=int)
    if award_type_id is None or year is None:
        return render_template("proposals/choose_award.html", candidates=services.upward_candidates())
    award_type = db.get_or_404(AwardType, award_type_id)
    if not award_type.is_upward:
        abort(404)
    nominations = services.available_nominations(award_type, year)
    form = ProposalForm(candidate_choices=_candidate_choices(nominations))
    if request.method == "GET":
        form.title.data = services.default_title(award_type, nominations)
        form.recipient.data = services.default_recipient(award_type)
        form.signer_title.data = DEFAULT_SIGNER_TITLE
        form.nomination_ids.data = [n.id for n in nominations]
    if form.validate_on_submit():
        try:
            proposal = services.create_proposal(award_type=award_type, year=year, actor=current_user, **form.values())
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lập dự thảo tờ trình với {len(proposal.items)} hồ sơ.", "success")
            return _detail(proposal)
    return render_template("proposals/form.html", form=form, proposal=None, award_type=award_type, year=year,
                           has_candidates=bool(nominations))


@bp.get("/<int:proposal_id>")
def detail(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.view", proposal)
    items = services.proposal_items(proposal)
    return render_template("proposals/detail.html", proposal=proposal, items=items,
                           details={it.id: services.nominee_detail(it.nomination) for it in items},
                           event_labels=services.EVENT_LABELS, Status=ProposalStatus, Outcome=ProposalOutcome)


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.manage", proposal)
    listed = [it.nomination for it in services.proposal_items(proposal)]
    listed_ids = {n.id for n in listed}
    others = [n for n in services.available_nominations(proposal.award_type, proposal.year, proposal=proposal)
              if n.id not in listed_ids]
    form = ProposalForm(obj=proposal, candidate_choices=_candidate_choices(listed + others))
    if request.method == "GET":
        form.nomination_ids.data = [n.id for n in listed]
    if form.validate_on_submit():
        try:
            services.update_proposal(proposal, **form.values())
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu tờ trình.", "success")
            return _detail(proposal)
    return render_template("proposals/form.html", form=form, proposal=proposal, award_type=proposal.award_type,
                           year=proposal.year, has_candidates=True)


@bp.post("/<int:proposal_id>/items/<int:item_id>/move/<any(up, down):direction>")
def move_item(proposal_id: int, item_id: int, direction: str):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    item = get_in_or_404(ProposalItem, item_id, proposal_id=proposal.id)
    authorize("proposal.manage", proposal)
    try:
        services.move_item(proposal, item, step=-1 if direction == "up" else 1)
    except services.ProposalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for("proposals.detail", proposal_id=proposal_id, _anchor="items"))


@bp.post("/<int:proposal_id>/items/<int:item_id>/remove")
def remove_item(proposal_id: int, item_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    item = get_in_or_404(ProposalItem, item_id, proposal_id=proposal.id)
    authorize("proposal.manage", proposal)
    name = item.nomination.nominee_name
    try:
        services.remove_item(proposal, item)
    except services.ProposalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Đã bỏ hồ sơ “{name}” khỏi tờ trình.", "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id, _anchor="items"))


def _step(proposal: UpwardProposal, form, title: str, submit: str):
    return render_template("proposals/step.html", proposal=proposal, form=form, title=title, submit=submit)


@bp.route("/<int:proposal_id>/submit", methods=["GET", "POST"])
def submit(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.manage", proposal)
    again = proposal.status == ProposalStatus.RETURNED
    form = SubmitForm()
    if request.method == "GET":
        form.submitted_on.data = services.local_today()
    if form.validate_on_submit():
        try:
            services.submit(proposal, actor=current_user, submitted_on=form.submitted_on.data, note=form.note.data)
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi nhận trình lại Trung ương." if again else "Đã ghi nhận trình Trung ương.", "success")
            return _detail(proposal)
    return _step(proposal, form, "Trình lại Trung ương" if again else "Trình Trung ương",
                 "Ghi nhận đã trình lại" if again else "Ghi nhận đã trình")


@bp.route("/<int:proposal_id>/return", methods=["GET", "POST"])
def return_(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.track", proposal)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            services.return_proposal(proposal, note=form.note.data, actor=current_user)
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi nhận Trung ương trả lại; tờ trình được sửa, bổ sung rồi trình lại.", "success")
            return _detail(proposal)
    return _step(proposal, form, "Trung ương trả lại để bổ sung, hoàn thiện", "Ghi nhận trả lại")


@bp.route("/<int:proposal_id>/reference", methods=["GET", "POST"])
def reference(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.track", proposal)
    form = ReferenceForm()
    if request.method == "GET" and proposal.central_reference:
        form.reference.data = proposal.central_reference
    if form.validate_on_submit():
        try:
            services.record_reference(proposal, reference=form.reference.data, note=form.note.data, actor=current_user)
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã ghi số tiếp nhận của Trung ương.", "success")
            return _detail(proposal)
    return _step(proposal, form, "Ghi số tiếp nhận của Trung ương", "Lưu")


@bp.route("/<int:proposal_id>/decision", methods=["GET", "POST"])
def decision(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.track", proposal)
    items = services.proposal_items(proposal)
    form = decision_form(items)
    if request.method == "GET":
        form.issuer.data = proposal.recipient
    if form.validate_on_submit():
        outcomes = {i: services.Outcome(ProposalOutcome(value), note) for i, (value, note) in form.outcomes().items()}
        try:
            services.record_decision(proposal, number=form.number.data, decided_on=form.decided_on.data,
                                     issuer=form.issuer.data, outcomes=outcomes, actor=current_user)
        except services.ProposalError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            awarded = sum(1 for it in proposal.items if it.outcome == ProposalOutcome.AWARDED)
            flash(f"Đã ghi nhận quyết định: {awarded}/{len(proposal.items)} trường hợp được khen thưởng, "
                  f"đã ghi vào sổ theo dõi khen thưởng.", "success")
            return _detail(proposal)
    return render_template("proposals/decision.html", proposal=proposal, form=form, items=items)


@bp.get("/<int:proposal_id>/package.zip")
def package(proposal_id: int):
    proposal = db.get_or_404(UpwardProposal, proposal_id)
    authorize("proposal.view", proposal)
    # Built in a temporary file, then streamed from disk; the response closes (and so deletes) it.
    out = tempfile.TemporaryFile(prefix="thidua-proposal-")  # noqa: SIM115
    try:
        services.write_package(proposal, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return send_file(out, mimetype="application/zip", as_attachment=True,
                     download_name=services.package_name(proposal))
