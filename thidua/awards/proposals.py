"""Upward proposals (tờ trình) to the central level: building the province's list of approved dossiers for
a form it only proposes, tracking the submission (submitted, returned, resubmitted, the central receipt) and
recording the central decision into the registry.

Services flush, never commit, and raise `ProposalError` with a Vietnamese message; the view commits (one
transaction per user action) and rolls back on error, so a refused step saves nothing. Every step is a
`ProposalEvent` (the proposal's timeline) and an audit entry labelled "proposal.<step>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from thidua.audit.services import label
from thidua.extensions import db
from thidua.nominations.models import Nomination, NominationStatus
from thidua.nominations.workflow import InvalidTransition, transition
from thidua.org.models import Unit, UnitKind
from thidua.registry.models import AwardRecord, NomineeKind, Person, RecordSource
from thidua.registry.services import mark_initiatives_used
from thidua.rules.models import AwardLevel, AwardType
from thidua.text import vi_name_key, vi_text_key

from .models import ProposalEvent, ProposalItem, ProposalOutcome, ProposalStatus, UpwardProposal

# "123/TTr-UBND", "45/TTr-SNV-TĐKT": the number, the document kind (Tờ trình) and the issuer's code
# (Decree 30/2020/NĐ-CP, Phụ lục I).
NUMBER_RE = re.compile(r"^\d{1,5}/TTr-[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*$")
TITLE_MAX = 500
NAME_MAX = 200
REFERENCE_MAX = 255
DECISION_NUMBER_MAX = 64

PRIME_MINISTER = "Thủ tướng Chính phủ"
PRESIDENT = "Chủ tịch nước"
RECIPIENTS = (PRIME_MINISTER, PRESIDENT)
# Orders, medals and state honorary titles are decided by the President (Luật TĐKT 2022, Điều 78).
_PRESIDENT_PREFIXES = ("huân chương", "huy chương", "danh hiệu vinh dự", "anh hùng")

LIVE_STATUSES = frozenset({ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.RETURNED})
EDITABLE_STATUSES = frozenset({ProposalStatus.DRAFT, ProposalStatus.RETURNED})

EVENT_LABELS = {
    "create": "Lập dự thảo tờ trình",
    "submit": "Trình Trung ương",
    "return": "Trung ương trả lại để bổ sung, hoàn thiện",
    "resubmit": "Trình lại sau khi bổ sung",
    "reference": "Ghi số tiếp nhận của Trung ương",
    "decide": "Ghi nhận quyết định khen thưởng của Trung ương",
}


class ProposalError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user. `field` names the form field
    the message belongs beside, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def local_today() -> date:
    """Today in the application's time zone (Viet Nam), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


# --- reading -------------------------------------------------------------------------------------

def default_recipient(award_type: AwardType) -> str:
    name = award_type.name.casefold()
    return PRESIDENT if name.startswith(_PRESIDENT_PREFIXES) else PRIME_MINISTER


def default_title(award_type: AwardType, nominations: list[Nomination]) -> str:
    """"Tờ trình đề nghị tặng <award> cho 2 tập thể và 3 cá nhân" (a kind with none is left out)."""
    collectives = sum(1 for n in nominations if n.is_collective)
    individuals = len(nominations) - collectives
    parts = [f"{collectives} tập thể"] if collectives else []
    if individuals or not parts:
        parts.append(f"{individuals} cá nhân")
    return f"Tờ trình đề nghị tặng {award_type.name} cho {' và '.join(parts)}"


def default_issuer() -> Unit | None:
    """The submitting body: the province (its top unit)."""
    return db.session.scalar(sa.select(Unit).where(Unit.kind == UnitKind.PROVINCE, Unit.parent_id.is_(None))
                             .order_by(Unit.id))


def sort_nominations(nominations) -> list[Nomination]:
    """Collectives first, then individuals; each by nominating unit, then by Vietnamese name."""
    return sorted(nominations, key=lambda n: (not n.is_collective, vi_text_key(n.unit.name if n.unit else ""),
                                              vi_name_key(n.nominee_name), n.id))


def _with_nominee():
    return (joinedload(Nomination.person).joinedload(Person.unit), joinedload(Nomination.nominee_unit),
            joinedload(Nomination.unit), joinedload(Nomination.award_type))


