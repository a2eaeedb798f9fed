from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from tests import factories as f
from thidua.permissions import Role
from thidua.scoring.models import Rubric, RubricCriterion


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_rubric_as_staff_shows_it_in_list(db, users, login_as):
    client = login_as(users[Role.SECRETARIAT])
    r = client.post("/rubrics/new", data={"name": "Bảng điểm Chiến sĩ thi đua", "aggregation": "median",
                                          "min_sheets_to_normalise": "5", "active": "y"}, follow_redirects=True)
    assert "Đã tạo bảng điểm" in r.get_data(as_text=True)
    assert "Bảng điểm Chiến sĩ thi đua" in client.get("/rubrics/").get_data(as_text=True)


def test_create_rubric_as_council_member_forbidden(db, users, login_as):
    r = login_as(users[Role.COUNCIL_MEMBER]).post("/rubrics/new", data={"name": "X", "aggregation": "mean"})
    assert r.status_code == 403 and count(db, Rubric) == 0


def test_add_criterion_with_anchors_and_half_step_saved(db, users, login_as):
    rubric = f.make_rubric(criteria=[])
    client = login_as(users[Role.ADMIN])
    r = client.post(f"/rubrics/{rubric.id}/criteria/new", data={
        "label": "Thành tích", "min_points": "0", "max_points": "10", "step": "0,5", "weight": "2",
        "anchors": "0: Không đạt\n10: Xuất sắc", "required": "y", "position": "1"}, follow_redirects=True)
    assert "Đã lưu tiêu chí" in r.get_data(as_text=True)
    c = db.session.scalar(sa.select(RubricCriterion))
    assert (c.step, c.weight, c.anchors) == (Decimal("0.5"), Decimal(2), {"0": "Không đạt", "10": "Xuất sắc"})


def test_add_criterion_invalid_scale_step_weight_refused_beside_fields(db, users, login_as):
    rubric = f.make_rubric(criteria=[])
    client = login_as(users[Role.ADMIN])
    r = client.post(f"/rubrics/{rubric.id}/criteria/new", data={
        "label": "Thành tích", "min_points": "10", "max_points": "5", "step": "1", "weight": "-1"})
    body = r.get_data(as_text=True)
    assert "Điểm cao nhất phải lớn hơn điểm thấp nhất." in body and "Hệ số không được âm." in body
    r = client.post(f"/rubrics/{rubric.id}/criteria/new", data={
        "label": "Thành tích", "min_points": "0", "max_points": "10", "step": "3", "weight": "1"})
    assert "Bước điểm phải chia hết" in r.get_data(as_text=True)
    r = client.post(f"/rubrics/{rubric.id}/criteria/new", data={
        "label": "Thành tích", "min_points": "0", "max_points": "10", "step": "1", "weight": "1",
        "anchors": "Xuất sắc"})
    assert "“điểm: mô tả”" in r.get_data(as_text=True)
    assert count(db, RubricCriterion) == 0


def test_edit_criterion_of_another_rubric_not_found(db, users, login_as):
    a, b = f.make_rubric(), f.make_rubric()
    r = login_as(users[Role.ADMIN]).get(f"/rubrics/{a.id}/criteria/{b.criteria[0].id}")
    assert r.status_code == 404


def test_unknown_rubric_not_found(db, users, login_as):
    assert login_as(users[Role.ADMIN]).get("/rubrics/999999").status_code == 404


def test_edit_criterion_scale_of_rubric_in_use_refused_but_label_allowed(db, users, login_as):
    from thidua.councils.models import Score, ScoreSheet

    unit = f.make_unit()
    rubric = f.make_rubric(criteria=[(10, 1)])
    council = f.make_council(unit=unit, members=[f.make_user(roles=[Role.COUNCIL_MEMBER])])
    session = f.make_session(council=council, status="open", rubric=rubric,
                             nominations=[f.make_nomination(unit=unit, status="accepted")])
    sheet = ScoreSheet(agenda_item_id=session.agenda[0].id, member_id=council.members[0].id)
    sheet.scores.append(Score(criterion_id=rubric.criteria[0].id, points=Decimal(7)))
    db.session.add(sheet)
    client = login_as(users[Role.ADMIN])
    url = f"/rubrics/{rubric.id}/criteria/{rubric.criteria[0].id}"
    data = {"label": "Thành tích", "min_points": "0", "max_points": "20", "step": "1", "weight": "1", "required": "y"}
    assert "không đổi thang điểm" in client.post(url, data=data).get_data(as_text=True)
    assert db.session.get(RubricCriterion, rubric.criteria[0].id).max_points == 10
    r = client.post(url, data=data | {"max_points": "10"}, follow_redirects=True)
    assert "Đã lưu tiêu chí" in r.get_data(as_text=True)
