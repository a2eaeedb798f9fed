from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for

from thidua.extensions import db, get_in_or_404
from thidua.org.models import Unit
from thidua.org.queries import unit_choices
from thidua.permissions import authorize, requires

from . import services
from .forms import ClusterForm, MemberForm
from .models import Cluster, ClusterKind, ClusterMembership

bp = Blueprint("clusters", __name__, url_prefix="/clusters")


@bp.app_template_global("unit_clusters")
def unit_clusters(unit: Unit) -> list[ClusterMembership]:
    """The memberships of `unit`, for the unit's page. Registered here, not imported by `org`, so
    the organisation domain does not depend on clusters."""
    return db.session.scalars(
        sa.select(ClusterMembership)
        .join(ClusterMembership.cluster)
        .where(ClusterMembership.unit_id == unit.id)
        .options(sa.orm.contains_eager(ClusterMembership.cluster))
        .order_by(Cluster.active.desc(), Cluster.code)
    ).all()


@bp.get("/")
@requires("cluster.view")
def index():
    kind = request.args.get("kind") or ""
    active = request.args.get("active") or ""
    kind = kind if kind in {k.value for k in ClusterKind} else ""
    active = active if active in {"1", "0"} else ""
    stmt = sa.select(Cluster).order_by(Cluster.active.desc(), Cluster.kind, Cluster.code)
    if kind:
        stmt = stmt.where(Cluster.kind == ClusterKind(kind))
    if active:
        stmt = stmt.where(Cluster.active.is_(active == "1"))
    counts = dict(
        db.session.execute(
            sa.select(ClusterMembership.cluster_id, sa.func.count()).group_by(ClusterMembership.cluster_id)
        ).all()
    )
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("clusters/index.html", page=page, counts=counts, kind=kind, active=active,
                           kinds=list(ClusterKind))


@bp.route("/new", methods=["GET", "POST"])
@requires("cluster.manage")
def create():
    form = ClusterForm()
    if form.validate_on_submit():
        try:
            cluster = services.create_cluster(**form.values())
        except services.ClusterError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã tạo “{cluster.name}”.", "success")
            return redirect(url_for("clusters.detail", cluster_id=cluster.id))
    return render_template("clusters/form.html", form=form, cluster=None)


@bp.get("/<int:cluster_id>")
def detail(cluster_id: int):
    cluster = db.get_or_404(Cluster, cluster_id)
    authorize("cluster.view", cluster)
    memberships = db.session.scalars(
        sa.select(ClusterMembership)
        .join(ClusterMembership.unit)
        .where(ClusterMembership.cluster_id == cluster.id)
        .options(sa.orm.contains_eager(ClusterMembership.unit))
        .order_by(Unit.name_folded, Unit.code)
    ).all()
    return render_template("clusters/detail.html", cluster=cluster, memberships=memberships)


@bp.route("/<int:cluster_id>/edit", methods=["GET", "POST"])
def edit(cluster_id: int):
    cluster = db.get_or_404(Cluster, cluster_id)
    authorize("cluster.manage", cluster)
    form = ClusterForm(obj=cluster)
    if form.validate_on_submit():
        try:
            services.update_cluster(cluster, **form.values())
        except services.ClusterError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã lưu “{cluster.name}”.", "success")
            return redirect(url_for("clusters.detail", cluster_id=cluster.id))
    return render_template("clusters/form.html", form=form, cluster=cluster)


def _show_error(form, exc: services.ClusterError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


@bp.route("/<int:cluster_id>/members/new", methods=["GET", "POST"])
def add_member(cluster_id: int):
    cluster = db.get_or_404(Cluster, cluster_id)
    authorize("cluster.manage", cluster)
    form = MemberForm(unit_choices=unit_choices(), member_ids={m.unit_id for m in cluster.memberships})
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            services.add_member(cluster, unit=unit, joined_on=form.joined_on.data)
        except services.ClusterError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Đã thêm “{unit.name}” vào “{cluster.name}”.", "success")
            return redirect(url_for("clusters.detail", cluster_id=cluster.id))
    return render_template("clusters/add_member.html", form=form, cluster=cluster)


@bp.post("/<int:cluster_id>/members/<int:membership_id>/delete")
def remove_member(cluster_id: int, membership_id: int):
    membership = get_in_or_404(ClusterMembership, membership_id, cluster_id=cluster_id)
    authorize("cluster.manage", membership.cluster)
    name = membership.unit.name
    services.remove_member(membership)
    db.session.commit()
    flash(f"Đã đưa “{name}” ra khỏi cụm, khối.", "success")
    return redirect(url_for("clusters.detail", cluster_id=cluster_id))