def _in_live_proposal(exclude: UpwardProposal | None = None):
    stmt = (sa.select(ProposalItem.nomination_id).join(UpwardProposal)
            .where(UpwardProposal.status.in_(LIVE_STATUSES)))
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(UpwardProposal.id != exclude.id)
    return stmt


def available_nominations(award_type: AwardType, year: int, *,
                          proposal: UpwardProposal | None = None) -> list[Nomination]:
    """APPROVED dossiers of this form (any version of it) and year that are in no live proposal other
    than `proposal`, in list order."""
    stmt = (sa.select(Nomination).join(AwardType, Nomination.award_type_id == AwardType.id)
            .where(AwardType.code == award_type.code, Nomination.year == year,
                   Nomination.status == NominationStatus.APPROVED,
                   Nomination.id.not_in(_in_live_proposal(proposal)))
            .options(*_with_nominee()))
    return sort_nominations(db.session.scalars(stmt).unique().all())


@dataclass(frozen=True)
class Candidates:
    award_type: AwardType
    year: int
    count: int


def upward_candidates() -> list[Candidates]:
    """(upward form, year) pairs with approved dossiers not yet in a live proposal, with their counts."""
    rows = db.session.execute(
        sa.select(AwardType.code, Nomination.year, sa.func.count(Nomination.id))
        .join(Nomination, Nomination.award_type_id == AwardType.id)
        .where(AwardType.level == AwardLevel.CENTRAL, Nomination.status == NominationStatus.APPROVED,
               Nomination.id.not_in(_in_live_proposal()))
        .group_by(AwardType.code, Nomination.year)
    ).all()
    result = []
    for code, year, count in rows:
        newest = db.session.scalar(sa.select(AwardType).where(AwardType.code == code)
                                   .order_by(AwardType.effective_from.desc()))
        result.append(Candidates(newest, year, count))
    return sorted(result, key=lambda c: (-c.year, c.award_type.position, c.award_type.name))


def proposal_items(proposal: UpwardProposal) -> list[ProposalItem]:
    """The items with what a list row shows, loaded in a fixed number of queries."""
    stmt = (sa.select(ProposalItem).where(ProposalItem.proposal_id == proposal.id)
            .options(joinedload(ProposalItem.nomination).options(*_with_nominee()),
                     joinedload(ProposalItem.award_record))
            .order_by(ProposalItem.position))
    return list(db.session.scalars(stmt).unique())


def nominee_detail(n: Nomination) -> str:
    """The "chức vụ, đơn vị" line of a list row."""
    if n.is_collective:
        parent = n.nominee_unit.parent if n.nominee_unit else None
        return f"Trực thuộc {parent.name}" if parent else ""
    person = n.person
    parts = [p for p in (person.position, person.unit.name if person.unit else None) if p]
    return ", ".join(parts)


# --- building and editing ------------------------------------------------------------------------

def _check_header(proposal: UpwardProposal | None, *, issuer_unit: Unit, number: str | None, title: str,
                  recipient: str) -> str | None:
    number = (number or "").strip() or None
    if number is not None:
        if not NUMBER_RE.match(number):
            raise ProposalError("Số tờ trình không đúng dạng, ví dụ “123/TTr-UBND”.", "number")
        clash = sa.select(UpwardProposal.id).where(UpwardProposal.issuer_unit_id == issuer_unit.id,
                                                   UpwardProposal.number == number)
        if proposal is not None and proposal.id is not None:
            clash = clash.where(UpwardProposal.id != proposal.id)
        if db.session.scalar(clash) is not None:
            raise ProposalError(f"Số tờ trình “{number}” đã được dùng cho tờ trình khác.", "number")
    if not (title or "").strip():
        raise ProposalError("Vui lòng nhập trích yếu của tờ trình.", "title")
    if recipient not in RECIPIENTS:
        raise ProposalError("Nơi nhận không hợp lệ.", "recipient")
    return number


