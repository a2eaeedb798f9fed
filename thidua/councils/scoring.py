"""Council score sheets: members score the agenda items of an open session against the session's
rubric, then submit (final). Results are computed after close: one GROUP BY over the whole session's
scores, finished in Python with `thidua.scoring.engine`.

Services flush, never commit, never decide *who* (views ask `thidua.permissions`); they check *what*:
the session is open, the member sits on this council, is not recused, was not absent, and the sheet
is not yet submitted."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from thidua.extensions import db, utcnow
from thidua.scoring import engine
from thidua.scoring.models import Aggregation, RubricCriterion

from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CouncilMember,
    CouncilSession,
    Recusal,
    Score,
    ScoreSheet,
    SessionStatus,
)
from .recusal import is_recused
from .services import is_voting


class ScoringError(ValueError):
    """A scoring step refused; the message is shown to the user as is."""


class ScoresInvalid(ScoringError):
    """Some values were refused; `errors` maps criterion id → message. Nothing was saved."""

    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        super().__init__("Điểm chưa hợp lệ, chưa lưu: " + " ".join(errors.values()))


# --- who sits where -------------------------------------------------------------------------------------

def member_of(session: CouncilSession, user) -> CouncilMember | None:
    """The user's current scoring seat on the session's council (None when they have none). The
    secretary keeps the minutes and follows progress; they do not score (`services.is_voting`)."""
    from thidua.permissions import seat

    member = seat(user, session.council)
    return member if member is not None and is_voting(member) else None


def scores(member: CouncilMember) -> bool:
    """Does `member` score? The same rule as voting: `services.is_voting`."""
    return is_voting(member)


def recused_items(session: CouncilSession, member: CouncilMember) -> set[int]:
    return set(db.session.scalars(
        sa.select(Recusal.agenda_item_id).join(AgendaItem, AgendaItem.id == Recusal.agenda_item_id)
        .where(AgendaItem.session_id == session.id, Recusal.member_id == member.id)
    ))


def _absent(session: CouncilSession, member: CouncilMember) -> bool:
    status = db.session.scalar(sa.select(Attendance.status).where(
        Attendance.session_id == session.id, Attendance.member_id == member.id))
    return status == AttendanceStatus.ABSENT


RECUSED = "Bạn đã rút khỏi việc xem xét hồ sơ này, không chấm điểm hồ sơ này."


def _session_block(session: CouncilSession, member: CouncilMember) -> str | None:
    if session.status != SessionStatus.OPEN:
        return "Phiên họp không ở trạng thái “Đang họp”, không thể chấm điểm."
    if session.rubric is None:
        return "Phiên họp chưa có bảng điểm."
    if member.council_id != session.council_id:
        return "Bạn không phải thành viên của hội đồng này."
    if not scores(member):
        return "Thư ký Hội đồng không chấm điểm."
    if _absent(session, member):
        return "Bạn được ghi nhận vắng mặt tại phiên họp, không chấm điểm."
    return None


def check_may_score(item: AgendaItem, member: CouncilMember) -> None:
    reason = _session_block(item.session, member)
    if reason:
        raise ScoringError(reason)
    if is_recused(item, member):
        raise ScoringError(RECUSED)


def blocked_items(session: CouncilSession, member: CouncilMember) -> dict[int, str]:
    """Item id → why the member may not score it, for the whole session in a few queries (the page)."""
    reason = _session_block(session, member)
    if reason:
        return {i.id: reason for i in session.agenda}
    return dict.fromkeys(recused_items(session, member), RECUSED)


def sheets_of(session: CouncilSession, member: CouncilMember) -> dict[int, ScoreSheet]:
    """The member's sheets in the session, by agenda item id (one query, scores loaded)."""
    return {s.agenda_item_id: s for s in db.session.scalars(
        sa.select(ScoreSheet).join(AgendaItem, AgendaItem.id == ScoreSheet.agenda_item_id)
        .where(AgendaItem.session_id == session.id, ScoreSheet.member_id == member.id)
        .options(sa.orm.selectinload(ScoreSheet.scores)))}


# --- sheets ---------------------------------------------------------------------------------------------

