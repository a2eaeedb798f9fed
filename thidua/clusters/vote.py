"""Ranking, the suy tôn vote and the proposals it produces.

The vote reuses the councils: `start_vote` sets up a council of level CLUSTER whose members are one
representative per member unit (the head's representative chairs, the deputy's is vice-chair), a session
whose `vote_threshold` is the year's, and on its agenda one Cờ thi đua của UBND tỉnh dossier per leading
unit (the top `flag_count` ranks, ties included), filed by the head unit and moved draft → submitted →
accepted through the nomination workflow. The councils pages then run the secret ballot. Once the session
is closed, `record_results` writes a ClusterOutcome for every ranked member: approved leaders keep their
CTD_TINH dossier; the next `bk_count` ranks (ties included) get a Bằng khen dossier sent to the province's
secretariat; and with `propose_government_flag`, each approved leader of rank 1 a Cờ thi đua của Chính phủ
dossier. Services flush, never commit, and raise VoteError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thidua.audit.services import label
from thidua.councils import ballot
from thidua.councils import services as councils
from thidua.councils.models import AgendaResult, CouncilLevel, MemberRole, SessionStatus
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.nominations.services import find_duplicate
from thidua.nominations.workflow import InvalidTransition, transition
from thidua.org.models import Unit
from thidua.registry.models import NomineeKind
from thidua.registry.queries import award_type_for
from thidua.rules.models import AwardMethod

from . import scoring, years
from .models import ClusterOutcome, ClusterYear, ClusterYearStatus
from .years import YearError

FLAG = "CTD_TINH"  # Cờ thi đua của UBND tỉnh: the leading unit(s) of a cluster (domain.md §1e, §1j)
BK = "BK_TINH"  # Bằng khen của Chủ tịch UBND tỉnh: the next ones
GOVERNMENT_FLAG = "CTD_CP"  # Cờ thi đua của Chính phủ: the best flags, proposed upward
NO_AWARD = ""  # a ranked member with no proposal
AWARD_LABELS = {FLAG: "Cờ thi đua của UBND tỉnh", BK: "Bằng khen của Chủ tịch UBND tỉnh",
                GOVERNMENT_FLAG: "Cờ thi đua của Chính phủ", NO_AWARD: "Không đề nghị"}


class VoteError(YearError):
    """A refused step of the vote; the message (Vietnamese) says why."""


def leaders(results: scoring.Results, year: ClusterYear) -> list[scoring.ResultRow]:
    """The candidates for the flag: ranks 1..flag_count, and every unit tied with them."""
    return [r for r in results.rows if 0 < r.rank <= year.flag_count]


def bk_band(results: scoring.Results, year: ClusterYear) -> list[scoring.ResultRow]:
    """The next `bk_count` ranks after the leaders (ties at the border included)."""
    limit = year.flag_count + year.bk_count
    return [r for r in results.rows if year.flag_count < r.rank <= limit]


def _award_type(code: str, year: int):
    at = award_type_for(code, year)
    if at is None:
        raise VoteError(f"Danh mục danh hiệu, hình thức chưa có mã {code}.")
    return at


def _dossier(year: ClusterYear, unit: Unit, code: str, *, rank: int, score: float | None, actor) -> Nomination:
    """A collective dossier of the head unit for `unit`, in draft. The nominee is another member of the
    cluster, not a unit below the head, so the nominations service's scope rule does not apply here."""
    n = Nomination(unit=year.head_unit, award_type=_award_type(code, year.year), method=AwardMethod.REGULAR,
                   year=year.year, nominee_kind=NomineeKind.COLLECTIVE, nominee_unit=unit,
                   status=NominationStatus.DRAFT, created_by_id=getattr(actor, "id", None),
                   achievement_summary=f"Xếp hạng {rank} {year.cluster.name} năm {year.year}"
                   + (f", điểm thẩm định {scoring.points_text(Decimal(str(score)))}" if score is not None else "") + ".")
    other = find_duplicate(n)
    if other is not None:
        raise VoteError(f"{year.head_unit.name} đã có hồ sơ “{other.award_type.name}” năm {year.year} cho "
                        f"“{unit.name}” (hồ sơ số {other.id}, {other.status.label}).")
    db.session.add(n)
    label(n, "nomination.create")
    db.session.flush()
    return n


def _move(n: Nomination, actions: tuple[str, ...], *, actor, note: str) -> None:
    try:
        for action in actions:
            transition(n, action, actor=actor, note=note)
    except InvalidTransition as exc:
        raise VoteError(str(exc)) from None


