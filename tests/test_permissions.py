"""The living spec of who may do what.

`CASES` lists every route of the application with the roles allowed to use it; each case runs for
every role and for an anonymous visitor. `test_every_route_has_a_case` fails when a route is added
without a line here, so no view can slip past the policy unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from tests import factories
from thidua.auth.models import Role
from thidua.campaigns.models import CampaignDocument
from thidua.permissions import can

ANON = "anonymous"
EVERYONE = frozenset({ANON, *Role})
SIGNED_IN = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({Role.ADMIN, Role.SECRETARIAT})
OFFICER = frozenset({Role.UNIT_OFFICER})


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: Callable[[dict], str]
    allowed: frozenset
    note: str = ""

    def __str__(self) -> str:
        return f"{self.endpoint}{'[' + self.note + ']' if self.note else ''}"


CASES: list[Case] = [
    Case("static", "GET", lambda w: "/static/css/app.css", EVERYONE),
    Case("bootstrap.static", "GET", lambda w: "/bootstrap/static/css/bootstrap.min.css", EVERYONE),
    Case("home.index", "GET", lambda w: "/", SIGNED_IN),
    # accounts
    Case("auth.login", "GET", lambda w: "/auth/login", EVERYONE),
    Case("auth.logout", "POST", lambda w: "/auth/logout", EVERYONE),
    Case("auth.change_password", "GET", lambda w: "/auth/password", SIGNED_IN),
    Case("auth.users", "GET", lambda w: "/auth/users", ADMIN),
    Case("auth.create_user", "GET", lambda w: "/auth/users/new", ADMIN),
    Case("auth.edit_user", "GET", lambda w: f"/auth/users/{w['other_user'].id}", ADMIN),
    Case("auth.unlock_user", "POST", lambda w: f"/auth/users/{w['other_user'].id}/unlock", ADMIN),
    # campaigns
    Case("campaigns.index", "GET", lambda w: "/campaigns/", SIGNED_IN),
    Case("campaigns.create", "GET", lambda w: "/campaigns/new", STAFF),
    Case("campaigns.detail", "GET", lambda w: f"/campaigns/{w['open'].id}", SIGNED_IN, "open"),
    Case("campaigns.detail", "GET", lambda w: f"/campaigns/{w['draft'].id}", STAFF, "draft"),
    Case("campaigns.edit", "GET", lambda w: f"/campaigns/{w['open'].id}/edit", STAFF),
    Case("campaigns.edit", "GET", lambda w: f"/campaigns/{w['summarized'].id}/edit", frozenset(), "summarized"),
    Case("campaigns.change_status", "POST", lambda w: f"/campaigns/{w['draft'].id}/status/open", STAFF, "open"),
    Case("campaigns.change_status", "POST", lambda w: f"/campaigns/{w['open'].id}/status/close", STAFF, "close"),
    Case("campaigns.change_status", "POST", lambda w: f"/campaigns/{w['open'].id}/status/summarize",
         frozenset(), "summarize-open"),
    Case("campaigns.delete", "POST", lambda w: f"/campaigns/{w['draft'].id}/delete", STAFF),
    Case("campaigns.delete", "POST", lambda w: f"/campaigns/{w['open'].id}/delete", frozenset(), "open"),
    Case("campaigns.add_document", "GET", lambda w: f"/campaigns/{w['open'].id}/documents/new", STAFF),
    Case("campaigns.download_document", "GET",
         lambda w: f"/campaigns/{w['open'].id}/documents/{w['document'].id}", SIGNED_IN),
    Case("campaigns.download_document", "GET",
         lambda w: f"/campaigns/{w['draft'].id}/documents/{w['draft_document'].id}", STAFF, "draft"),
    Case("campaigns.delete_document", "POST",
         lambda w: f"/campaigns/{w['open'].id}/documents/{w['document'].id}/delete", STAFF),
    Case("campaigns.register", "GET", lambda w: f"/campaigns/{w['open'].id}/register", OFFICER),
    Case("campaigns.register", "GET", lambda w: f"/campaigns/{w['closed'].id}/register", frozenset(), "closed"),
    Case("campaigns.cancel_registration", "POST",
         lambda w: f"/campaigns/registrations/{w['own_registration'].id}/cancel", STAFF | OFFICER, "own unit"),
    Case("campaigns.cancel_registration", "POST",
         lambda w: f"/campaigns/registrations/{w['other_registration'].id}/cancel", STAFF, "other unit"),
    # audit
    Case("audit.index", "GET", lambda w: "/audit/", ADMIN),
    Case("audit.object_history", "GET", lambda w: f"/audit/units/{w['unit'].id}", ADMIN),
    # organisation and clusters
    Case("org.index", "GET", lambda w: "/units/", STAFF),
    Case("org.import_units", "GET", lambda w: "/units/import", ADMIN),
    Case("org.detail", "GET", lambda w: f"/units/{w['unit'].id}", STAFF),
    Case("org.create", "GET", lambda w: "/units/new", ADMIN),
    Case("org.edit", "GET", lambda w: f"/units/{w['unit'].id}/edit", ADMIN),
    Case("org.add_succession", "GET", lambda w: f"/units/{w['unit'].id}/successions/new", ADMIN),
    Case("org.remove_succession", "POST",
         lambda w: f"/units/{w['succession'].successor_id}/successions/{w['succession'].id}/delete", ADMIN),
    Case("org.import_template", "GET", lambda w: "/units/import/template.xlsx", ADMIN),
    Case("clusters.index", "GET", lambda w: "/clusters/", STAFF),
    Case("clusters.create", "GET", lambda w: "/clusters/new", STAFF),
    Case("clusters.detail", "GET", lambda w: f"/clusters/{w['cluster'].id}", STAFF),
    Case("clusters.edit", "GET", lambda w: f"/clusters/{w['cluster'].id}/edit", STAFF),
    Case("clusters.add_member", "GET", lambda w: f"/clusters/{w['cluster'].id}/members/new", STAFF),
    Case("clusters.remove_member", "POST",
         lambda w: f"/clusters/{w['cluster'].id}/members/{w['cluster'].memberships[0].id}/delete", STAFF),
]


@pytest.fixture
def world(db, users, unit, province, app):
    """Objects every case can point at: campaigns in each state, documents, registrations."""
    other_unit = factories.make_unit(code="38.SYT", name="Sở Y tế", parent=province)
    school = unit.children[0]
    open_campaign = factories.make_campaign(status="open")
    w = {
        "unit": unit,
        "other_unit": other_unit,
        "open": open_campaign,
        "draft": factories.make_campaign(status="draft"),
        "closed": factories.make_campaign(status="closed"),
        "summarized": factories.make_campaign(status="summarized"),
        "own_registration": factories.make_registration(open_campaign, school),
        "other_registration": factories.make_registration(open_campaign, other_unit),
        "other_user": factories.make_user(username="nguoikhac", roles=[Role.COUNCIL_MEMBER]),
        "cluster": factories.make_cluster(units=[unit, other_unit]),
        "succession": factories.make_succession(
            factories.make_unit(code="38.CU", valid_from=date(2000, 1, 1), valid_to=date(2025, 6, 30)), other_unit
        ),
    }
    for key, campaign in (("document", w["open"]), ("draft_document", w["draft"])):
        doc = CampaignDocument(campaign=campaign, title="Kế hoạch", original_name="ke-hoach.pdf",
                               stored_name=f"{key}.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
        db.session.add(doc)
        (app.config["UPLOAD_FOLDER"] / f"{key}.pdf").write_bytes(b"%PDF-1.4\n")
        w[key] = doc
    db.session.commit()
    return w


def test_every_route_has_a_case(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    covered = {case.endpoint for case in CASES}
    assert routes - covered == set(), "routes without a permission case"
    assert covered - routes == set(), "cases for routes that do not exist"


def test_no_permission_rule_lets_an_anonymous_visitor_act():
    from thidua.permissions import PUBLIC_ACTIONS, RULES

    assert {action for action in RULES if can(None, action)} == PUBLIC_ACTIONS


def test_unknown_action_is_a_programming_error(users):
    with pytest.raises(LookupError):
        can(users[Role.ADMIN], "campaign.frobnicate")


@pytest.mark.parametrize("role", [ANON, *Role], ids=lambda r: getattr(r, "value", r))
@pytest.mark.parametrize("case", CASES, ids=str)
def test_route_access(case: Case, role, world, users, login_as, client):
    http = client if role == ANON else login_as(users[role])
    response = http.open(case.url(world), method=case.method)
    response.close()
    login_redirect = response.status_code == 302 and "/auth/login" in response.headers.get("Location", "")
    if role in case.allowed:
        assert response.status_code not in (401, 403, 404, 405, 500), f"{case} should allow {role}"
        if role != ANON:
            assert not login_redirect or case.endpoint == "auth.logout"
    elif role == ANON:
        assert login_redirect, f"{case} should send an anonymous visitor to the login page"
    else:
        assert response.status_code == 403, f"{case} should refuse {role}, got {response.status_code}"
