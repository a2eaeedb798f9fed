from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options, required

from .models import CampaignKind, CampaignScope, LaunchLevel


class CampaignForm(Form):
    name = StringField("Tên phong trào", validators=[required("Vui lòng nhập tên phong trào."), max_length(300)])
    kind = SelectField("Loại phong trào", choices=options(CampaignKind), validators=[required()])
    launching_authority = StringField(
        "Cơ quan phát động", validators=[required("Vui lòng nhập cơ quan phát động."), max_length(255)],
        description="Ví dụ: UBND tỉnh Thanh Hóa",
    )
    scope = SelectField("Phạm vi (biểu 0601.N)", choices=options(CampaignScope), default=CampaignScope.LOCALITY.value,
                        validators=[optional()])
    launch_level = SelectField("Cấp phát động (biểu 0601.N)", choices=options(LaunchLevel),
                               default=LaunchLevel.PROVINCE.value, validators=[optional()])
    launching_unit_id = SelectField("Đơn vị phát động (trong cây đơn vị)", coerce=int, validators=[optional()])
    decision_ref = StringField("Văn bản phát động", validators=[optional(), max_length(100)],
                               description="Số, ký hiệu và ngày, ví dụ: KH 130/KH-UBND ngày 27/6/2025")
    starts_on = VNDateField("Ngày bắt đầu", validators=[required("Vui lòng nhập ngày bắt đầu.")])
    ends_on = VNDateField("Ngày kết thúc", validators=[
        optional(), date_not_before("starts_on", "Ngày kết thúc không được trước ngày bắt đầu.")])
    nomination_deadline = VNDateField("Hạn gửi hồ sơ đề nghị khen thưởng", validators=[
        optional(), date_not_before("starts_on", "Hạn gửi hồ sơ không được trước ngày bắt đầu.")])
    goals = TextAreaField("Mục tiêu", validators=[optional(), max_length(20000)], render_kw={"rows": 4})
    criteria = TextAreaField("Tiêu chí thi đua", validators=[optional(), max_length(20000)], render_kw={"rows": 6})
    version = HiddenField()

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.launching_unit_id.choices = options([(0, "— Không chọn —"), *unit_choices])

    def validate_nomination_deadline(self, field):
        if field.data and self.ends_on.data and field.data > self.ends_on.data:
            raise ValidationError("Hạn gửi hồ sơ không được sau ngày kết thúc phong trào.")

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "launching_authority": self.launching_authority.data,
            "scope": self.scope.data or CampaignScope.LOCALITY.value,
            "launch_level": self.launch_level.data or LaunchLevel.PROVINCE.value,
            "launching_unit_id": self.launching_unit_id.data or None,
            "decision_ref": self.decision_ref.data or None,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "nomination_deadline": self.nomination_deadline.data,
            "goals": self.goals.data or None,
            "criteria": self.criteria.data or None,
        }


class DocumentForm(Form):
    title = StringField("Tên văn bản", validators=[optional(), max_length(255)],
                        description="Bỏ trống để dùng tên tệp.")
    file = FileField("Tệp PDF", render_kw={"accept": "application/pdf,.pdf"},
                     description="Chỉ nhận tệp PDF; dung lượng tối đa theo cấu hình hệ thống.")


class RegistrationForm(Form):
    unit_id = SelectField("Đơn vị đăng ký", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    commitments = TextAreaField(
        "Nội dung đăng ký, cam kết thi đua",
        validators=[required("Vui lòng nhập nội dung đăng ký thi đua."), max_length(20000)],
        render_kw={"rows": 6},
        description="Các chỉ tiêu, danh hiệu đăng ký và cam kết của đơn vị.",
    )

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)
