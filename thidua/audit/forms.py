"""The audit log's filter form (a GET form: no CSRF token, values stay in the URL)."""

from __future__ import annotations

from wtforms import SelectField, StringField

from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options

from .labels import action_label, object_type_label


class AuditFilterForm(Form):
    actor = StringField("Người thực hiện", validators=[optional(), max_length(100)],
                        render_kw={"placeholder": "Tên đăng nhập hoặc họ tên"})
    action = SelectField("Thao tác", default="")
    object_type = SelectField("Loại đối tượng", default="")
    object_id = StringField("Mã số đối tượng", validators=[optional(), max_length(64)])
    date_from = VNDateField("Từ ngày", validators=[optional()])
    date_to = VNDateField("Đến ngày", validators=[
        optional(), date_not_before("date_from", "“Đến ngày” không được trước “Từ ngày”."),
    ])

    def __init__(self, *args, actions: list[str], object_types: list[str], **kwargs):
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(*args, **kwargs)
        self.action.choices = options([("", "— Mọi thao tác —"), *((a, action_label(a)) for a in actions)])
        self.object_type.choices = options([("", "— Mọi loại —"), *((t, object_type_label(t)) for t in object_types)])

    def filters(self) -> dict[str, object]:
        """The filters that were given, by field name (empty ones left out)."""
        return {name: field.data for name, field in self._fields.items() if field.data not in (None, "")}
