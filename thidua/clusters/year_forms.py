"""Forms of the yearly cycle: the year and its settings, head and deputy, the covenant, the criteria
table, score sheets (one field per criterion, built from the table) and the suy tôn set-up."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange

from thidua.fields import Form, VNDateField, max_length, optional, options, required

from .models import ClusterCriterion, CriterionKind

NONE = 0


def _unit_options(units, empty: str) -> list[SelectChoice]:
    return [SelectChoice(NONE, empty)] + [SelectChoice(u.id, u.name) for u in units]


class _VoteSettings(Form):
    vote_threshold = StringField("Tỷ lệ phiếu đồng ý tối thiểu khi suy tôn", default="0,5",
                                 validators=[required("Vui lòng nhập tỷ lệ phiếu đồng ý.")],
                                 description="Từ 0 đến 1, tối đa 3 chữ số thập phân: 0,5 là quá nửa số thành viên; "
                                             "0,667 là hai phần ba.")
    flag_count = IntegerField("Số đơn vị đề nghị Cờ thi đua của UBND tỉnh", default=1,
                              validators=[required("Vui lòng nhập số đơn vị."), NumberRange(min=0, message="Không được âm.")],
                              description="Thường là 1 đơn vị dẫn đầu; các đơn vị đồng hạng cùng được đưa ra suy tôn.")
    bk_count = IntegerField("Số đơn vị tiếp theo đề nghị Bằng khen của Chủ tịch UBND tỉnh", default=2,
                            validators=[required("Vui lòng nhập số đơn vị."), NumberRange(min=0, message="Không được âm.")])
    propose_government_flag = BooleanField("Đề nghị đơn vị dẫn đầu xét tặng Cờ thi đua của Chính phủ")

    def settings(self) -> dict:
        return {"vote_threshold": self.vote_threshold.data, "flag_count": self.flag_count.data,
                "bk_count": self.bk_count.data, "propose_government_flag": bool(self.propose_government_flag.data)}


class YearForm(_VoteSettings):
    year = IntegerField("Năm", validators=[required("Vui lòng nhập năm.")])


class YearEditForm(_VoteSettings):
    head_unit_id = SelectField("Đơn vị cụm trưởng (khối trưởng)", coerce=int, validators=[optional()])
    deputy_unit_id = SelectField("Đơn vị cụm phó (khối phó)", coerce=int, validators=[optional()])
    assignment_decision = StringField("Quyết định phân công", validators=[optional(), max_length(255)],
                                      description="Số, ký hiệu văn bản, ví dụ 125/QĐ-UBND.")
    assigned_on = VNDateField("Ngày quyết định", validators=[optional()])

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_unit_id.choices = _unit_options(units, "— Chưa xác định —")
        self.deputy_unit_id.choices = _unit_options(units, "— Chưa xác định —")

    def officers(self) -> dict:
        return {"head_unit_id": self.head_unit_id.data or None, "deputy_unit_id": self.deputy_unit_id.data or None,
                "assignment_decision": self.assignment_decision.data, "assigned_on": self.assigned_on.data}


class CovenantForm(Form):
    covenant_signed_on = VNDateField("Ngày ký giao ước", validators=[optional()])
    covenant_place = StringField("Địa điểm", validators=[optional(), max_length(255)])
    covenant_text = TextAreaField("Nội dung giao ước chung", validators=[optional(), max_length(20000)],
                                  render_kw={"rows": 6})


class CommitmentForm(Form):
    targets = TextAreaField("Chỉ tiêu, nội dung đăng ký giao ước", render_kw={"rows": 6},
                            validators=[required("Vui lòng nhập chỉ tiêu, nội dung đăng ký giao ước."),
                                        max_length(20000)])
    signatory_name = StringField("Họ tên người ký", validators=[optional(), max_length(200)])
    signatory_title = StringField("Chức vụ người ký", validators=[optional(), max_length(200)],
                                  description="Ví dụ: Chủ tịch UBND huyện, Giám đốc Sở.")
    signed_on = VNDateField("Ngày ký", validators=[optional()], description="Để trống khi đơn vị chưa ký.")


class CriterionForm(Form):
    kind = SelectField("Loại", choices=options(CriterionKind), default=CriterionKind.NORMAL.value,
                       description="Điểm thưởng, điểm trừ có giới hạn riêng (điểm tối đa); điểm trừ được trừ vào tổng.")
    parent_id = SelectField("Thuộc nhóm", coerce=int, validators=[optional()])
    code = StringField("Số thứ tự, mã", validators=[required("Vui lòng nhập số thứ tự, mã."), max_length(16)],
                       description="Ví dụ I, 1, 1.2.")
    label = TextAreaField("Nội dung", validators=[required("Vui lòng nhập nội dung tiêu chí."), max_length(500)],
                          render_kw={"rows": 2})
    max_points = StringField("Điểm tối đa (giới hạn)", validators=[required("Vui lòng nhập điểm tối đa.")],
                             description="Với nhóm: tổng điểm tối đa của nhóm (0 là không giới hạn riêng).")
    step = StringField("Bước điểm", default="0,5", validators=[required("Vui lòng nhập bước điểm.")])
    help_text = TextAreaField("Hướng dẫn chấm", validators=[optional(), max_length(5000)], render_kw={"rows": 2})
    position = IntegerField("Thứ tự hiển thị", validators=[optional()])

    def __init__(self, *args, groups: list[ClusterCriterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [SelectChoice(NONE, "— Không thuộc nhóm nào —")] + [
            SelectChoice(g.id, f"{g.code}. {g.label}") for g in groups]

    def values(self) -> dict:
        return {"kind": self.kind.data, "parent_id": self.parent_id.data or None, "code": self.code.data,
                "label": self.label.data, "max_points": self.max_points.data, "step": self.step.data,
                "help_text": self.help_text.data, "position": self.position.data}


class SheetForm(Form):
    comment = TextAreaField("Nhận xét chung", validators=[optional(), max_length(5000)], render_kw={"rows": 3})

    def points(self, criteria) -> dict[int, str]:
        return {c.id: self[f"p{c.id}"].data for c in criteria}

    def notes(self, criteria) -> dict[int, str]:
        return {c.id: self[f"n{c.id}"].data for c in criteria}


def sheet_form(criteria: list[ClusterCriterion], *args, **kwargs) -> SheetForm:
    """A score sheet with a points field ("p<id>") and a note field ("n<id>") per scored criterion."""
    fields = {}
    for c in criteria:
        fields[f"p{c.id}"] = StringField(f"Điểm {c.code}", validators=[optional()],
                                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
        fields[f"n{c.id}"] = StringField(f"Ghi chú {c.code}", validators=[optional(), max_length(1000)])
    return type("BoundSheetForm", (SheetForm,), fields)(*args, **kwargs)


class EvidenceForm(Form):
    file = FileField("Tệp minh chứng (PDF, JPEG, PNG)")
    criterion_id = SelectField("Cho tiêu chí", coerce=int, validators=[optional()])

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion_id.choices = [SelectChoice(NONE, "— Minh chứng chung —")] + [
            SelectChoice(c.id, f"{c.code}. {c.label}"[:120]) for c in criteria]


class VoteForm(Form):
    held_on = VNDateField("Ngày hội nghị", validators=[required("Vui lòng nhập ngày hội nghị.")])
    place = StringField("Địa điểm", validators=[optional(), max_length(255)])

    def representatives(self, units) -> dict[int, int]:
        return {u.id: self[f"rep{u.id}"].data for u in units}


def vote_form(units, choices: dict[int, list[tuple[int, str]]], *args, **kwargs) -> VoteForm:
    """The suy tôn set-up with one representative per member unit ("rep<unit id>"), chosen among its officers."""
    fields = {}
    for u in units:
        fields[f"rep{u.id}"] = SelectField(f"Đại diện {u.name}", coerce=int, validators=[optional()],
                                           choices=[SelectChoice(NONE, "— Chọn người đại diện —")]
                                           + [SelectChoice(uid, name) for uid, name in choices.get(u.id, [])])
    form = type("BoundVoteForm", (VoteForm,), fields)(*args, **kwargs)
    form.unit_fields = [(u, form[f"rep{u.id}"]) for u in units]
    return form

