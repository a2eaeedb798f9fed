from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from thidua.auth.models import Role
from thidua.showcase.models import FileKind, GoodModel, GoodModelFile, ModelStatus, Replication

from ..factories import make_good_model
from . import PNG

FORM = {"title": "Mô hình “Sổ liên lạc điện tử”", "field": "education", "summary": "Tóm tắt ngắn",
        "description": "Các bước triển khai", "results": "", "started_on": "01/09/2024"}


def test_unit_officer_proposes_a_model_for_own_unit(db, unit, users, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    response = client.post("/models/new", data={**FORM, "unit_id": unit.id})
    model = db.session.scalar(sa.select(GoodModel))
    assert response.status_code == 302 and response.location.endswith(f"/models/{model.id}")
    assert (model.status, model.unit_id, model.started_on) == (ModelStatus.PROPOSED, unit.id, date(2024, 9, 1))


def test_propose_without_summary_keeps_typed_data_and_says_why(db, unit, users, login_as):
    client = login_as(users[Role.UNIT_OFFICER])
    response = client.post("/models/new", data={**FORM, "summary": "  ", "unit_id": unit.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vui lòng nhập tóm tắt." in html and "Sổ liên lạc điện tử" in html
    assert db.session.scalar(sa.select(GoodModel)) is None


def test_unit_officer_cannot_propose_for_another_unit(db, unit, province, users, login_as):
    response = login_as(users[Role.UNIT_OFFICER]).post("/models/new", data={**FORM, "unit_id": province.id})
    assert response.status_code == 200 and "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(GoodModel)) is None


def test_upload_photo_and_refuse_a_text_file(db, unit, users, login_as):
    model = make_good_model(unit=unit)
    client = login_as(users[Role.UNIT_OFFICER])
    refused = client.post(f"/models/{model.id}/files/new", data={"file": (io.BytesIO(b"hello"), "anh.jpg"),
                                                                 "caption": "Ảnh"})
    assert "Nội dung tệp không phải định dạng được chấp nhận" in refused.get_data(as_text=True)
    response = client.post(f"/models/{model.id}/files/new", data={"file": (io.BytesIO(PNG), "anh.png"),
                                                                  "caption": "Lễ ra mắt", "public": "y"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(GoodModelFile))
    assert (row.kind, row.caption, row.public) == (FileKind.PHOTO, "Lễ ra mắt", True)


def test_secretariat_recognises_and_unit_officer_may_not(db, unit, users, login_as):
    model = make_good_model(unit=unit)
    data = {"recognised_on": "05/03/2025", "recognition_ref": "125/QĐ-UBND"}
    assert login_as(users[Role.UNIT_OFFICER]).post(f"/models/{model.id}/recognise", data=data).status_code == 403
    response = login_as(users[Role.SECRETARIAT]).post(f"/models/{model.id}/recognise", data=data)
    assert response.status_code == 302
    db.session.refresh(model)
    assert (model.status, model.recognised_on) == (ModelStatus.RECOGNISED, date(2025, 3, 5))


def test_recognise_with_a_bad_date_keeps_the_text(db, unit, users, login_as):
    model = make_good_model(unit=unit)
    response = login_as(users[Role.SECRETARIAT]).post(f"/models/{model.id}/recognise",
                                                      data={"recognised_on": "31/02/2025", "recognition_ref": "125/QĐ"})
    html = response.get_data(as_text=True)
    assert "Ngày không hợp lệ" in html and 'value="31/02/2025"' in html and "125/QĐ" in html


def test_officer_records_replication_once_for_a_unit_below(db, unit, province, users, login_as):
    model = make_good_model(unit=province, status="recognised")
    school = unit.children[0]
    client = login_as(users[Role.UNIT_OFFICER])
    data = {"unit_id": school.id, "adopted_on": "01/10/2025", "result": "Giảm giấy tờ"}
    assert client.post(f"/models/{model.id}/replications/new", data=data).status_code == 302
    again = client.post(f"/models/{model.id}/replications/new", data=data)
    assert "đã ghi nhận nhân rộng mô hình này" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Replication.id))) == 1
    page = client.get(f"/models/{model.id}").get_data(as_text=True)
    assert school.name in page and "Giảm giấy tờ" in page


def test_replicate_page_of_a_proposed_model_is_forbidden(db, unit, users, login_as):
    model = make_good_model(unit=unit)
    assert login_as(users[Role.SECRETARIAT]).get(f"/models/{model.id}/replications/new").status_code == 403


def test_proposed_model_is_hidden_from_users_of_other_units(db, unit, users, login_as):
    model = make_good_model(unit=unit)
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/models/{model.id}").status_code == 200
    assert login_as(users[Role.APPROVER]).get(f"/models/{model.id}").status_code == 200
    from ..factories import make_user
    outsider = make_user(roles=[])
    assert login_as(outsider).get(f"/models/{model.id}").status_code == 403
    assert login_as(outsider).get("/models/").status_code == 200


def test_feature_by_secretariat_and_not_by_officer(db, unit, users, login_as):
    model = make_good_model(unit=unit, status="recognised")
    assert login_as(users[Role.UNIT_OFFICER]).post(f"/models/{model.id}/feature").status_code == 403
    assert login_as(users[Role.SECRETARIAT]).post(f"/models/{model.id}/feature").status_code == 302
    db.session.refresh(model)
    assert model.featured


def test_link_an_award_found_by_name_without_diacritics(db, unit, users, login_as):
    from ..factories import make_award_record, make_person

    person = make_person(full_name="Trần Thị Bích Ngọc", unit=unit)
    record = make_award_record(code="BK_TINH", year=2024, person=person)
    model = make_good_model(unit=unit)
    client = login_as(users[Role.SECRETARIAT])
    assert "Trần Thị Bích Ngọc" in client.get(f"/models/{model.id}/links?q=bich ngoc").get_data(as_text=True)
    assert client.post(f"/models/{model.id}/awards", data={"award_record_id": record.id}).status_code == 302
    db.session.refresh(model)
    assert model.awards == [record]


def test_anonymous_visitor_is_sent_to_login(client, db, unit):
    model = make_good_model(unit=unit, status="recognised")
    assert client.get(f"/models/{model.id}").status_code == 302


def test_post_without_csrf_token_is_refused(csrf_app, db, unit, users, login_as):
    model = make_good_model(unit=unit, status="recognised")
    assert login_as(users[Role.SECRETARIAT]).post(f"/models/{model.id}/feature").status_code == 400
