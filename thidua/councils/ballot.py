"""The secret ballot of a council session: casting votes, the tally against the legal threshold, and the
results that move the dossiers.

Secrecy. Who has voted (`BallotReceipt`: item, member) is kept apart from what was voted (`BallotBox`:
item, agree, disagree — counts only). Both are written with Core statements, never through an ORM flush,
so the audit log (which records each flush with its actor) holds no entry that ties a voter to a change
of the counts, and no ballot row carries a user id, sequence or timestamp. `BallotBox` is also
`__audit_skip__`. With two or more voters, the database cannot tell who voted how.

Thresholds (domain.md §1f; NĐ 91/2017 Điều 45.8). The award type's `vote_threshold` is a share of:
- `all_members`: every *voting* council member serving on the session date (`services.voting_members`:
  the secretary keeps the minutes and neither votes nor counts), **minus the voting members recused from
  the dossier** — "≥ 90% counted over ALL council members" read so that a member who is not allowed to
  vote cannot count against the candidate; absent members count in the base (they vote in writing or
  their missing vote counts as not agreeing);
- `present`: the eligible voters (voting members present or absent with a written opinion, not recused).
Comparisons use Fractions, so 9/10 against 0.900 passes and 8/10 does not, exactly. Thresholds are stored
with three decimals and 0.667 stands for 2/3: as for the quorum (`services.required_count`), a share reaches
the threshold when, rounded half-up to three decimals, it is not below it — so 6 of 9 reaches 0.667 and
5 of 8 does not. For councils of fewer than 200 members this rounding never lets a share just under a
threshold with one or two decimals (0.9, 0.8, 0.75) pass.
Award types with `vote_required` False are decided by scoring/consensus: no threshold applies
("không bỏ phiếu"); if ballots were cast anyway, a simple majority of the ballots cast decides
(agree > half); with no ballot the item is left undecided (result None) and its dossier stays accepted.
Whatever the basis, an item whose session lacks a quorum gets `no_quorum`.

Row versions (PostgreSQL). A vote's receipt and its +1 on the box are written in the same transaction,
so while voting runs the live `ballot_boxes` row carries the last voter's transaction id in `xmin`, equal
to the `xmin` of that voter's receipt: a DBA could tell how the last voter voted by watching the counts.
At close, `decide` first rewrites every box of the session (`seal_boxes`) in the closing transaction, so
each live box row then carries the closing transaction's id, which no receipt has. The superseded row
versions stay in the table as dead tuples until (auto)vacuum removes them (`VACUUM ballot_boxes` does it
at once); the WAL and backups taken while the session ran are outside what the app can clean.

Closing and reopening. `decide(session)` runs when the session is closed (the session service calls it
at close). An item already decided approved / not_approved is locked: its dossier has moved and a
reopening never changes it. Items that got `no_quorum` or no decision are recomputed at the next close
(reopen → more votes → close → decide), and only then are their dossiers moved. Receipts are kept across
a reopening, so nobody votes twice on an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from thidua.extensions import db, utcnow

from .models import (
    AgendaItem,
    AgendaResult,
    BallotBox,
    BallotReceipt,
    CouncilMember,
    CouncilSession,
    SessionStatus,
)


class BallotError(ValueError):
    """A vote or a decision refused; the message (Vietnamese) says why."""


class AlreadyVoted(BallotError):
    pass


# --- who may vote: the councils services decide (recusal.eligible_voters, services.quorum) --------------
# Imported lazily: the session service calls `decide` at close, so this module must not import it at load.

def _serving(session: CouncilSession) -> list[CouncilMember]:
    from .services import serving_members

    return serving_members(session)


def _voting(session: CouncilSession) -> list[CouncilMember]:
    """`services.voting_members`: the serving members who vote (not the secretary)."""
    from .services import voting_members

    return voting_members(session)


def _is_voting(member: CouncilMember) -> bool:
    from .services import is_voting

    return is_voting(member)


def _recused_ids(item: AgendaItem) -> set[int]:
    from .recusal import recused_member_ids

    return recused_member_ids(item)


def _eligible(item: AgendaItem) -> list[CouncilMember]:
    from .recusal import eligible_voters

    return eligible_voters(item)


def _quorum(session: CouncilSession):
    """`services.quorum`: (present, members, required, met); members present in person."""
    from .services import quorum

    return quorum(session)


# --- casting ----------------------------------------------------------------------------------------

def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def member_for(session: CouncilSession, user) -> CouncilMember | None:
    """`user`'s seat on the session's council on the session date, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in _serving(session) if m.user_id == user.id), None)


