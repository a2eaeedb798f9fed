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

from thidua.auth.models import Role
from thidua.campaigns.models import Campaign, CampaignRegistration, CampaignStatus

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


_EDITABLE = campaign_in(CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.CLOSED)

RULES: dict[str, Predicate] = {
    "home.view": lambda u, o: is_authenticated(u),
    "account.password": lambda u, o: is_authenticated(u),
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
}


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
