"""State changes of award decisions: drafts built from approved dossiers, issuing (number, money,
gold-book numbers, verification codes, registry entries, dossiers moved to "awarded"), and revocation.

Services flush, never commit (the view commits: one transaction per user action), and raise
`DecisionError` with a Vietnamese message and the form field it concerns. They check *what* (state,
invariants), never *who*.
"""

from __future__ import annotations

import re
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from thidua.audit.services import label
from thidua.extensions import db, utcnow
from thidua.nominations.models import Nomination
from thidua.nominations.workflow import InvalidTransition, transition
from thidua.notifications import events
from thidua.org.models import Unit, UnitKind
from thidua.registry.models import AwardRecord, NomineeKind, RecordSource
from thidua.registry.services import mark_initiatives_used
from thidua.rules.models import AwardLevel, AwardMethod, AwardType
from thidua.text import nfc

from . import queries
from .models import Decision, DecisionItem, DecisionStatus, GoldBook
from .prize import NoBaseSalary, base_salary_on, prize_amount

# "1234/QĐ-UBND", "56/QĐ-SGDĐT", "7/QĐ-UBND-TĐKT": the number, "QĐ", the issuing body's sign.
NUMBER_RE = re.compile(r"^\d{1,5}/QĐ-[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*$")
NUMBER_HELP = "Số quyết định phải theo mẫu “số/QĐ-ký hiệu cơ quan”, ví dụ 1234/QĐ-UBND."
PROVINCE_TITLE = "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA"
# A dossier's achievement summary is printed on the certificate only when it is short enough for the
# certificate's achievement line; a longer summary (a paragraph of figures) gives way to the decision's
# default text ("Đã có thành tích xuất sắc trong …"), which the secretariat may edit item by item.
SHORT_ACHIEVEMENT = 200
DEFAULT_ACHIEVEMENT = "Đã có thành tích xuất sắc trong thực hiện nhiệm vụ năm {year}."
VERIFY_BYTES = 13  # 104 bits: 21 base32 characters without padding


class DecisionError(ValueError):
    """A refused change; the message (Vietnamese) is shown beside the form field `field` (or above
    the form when `field` is None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def local_today() -> date:
    """Today in the application's time zone (Viet Nam), not the server's."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def new_verify_code() -> str:
    """A certificate's public verification code: 13 random bytes (104 bits), base32 without padding."""
    return b32encode(secrets.token_bytes(VERIFY_BYTES)).decode("ascii").rstrip("=")


# --- defaults ----------------------------------------------------------------------------------------

_HEAD_BY_KIND = {
    UnitKind.DEPARTMENT: "GIÁM ĐỐC",
    UnitKind.COMMUNE: "CHỦ TỊCH ỦY BAN NHÂN DÂN",
    UnitKind.WARD: "CHỦ TỊCH ỦY BAN NHÂN DÂN",
    UnitKind.DISTRICT: "CHỦ TỊCH ỦY BAN NHÂN DÂN",
    UnitKind.SCHOOL: "HIỆU TRƯỞNG",
    UnitKind.ENTERPRISE: "GIÁM ĐỐC",
}


def default_issuer_title(unit: Unit) -> str:
    """The signer's line printed in red on certificates: the provincial chairman for the province,
    otherwise the head of the unit ("GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO"); editable on the draft."""
    if unit.kind == UnitKind.PROVINCE and unit.parent_id is None:
        return PROVINCE_TITLE
    head = _HEAD_BY_KIND.get(unit.kind, "THỦ TRƯỞNG")
    return f"{head} {unit.name.upper()}"


def default_subject(award_type: AwardType) -> str:
    return f"Về việc tặng {award_type.name}"


def _detail_for(nomination: Nomination) -> str | None:
    """"Giáo viên Hóa học, Trường THPT Hàm Rồng" for a person; the parent unit for a collective."""
    if nomination.is_collective:
        parent = nomination.nominee_unit.parent if nomination.nominee_unit else None
        return parent.name if parent is not None and parent.kind != UnitKind.PROVINCE else None
    person = nomination.person
    parts = [p for p in (person.position, person.unit.name if person.unit else None) if p]
    return ", ".join(parts) or None


