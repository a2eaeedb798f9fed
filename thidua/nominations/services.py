"""State changes of dossiers, their initiatives and attachments, and submission letters (tờ trình).

Services check *what* (state, invariants, the catalogue), never *who*: views authorize first. They
flush, never commit, and raise `NominationError` (or `workflow.InvalidTransition`) with a Vietnamese
message that the view shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from thidua.campaigns.models import Campaign, CampaignStatus
from thidua.extensions import db, utcnow
from thidua.org.models import Unit
from thidua.org.queries import descendant_ids
from thidua.registry import services as registry
from thidua.registry.models import Initiative, NomineeKind, Person, RecognitionLevel
from thidua.rules.eligibility import evaluate_nomination
from thidua.rules.models import AwardMethod, AwardType, DossierPart
from thidua.rules.quotas import quota_status
from thidua.storage import StoredUpload

from . import workflow
from .models import ACTIVE_STATUSES, Nomination, NominationAttachment, NominationStatus, SubmissionBatch
from .workflow import InvalidTransition

EDITABLE = frozenset({NominationStatus.DRAFT, NominationStatus.RETURNED})
# The simplified procedure (Luật TĐKT 2022 Art 85; domain §1g): for sudden and thematic awards a
# short report (báo cáo tóm tắt) stands in for the full achievement report.
SHORT_REPORT_METHODS = frozenset({AwardMethod.SUDDEN, AwardMethod.THEMATIC})


class NominationError(ValueError):
    """A refused change; the message (Vietnamese) is shown to the user, beside `field` when given."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleEdit(NominationError):
    """The dossier changed since the form was opened."""


class DuplicateNomination(NominationError):
    """The unit already has a live dossier for this nominee, award, year and campaign."""


class SubmitRefused(NominationError):
    """The dossier (or the batch) is not complete enough to be sent; `problems` lists what is missing."""

    def __init__(self, problems: list[str]):
        super().__init__("Chưa gửi được hồ sơ: " + "; ".join(problems))
        self.problems = problems


# What views catch around a service call.
REFUSED = (NominationError, InvalidTransition)

STALE_MESSAGE = "Hồ sơ vừa được người khác sửa. Vui lòng tải lại trang để xem bản mới rồi sửa lại."


# --- the dossier ---------------------------------------------------------------------------------

@dataclass
class Nominee:
    """Who is proposed: an existing person, a new person (fields for the registry), or a unit."""

    person: Person | None = None
    new_person: dict[str, Any] | None = None
    unit: Unit | None = None
    is_enterprise: bool = False
    is_household: bool = False

    @property
    def kind(self) -> NomineeKind:
        return NomineeKind.COLLECTIVE if self.unit is not None else NomineeKind.INDIVIDUAL


def award_in_force(award_type: AwardType, year: int) -> bool:
    """The catalogue version applies to (part of) `year`."""
    return award_type.effective_from <= date(year, 12, 31) and (
        award_type.effective_to is None or award_type.effective_to >= date(year, 1, 1))


def create_nomination(*, unit: Unit, nominee: Nominee, award_type: AwardType, method: AwardMethod, year: int,
                      achievement_summary: str, campaign: Campaign | None = None, actor) -> Nomination:
    """Create a draft dossier of `unit`; a new person is added to the registry first.

    :raise NominationError: the nominee, award, campaign or year do not fit; DuplicateNomination.
    """
    nomination = Nomination(status=NominationStatus.DRAFT, created_by_id=getattr(actor, "id", None))
    _apply(nomination, unit=unit, nominee=nominee, award_type=award_type, method=method, year=year,
           achievement_summary=achievement_summary, campaign=campaign)
    _save(nomination)
    return nomination


def update_nomination(nomination: Nomination, *, version: int | None, unit: Unit, nominee: Nominee,
                      award_type: AwardType, method: AwardMethod, year: int, achievement_summary: str,
                      campaign: Campaign | None = None, actor=None) -> Nomination:
    """Apply an edited dossier form.

    :raise StaleEdit: `version` is not the stored one (someone saved or moved the dossier meanwhile).
    :raise NominationError: not editable in its status, or the values do not fit.
    """
    _ensure_editable(nomination)
    if version is not None and version != nomination.version:
        raise StaleEdit(STALE_MESSAGE)
    _apply(nomination, unit=unit, nominee=nominee, award_type=award_type, method=method, year=year,
           achievement_summary=achievement_summary, campaign=campaign)
    _save(nomination)
    return nomination


