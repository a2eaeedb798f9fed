"""Excel pages for dossier lists: the import template per award, the import itself (all or nothing,
errors by row and column), and the export of any list with the list page's filters."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectField

from thidua import storage
from thidua.campaigns.models import Campaign
from thidua.extensions import db
from thidua.fields import Form, options, required
from thidua.org.models import Unit
from thidua.permissions import can, is_staff, officer_scope, requires
from thidua.rules.models import AwardType

from . import excel, queries
from .models import NominationStatus

bp = Blueprint("nomination_excel", __name__, url_prefix="/nominations/excel")

XLSX = storage.KINDS["xlsx"][0]


class ImportForm(Form):
    unit_id = SelectField("Đơn vị đề nghị", coerce=int, validators=[required("Vui lòng chọn đơn vị đề nghị.")])
    file = FileField("Tệp Excel (.xlsx)",
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                     description="Dùng tệp mẫu của danh hiệu, hình thức đã chọn; dòng 1 là tiêu đề cột, "
                                 "dữ liệu bắt đầu từ dòng 2.")

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = options(unit_choices)


def _award_types() -> list[AwardType]:
    this_year = date.today().year
    return queries.award_types_for([this_year - 1, this_year])


@bp.get("/template/<int:award_type_id>.xlsx")
@requires("nomination.import")
def template(award_type_id: int):
    award_type = db.get_or_404(AwardType, award_type_id)
    return send_file(io.BytesIO(excel.build_import_template(award_type)), as_attachment=True,
                     download_name=f"mau-de-nghi-{award_type.code.lower()}.xlsx", mimetype=XLSX)


@bp.route("/import", methods=["GET", "POST"])
@requires("nomination.import")
def import_list():
    award_type_id = request.args.get("award_type", type=int)
    if award_type_id is None:
        return render_template("nomination_excel/choose_award.html", award_types=_award_types())
    award_type = db.get_or_404(AwardType, award_type_id)
    scope = officer_scope(current_user)
    form = ImportForm(unit_choices=[(u.id, f"{u.code} – {u.name}") for u in queries.units_in_scope(scope)])
    errors: list[excel.RowError] = []
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            data, _kind = storage.read_upload(form.file.data, kinds={"xlsx"})
            rows, errors = excel.parse_import(data, award_type=award_type, unit=unit, officer_scope_ids=scope)
            if not errors:
                result = excel.import_nominations(rows, unit=unit, award_type=award_type, actor=current_user)
        except (storage.UploadRefused, excel.ImportRefused) as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        except excel.ImportInvalid as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            if errors:
                db.session.rollback()
            else:
                db.session.commit()
                flash(f"Đã tạo {result.created} hồ sơ dự thảo “{award_type.name}” cho {unit.name} "
                      f"({result.people_created} người mới được thêm vào sổ, {result.people_reused} người đã có "
                      "được dùng lại). Kiểm tra, bổ sung tài liệu rồi gửi hồ sơ.", "success")
                return redirect(url_for("nominations.index", award=award_type.code, unit_id=unit.id,
                                        status=NominationStatus.DRAFT.value))
    keys = excel.columns_for(award_type)
    return render_template("nomination_excel/import_list.html", form=form, errors=errors, award_type=award_type,
                           columns=[(excel.HEADERS[k], excel.column_help(award_type)[k]) for k in keys],
                           required={excel.HEADERS[k] for k in excel.required_columns(award_type)})


def filter_labels(filters: queries.Filters) -> list[tuple[str, str]]:
    """The list's filters in words, for the export's second sheet."""
    labels = []
    if filters.status:
        labels.append(("Trạng thái", NominationStatus(filters.status).label))
    if filters.award:
        names = dict(queries.award_codes())
        labels.append(("Danh hiệu, hình thức", names.get(filters.award, filters.award)))
    if filters.year:
        labels.append(("Năm", str(filters.year)))
    if filters.unit_id:
        unit = db.session.get(Unit, filters.unit_id)
        labels.append(("Đơn vị đề nghị", unit.name if unit else str(filters.unit_id)))
    if filters.campaign_id:
        campaign = db.session.get(Campaign, filters.campaign_id)
        labels.append(("Phong trào", campaign.name if campaign else str(filters.campaign_id)))
    return labels


@bp.get("/export.xlsx")
@requires("nomination.export")
def export():
    filters = queries.Filters.from_args(request.args)
    scope = None if is_staff(current_user) else officer_scope(current_user)
    stmt = queries.nominations(filters, scope=scope).execution_options(yield_per=500)
    data = excel.export_nominations(db.session.scalars(stmt), filters=filter_labels(filters) or [("Điều kiện lọc", "Tất cả hồ sơ")],
                                    personal=lambda n: can(current_user, "person.personal_data", n.person))
    return send_file(io.BytesIO(data), as_attachment=True, mimetype=XLSX,
                     download_name=f"danh-sach-ho-so-de-nghi-{date.today():%Y%m%d}.xlsx")

