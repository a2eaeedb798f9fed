from __future__ import annotations

import io
from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from thidua import storage
from thidua.exports import col, xlsx_response
from thidua.extensions import db
from thidua.permissions import authorize, requires
from thidua.text import fold, vi_text_key

from . import importer, services
from .forms import NO_PARENT, ImportForm, SuccessionForm, UnitForm
from .models import Unit, UnitKind, UnitSuccession
from .queries import ancestor_ids, lineage_ids, unit_choices

bp = Blueprint("org", __name__, url_prefix="/units")

_CURRENT = Unit.valid_to.is_(None) | (Unit.valid_to >= sa.func.current_date())


def _list_query(args) -> tuple[dict, sa.Select | None]:
    """The unit list's filters, and the statement of the search results when a name or a kind is asked
    (None means the whole tree is shown) — for the page and its Excel export."""
    q = (args.get("q") or "").strip()
    kind = args.get("kind") or ""
    include_ended = args.get("all") == "1"
    kind = kind if kind in {k.value for k in UnitKind} else ""
    filters = {"q": q, "kind": kind, "all": "1" if include_ended else ""}
    if not (q or kind):
        return filters, None
    stmt = sa.select(Unit).options(sa.orm.joinedload(Unit.parent)).order_by(Unit.name_folded, Unit.code)
    if q:
        stmt = stmt.where(Unit.name_folded.contains(fold(q), autoescape=True)
                          | sa.func.lower(Unit.code).contains(q.lower(), autoescape=True))
    if kind:
        stmt = stmt.where(Unit.kind == UnitKind(kind))
    if not include_ended:
        stmt = stmt.where(_CURRENT)
    return filters, stmt


def _tree(*, include_ended: bool) -> tuple[dict[int | None, list[Unit]], int]:
    """The units grouped under their parent (None: the top), siblings in Vietnamese order, and their count."""
    stmt = sa.select(Unit)
    if not include_ended:
        stmt = stmt.where(_CURRENT)
    units = db.session.scalars(stmt).all()
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        # A unit whose parent is hidden (ended) is shown at the top rather than lost.
        children[u.parent_id if u.parent_id in ids else None].append(u)
    for siblings in children.values():
        siblings.sort(key=lambda u: (vi_text_key(u.name), u.code))
    return children, len(units)


@bp.get("/")
@requires("unit.view")
def index():
    filters, stmt = _list_query(request.args)
    if stmt is not None:
        page = db.paginate(stmt, per_page=50, error_out=False)
        return render_template("org/index.html", page=page, roots=None, children=None, kinds=list(UnitKind),
                               filters=filters)
    children, total = _tree(include_ended=bool(filters["all"]))
    return render_template("org/index.html", page=None, roots=children[None], children=children,
                           kinds=list(UnitKind), filters=filters, total=total)


@bp.get("/export.xlsx")
@requires("unit.view")
def index_xlsx():
    filters, stmt = _list_query(request.args)
    if stmt is not None:
        units = db.session.scalars(stmt).all()
    else:  # the tree, depth first as the page draws it
        children, _ = _tree(include_ended=bool(filters["all"]))
        units, stack = [], list(reversed(children[None]))
        while stack:
            unit = stack.pop()
            units.append(unit)
            stack.extend(reversed(children.get(unit.id, [])))
    rows = ([u.code, u.name, u.kind, u.parent.name if u.parent else None, u.valid_from, u.valid_to, u.address]
            for u in units)
    return xlsx_response("danh-sach-don-vi", "Danh sách đơn vị",
                         [col("Mã đơn vị"), col("Tên đơn vị"), col("Loại"), col("Đơn vị cấp trên"),
                          col("Hiệu lực từ", "date"), col("Hết hiệu lực", "date"), col("Địa chỉ")], rows,
                         filters={"Tên hoặc mã": filters["q"],
                                  "Loại đơn vị": UnitKind(filters["kind"]) if filters["kind"] else None,
                                  "Gồm cả đơn vị đã hết hiệu lực": "Có" if filters["all"] else None})


