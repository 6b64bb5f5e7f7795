"""What the submitter and the followers of a ticket hear of its steps, by which channel, in which language."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Department, Notification, TicketEvent, utcnow
from feedback.services.deadlines.automatic import remind_and_close_unrated
from feedback.services.handling.actions import (
    accept_ticket,
    extend_deadline,
    post_progress_update,
    reject_ticket,
    request_information,
    resolve_ticket,
)
from feedback.services.handling.cooperation import transfer_ticket
from feedback.services.notifications.messages import SUBMITTER_KINDS
from feedback.services.submitters.board import follow_ticket
from feedback.services.submitters.responses import provide_information, rate_ticket
from feedback.text import without_accents
from tests.feedback.notified_tickets import (
    EMAIL,
    NAME,
    PHONE,
    Worker,
    add_staff,
    clock,
    department_id,
    mailbox,
    staff,
    submit,
    ticket,
    written,
)
from workflows import Role

# --- the submitter ---------------------------------------------------------------------------


def walk_every_submitter_step(app: Flask, notify_by: str) -> tuple[int, int]:
    """One ticket rejected; another accepted, transferred, asked a question, extended, updated,
    answered and closed by the system. Returns (answered, rejected)."""
    head_sct = add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    times = clock(utcnow())
    answered = submit(app, notify_by=notify_by, now=next(times))
    refused = submit(app, notify_by=notify_by, now=next(times))
    with app.app_context():
        intake = staff("intake@example.org")
        reject_ticket(intake, refused, "Nội dung trùng với phản ánh đã có.", now=next(times))
        accept_ticket(intake, answered, department_id("SXD"), now=next(times))
        transfer_ticket(
            staff("head.sxd@example.org"), answered, department_id("SCT"), "Thuộc ngành Công Thương.", now=next(times)
        )
        officer = staff("officer.sct@example.org")
        request_information(officer, answered, "Xin cho biết vị trí chính xác.", now=next(times))
        provide_information(ticket(answered), "Trước nhà số 12.", [], now=next(times))
        extend_deadline(staff(head_sct), answered, 5, "Cần khảo sát hiện trường.", now=next(times))
        post_progress_update(officer, answered, "Đã cử cán bộ đến hiện trường.", now=next(times))
        resolved = resolve_ticket(officer, answered, "Đã vá ổ gà ngày 20/11.", now=next(times)).resolved_at
        assert resolved is not None
        # Never rated: the system closes it.
        assert remind_and_close_unrated(resolved + timedelta(days=40)) == (0, 1)
    return answered, refused


EVERY_SUBMITTER_STEP = [
    "acknowledgement",
    "accepted",
    "transferred",
    "info_requested",
    "extended",
    "progress",
    "answered",
    "closed",
]


@pytest.mark.parametrize(("notify_by", "channel", "address"), [("email", "email", EMAIL), ("sms", "sms", PHONE)])
def test_the_submitter_hears_of_every_step_once_by_the_channel_they_chose(
    app: Flask, database: None, run_worker: Worker, notify_by: str, channel: str, address: str
) -> None:
    answered, refused = walk_every_submitter_step(app, notify_by)
    assert {*EVERY_SUBMITTER_STEP, "rejected"} == set(SUBMITTER_KINDS.values())
    to_submitter = [(kind, channel, address, "vi") for kind in EVERY_SUBMITTER_STEP]
    assert written(app, answered, SUBMITTER_KINDS.values()) == to_submitter
    assert written(app, refused) == [(kind, channel, address, "vi") for kind in ("acknowledgement", "rejected")]

    assert run_worker()
    delivered = mailbox(app, recipient=address)
    assert Counter(n.kind for n, _ in delivered) == Counter([*EVERY_SUBMITTER_STEP, "acknowledgement", "rejected"])
    with app.app_context():
        codes = {answered: ticket(answered).code, refused: ticket(refused).code}
        sct = db.session.get_one(Department, department_id("SCT")).name_vi
    for notification, message in delivered:
        assert message.channel == channel
        assert codes[notification.ticket_id] in message.subject + message.body
        if channel == "sms":
            assert message.body.isascii(), message.body
            assert "/track/" in message.body
    if channel == "sms":
        transferred = next(m for n, m in delivered if n.kind == "transferred")
        assert without_accents(sct) in transferred.body and sct not in transferred.body


def test_a_submitter_who_asked_for_no_messages_gets_none(app: Flask, database: None, run_worker: Worker) -> None:
    answered, _refused = walk_every_submitter_step(app, "none")
    with app.app_context():
        to_submitter = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.key.like("%:submitter"))
        )
    assert to_submitter == 0
    run_worker()
    assert not mailbox(app, recipient=EMAIL) and not mailbox(app, recipient=PHONE)
    # The staff still hear of it: the walk did write messages.
    assert written(app, answered)


def test_the_acknowledgements_link_opens_the_ticket_and_a_wrong_one_does_not(
    app: Flask, client: FlaskClient, run_worker: Worker
) -> None:
    mine = submit(app, notify_by="email", language="en")
    other = submit(app, notify_by="email", language="en")
    assert run_worker()
    links = {}
    for notification, message in mailbox(app, kind="acknowledgement"):
        assert notification.channel == "email" and notification.language == "en"
        assert message.subject.startswith("We received your submission")
        link = re.search(r"https?://\S+/track/\S+", message.body)
        assert link, message.body
        assert link.group(0).startswith(app.config["PUBLIC_URL"] + "/track/")
        links[notification.ticket_id] = link.group(0).removeprefix(app.config["PUBLIC_URL"])
    with app.app_context():
        code = ticket(mine).code
    page = client.get(links[mine])
    assert page.status_code == 200
    assert code in page.get_data(as_text=True)

    prefix, token = links[mine].rsplit("/", 1)
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"{prefix}/{wrong}").status_code == 404
    # Another ticket's token does not open this one.
    assert client.get(f"{prefix}/{links[other].rsplit('/', 1)[1]}").status_code == 404


# --- followers -------------------------------------------------------------------------------


def test_followers_hear_of_the_answer_in_their_language_without_the_submitters_data(
    app: Flask, database: None, run_worker: Worker
) -> None:
    times = clock(utcnow())
    followed = submit(app, notify_by="email", now=next(times))
    answer = "Đã vá ổ gà và sơn lại vạch kẻ đường."
    with app.app_context():
        accept_ticket(staff("intake@example.org"), followed, department_id("SXD"), now=next(times))
        follow_ticket(ticket(followed), "Minh.Tran@Example.com", language="en")
        follow_ticket(ticket(followed), "hoa@example.com", language="vi")
        officer = staff("officer.sxd@example.org")
        # Followers hear of the answer, not of every step.
        post_progress_update(officer, followed, "Đã khảo sát hiện trường.", now=next(times))
        resolve_ticket(officer, followed, answer, now=next(times))
        code = ticket(followed).code
    assert written(app, followed, ["followed_update"]) == [
        ("followed_update", "email", "minh.tran@example.com", "en"),
        ("followed_update", "email", "hoa@example.com", "vi"),
    ]

    assert run_worker()
    messages = {n.recipient: m for n, m in mailbox(app, kind="followed_update")}
    assert set(messages) == {"minh.tran@example.com", "hoa@example.com"}
    english, vietnamese = messages["minh.tran@example.com"], messages["hoa@example.com"]
    assert "Answered" in english.subject and "The submission you follow is now: Answered." in english.body
    assert "Đã trả lời" in vietnamese.subject and "Answered" not in vietnamese.subject + vietnamese.body
    for message in (english, vietnamese):
        assert code in message.subject
        assert answer in message.body
        assert f"{app.config['PUBLIC_URL']}/board/{code}" in message.body
        for personal in (NAME, EMAIL, PHONE):
            assert personal not in message.subject + message.body
        # The submitter's private link is theirs alone.
        assert "/track/" not in message.body


# --- closing ---------------------------------------------------------------------------------


def test_closing_by_the_submitters_rating_sends_no_closed_message_closing_by_the_system_does(
    app: Flask, database: None
) -> None:
    times = clock(utcnow())
    rated, unrated = (submit(app, notify_by="email", now=next(times)) for _ in range(2))
    with app.app_context():
        officer = staff("officer.sxd@example.org")
        for ticket_id in (rated, unrated):
            accept_ticket(staff("intake@example.org"), ticket_id, department_id("SXD"), now=next(times))
            resolve_ticket(officer, ticket_id, "Đã vá ổ gà.", now=next(times))
        rate_ticket(ticket(rated), "satisfied", "Cảm ơn.", now=next(times))
        assert ticket(rated).status == "closed"
        assert remind_and_close_unrated(utcnow() + timedelta(days=40)) == (0, 1)
        closers = {
            t: db.session.scalars(
                select(TicketEvent.actor_role).where(TicketEvent.ticket_id == t, TicketEvent.action == "close")
            ).one()
            for t in (rated, unrated)
        }
    assert closers == {rated: "submitter", unrated: "system"}
    assert [kind for kind, *_ in written(app, rated)] == ["acknowledgement", "accepted", "answered"]
    assert [kind for kind, *_ in written(app, unrated)] == ["acknowledgement", "accepted", "answered", "closed"]
