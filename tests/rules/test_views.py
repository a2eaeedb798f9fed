"""Catalogue admin pages: reading for everyone signed in, writing for the administrator only."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import render_template_string

from thidua.audit.models import AuditEntry
from thidua.auth.models import Role
from thidua.rules.eligibility import CheckResult, Outcome
from thidua.rules.models import AwardType, LegalBasis, QuotaRule
from thidua.rules.quotas import QuotaStatus
from thidua.rules.services import versions_of

from ..factories import award_type


@pytest.fixture
def catalogue(db):
    award_type("LDTT")  # seeds the whole catalogue
    db.session.commit()


@pytest.fixture
def admin(users, login_as, catalogue):
    return login_as(users[Role.ADMIN])


def _edit_form(at: AwardType, **overrides) -> dict:
    data = {
        "name": at.name, "coefficient": "0,3", "collective_multiplier": "1", "vote_threshold": "",
        "vote_basis": "all_members", "required_parts": list(at.required_parts), "min_years_between": "",
        "legal_basis_id": str(at.legal_basis_id or 0), "legal_ref": at.legal_ref or "", "note": "",
        "effective_to": "",
        "checks": [c for c in at.checks if ":" not in c],
        "prior_codes": [c.split(":")[1] for c in at.checks if c.startswith("prior:")],
        "prior_same_year_codes": [c.split(":")[1] for c in at.checks if c.startswith("prior_same_year:")],
    }
    data.update(overrides)
    return data


# --- reading ---------------------------------------------------------------------------------------------

def test_index_groups_titles_and_forms_and_marks_the_version_in_force(users, login_as, catalogue):
    page = login_as(users[Role.UNIT_OFFICER]).get("/catalogue/").get_data(as_text=True)
    titles = page.index("Danh hiệu thi đua")
    forms = page.index("Hình thức khen thưởng")
    assert titles < page.index("Lao động tiên tiến") < forms < page.index("Bằng khen của Chủ tịch UBND tỉnh")
    assert "Đang áp dụng" in page and "từ 01/01/2024" in page


def test_index_for_anonymous_visitor_redirects_to_login(client, catalogue):
    response = client.get("/catalogue/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_detail_lists_checks_by_their_vietnamese_labels(users, login_as, catalogue):
    bk_ttg = award_type("BK_TTG")
    page = login_as(users[Role.COUNCIL_MEMBER]).get(f"/catalogue/awards/{bk_ttg.id}").get_data(as_text=True)
    assert "Đã được tặng “Bằng khen của Chủ tịch UBND tỉnh” trước năm đề nghị" in page
    assert "Báo cáo thành tích" in page
    assert "Sửa phiên bản này" not in page  # no edit button for a reader


def test_detail_of_unknown_award_type_is_404(admin):
    assert admin.get("/catalogue/awards/999999").status_code == 404


def test_quotas_page_shows_ratio_as_percent(users, login_as, catalogue):
    page = login_as(users[Role.SECRETARIAT]).get("/catalogue/quotas").get_data(as_text=True)
    assert "15%" in page and "Chiến sĩ thi đua cơ sở" in page and "làm tròn xuống" in page


def test_legal_bases_page_lists_seeded_documents(users, login_as, catalogue):
    page = login_as(users[Role.APPROVER]).get("/catalogue/legal-bases").get_data(as_text=True)
    assert "152/2025/NĐ-CP" in page and "Thêm văn bản" not in page


# --- permissions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.UNIT_OFFICER, Role.COUNCIL_MEMBER])
def test_edit_by_non_admin_is_forbidden_and_changes_nothing(db, users, login_as, catalogue, role):
    ldtt = award_type("LDTT")
    client = login_as(users[role])
    assert client.get(f"/catalogue/awards/{ldtt.id}/edit").status_code == 403
    response = client.post(f"/catalogue/awards/{ldtt.id}/edit", data=_edit_form(ldtt, name="Đổi tên"))
    assert response.status_code == 403
    db.session.expire_all()
    assert award_type("LDTT").name == "Lao động tiên tiến"


@pytest.mark.parametrize("url", ["/catalogue/legal-bases/new", "/catalogue/quotas/new"])
def test_create_pages_for_secretariat_are_forbidden(users, login_as, catalogue, url):
    assert login_as(users[Role.SECRETARIAT]).post(url, data={}).status_code == 403


def test_edit_post_without_csrf_token_is_refused(db, users, login_as, catalogue, csrf_app):
    ldtt = award_type("LDTT")
    response = login_as(users[Role.ADMIN]).post(f"/catalogue/awards/{ldtt.id}/edit",
                                                data=_edit_form(ldtt, name="Không có mã CSRF"))
    assert response.status_code in (200, 400)
    db.session.expire_all()
    assert award_type("LDTT").name == "Lao động tiên tiến"


def test_new_version_by_non_admin_is_forbidden(db, users, login_as, catalogue):
    ldtt = award_type("LDTT")
    response = login_as(users[Role.SECRETARIAT]).post(f"/catalogue/awards/{ldtt.id}/new-version",
                                                      data=_edit_form(ldtt, effective_from="01/07/2025"))
    assert response.status_code == 403
    assert len(versions_of("LDTT")) == 1


# --- editing -----------------------------------------------------------------------------------------------

def test_edit_by_admin_saves_and_is_audited(db, admin):
    cstdt = award_type("CSTDT")
    data = _edit_form(cstdt, coefficient="3,5", vote_required="y", vote_threshold="66,7", min_years_between="3",
                      note="Theo NĐ 152/2025", checks=["three_consecutive_cstdcs", "no_pending_discipline"],
                      prior_codes=["BK_TINH"])
    response = admin.post(f"/catalogue/awards/{cstdt.id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/catalogue/awards/{cstdt.id}")
    db.session.expire_all()
    saved = db.session.get(AwardType, cstdt.id)
    assert saved.coefficient == Decimal("3.5") and saved.vote_threshold == Decimal("0.667")
    assert saved.min_years_between == 3 and saved.note == "Theo NĐ 152/2025"
    assert saved.checks == ["three_consecutive_cstdcs", "no_pending_discipline", "prior:BK_TINH"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "award_type.update")).one()
    assert entry.actor_name and entry.object_id == str(cstdt.id)


def test_edit_form_shows_stored_values_the_vietnamese_way(admin):
    cstdcs = award_type("CSTDCS")
    page = admin.get(f"/catalogue/awards/{cstdcs.id}/edit").get_data(as_text=True)
    assert 'value="66,7"' in page  # the 2/3 threshold as a percent
    assert 'inputmode="decimal"' in page and 'type="number"' not in page.split('id="min_years_between"')[0]
    assert re.search(r'<input checked[^>]*value="ldtt_same_year"', page)
    assert not re.search(r'<input checked[^>]*value="tenure_6_months"', page)


def test_edit_with_bad_number_keeps_typed_data_and_explains(db, admin):
    ldtt = award_type("LDTT")
    response = admin.post(f"/catalogue/awards/{ldtt.id}/edit",
                          data=_edit_form(ldtt, coefficient="ba phẩy", name="Tên đã gõ"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phải là số, ví dụ 0,15 hoặc 1,5." in page
    assert 'value="ba phẩy"' in page and 'value="Tên đã gõ"' in page
    db.session.expire_all()
    assert award_type("LDTT").name == "Lao động tiên tiến"


def test_edit_with_collective_check_on_individual_title_shows_error_beside_checks(db, admin):
    ldtt = award_type("LDTT")
    response = admin.post(f"/catalogue/awards/{ldtt.id}/edit", data=_edit_form(ldtt, checks=["member_cstdcs"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "chỉ áp dụng cho tập thể" in page
    db.session.expire_all()
    assert "member_cstdcs" not in award_type("LDTT").checks


def test_edit_requiring_vote_without_threshold_is_refused(admin):
    ldtt = award_type("LDTT")
    page = admin.post(f"/catalogue/awards/{ldtt.id}/edit",
                      data=_edit_form(ldtt, vote_required="y", vote_threshold="")).get_data(as_text=True)
    assert "Vui lòng nhập ngưỡng biểu quyết" in page


# --- new version -------------------------------------------------------------------------------------------

def test_new_version_by_admin_ends_previous_and_opens_the_new_one(db, admin):
    ldtt = award_type("LDTT")
    response = admin.post(f"/catalogue/awards/{ldtt.id}/new-version",
                          data=_edit_form(ldtt, effective_from="01/07/2025", coefficient="0,4"))
    assert response.status_code == 302
    db.session.expire_all()
    old, new = versions_of("LDTT")
    assert old.effective_to == date(2025, 6, 30) and new.effective_from == date(2025, 7, 1)
    assert response.headers["Location"].endswith(f"/catalogue/awards/{new.id}")
    assert new.coefficient == Decimal("0.4")


def test_new_version_overlapping_is_refused_with_typed_date_kept(db, admin):
    ldtt = award_type("LDTT")
    response = admin.post(f"/catalogue/awards/{ldtt.id}/new-version",
                          data=_edit_form(ldtt, effective_from="01/01/2024"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã có phiên bản hiệu lực từ 01/01/2024" in page and 'value="01/01/2024"' in page
    db.session.expire_all()
    assert len(versions_of("LDTT")) == 1 and award_type("LDTT").effective_to is None


def test_new_version_without_start_date_is_refused(admin):
    ldtt = award_type("LDTT")
    page = admin.post(f"/catalogue/awards/{ldtt.id}/new-version", data=_edit_form(ldtt)).get_data(as_text=True)
    assert "Vui lòng nhập ngày bắt đầu hiệu lực." in page


# --- legal bases and quota rules ----------------------------------------------------------------------------

def test_create_legal_basis_by_admin(db, admin):
    response = admin.post("/catalogue/legal-bases/new", data={
        "code": "15/2025/TT-BNV", "title": "Thông tư quy định chi tiết Luật Thi đua, khen thưởng",
        "issued_on": "30/06/2025", "effective_from": "01/08/2025", "effective_to": "", "note": ""})
    assert response.status_code == 302
    basis = db.session.scalar(sa.select(LegalBasis).where(LegalBasis.code == "15/2025/TT-BNV"))
    assert basis.issued_on == date(2025, 6, 30) and basis.effective_from == date(2025, 8, 1)


def test_create_legal_basis_with_duplicate_code_shows_error_beside_code(admin):
    page = admin.post("/catalogue/legal-bases/new", data={"code": "98/2023/NĐ-CP", "title": "Trùng"}
                      ).get_data(as_text=True)
    assert "Văn bản số “98/2023/NĐ-CP” đã có trong danh mục." in page


def test_edit_legal_basis_by_admin(db, admin):
    basis = db.session.scalar(sa.select(LegalBasis).where(LegalBasis.code == "01/2024/TT-BNV"))
    response = admin.post(f"/catalogue/legal-bases/{basis.id}/edit", data={
        "code": basis.code, "title": basis.title, "issued_on": "24/02/2024", "effective_from": "24/02/2024",
        "effective_to": "31/07/2025", "note": "Thay thế bởi TT 15/2025/TT-BNV"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LegalBasis, basis.id).effective_to == date(2025, 7, 31)


def test_create_quota_rule_by_admin_reads_percent(db, admin):
    response = admin.post("/catalogue/quotas/new", data={
        "award_code": "TTLDXS", "basis_code": "TTLDTT", "max_ratio": "12,5", "hard_block": "y",
        "legal_basis_id": "0", "legal_ref": "Quy chế TĐKT tỉnh", "effective_from": "01/01/2026", "effective_to": "",
        "note": ""})
    assert response.status_code == 302
    rule = db.session.scalar(sa.select(QuotaRule).where(QuotaRule.award_code == "TTLDXS"))
    assert rule.max_ratio == Decimal("0.125") and rule.hard_block


def test_create_quota_rule_with_same_codes_keeps_data_and_explains(db, admin):
    page = admin.post("/catalogue/quotas/new", data={
        "award_code": "LDTT", "basis_code": "LDTT", "max_ratio": "70", "legal_basis_id": "0",
        "effective_from": "01/01/2026"}).get_data(as_text=True)
    assert "Danh hiệu làm cơ sở phải khác danh hiệu bị giới hạn." in page and 'value="70"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuotaRule)) == 2


def test_edit_quota_rule_by_admin(db, admin):
    rule = db.session.scalar(sa.select(QuotaRule).where(QuotaRule.award_code == "CSTDCS"))
    page = admin.get(f"/catalogue/quotas/{rule.id}/edit").get_data(as_text=True)
    assert 'value="15"' in page
    response = admin.post(f"/catalogue/quotas/{rule.id}/edit", data={
        "award_code": "CSTDCS", "basis_code": "LDTT", "max_ratio": "10", "legal_basis_id": "0",
        "effective_from": "01/01/2024", "effective_to": "", "note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(QuotaRule, rule.id).max_ratio == Decimal("0.100")


def test_edit_quota_rule_unknown_id_is_404(admin):
    assert admin.get("/catalogue/quotas/424242/edit").status_code == 404


# --- the checklist partial other pages include ---------------------------------------------------------------

def test_checklist_partial_shows_outcomes_reasons_and_quota_alerts(app):
    results = [CheckResult("ldtt_same_year", "Đạt LĐTT cùng năm", Outcome.FAIL, "Chưa có LĐTT năm 2025 trong sổ.",
                           "Điều 23")]
    quota = QuotaStatus(rule_id=1, award_code="CSTDCS", basis_code="LDTT", max_ratio=Decimal("0.15"), used=3,
                        basis=12, limit=1, hard_block=True, legal_ref=None, message="Đề nghị 3 CSTĐCS, vượt tỷ lệ")
    with app.test_request_context():
        html = render_template_string(
            '{% from "rules/_checklist.html" import checklist, quota_alerts %}{{ checklist(r) }}{{ quota_alerts(q) }}',
            r=results, q=[quota])
    assert 'data-outcome="fail"' in html and "Không đạt" in html and "Chưa có LĐTT năm 2025 trong sổ." in html
    assert "alert-danger" in html and "Đề nghị 3 CSTĐCS, vượt tỷ lệ" in html
