"""The database models; import them from here."""

from feedback.models.api import ApiClient, ApiSubmission
from feedback.models.background import AuditEntry, OutboxMessage
from feedback.models.notifications import NOTIFICATION_STATUSES, MailboxMessage, Notification
from feedback.models.org import (
    AnswerTemplate,
    Area,
    CalendarException,
    Category,
    DeadlinePolicyRecord,
    Department,
    ReferenceVersion,
    RoutingRule,
)
from feedback.models.statistics import EVERY, StatChange, StatRollup, StatState, TicketStat
from feedback.models.tickets import (
    Attachment,
    Contribution,
    Rating,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from feedback.models.types import utcnow
from feedback.models.users import CITIZEN_ROLE, STAFF_ROLES, User

__all__ = [
    "CITIZEN_ROLE",
    "EVERY",
    "NOTIFICATION_STATUSES",
    "STAFF_ROLES",
    "AnswerTemplate",
    "ApiClient",
    "ApiSubmission",
    "Area",
    "Attachment",
    "AuditEntry",
    "CalendarException",
    "Category",
    "Contribution",
    "DeadlinePolicyRecord",
    "Department",
    "MailboxMessage",
    "Notification",
    "OutboxMessage",
    "Rating",
    "ReferenceVersion",
    "RoutingRule",
    "StatChange",
    "StatRollup",
    "StatState",
    "Ticket",
    "TicketEvent",
    "TicketFollower",
    "TicketStat",
    "User",
    "utcnow",
]
