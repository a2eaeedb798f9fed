"""Every domain's models, imported in one place (one registry for Alembic and `flask shell`)."""

from thidua.audit.models import AuditEntry
from thidua.auth.models import Role, RoleAssignment, User
from thidua.awards.models import (
    Decision,
    DecisionItem,
    FundBudget,
    GoldBook,
    ProposalEvent,
    ProposalItem,
    UpwardProposal,
)
from thidua.campaigns.models import Campaign, CampaignDocument, CampaignRegistration
from thidua.certificates.models import Artwork, CertificateTemplate, PrinterCalibration, PrintJob, PrintLog
from thidua.clusters.models import (
    Cluster,
    ClusterCriterion,
    ClusterEvidence,
    ClusterMembership,
    ClusterOutcome,
    ClusterScore,
    ClusterScoreSheet,
    ClusterYear,
    CovenantCommitment,
)
from thidua.councils.models import (
    AgendaItem,
    Attendance,
    BallotBox,
    BallotReceipt,
    Council,
    CouncilMember,
    CouncilSession,
    Recusal,
    Score,
    ScoreSheet,
)
from thidua.nominations.models import Nomination, NominationAttachment, NominationEvent, SubmissionBatch
from thidua.notices.models import NoticeComment, PublicNotice
from thidua.notifications.models import EmailMessage, Notification, NotificationPreference, ReminderLog
from thidua.org.models import Unit, UnitSuccession
from thidua.registry.models import AnnualEvaluation, AwardRecord, DisciplineRecord, Initiative, Person
from thidua.rules.models import AwardType, BaseSalary, LegalBasis, QuotaRule
from thidua.scoring.models import Rubric, RubricCriterion
from thidua.showcase.models import GoodModel, GoodModelFile, Replication

__all__ = [
    "EmailMessage",
    "Notification",
    "NotificationPreference",
    "ReminderLog",
    "GoodModel",
    "GoodModelFile",
    "Replication",
    "Artwork",
    "BaseSalary",
    "CertificateTemplate",
    "Decision",
    "DecisionItem",
    "FundBudget",
    "GoldBook",
    "PrintJob",
    "PrintLog",
    "PrinterCalibration",
    "ProposalEvent",
    "ProposalItem",
    "UpwardProposal",
    "AgendaItem",
    "Attendance",
    "BallotBox",
    "BallotReceipt",
    "Council",
    "CouncilMember",
    "CouncilSession",
    "Recusal",
    "Rubric",
    "RubricCriterion",
    "Score",
    "ScoreSheet",
    "AnnualEvaluation",
    "AwardRecord",
    "AwardType",
    "DisciplineRecord",
    "Initiative",
    "LegalBasis",
    "Nomination",
    "NominationAttachment",
    "NominationEvent",
    "NoticeComment",
    "Person",
    "PublicNotice",
    "QuotaRule",
    "SubmissionBatch",
    "AuditEntry",
    "Campaign",
    "CampaignDocument",
    "CampaignRegistration",
    "Cluster",
    "ClusterCriterion",
    "ClusterEvidence",
    "ClusterMembership",
    "ClusterOutcome",
    "ClusterScore",
    "ClusterScoreSheet",
    "ClusterYear",
    "CovenantCommitment",
    "Role",
    "RoleAssignment",
    "Unit",
    "UnitSuccession",
    "User",
]