def ballot_state(item: AgendaItem, member: CouncilMember, voted: set[int]) -> str:
    """What the member's voting page shows for `item`: "voted", "not_voting" (the secretary), "recused",
    "not_eligible" or "open"."""
    if not _is_voting(member):
        return "not_voting"
    if item.id in voted:
        return "voted"
    if member.id in _recused_ids(item):
        return "recused"
    if member.id not in {m.id for m in _eligible(item)}:
        return "not_eligible"
    return "open"


def has_voted(item: AgendaItem, member: CouncilMember) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(BallotReceipt).where(
        BallotReceipt.agenda_item_id == item.id, BallotReceipt.member_id == member.id)) > 0


def voted_item_ids(session: CouncilSession, member: CouncilMember) -> set[int]:
    """The agenda items of `session` on which `member` has voted (never how)."""
    return set(db.session.scalars(sa.select(BallotReceipt.agenda_item_id).join(AgendaItem).where(
        AgendaItem.session_id == session.id, BallotReceipt.member_id == member.id)))


def cast_vote(item: AgendaItem, member: CouncilMember, *, agree: bool) -> None:
    """Record `member`'s secret vote on `item`: a receipt (that they voted) and +1 on the box's agree or
    disagree count, with Core statements only (no ORM flush → no audit entry naming the voter).

    :raise BallotError: the session is not open, the member may not vote on the item (not serving, the
        secretary, recused, absent), or (AlreadyVoted) has voted already — a double submission, even a
        simultaneous one, changes nothing.
    """
    session = item.session
    if session.status != SessionStatus.OPEN:
        raise BallotError("Phiên họp không ở trạng thái đang họp: không thể bỏ phiếu.")
    if member.council_id != session.council_id or not member.serves_on(session.held_on):
        raise BallotError("Bạn không phải thành viên Hội đồng của phiên họp này.")
    if not _is_voting(member):
        raise BallotError("Thư ký Hội đồng ghi biên bản, không bỏ phiếu.")
    if member.id in _recused_ids(item):
        raise BallotError("Bạn đã được miễn tham gia (xung đột lợi ích) đối với hồ sơ này: không thể bỏ phiếu.")
    if member.id not in {m.id for m in _eligible(item)}:
        raise BallotError("Bạn không có mặt tại phiên họp (và không có ý kiến bằng văn bản): không thể bỏ phiếu.")
    receipts = BallotReceipt.__table__
    # The unique (agenda_item_id, member_id) constraint decides a race: the second insert does nothing.
    inserted = db.session.execute(
        _insert(receipts).values(agenda_item_id=item.id, member_id=member.id)
        .on_conflict_do_nothing(index_elements=["agenda_item_id", "member_id"])
        .returning(receipts.c.agenda_item_id)  # (rowcount is -1 on psycopg with an implicit RETURNING)
    ).first()
    if inserted is None:
        raise AlreadyVoted("Bạn đã bỏ phiếu cho hồ sơ này; mỗi thành viên chỉ bỏ phiếu một lần.")
    boxes = BallotBox.__table__
    db.session.execute(_insert(boxes).values(agenda_item_id=item.id, agree=0, disagree=0)
                       .on_conflict_do_nothing(index_elements=["agenda_item_id"]))
    column = boxes.c.agree if agree else boxes.c.disagree
    db.session.execute(sa.update(boxes).where(boxes.c.agenda_item_id == item.id).values({column: column + 1}))


# --- tally -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    """The count of one agenda item against its threshold. Fractions are exact."""

    item: AgendaItem
    vote_required: bool
    agree: int
    disagree: int
    ballots: int  # ballots returned (= agree + disagree: the app issues no invalid ballot)
    eligible: int  # ballots issued: members entitled to vote on the item
    members: int  # voting council members serving on the session date (not the secretary)
    recused: int  # voting members recused from the item
    basis: object | None  # rules.models.VoteBasis, None when no vote is required
    base: int  # the denominator of the share
    threshold: Fraction | None
    quorum: object  # councils.services.Quorum (present, members, required, met)
    share: Fraction | None  # agree / base
    passed: bool | None  # None: no decision can be drawn from the ballots (no vote required, none cast)

    @property
    def mode_label(self) -> str:
        if not self.vote_required:
            return "không bỏ phiếu"
        return self.basis.label

    @property
    def percent(self) -> str:
        return _percent(self.share)

    @property
    def threshold_percent(self) -> str:
        return _percent(self.threshold)

    @property
    def result(self) -> AgendaResult | None:
        if not self.quorum.met:
            return AgendaResult.NO_QUORUM
        if self.passed is None:
            return None
        return AgendaResult.APPROVED if self.passed else AgendaResult.NOT_APPROVED