def sheet_for(item: AgendaItem, member: CouncilMember) -> ScoreSheet | None:
    return db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.agenda_item_id == item.id, ScoreSheet.member_id == member.id))


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def parse_points(raw: Any, criterion: RubricCriterion) -> tuple[Decimal | None, str | None]:
    """(points, None) when valid, (None, message) otherwise; blank → (None, None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return None, f"“{criterion.label}”: “{raw}” không phải là số."
    if not value.is_finite():
        return None, f"“{criterion.label}”: “{raw}” không phải là số."
    lo, hi, step = Decimal(criterion.min_points), Decimal(criterion.max_points), Decimal(criterion.step)
    if value < lo or value > hi:
        return None, f"“{criterion.label}”: điểm phải từ {_fmt(lo)} đến {_fmt(hi)} (đã nhập {_fmt(value)})."
    if (value - lo) % step != 0:
        return None, (f"“{criterion.label}”: điểm phải theo bước {_fmt(step)} tính từ {_fmt(lo)} "
                      f"(đã nhập {_fmt(value)}).")
    return value, None


def save_sheet(item: AgendaItem, member: CouncilMember, values: dict[int, Any], *, comment: str | None = None,
               submit: bool = False) -> ScoreSheet:
    """Save `values` (criterion id → points, blank to clear) as the member's draft; with `submit`, also
    submit it (then final). All values are checked first: one refused value saves nothing."""
    check_may_score(item, member)
    sheet = sheet_for(item, member)
    if sheet is not None and sheet.submitted_at is not None:
        raise ScoringError("Phiếu chấm đã nộp, không thể sửa điểm.")
    criteria = list(item.session.rubric.criteria)
    existing = {s.criterion_id: s for s in sheet.scores} if sheet is not None else {}
    errors: dict[int, str] = {}
    parsed: dict[int, Decimal | None] = {}
    for c in criteria:
        if c.id not in values:
            parsed[c.id] = existing[c.id].points if c.id in existing else None
            continue
        parsed[c.id], error = parse_points(values[c.id], c)
        if error:
            errors[c.id] = error
    if submit:
        for c in criteria:
            if c.required and c.id not in errors and parsed.get(c.id) is None:
                errors[c.id] = f"“{c.label}”: tiêu chí bắt buộc, cần chấm trước khi nộp phiếu."
    if errors:
        raise ScoresInvalid(errors)
    if sheet is None:
        sheet = ScoreSheet(agenda_item_id=item.id, member_id=member.id)
        db.session.add(sheet)
    for c in criteria:
        value = parsed.get(c.id)
        if c.id in existing:
            if value is None:
                sheet.scores.remove(existing[c.id])
            elif existing[c.id].points != value:
                existing[c.id].points = value
        elif value is not None:
            sheet.scores.append(Score(criterion_id=c.id, points=value))
    if comment is not None:
        sheet.comment = comment.strip() or None
    if submit:
        sheet.submitted_at = utcnow()
    db.session.flush()
    return sheet


def submit_sheet(item: AgendaItem, member: CouncilMember) -> ScoreSheet:
    """Submit the member's draft as it stands (required criteria must be filled)."""
    return save_sheet(item, member, {}, submit=True)


# --- progress and blind visibility ----------------------------------------------------------------------

@dataclass
class MemberProgress:
    member: CouncilMember
    expected: int  # items the member may score (not recused)
    submitted: int
    absent: bool = False

    @property
    def done(self) -> bool:
        return self.absent or self.submitted >= self.expected


def progress(session: CouncilSession) -> list[MemberProgress]:
    """Per member: how many sheets they should submit and have submitted — never the values."""
    items = db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)
                              .where(AgendaItem.session_id == session.id))
    recused = dict(db.session.execute(
        sa.select(Recusal.member_id, sa.func.count()).join(AgendaItem, AgendaItem.id == Recusal.agenda_item_id)
        .where(AgendaItem.session_id == session.id).group_by(Recusal.member_id)).all())
    submitted = dict(db.session.execute(
        sa.select(ScoreSheet.member_id, sa.func.count()).join(AgendaItem, AgendaItem.id == ScoreSheet.agenda_item_id)
        .where(AgendaItem.session_id == session.id, ScoreSheet.submitted_at.is_not(None))
        .group_by(ScoreSheet.member_id)).all())
    absent = set(db.session.scalars(sa.select(Attendance.member_id).where(
        Attendance.session_id == session.id, Attendance.status == AttendanceStatus.ABSENT)))
    return [MemberProgress(member=m, expected=items - recused.get(m.id, 0), submitted=submitted.get(m.id, 0),
                           absent=m.id in absent)
            for m in session.council.members if scores(m) and m.serves_on(session.held_on)]