def _achievement_for(nomination: Nomination, default: str) -> str:
    summary = (nomination.achievement_summary or "").strip()
    if summary and len(summary) <= SHORT_ACHIEVEMENT and "\n" not in summary:
        return summary
    return default


def _item_for(nomination: Nomination, decision: Decision, position: int) -> DecisionItem:
    return DecisionItem(
        position=position, nomination=nomination, nominee_kind=nomination.nominee_kind,
        person=nomination.person, unit=nomination.nominee_unit, group_unit=nomination.unit,
        awardee_name=nomination.nominee_name, awardee_detail=_detail_for(nomination),
        achievement=_achievement_for(nomination, decision.achievement_default),
        coefficient=decision.award_type.coefficient,
    )


# --- drafts ------------------------------------------------------------------------------------------

def _check_header(award_type: AwardType, issuer_unit: Unit) -> None:
    if award_type.level not in queries.DECIDED_HERE:
        raise DecisionError(f"“{award_type.name}” do cấp Trung ương quyết định; hãy lập tờ trình đề nghị "
                            "lên cấp trên thay vì quyết định khen thưởng.", "award_type_id")
    root = queries.root_province()
    if award_type.level == AwardLevel.PROVINCE and (root is None or issuer_unit.id != root.id):
        raise DecisionError(f"“{award_type.name}” do Chủ tịch UBND tỉnh quyết định: cơ quan ban hành phải là "
                            f"{root.name if root else 'UBND tỉnh'}.", "issuer_unit_id")


def _pick_dossiers(decision: Decision, nomination_ids: list[int]) -> list[Nomination]:
    """The approved, not yet decided dossiers of the decision's title or form among `nomination_ids`,
    in annex order; any other id is refused."""
    ids = list(dict.fromkeys(nomination_ids))
    found = queries.approved_dossiers(decision.award_type.code, ids=ids)
    if len(found) != len(ids):
        raise DecisionError("Có hồ sơ không còn ở trạng thái “Hội đồng thông qua”, không đúng danh hiệu, hình "
                            "thức của quyết định hoặc đã có trong một quyết định khác. Vui lòng tải lại trang.",
                            "nomination_ids")
    return found


def create_draft(*, award_type: AwardType, issuer_unit: Unit, method: AwardMethod, year: int,
                 nomination_ids: list[int], subject: str | None = None, issuer_title: str | None = None,
                 achievement_default: str | None = None, session_id: int | None = None, actor=None) -> Decision:
    """A draft decision listing the chosen approved dossiers: collectives first, then individuals, each
    by nominating unit and name (see queries.sort_dossiers). Empty subject, signer line and default
    achievement get their defaults.

    :raise DecisionError: a central title or form, a provincial one from another issuer, or a dossier
        that is not (or no longer) available.
    """
    _check_header(award_type, issuer_unit)
    decision = Decision(
        award_type=award_type, issuer_unit=issuer_unit, method=AwardMethod(method), year=year,
        subject=nfc(subject) or default_subject(award_type),
        issuer_title=nfc(issuer_title) or default_issuer_title(issuer_unit),
        achievement_default=nfc(achievement_default) or DEFAULT_ACHIEVEMENT.format(year=year),
        session_id=session_id or None, status=DecisionStatus.DRAFT, created_by_id=getattr(actor, "id", None),
    )
    db.session.add(decision)
    for position, nomination in enumerate(_pick_dossiers(decision, nomination_ids), start=1):
        decision.items.append(_item_for(nomination, decision, position))
    label(decision, "decision.create")
    db.session.flush()
    return decision


def _ensure_draft(decision: Decision) -> None:
    if decision.status != DecisionStatus.DRAFT:
        raise DecisionError("Quyết định đã ban hành, không thể sửa.")


REQUIRED_HEADER = {"subject": "Vui lòng nhập trích yếu của quyết định.",
                   "achievement_default": "Vui lòng nhập thành tích mặc định.",
                   "place": "Vui lòng nhập địa danh ghi trên quyết định."}


