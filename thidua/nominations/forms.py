"""Forms of the nominations domain. They validate and shape input and never write; query-backed choices
come in as arguments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, ValidationError

from thidua.fields import Form, VNDateField, max_length, optional, options, required
from thidua.registry.models import Gender, NomineeKind, Person, RecognitionLevel, SubjectCategory
from thidua.rules.models import AwardMethod, AwardType, DossierPart

NEW_PERSON = "new"
FIRST_YEAR = 2000


def award_type_options(award_types: list[AwardType]) -> list[SelectChoice]:
    """Award choices grouped by category (titles, forms), each saying whom it is for."""
    subjects = {"individual": "cá nhân", "collective": "tập thể", "household": "hộ gia đình"}
    codes = [t.code for t in award_types]
    choices = [SelectChoice(0, "— Chọn danh hiệu, hình thức khen thưởng —")]
    for t in award_types:
        label = f"{t.name} ({', '.join(subjects[s] for s in t.subjects)})"
        if codes.count(t.code) > 1:  # two versions of one rule: say which
            label += f" – áp dụng từ {t.effective_from:%d/%m/%Y}"
        choices.append(SelectChoice(t.id, label, optgroup=t.category.label))
    return choices


class NominationForm(Form):
    unit_id = SelectField("Đơn vị đề nghị", coerce=int, validators=[required("Vui lòng chọn đơn vị đề nghị.")])
    nominee_kind = SelectField("Đối tượng đề nghị", choices=options(NomineeKind), default=NomineeKind.INDIVIDUAL.value,
                               validators=[required("Vui lòng chọn cá nhân hay tập thể.")])
    # Individual: a person of the registry (id) or NEW_PERSON, picked among the search results.
    person_q = StringField("Tìm người trong sổ", validators=[optional(), max_length(200)],
                           description="Gõ họ tên, có dấu hoặc không dấu (ví dụ: nguyen van an), rồi bấm “Tìm”.")
    person_id = StringField("Người được đề nghị", validators=[optional(), max_length(20)])
    new_full_name = StringField("Họ và tên", validators=[optional(), max_length(200)])
    new_gender = SelectField("Giới tính", choices=options([("", "— Không ghi —"), *Gender.choices()]), default="")
    new_birth_date = VNDateField("Ngày sinh", validators=[optional()])
    new_position = StringField("Chức vụ, chức danh", validators=[optional(), max_length(255)])
    new_unit_id = SelectField("Đơn vị công tác", coerce=int, default=0)
    new_subject_category = SelectField(
        "Đối tượng (biểu thống kê 0602, 0603)", default="",
        choices=options([("", "— Chọn —"), *SubjectCategory.choices()]),
    )
    # Collective: a unit in scope, and whether it is an enterprise or a household.
    nominee_unit_id = SelectField("Tập thể được đề nghị", coerce=int, default=0)
    is_enterprise = BooleanField("Là doanh nghiệp")
    is_household = BooleanField("Là hộ gia đình")
    award_type_id = SelectField("Danh hiệu, hình thức khen thưởng đề nghị", coerce=int,
                                validators=[required("Vui lòng chọn danh hiệu hoặc hình thức khen thưởng.")])
    method = SelectField("Loại khen thưởng", choices=options(AwardMethod), default=AwardMethod.REGULAR.value,
                         validators=[required()],
                         description="Khen đột xuất, theo đợt (chuyên đề) chỉ cần báo cáo tóm tắt thành tích.")
    year = IntegerField("Năm xét", default=lambda: date.today().year,
                        validators=[required("Vui lòng nhập năm xét khen thưởng.")])
    campaign_id = SelectField("Thuộc phong trào thi đua", coerce=int, default=0)
    achievement_summary = TextAreaField(
        "Tóm tắt thành tích", render_kw={"rows": 6},
        validators=[required("Vui lòng tóm tắt thành tích."), max_length(20000)],
    )
    version = HiddenField()

    def __init__(self, *args, units: list[tuple[int, str]], award_types: list[AwardType],
                 campaigns: list[tuple[int, str]], find_person: Callable[[int], Person | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(units)
        self.new_unit_id.choices = options([(0, "— Chọn đơn vị —"), *units])
        self.nominee_unit_id.choices = options([(0, "— Chọn tập thể —"), *units])
        self.award_type_id.choices = award_type_options(award_types)
        self.campaign_id.choices = options([(0, "— Không thuộc phong trào nào —"), *campaigns])
        self._find_person = find_person
        self.person: Person | None = None  # the picked person, once validated
        this_year = date.today().year
        self.year.validators = [*self.year.validators, NumberRange(
            FIRST_YEAR, this_year + 1, message=f"Năm xét phải từ {FIRST_YEAR} đến {this_year + 1}.")]

    @property
    def is_individual(self) -> bool:
        return self.nominee_kind.data != NomineeKind.COLLECTIVE.value

    @property
    def wants_new_person(self) -> bool:
        return self.is_individual and self.person_id.data == NEW_PERSON

    def validate_award_type_id(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn danh hiệu hoặc hình thức khen thưởng.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Cross-field rules: which nominee fields are needed depends on the nominee kind.
        errors: list[tuple] = []
        if not self.is_individual:
            if not self.nominee_unit_id.data:
                errors.append((self.nominee_unit_id, "Vui lòng chọn tập thể được đề nghị."))
        elif self.person_id.data == NEW_PERSON:
            if not self.new_full_name.data:
                errors.append((self.new_full_name, "Vui lòng nhập họ và tên người mới."))
            if not self.new_unit_id.data:
                errors.append((self.new_unit_id, "Vui lòng chọn đơn vị công tác."))
            if not self.new_subject_category.data:
                errors.append((self.new_subject_category, "Vui lòng chọn đối tượng để tổng hợp biểu thống kê."))
        elif not (self.person_id.data or "").isdigit():
            errors.append((self.person_id, "Vui lòng tìm và chọn người được đề nghị, hoặc chọn “Người mới”."))
        else:
            self.person = self._find_person(int(self.person_id.data))
            if self.person is None:
                errors.append((self.person_id, "Người được chọn không có trong sổ của đơn vị bạn."))
        for field, message in errors:
            field.errors = [*field.errors, message]
        return valid and not errors

    def new_person_fields(self) -> dict:
        return {
            "full_name": self.new_full_name.data,
            "gender": Gender(self.new_gender.data) if self.new_gender.data else None,
            "birth_date": self.new_birth_date.data,
            "position": self.new_position.data or None,
            "unit_id": self.new_unit_id.data,
            "subject_category": SubjectCategory(self.new_subject_category.data),
        }


class AttachmentForm(Form):
    part = SelectField("Thành phần hồ sơ", choices=options(DossierPart), validators=[required()])
    file = FileField("Tệp", render_kw={"accept": ".pdf,.docx,.jpg,.jpeg,.png"},
                     description="PDF, Word (.docx), JPEG hoặc PNG; nội dung tệp được kiểm tra khi tải lên.")


class InitiativeForm(Form):
    title = StringField("Tên sáng kiến, đề tài", validators=[required("Vui lòng nhập tên sáng kiến."), max_length(500)])
    is_research = BooleanField("Là đề tài khoa học (đã nghiệm thu)")
    level = SelectField("Cấp công nhận", choices=options(RecognitionLevel), validators=[required()])
    decision_ref = StringField("Quyết định công nhận", validators=[optional(), max_length(255)],
                               description="Số, ký hiệu quyết định, ví dụ: 125/QĐ-SGDĐT")
    recognised_on = VNDateField("Ngày công nhận", validators=[optional()])

    def validate_recognised_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError("Ngày công nhận không được sau hôm nay.")


class LinkInitiativeForm(Form):
    initiative_id = SelectField("Sáng kiến đã có trong sổ", coerce=int,
                                validators=[required("Vui lòng chọn sáng kiến.")])

    def __init__(self, *args, initiatives: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.initiative_id.choices = options(initiatives)


class ActionForm(Form):
    note = TextAreaField("Ý kiến, ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 3})


class BatchForm(Form):
    unit_id = SelectField("Đơn vị trình", coerce=int, validators=[required("Vui lòng chọn đơn vị.")])
    number = StringField("Số tờ trình", validators=[required("Vui lòng nhập số tờ trình."), max_length(64)],
                         description="Ví dụ: 45/TTr-SGDĐT")
    dated_on = VNDateField("Ngày tờ trình", validators=[required("Vui lòng nhập ngày tờ trình.")])
    title = StringField("Trích yếu", validators=[required("Vui lòng nhập trích yếu."), max_length(300)],
                        description="Ví dụ: Về việc đề nghị tặng danh hiệu thi đua năm 2025")

    def __init__(self, *args, units: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(units)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class BatchAddForm(Form):
    nomination_ids = MultiCheckboxField("Hồ sơ đưa vào tờ trình", coerce=int)

    def __init__(self, *args, candidates: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_ids.choices = options(candidates)

    def validate_nomination_ids(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn ít nhất một hồ sơ.")
