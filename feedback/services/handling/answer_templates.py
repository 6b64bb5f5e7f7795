"""The standard answers staff may start from for a ticket: those of its subject and those for
any subject, in the ticket's language first."""

from __future__ import annotations

from sqlalchemy import case, or_, select

from feedback.extensions import db
from feedback.models import AnswerTemplate, Ticket


def answer_templates_for(ticket: Ticket) -> list[AnswerTemplate]:
    query = (
        select(AnswerTemplate)
        .where(
            AnswerTemplate.active.is_(True),
            or_(AnswerTemplate.category_id == ticket.category_id, AnswerTemplate.category_id.is_(None)),
        )
        .order_by(
            case((AnswerTemplate.language == ticket.language, 0), else_=1),
            # The subject's own templates before the generic ones.
            AnswerTemplate.category_id.is_(None),
            AnswerTemplate.title,
            AnswerTemplate.id,
        )
    )
    return list(db.session.scalars(query))