def _pick(award_type: AwardType, year: int, nomination_ids, *, proposal: UpwardProposal | None) -> list[Nomination]:
    """The chosen dossiers, each checked to be an approved dossier of this form and year in no other live
    proposal; in list order."""
    ids = list(dict.fromkeys(int(i) for i in nomination_ids or ()))
    if not ids:
        raise ProposalError("Vui lòng chọn ít nhất một hồ sơ để đề nghị.", "nomination_ids")
    allowed = {n.id: n for n in available_nominations(award_type, year, proposal=proposal)}
    chosen = []
    for nid in ids:
        n = allowed.get(nid)
        if n is None:
            other = db.session.get(Nomination, nid)
            name = f"“{other.nominee_name}” " if other is not None else ""
            raise ProposalError(f"Hồ sơ {name}không thể đưa vào tờ trình: chỉ chọn được hồ sơ đã được Hội đồng "
                                f"thông qua, cùng hình thức và năm, chưa có trong tờ trình khác.", "nomination_ids")
        chosen.append(n)
    return sort_nominations(chosen)


def _renumber(proposal: UpwardProposal, items: list[ProposalItem]) -> None:
    """Give `items` the positions 1..n. Positions are unique per proposal, so they are first moved out of
    the way (negative) in their own flush."""
    persisted = [it for it in items if it.id is not None]
    if persisted:
        for it in persisted:
            it.position = -it.position - 1_000_000
        db.session.flush()
    for position, it in enumerate(items, start=1):
        it.position = position
    proposal.items[:] = items


def _event(proposal: UpwardProposal, action: str, *, actor, note: str | None = None) -> ProposalEvent:
    event = ProposalEvent(action=action, note=(note or "").strip() or None, actor_id=getattr(actor, "id", None))
    proposal.events.append(event)
    return event


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:  # the version check: someone else changed the proposal since it was loaded
        raise ProposalError("Tờ trình vừa được người khác cập nhật. Vui lòng tải lại trang.") from None


def create_proposal(*, award_type: AwardType, year: int, nomination_ids, number: str | None = None,
                    dated_on: date | None = None, title: str | None = None, recipient: str | None = None,
                    signer_name: str | None = None, signer_title: str | None = None, actor=None,
                    issuer_unit: Unit | None = None) -> UpwardProposal:
    """A draft proposal of the province for one upward form and year, listing the chosen dossiers in list
    order (collectives, then individuals, by nominating unit and Vietnamese name)."""
    if not award_type.is_upward:
        raise ProposalError("Chỉ lập tờ trình cho danh hiệu, hình thức khen thưởng cấp Nhà nước.")
    issuer_unit = issuer_unit or default_issuer()
    if issuer_unit is None:
        raise ProposalError("Chưa có đơn vị cấp tỉnh trong danh mục đơn vị để đứng tên tờ trình.")
    chosen = _pick(award_type, year, nomination_ids, proposal=None)
    title = (title or "").strip() or default_title(award_type, chosen)
    recipient = recipient or default_recipient(award_type)
    number = _check_header(None, issuer_unit=issuer_unit, number=number, title=title, recipient=recipient)
    proposal = UpwardProposal(issuer_unit=issuer_unit, award_type=award_type, year=year, number=number,
                              dated_on=dated_on, title=title, recipient=recipient, signer_name=signer_name or None,
                              signer_title=signer_title or None, created_by_id=getattr(actor, "id", None))
    proposal.items = [ProposalItem(nomination=n, position=i) for i, n in enumerate(chosen, start=1)]
    _event(proposal, "create", actor=actor)
    db.session.add(proposal)
    label(proposal, "proposal.create")
    db.session.flush()
    return proposal


def _check_editable(proposal: UpwardProposal) -> None:
    if proposal.status not in EDITABLE_STATUSES:
        raise ProposalError(f"Tờ trình đang ở trạng thái “{proposal.status.label}”, không thể sửa.")


