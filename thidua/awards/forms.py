from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from thidua.fields import Form, MultiCheckboxField, VNDateField, max_length, optional, options, required
from thidua.rules.models import AwardMethod

from .services import NUMBER_HELP, NUMBER_RE

NONE = 0
# The two usual signature blocks of a provincial decision; anything else is typed.
# (The choice values are keys: a browser would send a newline inside an option's value as CR LF.)
SIGNER_TITLES = {"chairman": "CHỦ TỊCH", "vice_chairman": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"}
OTHER = "other"

_year = [required("Vui lòng nhập năm khen thưởng."),
         NumberRange(min=2000, max=2100, message="Năm từ 2000 đến 2100.")]


class _HeaderForm(Form):
    issuer_unit_id = SelectField("Cơ quan ban hành", coerce=int, validators=[required("Vui lòng chọn cơ quan ban hành.")],
                                 description="Bằng khen, danh hiệu cấp tỉnh do UBND tỉnh ban hành; Giấy khen do "
                                             "thủ trưởng đơn vị ban hành.")
    issuer_title = StringField("Chức danh người đứng đầu (in trên Bằng khen, Giấy khen)",
                               validators=[optional(), max_length(255)],
                               description="Bỏ trống để dùng mặc định, ví dụ “CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH "
                                           "THANH HÓA”, “GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO”.")
    method = SelectField("Hình thức xét", choices=options(AwardMethod), validators=[required()])
    year = IntegerField("Năm khen thưởng (năm của thành tích)", validators=_year)
    subject = StringField("Trích yếu", validators=[optional(), max_length(500)],
                          description="Bỏ trống để dùng “Về việc tặng …”.")
    achievement_default = TextAreaField("Thành tích mặc định", validators=[optional(), max_length(2000)],
                                        render_kw={"rows": 2},
                                        description="Dùng cho người, tập thể có tóm tắt thành tích dài hơn 200 ký tự.")

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.issuer_unit_id.choices = options(unit_choices)

    def header(self) -> dict:
        return {"issuer_title": self.issuer_title.data, "method": self.method.data, "year": self.year.data,
                "subject": self.subject.data, "achievement_default": self.achievement_default.data}


class DraftForm(_HeaderForm):
    """A new draft: the header and the checklist of approved dossiers (all checked by default)."""

    nomination_ids = MultiCheckboxField("Hồ sơ đã được Hội đồng thông qua", coerce=int)

    def __init__(self, *args, dossier_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_ids.choices = options(dossier_choices)

    def validate_nomination_ids(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn ít nhất một hồ sơ.")


class HeaderForm(_HeaderForm):
    subject = StringField("Trích yếu", validators=[required("Vui lòng nhập trích yếu."), max_length(500)])
    achievement_default = TextAreaField("Thành tích mặc định", validators=[
        required("Vui lòng nhập thành tích mặc định."), max_length(2000)], render_kw={"rows": 2})
    place = StringField("Địa danh", validators=[required("Vui lòng nhập địa danh."), max_length(100)],
                        description="In ở dòng “Thanh Hóa, ngày … tháng … năm …”.")
    preamble = TextAreaField("Các căn cứ", validators=[optional(), max_length(5000)], render_kw={"rows": 4},
                             description="Mỗi căn cứ một dòng, ví dụ “Căn cứ Luật Thi đua, khen thưởng ngày "
                                         "15 tháng 6 năm 2022;”.")

    def header(self) -> dict:
        return {**super().header(), "place": self.place.data, "preamble": self.preamble.data}


class AddItemsForm(Form):
    nomination_ids = MultiCheckboxField("Hồ sơ đã được Hội đồng thông qua", coerce=int)

    def __init__(self, *args, dossier_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_ids.choices = options(dossier_choices)

    def validate_nomination_ids(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn ít nhất một hồ sơ.")


class ItemForm(Form):
    awardee_name = StringField("Tên in trên quyết định", validators=[
        required("Vui lòng nhập tên người, tập thể được khen thưởng."), max_length(255)])
    awardee_detail = StringField("Chức vụ, đơn vị", validators=[optional(), max_length(500)],
                                 description="Ví dụ: Giáo viên Hóa học, Trường THPT Hàm Rồng.")
    achievement = TextAreaField("Thành tích", validators=[required("Vui lòng nhập thành tích."), max_length(2000)],
                                render_kw={"rows": 3})


def _official_number(form, field):
    if field.data and not NUMBER_RE.match(field.data):
        raise ValidationError(NUMBER_HELP)


class IssueForm(Form):
    number = StringField("Số quyết định", validators=[required("Vui lòng nhập số quyết định, ví dụ 1234/QĐ-UBND."),
                                                      max_length(64), _official_number],
                         description="Theo sổ văn thư, ví dụ 1234/QĐ-UBND.")
    signed_on = VNDateField("Ngày ký", validators=[required("Vui lòng nhập ngày ký.")])
    signer_name = StringField("Họ tên người ký", validators=[required("Vui lòng nhập họ tên người ký."),
                                                             max_length(200)])
    signer_choice = SelectField("Chức vụ người ký", choices=options([
        *((key, title.replace("\n", " / ")) for key, title in SIGNER_TITLES.items()), (OTHER, "Khác (nhập bên dưới)")]))
    signer_other = StringField("Chức vụ khác", validators=[optional(), max_length(200)],
                               description="Ví dụ: GIÁM ĐỐC; KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC (dùng “/” để xuống dòng).")

    def validate_signer_other(self, field):
        if self.signer_choice.data == OTHER and not field.data:
            raise ValidationError("Vui lòng nhập chức vụ người ký.")

    def signer_title(self) -> str:
        if self.signer_choice.data == OTHER:
            return "\n".join(part.strip() for part in self.signer_other.data.split("/") if part.strip())
        return SIGNER_TITLES[self.signer_choice.data]

    def values(self) -> dict:
        return {"number": self.number.data, "signed_on": self.signed_on.data, "signer_name": self.signer_name.data,
                "signer_title": self.signer_title()}


class RevokeForm(Form):
    number = StringField("Số quyết định thu hồi", validators=[
        required("Vui lòng nhập số quyết định thu hồi."), max_length(64), _official_number])
    dated_on = VNDateField("Ngày quyết định thu hồi", validators=[required("Vui lòng nhập ngày quyết định thu hồi.")])
    reason = TextAreaField("Lý do thu hồi", validators=[required("Vui lòng ghi rõ lý do thu hồi."), max_length(2000)],
                           render_kw={"rows": 3})

    def values(self) -> dict:
        return {"number": self.number.data, "dated_on": self.dated_on.data, "reason": self.reason.data}
