from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from thidua.fields import Form, VNDateField, max_length, optional, options, required

from .models import ClusterKind
from .services import CODE_MAX, NAME_MAX

NO_UNIT = 0


class ClusterForm(Form):
    code = StringField("Mã cụm, khối", validators=[required("Vui lòng nhập mã cụm, khối."), max_length(CODE_MAX)],
                       description="Mã định danh, không trùng, ví dụ CUM-PHUONG-1.")
    name = StringField("Tên cụm, khối", validators=[required("Vui lòng nhập tên cụm, khối."), max_length(NAME_MAX)])
    kind = SelectField("Loại", choices=options(ClusterKind), validators=[required()],
                       description="Cụm gồm các địa phương; khối gồm các cơ quan, đơn vị có chức năng tương đồng.")
    description = TextAreaField("Mô tả", validators=[optional(), max_length(5000)], render_kw={"rows": 3})
    active = BooleanField("Đang hoạt động", default=True)

    def values(self) -> dict:
        return {
            "code": self.code.data,
            "name": self.name.data,
            "kind": self.kind.data,
            "description": self.description.data or None,
            "active": bool(self.active.data),
        }


class MemberForm(Form):
    unit_id = SelectField("Đơn vị", coerce=int, validators=[required("Vui lòng chọn đơn vị.")],
                          description="Chỉ chọn được đơn vị đang hoạt động.")
    joined_on = VNDateField("Tham gia từ ngày", validators=[optional()])

    def __init__(self, *args, unit_choices: list[tuple[int, str]], member_ids: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        # Members stay in the list, greyed out, so a repeated submission gets a clear message.
        self.unit_id.choices = [SelectChoice(NO_UNIT, "— Chọn đơn vị —")] + [
            SelectChoice(uid, text + (" (đã là thành viên)" if uid in member_ids else ""),
                         {"disabled": True} if uid in member_ids else {})
            for uid, text in unit_choices
        ]

    def validate_unit_id(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn đơn vị.")
