"""The database models; import them from here."""

from feedback.models.background import DepartmentStats, OutboxMessage
from feedback.models.org import Area, Category, Department, RoutingRule
from feedback.models.tickets import Attachment, Rating, Ticket, TicketEvent, TicketFollower
from feedback.models.types import utcnow
from feedback.models.users import CITIZEN_ROLE, STAFF_ROLES, User

__all__ = [
    "Area",
    "Attachment",
    "CITIZEN_ROLE",
    "Category",
    "Department",
    "DepartmentStats",
    "OutboxMessage",
    "Rating",
    "RoutingRule",
    "STAFF_ROLES",
    "Ticket",
    "TicketEvent",
    "TicketFollower",
    "User",
    "utcnow",
]
