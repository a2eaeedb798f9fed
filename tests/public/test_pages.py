"""The public pages: no personal data, recognised models only, caching headers, search, a fixed number
of queries."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from thidua.filters import vnd
from thidua.registry.models import Gender
from thidua.showcase import services

from ..factories import make_award_record, make_decision, make_good_model, make_person, make_unit, make_user
from ..showcase import PNG, add_photo

SECRETS = ["14/03/1972", "1972-03-14", "038172000123", "Phó Giám đốc Sở", "hang.le@thanhhoa.gov.vn"]


@pytest.fixture
def published(db, province, unit):
    """A featured recognised model whose linked award is an issued decision's item for a person with a
    birth date, a national ID, a position and (as the model's creator) an e-mail; plus a public photo,
    a hidden photo and a replication."""
    person = make_person(full_name="Lê Thị Hằng", unit=unit, gender=Gender.FEMALE, birth_date=date(1972, 3, 14),
                         national_id="038172000123", position="Phó Giám đốc Sở")
    creator = make_user(full_name="Lê Thị Hằng", email="hang.le@thanhhoa.gov.vn")
    decision = make_decision(issuer=province, awardees=[person, unit])
    record = make_award_record(code="BK_TINH", year=decision.year, person=person, decision_number=decision.number)
    decision.items[0].award_record = record
    model = make_good_model(unit=unit, status="recognised", featured=True, title="Mô hình “Trường học hạnh phúc”",
                            awards=[record], created_by=creator)
    photo, hidden = add_photo(model), add_photo(model, public=False)
    services.replicate(model, unit=make_unit(name="Sở Y tế"), adopted_on=date(2025, 9, 1), result="Lan tỏa tốt")
    db.session.commit()
    return {"model": model, "photo": photo, "hidden": hidden, "decision": decision}


def _pages(w) -> list[str]:
    return ["/public/", "/public/models", f"/public/models/{w['model'].id}", "/public/models?q=truong hoc"]


def test_public_pages_reveal_no_personal_data_or_amounts(client, published):
    amounts = {vnd(i.amount) for i in published["decision"].items} | {vnd(published["decision"].total_amount)}
    for url in _pages(published):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        for secret in [*SECRETS, *amounts]:
            assert secret not in html, (url, secret)


def test_model_page_shows_what_the_decision_printed(client, published):
    html = client.get(f"/public/models/{published['model'].id}").get_data(as_text=True)
    assert "Lê Thị Hằng" in html and "Bằng khen" in html  # the awardee's printed name and the award
    assert "Sở Y tế" in html and "01/09/2025" in html and "Lan tỏa tốt" in html
    assert f"/photos/{published['photo'].id}" in html and f"/photos/{published['hidden'].id}" not in html


def test_home_lists_featured_model_and_issued_decision_without_names(client, published):
    html = client.get("/public/").get_data(as_text=True)
    decision = published["decision"]
    assert "Trường học hạnh phúc" in html and decision.number in html
    assert "Lê Thị Hằng" not in html
    assert 'href="/verify"' in html and 'href="/public/notices"' in html and 'href="/public/models"' in html


@pytest.mark.parametrize("status", ["proposed", "archived"])
def test_model_not_recognised_is_not_found(client, db, unit, status):
    model = make_good_model(unit=unit, status=status, title="Mô hình ẩn")
    photo = add_photo(model)
    db.session.commit()
    assert client.get(f"/public/models/{model.id}").status_code == 404
    assert client.get(f"/public/models/{model.id}/photos/{photo.id}").status_code == 404
    assert "Mô hình ẩn" not in client.get("/public/models").get_data(as_text=True)


def test_hidden_photo_and_photo_of_another_model_are_not_found(client, db, unit, published):
    model = published["model"]
    other = make_good_model(unit=unit, status="recognised")
    db.session.commit()
    assert client.get(f"/public/models/{model.id}/photos/{published['hidden'].id}").status_code == 404
    assert client.get(f"/public/models/{other.id}/photos/{published['photo'].id}").status_code == 404


def test_public_photo_is_served_inline_with_long_cache(client, published):
    url = f"/public/models/{published['model'].id}/photos/{published['photo'].id}"
    with client.get(url) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data == PNG
        assert "attachment" not in response.headers.get("Content-Disposition", "")
        assert response.cache_control.public and response.cache_control.max_age == 86400
        etag = response.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("page", ["home", "list", "model"])
def test_pages_send_caching_headers_and_answer_304(client, published, page):
    url = {"home": "/public/", "list": "/public/models", "model": f"/public/models/{published['model'].id}"}[page]
    first = client.get(url)
    assert first.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_model_page_answers_if_modified_since(client, published):
    url = f"/public/models/{published['model'].id}"
    first = client.get(url)
    assert first.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304


def test_search_ignores_diacritics_and_filters_by_field_and_unit(client, db, unit, province):
    make_good_model(unit=unit, status="recognised", title="Mô hình “Dân vận khéo”", field="culture")
    make_good_model(unit=province, status="recognised", title="Mô hình một cửa liên thông", field="administration")
    make_good_model(unit=unit, status="recognised", title="Cách làm hay về số hóa hồ sơ", field="administration")
    db.session.commit()

    def titles(query):
        html = client.get(f"/public/models?{query}").get_data(as_text=True)
        return {t for t in ("Dân vận khéo", "một cửa liên thông", "số hóa hồ sơ") if t in html}

    assert titles("q=mo hinh") == {"Dân vận khéo", "một cửa liên thông"}
    assert titles("q=MÔ HÌNH&field=administration") == {"một cửa liên thông"}
    assert titles(f"field=administration&unit={unit.id}") == {"số hóa hồ sơ"}
    assert titles("q=100%25") == set()


def test_showcase_is_paginated(client, db, unit):
    for i in range(14):
        make_good_model(unit=unit, status="recognised", title=f"Mô hình số {i:02d}")
    db.session.commit()
    first = client.get("/public/models").get_data(as_text=True)
    second = client.get("/public/models?page=2").get_data(as_text=True)
    assert "Tìm thấy 14 mô hình." in first
    assert first.count('class="card h-100 model-card"') == 12 and second.count('class="card h-100 model-card"') == 2


# --- queries per page ----------------------------------------------------------------------------------

def _count_selects(db, client, url) -> int:
    count = 0

    def note(conn, cursor, statement, parameters, context, executemany):
        nonlocal count
        count += statement.lstrip().upper().startswith("SELECT")

    db.session.expunge_all()  # nothing comes from the identity map of the factories
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return count


def _grow(db, model_id: int, province_id: int, n: int):
    """n more featured models with photos, replications, linked awards and decisions."""
    from thidua.org.models import Unit
    from thidua.showcase.models import GoodModel

    model, province = db.session.get(GoodModel, model_id), db.session.get(Unit, province_id)
    for _ in range(n):
        unit = make_unit()
        add_photo(make_good_model(unit=unit, status="recognised", featured=True))
        services.replicate(model, unit=unit, adopted_on=date(2025, 9, 2))
        person = make_person(unit=unit)
        make_decision(issuer=province, awardees=[person])
        model.awards.append(make_award_record(code="BK_TINH", year=2025, person=person))
    db.session.commit()


def test_public_pages_cost_a_fixed_number_of_queries(client, db, published, province):
    model_id, province_id = published["model"].id, province.id
    urls = {"home": "/public/", "list": "/public/models", "model": f"/public/models/{model_id}"}
    before = {k: _count_selects(db, client, u) for k, u in urls.items()}
    _grow(db, model_id, province_id, 5)
    after = {k: _count_selects(db, client, u) for k, u in urls.items()}
    assert after == before
    assert before["home"] <= 2 and before["list"] <= 2 and before["model"] <= 4