def start_vote(year: ClusterYear, *, representatives: dict[int, object], held_on: date, place: str | None,
               actor) -> object:
    """Set up the suy tôn: the council, its session (threshold = the year's) and a CTD_TINH dossier per
    leading unit on its agenda. `representatives` maps each member unit id to a user. Returns the session.

    :raise VoteError: not in the voting step, already set up, no head unit, a member without a
        representative, one user for two units, or no ranked unit.
    """
    if year.status != ClusterYearStatus.VOTING:
        raise VoteError(f"Chỉ lập hội nghị suy tôn ở bước “{ClusterYearStatus.VOTING.label}”.")
    if year.session_id is not None:
        raise VoteError("Đã lập hội nghị suy tôn cho năm này.")
    if year.head_unit is None:
        raise VoteError("Chưa xác định đơn vị cụm trưởng (khối trưởng) chủ trì suy tôn.")
    if held_on is None or held_on.year not in (year.year, year.year + 1):
        raise VoteError(f"Ngày họp phải thuộc năm {year.year} hoặc đầu năm {year.year + 1}.", "held_on")
    units = years.members(year)
    missing = [u.name for u in units if representatives.get(u.id) is None]
    if missing:
        raise VoteError("Chưa chọn người đại diện của: " + ", ".join(missing) + ".")
    users = [representatives[u.id] for u in units]
    if len({u.id for u in users}) != len(users):
        raise VoteError("Mỗi người chỉ đại diện cho một đơn vị.")
    table = scoring.results(year)
    top = leaders(table, year)
    if not top:
        raise VoteError("Chưa có đơn vị nào được xếp hạng theo điểm thẩm định.")
    try:
        council = councils.create_council(name=f"Hội nghị bình xét, suy tôn {year.cluster.name} năm {year.year}",
                                          level=CouncilLevel.CLUSTER, unit_id=year.head_unit_id,
                                          established_by=year.assignment_decision)
        for unit in units:
            role = (MemberRole.CHAIR if unit.id == year.head_unit_id
                    else MemberRole.VICE_CHAIR if unit.id == year.deputy_unit_id else MemberRole.MEMBER)
            councils.add_member(council, user=representatives[unit.id], role=role, term_from=held_on,
                                term_to=held_on, position=f"Đại diện {unit.name}", unit_id=unit.id)
        session = councils.create_session(council, title=f"Suy tôn đơn vị dẫn đầu {year.cluster.name} năm {year.year}",
                                          held_on=held_on, place=place)
        session.vote_threshold = year.vote_threshold
        note = f"Đơn vị dẫn đầu {year.cluster.name} năm {year.year}, đưa ra hội nghị suy tôn."
        for row in top:
            n = _dossier(year, row.unit, FLAG, rank=row.rank, score=row.final, actor=actor)
            _move(n, ("submit", "accept"), actor=actor, note=note)
            councils.add_to_agenda(session, n)
    except councils.CouncilError as exc:
        raise VoteError(str(exc)) from None
    year.session = session
    label(year, "cluster_year.vote")
    db.session.flush()
    return session


@dataclass(frozen=True)
class Candidate:
    unit: Unit
    nomination: Nomination
    tally: ballot.Tally
    result: AgendaResult | None


def candidates(year: ClusterYear) -> list[Candidate]:
    """The vote per candidate: ballots, share and threshold (empty before the vote is set up)."""
    if year.session is None:
        return []
    out = []
    for item in year.session.agenda:
        t = ballot.tally(item)
        out.append(Candidate(unit=item.nomination.nominee_unit, nomination=item.nomination, tally=t,
                             result=item.result if item.result else (t.result if year.session.status == SessionStatus.CLOSED else None)))
    return out


def record_results(year: ClusterYear, *, actor) -> list[ClusterOutcome]:
    """After the session closed: write the outcome of every ranked member, create the Bằng khen (and
    Government flag) dossiers, and close the year.

    :raise VoteError: the vote is not set up, its session is not closed, or results are already recorded.
    """
    if year.status != ClusterYearStatus.VOTING or year.session is None:
        raise VoteError("Chưa có hội nghị suy tôn để ghi nhận kết quả.")
    if year.session.status != SessionStatus.CLOSED:
        raise VoteError("Phiên họp suy tôn chưa kết thúc; kết thúc phiên họp trước khi ghi nhận kết quả.")
    if year.outcomes:
        raise VoteError("Kết quả đã được ghi nhận.")
    flags = {item.nomination.nominee_unit_id: item.nomination for item in year.session.agenda}
    table = scoring.results(year)
    top_ids = {r.unit.id for r in leaders(table, year)}
    bk_ids = {r.unit.id for r in bk_band(table, year)}
    note = f"Kết quả bình xét {year.cluster.name} năm {year.year}."
    outcomes = []

    def outcome(row, code, nomination):
        o = ClusterOutcome(unit=row.unit, rank=row.rank, score=Decimal(str(row.final)), award_code=code,
                           nomination=nomination)
        year.outcomes.append(o)
        label(o, "cluster_year.outcome")
        outcomes.append(o)

    for row in (r for r in table.rows if r.rank > 0):
        flag = flags.get(row.unit.id)
        if row.unit.id in top_ids and flag is not None and flag.status == NominationStatus.APPROVED:
            outcome(row, FLAG, flag)
            if year.propose_government_flag and row.rank == 1:
                n = _dossier(year, row.unit, GOVERNMENT_FLAG, rank=row.rank, score=row.final, actor=actor)
                _move(n, ("submit",), actor=actor, note=note)
                outcome(row, GOVERNMENT_FLAG, n)
        elif row.unit.id in bk_ids:
            n = _dossier(year, row.unit, BK, rank=row.rank, score=row.final, actor=actor)
            _move(n, ("submit",), actor=actor, note=note)
            outcome(row, BK, n)
        else:
            outcome(row, NO_AWARD, None)
    years.transition(year, "close")
    db.session.flush()
    return outcomes
