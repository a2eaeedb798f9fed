"""Form building blocks shared by every domain: a base form that normalises text to NFC, a
dd/mm/yyyy date field, and validators with Vietnamese messages."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectMultipleField, StringField, TextAreaField, validators, widgets
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.widgets import TextInput

from .text import nfc

# Control characters XML (so Excel, Word and the PDFs) cannot hold; a vertical tab or form feed pasted from
# Word is a line break.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _normalise(value):
    if not isinstance(value, str):
        return value
    return nfc(_CONTROL.sub("", value.replace("\x0b", "\n").replace("\x0c", "\n")))


INT_MAX = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL


class BoundedIntegerField(IntegerField):
    """An IntegerField that refuses a number no INTEGER column holds, instead of failing in the database."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > INT_MAX:
            self.data = None
            raise ValueError("Số quá lớn.")


# WTForms' own messages, in Vietnamese (WTForms ships no Vietnamese catalogue).
_MESSAGES = {
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Not a valid choice": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không phải lựa chọn hợp lệ.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không phải lựa chọn hợp lệ.",
    "Not a valid integer value.": "Phải là số nguyên.",
    "Not a valid decimal value.": "Phải là số.",
    "Not a valid float value.": "Phải là số.",
    "Not a valid date value.": "Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "This field is required.": "Vui lòng nhập thông tin này.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "The CSRF token is missing.": "Thiếu mã bảo mật CSRF; vui lòng tải lại trang.",
    "The CSRF token is invalid.": "Mã bảo mật CSRF không hợp lệ; vui lòng tải lại trang.",
    "The CSRF token has expired.": "Mã bảo mật CSRF đã hết hạn; vui lòng tải lại trang.",
    "The CSRF tokens do not match.": "Mã bảo mật CSRF không khớp; vui lòng tải lại trang.",
}


class _VietnameseMessages:
    def gettext(self, string):
        return _MESSAGES.get(string, string)

    def ngettext(self, singular, plural, n):
        return _MESSAGES.get(singular if n == 1 else plural, singular if n == 1 else plural)


class Form(FlaskForm):
    """Base form: every text field is trimmed and normalised to NFC before validation, and
    WTForms' built-in messages are in Vietnamese."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _VietnameseMessages()

        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class is IntegerField:
                unbound_field = UnboundField(BoundedIntegerField, *unbound_field.args, **unbound_field.kwargs)
            if issubclass(unbound_field.field_class, StringField | TextAreaField):
                filters = list(unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": [_normalise, *filters]}
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None) -> bool:
        for field in self:  # WTForms' DecimalField takes "NaN" and "Infinity", which no comparison survives
            if isinstance(field.data, Decimal) and not field.data.is_finite():
                field.data = None
                field.process_errors.append("Phải là số.")
        return super().validate(extra_validators)

    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return errors[0] if isinstance(errors, list) else str(errors)
        return None


def options(pairs) -> list[SelectChoice]:
    """Choices for a SelectField from (value, label) pairs or a LabeledEnum class."""
    if isinstance(pairs, type):
        pairs = pairs.choices()
    return [SelectChoice(value, label) for value, label in pairs]


class Required:
    """The field was filled in: not missing, and not only white space (which InputRequired accepts)."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        raw = field.raw_data
        if not raw or (isinstance(raw[0], str) and not raw[0].strip()):
            field.errors[:] = []
            raise validators.StopValidation(self.message)


def required(message: str = "Vui lòng nhập thông tin này.") -> Required:
    return Required(message)


def optional() -> validators.Optional:
    return validators.Optional()


def max_length(n: int) -> validators.Length:
    return validators.Length(max=n, message=f"Tối đa {n} ký tự.")


def length(min_: int, max_: int) -> validators.Length:
    return validators.Length(min=min_, max=max_, message=f"Độ dài từ {min_} đến {max_} ký tự.")


def email() -> validators.Regexp:
    return validators.Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Địa chỉ thư điện tử không hợp lệ.")


DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d")


def parse_vn_date(text: str) -> date:
    """Parse dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy and ISO); raise ValueError otherwise."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class VNDateField(DateField):
    """A date typed as dd/mm/yyyy, the way users write it; the typed text is kept on error."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("placeholder", "dd/mm/yyyy")
        super().__init__(label, validators, format="%d/%m/%Y", **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.raw_data = valuelist
        try:
            self.data = parse_vn_date(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy (ví dụ 05/03/2025).") from None

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data else ""


def date_not_before(other_field: str, message: str):
    """Cross-field check: this date is empty or not before `other_field`'s date."""

    def check(form, field: Field):
        other = form[other_field].data
        if field.data and other and field.data < other:
            raise validators.ValidationError(message)

    return check


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