def update_proposal(proposal: UpwardProposal, *, nomination_ids, number: str | None, dated_on: date | None,
                    title: str, recipient: str, signer_name: str | None, signer_title: str | None) -> UpwardProposal:
    """Change the header and the list while draft or returned. Dossiers kept keep their order; added ones
    follow in list order."""
    _check_editable(proposal)
    number = _check_header(proposal, issuer_unit=proposal.issuer_unit, number=number, title=title,
                           recipient=recipient)
    chosen = _pick(proposal.award_type, proposal.year, nomination_ids, proposal=proposal)
    chosen_ids = {n.id for n in chosen}
    kept = [it for it in proposal.items if it.nomination_id in chosen_ids]
    kept_ids = {it.nomination_id for it in kept}
    added = [ProposalItem(nomination=n, position=0) for n in chosen if n.id not in kept_ids]
    if len(kept) != len(proposal.items):
        proposal.items[:] = kept  # delete-orphan removes the others
        db.session.flush()
    _renumber(proposal, kept + added)
    proposal.number = number
    proposal.dated_on = dated_on
    proposal.title = title.strip()
    proposal.recipient = recipient
    proposal.signer_name = signer_name or None
    proposal.signer_title = signer_title or None
    label(proposal, "proposal.update")
    _flush()
    return proposal


def move_item(proposal: UpwardProposal, item: ProposalItem, *, step: int) -> UpwardProposal:
    """Move `item` one place up (step -1) or down (step +1) in the list."""
    _check_editable(proposal)
    items = list(proposal.items)
    i = items.index(item)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(items):
        return proposal
    items[i], items[j] = items[j], items[i]
    label(item, "proposal.reorder")
    _renumber(proposal, items)
    _flush()
    return proposal


def remove_item(proposal: UpwardProposal, item: ProposalItem) -> UpwardProposal:
    """Take a dossier off the list (it becomes available to another proposal)."""
    _check_editable(proposal)
    if len(proposal.items) == 1:
        raise ProposalError("Tờ trình phải có ít nhất một hồ sơ; hãy thêm hồ sơ khác trước khi bỏ hồ sơ này.")
    label(item, "proposal.remove_item")
    proposal.items.remove(item)
    db.session.flush()
    _renumber(proposal, list(proposal.items))
    _flush()
    return proposal


# --- tracking --------------------------------------------------------------------------------------

def submit(proposal: UpwardProposal, *, actor, submitted_on: date | None = None,
           note: str | None = None) -> UpwardProposal:
    """Send the proposal to the centre (from draft) or again after completing it (from returned). It needs a
    number and a date, and every dossier must still be approved."""
    if proposal.status not in EDITABLE_STATUSES:
        raise ProposalError(f"Tờ trình đang ở trạng thái “{proposal.status.label}”, không thể trình.")
    if not proposal.number:
        raise ProposalError("Tờ trình chưa có số; hãy sửa tờ trình để ghi số (ví dụ “123/TTr-UBND”) trước khi trình.")
    if proposal.dated_on is None:
        raise ProposalError("Tờ trình chưa có ngày ký; hãy sửa tờ trình để ghi ngày trước khi trình.")
    if not proposal.items:
        raise ProposalError("Tờ trình chưa có hồ sơ nào.")
    for item in proposal.items:
        if item.nomination.status != NominationStatus.APPROVED:
            raise ProposalError(f"Hồ sơ “{item.nomination.nominee_name}” đang ở trạng thái "
                                f"“{item.nomination.status.label}”; hãy bỏ hồ sơ này khỏi tờ trình.")
    submitted_on = submitted_on or local_today()
    if submitted_on < proposal.dated_on:
        raise ProposalError("Ngày trình không được trước ngày của tờ trình.", "submitted_on")
    action = "resubmit" if proposal.status == ProposalStatus.RETURNED else "submit"
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submitted_on = submitted_on
    _event(proposal, action, actor=actor, note=note)
    label(proposal, f"proposal.{action}")
    _flush()
    return proposal


def _check_submitted(proposal: UpwardProposal) -> None:
    if proposal.status != ProposalStatus.SUBMITTED:
        raise ProposalError(f"Tờ trình đang ở trạng thái “{proposal.status.label}”, chưa trình hoặc đã có kết quả.")


def return_proposal(proposal: UpwardProposal, *, note: str, actor) -> UpwardProposal:
    """The centre sent the proposal back for completion: editable again until resubmitted."""
    _check_submitted(proposal)
    if not (note or "").strip():
        raise ProposalError("Vui lòng ghi rõ nội dung Trung ương yêu cầu bổ sung, hoàn thiện.", "note")
    proposal.status = ProposalStatus.RETURNED
    _event(proposal, "return", actor=actor, note=note)
    label(proposal, "proposal.return")
    _flush()
    return proposal


