"""Forms of the registry. They validate and shape input and never write; query-backed choices are
passed in by the view."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from thidua.fields import Form, VNDateField, date_not_before, max_length, optional, options, required
from thidua.rules.models import AwardMethod

from .models import Gender, Rating, RecognitionLevel, SubjectCategory
from .services import NAME_MAX, POSITION_MAX, national_id_problem, year_problem

NO_UNIT = 0
NOT_USED = 0

# Disciplinary measures (Luật Cán bộ, công chức; Luật Viên chức) and the pending processes during
# which no award may be proposed (Luật TĐKT 2022, Điều 6).
DISCIPLINE_LEVELS = (
    "Khiển trách", "Cảnh cáo", "Hạ bậc lương", "Giáng chức", "Cách chức", "Buộc thôi việc",
    "Đang xem xét kỷ luật", "Đang bị thanh tra, kiểm tra", "Đang bị điều tra",
    "Đang có khiếu nại, tố cáo chưa được xác minh",
)


def _blank(label: str, pairs) -> list:
    return options([("", label), *(pairs.choices() if isinstance(pairs, type) else pairs)])


class PersonForm(Form):
    full_name = StringField("Họ và tên", validators=[required("Vui lòng nhập họ và tên."), max_length(NAME_MAX)])
    gender = SelectField("Giới tính", choices=_blank("— Chưa rõ —", Gender), validators=[optional()])
    birth_date = VNDateField("Ngày sinh", validators=[optional()])
    position = StringField("Chức vụ", validators=[optional(), max_length(POSITION_MAX)],
                           description="Ví dụ: Giáo viên; Phó Trưởng phòng Tổ chức cán bộ.")
    unit_id = SelectField("Đơn vị", coerce=int, validators=[optional()])
    national_id = StringField("Số CMND/CCCD", validators=[optional(), max_length(12)],
                              description="Không bắt buộc; chỉ nhập khi có. Không hiển thị trong danh sách.")
    subject_category = SelectField("Đối tượng (theo biểu thống kê)", choices=_blank("— Chưa xác định —", SubjectCategory),
                                   validators=[optional()],
                                   description="Dùng cho biểu 0602.N, 0603.N (Thông tư 02/2023/TT-BNV).")
    hired_on = VNDateField("Ngày tuyển dụng", validators=[
        optional(), date_not_before("birth_date", "Ngày tuyển dụng không được trước ngày sinh.")],
        description="Dùng để xét điều kiện thời gian công tác (ví dụ Lao động tiên tiến: từ đủ 6 tháng).")
    confirm_duplicate = BooleanField("Tôi đã kiểm tra: đây là người khác, vẫn tạo hồ sơ mới")

    def __init__(self, *args, unit_choices: list[tuple[int, str]], unit_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_required = unit_required
        first = "— Chọn đơn vị —" if unit_required else "— Không thuộc đơn vị nào —"
        self.unit_id.choices = options([(NO_UNIT, first), *unit_choices])
        if unit_required:
            self.unit_id.flags.required = True

    def validate_unit_id(self, field):
        if self.unit_required and not field.data:
            raise ValidationError("Vui lòng chọn đơn vị.")

    def validate_national_id(self, field):
        problem = national_id_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def values(self) -> dict:
        return {
            "full_name": self.full_name.data,
            "gender": self.gender.data or None,
            "birth_date": self.birth_date.data,
            "position": self.position.data or None,
            "unit_id": self.unit_id.data or None,
            "national_id": self.national_id.data or None,
            "subject_category": self.subject_category.data or None,
            "hired_on": self.hired_on.data,
        }


class _YearMixin:
    def validate_year(self, field):
        problem = year_problem(field.data)
        if problem:
            raise ValidationError(problem)


class AwardRecordForm(_YearMixin, Form):
    award_code = SelectField("Danh hiệu, hình thức khen thưởng",
                             validators=[required("Vui lòng chọn danh hiệu, hình thức khen thưởng.")])
    award_name = StringField("Tên ghi trên quyết định", validators=[optional(), max_length(255)],
                             description="Bỏ trống để dùng tên trong danh mục.")
    method = SelectField("Phương thức khen thưởng", choices=options(AwardMethod), validators=[required()])
    year = IntegerField("Năm", validators=[required("Vui lòng nhập năm.")], render_kw={"inputmode": "numeric"})
    decision_number = StringField("Số quyết định", validators=[optional(), max_length(64)],
                                  description="Ví dụ: 123/QĐ-UBND.")
    decision_date = VNDateField("Ngày quyết định", validators=[optional()])
    issuer = StringField("Cơ quan, người ban hành", validators=[optional(), max_length(255)],
                         description="Ghi như trên quyết định, ví dụ: Chủ tịch UBND tỉnh Thanh Hóa.")
    gold_book_number = StringField("Số sổ vàng", validators=[optional(), max_length(32)])
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 2})

    def __init__(self, *args, award_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.award_code.choices = options([("", "— Chọn —"), *award_choices])

    def validate_decision_date(self, field):
        if field.data and self.year.data and field.data.year < self.year.data:
            raise ValidationError("Ngày quyết định không được trước năm được khen thưởng.")

    def values(self) -> dict:
        return {
            "award_code": self.award_code.data,
            "award_name": self.award_name.data or None,
            "method": self.method.data,
            "year": self.year.data,
            "decision_number": self.decision_number.data or None,
            "decision_date": self.decision_date.data,
            "issuer": self.issuer.data or None,
            "gold_book_number": self.gold_book_number.data or None,
            "note": self.note.data or None,
        }


class EvaluationForm(_YearMixin, Form):
    year = IntegerField("Năm", validators=[required("Vui lòng nhập năm.")], render_kw={"inputmode": "numeric"})
    rating = SelectField("Kết quả đánh giá, xếp loại", choices=_blank("— Chọn —", Rating),
                         validators=[required("Vui lòng chọn kết quả đánh giá.")])


class InitiativeForm(Form):
    title = TextAreaField("Tên sáng kiến, đề tài", validators=[required("Vui lòng nhập tên sáng kiến, đề tài."),
                                                              max_length(500)], render_kw={"rows": 2})
    is_research = BooleanField("Là đề tài, đề án khoa học (đã nghiệm thu)")
    level = SelectField("Cấp công nhận", choices=options(RecognitionLevel), validators=[required()])
    recognised_on = VNDateField("Ngày công nhận", validators=[optional()])
    decision_ref = StringField("Quyết định công nhận", validators=[optional(), max_length(255)],
                               description="Số, ký hiệu và ngày, ví dụ: 45/QĐ-SGDĐT ngày 20/5/2024.")
    used_by_award_id = SelectField("Đã dùng làm căn cứ cho khen thưởng", coerce=int, validators=[optional()],
                                   description="Một sáng kiến đã dùng để xét khen thưởng thì không được tính lại.")

    def __init__(self, *args, award_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.used_by_award_id.choices = options([(NOT_USED, "— Chưa dùng —"), *award_choices])

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "is_research": self.is_research.data,
            "level": self.level.data,
            "recognised_on": self.recognised_on.data,
            "decision_ref": self.decision_ref.data or None,
            "used_by_award_id": self.used_by_award_id.data or None,
        }


class DisciplineForm(Form):
    level = SelectField("Hình thức kỷ luật, tình trạng", validators=[required("Vui lòng chọn hình thức kỷ luật.")])
    starts_on = VNDateField("Từ ngày", validators=[required("Vui lòng nhập ngày bắt đầu.")])
    ends_on = VNDateField("Đến ngày", validators=[
        optional(), date_not_before("starts_on", "Ngày kết thúc không được trước ngày bắt đầu.")],
        description="Bỏ trống khi thời hạn kỷ luật chưa hết hoặc vụ việc đang được xem xét.")
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(5000)], render_kw={"rows": 2})

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        levels = list(DISCIPLINE_LEVELS)
        if current and current not in levels:
            levels.append(current)  # a value entered elsewhere stays selectable
        self.level.choices = options([("", "— Chọn —"), *((x, x) for x in levels)])

    def values(self) -> dict:
        return {"level": self.level.data, "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                "note": self.note.data or None}


class ImportForm(Form):
    file = FileField("Tệp Excel (.xlsx)",
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                     description="Dùng tệp mẫu; dòng 1 là tiêu đề cột, dữ liệu bắt đầu từ dòng 2.")
