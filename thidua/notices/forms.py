from __future__ import annotations

from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options, required

from .services import AUTHOR_MAX, BODY_MAX, CONTACT_MAX, TITLE_MAX


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoticeForm(Form):
    title = StringField("Tiêu đề thông báo", validators=[required("Vui lòng nhập tiêu đề."), max_length(TITLE_MAX)],
                        description="Ví dụ: Lấy ý kiến nhân dân về các trường hợp đề nghị tặng Bằng khen "
                                    "của Chủ tịch UBND tỉnh năm 2025.")
    starts_on = VNDateField("Công khai từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu công khai.")])
    ends_on = VNDateField("Đến hết ngày", validators=[
        required("Vui lòng nhập ngày kết thúc công khai."),
        date_not_before("starts_on", "Ngày kết thúc không được trước ngày bắt đầu."),
    ])
    nomination_ids = MultiCheckboxField("Các trường hợp được công khai", coerce=int)

    def __init__(self, *args, candidate_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_ids.choices = options(candidate_choices)

    def validate_nomination_ids(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn ít nhất một hồ sơ để công khai.")

    def values(self) -> dict:
        return {"title": self.title.data, "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                "nomination_ids": self.nomination_ids.data}


class CommentForm(Form):
    """A citizen's comment on one candidate. Name and contact are optional."""

    author_name = StringField("Họ và tên người góp ý", validators=[optional(), max_length(AUTHOR_MAX)],
                              description="Không bắt buộc.")
    contact = StringField("Địa chỉ liên hệ, số điện thoại hoặc thư điện tử", validators=[optional(),
                                                                                        max_length(CONTACT_MAX)],
                          description="Không bắt buộc; chỉ dùng khi Ban Thi đua - Khen thưởng cần xác minh thêm.")
    body = TextAreaField("Nội dung ý kiến", validators=[required("Vui lòng nhập nội dung ý kiến."),
                                                         max_length(BODY_MAX)],
                         render_kw={"rows": 6, "maxlength": BODY_MAX},
                         description=f"Tối đa {BODY_MAX} ký tự. Ý kiến không được công khai trên trang này.")
