"""The living spec of who may do what.

`CASES` lists every route of the application with the roles allowed to use it; each case runs for
every role and for an anonymous visitor. `test_every_route_has_a_case` fails when a route is added
without a line here, so no view can slip past the policy unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.registry.test_importer import person_row, xlsx
from tests.showcase import add_photo
from thidua.auth.models import Role
from thidua.awards import proposals as proposal_services
from thidua.awards.models import FundBudget
from thidua.campaigns.models import CampaignDocument
from thidua.certificates import render
from thidua.certificates.models import (
    Artwork,
    ArtworkKind,
    JobStatus,
    PrinterCalibration,
    PrintJob,
    PrintMode,
)
from thidua.certificates.seed import seed_certificate_templates
from thidua.clusters.models import ClusterEvidence, ClusterScoreSheet, SheetKind
from thidua.councils.models import Attendance, AttendanceStatus, Recusal
from thidua.nominations.models import NominationAttachment, SubmissionBatch
from thidua.notices import services as notice_services
from thidua.notifications.models import EmailMessage, Notification
from thidua.permissions import can
from thidua.registry import importer
from thidua.registry.models import DisciplineRecord
from thidua.rules.models import DossierPart, QuotaRule

ANON = "anonymous"
EVERYONE = frozenset({ANON, *Role})
SIGNED_IN = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({Role.ADMIN, Role.SECRETARIAT})
OFFICER = frozenset({Role.UNIT_OFFICER})
REVIEWERS = frozenset({Role.COUNCIL_MEMBER, Role.APPROVER})
TWO_FACTOR = frozenset({Role.ADMIN, Role.SECRETARIAT, Role.APPROVER})


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: Callable[[dict], str]
    allowed: frozenset
    note: str = ""
    refused: int = 403  # what a signed-in user outside `allowed` gets (404 where existence must not show)

    def __str__(self) -> str:
        return f"{self.endpoint}{'[' + self.note + ']' if self.note else ''}"


def DRAFT_ITEM(w) -> int:
    return w["draft_decision"].items[0].id


def CY(w) -> str:
    return f"/cluster-years/{w['cluster_year'].id}"


CY_VIEW = STAFF | {Role.APPROVER, Role.UNIT_OFFICER}

CASES: list[Case] = [
    Case("static", "GET", lambda w: "/static/css/app.css", EVERYONE),
    Case("bootstrap.static", "GET", lambda w: "/bootstrap/static/css/bootstrap.min.css", EVERYONE),
    Case("home.index", "GET", lambda w: "/", SIGNED_IN),
    Case("observability.healthz", "GET", lambda w: "/healthz", EVERYONE),
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
    # catalogue
    Case("rules.index", "GET", lambda w: "/catalogue/", SIGNED_IN),
    Case("rules.detail", "GET", lambda w: f"/catalogue/awards/{w['award_type'].id}", SIGNED_IN),
    Case("rules.edit", "GET", lambda w: f"/catalogue/awards/{w['award_type'].id}/edit", ADMIN),
    Case("rules.new_version", "GET", lambda w: f"/catalogue/awards/{w['award_type'].id}/new-version", ADMIN),
    Case("rules.legal_bases", "GET", lambda w: "/catalogue/legal-bases", SIGNED_IN),
    Case("rules.create_legal_basis", "GET", lambda w: "/catalogue/legal-bases/new", ADMIN),
    Case("rules.edit_legal_basis", "GET",
         lambda w: f"/catalogue/legal-bases/{w['award_type'].legal_basis_id}/edit", ADMIN),
    Case("rules.quotas", "GET", lambda w: "/catalogue/quotas", SIGNED_IN),
    Case("rules.create_quota", "GET", lambda w: "/catalogue/quotas/new", ADMIN),
    Case("rules.edit_quota", "GET", lambda w: f"/catalogue/quotas/{w['quota_rule'].id}/edit", ADMIN),
    # nominations
    Case("nominations.index", "GET", lambda w: "/nominations/", STAFF | OFFICER),
    Case("nominations.queue", "GET", lambda w: "/nominations/queue", STAFF),
    Case("nominations.create", "GET", lambda w: "/nominations/new", OFFICER),
    Case("nominations.detail", "GET", lambda w: f"/nominations/{w['draft_nomination'].id}", STAFF | OFFICER, "draft"),
    Case("nominations.detail", "GET", lambda w: f"/nominations/{w['accepted_nomination'].id}",
         STAFF | OFFICER | REVIEWERS, "accepted"),
    Case("nominations.detail", "GET", lambda w: f"/nominations/{w['other_nomination'].id}", STAFF, "other unit"),
    Case("nominations.edit", "GET", lambda w: f"/nominations/{w['draft_nomination'].id}/edit", OFFICER),
    Case("nominations.edit", "GET", lambda w: f"/nominations/{w['submitted_nomination'].id}/edit", frozenset(),
         "submitted"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['draft_nomination'].id}/submit", OFFICER, "submit"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['submitted_nomination'].id}/withdraw", OFFICER,
         "withdraw"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['submitted_nomination'].id}/accept", STAFF, "accept"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['submitted_nomination'].id}/return", STAFF, "return"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['submitted_nomination'].id}/reject", STAFF, "reject"),
    Case("nominations.act", "POST", lambda w: f"/nominations/{w['other_nomination'].id}/withdraw", frozenset(),
         "other unit"),
    Case("nominations.add_attachment", "GET", lambda w: f"/nominations/{w['draft_nomination'].id}/attachments/new",
         OFFICER),
    Case("nominations.download_attachment", "GET",
         lambda w: f"/nominations/{w['draft_nomination'].id}/attachments/{w['attachment'].id}", STAFF | OFFICER),
    Case("nominations.delete_attachment", "POST",
         lambda w: f"/nominations/{w['draft_nomination'].id}/attachments/{w['attachment'].id}/delete", OFFICER),
    Case("nominations.add_initiative", "GET", lambda w: f"/nominations/{w['draft_nomination'].id}/initiatives/new",
         OFFICER),
    Case("nominations.link_initiative", "POST", lambda w: f"/nominations/{w['draft_nomination'].id}/initiatives/link",
         OFFICER),
    Case("nominations.remove_initiative", "POST",
         lambda w: f"/nominations/{w['draft_nomination'].id}/initiatives/{w['initiative'].id}/remove", OFFICER),
    Case("nominations.batch_index", "GET", lambda w: "/nominations/batches/", OFFICER),
    Case("nominations.create_batch", "GET", lambda w: "/nominations/batches/new", OFFICER),
    Case("nominations.batch_detail", "GET", lambda w: f"/nominations/batches/{w['batch'].id}", OFFICER),
    Case("nominations.batch_detail", "GET", lambda w: f"/nominations/batches/{w['other_batch'].id}", frozenset(),
         "other unit"),
    Case("nominations.add_to_batch", "POST", lambda w: f"/nominations/batches/{w['batch'].id}/add", OFFICER),
    Case("nominations.remove_from_batch", "POST",
         lambda w: f"/nominations/batches/{w['batch'].id}/nominations/{w['draft_nomination'].id}/remove", OFFICER),
    Case("nominations.submit_batch", "POST", lambda w: f"/nominations/batches/{w['batch'].id}/submit", OFFICER),
    Case("nomination_excel.template", "GET",
         lambda w: f"/nominations/excel/template/{w['notice'].award_type_id}.xlsx", OFFICER),
    Case("nomination_excel.import_list", "GET", lambda w: "/nominations/excel/import", OFFICER),
    Case("nomination_excel.import_list", "GET",
         lambda w: f"/nominations/excel/import?award_type={w['notice'].award_type_id}", OFFICER, "award chosen"),
    Case("nomination_excel.export", "GET", lambda w: "/nominations/excel/export.xlsx", STAFF | OFFICER),
    # registry
    Case("registry.search", "GET", lambda w: "/registry/?q=nguyen", SIGNED_IN),
    Case("registry.person", "GET", lambda w: f"/registry/people/{w['person'].id}", SIGNED_IN, "own unit"),
    Case("registry.person", "GET", lambda w: f"/registry/people/{w['other_person'].id}", SIGNED_IN - OFFICER,
         "other unit"),
    Case("registry.create_person", "GET", lambda w: "/registry/people/new", STAFF | OFFICER),
    Case("registry.export_person", "POST", lambda w: f"/registry/people/{w['person'].id}/export", STAFF),
    Case("registry.edit_person", "GET", lambda w: f"/registry/people/{w['person'].id}/edit", STAFF | OFFICER,
         "own unit"),
    Case("registry.edit_person", "GET", lambda w: f"/registry/people/{w['other_person'].id}/edit", STAFF,
         "other unit"),
    Case("registry.add_person_award", "GET", lambda w: f"/registry/people/{w['person'].id}/awards/new", STAFF),
    Case("registry.add_unit_award", "GET", lambda w: f"/registry/units/{w['unit'].id}/awards/new", STAFF),
    Case("registry.edit_award", "GET", lambda w: f"/registry/awards/{w['award_record'].id}/edit", STAFF),
    Case("registry.delete_award", "POST", lambda w: f"/registry/awards/{w['award_record'].id}/delete", STAFF),
    Case("registry.add_person_evaluation", "GET",
         lambda w: f"/registry/people/{w['person'].id}/evaluations/new", STAFF | OFFICER, "own unit"),
    Case("registry.add_person_evaluation", "GET",
         lambda w: f"/registry/people/{w['other_person'].id}/evaluations/new", STAFF, "other unit"),
    Case("registry.add_unit_evaluation", "GET", lambda w: f"/registry/units/{w['unit'].id}/evaluations/new", STAFF),
    Case("registry.edit_evaluation", "GET", lambda w: f"/registry/evaluations/{w['evaluation'].id}/edit",
         STAFF | OFFICER, "own person"),
    Case("registry.edit_evaluation", "GET", lambda w: f"/registry/evaluations/{w['unit_evaluation'].id}/edit",
         STAFF, "unit"),
    Case("registry.delete_evaluation", "POST", lambda w: f"/registry/evaluations/{w['evaluation'].id}/delete",
         STAFF),
    Case("registry.add_initiative", "GET", lambda w: f"/registry/people/{w['person'].id}/initiatives/new",
         STAFF | OFFICER),
    Case("registry.edit_initiative", "GET", lambda w: f"/registry/initiatives/{w['person_initiative'].id}/edit",
         STAFF | OFFICER),
    Case("registry.delete_initiative", "POST",
         lambda w: f"/registry/initiatives/{w['person_initiative'].id}/delete", STAFF),
    Case("registry.add_discipline", "GET", lambda w: f"/registry/people/{w['person'].id}/discipline/new", STAFF),
    Case("registry.edit_discipline", "GET", lambda w: f"/registry/discipline/{w['discipline'].id}/edit", STAFF),
    Case("registry.delete_discipline", "POST", lambda w: f"/registry/discipline/{w['discipline'].id}/delete",
         STAFF),
    Case("registry.unit_history", "GET", lambda w: f"/registry/units/{w['unit'].id}", SIGNED_IN, "own unit"),
    Case("registry.unit_history", "GET", lambda w: f"/registry/units/{w['other_unit'].id}", SIGNED_IN - OFFICER,
         "other unit"),
    Case("registry.import_awards", "GET", lambda w: "/registry/import", STAFF),
    Case("registry.import_template", "GET", lambda w: "/registry/import/template.xlsx", STAFF),
    Case("registry.import_preview", "GET", lambda w: f"/registry/import/{w['import_token']}", STAFF),
    Case("registry.import_cancel", "POST", lambda w: f"/registry/import/{w['import_token']}/cancel", STAFF),
    # councils, scoring and the secret ballot
    Case("councils.index", "GET", lambda w: "/councils/", STAFF | {Role.APPROVER}),
    Case("councils.create", "GET", lambda w: "/councils/new", STAFF),
    Case("councils.detail", "GET", lambda w: f"/councils/{w['council'].id}", STAFF | REVIEWERS),
    Case("councils.edit", "GET", lambda w: f"/councils/{w['council'].id}/edit", STAFF),
    Case("councils.add_member", "GET", lambda w: f"/councils/{w['council'].id}/members/new", STAFF),
    Case("councils.end_member", "GET",
         lambda w: f"/councils/{w['council'].id}/members/{w['council'].members[1].id}/end", STAFF),
    Case("councils.create_session", "GET", lambda w: f"/councils/{w['council'].id}/sessions/new", STAFF),
    Case("councils.session", "GET", lambda w: f"/councils/sessions/{w['planned_session'].id}", STAFF | REVIEWERS),
    Case("councils.add_agenda", "POST", lambda w: f"/councils/sessions/{w['planned_session'].id}/agenda", STAFF),
    Case("councils.remove_agenda", "POST",
         lambda w: f"/councils/sessions/{w['planned_session'].id}/agenda/{w['agenda_item'].id}/remove", STAFF),
    Case("councils.move_agenda", "POST",
         lambda w: f"/councils/sessions/{w['planned_session'].id}/agenda/{w['agenda_item'].id}/up", STAFF),
    Case("councils.attendance", "POST", lambda w: f"/councils/sessions/{w['planned_session'].id}/attendance", STAFF),
    Case("councils.change_status", "POST", lambda w: f"/councils/sessions/{w['planned_session'].id}/open", STAFF),
    Case("councils.reopen", "GET", lambda w: f"/councils/sessions/{w['closed_session'].id}/reopen",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("councils.declare_conflict", "GET",
         lambda w: f"/councils/sessions/{w['planned_session'].id}/agenda/{w['agenda_item'].id}/conflict",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("councils.lift_recusal", "POST",
         lambda w: f"/councils/sessions/{w['planned_session'].id}/recusals/{w['declared_recusal'].id}/lift", STAFF),
    Case("councils.my_sessions", "GET", lambda w: "/councils/my-sessions", SIGNED_IN),
    Case("scoring.index", "GET", lambda w: "/rubrics/", STAFF | {Role.APPROVER}),
    Case("scoring.create", "GET", lambda w: "/rubrics/new", STAFF),
    Case("scoring.detail", "GET", lambda w: f"/rubrics/{w['rubric'].id}", STAFF | {Role.APPROVER}),
    Case("scoring.edit", "GET", lambda w: f"/rubrics/{w['rubric'].id}/edit", STAFF),
    Case("scoring.add_criterion", "GET", lambda w: f"/rubrics/{w['rubric'].id}/criteria/new", STAFF),
    Case("scoring.edit_criterion", "GET",
         lambda w: f"/rubrics/{w['rubric'].id}/criteria/{w['rubric'].criteria[0].id}", STAFF),
    Case("scoring.delete_criterion", "POST",
         lambda w: f"/rubrics/{w['rubric'].id}/criteria/{w['rubric'].criteria[0].id}/delete", STAFF),
    Case("council_scoring.sheet", "GET", lambda w: f"/councils/scoring/sessions/{w['open_session'].id}",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("council_scoring.save", "POST", lambda w: f"/councils/scoring/items/{w['open_session'].agenda[0].id}",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("council_scoring.progress", "GET", lambda w: f"/councils/scoring/sessions/{w['open_session'].id}/progress",
         STAFF),
    Case("council_scoring.results", "GET",
         lambda w: f"/councils/scoring/sessions/{w['closed_session'].id}/results", STAFF | REVIEWERS),
    Case("council_ballot.vote", "GET", lambda w: f"/councils/ballot/sessions/{w['open_session'].id}",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("council_ballot.cast", "POST", lambda w: f"/councils/ballot/items/{w['open_session'].agenda[0].id}",
         frozenset({Role.COUNCIL_MEMBER})),
    Case("council_ballot.count", "GET", lambda w: f"/councils/ballot/sessions/{w['open_session'].id}/count", STAFF),
    Case("council_ballot.results", "GET",
         lambda w: f"/councils/ballot/sessions/{w['closed_session'].id}/results", STAFF | REVIEWERS),
    # the chair signs the minutes, so may download them
    Case("council_ballot.minutes", "GET",
         lambda w: f"/councils/ballot/sessions/{w['closed_session'].id}/minutes.pdf",
         STAFF | {Role.APPROVER, Role.COUNCIL_MEMBER}),
    # public notice
    Case("notices.index", "GET", lambda w: "/notices/", STAFF | REVIEWERS),
    Case("notices.create", "GET", lambda w: "/notices/new", STAFF),
    Case("notices.create", "GET", lambda w: f"/notices/new?award_type={w['notice'].award_type_id}", STAFF,
         "award chosen"),
    Case("notices.edit", "GET", lambda w: f"/notices/{w['notice'].id}/edit", STAFF),
    Case("notices.end", "POST", lambda w: f"/notices/{w['notice'].id}/end", STAFF),
    Case("notices.comments", "GET", lambda w: f"/notices/{w['notice'].id}", STAFF | REVIEWERS),
    Case("notices.nomination_comments", "GET",
         lambda w: f"/notices/nominations/{w['notice_candidate'].id}/comments", STAFF | REVIEWERS),
    Case("notices.public_index", "GET", lambda w: "/public/notices", EVERYONE),
    Case("notices.public_detail", "GET", lambda w: f"/public/notices/{w['notice'].id}", EVERYONE),
    Case("notices.public_comment", "GET",
         lambda w: f"/public/notices/{w['notice'].id}/candidates/{w['notice_candidate'].id}", EVERYONE),
    Case("notices.public_comment", "POST",
         lambda w: f"/public/notices/{w['notice'].id}/candidates/{w['notice_candidate'].id}", EVERYONE, "post"),
    # notifications, e-mail and password reset
    Case("auth.forgot_password", "GET", lambda w: "/auth/forgot", EVERYONE),
    Case("auth.forgot_password", "POST", lambda w: "/auth/forgot", EVERYONE, "post"),
    Case("auth.reset_password", "GET", lambda w: "/auth/reset/not-a-token", EVERYONE),
    Case("auth.reset_password", "POST", lambda w: "/auth/reset/not-a-token", EVERYONE, "post"),
    Case("mail.preferences", "GET", lambda w: "/mail/preferences", SIGNED_IN),
    Case("mail.preferences", "POST", lambda w: "/mail/preferences", SIGNED_IN, "post"),
    Case("mail.log", "GET", lambda w: "/mail/", ADMIN),
    Case("mail.message", "GET", lambda w: f"/mail/{w['email_message'].id}", ADMIN),
    Case("notifications.inbox", "GET", lambda w: "/notifications/", SIGNED_IN),
    Case("notifications.unread_json", "GET", lambda w: "/notifications/unread.json", SIGNED_IN),
    Case("notifications.read_all", "POST", lambda w: "/notifications/read-all", SIGNED_IN),
    Case("notifications.read", "POST", lambda w: f"/notifications/{w['notification'].id}/read", ADMIN,
         "another user's: not found", refused=404),
    # dashboards and list exports
    Case("dashboards.index", "GET", lambda w: "/dashboard/", SIGNED_IN),
    Case("campaigns.index_xlsx", "GET", lambda w: "/campaigns/export.xlsx", SIGNED_IN),
    Case("awards.index_xlsx", "GET", lambda w: "/decisions/export.xlsx", STAFF | {Role.APPROVER}),
    Case("nominations.queue_xlsx", "GET", lambda w: "/nominations/queue/export.xlsx", STAFF),
    Case("auth.users_xlsx", "GET", lambda w: "/auth/users/export.xlsx", ADMIN),
    Case("auth.second_factor", "GET", lambda w: "/auth/login/code", EVERYONE),
    Case("auth.two_factor_status", "GET", lambda w: "/auth/two-factor", TWO_FACTOR),
    Case("auth.two_factor_setup", "GET", lambda w: "/auth/two-factor/setup", TWO_FACTOR),
    Case("auth.two_factor_recovery_codes", "POST", lambda w: "/auth/two-factor/recovery-codes", TWO_FACTOR),
    Case("auth.two_factor_disable", "POST", lambda w: "/auth/two-factor/disable", TWO_FACTOR),
    Case("auth.reset_user_two_factor", "POST", lambda w: f"/auth/users/{w['other_user'].id}/two-factor/reset", ADMIN),
    Case("audit.index_xlsx", "GET", lambda w: "/audit/export.xlsx", ADMIN),
    Case("campaigns.registrations_xlsx", "GET", lambda w: f"/campaigns/{w['open'].id}/registrations/export.xlsx",
         SIGNED_IN, "open"),
    Case("campaigns.registrations_xlsx", "GET", lambda w: f"/campaigns/{w['draft'].id}/registrations/export.xlsx",
         STAFF, "draft"),
    Case("registry.search_xlsx", "GET", lambda w: "/registry/export.xlsx?q=nguyen", SIGNED_IN),
    Case("proposals.index_xlsx", "GET", lambda w: "/proposals/export.xlsx", STAFF | {Role.APPROVER}),
    Case("councils.sessions_xlsx", "GET", lambda w: f"/councils/{w['council'].id}/sessions/export.xlsx",
         STAFF | REVIEWERS),
    Case("cluster_years.index_xlsx", "GET", lambda w: "/cluster-years/export.xlsx", CY_VIEW),
    Case("notices.index_xlsx", "GET", lambda w: "/notices/export.xlsx", STAFF | REVIEWERS),
    Case("org.index_xlsx", "GET", lambda w: "/units/export.xlsx", STAFF),
    Case("print_jobs.index_xlsx", "GET", lambda w: f"/print-jobs/decisions/{w['decision'].id}/export.xlsx", STAFF),
    Case("fund.index_xlsx", "GET", lambda w: "/fund/export.xlsx", STAFF | {Role.APPROVER}),
    Case("scoring.index_xlsx", "GET", lambda w: "/rubrics/export.xlsx", STAFF | {Role.APPROVER}),
    Case("rules.index_xlsx", "GET", lambda w: "/catalogue/export.xlsx", SIGNED_IN),
    # the annual report and the statistical forms
    Case("reports.statistics_index", "GET", lambda w: "/reports/statistics?year=2025", STAFF | {Role.APPROVER}),
    Case("reports.statistics_form", "GET", lambda w: "/reports/statistics/0603?year=2025", STAFF | {Role.APPROVER}),
    Case("reports.statistics_cell", "GET", lambda w: "/reports/statistics/0603/cell?row=total&col=total&year=2025",
         STAFF | {Role.APPROVER}),
    Case("reports.statistics_xlsx", "GET", lambda w: "/reports/statistics/0601/xlsx?year=2025", STAFF | {Role.APPROVER}),
    Case("reports.statistics_pdf", "GET", lambda w: "/reports/statistics/pdf?year=2025", STAFF | {Role.APPROVER}),
    Case("reports.annual_page", "GET", lambda w: f"/reports/annual?year=2025&unit={w['unit'].id}",
         STAFF | {Role.APPROVER, Role.UNIT_OFFICER}),
    Case("reports.annual_pdf", "GET", lambda w: f"/reports/annual/pdf?year=2025&unit={w['other_unit'].id}",
         STAFF | {Role.APPROVER}),
    Case("reports.annual_xlsx", "GET", lambda w: f"/reports/annual/xlsx?year=2025&unit={w['unit'].id}",
         STAFF | {Role.APPROVER, Role.UNIT_OFFICER}),
    # award decisions
    Case("awards.index", "GET", lambda w: "/decisions/", STAFF | {Role.APPROVER}),
    Case("awards.create", "GET", lambda w: "/decisions/new", STAFF),
    Case("awards.create", "GET", lambda w: f"/decisions/new?award_type={w['approved_nomination'].award_type_id}",
         STAFF, "award chosen"),
    Case("awards.create", "POST", lambda w: f"/decisions/new?award_type={w['approved_nomination'].award_type_id}",
         STAFF, "post"),
    Case("awards.detail", "GET", lambda w: f"/decisions/{w['decision'].id}", STAFF | {Role.APPROVER}),
    Case("awards.detail", "GET", lambda w: f"/decisions/{w['draft_decision'].id}", STAFF | {Role.APPROVER}, "draft"),
    Case("awards.edit", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/edit", STAFF),
    Case("awards.edit", "GET", lambda w: f"/decisions/{w['decision'].id}/edit", frozenset(), "issued"),
    Case("awards.add_items", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/items/add", STAFF),
    Case("awards.edit_item", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/items/{DRAFT_ITEM(w)}/edit", STAFF),
    Case("awards.move_item", "POST", lambda w: f"/decisions/{w['draft_decision'].id}/items/{DRAFT_ITEM(w)}/move", STAFF),
    Case("awards.remove_item", "POST", lambda w: f"/decisions/{w['draft_decision'].id}/items/{DRAFT_ITEM(w)}/remove",
         STAFF),
    Case("awards.issue", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/issue", STAFF),
    Case("awards.issue", "POST", lambda w: f"/decisions/{w['draft_decision'].id}/issue", STAFF, "post"),
    Case("awards.issue", "GET", lambda w: f"/decisions/{w['decision'].id}/issue", frozenset(), "issued"),
    Case("awards.revoke", "GET", lambda w: f"/decisions/{w['decision'].id}/items/{w['decision_item'].id}/revoke", STAFF),
    Case("awards.revoke", "POST", lambda w: f"/decisions/{w['decision'].id}/items/{w['decision_item'].id}/revoke",
         STAFF, "post"),
    Case("rules.base_salaries", "GET", lambda w: "/catalogue/base-salaries", SIGNED_IN),
    Case("rules.create_base_salary", "GET", lambda w: "/catalogue/base-salaries/new", ADMIN),
    Case("rules.create_base_salary", "POST", lambda w: "/catalogue/base-salaries/new", ADMIN, "post"),
    # decision documents and the reward fund
    Case("award_documents.annex_pdf", "GET", lambda w: f"/decisions/{w['decision'].id}/annex.pdf", STAFF | {Role.APPROVER}),
    Case("award_documents.annex_xlsx", "GET", lambda w: f"/decisions/{w['decision'].id}/annex.xlsx",
         STAFF | {Role.APPROVER}),
    Case("award_documents.draft_docx", "GET", lambda w: f"/decisions/{w['decision'].id}/draft.docx",
         STAFF | {Role.APPROVER}),
    Case("award_documents.annex_pdf", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/annex.pdf",
         STAFF | {Role.APPROVER}, "draft"),
    Case("award_documents.draft_docx", "GET", lambda w: f"/decisions/{w['draft_decision'].id}/draft.docx",
         STAFF | {Role.APPROVER}, "draft"),
    Case("fund.index", "GET", lambda w: "/fund/", STAFF | {Role.APPROVER}),
    Case("fund.spending", "GET", lambda w: f"/fund/{w['decision'].issuer_unit_id}/{w['decision'].signed_on.year}",
         STAFF | {Role.APPROVER}),
    Case("fund.spending_xlsx", "GET",
         lambda w: f"/fund/{w['decision'].issuer_unit_id}/{w['decision'].signed_on.year}.xlsx", STAFF | {Role.APPROVER}),
    Case("fund.create_budget", "GET", lambda w: "/fund/budgets/new", STAFF),
    Case("fund.create_budget", "POST", lambda w: "/fund/budgets/new", STAFF, "post"),
    Case("fund.edit_budget", "GET", lambda w: f"/fund/budgets/{w['fund_budget'].id}/edit", STAFF),
    Case("fund.edit_budget", "POST", lambda w: f"/fund/budgets/{w['fund_budget'].id}/edit", STAFF, "post"),
    # upward proposals
    Case("proposals.index", "GET", lambda w: "/proposals/", STAFF | {Role.APPROVER}),
    Case("proposals.create", "GET", lambda w: "/proposals/new", STAFF),
    Case("proposals.detail", "GET", lambda w: f"/proposals/{w['draft_proposal'].id}", STAFF | {Role.APPROVER}),
    Case("proposals.edit", "GET", lambda w: f"/proposals/{w['draft_proposal'].id}/edit", STAFF),
    Case("proposals.edit", "GET", lambda w: f"/proposals/{w['submitted_proposal'].id}/edit", frozenset(), "submitted"),
    Case("proposals.move_item", "POST",
         lambda w: f"/proposals/{w['draft_proposal'].id}/items/{w['draft_proposal_item'].id}/move/up", STAFF),
    Case("proposals.remove_item", "POST",
         lambda w: f"/proposals/{w['draft_proposal'].id}/items/{w['draft_proposal_item'].id}/remove", STAFF),
    Case("proposals.submit", "POST", lambda w: f"/proposals/{w['draft_proposal'].id}/submit", STAFF),
    Case("proposals.return_", "GET", lambda w: f"/proposals/{w['submitted_proposal'].id}/return", STAFF),
    Case("proposals.reference", "GET", lambda w: f"/proposals/{w['submitted_proposal'].id}/reference", STAFF),
    Case("proposals.decision", "POST", lambda w: f"/proposals/{w['submitted_proposal'].id}/decision", STAFF),
    Case("proposals.package", "GET", lambda w: f"/proposals/{w['draft_proposal'].id}/package.zip",
         STAFF | {Role.APPROVER}),
    # certificates: templates, artwork, calibration, single prints, the print log, public verification
    Case("certificates.templates", "GET", lambda w: "/certificates/templates", ADMIN),
    Case("certificates.template_edit", "GET", lambda w: f"/certificates/templates/{w['certificate_template'].id}/edit",
         ADMIN),
    Case("certificates.template_preview", "GET",
         lambda w: f"/certificates/templates/{w['certificate_template'].id}/preview.pdf?mode=blank", ADMIN),
    Case("certificates.artwork_upload", "POST", lambda w: "/certificates/artwork/emblem", ADMIN),
    Case("certificates.artwork_reset", "POST", lambda w: "/certificates/artwork/emblem/reset", ADMIN),
    Case("certificates.artwork_file", "GET", lambda w: "/certificates/artwork/emblem", ADMIN),
    Case("certificates.calibrations", "GET", lambda w: "/certificates/calibrations", STAFF),
    Case("certificates.calibration_new", "GET", lambda w: "/certificates/calibrations/new", STAFF),
    Case("certificates.calibration_edit", "GET", lambda w: f"/certificates/calibrations/{w['calibration'].id}/edit",
         STAFF),
    Case("certificates.calibration_delete", "POST",
         lambda w: f"/certificates/calibrations/{w['calibration'].id}/delete", STAFF),
    Case("certificates.calibration_page", "GET",
         lambda w: f"/certificates/calibrations/{w['calibration'].id}/page.pdf?template={w['certificate_template'].id}",
         STAFF),
    Case("certificates.print_item", "GET",
         lambda w: f"/certificates/decisions/{w['decision'].id}/items/{w['decision_item'].id}/print", STAFF),
    Case("certificates.print_item", "POST",
         lambda w: f"/certificates/decisions/{w['decision'].id}/items/{w['decision_item'].id}/print", STAFF),
    Case("certificates.print_log", "GET", lambda w: f"/certificates/decisions/{w['decision'].id}/prints", STAFF),
    Case("print_jobs.new", "GET", lambda w: f"/print-jobs/decisions/{w['decision'].id}/new", STAFF),
    Case("print_jobs.new", "POST", lambda w: f"/print-jobs/decisions/{w['decision'].id}/new", STAFF, "empty form"),
    Case("print_jobs.new", "GET", lambda w: f"/print-jobs/decisions/{w['draft_decision'].id}/new", frozenset(), "draft"),
    Case("print_jobs.index", "GET", lambda w: f"/print-jobs/decisions/{w['decision'].id}", STAFF),
    Case("print_jobs.detail", "GET", lambda w: f"/print-jobs/{w['print_job'].id}", STAFF),
    Case("print_jobs.status", "GET", lambda w: f"/print-jobs/{w['print_job'].id}/status.json", STAFF),
    Case("print_jobs.download", "GET", lambda w: f"/print-jobs/{w['done_print_job'].id}/download", STAFF),
    Case("certificates.verify_form", "GET", lambda w: "/verify", EVERYONE),
    Case("certificates.verify", "GET", lambda w: f"/verify/{w['decision_item'].verify_code}", EVERYONE),
    # good models (signed in) and the public pages
    Case("showcase.index", "GET", lambda w: "/models/", SIGNED_IN),
    Case("showcase.create", "GET", lambda w: "/models/new", STAFF | OFFICER),
    Case("showcase.detail", "GET", lambda w: f"/models/{w['good_model'].id}", SIGNED_IN),
    Case("showcase.detail", "GET", lambda w: f"/models/{w['proposed_model'].id}", STAFF | REVIEWERS | OFFICER, "proposed"),
    Case("showcase.edit", "GET", lambda w: f"/models/{w['good_model'].id}/edit", STAFF),
    Case("showcase.edit", "GET", lambda w: f"/models/{w['proposed_model'].id}/edit", STAFF | OFFICER, "proposed"),
    Case("showcase.add_file", "GET", lambda w: f"/models/{w['proposed_model'].id}/files/new", STAFF | OFFICER),
    Case("showcase.download_file", "GET",
         lambda w: f"/models/{w['good_model'].id}/files/{w['good_model_photo'].id}", SIGNED_IN),
    Case("showcase.toggle_file", "POST",
         lambda w: f"/models/{w['good_model'].id}/files/{w['good_model_photo'].id}/visibility", STAFF),
    Case("showcase.delete_file", "POST",
         lambda w: f"/models/{w['good_model'].id}/files/{w['good_model_photo'].id}/delete", STAFF),
    Case("showcase.links", "GET", lambda w: f"/models/{w['proposed_model'].id}/links", STAFF | OFFICER),
    Case("showcase.link_award", "POST", lambda w: f"/models/{w['proposed_model'].id}/awards", STAFF | OFFICER),
    Case("showcase.unlink_award", "POST",
         lambda w: f"/models/{w['proposed_model'].id}/awards/{w['award_record'].id}/unlink", STAFF | OFFICER),
    Case("showcase.link_nomination", "POST", lambda w: f"/models/{w['proposed_model'].id}/nominations",
         STAFF | OFFICER),
    Case("showcase.unlink_nomination", "POST",
         lambda w: f"/models/{w['proposed_model'].id}/nominations/{w['draft_nomination'].id}/unlink", STAFF | OFFICER),
    Case("showcase.recognise", "GET", lambda w: f"/models/{w['proposed_model'].id}/recognise", STAFF),
    Case("showcase.archive", "POST", lambda w: f"/models/{w['good_model'].id}/archive", STAFF),
    Case("showcase.feature", "POST", lambda w: f"/models/{w['good_model'].id}/feature", STAFF),
    Case("showcase.unfeature", "POST", lambda w: f"/models/{w['good_model'].id}/unfeature", STAFF),
    Case("showcase.replicate", "GET", lambda w: f"/models/{w['good_model'].id}/replications/new", STAFF | OFFICER),
    Case("showcase.replicate", "GET", lambda w: f"/models/{w['proposed_model'].id}/replications/new", frozenset(),
         "proposed"),
    Case("public.home", "GET", lambda w: "/public/", EVERYONE),
    Case("public.showcase", "GET", lambda w: "/public/models", EVERYONE),
    Case("public.model", "GET", lambda w: f"/public/models/{w['good_model'].id}", EVERYONE),
    Case("public.photo", "GET", lambda w: f"/public/models/{w['good_model'].id}/photos/{w['good_model_photo'].id}",
         EVERYONE),
    # cluster years: covenant, criteria, scoring, results, suy tôn, report
    Case("cluster_years.index", "GET", lambda w: "/cluster-years/", CY_VIEW),
    Case("cluster_years.create", "GET", lambda w: f"/cluster-years/new/{w['cluster'].id}", STAFF),
    Case("cluster_years.detail", "GET", lambda w: CY(w), CY_VIEW),
    Case("cluster_years.edit", "GET", lambda w: CY(w) + "/edit", STAFF),
    Case("cluster_years.step", "POST", lambda w: CY(w) + "/status/review", STAFF),
    Case("cluster_years.covenant", "GET", lambda w: CY(w) + "/covenant", CY_VIEW),
    Case("cluster_years.commitment", "GET", lambda w: f"/cluster-years/{w['covenant_year'].id}/covenant/{w['unit'].id}",
         STAFF | OFFICER),
    Case("cluster_years.criteria", "GET", lambda w: CY(w) + "/criteria", CY_VIEW),
    Case("cluster_years.add_criterion", "GET", lambda w: CY(w) + "/criteria/new", STAFF),
    Case("cluster_years.edit_criterion", "GET", lambda w: CY(w) + f"/criteria/{w['cluster_year'].criteria[0].id}/edit",
         STAFF),
    Case("cluster_years.delete_criterion", "POST",
         lambda w: CY(w) + f"/criteria/{w['cluster_year'].criteria[0].id}/delete", STAFF),
    Case("cluster_years.sheet", "GET", lambda w: CY(w) + f"/score/self/{w['unit'].id}", CY_VIEW, "self"),
    Case("cluster_years.sheet", "POST", lambda w: CY(w) + f"/score/self/{w['unit'].id}", OFFICER, "self"),
    Case("cluster_years.sheet", "GET", lambda w: CY(w) + f"/score/cross/{w['other_unit'].id}/by/{w['unit'].id}",
         CY_VIEW, "cross"),
    Case("cluster_years.sheet", "POST", lambda w: CY(w) + f"/score/cross/{w['other_unit'].id}/by/{w['unit'].id}",
         OFFICER, "cross"),
    Case("cluster_years.sheet", "POST", lambda w: CY(w) + f"/score/cross/{w['unit'].id}/by/{w['unit'].id}",
         frozenset(), "own unit"),
    Case("cluster_years.sheet", "GET", lambda w: CY(w) + f"/score/final/{w['unit'].id}", CY_VIEW, "final"),
    Case("cluster_years.add_evidence", "POST", lambda w: CY(w) + f"/sheets/{w['cluster_sheet'].id}/evidence", OFFICER),
    Case("cluster_years.evidence", "GET", lambda w: CY(w) + f"/evidence/{w['cluster_evidence'].id}", CY_VIEW),
    Case("cluster_years.results", "GET", lambda w: CY(w) + "/results", CY_VIEW),
    Case("cluster_years.setup_vote", "GET", lambda w: CY(w) + "/vote", STAFF),
    Case("cluster_years.record_vote", "POST", lambda w: CY(w) + "/vote/record", STAFF),
    Case("cluster_years.report_pdf", "GET", lambda w: CY(w) + "/report.pdf", CY_VIEW),
    Case("cluster_years.report_xlsx", "GET", lambda w: CY(w) + "/report.xlsx", CY_VIEW),
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
    w["award_type"] = factories.award_type("LDTT")  # seeds the catalogue
    w["quota_rule"] = db.session.scalars(sa.select(QuotaRule)).first()
    draft = factories.make_nomination(unit=unit)
    w["draft_nomination"] = draft
    w["submitted_nomination"] = factories.make_nomination(unit=unit, status="submitted")
    w["accepted_nomination"] = factories.make_nomination(unit=unit, status="accepted")
    w["other_nomination"] = factories.make_nomination(unit=other_unit)
    w["initiative"] = factories.make_initiative(person=draft.person)
    w["batch"] = SubmissionBatch(unit=unit, number="1/TTr-SGDĐT", dated_on=date(2025, 12, 1), title="Tờ trình")
    w["other_batch"] = SubmissionBatch(unit=other_unit, number="1/TTr-SYT", dated_on=date(2025, 12, 1), title="Tờ trình")
    w["attachment"] = NominationAttachment(
        nomination=draft, part=DossierPart.ACHIEVEMENT_REPORT, original_name="bao-cao.pdf",
        stored_name="nomination-attachment.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
    db.session.add_all([w["batch"], w["other_batch"], w["attachment"]])
    draft.initiatives.append(w["initiative"])
    draft.batch = w["batch"]
    (app.config["UPLOAD_FOLDER"] / "nomination-attachment.pdf").write_bytes(b"%PDF-1.4\n")
    candidate = factories.make_nomination(unit=unit, code="BK_TINH", status="accepted")
    today = notice_services.local_today()
    w["notice"] = notice_services.create_notice(
        title="Công khai", award_type=candidate.award_type, starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=8), nomination_ids=[candidate.id], actor=None)
    w["notice_candidate"] = candidate
    person = factories.make_person(full_name="Nguyễn Văn An", unit=unit)
    w["person"] = person
    w["other_person"] = factories.make_person(full_name="Trần Thị Ánh", unit=other_unit)
    w["award_record"] = factories.make_award_record(code="LDTT", year=2023, person=person)
    w["evaluation"] = factories.make_evaluation(year=2023, rating="good", person=person)
    w["unit_evaluation"] = factories.make_evaluation(year=2023, rating="good", unit=unit)
    w["person_initiative"] = factories.make_initiative(person=person)
    w["discipline"] = DisciplineRecord(person=person, level="Khiển trách", starts_on=date(2022, 1, 1))
    db.session.add(w["discipline"])
    w["import_token"] = importer.stash(xlsx([person_row("Lê Văn Bình", unit.code, "LDTT", 2020)]))
    council = factories.make_council(unit=unit, members=[(users[Role.COUNCIL_MEMBER], "chair"),
                                                         (w["other_user"], "member")])
    w["council"] = council
    w["rubric"] = factories.make_rubric(criteria=[(10, 1)])
    w["planned_session"] = factories.make_session(council=council, nominations=[w["accepted_nomination"]])
    w["agenda_item"] = w["planned_session"].agenda[0]
    w["open_session"] = factories.make_session(
        council=council, status="open", rubric=w["rubric"],
        nominations=[factories.make_nomination(unit=unit, status="accepted")])
    w["open_session"].attendance = [Attendance(member=m, status=AttendanceStatus.PRESENT) for m in council.members]
    w["closed_session"] = factories.make_session(
        council=council, status="closed", rubric=w["rubric"], closed_at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        nominations=[factories.make_nomination(unit=unit, code="CSTDT", status="accepted")])
    w["declared_recusal"] = Recusal(agenda_item=w["agenda_item"], member=council.members[1], reason="Người thân",
                                    automatic=False)
    db.session.add(w["declared_recusal"])
    for key, campaign in (("document", w["open"]), ("draft_document", w["draft"])):
        doc = CampaignDocument(campaign=campaign, title="Kế hoạch", original_name="ke-hoach.pdf",
                               stored_name=f"{key}.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
        db.session.add(doc)
        (app.config["UPLOAD_FOLDER"] / f"{key}.pdf").write_bytes(b"%PDF-1.4\n")
        w[key] = doc
    # decisions and certificates
    w["approved_nomination"] = factories.make_nomination(unit=unit, code="BK_TINH", status="approved")
    w["draft_decision"] = factories.make_decision(issuer=province, issued=False, awardees=[person])
    w["decision"] = factories.make_decision(issuer=province, awardees=[person, unit])
    w["decision_item"] = w["decision"].items[0]
    w["fund_budget"] = FundBudget(issuer_unit=province, year=w["decision"].signed_on.year, amount=100_000_000)
    db.session.add(w["fund_budget"])
    seed_certificate_templates()
    w["certificate_template"] = render.template_for("BK_TINH")
    w["calibration"] = PrinterCalibration(name="Máy in thử", offset_x_mm=0, offset_y_mm=0, scale=1)
    w["artwork"] = Artwork(kind=ArtworkKind.EMBLEM, original_name="quoc-huy.png", stored_name="artwork-emblem.png",
                           content_type="image/png", size=8, sha256="0" * 64)
    w["print_job"] = PrintJob(decision=w["decision"], mode=PrintMode.FULL, total=2)
    w["done_print_job"] = PrintJob(decision=w["decision"], mode=PrintMode.FULL, total=2, done=2,
                                   status=JobStatus.DONE, stored_name="print-job.pdf", size=9)
    db.session.add_all([w["calibration"], w["artwork"], w["print_job"], w["done_print_job"]])
    (app.config["UPLOAD_FOLDER"] / "print-job.pdf").write_bytes(b"%PDF-1.4\n")
    (app.config["UPLOAD_FOLDER"] / "artwork-emblem.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    upward = [factories.make_nomination(unit=unit, code="BK_TTG", status="approved", year=2025) for _ in range(4)]
    w["draft_proposal"] = proposal_services.create_proposal(
        award_type=upward[0].award_type, year=2025, nomination_ids=[upward[0].id, upward[1].id],
        number="1/TTr-UBND", dated_on=date(2026, 1, 20), actor=None)
    w["draft_proposal_item"] = w["draft_proposal"].items[1]
    w["submitted_proposal"] = proposal_services.create_proposal(
        award_type=upward[2].award_type, year=2025, nomination_ids=[upward[2].id, upward[3].id],
        number="2/TTr-UBND", dated_on=date(2026, 1, 20), actor=None)
    proposal_services.submit(w["submitted_proposal"], actor=None, submitted_on=date(2026, 1, 22))
    w["notification"] = Notification(user_id=users[Role.ADMIN].id, kind="nomination.returned",
                                     title="Hồ sơ bị trả lại", url="/")
    w["email_message"] = EmailMessage(user_id=users[Role.ADMIN].id, to_address="a@b.vn", kind="nomination.returned",
                                      subject="Thư thử", text_body="Nội dung")
    db.session.add_all([w["notification"], w["email_message"]])
    # good models
    w["good_model"] = factories.make_good_model(unit=unit, status="recognised")
    w["proposed_model"] = factories.make_good_model(unit=unit, awards=[w["award_record"]])
    w["proposed_model"].nominations.append(w["draft_nomination"])
    w["good_model_photo"] = add_photo(w["good_model"])
    # cluster years
    w["cluster_year"] = factories.make_cluster_year(cluster=w["cluster"], year=2025, status="scoring", signed=True,
                                                    head=other_unit)
    w["covenant_year"] = factories.make_cluster_year(cluster=w["cluster"], year=2024, status="covenant")
    w["cluster_sheet"] = ClusterScoreSheet(cluster_year=w["cluster_year"], kind=SheetKind.SELF, subject_unit=unit,
                                           scorer_unit=unit)
    w["cluster_evidence"] = ClusterEvidence(sheet=w["cluster_sheet"], original_name="minh-chung.pdf",
                                            stored_name="cluster-evidence.pdf", content_type="application/pdf",
                                            size=9, sha256="0" * 64)
    db.session.add_all([w["cluster_sheet"], w["cluster_evidence"]])
    (app.config["UPLOAD_FOLDER"] / "cluster-evidence.pdf").write_bytes(b"%PDF-1.4\n")
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


ROLES = [ANON, *Role]


def _check_access(case: Case, role, world, http) -> None:
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
        assert response.status_code == case.refused, f"{case} should refuse {role}, got {response.status_code}"


@pytest.mark.parametrize("case", [c for c in CASES if c.method == "GET"], ids=str)
def test_page_access_for_every_role(case: Case, world, users, login_as, client):
    """Reading a page changes nothing, so every role is tried against one world."""
    for role in ROLES:
        _check_access(case, role, world, client if role == ANON else login_as(users[role]))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: getattr(r, "value", r))
@pytest.mark.parametrize("case", [c for c in CASES if c.method != "GET"], ids=str)
def test_action_access(case: Case, role, world, users, login_as, client):
    """An allowed POST changes the world, so each role gets a fresh one."""
    _check_access(case, role, world, client if role == ANON else login_as(users[role]))
