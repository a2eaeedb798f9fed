"""Forms of upward proposals: the tờ trình (header and list) and each tracking step."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Regexp, ValidationError

from thidua.fields import Form, MultiCheckboxField, VNDateField, max_length, optional, options, required

from .models import ProposalItem, ProposalOutcome
from .proposals import DECISION_NUMBER_MAX, NAME_MAX, NUMBER_RE, RECIPIENTS, REFERENCE_MAX, TITLE_MAX

_NUMBER_MESSAGE = "Số tờ trình không đúng dạng, ví dụ “123/TTr-UBND”."


class ProposalForm(Form):
    number = StringField("Số tờ trình", validators=[optional(), max_length(64), Regexp(NUMBER_RE, message=_NUMBER_MESSAGE)],
                         description="Ví dụ: 123/TTr-UBND. Có thể để trống khi còn dự thảo; bắt buộc khi trình.")
    dated_on = VNDateField("Ngày tờ trình", validators=[optional()],
                           description="Có thể để trống khi còn dự thảo; bắt buộc khi trình.")
    title = StringField("Trích yếu", validators=[required("Vui lòng nhập trích yếu của tờ trình."),
                                                 max_length(TITLE_MAX)])
    recipient = SelectField("Kính gửi", choices=options((r, r) for r in RECIPIENTS))
    signer_title = TextAreaField("Chức danh người ký", validators=[optional(), max_length(NAME_MAX)],
                                 render_kw={"rows": 2},
                                 description="Mỗi dòng in một dòng, ví dụ “KT. CHỦ TỊCH” rồi “PHÓ CHỦ TỊCH”.")
    signer_name = StringField("Họ và tên người ký", validators=[optional(), max_length(NAME_MAX)])
    nomination_ids = MultiCheckboxField("Hồ sơ đề nghị (tập thể trước, cá nhân sau; theo đơn vị trình và tên)",
                                        coerce=int)

    def __init__(self, *args, candidate_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.nomination_ids.choices = options(candidate_choices)

    def validate_nomination_ids(self, field):
        if not field.data:
            raise ValidationError("Vui lòng chọn ít nhất một hồ sơ để đề nghị.")

    def values(self) -> dict:
        return {"number": self.number.data or None, "dated_on": self.dated_on.data, "title": self.title.data,
                "recipient": self.recipient.data, "signer_title": self.signer_title.data or None,
                "signer_name": self.signer_name.data or None, "nomination_ids": self.nomination_ids.data}


class SubmitForm(Form):
    submitted_on = VNDateField("Ngày trình", validators=[required("Vui lòng nhập ngày trình.")])
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(2000)], render_kw={"rows": 3},
                         description="Ví dụ: gửi qua Hệ thống quản lý văn bản và điều hành, kèm hồ sơ điện tử.")


class ReturnForm(Form):
    note = TextAreaField("Nội dung Trung ương yêu cầu bổ sung, hoàn thiện", render_kw={"rows": 4},
                         validators=[required("Vui lòng ghi rõ nội dung Trung ương yêu cầu bổ sung, hoàn thiện."),
                                     max_length(2000)])


class ReferenceForm(Form):
    reference = StringField("Số tiếp nhận, số văn bản của Trung ương",
                            validators=[required("Vui lòng nhập số tiếp nhận, số văn bản của Trung ương."),
                                        max_length(REFERENCE_MAX)],
                            description="Ví dụ: số phiếu tiếp nhận hồ sơ của Ban Thi đua - Khen thưởng Trung ương.")
    note = TextAreaField("Ghi chú", validators=[optional(), max_length(2000)], render_kw={"rows": 2})


_OUTCOMES = [("", "— Chọn kết quả —"), (ProposalOutcome.AWARDED.value, ProposalOutcome.AWARDED.label),
             (ProposalOutcome.DECLINED.value, ProposalOutcome.DECLINED.label)]


class DecisionForm(Form):
    """The central decision; one outcome and note field per item is added by `decision_form`."""

    number = StringField("Số quyết định", validators=[required("Vui lòng nhập số quyết định khen thưởng."),
                                                      max_length(DECISION_NUMBER_MAX)],
                         description="Ví dụ: 1234/QĐ-TTg.")
    decided_on = VNDateField("Ngày quyết định", validators=[required("Vui lòng nhập ngày quyết định.")])
    issuer = SelectField("Cấp quyết định", choices=options((r, r) for r in RECIPIENTS))

    item_ids: list[int] = []

    def outcome_fields(self):
        """(item id, outcome field, note field) for each item, in list order."""
        return [(i, self[f"outcome_{i}"], self[f"note_{i}"]) for i in self.item_ids]

    def outcomes(self) -> dict[int, tuple[str, str | None]]:
        return {i: (outcome.data, note.data or None) for i, outcome, note in self.outcome_fields()}


def decision_form(items: list[ProposalItem], *args, **kwargs) -> DecisionForm:
    """A DecisionForm with an outcome (required) and a note per item."""
    fields = {"item_ids": [it.id for it in items]}
    for it in items:
        fields[f"outcome_{it.id}"] = SelectField(
            f"Kết quả: {it.nomination.nominee_name}", choices=options(_OUTCOMES),
            validators=[required(f"Vui lòng chọn kết quả cho “{it.nomination.nominee_name}”.")])
        fields[f"note_{it.id}"] = StringField(f"Ghi chú: {it.nomination.nominee_name}",
                                              validators=[optional(), max_length(500)])
    return type("ItemsDecisionForm", (DecisionForm,), fields)(*args, **kwargs)
