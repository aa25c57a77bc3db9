"""SQLAlchemy models, one module per aggregate."""

from eia.models.api_token import ApiToken
from eia.models.archive import ArchivedRecord, RecordRenewal
from eia.models.assessment import Assessment, Transition
from eia.models.audit import AuditEvent
from eia.models.comment import Comment, QuestionComment
from eia.models.definition_version import DefinitionVersion
from eia.models.lifecycle import ACTION_STATUSES, ActionNote, SentReminder, TrackedAction
from eia.models.notification import Notification, OutboundEmail
from eia.models.organisation import Department, EqualityObjective, Organisation
from eia.models.policy_register import PolicyRegisterEntry, PolicyRegisterLink
from eia.models.publication import Publication, RedactionMark
from eia.models.seal import SealCertificate
from eia.models.search import AssessmentSearch, AssessmentSearchText, SignedOffCharacteristic
from eia.models.session import RecoveryCode, SignInAttempt, UserSession
from eia.models.user import ROLES, User, UserRole

__all__ = [
    "ACTION_STATUSES",
    "ActionNote",
    "SentReminder",
    "TrackedAction",
    "ApiToken",
    "ArchivedRecord",
    "RecordRenewal",
    "Assessment",
    "AssessmentSearch",
    "AssessmentSearchText",
    "AuditEvent",
    "Comment",
    "DefinitionVersion",
    "Department",
    "EqualityObjective",
    "Notification",
    "OutboundEmail",
    "Organisation",
    "PolicyRegisterEntry",
    "PolicyRegisterLink",
    "Publication",
    "QuestionComment",
    "ROLES",
    "RecoveryCode",
    "RedactionMark",
    "SealCertificate",
    "SignedOffCharacteristic",
    "SignInAttempt",
    "Transition",
    "User",
    "UserRole",
    "UserSession",
]
