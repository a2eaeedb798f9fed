"""The dashboard by role: numbers against hand-built data, charts and tables saying the same."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from thidua.auth.models import Role
from thidua.dashboards import charts, queries
from thidua.nominations.models import NominationStatus

from .. import factories


def _table(html: str, table_id: str) -> dict[str, list[str]]:
    """Rows of the table `table_id`: first cell → the other cells (tags stripped)."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section[^>]*id="{name}">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_officer_dashboard_counts_only_their_units_dossiers(db, unit, users, login_as):
    other = factories.make_unit(name="Sở Y tế")
    school = unit.children[0]
    factories.make_nomination(unit=unit, status="draft")
    factories.make_nomination(unit=school, status="draft")
    factories.make_nomination(unit=unit, status="submitted", submitted_at=datetime.now(UTC))
    for _ in range(3):
        factories.make_nomination(unit=other, status="draft")
    html = login_as(users[Role.UNIT_OFFICER]).get("/dashboard/").get_data(as_text=True)
    officer = _section(html, "officer")
    table = _table(officer, "officer-status")
    assert table[NominationStatus.DRAFT.label] == ["2"]
    assert table[NominationStatus.SUBMITTED.label] == ["1"]
    svg = re.search(r"<svg.*?</svg>", officer, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert f"{NominationStatus.DRAFT.label}: 2;" in svg  # the description states each value
    assert 'id="unsent-total">2<' in officer
    assert 'id="secretariat"' not in html and 'id="leaders"' not in html


def test_officer_deadlines_show_days_left_and_unsent_dossiers(db, unit, users, login_as):
    campaign = factories.make_campaign(nomination_deadline=date.today() + timedelta(days=5))
    factories.make_campaign(nomination_deadline=date.today() - timedelta(days=1))  # passed: not shown
    factories.make_nomination(unit=unit, campaign=campaign, status="draft")
    factories.make_nomination(unit=unit, campaign=campaign, status="submitted")
    html = login_as(users[Role.UNIT_OFFICER]).get("/dashboard/").get_data(as_text=True)
    rows = _table(html, "officer-deadlines")
    assert list(rows) == [campaign.name]
    assert rows[campaign.name][1:] == ["5", "1"]


def test_secretariat_sees_pipeline_of_all_units_and_overdue_dossiers(db, unit, users, login_as):
    other = factories.make_unit(name="Sở Y tế")
    old = datetime.now(UTC) - timedelta(days=30)
    late = factories.make_nomination(unit=other, status="submitted", submitted_at=old)
    factories.make_nomination(unit=unit, status="submitted", submitted_at=datetime.now(UTC))
    factories.make_nomination(unit=unit, status="draft")
    html = login_as(users[Role.SECRETARIAT]).get("/dashboard/").get_data(as_text=True)
    section = _section(html, "secretariat")
    assert _table(section, "secretariat-status")[NominationStatus.SUBMITTED.label] == ["2"]
    assert 'id="overdue-total">1<' in section
    overdue = _table(section, "secretariat-overdue")
    assert list(overdue) == [f"{late.nominee_name} – {late.award_type.name}"]
    units = _table(section, "secretariat-units")
    assert units["Sở Y tế"] == ["0", "1", "0"]
    assert units["Sở Giáo dục và Đào tạo"] == ["0", "1", "0"]  # the draft is not counted as sent


def test_overdue_counts_working_days_only():
    friday = date(2025, 6, 6)
    assert queries.working_days_before(friday, 10) == date(2025, 5, 23)
    assert queries.working_days_between(date(2025, 5, 23), friday) == 10


def test_leaders_see_awards_and_money_by_year_filtered_by_year(db, province, unit, users, login_as):
    this_year = date.today().year
    people = [factories.make_person(unit=unit) for _ in range(3)]
    d1 = factories.make_decision(issuer=province, awardees=people[:2], year=this_year)
    d2 = factories.make_decision(issuer=province, awardees=[people[2]], year=this_year - 2)
    client = login_as(users[Role.APPROVER])
    html = client.get("/dashboard/").get_data(as_text=True)
    years = _table(_section(html, "leaders"), "leaders-years")
    assert years[str(this_year)][:3] == ["0", "2", "2"]
    assert years[str(this_year)][3] == f"{d1.total_amount:,}".replace(",", ".") + " đ"
    assert years[str(this_year - 2)][:3] == ["0", "1", "1"]
    assert d2.total_amount > 0
    assert 'id="officer"' not in html and 'id="secretariat"' not in html
    filtered = client.get(f"/dashboard/?year={this_year - 2}").get_data(as_text=True)
    forms = _table(_section(filtered, "leaders"), "leaders-forms")
    assert list(forms.values()) == [["1"]]  # only the decision of that year
    assert f'name="year" min="1990" max="2100"\n           value="{this_year - 2}"' in filtered


def test_revoked_award_is_not_counted(db, province, unit, users, login_as):
    from thidua.dashboards.queries import Filters, awards_by_year

    person = factories.make_person(unit=unit)
    decision = factories.make_decision(issuer=province, awardees=[person])
    decision.items[0].revoked_at = datetime.now(UTC)
    db.session.flush()
    assert awards_by_year(Filters())[-1].total == 0


def test_bar_chart_writes_every_value_and_escapes_labels():
    svg = charts.bar_chart("Hồ sơ <mới>", [("Dự thảo", 12), ("Đã gửi", 3)], x_label="Số hồ sơ", y_label="Trạng thái")
    assert "&lt;mới&gt;" in svg and "<mới>" not in svg
    assert ">12<" in svg and ">3<" in svg and 'role="img"' in svg


def test_line_chart_marks_each_point_with_its_value():
    svg = charts.line_chart("Tiền thưởng", ["2024", "2025"], [("Tiền", [1_000_000, 2_500_000])],
                            x_label="Năm", y_label="Đồng")
    assert ">1.000.000<" in svg and ">2.500.000<" in svg and "<polyline" in svg


def test_dashboard_needs_login(client):
    assert client.get("/dashboard/").status_code in (302, 401)
