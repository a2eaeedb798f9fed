from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from thidua.fields import Form, VNDateField, max_length, optional, options, required

from .models import ModelField
from .services import CAPTION_MAX, REF_MAX, SUMMARY_MAX, TITLE_MAX


class GoodModelForm(Form):
    title = StringField("Tên mô hình, cách làm", validators=[required("Vui lòng nhập tên mô hình."),
                                                            max_length(TITLE_MAX)])
    field = SelectField("Lĩnh vực", choices=options(ModelField), validators=[required("Vui lòng chọn lĩnh vực.")])
    unit_id = SelectField("Đơn vị xây dựng mô hình", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    summary = TextAreaField("Tóm tắt", validators=[required("Vui lòng nhập tóm tắt."), max_length(SUMMARY_MAX)],
                            render_kw={"rows": 3, "maxlength": SUMMARY_MAX},
                            description="Một đoạn ngắn, hiển thị trên thẻ giới thiệu mô hình.")
    description = TextAreaField("Nội dung mô hình, cách làm",
                                validators=[required("Vui lòng nhập nội dung mô hình.")], render_kw={"rows": 8})
    results = TextAreaField("Kết quả, hiệu quả", validators=[optional()], render_kw={"rows": 5})
    started_on = VNDateField("Ngày bắt đầu thực hiện", validators=[optional()])

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)

    def values(self) -> dict:
        return {"title": self.title.data, "field": ModelField(self.field.data), "summary": self.summary.data,
                "description": self.description.data, "results": self.results.data or None,
                "started_on": self.started_on.data}


class FileForm(Form):
    file = FileField("Tệp", render_kw={"accept": ".jpg,.jpeg,.png,.pdf,.docx"},
                     description="Ảnh JPEG, PNG hoặc tài liệu PDF, Word (.docx); nội dung tệp được kiểm tra khi tải lên.")
    caption = StringField("Chú thích", validators=[optional(), max_length(CAPTION_MAX)])
    public = BooleanField("Được hiển thị trên trang công khai (khi mô hình đã được công nhận)", default=True)


class RecogniseForm(Form):
    recognised_on = VNDateField("Ngày công nhận", validators=[required("Vui lòng nhập ngày công nhận.")])
    recognition_ref = StringField("Văn bản công nhận", validators=[required("Vui lòng nhập văn bản công nhận."),
                                                                  max_length(REF_MAX)],
                                  description="Số, ký hiệu và trích yếu, ví dụ: 125/QĐ-UBND công nhận mô hình hay.")


class ReplicationForm(Form):
    unit_id = SelectField("Đơn vị áp dụng", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    adopted_on = VNDateField("Ngày áp dụng", validators=[required("Vui lòng nhập ngày áp dụng.")])
    result = TextAreaField("Kết quả đạt được", validators=[optional()], render_kw={"rows": 4})

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)
