import io
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests import factories
from thidua.auth.models import Role
from thidua.campaigns.models import Campaign, CampaignDocument, CampaignRegistration, CampaignStatus

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _form(**overrides):
    data = {
        "name": "Thi đua chuyển đổi số",
        "kind": "thematic",
        "launching_authority": "UBND tỉnh Thanh Hóa",
        "launching_unit_id": "0",
        "decision_ref": "KH 130/KH-UBND",
        "starts_on": "01/07/2025",
        "ends_on": "31/12/2026",
        "nomination_deadline": "30/11/2026",
        "goals": "Mục tiêu",
        "criteria": "Tiêu chí",
    }
    data.update(overrides)
    return data


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_by_secretariat_saves_draft_with_vietnamese_dates(db, users, login_as):
    response = login_as(users[Role.SECRETARIAT]).post("/campaigns/new", data=_form())
    assert response.status_code == 302
    campaign = db.session.scalars(sa.select(Campaign)).one()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.starts_on == date(2025, 7, 1) and campaign.nomination_deadline == date(2026, 11, 30)
    assert campaign.created_by_id == users[Role.SECRETARIAT].id


def test_create_with_bad_dates_keeps_typed_data_and_explains_in_vietnamese(db, users, login_as):
    response = login_as(users[Role.SECRETARIAT]).post(
        "/campaigns/new", data=_form(starts_on="32/13/2025", ends_on="01/01/2020", name="Tên  đã gõ")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy" in page
    assert 'value="32/13/2025"' in page and 'value="Tên  đã gõ"' in page
    assert _count(db, Campaign) == 0


def test_create_with_end_before_start_is_refused(db, users, login_as):
    response = login_as(users[Role.SECRETARIAT]).post("/campaigns/new", data=_form(ends_on="01/01/2025"))
    assert "Ngày kết thúc không được trước ngày bắt đầu." in response.get_data(as_text=True)
    assert _count(db, Campaign) == 0


def test_create_normalises_decomposed_vietnamese_to_nfc(db, users, login_as):
    decomposed = "Thi đua chuye\u0302\u0309n đổi số"
    login_as(users[Role.SECRETARIAT]).post("/campaigns/new", data=_form(name=decomposed))
    assert db.session.scalars(sa.select(Campaign.name)).one() == "Thi đua chuyển đổi số"


def test_create_by_unit_officer_is_forbidden(db, users, login_as):
    response = login_as(users[Role.UNIT_OFFICER]).post("/campaigns/new", data=_form())
    assert response.status_code == 403
    assert _count(db, Campaign) == 0


def test_draft_campaign_is_hidden_from_unit_officers(db, users, login_as):
    draft = factories.make_campaign(status="draft", name="Bản nháp nội bộ")
    client = login_as(users[Role.UNIT_OFFICER])
    assert client.get(f"/campaigns/{draft.id}").status_code == 403
    assert "Bản nháp nội bộ" not in client.get("/campaigns/").get_data(as_text=True)


def test_open_close_summarize_through_buttons(db, users, login_as):
    campaign = factories.make_campaign(status="draft")
    client = login_as(users[Role.SECRETARIAT])
    for action, status in [("open", "open"), ("close", "closed"), ("summarize", "summarized")]:
        assert client.post(f"/campaigns/{campaign.id}/status/{action}").status_code == 302
        db.session.refresh(campaign)
        assert campaign.status.value == status


def test_illegal_transition_is_forbidden(db, users, login_as):
    campaign = factories.make_campaign(status="draft")
    response = login_as(users[Role.SECRETARIAT]).post(f"/campaigns/{campaign.id}/status/summarize")
    assert response.status_code == 403
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT


def test_edit_with_stale_version_does_not_overwrite(db, users, login_as):
    campaign = factories.make_campaign(name="Bản gốc")
    client = login_as(users[Role.SECRETARIAT])
    stale_version = campaign.version
    client.post(f"/campaigns/{campaign.id}/edit", data=_form(name="Người thứ nhất", version=str(stale_version)))
    response = client.post(f"/campaigns/{campaign.id}/edit", data=_form(name="Người thứ hai", version=str(stale_version)))
    assert "vừa được người khác sửa" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name == "Người thứ nhất"


def test_unknown_campaign_is_404(db, users, login_as):
    assert login_as(users[Role.ADMIN]).get("/campaigns/999999").status_code == 404


def test_officer_registers_sub_unit_and_sees_it_listed(db, users, login_as, unit):
    campaign = factories.make_campaign()
    school = unit.children[0]
    client = login_as(users[Role.UNIT_OFFICER])
    page = client.get(f"/campaigns/{campaign.id}/register").get_data(as_text=True)
    assert school.name in page and unit.name in page
    response = client.post(f"/campaigns/{campaign.id}/register",
                           data={"unit_id": str(school.id), "commitments": "Đăng ký Tập thể lao động xuất sắc"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "đã đăng ký thi đua" in page
    assert school.name in page.split('id="registrations"')[1]


def test_officer_cannot_register_unit_outside_scope(db, users, login_as, province):
    other = factories.make_unit(name="Sở Y tế", parent=province)
    campaign = factories.make_campaign()
    response = login_as(users[Role.UNIT_OFFICER]).post(
        f"/campaigns/{campaign.id}/register", data={"unit_id": str(other.id), "commitments": "x"}
    )
    assert "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert _count(db, CampaignRegistration) == 0


def test_register_without_commitments_keeps_choice_and_explains(db, users, login_as, unit):
    campaign = factories.make_campaign()
    response = login_as(users[Role.UNIT_OFFICER]).post(
        f"/campaigns/{campaign.id}/register", data={"unit_id": str(unit.id), "commitments": "  "}
    )
    page = response.get_data(as_text=True)
    assert "Vui lòng nhập nội dung đăng ký thi đua." in page
    assert f'<option selected value="{unit.id}">' in page
    assert _count(db, CampaignRegistration) == 0


def test_register_when_all_units_registered_is_forbidden(db, users, login_as, unit):
    campaign = factories.make_campaign()
    for u in [unit, *unit.children]:
        factories.make_registration(campaign, u)
    assert login_as(users[Role.UNIT_OFFICER]).get(f"/campaigns/{campaign.id}/register").status_code == 403


def test_officer_cannot_cancel_another_units_registration(db, users, login_as, province):
    other = factories.make_unit(parent=province)
    campaign = factories.make_campaign()
    reg = factories.make_registration(campaign, other)
    response = login_as(users[Role.UNIT_OFFICER]).post(f"/campaigns/registrations/{reg.id}/cancel")
    assert response.status_code == 403
    assert _count(db, CampaignRegistration) == 1


def test_upload_pdf_then_download_with_permission(db, users, login_as, app):
    campaign = factories.make_campaign()
    client = login_as(users[Role.SECRETARIAT])
    response = client.post(f"/campaigns/{campaign.id}/documents/new",
                           data={"title": "Kế hoạch 130", "file": (io.BytesIO(PDF), "ke-hoach.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    doc = db.session.scalars(sa.select(CampaignDocument)).one()
    assert doc.stored_name != "ke-hoach.pdf" and doc.stored_name.endswith(".pdf")
    assert (Path(app.config["UPLOAD_FOLDER"]) / doc.stored_name).read_bytes() == PDF
    download = login_as(users[Role.UNIT_OFFICER]).get(f"/campaigns/{campaign.id}/documents/{doc.id}")
    body = download.get_data()
    download.close()
    assert download.status_code == 200 and body == PDF
    assert "ke-hoach.pdf" in download.headers["Content-Disposition"]


def test_upload_executable_renamed_pdf_is_refused(db, users, login_as):
    campaign = factories.make_campaign()
    response = login_as(users[Role.SECRETARIAT]).post(
        f"/campaigns/{campaign.id}/documents/new",
        data={"file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "ke-hoach.pdf")},
        content_type="multipart/form-data")
    assert "Nội dung tệp không phải định dạng được chấp nhận (PDF)." in response.get_data(as_text=True)
    assert _count(db, CampaignDocument) == 0


def test_upload_over_size_limit_is_refused(db, users, login_as, app):
    campaign = factories.make_campaign()
    app.config["MAX_UPLOAD_BYTES"] = 1024
    try:
        response = login_as(users[Role.SECRETARIAT]).post(
            f"/campaigns/{campaign.id}/documents/new",
            data={"file": (io.BytesIO(PDF + b"0" * 2048), "lon.pdf")},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_UPLOAD_BYTES"] = app.config["MAX_CONTENT_LENGTH"]
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert _count(db, CampaignDocument) == 0


def test_request_over_max_content_length_gets_413_page(db, users, login_as, app):
    campaign = factories.make_campaign()
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = login_as(users[Role.SECRETARIAT]).post(
            f"/campaigns/{campaign.id}/documents/new",
            data={"file": (io.BytesIO(PDF + b"0" * 4096), "lon.pdf")},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_upload_path_traversal_name_is_stored_safely(db, users, login_as, app):
    campaign = factories.make_campaign()
    login_as(users[Role.SECRETARIAT]).post(
        f"/campaigns/{campaign.id}/documents/new",
        data={"file": (io.BytesIO(PDF), "../../etc/passwd.pdf")},
        content_type="multipart/form-data")
    doc = db.session.scalars(sa.select(CampaignDocument)).one()
    assert doc.original_name == "passwd.pdf"
    assert "/" not in doc.stored_name and ".." not in doc.stored_name
    assert (Path(app.config["UPLOAD_FOLDER"]) / doc.stored_name).exists()


def test_document_of_another_campaign_is_404(db, users, login_as):
    a, b = factories.make_campaign(), factories.make_campaign()
    doc = CampaignDocument(campaign=a, title="x", original_name="x.pdf", stored_name="abc.pdf",
                           content_type="application/pdf", size=1, sha256="0" * 64)
    db.session.add(doc)
    db.session.flush()
    assert login_as(users[Role.ADMIN]).get(f"/campaigns/{b.id}/documents/{doc.id}").status_code == 404


def test_delete_draft_removes_campaign(db, users, login_as):
    campaign = factories.make_campaign(status="draft")
    assert login_as(users[Role.SECRETARIAT]).post(f"/campaigns/{campaign.id}/delete").status_code == 302
    assert _count(db, Campaign) == 0


def test_post_without_csrf_token_is_refused(db, users, login_as, csrf_app):
    campaign = factories.make_campaign(status="draft")
    response = login_as(users[Role.SECRETARIAT]).post(f"/campaigns/{campaign.id}/status/open")
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT


def test_list_filters_by_year_and_status(db, users, login_as):
    factories.make_campaign(name="Năm trước", starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31),
                            nomination_deadline=None, status="closed")
    factories.make_campaign(name="Năm nay", starts_on=date.today() - timedelta(days=1))
    page = login_as(users[Role.UNIT_OFFICER]).get("/campaigns/?year=2024&status=closed").get_data(as_text=True)
    assert "Năm trước" in page and "Năm nay" not in page
