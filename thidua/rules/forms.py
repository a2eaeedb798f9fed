from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError
from wtforms.widgets import TextInput

from thidua.fields import (
    Form,
    MultiCheckboxField,
    VNDateField,
    date_not_before,
    max_length,
    optional,
    options,
    required,
)

from .eligibility import CHECKS, PRIOR, PRIOR_SAME_YEAR
from .models import AwardType, DossierPart, LegalBasis, QuotaRule, VoteBasis

NO_BASIS = 0
NO_CODE = ""
HUNDRED = Decimal(100)


class VNDecimalField(DecimalField):
    """A number typed the Vietnamese way ("0,15") or with a point; shown with a comma, no trailing zeros.
    A text input, since a browser's number input refuses the decimal comma."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace(" ", "").replace(",", ".")
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError("Phải là số, ví dụ 0,15 hoặc 1,5.") from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError("Phải là số, ví dụ 0,15 hoặc 1,5.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(Decimal(self.data).normalize(), "f")
        return text.replace(".", ",")


def _percent(ratio: Decimal | None) -> Decimal | None:
    return None if ratio is None else Decimal(ratio) * HUNDRED


def _ratio(percent: Decimal | None) -> Decimal | None:
    return None if percent is None else (percent / HUNDRED).quantize(Decimal("0.001"))


def _basis_choices(bases: list[LegalBasis]):
    return options([(NO_BASIS, "— Không chọn —"), *((b.id, f"{b.code} – {b.title}") for b in bases)])


class AwardTypeForm(Form):
    """Edit one version of a title or form. Check codes are shown by their labels; the prerequisite
    checks ("prior:<CODE>") are picked as award codes in two lists of their own."""

    name = StringField("Tên danh hiệu, hình thức", validators=[required("Vui lòng nhập tên."), max_length(255)])
    coefficient = VNDecimalField("Hệ số tiền thưởng (cá nhân)", validators=[optional(), NumberRange(
        min=0, max=9999, message="Hệ số từ 0 đến 9999.")],
        description="Tiền thưởng = hệ số × mức lương cơ sở, làm tròn lên hàng chục nghìn đồng.")
    collective_multiplier = VNDecimalField("Hệ số cho tập thể (số lần mức của cá nhân)", validators=[
        required("Vui lòng nhập hệ số cho tập thể."),
        NumberRange(min=0.01, max=99, message="Hệ số từ 0,01 đến 99.")], description="Ví dụ: Bằng khen, Giấy khen tập thể bằng 2 lần cá nhân.")
    vote_required = BooleanField("Hội đồng Thi đua - Khen thưởng phải bỏ phiếu")
    vote_threshold = VNDecimalField("Ngưỡng biểu quyết (%)", validators=[optional(), NumberRange(
        min=0.1, max=100, message="Ngưỡng từ 0,1%% đến 100%%.")], description="Ví dụ 90 cho 90%; 66,7 cho 2/3.")
    vote_basis = SelectField("Tính tỷ lệ phiếu", choices=options(VoteBasis), validators=[required()])
    required_parts = MultiCheckboxField("Thành phần hồ sơ bắt buộc", choices=options(DossierPart))
    checks = MultiCheckboxField("Điều kiện kiểm tra tự động")
    prior_codes = MultiCheckboxField("Phải đã được tặng trước năm đề nghị")
    prior_same_year_codes = MultiCheckboxField("Phải đạt trong cùng năm đề nghị")
    min_years_between = IntegerField("Số năm tối thiểu kể từ lần được tặng gần nhất", validators=[
        optional(), NumberRange(min=1, max=50, message="Từ 1 đến 50 năm.")],
        description="Bỏ trống nếu không có quy định.")
    legal_basis_id = SelectField("Văn bản căn cứ", coerce=int, validators=[optional()])
    legal_ref = StringField("Điều, khoản", validators=[optional(), max_length(255)],
                            description="Ví dụ: Điều 24 Luật TĐKT 2022; TT 01/2024/TT-BNV")
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 3})
    effective_to = VNDateField("Hiệu lực đến ngày", validators=[optional()],
                               description="Bỏ trống nếu đang áp dụng. Thêm phiên bản mới khi quy định thay đổi.")

    def __init__(self, *args, bases: list[LegalBasis], award_codes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_basis_id.choices = _basis_choices(bases)
        self.checks.choices = options([(c.code, c.label) for c in CHECKS.values() if not c.parametric])
        self.prior_codes.choices = options(award_codes)
        self.prior_same_year_codes.choices = options(award_codes)

    def fill(self, award_type: AwardType) -> None:
        """Show the stored version (GET)."""
        for name in ("name", "coefficient", "collective_multiplier", "vote_required", "min_years_between",
                     "legal_ref", "note", "effective_to"):
            if name in self:
                self[name].data = getattr(award_type, name)
        self.vote_threshold.data = _percent(award_type.vote_threshold)
        self.vote_basis.data = award_type.vote_basis.value
        self.required_parts.data = list(award_type.required_parts or [])
        self.legal_basis_id.data = award_type.legal_basis_id or NO_BASIS
        stored = list(award_type.checks or [])
        self.checks.data = [c for c in stored if ":" not in c]
        self.prior_codes.data = [c.partition(":")[2] for c in stored if c.startswith(PRIOR + ":")]
        self.prior_same_year_codes.data = [c.partition(":")[2] for c in stored if c.startswith(PRIOR_SAME_YEAR + ":")]

    def validate_vote_threshold(self, field):
        if self.vote_required.data and field.data is None:
            raise ValidationError("Vui lòng nhập ngưỡng biểu quyết khi cần Hội đồng bỏ phiếu.")

    def values(self) -> dict:
        checks = [*self.checks.data, *(f"{PRIOR}:{c}" for c in self.prior_codes.data),
                  *(f"{PRIOR_SAME_YEAR}:{c}" for c in self.prior_same_year_codes.data)]
        values = {
            "name": self.name.data,
            "coefficient": self.coefficient.data,
            "collective_multiplier": self.collective_multiplier.data,
            "vote_required": bool(self.vote_required.data),
            "vote_threshold": _ratio(self.vote_threshold.data) if self.vote_required.data else None,
            "vote_basis": self.vote_basis.data,
            "required_parts": list(self.required_parts.data or []),
            "checks": checks,
            "min_years_between": self.min_years_between.data,
            "legal_basis_id": self.legal_basis_id.data or None,
            "legal_ref": self.legal_ref.data or None,
            "note": self.note.data or None,
        }
        if "effective_to" in self:
            values["effective_to"] = self.effective_to.data
        return values


class NewVersionForm(AwardTypeForm):
    effective_to = None  # a new version runs until a later one replaces it
    effective_from = VNDateField("Hiệu lực từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu hiệu lực.")],
                                 description="Phiên bản đang áp dụng sẽ hết hiệu lực vào ngày liền trước.")

    def values(self) -> dict:
        return {**super().values(), "effective_from": self.effective_from.data}


class LegalBasisForm(Form):
    code = StringField("Số, ký hiệu", validators=[required("Vui lòng nhập số, ký hiệu văn bản."), max_length(64)],
                       description="Ví dụ: 152/2025/NĐ-CP")
    title = StringField("Trích yếu", validators=[required("Vui lòng nhập trích yếu văn bản."), max_length(300)])
    issued_on = VNDateField("Ngày ban hành", validators=[optional()])
    effective_from = VNDateField("Có hiệu lực từ ngày", validators=[optional()])
    effective_to = VNDateField("Hết hiệu lực từ ngày", validators=[
        optional(), date_not_before("effective_from", "Ngày hết hiệu lực không được trước ngày có hiệu lực.")])
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 3},
                         description="Ví dụ: văn bản thay thế, điểm cần xác nhận.")

    def values(self) -> dict:
        return {
            "code": self.code.data,
            "title": self.title.data,
            "issued_on": self.issued_on.data,
            "effective_from": self.effective_from.data,
            "effective_to": self.effective_to.data,
            "note": self.note.data or None,
        }


class QuotaRuleForm(Form):
    award_code = SelectField("Danh hiệu, hình thức bị giới hạn", validators=[required("Vui lòng chọn danh hiệu.")])
    basis_code = SelectField("Tính trên số", validators=[required("Vui lòng chọn danh hiệu làm cơ sở.")],
                             description="Ví dụ: CSTĐCS không quá 15% số LĐTT của đơn vị trong năm.")
    max_ratio = VNDecimalField("Tỷ lệ tối đa (%)", validators=[
        required("Vui lòng nhập tỷ lệ tối đa."), NumberRange(min=0.1, max=100, message="Tỷ lệ từ 0,1%% đến 100%%.")],
        description="Số được đề nghị tối đa = tỷ lệ × số làm cơ sở, làm tròn xuống.")
    hard_block = BooleanField("Bắt buộc: không cho gửi hồ sơ khi vượt tỷ lệ",
                              description="Bỏ chọn để chỉ cảnh báo.")
    legal_basis_id = SelectField("Văn bản căn cứ", coerce=int, validators=[optional()])
    legal_ref = StringField("Điều, khoản", validators=[optional(), max_length(255)])
    effective_from = VNDateField("Áp dụng từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu áp dụng.")])
    effective_to = VNDateField("Áp dụng đến ngày", validators=[
        optional(), date_not_before("effective_from", "Ngày hết hiệu lực không được trước ngày bắt đầu áp dụng.")])
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 3})

    def __init__(self, *args, bases: list[LegalBasis], award_codes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NO_CODE, "— Chọn —"), *award_codes]
        self.award_code.choices = options(choices)
        self.basis_code.choices = options(choices)
        self.legal_basis_id.choices = _basis_choices(bases)

    def fill(self, rule: QuotaRule) -> None:
        for name in ("award_code", "basis_code", "hard_block", "legal_ref", "effective_from", "effective_to", "note"):
            self[name].data = getattr(rule, name)
        self.max_ratio.data = _percent(rule.max_ratio)
        self.legal_basis_id.data = rule.legal_basis_id or NO_BASIS

    def validate_basis_code(self, field):
        if field.data and field.data == self.award_code.data:
            raise ValidationError("Danh hiệu làm cơ sở phải khác danh hiệu bị giới hạn.")

    def values(self) -> dict:
        return {
            "award_code": self.award_code.data,
            "basis_code": self.basis_code.data,
            "max_ratio": _ratio(self.max_ratio.data),
            "hard_block": bool(self.hard_block.data),
            "legal_basis_id": self.legal_basis_id.data or None,
            "legal_ref": self.legal_ref.data or None,
            "effective_from": self.effective_from.data,
            "effective_to": self.effective_to.data,
            "note": self.note.data or None,
        }


class VNMoneyField(IntegerField):
    """An amount in đồng typed with or without thousands separators ("2.340.000", "2 340 000")."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = "".join(valuelist[0].split()).replace(".", "").replace(",", "")
        if not text.isdigit():
            self.data = None
            raise ValueError("Phải là số tiền (đồng), ví dụ 2.340.000.")
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}".replace(",", ".") if self.data is not None else ""


class BaseSalaryForm(Form):
    amount = VNMoneyField("Mức lương cơ sở (đồng/tháng)", validators=[
        required("Vui lòng nhập mức lương cơ sở."), NumberRange(min=1, max=10**9, message="Số tiền không hợp lệ.")],
        description="Ví dụ: 2.340.000")
    effective_from = VNDateField("Áp dụng từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu áp dụng.")])
    legal_ref = StringField("Văn bản quy định", validators=[optional(), max_length(255)],
                            description="Ví dụ: Nghị định 73/2024/NĐ-CP")

    def values(self) -> dict:
        return {"amount": self.amount.data, "effective_from": self.effective_from.data,
                "legal_ref": self.legal_ref.data or None}