def _ensure_editable(nomination: Nomination) -> None:
    if nomination.status not in EDITABLE:
        raise NominationError(
            f"Chỉ sửa được hồ sơ ở trạng thái “{NominationStatus.DRAFT.label}” hoặc "
            f"“{NominationStatus.RETURNED.label}”; hồ sơ này đang “{nomination.status.label}”."
        )


def _apply(nomination: Nomination, *, unit: Unit, nominee: Nominee, award_type: AwardType, method: AwardMethod,
           year: int, achievement_summary: str, campaign: Campaign | None) -> None:
    """Check the values, then set them. Nothing of the dossier changes until every check has passed (a new
    person is the only thing written before, and the caller's rollback removes it)."""
    if nominee.unit is not None and nominee.is_enterprise and nominee.is_household:
        raise NominationError("Một tập thể không thể vừa là doanh nghiệp vừa là hộ gia đình.", field="is_household")
    _check_award(award_type, year, nominee)
    if campaign is not None and campaign.status != CampaignStatus.OPEN and campaign.id != nomination.campaign_id:
        raise NominationError(f"Phong trào “{campaign.name}” không còn nhận hồ sơ ({campaign.status.label}).",
                              field="campaign_id")
    scope = descendant_ids([unit.id])
    person = None
    if nominee.unit is not None:
        if nominee.unit.id not in scope:
            raise NominationError(f"“{nominee.unit.name}” không thuộc đơn vị đề nghị “{unit.name}”.",
                                  field="nominee_unit_id")
    else:
        person = nominee.person or _new_person(nominee.new_person or {}, scope=scope)
        if person.unit_id not in scope:
            raise NominationError(f"“{person.full_name}” không thuộc đơn vị đề nghị “{unit.name}”.",
                                  field="person_id")
    with db.session.no_autoflush:
        old_person = nomination.person
        nomination.unit = unit
        nomination.nominee_kind = nominee.kind
        nomination.person = person
        nomination.nominee_unit = nominee.unit
        nomination.is_enterprise = nominee.is_enterprise if nominee.unit is not None else False
        nomination.is_household = nominee.is_household if nominee.unit is not None else False
        nomination.award_type = award_type
        nomination.method = AwardMethod(method)
        nomination.year = year
        nomination.campaign = campaign
        nomination.achievement_summary = achievement_summary
        if nomination.id is not None and person is not old_person:
            # Initiatives are the nominee's own; another nominee's cannot back this dossier.
            nomination.initiatives = [i for i in nomination.initiatives if person is not None and i.person_id == person.id]


def _check_award(award_type: AwardType, year: int, nominee: Nominee) -> None:
    if not award_in_force(award_type, year):
        raise NominationError(f"“{award_type.name}” (phiên bản từ {award_type.effective_from:%d/%m/%Y}) không áp "
                              f"dụng cho năm {year}.", field="award_type_id")
    if nominee.unit is None and not award_type.for_individual:
        raise NominationError(f"“{award_type.name}” không xét tặng cho cá nhân.", field="award_type_id")
    if nominee.unit is not None and nominee.is_household and not award_type.for_household:
        raise NominationError(f"“{award_type.name}” không xét tặng cho hộ gia đình.", field="award_type_id")
    if nominee.unit is not None and not nominee.is_household and not award_type.for_collective:
        subject = "hộ gia đình" if award_type.for_household else "cá nhân"
        raise NominationError(f"“{award_type.name}” không xét tặng cho tập thể (chỉ dành cho {subject}).",
                              field="award_type_id")


# Registry form fields → the dossier form's "new person" fields.
_NEW_PERSON_FIELDS = {"full_name": "new_full_name", "gender": "new_gender", "birth_date": "new_birth_date",
                      "position": "new_position", "unit_id": "new_unit_id", "subject_category": "new_subject_category"}


