from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options, required

from .models import UnitKind
from .services import ADDRESS_MAX, CODE_MAX, NAME_MAX, SUCCESSION_NOTE_MAX, code_problem

NO_PARENT = 0
NO_UNIT = 0


class UnitForm(Form):
    code = StringField("Mã đơn vị", validators=[required("Vui lòng nhập mã đơn vị."), max_length(CODE_MAX)],
                       description="Mã định danh, không trùng và không có dấu cách, ví dụ 38.SGDDT.")
    name = StringField("Tên đơn vị", validators=[required("Vui lòng nhập tên đơn vị."), max_length(NAME_MAX)])
    kind = SelectField("Loại đơn vị", choices=options(UnitKind), validators=[required("Vui lòng chọn loại đơn vị.")])
    parent_id = SelectField("Đơn vị cấp trên", coerce=int, validators=[optional()])
    valid_from = VNDateField("Hiệu lực từ ngày", validators=[optional()])
    valid_to = VNDateField(
        "Hiệu lực đến ngày",
        validators=[optional(), date_not_before("valid_from", "Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.")],
        description="Nhập ngày cuối cùng đơn vị còn hoạt động để kết thúc đơn vị (giải thể, sáp nhập). "
                    "Bỏ trống nếu đơn vị đang hoạt động.",
    )
    address = StringField("Địa chỉ", validators=[optional(), max_length(ADDRESS_MAX)])
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 3})

    def __init__(self, *args, parent_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = options([(NO_PARENT, "— Không có (đơn vị cấp cao nhất) —"), *parent_choices])

    def validate_code(self, field):
        problem = code_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def values(self) -> dict:
        return {
            "code": self.code.data,
            "name": self.name.data,
            "kind": self.kind.data,
            "parent_id": self.parent_id.data or None,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "address": self.address.data or None,
            "note": self.note.data or None,
        }


class SuccessionForm(Form):
    relation = SelectField(
        "Quan hệ",
        choices=options([
            ("successor", "Đơn vị được chọn kế thừa đơn vị này (đơn vị này bị sáp nhập vào / chia tách cho)"),
            ("predecessor", "Đơn vị này kế thừa đơn vị được chọn (đơn vị được chọn đã sáp nhập vào đơn vị này)"),
        ]),
        validators=[required()],
    )
    other_unit_id = SelectField("Đơn vị", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    effective_on = VNDateField("Ngày có hiệu lực", validators=[optional()])
    partial = BooleanField("Chỉ kế thừa một phần (ví dụ: một phần địa giới, dân số được điều chỉnh sang)")
    note = StringField("Ghi chú", validators=[optional(), max_length(SUCCESSION_NOTE_MAX)],
                       description="Ví dụ: theo Nghị quyết 1686/NQ-UBTVQH15 ngày 16/6/2025.")

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.other_unit_id.choices = options([(NO_UNIT, "— Chọn đơn vị —"), *unit_choices])

    def validate_other_unit_id(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn đơn vị.")


class ImportForm(Form):
    file = FileField("Tệp Excel (.xlsx)",
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                     description="Dùng tệp mẫu; dòng 1 là tiêu đề cột, dữ liệu bắt đầu từ dòng 2.")