def has_finished(session: CouncilSession, member: CouncilMember) -> bool:
    """The member has submitted a sheet for every item they may score."""
    for p in progress(session):
        if p.member.id == member.id:
            return p.submitted >= p.expected
    return False


@dataclass
class Visibility:
    mode: str  # "own" | "all" | "completion" | "none"
    # item id → [(member, sheet total, {criterion id: points})] of the sheets the user may see
    sheets: dict[int, list[tuple[CouncilMember, float, dict[int, Decimal]]]] = field(default_factory=dict)
    progress: list[MemberProgress] = field(default_factory=list)


def visible_scores(session: CouncilSession, user) -> Visibility:
    """What `user` may see of the session's scores.

    * a member who has not submitted all their sheets: only their own (draft or submitted);
    * a member who has: every submitted sheet, except on items they were recused from;
    * the secretary / staff (`session.progress`) before close: who has finished, never the values;
    * anyone allowed `session.results` after close: every submitted sheet (recusals still apply).
    """
    from thidua.permissions import can

    member = member_of(session, user)
    closed = session.status == SessionStatus.CLOSED
    if member is not None and not closed and not has_finished(session, member):
        return Visibility("own", _sheets(session, only_member=member, submitted_only=False))
    if member is not None and (closed or has_finished(session, member)):
        hidden = recused_items(session, member)
        sheets = {k: v for k, v in _sheets(session).items() if k not in hidden}
        return Visibility("all", sheets, progress(session) if can(user, "session.progress", session) else [])
    if closed and can(user, "session.results", session):
        return Visibility("all", _sheets(session))
    if can(user, "session.progress", session):
        return Visibility("completion", progress=progress(session))
    return Visibility("none")


def _sheets(session: CouncilSession, *, only_member: CouncilMember | None = None, submitted_only: bool = True):
    criteria = list(session.rubric.criteria) if session.rubric else []
    stmt = (sa.select(ScoreSheet).join(AgendaItem, AgendaItem.id == ScoreSheet.agenda_item_id)
            .where(AgendaItem.session_id == session.id)
            .options(sa.orm.selectinload(ScoreSheet.scores), sa.orm.joinedload(ScoreSheet.member))
            .order_by(ScoreSheet.member_id))
    if only_member is not None:
        stmt = stmt.where(ScoreSheet.member_id == only_member.id)
    if submitted_only:
        stmt = stmt.where(ScoreSheet.submitted_at.is_not(None), ~_recused_clause())
    out: dict[int, list] = {}
    for sheet in db.session.scalars(stmt):
        points = {s.criterion_id: s.points for s in sheet.scores}
        out.setdefault(sheet.agenda_item_id, []).append((sheet.member, engine.sheet_total(points, criteria).total,
                                                         points))
    return out


def _recused_clause():
    return sa.exists().where(Recusal.agenda_item_id == ScoreSheet.agenda_item_id,
                             Recusal.member_id == ScoreSheet.member_id)


# --- results after close --------------------------------------------------------------------------------

@dataclass
class ItemResult:
    item_id: int
    nomination_id: int
    award_type_id: int
    award_type: str
    nominee: str
    position: int
    stats: engine.Summary
    score: float | None  # by the session's aggregation (mean or median of sheet totals)
    percent: float | None  # score / weighted maximum × 100
    normalised: float | None = None  # mean of the normalised totals, when the session normalises
    rank: int = 0
    tied: bool = False


@dataclass
class SessionResults:
    session: CouncilSession
    aggregation: Aggregation
    maximum: float
    items: list[ItemResult]
    normalised: bool = False
    excluded_scorers: set[int] = field(default_factory=set)  # member ids left out of normalisation

    def by_award_type(self) -> dict[str, list[ItemResult]]:
        groups: dict[str, list[ItemResult]] = {}
        for r in sorted(self.items, key=lambda r: (r.award_type, r.rank or 10**9, r.position)):
            groups.setdefault(r.award_type, []).append(r)
        return groups


