"""Forms of the e-mail pages: a user's preferences, the admin's log filters."""

from __future__ import annotations

from wtforms import SelectField

from thidua.fields import Form, MultiCheckboxField, options

DELIVERY = [("each", "Gửi ngay mỗi thông báo một thư"), ("digest", "Gộp thành một thư tổng hợp mỗi ngày")]


class PreferencesForm(Form):
    email_kinds = MultiCheckboxField("Nhận thư điện tử khi có", description=(
        "Bỏ chọn để không nhận thư về loại việc đó; thông báo vẫn hiện trong hộp thông báo của phần mềm."))
    delivery = SelectField("Cách gửi thư", choices=options(DELIVERY), default="each")

    def __init__(self, *args, kinds: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.email_kinds.choices = options(kinds.items())