def _new_person(fields: dict[str, Any], *, scope: set[int]) -> Person:
    """Add a person to the registry through its service, unless the same person is already there."""
    if fields.get("unit_id") not in scope:
        raise NominationError("Đơn vị công tác của người mới phải thuộc đơn vị đề nghị.", field="new_unit_id")
    try:
        return registry.create_person(**fields)
    except registry.DuplicatePerson as exc:
        person = exc.matches[0]
        born = f", sinh ngày {person.birth_date:%d/%m/%Y}" if person.birth_date else ""
        raise NominationError(f"Sổ đã có “{person.full_name}”{born} cùng đơn vị. Hãy chọn người này trong danh sách "
                              "thay vì tạo mới.", field="person_id") from None
    except registry.RegistryError as exc:
        raise NominationError(str(exc), field=_NEW_PERSON_FIELDS.get(exc.field or "")) from None


def find_duplicate(nomination: Nomination) -> Nomination | None:
    """Another live dossier of the same unit for the same nominee, award, year and campaign."""
    key = _duplicate_key(nomination)
    return _live_duplicate(**key) if key else None


def _duplicate_key(nomination: Nomination) -> dict | None:
    nominee = nomination.person or nomination.nominee_unit
    if nominee is None or nominee.id is None:  # a person just created cannot have a dossier yet
        return None
    return {"unit_id": nomination.unit.id, "code": nomination.award_type.code, "year": nomination.year,
            "campaign_id": nomination.campaign.id if nomination.campaign else None,
            "person_id": nomination.person.id if nomination.person else None,
            "nominee_unit_id": nomination.nominee_unit.id if nomination.nominee_unit else None,
            "exclude_id": nomination.id}


def _live_duplicate(*, unit_id, code, year, campaign_id, person_id, nominee_unit_id, exclude_id) -> Nomination | None:
    stmt = sa.select(Nomination).where(
        Nomination.unit_id == unit_id,
        Nomination.award_type_id.in_(sa.select(AwardType.id).where(AwardType.code == code)),
        Nomination.year == year,
        Nomination.status.in_(sorted(ACTIVE_STATUSES)),
        Nomination.campaign_id == campaign_id if campaign_id else Nomination.campaign_id.is_(None),
        Nomination.person_id == person_id if person_id else Nomination.nominee_unit_id == nominee_unit_id,
    )
    if exclude_id is not None:
        stmt = stmt.where(Nomination.id != exclude_id)
    with db.session.no_autoflush:
        return db.session.scalars(stmt.limit(1)).first()


def _duplicate_error(other: Nomination) -> DuplicateNomination:
    return DuplicateNomination(
        f"Đơn vị đã có hồ sơ đề nghị “{other.award_type.name}” năm {other.year} cho “{other.nominee_name}” "
        f"(hồ sơ số {other.id}, {other.status.label}). Không tạo hồ sơ trùng; hãy sửa hồ sơ đã có.",
        field="award_type_id",
    )


def _save(nomination: Nomination) -> None:
    """Add and flush the dossier, refusing a duplicate live dossier: checked first, and caught from the
    unique index when two requests race past the check."""
    other = find_duplicate(nomination)
    if other is not None:
        raise _duplicate_error(other)
    key = _duplicate_key(nomination)
    try:
        # A savepoint, so that the caller's transaction survives the refusal.
        with db.session.begin_nested():
            db.session.add(nomination)
            db.session.flush()
    except sa.exc.IntegrityError:
        other = _live_duplicate(**key) if key else None
        if other is None:
            raise
        raise _duplicate_error(other) from None
    except StaleDataError:
        raise StaleEdit(STALE_MESSAGE) from None


# --- initiatives ---------------------------------------------------------------------------------

def add_initiative(nomination: Nomination, *, title: str, level: RecognitionLevel, decision_ref: str | None,
                   recognised_on: date | None, is_research: bool = False) -> Initiative:
    """Record a new initiative (or research topic) of the nominee in the registry and attach it."""
    _ensure_editable(nomination)
    if nomination.person is None:
        raise NominationError("Chỉ hồ sơ cá nhân mới kèm sáng kiến.")
    try:
        initiative = registry.add_initiative(nomination.person, title=title, level=RecognitionLevel(level),
                                             decision_ref=decision_ref, recognised_on=recognised_on,
                                             is_research=is_research)
    except registry.RegistryError as exc:
        raise NominationError(str(exc), field=exc.field) from None
    nomination.initiatives.append(initiative)
    _touch(nomination)
    return initiative


