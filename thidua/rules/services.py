"""Changes to the catalogue: award type versions, legal bases and quota rules. Services flush, never
commit, and raise `CatalogueError` (Vietnamese message, plus the form field it concerns).

Versions of one code never overlap: a new version starts after every existing one and ends the
version before it on the day before it starts.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from thidua.audit.services import label
from thidua.extensions import db

from .eligibility import check_problem
from .models import AwardType, BaseSalary, DossierPart, LegalBasis, QuotaRule, VoteBasis

AWARD_FIELDS = (
    "name", "coefficient", "collective_multiplier", "vote_required", "vote_threshold", "vote_basis",
    "required_parts", "checks", "min_years_between", "legal_basis_id", "legal_ref", "note", "effective_to",
)
LEGAL_BASIS_FIELDS = ("code", "title", "issued_on", "effective_from", "effective_to", "note")
QUOTA_FIELDS = ("award_code", "basis_code", "max_ratio", "hard_block", "legal_basis_id", "legal_ref",
                "effective_from", "effective_to", "note")
MAX_YEARS_BETWEEN = 50


class CatalogueError(ValueError):
    """A refused change; the message (Vietnamese) is shown beside the form field named `field`
    (or above the form when `field` is None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _pick(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k in allowed}


def catalogue_codes() -> list[str]:
    return list(db.session.scalars(sa.select(AwardType.code).distinct().order_by(AwardType.code)))


def versions_of(code: str) -> list[AwardType]:
    return list(db.session.scalars(sa.select(AwardType).where(AwardType.code == code)
                                   .order_by(AwardType.effective_from)))


# --- award types -----------------------------------------------------------------------------------

def _ordered_like(new: list[str], old: list[str]) -> list[str]:
    """`new` without duplicates, keeping the stored order for codes already there (so saving an
    unchanged form changes nothing) and appending the others in the order given."""
    unique = list(dict.fromkeys(new))
    position = {code: i for i, code in enumerate(old)}
    return sorted(unique, key=lambda c: (position.get(c, len(old)), unique.index(c)))


def _check_award_values(award_type: AwardType, values: dict[str, Any]) -> dict[str, Any]:
    """Validate edited values against the award type; return them normalised."""
    if "name" in values and not (values["name"] or "").strip():
        raise CatalogueError("Vui lòng nhập tên danh hiệu, hình thức.", "name")
    coefficient = values.get("coefficient", award_type.coefficient)
    if coefficient is not None and Decimal(coefficient) < 0:
        raise CatalogueError("Hệ số tiền thưởng không được âm.", "coefficient")
    multiplier = values.get("collective_multiplier", award_type.collective_multiplier)
    if multiplier is None or Decimal(multiplier) <= 0:
        raise CatalogueError("Hệ số cho tập thể phải lớn hơn 0.", "collective_multiplier")
    vote_required = values.get("vote_required", award_type.vote_required)
    threshold = values.get("vote_threshold", award_type.vote_threshold)
    if vote_required:
        if threshold is None:
            raise CatalogueError("Vui lòng nhập ngưỡng biểu quyết khi cần Hội đồng biểu quyết.", "vote_threshold")
        if not Decimal(0) < Decimal(threshold) <= Decimal(1):
            raise CatalogueError("Ngưỡng biểu quyết phải lớn hơn 0% và không quá 100%.", "vote_threshold")
    else:
        values["vote_threshold"] = None
    if "vote_basis" in values:
        values["vote_basis"] = VoteBasis(values["vote_basis"])
    parts = values.get("required_parts")
    if parts is not None:
        known = {p.value for p in DossierPart}
        unknown = [p for p in parts if p not in known]
        if unknown:
            raise CatalogueError(f"Thành phần hồ sơ “{unknown[0]}” không hợp lệ.", "required_parts")
        values["required_parts"] = _ordered_like(parts, award_type.required_parts or [])
    checks = values.get("checks")
    if checks is not None:
        codes = catalogue_codes()
        for code in checks:
            problem = check_problem(code, subjects=award_type.subjects, award_codes=codes)
            if problem:
                raise CatalogueError(problem, "checks")
        values["checks"] = _ordered_like(checks, award_type.checks or [])
    gap = values.get("min_years_between")
    if gap is not None and not 1 <= gap <= MAX_YEARS_BETWEEN:
        raise CatalogueError(f"Số năm tối thiểu giữa hai lần khen từ 1 đến {MAX_YEARS_BETWEEN}.", "min_years_between")
    basis_id = values.get("legal_basis_id")
    if basis_id is not None and db.session.get(LegalBasis, basis_id) is None:
        raise CatalogueError("Văn bản căn cứ không tồn tại.", "legal_basis_id")
    return values


def _check_end(award_type: AwardType, effective_to: date | None) -> None:
    """A version's end date keeps it before the next version of the same code."""
    if effective_to is not None and effective_to < award_type.effective_from:
        raise CatalogueError(f"Ngày hết hiệu lực không được trước ngày bắt đầu ({_d(award_type.effective_from)}).",
                             "effective_to")
    later = [v for v in versions_of(award_type.code)
             if v.id != award_type.id and v.effective_from > award_type.effective_from]
    if later:
        following = later[0].effective_from
        if effective_to is None or effective_to >= following:
            raise CatalogueError(f"Phiên bản sau bắt đầu hiệu lực từ {_d(following)}; phiên bản này phải hết hiệu "
                                 f"lực trước ngày đó.", "effective_to")


def update_award_type(award_type: AwardType, **fields: Any) -> AwardType:
    """Edit one version in place (a correction). Use `new_version` when the law changes."""
    values = _check_award_values(award_type, _pick(fields, AWARD_FIELDS))
    if "effective_to" in values:
        _check_end(award_type, values["effective_to"])
    for key, value in values.items():
        setattr(award_type, key, value)
    label(award_type, "award_type.update")
    db.session.flush()
    return award_type


_COPIED = ("code", "name", "category", "level", "for_individual", "for_collective", "for_household", "coefficient",
           "collective_multiplier", "vote_required", "vote_threshold", "vote_basis", "required_parts", "checks",
           "min_years_between", "legal_basis_id", "legal_ref", "position", "note")


def new_version(source: AwardType, *, effective_from: date | None, **fields: Any) -> AwardType:
    """Add a version of `source`'s code in force from `effective_from`, copying `source` and applying
    `fields`. The version in force before ends the day before; a start on or before an existing
    version's start is refused (periods never overlap)."""
    if effective_from is None:
        raise CatalogueError("Vui lòng nhập ngày bắt đầu hiệu lực của phiên bản mới.", "effective_from")
    versions = versions_of(source.code)
    latest = versions[-1]
    if effective_from <= latest.effective_from:
        raise CatalogueError(f"Đã có phiên bản hiệu lực từ {_d(latest.effective_from)}; phiên bản mới phải bắt đầu "
                             f"sau ngày đó.", "effective_from")
    version = AwardType(**{name: getattr(source, name) for name in _COPIED}, effective_from=effective_from)
    version.required_parts = list(source.required_parts or [])
    version.checks = list(source.checks or [])
    fields = _pick(fields, AWARD_FIELDS)
    fields.pop("effective_to", None)
    values = _check_award_values(version, fields)
    for key, value in values.items():
        setattr(version, key, value)
    if latest.effective_to is None or latest.effective_to >= effective_from:
        latest.effective_to = effective_from - timedelta(days=1)
        label(latest, "award_type.end")
    db.session.add(version)
    label(version, "award_type.new_version")
    db.session.flush()
    return version


# --- legal bases -----------------------------------------------------------------------------------

def _check_legal_basis(basis: LegalBasis | None, values: dict[str, Any]) -> None:
    code = (values.get("code") or "").strip()
    if not code:
        raise CatalogueError("Vui lòng nhập số, ký hiệu văn bản.", "code")
    if not (values.get("title") or "").strip():
        raise CatalogueError("Vui lòng nhập trích yếu văn bản.", "title")
    start, end = values.get("effective_from"), values.get("effective_to")
    if start and end and end < start:
        raise CatalogueError("Ngày hết hiệu lực không được trước ngày có hiệu lực.", "effective_to")
    stmt = sa.select(LegalBasis.id).where(LegalBasis.code == code)
    if basis is not None:
        stmt = stmt.where(LegalBasis.id != basis.id)
    if db.session.scalar(stmt) is not None:
        raise CatalogueError(f"Văn bản số “{code}” đã có trong danh mục.", "code")
    values["code"] = code


def create_legal_basis(**fields: Any) -> LegalBasis:
    values = _pick(fields, LEGAL_BASIS_FIELDS)
    _check_legal_basis(None, values)
    basis = LegalBasis(**values)
    db.session.add(basis)
    label(basis, "legal_basis.create")
    db.session.flush()
    return basis


def update_legal_basis(basis: LegalBasis, **fields: Any) -> LegalBasis:
    values = _pick(fields, LEGAL_BASIS_FIELDS)
    _check_legal_basis(basis, values)
    for key, value in values.items():
        setattr(basis, key, value)
    label(basis, "legal_basis.update")
    db.session.flush()
    return basis


# --- quota rules -----------------------------------------------------------------------------------

def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def _check_quota(rule: QuotaRule | None, values: dict[str, Any]) -> None:
    codes = set(catalogue_codes())
    award, basis = values.get("award_code"), values.get("basis_code")
    if award not in codes:
        raise CatalogueError("Vui lòng chọn danh hiệu, hình thức bị giới hạn.", "award_code")
    if basis not in codes:
        raise CatalogueError("Vui lòng chọn danh hiệu làm cơ sở tính tỷ lệ.", "basis_code")
    if award == basis:
        raise CatalogueError("Danh hiệu làm cơ sở phải khác danh hiệu bị giới hạn.", "basis_code")
    ratio = values.get("max_ratio")
    if ratio is None or not Decimal(0) < Decimal(ratio) <= Decimal(1):
        raise CatalogueError("Tỷ lệ tối đa phải lớn hơn 0% và không quá 100%.", "max_ratio")
    start, end = values.get("effective_from"), values.get("effective_to")
    if start is None:
        raise CatalogueError("Vui lòng nhập ngày bắt đầu áp dụng.", "effective_from")
    if end is not None and end < start:
        raise CatalogueError("Ngày hết hiệu lực không được trước ngày bắt đầu áp dụng.", "effective_to")
    if values.get("legal_basis_id") is not None and db.session.get(LegalBasis, values["legal_basis_id"]) is None:
        raise CatalogueError("Văn bản căn cứ không tồn tại.", "legal_basis_id")
    stmt = sa.select(QuotaRule).where(QuotaRule.award_code == award, QuotaRule.basis_code == basis)
    if rule is not None and rule.id is not None:
        stmt = stmt.where(QuotaRule.id != rule.id)
    for other in db.session.scalars(stmt):
        if _overlaps(start, end, other.effective_from, other.effective_to):
            until = f" đến {_d(other.effective_to)}" if other.effective_to else ""
            raise CatalogueError(f"Đã có tỷ lệ cho cặp danh hiệu này áp dụng từ {_d(other.effective_from)}{until}; "
                                 f"hai thời kỳ không được trùng nhau.", "effective_from")


def create_quota_rule(**fields: Any) -> QuotaRule:
    values = _pick(fields, QUOTA_FIELDS)
    _check_quota(None, values)
    rule = QuotaRule(**values)
    db.session.add(rule)
    label(rule, "quota_rule.create")
    db.session.flush()
    return rule


def update_quota_rule(rule: QuotaRule, **fields: Any) -> QuotaRule:
    values = {**{k: getattr(rule, k) for k in QUOTA_FIELDS}, **_pick(fields, QUOTA_FIELDS)}
    _check_quota(rule, values)
    for key, value in values.items():
        setattr(rule, key, value)
    label(rule, "quota_rule.update")
    db.session.flush()
    return rule


def add_base_salary(*, amount: int, effective_from: date, legal_ref: str | None = None) -> BaseSalary:
    """Add the base salary in force from `effective_from` (flush only). Past decisions keep the amount
    they snapshotted when issued.

    :raise CatalogueError: the amount is not positive, or a base salary already starts that day.
    """
    if amount is None or amount <= 0:
        raise CatalogueError("Mức lương cơ sở phải lớn hơn 0.", "amount")
    if db.session.scalar(sa.select(BaseSalary.id).where(BaseSalary.effective_from == effective_from)):
        raise CatalogueError(f"Đã có mức lương cơ sở áp dụng từ ngày {effective_from:%d/%m/%Y}.", "effective_from")
    salary = BaseSalary(amount=amount, effective_from=effective_from, legal_ref=legal_ref or None)
    db.session.add(salary)
    db.session.flush()
    return salary
