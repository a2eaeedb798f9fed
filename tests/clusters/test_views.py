from datetime import date

import pytest
import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.clusters.models import Cluster, ClusterMembership

from ..factories import make_cluster, make_unit


@pytest.fixture
def secretariat(users, login_as):
    return login_as(users[Role.SECRETARIAT])


def _form(**kw):
    values = {"code": "CUM-PHUONG-1", "name": "Cụm thi đua số 1 các phường", "kind": "cluster",
              "description": "", "active": "y"}
    values.update(kw)
    return values


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_index_lists_clusters_with_member_counts(secretariat, db, unit):
    make_cluster(name="Khối các sở Văn hóa - Xã hội", kind="block", units=[unit])
    db.session.commit()
    page = secretariat.get("/clusters/").get_data(as_text=True)
    assert "Khối các sở Văn hóa - Xã hội" in page and "Khối thi đua" in page
    assert '<td class="text-end">1</td>' in page


def test_index_filters_by_kind_and_active(secretariat, db):
    make_cluster(name="Cụm đang hoạt động", kind="cluster")
    make_cluster(name="Khối đã giải thể", kind="block", active=False)
    db.session.commit()
    page = secretariat.get("/clusters/?kind=block").get_data(as_text=True)
    assert "Khối đã giải thể" in page and "Cụm đang hoạt động" not in page
    page = secretariat.get("/clusters/?active=1").get_data(as_text=True)
    assert "Cụm đang hoạt động" in page and "Khối đã giải thể" not in page


def test_index_as_unit_officer_is_forbidden(users, login_as):
    assert login_as(users[Role.UNIT_OFFICER]).get("/clusters/").status_code == 403


def test_create_as_secretariat_saves_cluster(secretariat, db):
    response = secretariat.post("/clusters/new", data=_form())
    cluster = db.session.scalars(sa.select(Cluster)).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/clusters/{cluster.id}")
    assert cluster.name == "Cụm thi đua số 1 các phường" and cluster.active


def test_create_with_duplicate_code_shows_message_and_keeps_input(secretariat, db):
    make_cluster(code="CUM-PHUONG-1", name="Cụm cũ")
    db.session.commit()
    response = secretariat.post("/clusters/new", data=_form(name="Cụm mới", description="Gồm 5 phường"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mã “CUM-PHUONG-1” đã được dùng cho “Cụm cũ”." in page
    assert 'value="Cụm mới"' in page and "Gồm 5 phường</textarea>" in page
    assert _count(db, Cluster) == 1


def test_create_without_name_is_refused_in_vietnamese(secretariat, db):
    page = secretariat.post("/clusters/new", data=_form(name="  ")).get_data(as_text=True)
    assert "Vui lòng nhập tên cụm, khối." in page and _count(db, Cluster) == 0


def test_create_as_unit_officer_is_forbidden(users, login_as, db):
    response = login_as(users[Role.UNIT_OFFICER]).post("/clusters/new", data=_form())
    assert response.status_code == 403 and _count(db, Cluster) == 0


def test_edit_can_deactivate_cluster(secretariat, db):
    cluster = make_cluster(code="CUM-1")
    db.session.commit()
    response = secretariat.post(f"/clusters/{cluster.id}/edit", data=_form(code="CUM-1", active=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Cluster, cluster.id).active is False


def test_edit_unknown_cluster_is_404(secretariat):
    assert secretariat.get("/clusters/9999/edit").status_code == 404


def test_detail_lists_member_units(secretariat, db, unit):
    cluster = make_cluster(units=[unit])
    cluster.memberships[0].joined_on = date(2025, 1, 15)
    db.session.commit()
    page = secretariat.get(f"/clusters/{cluster.id}").get_data(as_text=True)
    assert f'href="/units/{unit.id}">Sở Giáo dục và Đào tạo</a>' in page and "15/01/2025" in page


def test_detail_of_unknown_cluster_is_404(secretariat):
    assert secretariat.get("/clusters/9999").status_code == 404


def test_add_member_as_secretariat_adds_unit(secretariat, db, unit):
    cluster = make_cluster()
    db.session.commit()
    response = secretariat.post(f"/clusters/{cluster.id}/members/new",
                                data={"unit_id": str(unit.id), "joined_on": "01/01/2026"})
    assert response.status_code == 302
    membership = db.session.scalars(sa.select(ClusterMembership)).one()
    assert membership.unit_id == unit.id and membership.joined_on == date(2026, 1, 1)


def test_add_member_page_offers_current_units_only(secretariat, db, province, unit):
    make_unit(name="Thành phố Thanh Hóa", kind="district", parent=province, valid_to=date(2025, 6, 30))
    cluster = make_cluster(units=[unit])
    db.session.commit()
    page = secretariat.get(f"/clusters/{cluster.id}/members/new").get_data(as_text=True)
    assert "Thành phố Thanh Hóa" not in page
    assert f'<option disabled value="{unit.id}">' in page and "(đã là thành viên)" in page


def test_add_member_twice_shows_message(secretariat, db, unit):
    cluster = make_cluster(units=[unit])
    db.session.commit()
    response = secretariat.post(f"/clusters/{cluster.id}/members/new", data={"unit_id": str(unit.id)})
    assert response.status_code == 200
    assert "đã là thành viên" in response.get_data(as_text=True)
    assert _count(db, ClusterMembership) == 1


def test_add_member_ended_unit_is_refused(secretariat, db, province):
    ended = make_unit(kind="district", parent=province, valid_to=date(2025, 6, 30))
    cluster = make_cluster()
    db.session.commit()
    page = secretariat.post(f"/clusters/{cluster.id}/members/new", data={"unit_id": str(ended.id)}).get_data(
        as_text=True)
    assert "Lựa chọn không hợp lệ." in page and _count(db, ClusterMembership) == 0


def test_remove_member_deletes_membership(secretariat, db, unit):
    cluster = make_cluster(units=[unit])
    db.session.commit()
    response = secretariat.post(f"/clusters/{cluster.id}/members/{cluster.memberships[0].id}/delete")
    assert response.status_code == 302 and _count(db, ClusterMembership) == 0


def test_remove_member_of_another_cluster_is_404(secretariat, db, unit):
    cluster = make_cluster(units=[unit])
    other = make_cluster()
    db.session.commit()
    assert secretariat.post(f"/clusters/{other.id}/members/{cluster.memberships[0].id}/delete").status_code == 404
    assert _count(db, ClusterMembership) == 1


def test_remove_member_as_unit_officer_is_forbidden(users, login_as, db, unit):
    cluster = make_cluster(units=[unit])
    db.session.commit()
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/clusters/{cluster.id}/members/{cluster.memberships[0].id}/delete")
    assert response.status_code == 403 and _count(db, ClusterMembership) == 1


def test_remove_member_without_csrf_token_is_refused(csrf_app, secretariat, db, unit):
    cluster = make_cluster(units=[unit])
    db.session.commit()
    response = secretariat.post(f"/clusters/{cluster.id}/members/{cluster.memberships[0].id}/delete")
    assert response.status_code == 400 and _count(db, ClusterMembership) == 1


def test_add_member_without_choosing_unit_asks_for_one(secretariat, db):
    cluster = make_cluster()
    db.session.commit()
    page = secretariat.post(f"/clusters/{cluster.id}/members/new", data={"unit_id": "0"}).get_data(as_text=True)
    assert "Vui lòng chọn đơn vị." in page and _count(db, ClusterMembership) == 0