def record_reference(proposal: UpwardProposal, *, reference: str, actor, note: str | None = None) -> UpwardProposal:
    """Keep the central reference (e.g. the Ban Thi đua - Khen thưởng Trung ương's receipt number)."""
    _check_submitted(proposal)
    reference = (reference or "").strip()
    if not reference:
        raise ProposalError("Vui lòng nhập số tiếp nhận, số văn bản của Trung ương.", "reference")
    if len(reference) > REFERENCE_MAX:
        raise ProposalError(f"Tối đa {REFERENCE_MAX} ký tự.", "reference")
    proposal.central_reference = reference
    _event(proposal, "reference", actor=actor, note=f"Số tiếp nhận: {reference}" + (f". {note.strip()}"
                                                                                   if (note or "").strip() else ""))
    label(proposal, "proposal.reference")
    _flush()
    return proposal


@dataclass(frozen=True)
class Outcome:
    outcome: ProposalOutcome
    note: str | None = None


def record_decision(proposal: UpwardProposal, *, number: str, decided_on: date, issuer: str,
                    outcomes: dict[int, Outcome], actor) -> UpwardProposal:
    """Record the central decision: per item awarded or declined. Writes one registry record (source
    DECISION) per awarded item and links it, moves those dossiers to AWARDED and the declined ones to
    DECLINED, and sets the proposal DECIDED. Every item must get an outcome, once.

    The changes are flushed one by one; the caller commits only if this returns, and rolls back on
    `ProposalError`, so a refusal anywhere (e.g. a dossier moved meanwhile) saves nothing.
    """
    _check_submitted(proposal)
    number = (number or "").strip()
    if not number:
        raise ProposalError("Vui lòng nhập số quyết định khen thưởng của Trung ương.", "number")
    if len(number) > DECISION_NUMBER_MAX:
        raise ProposalError(f"Tối đa {DECISION_NUMBER_MAX} ký tự.", "number")
    if decided_on is None:
        raise ProposalError("Vui lòng nhập ngày quyết định.", "decided_on")
    if proposal.submitted_on and decided_on < proposal.submitted_on:
        raise ProposalError("Ngày quyết định không được trước ngày trình.", "decided_on")
    if issuer not in RECIPIENTS:
        raise ProposalError("Cấp quyết định không hợp lệ.", "issuer")
    award_type = proposal.award_type
    items = proposal_items(proposal)
    for item in items:
        if item.outcome != ProposalOutcome.PENDING or item.award_record_id is not None:
            raise ProposalError(f"Kết quả của “{item.nomination.nominee_name}” đã được ghi nhận trước đó.")
        chosen = outcomes.get(item.id)
        if chosen is None or chosen.outcome not in (ProposalOutcome.AWARDED, ProposalOutcome.DECLINED):
            raise ProposalError(f"Vui lòng chọn kết quả cho “{item.nomination.nominee_name}”.", f"outcome_{item.id}")
    decision_note = f"Quyết định số {number} ngày {decided_on:%d/%m/%Y} của {issuer}"
    for item in items:
        chosen = outcomes[item.id]
        n = item.nomination
        item.outcome = chosen.outcome
        item.note = (chosen.note or "").strip() or None
        action = "award" if chosen.outcome == ProposalOutcome.AWARDED else "decline"
        if action == "award":
            record = AwardRecord(
                nominee_kind=n.nominee_kind, person=n.person if n.nominee_kind == NomineeKind.INDIVIDUAL else None,
                unit=n.nominee_unit if n.nominee_kind == NomineeKind.COLLECTIVE else None,
                award_code=award_type.code, award_name=award_type.name, method=n.method, year=n.year,
                decision_number=number, decision_date=decided_on, issuer=issuer, source=RecordSource.DECISION,
                note=f"Theo {proposal}" if proposal.number else None,
            )
            db.session.add(record)
            item.award_record = record
            mark_initiatives_used(n.initiatives, record)
        try:
            transition(n, action, actor=actor, note="; ".join(p for p in (decision_note, item.note) if p))
        except InvalidTransition as exc:
            raise ProposalError(f"Hồ sơ “{n.nominee_name}”: {exc} Chưa ghi nhận kết quả nào; hãy kiểm tra lại "
                                f"hồ sơ rồi ghi nhận lại.") from None
    proposal.central_decision_number = number
    proposal.central_decision_date = decided_on
    proposal.central_issuer = issuer
    proposal.status = ProposalStatus.DECIDED
    awarded = sum(1 for it in items if it.outcome == ProposalOutcome.AWARDED)
    _event(proposal, "decide", actor=actor,
           note=f"{decision_note}: {awarded}/{len(items)} trường hợp được khen thưởng.")
    label(proposal, "proposal.decide")
    _flush()
    return proposal


