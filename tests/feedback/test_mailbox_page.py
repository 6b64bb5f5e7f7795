"""The development mailbox, through HTTP: a submission's receipt appears there once the worker
has run, can be found by address and read with working links; the page exists only where a
mailbox backend is in use, and on a production server only for administrators."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, AuditEntry, Category, MailboxMessage, Notification, utcnow
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.views.mailbox import with_links

pytestmark = pytest.mark.usefixtures("english")
BANNER = "kept here instead of being sent"
FOOTER_LINK = 'href="/dev/mailbox/"'


def submit_with_email(app: Flask, email: str, title: str = "Đèn tín hiệu hỏng") -> str:
    """A web submission whose submitter asked to hear by email; returns its code."""
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                title=title,
                description="Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra.",
                email=email,
                notify_by="email",
                language="en",
            ),
            actor=None,
        )
        return receipt.ticket.code


def kept_id(app: Flask, recipient: str) -> int:
    with app.app_context():
        return db.session.scalars(select(MailboxMessage.id).where(MailboxMessage.recipient == recipient)).one()


def listed_recipients(html: str) -> list[str]:
    return re.findall(r'data-testid="recipient">([^<]+)<', html)


def test_a_receipt_appears_in_the_mailbox_after_the_worker_ran(
    app: Flask, client: FlaskClient, run_worker: Callable[[], bool]
) -> None:
    code = submit_with_email(app, "mai.nguyen@example.org")
    before = client.get("/dev/mailbox/")
    assert before.status_code == 200
    assert "mai.nguyen@example.org" not in before.text, "nothing is kept before the worker sends it"

    assert run_worker()
    page = client.get("/dev/mailbox/").text
    assert BANNER in page
    assert listed_recipients(page)[0] == "mai.nguyen@example.org", "newest first"
    assert f"We received your submission {code}" in page
    assert f'/dev/mailbox/{kept_id(app, "mai.nguyen@example.org")}"' in page


def test_the_recipient_filter_keeps_one_address(
    app: Flask, client: FlaskClient, run_worker: Callable[[], bool]
) -> None:
    submit_with_email(app, "an.tran@example.org", title="Ổ gà trên đường Trần Phú")
    submit_with_email(app, "binh.le@example.org", title="Cây đổ chắn lối đi")
    run_worker()

    page = client.get("/dev/mailbox/?to=AN.TRAN@example").text
    assert listed_recipients(page) == ["an.tran@example.org"]
    assert "1 message" in page
    assert 'href="/dev/mailbox/"' in page, "a way back to every message"
    everything = client.get("/dev/mailbox/").text
    assert {"an.tran@example.org", "binh.le@example.org"} <= set(listed_recipients(everything))
    nobody = client.get("/dev/mailbox/?to=nobody%25").text
    assert listed_recipients(nobody) == []
    assert "No message was kept for an address containing “nobody%”." in nobody


def test_a_message_page_shows_headers_and_the_body_with_links(
    app: Flask, client: FlaskClient, run_worker: Callable[[], bool]
) -> None:
    code = submit_with_email(app, "cuong@example.org", title="Rác <b>tràn</b> & bốc mùi")
    run_worker()
    response = client.get(f"/dev/mailbox/{kept_id(app, 'cuong@example.org')}")
    assert response.status_code == 200
    page = response.text
    headers = page.split('data-testid="message-headers"')[1].split("</dl>")[0]
    assert "cuong@example.org" in headers and f"We received your submission {code}" in headers
    body = page.split('data-testid="message-body">')[1].split("</pre>")[0]
    assert "Rác &lt;b&gt;tràn&lt;/b&gt; &amp; bốc mùi" in body, "the body's text is escaped"
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', body)
    assert len(links) == 1 and links[0][0] == links[0][1]
    address = urlsplit(html.unescape(links[0][0]))
    assert address.path.startswith(f"/track/{code}/")
    tracking = client.get(address.path)
    assert tracking.status_code == 200 and code in tracking.text, "the link opens the submitter's tracking page"
    assert client.get("/dev/mailbox/999999").status_code == 404


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Follow it: https://pakn.example/track/AB?secret=x&y=1.",
         'Follow it: <a href="https://pakn.example/track/AB?secret=x&amp;y=1">https://pakn.example/track/AB?secret=x&amp;y=1</a>.'),
        ("<script>alert(1)</script> http://a.example/\"onmouseover=x",
         '&lt;script&gt;alert(1)&lt;/script&gt; <a href="http://a.example/">http://a.example/</a>&#34;onmouseover=x'),
        ("javascript:alert(1) and (see http://b.example/page)",
         'javascript:alert(1) and (see <a href="http://b.example/page">http://b.example/page</a>)'),
    ],
)
def test_links_are_made_of_web_addresses_only_and_the_rest_is_escaped(text: str, expected: str) -> None:
    assert str(with_links(text)) == expected


def test_pages_of_fifty_newest_first(app: Flask, client: FlaskClient) -> None:
    now = utcnow()
    with app.app_context():
        for number in range(51):
            notification = Notification(key=f"mailbox-page-{number}", kind="digest", channel="email",
                                        recipient=f"head{number}@pages.example", status="sent")
            db.session.add(notification)
            db.session.flush()
            db.session.add(MailboxMessage(notification_id=notification.id, channel="email",
                                          recipient=notification.recipient, subject=f"Digest {number}",
                                          body="…", created_at=now + timedelta(minutes=number)))
        db.session.commit()
    first = client.get("/dev/mailbox/?to=pages.example").text
    assert listed_recipients(first)[:2] == ["head50@pages.example", "head49@pages.example"]
    assert len(listed_recipients(first)) == 50
    assert "page 1 of 2" in first and "/dev/mailbox/?page=2&amp;to=pages.example" in first
    second = client.get("/dev/mailbox/?to=pages.example&page=2").text
    assert listed_recipients(second) == ["head0@pages.example"]


def test_text_messages_are_listed_by_their_first_words(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        notification = Notification(key="mailbox-sms", kind="acknowledgement", channel="sms",
                                    recipient="0905123456", status="sent")
        db.session.add(notification)
        db.session.flush()
        db.session.add(MailboxMessage(notification_id=notification.id, channel="sms", recipient="0905123456",
                                      subject="", body="Chung toi da nhan phan anh 7K3M-9QX2-T. " * 5))
        db.session.commit()
    page = client.get("/dev/mailbox/?to=0905").text
    item = page.split('data-testid="kept-message"')[1]
    assert "Text message" in item
    assert "Chung toi da nhan phan anh 7K3M-9QX2-T. Chung toi" in item and "…" in item


@pytest.mark.parametrize("path", ["/", "/track", "/dev/mailbox/"])
def test_the_footer_links_to_the_mailbox_in_development(client: FlaskClient, path: str) -> None:
    assert FOOTER_LINK in client.get(path).text


@pytest.mark.parametrize(
    ("mail", "sms", "available", "banner"),
    [
        ("smtp", "http", False, None),
        ("smtp", "mailbox", True, "text messages are kept here instead of being sent"),
        ("mailbox", "http", True, "emails are kept here instead of being sent"),
    ],
)
def test_the_mailbox_exists_only_where_a_mailbox_backend_is_used(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, run_worker: Callable[[], bool],
    mail: str, sms: str, available: bool, banner: str | None,
) -> None:
    submit_with_email(app, "dung@example.org")
    run_worker()
    message_id = kept_id(app, "dung@example.org")
    monkeypatch.setitem(app.config, "MAIL_BACKEND", mail)
    monkeypatch.setitem(app.config, "SMS_BACKEND", sms)
    listing, message = client.get("/dev/mailbox/"), client.get(f"/dev/mailbox/{message_id}")
    assert (listing.status_code, message.status_code) == ((200, 200) if available else (404, 404))
    assert (FOOTER_LINK in client.get("/").text) is available
    if banner:
        assert banner in listing.text


def test_in_production_only_administrators_read_the_mailbox(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, run_worker: Callable[[], bool],
    login: Callable[..., Any], logout: Callable[[], None],
) -> None:
    submit_with_email(app, "em@example.org")
    run_worker()
    message_id = kept_id(app, "em@example.org")
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    assert client.get("/dev/mailbox/").status_code == 404
    assert client.get(f"/dev/mailbox/{message_id}").status_code == 404
    assert FOOTER_LINK not in client.get("/").text

    login("leader@example.org")
    assert client.get("/dev/mailbox/").status_code == 404
    logout()
    login("admin@example.org")
    page = client.get("/dev/mailbox/")
    assert page.status_code == 200
    assert "em@example.org" in page.text and "Only administrators see this page" in page.text
    assert client.get(f"/dev/mailbox/{message_id}").status_code == 200
    assert FOOTER_LINK not in client.get("/").text, "production never advertises it"
    with app.app_context():
        read = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.message")).one()
        assert (read.actor_email, read.target) == ("admin@example.org", f"message {message_id}"), (
            "reading a citizen's message is in the audit log"
        )
