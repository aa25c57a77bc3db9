"""SQLAlchemy models, one module per aggregate."""

from eia.models.api_token import ApiToken
from eia.models.archive import ArchivedRecord
from eia.models.assessment import Assessment, Transition
from eia.models.audit import AuditEvent
from eia.models.comment import Comment
from eia.models.notification import Notification, OutboundEmail
from eia.models.organisation import Department, EqualityObjective, Organisation
from eia.models.user import ROLES, User

__all__ = [
    "ApiToken",
    "ArchivedRecord",
    "Assessment",
    "AuditEvent",
    "Comment",
    "Department",
    "EqualityObjective",
    "Notification",
    "OutboundEmail",
    "Organisation",
    "ROLES",
    "Transition",
    "User",
]