def sheet_totals_query(session_id: int):
    """One row per counted sheet of the session: (agenda item id, member id, weighted total). Submitted
    sheets only; recused members' sheets and informational criteria never count."""
    return (
        sa.select(ScoreSheet.agenda_item_id, ScoreSheet.member_id,
                  sa.func.sum(Score.points * RubricCriterion.weight).label("total"))
        .join(Score, Score.sheet_id == ScoreSheet.id)
        .join(RubricCriterion, RubricCriterion.id == Score.criterion_id)
        .join(AgendaItem, AgendaItem.id == ScoreSheet.agenda_item_id)
        .where(AgendaItem.session_id == session_id, ScoreSheet.submitted_at.is_not(None),
               RubricCriterion.informational.is_(False), ~_recused_clause())
        .group_by(ScoreSheet.agenda_item_id, ScoreSheet.member_id)
    )


def results(session: CouncilSession) -> SessionResults:
    """Per item: n, mean, median, sd, min–max, spread, disagreement, aggregated score and % of the
    maximum, normalised figure (when `session.normalise`), and the rank within its award type.
    Three queries whatever the number of items: criteria, agenda, sheet totals."""
    from thidua.nominations.models import Nomination
    from thidua.org.models import Unit
    from thidua.registry.models import Person
    from thidua.rules.models import AwardType

    criteria = db.session.execute(
        sa.select(RubricCriterion.weight, RubricCriterion.min_points, RubricCriterion.max_points)
        .where(RubricCriterion.rubric_id == session.rubric_id, RubricCriterion.informational.is_(False))
    ).all() if session.rubric_id else []
    maximum = sum(float(w) * float(hi) for w, _, hi in criteria)
    minimum = sum(float(w) * float(lo) for w, lo, _ in criteria)
    nominee_unit = sa.orm.aliased(Unit)
    agenda = db.session.execute(
        sa.select(AgendaItem.id, AgendaItem.position, Nomination.id, AwardType.id, AwardType.name,
                  sa.func.coalesce(Person.full_name, nominee_unit.name, ""))
        .join(Nomination, Nomination.id == AgendaItem.nomination_id)
        .join(AwardType, AwardType.id == Nomination.award_type_id)
        .outerjoin(Person, Person.id == Nomination.person_id)
        .outerjoin(nominee_unit, nominee_unit.id == Nomination.nominee_unit_id)
        .where(AgendaItem.session_id == session.id).order_by(AgendaItem.position)
    ).all()
    per_item: dict[int, list[float]] = {}
    per_scorer: dict[int, dict[int, float]] = {}
    for item_id, member_id, total in db.session.execute(sheet_totals_query(session.id)):
        per_item.setdefault(item_id, []).append(float(total))
        per_scorer.setdefault(member_id, {})[item_id] = float(total)
    return build_results(session, agenda=[tuple(a) for a in agenda],
                         per_item=per_item, per_scorer=per_scorer, minimum=minimum, maximum=maximum)


def build_results(session: CouncilSession, *, agenda, per_item, per_scorer, minimum: float,
                  maximum: float) -> SessionResults:
    """Finish the figures in Python; `agenda` rows are (item id, position, nomination id, award type id,
    award type name, nominee)."""
    aggregation = session.aggregation or Aggregation.MEAN
    scale = maximum - minimum
    norm = None
    if session.normalise and per_scorer:
        min_count = session.rubric.min_sheets_to_normalise if session.rubric else 5
        norm = engine.normalise(per_scorer, scale_min=minimum, scale_max=maximum, min_count=min_count)
    norm_by_item = norm.by_subject() if norm else {}
    items: list[ItemResult] = []
    for item_id, position, nomination_id, at_id, at_name, nominee in agenda:
        stats = engine.summary(per_item.get(item_id, ()), scale=scale)
        score = (stats.median if aggregation == Aggregation.MEDIAN else stats.mean) if stats.n else None
        normed = norm_by_item.get(item_id)
        items.append(ItemResult(
            item_id=item_id, nomination_id=nomination_id, award_type_id=at_id, award_type=at_name, nominee=nominee,
            position=position, stats=stats, score=score,
            percent=round(score / maximum * 100, 2) if score is not None and maximum else None,
            normalised=round(sum(normed) / len(normed), 4) if normed else None,
        ))
    groups: dict[int, list[ItemResult]] = {}
    for r in items:
        groups.setdefault(r.award_type_id, []).append(r)
    for group in groups.values():
        for ranked in engine.rank(group, key=lambda r: r.score):
            ranked.item.rank, ranked.item.tied = ranked.rank, ranked.tied
    return SessionResults(session=session, aggregation=aggregation, maximum=maximum, items=items,
                          normalised=norm is not None, excluded_scorers=norm.excluded if norm else set())
