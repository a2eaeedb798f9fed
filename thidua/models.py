"""Every domain's models, imported in one place (one registry for Alembic and `flask shell`)."""

from thidua.audit.models import AuditEntry
from thidua.auth.models import Role, RoleAssignment, User
from thidua.campaigns.models import Campaign, CampaignDocument, CampaignRegistration
from thidua.clusters.models import Cluster, ClusterMembership
from thidua.org.models import Unit, UnitSuccession

__all__ = [
    "AuditEntry",
    "Campaign",
    "CampaignDocument",
    "CampaignRegistration",
    "Cluster",
    "ClusterMembership",
    "Role",
    "RoleAssignment",
    "Unit",
    "UnitSuccession",
    "User",
]
