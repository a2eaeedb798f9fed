"""The secret ballot pages: a member's voting page, the secretary's count of who has voted (not how),
the results after the session closes, and the minutes as PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import RadioField

from thidua.extensions import db
from thidua.fields import Form, options, required
from thidua.permissions import authorize

from . import ballot
from .models import AgendaItem, CouncilSession
from .recusal import is_recused

bp = Blueprint("council_ballot", __name__, url_prefix="/councils/ballot")


class VoteForm(Form):
    choice = RadioField("Ý kiến của bạn", choices=options([("agree", "Đồng ý"), ("disagree", "Không đồng ý")]),
                        validators=[required("Vui lòng chọn Đồng ý hoặc Không đồng ý.")])


def _vote_page(session: CouncilSession, member, *, forms=None, status=200):
    voted = ballot.voted_item_ids(session, member)
    states = {item.id: ballot.ballot_state(item, member, voted) for item in session.agenda}
    forms = forms or {}
    for item in session.agenda:
        forms.setdefault(item.id, VoteForm(prefix=f"i{item.id}", formdata=None))
    return render_template("council_ballot/vote.html", session=session, member=member, states=states,
                           forms=forms), status


@bp.get("/sessions/<int:session_id>")
def vote(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.vote", session)
    member = ballot.member_for(session, current_user)
    if member is None:
        abort(403)
    return _vote_page(session, member)


@bp.post("/items/<int:item_id>")
def cast(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    session = item.session
    authorize("session.vote", session)
    member = ballot.member_for(session, current_user)
    if member is None:
        abort(403)
    form = VoteForm(prefix=f"i{item.id}")
    if not form.validate_on_submit():
        return _vote_page(session, member, forms={item.id: form}, status=400)
    try:
        ballot.cast_vote(item, member, agree=form.choice.data == "agree")
    except ballot.BallotError as e:
        db.session.rollback()
        flash(str(e), "danger")
        return redirect(url_for("council_ballot.vote", session_id=session.id))
    db.session.commit()
    flash("Đã ghi nhận phiếu bầu của bạn (bỏ phiếu kín).", "success")
    return redirect(url_for("council_ballot.vote", session_id=session.id))


@bp.get("/sessions/<int:session_id>/count")
def count(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.progress", session)
    return render_template("council_ballot/count.html", session=session, progress=ballot.progress(session))


@bp.get("/sessions/<int:session_id>/results")
def results(session_id: int):
    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.results", session)
    member = ballot.member_for(session, current_user)
    # A recused member does not see the results of the dossier they were kept out of.
    hidden = {i.id for i in session.agenda if member is not None and is_recused(i, member)}
    tallies = {i.id: ballot.tally(i) for i in session.agenda if i.id not in hidden}
    return render_template("council_ballot/results.html", session=session, tallies=tallies, hidden=hidden)


@bp.get("/sessions/<int:session_id>/minutes.pdf")
def minutes(session_id: int):
    from .minutes import minutes_pdf

    session = db.get_or_404(CouncilSession, session_id)
    authorize("session.minutes", session)
    pdf = minutes_pdf(session)
    return pdf, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="bien-ban-phien-hop-{session.id}.pdf"',
    }
