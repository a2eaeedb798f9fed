"""Award decisions: the listing, drafts built from approved dossiers and edited item by item, issuing
with the number and signer, the issued decision with its annex, and revocation of one award."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from thidua.exports import col, xlsx_response
from thidua.extensions import db, get_in_or_404
from thidua.fields import parse_vn_date
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, requires
from thidua.rules.models import AwardLevel, AwardMethod, AwardType

from . import queries, services
from .forms import AddItemsForm, DraftForm, HeaderForm, IssueForm, ItemForm, RevokeForm
from .fund import balance_after
from .models import Decision, DecisionItem, DecisionStatus

bp = Blueprint("awards", __name__, url_prefix="/decisions")


def _show_error(form, exc: services.DecisionError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _issuer_choices(award_type: AwardType) -> list[tuple[int, str]]:
    """Only the province issues provincial titles and forms; any unit its own Giấy khen."""
    root = queries.root_province()
    if award_type.level == AwardLevel.PROVINCE:
        return [(root.id, root.name)] if root else []
    return unit_choices()


def _dossier_choices(nominations) -> list[tuple[int, str]]:
    return [(n.id, f"{n.nominee_name} ({n.nominee_kind.label.lower()}) – đề nghị của {n.unit.name}")
            for n in nominations]


def _filters() -> dict:
    return {"session_id": request.args.get("session", type=int), "unit_id": request.args.get("unit", type=int)}


def _after_edit(decision: Decision):
    return redirect(url_for("awards.detail", decision_id=decision.id))


# --- listing ---------------------------------------------------------------------------------------

@bp.get("/")
@requires("decision.list")
def index():
    filters = queries.DecisionFilters.from_args(request.args)
    page = db.paginate(queries.decisions(filters), per_page=queries.PER_PAGE, error_out=False)
    return render_template("awards/index.html", page=page, filters=filters, statuses=list(DecisionStatus),
                           counts=queries.item_counts([d.id for d in page.items]),
                           award_types=queries.decidable_award_types())


@bp.get("/export.xlsx")
@requires("decision.list")
def index_xlsx():
    filters = queries.DecisionFilters.from_args(request.args)
    decisions = db.session.scalars(queries.decisions(filters)).all()
    counts = queries.item_counts([d.id for d in decisions])
    names = dict((t.code, t.name) for t in queries.decidable_award_types())
    rows = ([d.number or "Dự thảo", d.signed_on, d.subject, d.issuer_unit.name, d.award_type.name, d.year,
             counts.get(d.id, 0), d.total_amount if d.is_issued else None, d.status] for d in decisions)
    return xlsx_response("danh-sach-quyet-dinh-khen-thuong", "Danh sách quyết định khen thưởng",
                         [col("Số quyết định"), col("Ngày ký", "date"), col("Trích yếu"), col("Cơ quan ban hành"),
                          col("Danh hiệu, hình thức"), col("Năm", "int"), col("Số người, tập thể", "int"),
                          col("Tiền thưởng (đồng)", "money"), col("Trạng thái")], rows,
                         filters={"Trạng thái": filters.status, "Năm khen thưởng": filters.year,
                                  "Danh hiệu, hình thức": names.get(filters.award_code, filters.award_code)})


# --- drafts ----------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@requires("decision.create")
def create():
    award_type_id = request.args.get("award_type", type=int)
    if award_type_id is None:
        return render_template("awards/choose_award.html", award_types=queries.decidable_award_types(),
                               counts=queries.approved_counts())
    award_type = db.get_or_404(AwardType, award_type_id)
    filters = _filters()
    dossiers = queries.approved_dossiers(award_type.code, **filters)
    form = DraftForm(unit_choices=_issuer_choices(award_type), dossier_choices=_dossier_choices(dossiers))
    if request.method == "GET":
        root = queries.root_province()
        form.issuer_unit_id.data = root.id if root else None
        form.method.data = AwardMethod.REGULAR.value
        form.year.data = services.local_today().year - 1
        form.nomination_ids.data = [n.id for n in dossiers]
    if form.validate_on_submit():
        try:
            decision = services.create_draft(
                award_type=award_type, issuer_unit=db.get_or_404(Unit, form.issuer_unit_id.data),
                nomination_ids=form.nomination_ids.data, session_id=filters["session_id"], actor=current_user,
                **form.header())
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lập dự thảo quyết định với {len(decision.items)} người, tập thể.", "success")
            return _after_edit(decision)
    return render_template("awards/create.html", form=form, award_type=award_type, filters=filters,
                           sessions=queries.session_choices(award_type.code),
                           units=queries.nominating_unit_choices(award_type.code), has_dossiers=bool(dossiers))


@bp.get("/<int:decision_id>")
def detail(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("decision.view", decision)
    day, day_error = services.local_today(), None
    if not decision.is_issued and request.args.get("on"):
        try:
            day = parse_vn_date(request.args["on"])
        except ValueError:
            day_error = "Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy (ví dụ 05/03/2025)."
    return render_template("awards/detail.html", decision=decision, totals=services.totals(decision, day),
                           day_error=day_error, on=request.args.get("on", ""))


@bp.route("/<int:decision_id>/edit", methods=["GET", "POST"])
def edit(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("decision.edit", decision)
    form = HeaderForm(obj=decision, unit_choices=_issuer_choices(decision.award_type))
    if request.method == "GET":
        form.method.data = decision.method.value
    if form.validate_on_submit():
        try:
            services.update_draft(decision, issuer_unit=db.get_or_404(Unit, form.issuer_unit_id.data), **form.header())
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Đã lưu thông tin chung của dự thảo.", "success")
            return _after_edit(decision)
    return render_template("awards/edit.html", form=form, decision=decision)


@bp.route("/<int:decision_id>/items/add", methods=["GET", "POST"])
def add_items(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("decision.edit", decision)
    filters = _filters()
    dossiers = queries.approved_dossiers(decision.award_type.code, **filters)
    form = AddItemsForm(dossier_choices=_dossier_choices(dossiers))
    if form.validate_on_submit():
        try:
            added = services.add_items(decision, nomination_ids=form.nomination_ids.data)
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm {len(added)} người, tập thể vào dự thảo.", "success")
            return _after_edit(decision)
    return render_template("awards/add_items.html", form=form, decision=decision, filters=filters,
                           sessions=queries.session_choices(decision.award_type.code),
                           units=queries.nominating_unit_choices(decision.award_type.code), has_dossiers=bool(dossiers))


@bp.route("/<int:decision_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(decision_id: int, item_id: int):
    item = get_in_or_404(DecisionItem, item_id, decision_id=decision_id)
    authorize("decision.edit", item.decision)
    form = ItemForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_item(item, awardee_name=form.awardee_name.data, awardee_detail=form.awardee_detail.data,
                                 achievement=form.achievement.data)
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu dòng số {item.position}: {item.awardee_name}.", "success")
            return _after_edit(item.decision)
    return render_template("awards/edit_item.html", form=form, item=item, decision=item.decision)


@bp.post("/<int:decision_id>/items/<int:item_id>/move")
def move_item(decision_id: int, item_id: int):
    item = get_in_or_404(DecisionItem, item_id, decision_id=decision_id)
    authorize("decision.edit", item.decision)
    try:
        services.move_item(item, up=request.form.get("direction") != "down")
    except services.DecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for("awards.detail", decision_id=decision_id, _anchor=f"item-{item_id}"))


@bp.post("/<int:decision_id>/items/<int:item_id>/remove")
def remove_item(decision_id: int, item_id: int):
    item = get_in_or_404(DecisionItem, item_id, decision_id=decision_id)
    authorize("decision.edit", item.decision)
    name = item.awardee_name
    try:
        services.remove_item(item)
    except services.DecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Đã bỏ “{name}” khỏi dự thảo; hồ sơ có thể đưa vào quyết định khác.", "success")
    return redirect(url_for("awards.detail", decision_id=decision_id))


# --- issuing and revocation ------------------------------------------------------------------------

@bp.route("/<int:decision_id>/issue", methods=["GET", "POST"])
def issue(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    authorize("decision.issue", decision)
    form = IssueForm()
    if form.validate_on_submit():
        try:
            services.issue_decision(decision, actor=current_user, **form.values())
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã ban hành Quyết định số {decision.number}: {len(decision.items)} người, tập thể; "
                  f"tổng tiền thưởng {decision.total_amount:,} đồng.".replace(",", "."), "success")
            return _after_edit(decision)
    return render_template("awards/issue.html", form=form, decision=decision, fund=balance_after(decision),
                           totals=services.totals(decision, form.signed_on.data or services.local_today()))


@bp.route("/<int:decision_id>/items/<int:item_id>/revoke", methods=["GET", "POST"])
def revoke(decision_id: int, item_id: int):
    item = get_in_or_404(DecisionItem, item_id, decision_id=decision_id)
    authorize("award.revoke", item)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_item(item, actor=current_user, **form.values())
        except services.DecisionError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thu hồi khen thưởng của {item.awardee_name} theo Quyết định số {item.revocation_number}.",
                  "success")
            return redirect(url_for("awards.detail", decision_id=decision_id, _anchor=f"item-{item.id}"))
    return render_template("awards/revoke.html", form=form, item=item, decision=item.decision)