def update_draft(decision: Decision, *, issuer_unit: Unit, issuer_title: str | None, method: AwardMethod, year: int,
                 subject: str, achievement_default: str, place: str, preamble: str | None = None) -> Decision:
    """Change a draft's header; an empty signer line gets the issuer's default. Items keep their texts."""
    _ensure_draft(decision)
    _check_header(decision.award_type, issuer_unit)
    texts = {"subject": nfc(subject), "achievement_default": nfc(achievement_default), "place": nfc(place)}
    for name, message in REQUIRED_HEADER.items():
        if not texts[name]:
            raise DecisionError(message, name)
    decision.issuer_unit = issuer_unit
    decision.issuer_title = nfc(issuer_title) or default_issuer_title(issuer_unit)
    decision.method, decision.year = AwardMethod(method), year
    decision.subject, decision.achievement_default, decision.place = (
        texts["subject"], texts["achievement_default"], texts["place"])
    decision.preamble = nfc(preamble) or None
    label(decision, "decision.edit")
    db.session.flush()
    return decision


def _renumber(decision: Decision, ordered: list[DecisionItem]) -> None:
    """Give `ordered` the positions 1..n. Positions are unique per decision and rows are updated one at
    a time, so every item first moves out of the way (to -1..-n)."""
    for i, item in enumerate(ordered, start=1):
        item.position = -i
    db.session.flush()
    for i, item in enumerate(ordered, start=1):
        item.position = i
    db.session.flush()


def move_item(item: DecisionItem, *, up: bool) -> None:
    """Swap the item with its neighbour above (or below); at either end nothing changes."""
    decision = item.decision
    _ensure_draft(decision)
    items = list(decision.items)
    i = items.index(item)
    j = i - 1 if up else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
        label(decision, "decision.edit")
        _renumber(decision, items)


def update_item(item: DecisionItem, *, awardee_name: str, awardee_detail: str | None, achievement: str) -> DecisionItem:
    """Change what the annex and the certificate print for one awardee."""
    _ensure_draft(item.decision)
    if not nfc(awardee_name):
        raise DecisionError("Vui lòng nhập tên người, tập thể được khen thưởng.", "awardee_name")
    if not nfc(achievement):
        raise DecisionError("Vui lòng nhập thành tích.", "achievement")
    item.awardee_name = nfc(awardee_name)
    item.awardee_detail = nfc(awardee_detail) or None
    item.achievement = nfc(achievement)
    db.session.flush()
    return item


def remove_item(item: DecisionItem) -> None:
    """Take an awardee off the draft; its dossier becomes available again."""
    decision = item.decision
    _ensure_draft(decision)
    remaining = [i for i in decision.items if i is not item]
    decision.items.remove(item)
    db.session.flush()
    _renumber(decision, remaining)


def add_items(decision: Decision, *, nomination_ids: list[int]) -> list[DecisionItem]:
    """Append more approved dossiers (in annex order) after the draft's current items."""
    _ensure_draft(decision)
    start = len(decision.items)
    added = []
    for offset, nomination in enumerate(_pick_dossiers(decision, nomination_ids), start=1):
        item = _item_for(nomination, decision, start + offset)
        decision.items.append(item)
        added.append(item)
    if not added:
        raise DecisionError("Vui lòng chọn ít nhất một hồ sơ.", "nomination_ids")
    db.session.flush()
    return added


# --- money --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    base_salary: int | None  # None: no base salary in force on `day`
    day: date
    individuals: int
    collectives: int
    amounts: dict[int, int]  # item id → VND
    total: int


def totals(decision: Decision, day: date) -> Totals:
    """The money of every item with the base salary in force on `day` (a draft's running totals; an
    issued decision uses its stored amounts)."""
    items = decision.items
    collectives = sum(1 for i in items if i.nominee_kind == NomineeKind.COLLECTIVE)
    if decision.is_issued:
        return Totals(decision.base_salary, decision.signed_on, len(items) - collectives, collectives,
                      {i.id: i.amount for i in items}, decision.total_amount)
    try:
        base = base_salary_on(day).amount
    except NoBaseSalary:
        return Totals(None, day, len(items) - collectives, collectives, {}, 0)
    amounts = {i.id: _amount(decision, i, base) for i in items}
    return Totals(base, day, len(items) - collectives, collectives, amounts, sum(amounts.values()))


def _amount(decision: Decision, item: DecisionItem, base: int) -> int:
    return prize_amount(item.coefficient, collective=item.nominee_kind == NomineeKind.COLLECTIVE,
                        multiplier=decision.award_type.collective_multiplier, base=base)


# --- gold books ---------------------------------------------------------------------------------------

