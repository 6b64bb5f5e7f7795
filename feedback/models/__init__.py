"""The database models; import them from here."""

from feedback.models.background import DepartmentStats, OutboxMessage
from feedback.models.org import Area, Category, Department, RoutingRule
from feedback.models.tickets import Rating, Ticket, TicketEvent
from feedback.models.types import utcnow
from feedback.models.users import STAFF_ROLES, User

__all__ = [
    "Area",
    "Category",
    "Department",
    "DepartmentStats",
    "OutboxMessage",
    "Rating",
    "RoutingRule",
    "STAFF_ROLES",
    "Ticket",
    "TicketEvent",
    "User",
    "utcnow",
]
