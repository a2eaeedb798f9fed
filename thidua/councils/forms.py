from __future__ import annotations

from decimal import Decimal

from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from thidua.extensions import db
from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options, required
from thidua.scoring.models import Aggregation

from .models import AttendanceStatus, CouncilLevel, MemberRole


class CouncilForm(Form):
    name = StringField("Tên Hội đồng", validators=[required("Vui lòng nhập tên Hội đồng."), max_length(255)],
                       description="Ví dụ: Hội đồng Thi đua - Khen thưởng tỉnh Thanh Hóa")
    level = SelectField("Cấp Hội đồng", choices=options(CouncilLevel), validators=[required()])
    unit_id = SelectField("Cơ quan, đơn vị", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    established_by = StringField("Quyết định thành lập", validators=[optional(), max_length(255)],
                                 description="Số, ký hiệu và ngày, ví dụ: 123/QĐ-UBND ngày 05/3/2024")
    recuse_related_units = BooleanField("Thành viên không xem xét hồ sơ của đơn vị cấp trên, cấp dưới của mình")
    active = BooleanField("Đang hoạt động", default=True)

    def __init__(self, *args, unit_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)

    def values(self) -> dict:
        return {"name": self.name.data, "level": self.level.data, "unit_id": self.unit_id.data,
                "established_by": self.established_by.data, "recuse_related_units": self.recuse_related_units.data,
                "active": self.active.data}


class MemberForm(Form):
    user_id = SelectField("Người dùng", coerce=int, validators=[required("Vui lòng chọn thành viên.")])
    role = SelectField("Vai trò trong Hội đồng", choices=options(MemberRole), validators=[required()])
    position = StringField("Chức vụ", validators=[optional(), max_length(255)],
                           description="Ví dụ: Giám đốc Sở Nội vụ")
    unit_id = SelectField("Đơn vị công tác", coerce=int, validators=[optional()],
                          description="Dùng để tự động xác định trường hợp không tham gia xem xét hồ sơ.")
    person_id = IntegerField("Mã cá nhân trong cơ sở dữ liệu khen thưởng", validators=[optional()],
                             description="Nếu thành viên có trong cơ sở dữ liệu, để nhận biết khi chính họ được đề nghị.")
    term_from = VNDateField("Nhiệm kỳ từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu nhiệm kỳ.")])
    term_to = VNDateField("Đến ngày", validators=[
        optional(), date_not_before("term_from", "Ngày kết thúc nhiệm kỳ không được trước ngày bắt đầu.")])

    def __init__(self, *args, user_choices, unit_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = options(user_choices)
        self.unit_id.choices = options([(0, "— Không chọn —"), *unit_choices])

    def validate_person_id(self, field):
        from thidua.registry.models import Person

        if field.data and db.session.get(Person, field.data) is None:
            raise ValidationError("Không có cá nhân nào mang mã này.")

    def values(self) -> dict:
        return {"role": self.role.data, "position": self.position.data, "unit_id": self.unit_id.data or None,
                "person_id": self.person_id.data or None, "term_from": self.term_from.data,
                "term_to": self.term_to.data}


class EndMemberForm(Form):
    term_to = VNDateField("Ngày kết thúc nhiệm kỳ", validators=[required("Vui lòng nhập ngày kết thúc nhiệm kỳ.")])


class CommaDecimalField(DecimalField):
    """A decimal that also accepts a decimal comma (0,667), the way Vietnamese users write it."""

    def process_formdata(self, valuelist):
        super().process_formdata([v.replace(",", ".") for v in valuelist])


class SessionForm(Form):
    title = StringField("Tên phiên họp", validators=[required("Vui lòng nhập tên phiên họp."), max_length(300)],
                        description="Ví dụ: Phiên họp xét khen thưởng tổng kết năm 2025")
    held_on = VNDateField("Ngày họp", validators=[required("Vui lòng nhập ngày họp.")])
    place = StringField("Địa điểm", validators=[optional(), max_length(255)])
    rubric_id = SelectField("Bảng điểm", coerce=int, validators=[optional()])
    aggregation = SelectField("Cách tổng hợp điểm", choices=options(Aggregation), validators=[required()])
    normalise = BooleanField("Hiển thị thêm điểm chuẩn hóa theo từng thành viên")
    quorum_ratio = CommaDecimalField(
        "Tỷ lệ thành viên có mặt tối thiểu", places=3, default=Decimal("0.667"),
        validators=[required("Vui lòng nhập tỷ lệ."),
                    NumberRange(min=Decimal("0.001"), max=Decimal("1"), message="Tỷ lệ phải lớn hơn 0 và không quá 1.")],
        description="Dạng thập phân: 0,667 là hai phần ba số thành viên.")

    def __init__(self, *args, rubric_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.rubric_id.choices = options([(0, "— Không chấm điểm —"), *rubric_choices])

    def values(self) -> dict:
        return {"title": self.title.data, "held_on": self.held_on.data, "place": self.place.data,
                "rubric_id": self.rubric_id.data or None, "aggregation": self.aggregation.data,
                "normalise": self.normalise.data, "quorum_ratio": self.quorum_ratio.data}


class AgendaForm(Form):
    nomination_id = SelectField("Hồ sơ đề nghị", coerce=int, validators=[required("Vui lòng chọn hồ sơ.")])

    def __init__(self, *args, nomination_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_id.choices = options(nomination_choices)


def attendance_form(members, current: dict[int, str], formdata=None) -> Form:
    """A form with one choice per serving member, named `member-<id>`, prefilled with `current`."""

    class AttendanceForm(Form):
        pass

    for m in members:
        setattr(AttendanceForm, f"member-{m.id}", SelectField(
            m.user.full_name, choices=options(AttendanceStatus), default=current.get(m.id, AttendanceStatus.ABSENT.value),
            validators=[required()]))
    return AttendanceForm(formdata=formdata) if formdata is not None else AttendanceForm()


def attendance_values(form) -> dict[int, str]:
    return {int(name.split("-", 1)[1]): field.data for name, field in form._fields.items()
            if name.startswith("member-")}


class ReasonForm(Form):
    reason = TextAreaField("Lý do", validators=[required("Vui lòng ghi rõ lý do."), max_length(500)],
                           render_kw={"rows": 3})
