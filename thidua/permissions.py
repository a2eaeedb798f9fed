"""THE permission policy: every view and template asks here, by action name.

`RULES` maps "<domain>.<action>" to a predicate `(user, obj) -> bool` composed from the small named
predicates below. Roles come from the user's role assignments; a unit officer acts for their unit
and all units below it. Rules may look at an object's state ("only while draft"); services check
the state again, because a rule answers *who*, a service guards *what*.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g
from flask_login import current_user

from thidua.auth import two_factor
from thidua.auth.models import Role
from thidua.awards.models import Decision, DecisionItem, DecisionStatus, ProposalStatus, UpwardProposal
from thidua.campaigns.models import Campaign, CampaignRegistration, CampaignStatus
from thidua.clusters.models import (
    Cluster,
    ClusterScoreSheet,
    ClusterYear,
    ClusterYearStatus,
    CovenantCommitment,
    SheetKind,
)
from thidua.councils.models import Council, CouncilMember, CouncilSession, MemberRole, SessionStatus
from thidua.nominations.models import Nomination, NominationStatus
from thidua.registry.models import Person
from thidua.showcase.models import GoodModel, ModelStatus

Predicate = Callable[[object, object | None], bool]


# --- named predicates -------------------------------------------------------------------------

def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def has_role(user, *roles: Role) -> bool:
    return is_authenticated(user) and any(user.has_role(r) for r in roles)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def is_staff(user) -> bool:
    """Admin or the secretariat (Ban Thi đua - Khen thưởng)."""
    return has_role(user, Role.ADMIN, Role.SECRETARIAT)


def officer_scope(user) -> set[int]:
    """Ids of the units a unit officer acts for (their units and everything below), cached per request."""
    if not has_role(user, Role.UNIT_OFFICER):
        return set()
    cache = g.setdefault("_officer_scope", {})
    if user.id not in cache:
        from thidua.org.queries import descendant_ids

        cache[user.id] = descendant_ids(a.unit_id for a in user.role_assignments if a.unit_id)
    return cache[user.id]


def acts_for(user, unit_id: int | None) -> bool:
    return unit_id is not None and unit_id in officer_scope(user)


def campaign_visible(user, campaign: Campaign | None) -> bool:
    if not is_authenticated(user):
        return False
    return campaign is None or campaign.status != CampaignStatus.DRAFT or is_staff(user)


def campaign_in(*statuses: CampaignStatus) -> Callable[[Campaign | None], bool]:
    return lambda c: c is not None and c.status in statuses


def may_register(user, campaign: Campaign | None) -> bool:
    if not has_role(user, Role.UNIT_OFFICER) or campaign is None or campaign.status != CampaignStatus.OPEN:
        return False
    registered = {r.unit_id for r in campaign.registrations}
    return bool(officer_scope(user) - registered)


def may_cancel_registration(user, reg: CampaignRegistration | None) -> bool:
    if reg is None or reg.campaign.status != CampaignStatus.OPEN:
        return False
    return is_staff(user) or acts_for(user, reg.unit_id)


def is_reviewer(user) -> bool:
    """Council members and approvers: they read dossiers and history, they do not file them."""
    return has_role(user, Role.COUNCIL_MEMBER, Role.APPROVER)


# Dossiers a council member or approver may read: those the secretariat has passed on.
_FOR_REVIEW = frozenset({NominationStatus.ACCEPTED, NominationStatus.APPROVED, NominationStatus.NOT_APPROVED,
                         NominationStatus.AWARDED})
_UNIT_EDITABLE = frozenset({NominationStatus.DRAFT, NominationStatus.RETURNED})
_WITHDRAWABLE = frozenset({NominationStatus.DRAFT, NominationStatus.SUBMITTED, NominationStatus.RETURNED})


def nomination_in(n: Nomination | None, statuses) -> bool:
    return n is not None and n.status in statuses


def files_for(user, n: Nomination | None) -> bool:
    """The user is an officer of the nominating unit (or a unit above it)."""
    return n is not None and acts_for(user, n.unit_id)


def may_view_nomination(user, n: Nomination | None) -> bool:
    if n is None:
        return False
    return is_staff(user) or files_for(user, n) or (is_reviewer(user) and n.status in _FOR_REVIEW)


def may_view_person(user, person: Person | None) -> bool:
    if person is None:
        return is_staff(user) or is_reviewer(user) or has_role(user, Role.UNIT_OFFICER)
    return is_staff(user) or is_reviewer(user) or acts_for(user, person.unit_id)


def may_edit_person(user, person: Person | None) -> bool:
    if person is None:
        return is_staff(user) or has_role(user, Role.UNIT_OFFICER)
    return is_staff(user) or acts_for(user, person.unit_id)


def sees_personal_data(user, person: Person | None) -> bool:
    """Personal data of a person in the registry (Decree 13/2023/NĐ-CP), see docs/personal-data.md:

    | field                             | staff | officer of the person's unit | council, approver | public |
    |-----------------------------------|-------|------------------------------|-------------------|--------|
    | name, position, unit, category    | yes   | yes                          | yes               | only what a notice or certificate prints |
    | awards, evaluations, initiatives  | yes   | yes                          | yes (criteria)    | no     |
    | discipline records                | yes   | no ("discipline.view")       | checklist line    | no     |
    | birth date, gender, hiring date   | yes   | yes                          | no (1)            | no     |
    | national ID (CMND/CCCD)           | yes   | yes                          | no                | no     |

    (1) No criterion of the Law on Emulation and Commendation depends on age, so not even the birth year
    is shown; the LĐTT tenure check prints the hiring date in the dossier's checklist, as that criterion
    needs it. Without a person: whether the user may see such data for anyone (a list's columns)."""
    if person is None:
        return is_staff(user) or has_role(user, Role.UNIT_OFFICER)
    return is_staff(user) or acts_for(user, person.unit_id)


def is_secretariat_step(user, n: Nomination | None) -> bool:
    return is_staff(user) and nomination_in(n, {NominationStatus.SUBMITTED})


def seat(user, council: Council | None, role: MemberRole | None = None) -> CouncilMember | None:
    """The user's current seat on `council` (optionally only in `role`), or None."""
    if council is None or not is_authenticated(user):
        return None
    from datetime import date

    today = date.today()
    for member in council.members:
        if member.user_id == user.id and member.serves_on(today) and (role is None or member.role == role):
            return member
    return None


def _council_of(obj) -> Council | None:
    if isinstance(obj, Council):
        return obj
    if isinstance(obj, CouncilSession):
        return obj.council
    return None


def may_view_council(user, obj) -> bool:
    return is_staff(user) or has_role(user, Role.APPROVER) or seat(user, _council_of(obj)) is not None


def runs_session(user, obj) -> bool:
    """Staff, or the council's secretary: they prepare the agenda, take attendance, open and close."""
    return is_staff(user) or seat(user, _council_of(obj), MemberRole.SECRETARY) is not None


def judges_in(user, obj) -> bool:
    """The user has a seat on the session's council that scores and votes (not the secretary's)."""
    member = seat(user, _council_of(obj))
    return member is not None and member.votes


def session_in(obj, *statuses: SessionStatus) -> bool:
    return isinstance(obj, CouncilSession) and obj.status in statuses


def decision_in(obj, *statuses: DecisionStatus) -> bool:
    decision = obj.decision if isinstance(obj, DecisionItem) else obj
    return isinstance(decision, Decision) and decision.status in statuses


def item_revocable(obj) -> bool:
    return isinstance(obj, DecisionItem) and decision_in(obj, DecisionStatus.ISSUED) and not obj.is_revoked


def proposal_in(obj, *statuses: ProposalStatus) -> bool:
    return isinstance(obj, UpwardProposal) and obj.status in statuses


def _cluster_year(obj) -> ClusterYear | None:
    """The year a cluster-year object belongs to; rows built for a permission check carry only ids."""
    if isinstance(obj, ClusterYear):
        return obj
    if isinstance(obj, ClusterScoreSheet | CovenantCommitment):
        if obj.cluster_year is not None:
            return obj.cluster_year
        from thidua.extensions import db

        return db.session.get(ClusterYear, obj.cluster_year_id) if obj.cluster_year_id else None
    return None


def cluster_year_in(obj, *statuses: ClusterYearStatus) -> bool:
    year = _cluster_year(obj)
    return year is not None and year.status in statuses


def in_cluster(user, obj) -> bool:
    """An officer acting for a member unit of the cluster (for a year: a member in that year)."""
    if not has_role(user, Role.UNIT_OFFICER):
        return False
    from thidua.clusters.years import member_unit_ids

    if isinstance(obj, Cluster):
        unit_ids = {m.unit_id for m in obj.memberships}
    else:
        year = _cluster_year(obj)
        unit_ids = member_unit_ids(year) if year is not None else set()
    return bool(unit_ids & officer_scope(user))


def may_view_cluster_year(user, obj) -> bool:
    return is_staff(user) or has_role(user, Role.APPROVER) or (obj is not None and in_cluster(user, obj))


def may_commit(user, obj) -> bool:
    """Record a member's covenant commitment: staff, or the member's officer, before scoring starts."""
    return (isinstance(obj, CovenantCommitment)
            and cluster_year_in(obj, ClusterYearStatus.SETUP, ClusterYearStatus.COVENANT)
            and (is_staff(user) or acts_for(user, obj.unit_id)))


def _sheet(obj, kind: SheetKind) -> ClusterScoreSheet | None:
    return obj if isinstance(obj, ClusterScoreSheet) and obj.kind == kind else None


def may_score_self(user, obj) -> bool:
    sheet = _sheet(obj, SheetKind.SELF)
    return (sheet is not None and cluster_year_in(sheet, ClusterYearStatus.SCORING)
            and acts_for(user, sheet.subject_unit_id))


def may_score_cross(user, obj) -> bool:
    sheet = _sheet(obj, SheetKind.CROSS)
    return (sheet is not None and cluster_year_in(sheet, ClusterYearStatus.SCORING)
            and sheet.scorer_unit_id != sheet.subject_unit_id and acts_for(user, sheet.scorer_unit_id))


def may_score_final(user, obj) -> bool:
    sheet = _sheet(obj, SheetKind.FINAL)
    if sheet is None or not cluster_year_in(sheet, ClusterYearStatus.REVIEW):
        return False
    return is_staff(user) or acts_for(user, _cluster_year(sheet).head_unit_id)


def may_view_good_model(user, model) -> bool:
    if not is_authenticated(user):
        return False
    if not isinstance(model, GoodModel) or model.status == ModelStatus.RECOGNISED:
        return True
    return is_staff(user) or is_reviewer(user) or acts_for(user, model.unit_id)


def may_edit_good_model(user, model) -> bool:
    if not isinstance(model, GoodModel):
        return is_staff(user) or has_role(user, Role.UNIT_OFFICER)
    return is_staff(user) or (acts_for(user, model.unit_id) and model.status == ModelStatus.PROPOSED)


_EDITABLE = campaign_in(CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.CLOSED)

RULES: dict[str, Predicate] = {
    "home.view": lambda u, o: is_authenticated(u),
    "account.password": lambda u, o: is_authenticated(u),
    # Two-factor login is offered to the accounts that change or sign what others see; anyone who has it on
    # (a role taken away since) may still manage it.
    "account.two_factor": lambda u, o: is_authenticated(u) and (two_factor.offered_to(u) or u.two_factor_enabled),
    # organisation
    "unit.view": lambda u, o: is_staff(u),
    "unit.manage": lambda u, o: is_admin(u),
    "cluster.view": lambda u, o: is_staff(u),
    "cluster.manage": lambda u, o: is_staff(u),
    # users and the audit log
    "user.manage": lambda u, o: is_admin(u),
    "audit.view": lambda u, o: is_admin(u),
    # campaigns
    "campaign.list": lambda u, o: is_authenticated(u),
    "campaign.view": campaign_visible,
    "campaign.create": lambda u, o: is_staff(u),
    "campaign.edit": lambda u, o: is_staff(u) and _EDITABLE(o),
    "campaign.delete": lambda u, o: is_staff(u) and campaign_in(CampaignStatus.DRAFT)(o),
    "campaign.open": lambda u, o: is_staff(u) and campaign_in(CampaignStatus.DRAFT)(o),
    "campaign.close": lambda u, o: is_staff(u) and campaign_in(CampaignStatus.OPEN)(o),
    "campaign.summarize": lambda u, o: is_staff(u) and campaign_in(CampaignStatus.CLOSED)(o),
    "campaign.document.manage": lambda u, o: is_staff(u) and _EDITABLE(o),
    "campaign.document.download": campaign_visible,
    "campaign.register": may_register,
    "registration.cancel": may_cancel_registration,
    # catalogue of titles and forms, legal bases, quota rules
    "catalogue.view": lambda u, o: is_authenticated(u),
    "catalogue.manage": lambda u, o: is_admin(u),
    # registry: people, award history, evaluations, initiatives
    "registry.search": lambda u, o: is_staff(u) or is_reviewer(u) or has_role(u, Role.UNIT_OFFICER),
    "registry.import": lambda u, o: is_staff(u),
    "person.view": may_view_person,
    "person.edit": may_edit_person,
    "person.personal_data": sees_personal_data,
    # a data subject's access request (Decree 13/2023 Art 14) is answered by the Sở Nội vụ's secretariat
    "person.export": lambda u, o: is_staff(u),
    "award_record.manage": lambda u, o: is_staff(u),
    "discipline.view": lambda u, o: is_staff(u),
    "unit_history.view": lambda u, o: is_staff(u) or is_reviewer(u) or acts_for(u, getattr(o, "id", None)),
    # nominations (dossiers)
    "nomination.list": lambda u, o: is_staff(u) or has_role(u, Role.UNIT_OFFICER),
    "nomination.create": lambda u, o: has_role(u, Role.UNIT_OFFICER),
    "nomination.import": lambda u, o: has_role(u, Role.UNIT_OFFICER),
    "nomination.export": lambda u, o: is_staff(u) or has_role(u, Role.UNIT_OFFICER),
    "nomination.view": may_view_nomination,
    "nomination.edit": lambda u, o: files_for(u, o) and nomination_in(o, _UNIT_EDITABLE),
    "nomination.submit": lambda u, o: files_for(u, o) and nomination_in(o, _UNIT_EDITABLE),
    "nomination.withdraw": lambda u, o: files_for(u, o) and nomination_in(o, _WITHDRAWABLE),
    "nomination.return": is_secretariat_step,
    "nomination.accept": is_secretariat_step,
    "nomination.reject": is_secretariat_step,
    "nomination.queue": lambda u, o: is_staff(u),
    "batch.manage": lambda u, o: has_role(u, Role.UNIT_OFFICER) and (o is None or acts_for(u, o.unit_id)),
    # councils: scoring and the secret ballot (per-dossier checks — recusal, attendance, one vote —
    # are the services' business; these rules say who may come near the session at all)
    "council.view": may_view_council,
    "council.manage": lambda u, o: is_staff(u),
    "council.sit": lambda u, o: has_role(u, Role.COUNCIL_MEMBER),
    "session.view": may_view_council,
    "session.manage": lambda u, o: runs_session(u, o) and not session_in(o, SessionStatus.CLOSED),
    "session.progress": runs_session,
    "session.reopen": lambda u, o: session_in(o, SessionStatus.CLOSED)
    and seat(u, _council_of(o), MemberRole.CHAIR) is not None,
    "session.score": lambda u, o: session_in(o, SessionStatus.OPEN) and judges_in(u, o),
    "session.vote": lambda u, o: session_in(o, SessionStatus.OPEN) and judges_in(u, o),
    "session.declare_conflict": lambda u, o: session_in(o, SessionStatus.PLANNED, SessionStatus.OPEN)
    and seat(u, _council_of(o)) is not None,
    "session.results": lambda u, o: session_in(o, SessionStatus.CLOSED) and may_view_council(u, o),
    "session.minutes": lambda u, o: session_in(o, SessionStatus.CLOSED)
    and (runs_session(u, o) or has_role(u, Role.APPROVER) or seat(u, _council_of(o), MemberRole.CHAIR) is not None),
    # award decisions (a draft is built and edited by the secretariat; the leader signs on paper and the
    # secretariat issues it here with the number and signer) and their documents
    "decision.list": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "decision.view": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "decision.create": lambda u, o: is_staff(u),
    "decision.edit": lambda u, o: is_staff(u) and decision_in(o, DecisionStatus.DRAFT),
    "decision.issue": lambda u, o: is_staff(u) and decision_in(o, DecisionStatus.DRAFT),
    "decision.documents": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "award.revoke": lambda u, o: is_staff(u) and item_revocable(o),
    "base_salary.manage": lambda u, o: is_admin(u),
    # upward proposals to the central level
    "proposal.view": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "proposal.manage": lambda u, o: is_staff(u) and (o is None or proposal_in(o, ProposalStatus.DRAFT,
                                                                             ProposalStatus.RETURNED)),
    "proposal.track": lambda u, o: is_staff(u) and proposal_in(o, ProposalStatus.SUBMITTED),
    # the reward fund
    "fund.view": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "fund.manage": lambda u, o: is_staff(u),
    # certificates
    "certificate.print": lambda u, o: is_staff(u) and (o is None or decision_in(o, DecisionStatus.ISSUED)),
    "certificate.template": lambda u, o: is_admin(u),
    "certificate.calibrate": lambda u, o: is_staff(u),
    "print_log.view": lambda u, o: is_staff(u),
    # cluster years: covenant, criteria, self/cross/final scores, ranking, suy tôn and proposals
    "cluster_year.list": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER, Role.UNIT_OFFICER),
    "cluster_year.view": may_view_cluster_year,
    "cluster_year.manage": lambda u, o: is_staff(u),
    "cluster_year.commit": may_commit,
    "cluster_year.score_self": may_score_self,
    "cluster_year.score_cross": may_score_cross,
    "cluster_year.score_final": may_score_final,
    # dashboards, the annual report and the statistical forms (0601–0603.N)
    "dashboard.view": lambda u, o: is_authenticated(u),
    "report.province": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    "report.unit": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER) or acts_for(u, getattr(o, "id", None)),
    "statistics.view": lambda u, o: is_staff(u) or has_role(u, Role.APPROVER),
    # good models (mô hình hay): units propose, the secretariat recognises and features, units replicate
    "good_model.list": lambda u, o: is_authenticated(u),
    "good_model.view": may_view_good_model,
    "good_model.create": lambda u, o: is_staff(u) or has_role(u, Role.UNIT_OFFICER),
    "good_model.edit": may_edit_good_model,
    "good_model.recognise": lambda u, o: is_staff(u),
    "good_model.feature": lambda u, o: is_staff(u),
    "good_model.replicate": lambda u, o: (is_staff(u) or has_role(u, Role.UNIT_OFFICER))
    and isinstance(o, GoodModel) and o.status == ModelStatus.RECOGNISED,
    # notifications: the inbox and preferences are everyone's own; the e-mail log and outbox are the admin's
    "notification.inbox": lambda u, o: is_authenticated(u),
    "notification.preferences": lambda u, o: is_authenticated(u),
    "email.log": lambda u, o: is_admin(u),
    # public notice (công khai)
    "notice.manage": lambda u, o: is_staff(u),
    "notice.comments": lambda u, o: is_staff(u) or is_reviewer(u),
}

# Pages anyone may see without logging in; their rules answer True for an anonymous visitor.
PUBLIC_ACTIONS = frozenset({"notice.public", "notice.comment", "certificate.verify", "public.home",
                            "showcase.public", "password.reset", "health.check",
                            "login.second_factor"})
RULES.update({action: (lambda u, o: True) for action in PUBLIC_ACTIONS})


def can(user, action: str, obj: object | None = None) -> bool:
    """May `user` perform `action` (on `obj`)? Unknown actions are a programming error."""
    try:
        rule = RULES[action]
    except KeyError:
        raise LookupError(f"no permission rule named {action!r}") from None
    return bool(rule(user, obj))


def authorize(action: str, obj: object | None = None) -> None:
    """Abort the request unless the current user may do `action`: 401 → login page when
    anonymous, 403 otherwise."""
    if can(current_user, action, obj):
        return
    abort(401 if not is_authenticated(current_user) else 403)


def requires(action: str):
    """Decorator for views that have no object: `@requires("campaign.create")`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            authorize(action)
            return view(*args, **kwargs)

        wrapped.permission_action = action
        return wrapped

    return decorator
