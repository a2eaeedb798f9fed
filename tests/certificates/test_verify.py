"""Public verification (no login): by short code, in any case and with or without dashes; a revoked
award says so and why; an unknown code is a 404 in Vietnamese; nothing is cached."""

from __future__ import annotations

from datetime import UTC, date, datetime

from thidua.certificates import render

from . import awarded


def revoke(item, *, number="215/QĐ-UBND", on=date(2026, 4, 2), reason="Kê khai thành tích không trung thực"):
    item.revoked_at = datetime.now(UTC)
    item.revocation_number, item.revocation_date, item.revocation_reason = number, on, reason


def test_citizen_verifies_a_certificate_by_its_printed_code(db, client, province, unit):
    decision = awarded(province, unit, names=["Nguyễn Thị Hằng"], signed_on=date(2026, 3, 5))
    item = decision.items[0]
    db.session.commit()
    typed = render.group_code(item.verify_code).lower()  # as a person copies it from the paper
    response = client.get(f"/verify/{typed}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    for shown in ("Hợp lệ", "Bà Nguyễn Thị Hằng", f"Giáo viên, {unit.name}", "Bằng khen của Chủ tịch UBND tỉnh",
                  f"Số {decision.number} ngày 05/03/2026", "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA",
                  f"Số sổ vàng</dt><dd class=\"col-sm-8\">{item.gold_book_number}"):
        assert shown in response.text


def test_page_shows_no_personal_data_beyond_the_certificate(db, client, province, unit):
    item = awarded(province, unit, names=["Đặng Quốc Vượng"]).items[0]
    item.person.birth_date = date(1979, 11, 23)
    db.session.commit()
    text = client.get(f"/verify/{item.verify_code}").text
    assert "Ông Đặng Quốc Vượng" in text and "1979" not in text and "23/11" not in text
    assert str(item.amount) not in text  # the prize money is not printed on the certificate


def test_revoked_award_shows_the_revoking_decision_and_reason(db, client, province, unit):
    item = awarded(province, unit, names=["Lê Thị Ánh Tuyết"]).items[0]
    db.session.commit()
    assert "Hợp lệ" in client.get(f"/verify/{item.verify_code}").text
    revoke(item)
    db.session.commit()
    response = client.get(f"/verify/{item.verify_code}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert "Đã bị thu hồi" in response.text and "Hợp lệ" not in response.text
    assert "theo Quyết định số 215/QĐ-UBND ngày 02/04/2026" in response.text
    assert "Lý do: Kê khai thành tích không trung thực" in response.text


def test_unknown_code_is_a_vietnamese_404(db, client):
    response = client.get("/verify/ABCD-EFGH-2345")
    assert response.status_code == 404
    assert "Không tìm thấy giấy chứng nhận" in response.text and "ABCD-EFGH-2345" in response.text


def test_lookup_form_sends_the_typed_code_to_its_page(db, client, province, unit):
    item = awarded(province, unit, names=["Nguyễn Thị Hằng"]).items[0]
    db.session.commit()
    assert "Mã tra cứu in trên giấy chứng nhận" in client.get("/verify").text
    response = client.get("/verify", query_string={"code": f"  {render.group_code(item.verify_code).lower()} "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{item.verify_code}")
    assert "Vui lòng nhập mã tra cứu." in client.get("/verify", query_string={"code": " "}).text


def test_code_of_a_draft_decision_is_unknown(db, client, province, unit):
    decision = awarded(province, unit, names=["Nguyễn Thị Hằng"])
    code = decision.items[0].verify_code
    decision.status = type(decision.status)("draft")
    db.session.commit()
    assert client.get(f"/verify/{code}").status_code == 404


def test_verification_works_before_templates_are_seeded(db, client, province, unit):
    from .. import factories

    person = factories.make_person(full_name="Nguyễn Thị Hằng", unit=unit)
    item = factories.make_decision(issuer=province, awardees=[person]).items[0]
    db.session.commit()
    response = client.get(f"/verify/{item.verify_code}")
    assert response.status_code == 200 and "Nguyễn Thị Hằng" in response.text