def _gold_book_id(issuer_unit_id: int, award_code: str, year: int) -> int:
    """The id of the gold book of (issuer, award code, year), created if missing. INSERT … ON CONFLICT DO
    NOTHING lets two first issuers of a year race safely: the loser's insert waits for the winner's
    transaction, then does nothing."""
    table = GoldBook.__table__
    values = {"issuer_unit_id": issuer_unit_id, "award_code": award_code, "year": year, "last_number": 0}
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return db.session.scalar(sa.select(table.c.id).where(
        table.c.issuer_unit_id == issuer_unit_id, table.c.award_code == award_code, table.c.year == year))


def _take(issuer_unit_id: int, award_code: str, year: int, count: int) -> tuple[int, range]:
    book_id = _gold_book_id(issuer_unit_id, award_code, year)
    table = GoldBook.__table__
    last = db.session.execute(sa.update(table).where(table.c.id == book_id)
                              .values(last_number=table.c.last_number + count)
                              .returning(table.c.last_number)).scalar_one()
    return book_id, range(last - count + 1, last + 1)


def take_gold_book_numbers(issuer_unit_id: int, award_code: str, year: int, count: int) -> range:
    """Reserve the next `count` numbers of the gold book of (issuer, award code, year).

    One UPDATE … RETURNING moves the counter; its row lock is held until the transaction ends, so a
    concurrent issuer waits, and a rolled-back issue gives its numbers back: the numbers are unique and
    without gaps. Call it inside the issuing transaction, never commit in between.
    """
    if count <= 0:
        raise ValueError("count must be positive")
    return _take(issuer_unit_id, award_code, year, count)[1]


# --- issuing -------------------------------------------------------------------------------------------

def check_number(number: str | None) -> str:
    number = nfc(number) or ""
    if not number:
        raise DecisionError("Vui lòng nhập số quyết định, ví dụ 1234/QĐ-UBND.", "number")
    if not NUMBER_RE.match(number):
        raise DecisionError(NUMBER_HELP, "number")
    return number


def _award_type_on(award_type: AwardType, day: date) -> AwardType:
    """The version of the decision's title or form in force on the signing day (the draft's when none is)."""
    versions = db.session.scalars(sa.select(AwardType).where(AwardType.code == award_type.code)
                                  .order_by(AwardType.effective_from.desc()))
    return next((v for v in versions if v.is_in_force(day)), award_type)