def link_initiative(nomination: Nomination, initiative: Initiative) -> Initiative:
    """Attach an initiative already in the nominee's registry record."""
    _ensure_editable(nomination)
    if nomination.person is None or initiative.person_id != nomination.person.id:
        raise NominationError("Sáng kiến này không phải của người được đề nghị.", field="initiative_id")
    if initiative.used_by_award_id is not None:
        raise NominationError("Sáng kiến này đã được dùng làm căn cứ cho một khen thưởng khác, không tính lại.",
                              field="initiative_id")
    if initiative not in nomination.initiatives:
        nomination.initiatives.append(initiative)
    _touch(nomination)
    return initiative


def remove_initiative(nomination: Nomination, initiative: Initiative) -> None:
    """Detach an initiative from the dossier; it stays in the person's registry record."""
    _ensure_editable(nomination)
    if initiative in nomination.initiatives:
        nomination.initiatives.remove(initiative)
    _touch(nomination)


def _touch(nomination: Nomination) -> None:
    """A change to what the dossier contains also moves its version: an open edit form goes stale, and a
    concurrent status change (the secretariat accepting meanwhile) makes one of the two fail."""
    nomination.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleEdit(STALE_MESSAGE) from None


# --- attachments ---------------------------------------------------------------------------------

def add_attachment(nomination: Nomination, *, part: DossierPart, upload: StoredUpload, actor) -> NominationAttachment:
    """Attach a checked, stored upload as one part of the dossier."""
    _ensure_editable(nomination)
    attachment = NominationAttachment(
        nomination=nomination, part=DossierPart(part), original_name=upload.original_name,
        stored_name=upload.stored_name, content_type=upload.content_type, size=upload.size, sha256=upload.sha256,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    _touch(nomination)
    return attachment


def remove_attachment(attachment: NominationAttachment) -> str:
    """Delete the attachment's record; return its stored file name, to remove once the deletion commits."""
    nomination = attachment.nomination
    _ensure_editable(nomination)
    stored = attachment.stored_name
    nomination.attachments.remove(attachment)
    _touch(nomination)
    return stored


# --- what the dossier needs before it is sent -------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    """A required dossier part; `accepted` lists the parts that satisfy it."""

    part: DossierPart
    accepted: tuple[DossierPart, ...]

    @property
    def label(self) -> str:
        if len(self.accepted) == 1:
            return self.part.label
        others = ", ".join(p.label for p in self.accepted if p != self.part)
        return f"{self.part.label} (hoặc {others.lower()} theo thủ tục đơn giản)"


def requirements(nomination: Nomination) -> list[Requirement]:
    """The parts the award type requires; for sudden and thematic awards the short report may stand in
    for the full achievement report (simplified procedure)."""
    result = []
    for value in nomination.award_type.required_parts or []:
        part = DossierPart(value)
        if part == DossierPart.ACHIEVEMENT_REPORT and nomination.method in SHORT_REPORT_METHODS:
            result.append(Requirement(part, (part, DossierPart.SHORT_REPORT)))
        else:
            result.append(Requirement(part, (part,)))
    return result


def missing_parts(nomination: Nomination) -> list[Requirement]:
    present = {a.part for a in nomination.attachments}
    return [r for r in requirements(nomination) if not present.intersection(r.accepted)]


def eligibility(nomination: Nomination) -> list:
    """The checklist of legal criteria for the dossier (pass / fail / cannot tell, with reasons)."""
    return evaluate_nomination(nomination)


def quota_flags(nomination: Nomination) -> list:
    """The quota caps the unit's live dossiers for this award and year go over. Drafts already count as
    live, so sending one adds nothing."""
    return [q for q in quota_status(nomination.unit_id, nomination.year, nomination.award_type.code) if q.over]


def _deadline_problem(nomination: Nomination) -> str | None:
    # A first submission after the campaign's deadline is late; a returned dossier may come back.
    campaign = nomination.campaign
    if nomination.status == NominationStatus.DRAFT and campaign is not None and campaign.is_past_deadline():
        return f"đã quá hạn gửi hồ sơ của phong trào “{campaign.name}” ({campaign.nomination_deadline:%d/%m/%Y})"
    return None


def _own_problems(nomination: Nomination) -> list[str]:
    problems = [f"thiếu “{r.label}”" for r in missing_parts(nomination)]
    late = _deadline_problem(nomination)
    if late:
        problems.append(late)
    if not award_in_force(nomination.award_type, nomination.year):
        problems.append(f"“{nomination.award_type.name}” không áp dụng cho năm {nomination.year}")
    return problems


def _quota_problems(nomination: Nomination) -> list[str]:
    return [q.message for q in quota_flags(nomination) if q.blocks]


def submission_problems(nomination: Nomination) -> list[str]:
    """What stops the dossier from being sent: missing required parts, a passed deadline, an award not in
    force for the year, a quota rule that blocks."""
    return _own_problems(nomination) + _quota_problems(nomination)


def submit(nomination: Nomination, *, actor, note: str | None = None):
    """Send the dossier to the secretariat.

    :raise InvalidTransition: not draft or returned. :raise SubmitRefused: listing what is missing.
    """
    workflow.check(nomination, "submit")
    problems = submission_problems(nomination)
    if problems:
        raise SubmitRefused(problems)
    return workflow.transition(nomination, "submit", actor=actor, note=note)


def act(nomination: Nomination, action: str, *, actor, note: str | None = None):
    """Apply a workflow action from the dossier page, with the checks that action needs."""
    if action == "submit":
        return submit(nomination, actor=actor, note=note)
    return workflow.transition(nomination, action, actor=actor, note=note)


# --- submission letters (tờ trình) ------------------------------------------------------------------

def create_batch(*, unit: Unit, number: str, dated_on: date, title: str, actor) -> SubmissionBatch:
    """A new submission letter of `unit`; its number is unique within the unit."""
    if _batch_number_taken(unit.id, number):
        raise NominationError(f"Đơn vị đã có tờ trình số “{number}”.", field="number")
    batch = SubmissionBatch(unit=unit, number=number, dated_on=dated_on, title=title,
                            created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except sa.exc.IntegrityError:
        if _batch_number_taken(unit.id, number):
            raise NominationError(f"Đơn vị đã có tờ trình số “{number}”.", field="number") from None
        raise
    return batch


def _batch_number_taken(unit_id: int, number: str) -> bool:
    with db.session.no_autoflush:
        return db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionBatch)
                                 .where(SubmissionBatch.unit_id == unit_id, SubmissionBatch.number == number)) > 0