def _percent(value: Fraction | None) -> str:
    if value is None:
        return "–"
    hundredths = round(value * 10000)  # two decimals, Vietnamese decimal comma
    return f"{hundredths // 100},{hundredths % 100:02d}%"


def reach(threshold: Fraction) -> Fraction:
    """The smallest share that meets a threshold stored with three decimals (see the module docstring)."""
    return threshold - Fraction(1, 2000)


def _box(item: AgendaItem) -> tuple[int, int]:
    row = db.session.execute(sa.select(BallotBox.agree, BallotBox.disagree)
                             .where(BallotBox.agenda_item_id == item.id)).first()
    return (row.agree, row.disagree) if row else (0, 0)


def tally(item: AgendaItem) -> Tally:
    """Count `item`'s ballots and hold them against its award type's threshold, or the session's
    `vote_threshold` when set (see the module docstring)."""
    from thidua.rules.models import VoteBasis

    session = item.session
    award_type = item.nomination.award_type
    agree, disagree = _box(item)
    ballots = agree + disagree
    voting = {m.id for m in _voting(session)}
    members = len(voting)
    recused = len(_recused_ids(item) & voting)
    eligible = len(_eligible(item))
    quorum = _quorum(session)
    # A session's own threshold (a cluster's suy tôn) replaces the award type's and makes the vote required.
    vote_required = award_type.vote_required or session.vote_threshold is not None
    if vote_required:
        threshold = Fraction(session.vote_threshold if session.vote_threshold is not None
                             else award_type.vote_threshold)
        basis = award_type.vote_basis
        base = members - recused if basis == VoteBasis.ALL_MEMBERS else eligible
        share = Fraction(agree, base) if base else Fraction(0)
        passed = base > 0 and share >= reach(threshold)
    else:
        threshold, basis, base = None, None, ballots
        share = Fraction(agree, ballots) if ballots else None
        passed = (agree * 2 > ballots) if ballots else None
    return Tally(item=item, vote_required=vote_required, agree=agree, disagree=disagree,
                 ballots=ballots, eligible=eligible, members=members, recused=recused, basis=basis, base=base,
                 threshold=threshold, quorum=quorum, share=share, passed=passed)


def progress(session: CouncilSession) -> dict[int, tuple[int, int]]:
    """For the secretary while voting runs: agenda item id → (ballots returned, ballots issued). Counts of
    receipts only — never the box."""
    voted = dict(db.session.execute(
        sa.select(BallotReceipt.agenda_item_id, sa.func.count()).join(AgendaItem)
        .where(AgendaItem.session_id == session.id).group_by(BallotReceipt.agenda_item_id)).all())
    return {item.id: (voted.get(item.id, 0), len(_eligible(item))) for item in session.agenda}


# --- results ---------------------------------------------------------------------------------------

_LOCKED = frozenset({AgendaResult.APPROVED, AgendaResult.NOT_APPROVED})


def seal_boxes(session: CouncilSession) -> None:
    """Rewrite every ballot box of `session` unchanged (`agree = agree, disagree = disagree`) in the current
    transaction, so that on PostgreSQL no live box row keeps a voter's transaction id (see the module
    docstring). One UPDATE; harmless on SQLite."""
    boxes = BallotBox.__table__
    item_ids = sa.select(AgendaItem.id).where(AgendaItem.session_id == session.id).scalar_subquery()
    db.session.execute(sa.update(boxes).where(boxes.c.agenda_item_id.in_(item_ids))
                       .values(agree=boxes.c.agree, disagree=boxes.c.disagree))


def decide(session: CouncilSession, *, actor) -> list[AgendaItem]:
    """Seal the session's ballot boxes (`seal_boxes`), then store each undecided item's result (approved /
    not_approved / no_quorum) with decided_at, and move each accepted dossier through the workflow
    ("approve" / "not_approve"; no_quorum leaves it accepted). Items already approved or not approved are
    locked and skipped. Flushes, never commits; returns the items it decided.

    :raise BallotError: the session is not closed.
    """
    from thidua.nominations.models import NominationStatus
    from thidua.nominations.workflow import transition

    if session.status != SessionStatus.CLOSED:
        raise BallotError("Chỉ xác định kết quả khi phiên họp đã kết thúc.")
    seal_boxes(session)
    decided = []
    for item in session.agenda:
        if item.result in _LOCKED:
            continue
        result = tally(item).result
        if result is None:
            continue
        item.result = result
        item.decided_at = session.closed_at or utcnow()
        decided.append(item)
        if result in _LOCKED and item.nomination.status == NominationStatus.ACCEPTED:
            transition(item.nomination, "approve" if result == AgendaResult.APPROVED else "not_approve",
                       actor=actor, note=f"Kết quả phiên họp “{session.title}”.")
    db.session.flush()
    return decided