# --- the package (tờ trình PDF, list as Excel, every dossier's files) --------------------------------

TEMPLATE = "proposals/document.html"
STYLESHEET = "proposals/print.css"
DEFAULT_PLACE = "Thanh Hóa"  # the locality of the date line; config DOCUMENT_PLACE overrides it
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@dataclass(frozen=True)
class ListRow:
    position: int
    name: str
    kind: str
    detail: str
    unit: str
    achievement: str
    nomination: Nomination


def list_rows(proposal: UpwardProposal) -> list[ListRow]:
    return [ListRow(position=it.position, name=it.nomination.nominee_name, kind=it.nomination.nominee_kind.label,
                    detail=nominee_detail(it.nomination),
                    unit=it.nomination.unit.name if it.nomination.unit else "",
                    achievement=it.nomination.achievement_summary or "", nomination=it.nomination)
            for it in proposal_items(proposal)]


_PEOPLES_COMMITTEE = "Ủy ban nhân dân"


def issuer_full_name(name: str) -> str:
    """The body's name written out, as a sentence names it: "UBND tỉnh Thanh Hóa" → "Ủy ban nhân dân tỉnh …"."""
    return re.sub(r"^(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", _PEOPLES_COMMITTEE + " ", name.strip(), flags=re.I)


def issuer_lines(name: str) -> list[str]:
    """The issuing body block, top left: "UBND tỉnh Thanh Hóa" → ["ỦY BAN NHÂN DÂN", "TỈNH THANH HÓA"]."""
    full = issuer_full_name(name)
    if full.startswith(_PEOPLES_COMMITTEE + " "):
        return [_PEOPLES_COMMITTEE.upper(), full[len(_PEOPLES_COMMITTEE) + 1:].upper()]
    return [full.upper()]


def document_context(proposal: UpwardProposal) -> dict:
    from thidua.documents.pdf import metadata_tags

    rows = list_rows(proposal)
    collectives = [r for r in rows if r.nomination.is_collective]
    individuals = [r for r in rows if not r.nomination.is_collective]
    issuer = issuer_lines(proposal.issuer_unit.name)
    code = proposal.number.split("/", 1)[1] if proposal.number else "TTr-UBND"
    created = datetime.combine(proposal.dated_on, datetime.min.time()) if proposal.dated_on else proposal.created_at
    return {
        "proposal": proposal,
        "award": proposal.award_type,
        "issuer": issuer,
        "issuer_name": issuer_full_name(proposal.issuer_unit.name),
        "number_line": f"Số: {proposal.number}" if proposal.number else f"Số:        /{code}",
        "place": current_app.config.get("DOCUMENT_PLACE", DEFAULT_PLACE),
        "collectives": collectives,
        "individuals": individuals,
        "signer_lines": [line.strip() for line in (proposal.signer_title or "").splitlines() if line.strip()],
        "meta": metadata_tags(title=proposal.title, created=created),
    }


def render_document_html(proposal: UpwardProposal) -> str:
    from flask import render_template

    return render_template(TEMPLATE, **document_context(proposal))


def document_pdf(proposal: UpwardProposal) -> bytes:
    """The tờ trình with its list, as PDF bytes (Decree 30/2020 layout, bundled font)."""
    from thidua.documents.pdf import render_pdf

    return render_pdf(render_document_html(proposal), stylesheet_path=STYLESHEET)


LIST_HEADERS = ("STT", "Họ và tên / Tên tập thể", "Cá nhân / Tập thể", "Chức vụ, đơn vị công tác",
                "Đơn vị trình", "Năm", "Tóm tắt thành tích")


