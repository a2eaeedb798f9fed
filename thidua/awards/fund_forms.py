"""Forms of the reward fund pages: a yearly budget of an issuing body."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from thidua.fields import Form, max_length, optional, options, required

NOTE_MAX = 2000


class MoneyField(StringField):
    """An amount of đồng typed the way people write it: "500.000.000", "500 000 000" or "500000000"."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = None
        # the typed text, not self.data: with the field left out, self.data keeps the edited budget's int
        text = (valuelist[0] if valuelist else "").strip().removesuffix("đồng").removesuffix("đ").strip()
        digits = text.replace(".", "").replace(",", "").replace(" ", "").replace("\u00a0", "")
        if digits.isdigit():
            self.amount = int(digits)


def money_required(form, field):
    if field.amount is None:
        raise ValidationError("Số tiền không hợp lệ; hãy nhập số đồng, ví dụ 500.000.000.")


class BudgetForm(Form):
    """A budget. Without `issuer_choices` (editing) the issuer and year are fixed and not on the form."""

    issuer_unit_id = SelectField("Cơ quan, đơn vị quyết định khen thưởng", coerce=int,
                                 validators=[required("Vui lòng chọn cơ quan, đơn vị.")])
    year = IntegerField("Năm", validators=[required("Vui lòng nhập năm."),
                                           NumberRange(min=2000, max=2100, message="Năm từ 2000 đến 2100.")])
    amount = MoneyField("Dự toán quỹ thi đua, khen thưởng (đồng)",
                        validators=[required("Vui lòng nhập số tiền dự toán."), money_required],
                        description="Ví dụ: 500.000.000")
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(NOTE_MAX)],
                         description="Ví dụ: căn cứ quyết định giao dự toán ngân sách.", render_kw={"rows": 3})

    def __init__(self, *args, issuer_choices: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if issuer_choices is None:
            del self.issuer_unit_id
            del self.year
        else:
            self.issuer_unit_id.choices = options([(0, "— Chọn cơ quan, đơn vị —"), *issuer_choices])

    def validate_issuer_unit_id(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn cơ quan, đơn vị.")
