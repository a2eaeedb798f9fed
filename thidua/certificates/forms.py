from __future__ import annotations

import json
from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from thidua.fields import Form, max_length, optional, options, required

from .models import PrintMode
from .services import MAX_COPIES


class MmField(DecimalField):
    """A decimal that also accepts the Vietnamese decimal comma ("0,995")."""

    def process_formdata(self, valuelist):
        super().process_formdata([v.replace(",", ".").strip() for v in valuelist])


class PrintForm(Form):
    """One certificate: plain paper or a pre-printed blank, with the printer's calibration."""

    mode = SelectField("Cách in", choices=options(PrintMode), default=PrintMode.FULL.value)
    calibration_id = SelectField("Hiệu chỉnh máy in (khi in lên phôi)", coerce=int, default=0)
    copies = IntegerField("Số bản", default=1, validators=[
        required("Vui lòng nhập số bản."),
        NumberRange(min=1, max=MAX_COPIES, message=f"Số bản từ 1 đến {MAX_COPIES}."),
    ])

    def __init__(self, *args, calibrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.calibration_id.choices = options([(0, "Không hiệu chỉnh")] + [(c.id, c.name) for c in calibrations])


class CalibrationForm(Form):
    name = StringField("Tên máy in", validators=[required("Vui lòng nhập tên máy in."), max_length(200)],
                       description="Ví dụ: Canon LBP 2900 – phòng Thi đua.")
    offset_x_mm = MmField("Lệch ngang (mm)", places=2, default=Decimal("0"),
                               validators=[required("Vui lòng nhập độ lệch ngang."),
                                           NumberRange(min=-50, max=50, message="Từ −50 đến 50 mm.")],
                               description="Dương: chữ in ra lệch sang phải so với vị trí mong muốn.")
    offset_y_mm = MmField("Lệch dọc (mm)", places=2, default=Decimal("0"),
                               validators=[required("Vui lòng nhập độ lệch dọc."),
                                           NumberRange(min=-50, max=50, message="Từ −50 đến 50 mm.")],
                               description="Dương: chữ in ra lệch xuống dưới.")
    scale = MmField("Tỷ lệ", places=4, default=Decimal("1"),
                         validators=[required("Vui lòng nhập tỷ lệ.")],
                         description="1 nếu máy in không co giãn; ví dụ 0,995 khi 200 mm in ra 199 mm.")
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(2000)], render_kw={"rows": 2})



class TemplateForm(Form):
    name = StringField("Tên mẫu", validators=[required("Vui lòng nhập tên mẫu."), max_length(200)])
    award_codes = StringField("Mã danh hiệu, hình thức in bằng mẫu này", validators=[optional(), max_length(500)],
                              description="Các mã cách nhau bởi dấu phẩy, ví dụ: GK_SO, GK_XA.")
    page_width_mm = MmField("Khổ giấy: rộng (mm)", places=1, validators=[
        required("Vui lòng nhập chiều rộng."), NumberRange(min=50, max=1000, message="Từ 50 đến 1000 mm.")])
    page_height_mm = MmField("Khổ giấy: cao (mm)", places=1, validators=[
        required("Vui lòng nhập chiều cao."), NumberRange(min=50, max=1000, message="Từ 50 đến 1000 mm.")])
    heading = StringField("Tên in trên giấy", validators=[required("Vui lòng nhập tên in trên giấy."), max_length(100)],
                          description="Ví dụ: BẰNG KHEN. Ghi {award} để in tên danh hiệu (chữ in hoa).")
    html = TextAreaField("Nội dung mẫu (HTML)", validators=[required("Vui lòng nhập nội dung mẫu.")],
                         render_kw={"rows": 16, "class": "font-monospace", "spellcheck": "false"},
                         description="Các trường: {{ recipient_name }}, {{ achievement }}, {{ decision_line }}… "
                                     "(xem danh sách bên cạnh).")
    css = TextAreaField("Định dạng (CSS)", validators=[optional()],
                        render_kw={"rows": 12, "class": "font-monospace", "spellcheck": "false"})
    blank_layout = TextAreaField("Vị trí các trường khi in lên phôi (JSON)", validators=[optional()],
                                 render_kw={"rows": 14, "class": "font-monospace", "spellcheck": "false"},
                                 description='Mỗi trường: {"x": mm, "y": mm, "w": mm, "size": cỡ chữ pt, '
                                             '"align": "left|center|right", "bold": true|false}. '
                                             "x, y là góc trên bên trái của ô chữ, tính từ mép giấy.")

    def validate_blank_layout(self, field):
        try:
            value = json.loads(field.data or "{}")
        except json.JSONDecodeError as exc:
            raise ValidationError(f"JSON không hợp lệ (dòng {exc.lineno}, cột {exc.colno}).") from exc
        if not isinstance(value, dict):
            raise ValidationError("Bố cục phôi phải là một đối tượng JSON: tên trường → vị trí.")

    def values(self) -> dict:
        return {
            "name": self.name.data, "award_codes": (self.award_codes.data or "").replace(";", ",").split(","),
            "page_width_mm": self.page_width_mm.data, "page_height_mm": self.page_height_mm.data,
            "heading": self.heading.data, "html": self.html.data, "css": self.css.data or "",
            "blank_layout": json.loads(self.blank_layout.data or "{}"),
        }


class ArtworkForm(Form):
    file = FileField("Tệp ảnh (PNG hoặc JPEG, tối đa 5 MB)")


class VerifyForm(Form):
    class Meta:
        csrf = False  # a public look-up that changes nothing (GET)

    code = StringField("Mã tra cứu in trên giấy chứng nhận",
                       validators=[required("Vui lòng nhập mã tra cứu."), max_length(64)],
                       description="Ví dụ: K7QF-3M2D-X9TB-4WZ6-PL5R-A (không phân biệt chữ hoa, chữ thường).")
