from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from thidua.fields import Form, max_length, optional, options, required

from .models import Aggregation


class VNDecimalField(DecimalField):
    """A decimal that accepts the Vietnamese comma (7,5) as well as the point."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] and valuelist[0].strip():
            try:
                self.data = Decimal(valuelist[0].strip().replace(",", "."))
            except InvalidOperation:
                self.data = None
                raise ValueError("Phải là số.") from None
        else:
            self.data = None


def parse_anchors(text: str | None) -> dict[str, str]:
    """"value: label" lines → {"value": "label"}; raises ValueError with a Vietnamese message."""
    anchors: dict[str, str] = {}
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, label = line.partition(":")
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            number = None
        if not sep or number is None or not label.strip():
            raise ValueError(f"Dòng {n}: cần viết theo dạng “điểm: mô tả”, ví dụ “10: Xuất sắc”.")
        anchors[format(number.normalize(), "f")] = label.strip()
    return anchors


def anchors_text(anchors: dict[str, str] | None) -> str:
    items = sorted((anchors or {}).items(), key=lambda kv: Decimal(kv[0]))
    return "\n".join(f"{k.replace('.', ',')}: {v}" for k, v in items)


class RubricForm(Form):
    name = StringField("Tên bảng điểm", validators=[required("Vui lòng nhập tên bảng điểm."), max_length(255)])
    award_code = StringField("Mã danh hiệu / hình thức khen thưởng", validators=[optional(), max_length(32)],
                             description="Để trống nếu dùng chung, ví dụ: CSTDCS")
    aggregation = SelectField("Cách tổng hợp điểm", choices=options(Aggregation), validators=[required()])
    normalise = BooleanField("Hiển thị thêm điểm chuẩn hóa theo từng thành viên")
    min_sheets_to_normalise = IntegerField(
        "Số hồ sơ tối thiểu một thành viên phải chấm để được chuẩn hóa", default=5,
        validators=[required(), NumberRange(min=2, max=1000, message="Phải từ 2 đến 1000.")])
    active = BooleanField("Đang sử dụng", default=True)


class CriterionForm(Form):
    label = StringField("Tên tiêu chí", validators=[required("Vui lòng nhập tên tiêu chí."), max_length(255)])
    help_text = TextAreaField("Hướng dẫn chấm", validators=[optional(), max_length(5000)], render_kw={"rows": 2})
    min_points = VNDecimalField("Điểm thấp nhất", default=Decimal(0), validators=[required()])
    max_points = VNDecimalField("Điểm cao nhất", validators=[required("Vui lòng nhập điểm cao nhất.")])
    step = VNDecimalField("Bước điểm", default=Decimal(1), validators=[required()],
                          description="Ví dụ: 1 (điểm nguyên) hoặc 0,5")
    anchors = TextAreaField("Mốc điểm có mô tả", validators=[optional(), max_length(5000)], render_kw={"rows": 3},
                            description="Mỗi dòng một mốc, dạng “điểm: mô tả”, ví dụ “10: Xuất sắc”")
    weight = VNDecimalField("Hệ số", default=Decimal(1), validators=[required()])
    required_ = BooleanField("Bắt buộc chấm", default=True, name="required")
    informational = BooleanField("Chỉ để tham khảo (không tính vào tổng điểm)")
    position = IntegerField("Thứ tự", default=0, validators=[optional()])

    def validate_max_points(self, field):
        if field.data is not None and self.min_points.data is not None and field.data <= self.min_points.data:
            raise ValidationError("Điểm cao nhất phải lớn hơn điểm thấp nhất.")

    def validate_step(self, field):
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError("Bước điểm phải lớn hơn 0.")
        lo, hi = self.min_points.data, self.max_points.data
        if lo is not None and hi is not None and hi > lo and (hi - lo) % field.data != 0:
            raise ValidationError("Bước điểm phải chia hết khoảng từ điểm thấp nhất đến điểm cao nhất.")

    def validate_weight(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError("Hệ số không được âm.")

    def validate_anchors(self, field):
        try:
            anchors = parse_anchors(field.data)
        except ValueError as e:
            raise ValidationError(str(e)) from None
        lo, hi = self.min_points.data, self.max_points.data
        for k in anchors:
            if lo is not None and hi is not None and not lo <= Decimal(k) <= hi:
                raise ValidationError(f"Mốc {k.replace('.', ',')} nằm ngoài thang điểm.")

    def values(self) -> dict:
        return {"label": self.label.data, "help_text": self.help_text.data or None,
                "min_points": self.min_points.data, "max_points": self.max_points.data, "step": self.step.data,
                "anchors": parse_anchors(self.anchors.data) or None, "weight": self.weight.data,
                "required": self.required_.data, "informational": self.informational.data,
                "position": self.position.data or 0}