@bp.get("/<int:unit_id>")
def detail(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("unit.view", unit)
    ancestors = [db.session.get(Unit, i) for i in reversed(ancestor_ids(unit.id))]
    children = sorted(unit.children, key=lambda u: (not u.is_current, vi_text_key(u.name), u.code))
    direct = {u.id for u in unit.predecessors}
    earlier = lineage_ids(unit.id) - direct - {unit.id}
    lineage = db.session.scalars(sa.select(Unit).where(Unit.id.in_(earlier)).order_by(Unit.code)).all() if earlier else []
    return render_template("org/detail.html", unit=unit, ancestors=ancestors, children=children, lineage=lineage)


def _parent_choices() -> list[tuple[int, str]]:
    current = set(dict(unit_choices()))
    return [(uid, text if uid in current else f"{text} (hết hiệu lực)") for uid, text in unit_choices(current_only=False)]


@bp.route("/new", methods=["GET", "POST"])
@requires("unit.manage")
def create():
    form = UnitForm(parent_choices=_parent_choices())
    if request.method == "GET":
        form.parent_id.data = request.args.get("parent", NO_PARENT, type=int)
    if form.validate_on_submit():
        try:
            unit = services.create_unit(**form.values())
        except services.OrgError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm đơn vị “{unit.name}”.", "success")
            return redirect(url_for("org.detail", unit_id=unit.id))
    return render_template("org/form.html", form=form, unit=None)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
def edit(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("unit.manage", unit)
    form = UnitForm(obj=unit, parent_choices=_parent_choices())
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or NO_PARENT
    if form.validate_on_submit():
        try:
            services.update_unit(unit, **form.values())
        except services.OrgError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu đơn vị “{unit.name}”.", "success")
            return redirect(url_for("org.detail", unit_id=unit.id))
    return render_template("org/form.html", form=form, unit=unit)


def _show_error(form, exc: services.OrgError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


@bp.route("/<int:unit_id>/successions/new", methods=["GET", "POST"])
def add_succession(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    authorize("unit.manage", unit)
    form = SuccessionForm(unit_choices=[c for c in _parent_choices() if c[0] != unit.id])
    if request.method == "GET":
        form.relation.data = request.args.get("relation", "successor")
    if form.validate_on_submit():
        other = db.session.get(Unit, form.other_unit_id.data)
        predecessor, successor = (unit, other) if form.relation.data == "successor" else (other, unit)
        try:
            services.add_succession(predecessor, successor, effective_on=form.effective_on.data,
                                    partial=form.partial.data, note=form.note.data)
        except services.OrgError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã ghi nhận “{successor.name}” kế thừa “{predecessor.name}”.", "success")
            return redirect(url_for("org.detail", unit_id=unit.id))
    return render_template("org/add_succession.html", form=form, unit=unit)


@bp.post("/<int:unit_id>/successions/<int:link_id>/delete")
def remove_succession(unit_id: int, link_id: int):
    link = db.get_or_404(UnitSuccession, link_id)
    if unit_id not in (link.predecessor_id, link.successor_id):
        abort(404)
    authorize("unit.manage", link)
    services.remove_succession(link)
    db.session.commit()
    flash("Đã xóa quan hệ kế thừa.", "success")
    return redirect(url_for("org.detail", unit_id=unit_id))


@bp.route("/import", methods=["GET", "POST"])
@requires("unit.manage")
def import_units():
    form = ImportForm()
    errors: list[importer.RowError] = []
    if form.validate_on_submit():
        try:
            data, _kind = storage.read_upload(form.file.data, kinds={"xlsx"})
            result = importer.import_units(data)
        except (storage.UploadRefused, importer.ImportRefused) as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        except importer.ImportInvalid as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(f"Đã nhập {result.created} đơn vị mới, cập nhật {result.updated} đơn vị.", "success")
            return redirect(url_for("org.index"))
    return render_template("org/import.html", form=form, errors=errors, columns=importer.COLUMNS,
                           help=importer.HELP, required=importer.REQUIRED_COLUMNS)


@bp.get("/import/template.xlsx")
@requires("unit.manage")
def import_template():
    return send_file(io.BytesIO(importer.template_workbook()), as_attachment=True,
                     download_name="mau-nhap-don-vi.xlsx", mimetype=storage.KINDS["xlsx"][0])