def list_workbook(proposal: UpwardProposal, rows: list[ListRow] | None = None, out=None) -> None:
    """Write the list as an Excel workbook to the file object `out`: a title, the headers on row 3, then
    one row per dossier in list order."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    rows = list_rows(proposal) if rows is None else rows
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append([f"DANH SÁCH ĐỀ NGHỊ TẶNG {proposal.award_type.name.upper()} NĂM {proposal.year}"
               + (f" (kèm theo Tờ trình số {proposal.number})" if proposal.number else "")])
    ws["A1"].font = Font(bold=True)
    ws.append([])
    ws.append(list(LIST_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in rows:
        ws.append([r.position, r.name, r.kind, r.detail, r.unit, r.nomination.year, r.achievement])
    for column, width in zip("ABCDEFG", (6, 30, 12, 36, 30, 8, 60), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A4"
    wb.save(out)


def safe_name(text: str, *, limit: int = 120, path: bool = False) -> str:
    """A file or folder name that works on Windows, macOS and Linux: no separators or reserved characters,
    no leading/trailing dots or spaces, NFC, at most `limit` characters (the extension kept). With `path`,
    `text` is a file name as uploaded and only its last part is kept ("../a/b.pdf" → "b.pdf")."""
    from thidua.storage import safe_display_name
    from thidua.text import nfc

    text = nfc(text) or ""
    if path:
        text = safe_display_name(text)
    name = _UNSAFE.sub("_", text).strip(" .")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:limit]
    return name or "tep"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    stem, dot, ext = name.rpartition(".")
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
    taken.add(candidate.casefold())
    return candidate


def dossier_summary(row: ListRow, proposal: UpwardProposal, files: list[tuple[str, str, bool]]) -> str:
    """The text summary placed in each dossier's folder; `files` are (name in the ZIP, part, found)."""
    n = row.nomination
    lines = [
        f"HỒ SƠ SỐ {row.position:02d}: {row.name}",
        "",
        f"Đối tượng: {row.kind}",
        f"Chức vụ, đơn vị công tác: {row.detail or '—'}",
        f"Đơn vị trình: {row.unit}",
        f"Đề nghị: {proposal.award_type.name}, năm {n.year} ({n.method.label})",
        f"Tình trạng hồ sơ: {n.status.label}",
        "",
        "Tóm tắt thành tích:",
        row.achievement,
        "",
        "Tài liệu kèm theo:",
    ]
    lines += [f"- {name} ({part})" + ("" if found else " — KHÔNG TÌM THẤY TỆP TRÊN MÁY CHỦ") for name, part, found in files]
    if not files:
        lines.append("- (không có tài liệu đính kèm)")
    return "\n".join(lines) + "\n"


def package_name(proposal: UpwardProposal) -> str:
    return safe_name(f"Ho so de nghi {proposal.number or proposal.id}".replace("/", "-")) + ".zip"


def write_package(proposal: UpwardProposal, out) -> None:
    """Write the whole package as a ZIP to the (seekable) file object `out`: the tờ trình as PDF, the list
    as Excel and one folder per dossier ("01 - Nguyễn Thị Hằng/") with its summary and its attachments
    under their original names. Attachments are copied from disk in chunks and stored uncompressed
    (PDF, images and Office files are compressed already), so memory does not grow with their size."""
    import io
    import zipfile

    from thidua.storage import path_of

    rows = list_rows(proposal)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Tờ trình.pdf", document_pdf(proposal))
        sheet = io.BytesIO()
        list_workbook(proposal, rows, sheet)
        zf.writestr("Danh sách đề nghị.xlsx", sheet.getvalue())
        folders: set[str] = set()
        for row in rows:
            folder = _unique(safe_name(f"{row.position:02d} - {row.name}", limit=80), folders)
            taken = {"tóm tắt hồ sơ.txt"}
            files = []
            for attachment in row.nomination.attachments:
                name = _unique(safe_name(attachment.original_name, path=True), taken)
                try:
                    path = path_of(attachment.stored_name)
                    found = path.is_file()
                except FileNotFoundError:
                    found = False
                if found:
                    zf.write(path, f"{folder}/{name}", compress_type=zipfile.ZIP_STORED)
                files.append((name, attachment.part.label, found))
            zf.writestr(f"{folder}/Tóm tắt hồ sơ.txt", dossier_summary(row, proposal, files))