def add_to_batch(batch: SubmissionBatch, nomination: Nomination) -> None:
    """Put a draft or returned dossier of the batch's unit into the letter."""
    if nomination.unit_id != batch.unit_id:
        raise NominationError(f"Hồ sơ số {nomination.id} không phải của đơn vị “{batch.unit.name}”.")
    if nomination.status not in EDITABLE:
        raise NominationError(f"Hồ sơ số {nomination.id} đang “{nomination.status.label}”, không thêm vào tờ trình.")
    nomination.batch = batch
    db.session.flush()


def remove_from_batch(batch: SubmissionBatch, nomination: Nomination) -> None:
    if nomination.batch_id != batch.id:
        raise NominationError(f"Hồ sơ số {nomination.id} không thuộc tờ trình này.")
    if nomination.status not in EDITABLE:
        raise NominationError(f"Hồ sơ số {nomination.id} đã gửi, không gỡ khỏi tờ trình.")
    nomination.batch = None
    db.session.flush()


def pending_in_batch(batch: SubmissionBatch) -> list[Nomination]:
    """The letter's dossiers still to be sent (draft or returned), in the order they were filed."""
    return sorted((n for n in batch.nominations if n.status in EDITABLE), key=lambda n: n.id)


def submit_batch(batch: SubmissionBatch, *, actor) -> list[Nomination]:
    """Send every draft or returned dossier of the letter, in one go: if any of them cannot be sent,
    none is, and the refusal lists each problem by dossier.

    :raise SubmitRefused: with one line per problem. :raise NominationError: nothing to send.
    """
    pending = pending_in_batch(batch)
    if not pending:
        raise NominationError("Tờ trình không có hồ sơ nào chờ gửi.")
    problems = [f"Hồ sơ số {n.id} ({n.nominee_name} – {n.award_type.name}): {problem}"
                for n in pending for problem in _own_problems(n)]
    # Quotas count every live dossier of the unit (these drafts included): one check per award and year.
    firsts = {(n.unit_id, n.year, n.award_type.code): n for n in reversed(pending)}
    for n in firsts.values():
        problems += _quota_problems(n)
    if problems:
        raise SubmitRefused(problems)
    note = f"Gửi kèm {batch}"
    for n in pending:
        workflow.transition(n, "submit", actor=actor, note=note)
    return pending
