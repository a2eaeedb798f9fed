from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, ValidationError

from thidua.fields import Form, MultiCheckboxField, email, length, max_length, optional, options, required

from . import passwords
from .models import Role


class LoginForm(Form):
    username = StringField("Tên đăng nhập", validators=[required("Vui lòng nhập tên đăng nhập."), max_length(64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Mật khẩu", validators=[required("Vui lòng nhập mật khẩu.")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Ghi nhớ đăng nhập trên máy này")


class ChangePasswordForm(Form):
    current = PasswordField("Mật khẩu hiện tại", validators=[required()], render_kw={"autocomplete": "current-password"})
    new = PasswordField("Mật khẩu mới", validators=[required(), max_length(passwords.MAX_LENGTH)],
                        render_kw={"autocomplete": "new-password"}, description=passwords.hint())
    confirm = PasswordField("Nhập lại mật khẩu mới",
                            validators=[required(), EqualTo("new", message="Hai mật khẩu mới không khớp.")],
                            render_kw={"autocomplete": "new-password"})


STAFF_ROLES = [(r.value, r.label) for r in Role if r != Role.UNIT_OFFICER]


class UserForm(Form):
    username = StringField("Tên đăng nhập", validators=[required(), length(3, 64)])
    full_name = StringField("Họ và tên", validators=[required(), max_length(200)])
    email = StringField("Thư điện tử", validators=[optional(), email(), max_length(254)])
    roles = MultiCheckboxField("Vai trò", choices=options(STAFF_ROLES))
    officer_unit_id = SelectField("Cán bộ của đơn vị", coerce=int,
                                  description="Chọn đơn vị nếu người dùng là cán bộ đơn vị (làm việc cho đơn vị này và các đơn vị cấp dưới).")
    active = BooleanField("Đang hoạt động", default=True)
    password = PasswordField("Mật khẩu", validators=[optional(), max_length(passwords.MAX_LENGTH)],
                             render_kw={"autocomplete": "new-password"},
                             description="Bỏ trống khi sửa nếu không đổi mật khẩu. Người dùng phải đổi mật khẩu "
                                         "này ở lần đăng nhập tới. " + passwords.hint())

    def __init__(self, *args, unit_choices: list[tuple[int, str]], creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.officer_unit_id.choices = options([(0, "— Không phải cán bộ đơn vị —"), *unit_choices])
        self.creating = creating
        if creating:
            self.password.validators = [required("Vui lòng đặt mật khẩu ban đầu."), max_length(passwords.MAX_LENGTH)]
        else:
            self.username.render_kw = {"readonly": True}

    def validate_roles(self, field):
        if not field.data and not self.officer_unit_id.data:
            raise ValidationError("Người dùng phải có ít nhất một vai trò.")

    def role_pairs(self) -> list[tuple[Role, int | None]]:
        pairs: list[tuple[Role, int | None]] = [(Role(r), None) for r in self.roles.data or []]
        if self.officer_unit_id.data:
            pairs.append((Role.UNIT_OFFICER, self.officer_unit_id.data))
        return pairs


class ForgotPasswordForm(Form):
    login = StringField("Tên đăng nhập hoặc thư điện tử",
                        validators=[required("Vui lòng nhập tên đăng nhập hoặc địa chỉ thư điện tử."), max_length(254)],
                        render_kw={"autocomplete": "username", "autofocus": True})


class ResetPasswordForm(Form):
    new = PasswordField("Mật khẩu mới", validators=[required(), max_length(passwords.MAX_LENGTH)],
                        render_kw={"autocomplete": "new-password", "autofocus": True}, description=passwords.hint())
    confirm = PasswordField("Nhập lại mật khẩu mới",
                            validators=[required(), EqualTo("new", message="Hai mật khẩu mới không khớp.")],
                            render_kw={"autocomplete": "new-password"})


class SecondFactorForm(Form):
    code = StringField("Mã xác thực", validators=[required("Vui lòng nhập mã xác thực."), max_length(32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
                       description="Mã 6 chữ số trên ứng dụng xác thực của bạn, hoặc một mã khôi phục.")


class EnableTwoFactorForm(Form):
    code = StringField("Mã trên ứng dụng", validators=[required("Vui lòng nhập mã 6 chữ số."), max_length(32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class DisableTwoFactorForm(Form):
    password = PasswordField("Mật khẩu", validators=[required("Vui lòng nhập mật khẩu.")],
                             render_kw={"autocomplete": "current-password"})
    code = StringField("Mã trên ứng dụng hoặc mã khôi phục", validators=[required("Vui lòng nhập mã."), max_length(32)],
                       render_kw={"autocomplete": "one-time-code"})


class RecoveryCodesForm(Form):
    password = PasswordField("Mật khẩu", validators=[required("Vui lòng nhập mật khẩu.")],
                             render_kw={"autocomplete": "current-password"})
