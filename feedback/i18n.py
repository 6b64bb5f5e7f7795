"""Language choice and the labels templates show for the engine's codes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_datetime, format_percent, get_locale
from flask_babel import lazy_gettext as _l

from feedback.extensions import babel
from workflows import MAX_TRANSFERS, Refusal

STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "waiting_for_submitter": _l("Waiting for the submitter"),
    "resolved": _l("Answered"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
}
ACTION_LABELS = {
    "submit": _l("Submitted"),
    "accept": _l("Accepted"),
    "reject": _l("Rejected"),
    "start": _l("Work started"),
    "request_info": _l("Information requested"),
    "provide_info": _l("Information provided"),
    "resolve": _l("Answered"),
    "reopen": _l("Reopened"),
    "close": _l("Closed"),
    "transfer": _l("Transferred"),
    "rate": _l("Rated"),
    "extend": _l("Deadline extended"),
    "progress_update": _l("Progress update"),
    "request_contribution": _l("Contribution requested"),
    "contribute": _l("Contribution received"),
    "escalate": _l("Escalated"),
    "assign": _l("Assigned"),
    "note": _l("Internal note"),
    "draft_answer": _l("Answer drafted"),
    "submit_answer": _l("Answer sent for approval"),
    "approve_answer": _l("Answer approved"),
    "return_answer": _l("Answer sent back"),
}
# Each refusal's message may use %(status)s (the ticket's status), %(transfers)d (the transfers a
# department may make) and %(max_days)d (the longest extension of the ticket's policy).
REFUSAL_MESSAGES = {
    Refusal.TERMINAL_STATUS: _l("This ticket is finished (closed or not taken up): nothing more can be done to it."),
    Refusal.NOT_A_TRANSITION: _l("That action is not possible for this ticket."),
    Refusal.INVALID_SOURCE: _l("That action is not possible while the ticket is “%(status)s”."),
    Refusal.ROLE_NOT_ALLOWED: _l("Your role does not allow that action on this ticket."),
    Refusal.REASON_REQUIRED: _l("Give a reason."),
    Refusal.TRANSFER_LIMIT: _l(
        "This ticket has been transferred %(transfers)d times already: only a leader can move it "
        "again. Ask a leader to decide."
    ),
    Refusal.SAME_DEPARTMENT: _l("The ticket is already with that department."),
    Refusal.TRANSFERS_LEFT: _l(
        "The ticket can still be transferred: a leader decides only after %(transfers)d transfers."
    ),
    Refusal.DECISION_ALREADY_REQUESTED: _l("A leader has already been asked to decide."),
    Refusal.ALREADY_EXTENDED: _l("The deadline has already been extended once; it cannot be extended again."),
    Refusal.EXTENSION_OUT_OF_RANGE: _l("Extend by 1 to %(max_days)d working days."),
    Refusal.NO_DEADLINE: _l("The ticket has no deadline to extend yet: accept it first."),
    Refusal.REOPEN_LIMIT: _l("This submission has been reopened once already; it cannot be reopened again."),
    Refusal.OFFICERS_ASSIGN_THEMSELVES: _l(
        "Officers can only take a ticket themselves; the head assigns it to others."
    ),
    Refusal.ALREADY_ASSIGNED: _l("The ticket is already assigned to that person."),
    Refusal.NO_DRAFT: _l("Save the answer as a draft first."),
    Refusal.NOTHING_TO_APPROVE: _l("No answer is awaiting approval."),
    Refusal.APPROVAL_REQUIRED: _l("The head must approve the answer before it is published: send it for approval."),
    Refusal.ANSWER_DIFFERS_FROM_APPROVED: _l(
        "This text differs from the approved answer: publish the approved text, "
        "or send the changed answer for approval again."
    ),
    Refusal.APPROVAL_NOT_NEEDED: _l("Your answer needs no approval: publish it directly."),
    Refusal.NOT_A_RECORD: _l("That action cannot be recorded on its own."),
    Refusal.ALREADY_ESCALATED: _l("The ticket has already been escalated that far."),
}
ESCALATION_LABELS = {"head": _l("Escalated to the department head"), "leader": _l("Escalated to the leader")}
RUNG_LABELS = {
    "remind_before": _l("Reminder before the due day"),
    "remind_due": _l("Reminder on the due day"),
    "escalate_head": _l("Escalation to the department head"),
    "escalate_leader": _l("Escalation to the leader"),
}
KIND_LABELS = {"feedback": _l("Feedback"), "recommendation": _l("Recommendation")}
CHANNEL_LABELS = {
    "web": _l("Web"),
    "api": _l("API"),
    "hotline": _l("Hotline"),
    "walk_in": _l("Walk-in"),
    "email": _l("Email"),
    "letter": _l("Letter"),
}
NOTIFY_LABELS = {"email": _l("by email"), "sms": _l("by text message"), "none": _l("none, follows the tracking page")}
RATING_LABELS = {
    "satisfied": _l("Satisfied"),
    "acceptable": _l("Acceptable"),
    "not_satisfied": _l("Not satisfied"),
}
ROLE_LABELS = {
    "submitter": _l("Submitter"),
    "intake_officer": _l("Intake officer"),
    "department_officer": _l("Department officer"),
    "department_head": _l("Department head"),
    "leader": _l("Leader"),
    "administrator": _l("Administrator"),
    "system": _l("System"),
}

# What each message was about, as the staff ticket page and the jobs page name it.
NOTIFICATION_KIND_LABELS = {
    "acknowledgement": _l("Receipt of the submission"),
    "accepted": _l("Submission accepted"),
    "rejected": _l("Submission rejected"),
    "transferred": _l("Transferred to another department"),
    "info_requested": _l("Information requested"),
    "extended": _l("Deadline extended"),
    "progress": _l("Progress update"),
    "answered": _l("Answer published"),
    "rating_reminder": _l("Reminder to rate the answer"),
    "closed": _l("Ticket closed"),
    "followed_update": _l("News of a followed ticket"),
    "escalated": _l("Escalated"),
    "assigned": _l("Assigned"),
    "info_provided": _l("Information provided"),
    "reopened": _l("Reopened"),
    "answer_for_approval": _l("Answer sent for approval"),
    "answer_returned": _l("Answer sent back"),
    "transferred_in": _l("Ticket transferred in"),
    "contribution_requested": _l("Contribution requested"),
    "remind_before": _l("Reminder before the due day"),
    "remind_due": _l("Reminder on the due day"),
    "digest": _l("Daily digest"),
}
DELIVERY_STATUS_LABELS = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent out"),
    "failed": _l("Failed"),
    "uncertain": _l("Uncertain"),
}
MESSAGE_CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("Text message")}
# The indicators of DESIGN.md, with how each is computed (shown beside the tables).
INDICATOR_LABELS = {
    "received": (_l("Received"), _l("Submissions received in the period.")),
    "accepted": (_l("Accepted"), _l("Submissions accepted for handling in the period.")),
    "rejected": (_l("Rejected"), _l("Submissions not taken up in the period.")),
    "resolved": (_l("Answered"), _l("Answers published in the period (a reopened ticket counts when answered again).")),
    "backlog": (_l("Open"), _l("Tickets not yet answered at the end of the period.")),
    "overdue": (_l("Open and overdue"), _l("Open tickets past their deadline at the end of the period.")),
    "on_time_rate": (
        _l("On-time rate"),
        _l("Answered on time ÷ (answered + open and overdue): leaving late work open does not help."),
    ),
    "on_time_rate_national": (_l("On-time rate (national form)"), _l("Answered on time ÷ all answered.")),
    "satisfaction_rate": (_l("Satisfaction rate"), _l("(Rated − not satisfied) ÷ rated.")),
    "satisfaction_rate_national": (
        _l("Satisfaction rate (national form)"),
        _l("(Answered − not satisfied − late) ÷ answered; an unrated answer counts as satisfied."),
    ),
    "rated": (_l("Rated"), _l("Answers of the period that their submitter rated.")),
    "rating_coverage": (_l("Rating coverage"), _l("Rated ÷ answered.")),
    "median_days": (_l("Median handling time"), _l("Working days from submission to answer, for half of the answers.")),
    "p90_days": (_l("90th percentile handling time"), _l("Working days within which nine answers in ten came.")),
    "reopen_rate": (_l("Reopen rate"), _l("Answers reopened by a dissatisfied submitter ÷ first answers.")),
    "transfers_per_ticket": (_l("Transfers per ticket"), _l("Transfers between departments ÷ received.")),
}


def refusal_message(refusal: Refusal, *, status: str, max_extension_days: int) -> str:
    values = {"status": STATUS_LABELS[status], "transfers": MAX_TRANSFERS, "max_days": max_extension_days}
    return str(REFUSAL_MESSAGES[refusal]) % values


def select_locale() -> str:
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    # Vietnamese is the default for everyone who has not chosen; `?lang=` lets a link choose.
    asked = request.args.get("lang")
    if asked is not None and asked in languages:
        return asked
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    return str(get_locale() or "vi")


def localized(obj: Any, field: str) -> str:
    """obj.<field>_en in English, obj.<field>_vi otherwise; for a mapping (a subject's extra
    field, or one of its values), obj["<field>_en"] or obj["<field>_vi"]."""
    name = f"{field}_{'en' if current_language() == 'en' else 'vi'}"
    return str(obj.get(name, "") if isinstance(obj, Mapping) else getattr(obj, name))


def format_moment(value: datetime | None) -> str:
    return format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""


def format_rate(value: float | None) -> str:
    # Babel writes the decimal mark of the language: 92,5% in Vietnamese, 92.5% in English.
    return "—" if value is None else format_percent(value, "#,##0.0%")


def extra_field_rows(category: Any, attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """A ticket's answers to its category's extra fields, as (label, value) in the current language."""
    rows = []
    for spec in category.extra_fields or []:
        value = attributes.get(spec["code"])
        if value in (None, "", []):
            continue
        names = {v["key"]: localized(v, "name") for v in spec.get("values", [])}
        items = value if isinstance(value, list) else [value]
        rows.append((localized(spec, "label"), ", ".join(names.get(str(i), str(i)) for i in items)))
    return rows


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        get_locale=current_language,
        localized=localized,
        status_label=lambda code: STATUS_LABELS.get(code, code),
        action_label=lambda code: ACTION_LABELS.get(code, code),
        escalation_label=lambda code: ESCALATION_LABELS.get(code, code),
        rung_label=lambda code: RUNG_LABELS.get(code, code),
        kind_label=lambda code: KIND_LABELS.get(code, code),
        channel_label=lambda code: CHANNEL_LABELS.get(code, code),
        rating_label=lambda code: RATING_LABELS.get(code, code),
        notify_label=lambda code: NOTIFY_LABELS.get(code, code),
        extra_field_rows=extra_field_rows,
        role_label=lambda code: ROLE_LABELS.get(code, code),
        notification_label=lambda code: NOTIFICATION_KIND_LABELS.get(code, code),
        delivery_status_label=lambda code: DELIVERY_STATUS_LABELS.get(code, code),
        message_channel_label=lambda code: MESSAGE_CHANNEL_LABELS.get(code, code),
        indicator_label=lambda key: INDICATOR_LABELS[key][0],
        indicator_help=lambda key: INDICATOR_LABELS[key][1],
    )
    app.jinja_env.filters.update(moment=format_moment, percent=format_rate)