def issue_decision(decision: Decision, *, number: str, signed_on: date, signer_name: str, signer_title: str,
                   actor, today: date | None = None) -> Decision:
    """Issue a draft as signed: fix its number and signer; snapshot the base salary in force on `signed_on`,
    the version of the title or form and its legal basis; compute each item's money and the total; give
    each item a gold-book number and a verification code; write one registry entry (AwardRecord) per
    item; move every dossier to "awarded". One transaction: the caller commits, or rolls back on error.

    :raise DecisionError: not a draft, a malformed or already used number, no item, a signing date in the
        future or before the year of the achievements, no base salary on that day, a dossier moved by
        someone else meanwhile, or the draft changed by someone else since it was loaded.
    """
    _ensure_draft(decision)
    number = check_number(number)
    if not nfc(signer_name):
        raise DecisionError("Vui lòng nhập họ tên người ký.", "signer_name")
    if not nfc(signer_title):
        raise DecisionError("Vui lòng chọn hoặc nhập chức vụ người ký.", "signer_title")
    if signed_on is None:
        raise DecisionError("Vui lòng nhập ngày ký.", "signed_on")
    today = today or local_today()
    if signed_on > today:
        raise DecisionError(f"Ngày ký không được sau hôm nay ({today:%d/%m/%Y}).", "signed_on")
    if signed_on.year < decision.year:
        raise DecisionError(f"Ngày ký không được trước năm khen thưởng {decision.year}.", "signed_on")
    if not decision.items:
        raise DecisionError("Quyết định chưa có người, tập thể nào được khen thưởng.")
    taken = db.session.scalar(sa.select(Decision.id).where(
        Decision.issuer_unit_id == decision.issuer_unit_id, Decision.number_year == signed_on.year,
        Decision.number == number, Decision.id != decision.id))
    if taken is not None:
        raise DecisionError(f"Số {number} đã được dùng cho một quyết định khác của "
                            f"{decision.issuer_unit.name} năm {signed_on.year}.", "number")
    try:
        base = base_salary_on(signed_on).amount
    except NoBaseSalary as exc:
        raise DecisionError(str(exc), "signed_on") from None

    award_type = _award_type_on(decision.award_type, signed_on)
    items = list(decision.items)
    for item in items:
        item.coefficient = award_type.coefficient
    decision.award_type = award_type
    decision.number, decision.number_year, decision.signed_on = number, signed_on.year, signed_on
    decision.signer_name, decision.signer_title = nfc(signer_name), nfc(signer_title)
    decision.base_salary = base
    decision.legal_basis_id = award_type.legal_basis_id
    for item in items:
        item.amount = _amount(decision, item, base)
        item.verify_code = new_verify_code()
    decision.total_amount = sum(i.amount for i in items)
    decision.status = DecisionStatus.ISSUED
    decision.issued_at = utcnow()
    decision.issued_by_id = getattr(actor, "id", None)
    label(decision, "decision.issue")
    _flush("Quyết định vừa được người khác thay đổi hoặc số quyết định vừa được dùng. Vui lòng tải lại trang.")

    book_id, numbers = _take(decision.issuer_unit_id, award_type.code, signed_on.year, len(items))
    for item, gold_number in zip(items, numbers, strict=True):
        item.gold_book_id, item.gold_book_number = book_id, gold_number
        item.award_record = AwardRecord(
            nominee_kind=item.nominee_kind, person_id=item.person_id, unit_id=item.unit_id,
            award_code=award_type.code, award_name=award_type.name, method=decision.method, year=decision.year,
            decision_number=number, decision_date=signed_on, issuer=decision.issuer_title,
            gold_book_number=str(gold_number), source=RecordSource.DECISION,
        )
        if item.nomination is not None:
            mark_initiatives_used(item.nomination.initiatives, item.award_record)
    _flush("Không thể ghi sổ vàng. Vui lòng thử lại.")
    for name, nomination in [(i.awardee_name, i.nomination) for i in items if i.nomination_id is not None]:
        try:
            transition(nomination, "award", actor=actor, note=f"Quyết định số {number}")
        except InvalidTransition as exc:  # after a failed flush nothing more can be loaded: `name` is at hand
            raise DecisionError(f"Hồ sơ của {name}: {exc}") from None
    events.decision_issued(decision, actor=actor)
    return decision


def _flush(message: str) -> None:
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        raise DecisionError(message) from None


# --- revocation -------------------------------------------------------------------------------------

def revoke_item(item: DecisionItem, *, number: str, dated_on: date, reason: str, actor,
                today: date | None = None) -> DecisionItem:
    """Revoke (thu hồi) one award by a later decision: record its number, date and the reason on the item
    and mark the registry entry revoked, so it no longer counts for eligibility, quotas or the fund. The
    row, its gold-book number and its money stay for history.

    :raise DecisionError: not an issued award, already revoked, or a missing or invalid field.
    """
    if not item.decision.is_issued:
        raise DecisionError("Chỉ thu hồi được khen thưởng của quyết định đã ban hành.")
    if item.is_revoked:
        raise DecisionError(f"Khen thưởng của {item.awardee_name} đã bị thu hồi.")
    number = check_number(number)
    if dated_on is None:
        raise DecisionError("Vui lòng nhập ngày của quyết định thu hồi.", "dated_on")
    today = today or local_today()
    if dated_on > today:
        raise DecisionError(f"Ngày thu hồi không được sau hôm nay ({today:%d/%m/%Y}).", "dated_on")
    if dated_on < item.decision.signed_on:
        raise DecisionError(f"Ngày thu hồi không được trước ngày ký quyết định khen thưởng "
                            f"({item.decision.signed_on:%d/%m/%Y}).", "dated_on")
    reason = nfc(reason)
    if not reason:
        raise DecisionError("Vui lòng ghi rõ lý do thu hồi.", "reason")
    label(item, "award.revoke")
    item.revoked_at = utcnow()
    item.revoked_by_id = getattr(actor, "id", None)
    item.revocation_number, item.revocation_date, item.revocation_reason = number, dated_on, reason
    if item.award_record is not None:
        item.award_record.revoked_on = dated_on
    db.session.flush()
    return item
