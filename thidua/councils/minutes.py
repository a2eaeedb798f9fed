"""The minutes of a council session as a document: biên bản họp hội đồng and biên bản kiểm phiếu.

`render_minutes_html(session)` renders plain HTML from the data (testable without WeasyPrint);
`minutes_pdf(session)` prints it through `thidua.documents.pdf` with the bundled font. Nothing in the
document depends on the moment it is produced: the PDF's dates are the session's closing time, so the
same session gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask import current_app, render_template

from thidua.documents.pdf import metadata_tags, render_pdf

from . import ballot
from .models import AttendanceStatus, CouncilMember, CouncilSession, MemberRole

TEMPLATE = "councils/minutes/minutes.html"
STYLESHEET = "documents/official.css"
DEFAULT_PLACE = "Thanh Hóa"  # the locality of the date line; config DOCUMENT_PLACE overrides it


@dataclass(frozen=True)
class MinutesItem:
    position: int
    nominee: str
    award_type: str
    unit: str
    tally: ballot.Tally
    score: object | None  # councils.scoring.ItemResult, when the session was scored
    result: object | None  # AgendaResult stored at close, else the tally's


def _num(value, places: int = 2) -> str:
    """A figure with a Vietnamese decimal comma ("82,50"), or "–" when there is none."""
    return "–" if value is None else f"{value:.{places}f}".replace(".", ",")


def _member_name(member: CouncilMember) -> str:
    return member.user.full_name if member.user else ""


def minutes_context(session: CouncilSession) -> dict:
    """Everything the minutes print, computed from the stored data."""
    from .services import serving_members, voting_members

    serving = serving_members(session)
    voting = voting_members(session)  # the secretary keeps the minutes: named apart, not counted
    status = {a.member_id: a.status for a in session.attendance}
    by_role = {role: [m for m in serving if m.role == role] for role in MemberRole}
    scores = {}
    method = None
    if session.rubric_id:
        from .scoring import results

        outcome = results(session)
        scores = {r.item_id: r for r in outcome.items}
        method = outcome.aggregation.label + (" (có chuẩn hóa điểm theo từng thành viên)" if outcome.normalised else "")
    items = []
    for item in session.agenda:
        t = ballot.tally(item)
        n = item.nomination
        items.append(MinutesItem(position=item.position, nominee=n.nominee_name, award_type=n.award_type.name,
                                 unit=n.unit.name if n.unit else "", tally=t, score=scores.get(item.id),
                                 result=item.result or t.result))
    closed = session.closed_at or datetime.combine(session.held_on, time(), tzinfo=UTC)
    return {
        "session": session,
        "council": session.council,
        "issuer": session.council.unit.name,
        "place": current_app.config.get("DOCUMENT_PLACE", DEFAULT_PLACE),
        "chair": (by_role[MemberRole.CHAIR] or [None])[0],
        "secretary": (by_role[MemberRole.SECRETARY] or [None])[0],
        "member_name": _member_name,
        "num": _num,
        "present": [m for m in voting if status.get(m.id) == AttendanceStatus.PRESENT],
        "written": [m for m in voting if status.get(m.id) == AttendanceStatus.ABSENT_WRITTEN],
        "absent": [m for m in voting if status.get(m.id) not in (AttendanceStatus.PRESENT,
                                                                   AttendanceStatus.ABSENT_WRITTEN)],
        "serving": serving,
        "voting": voting,
        "quorum": ballot._quorum(session),
        "items": items,
        "scored": bool(scores),
        "method": method,
        "meta": metadata_tags(title=f"Biên bản {session.title}", created=closed),
    }


def render_minutes_html(session: CouncilSession) -> str:
    return render_template(TEMPLATE, **minutes_context(session))


def minutes_pdf(session: CouncilSession) -> bytes:
    """The minutes as PDF bytes, identical for the same data."""
    return render_pdf(render_minutes_html(session), stylesheet_path=STYLESHEET)
