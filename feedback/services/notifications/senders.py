"""How a rendered message leaves: SMTP, an SMS gateway, or the development mailbox.

A sender calls `point_of_no_return()` just before the step after which the message may have
arrived (SMTP's DATA, the gateway's request). The delivery service records that moment, so a
worker killed after it never sends the message twice (RFC 1047's window), while a worker killed
before it leaves a message that is safely sent again. It raises TakenOver when the message is
no longer this worker's; the sender then stops without sending it.
"""

from __future__ import annotations

import importlib
import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from typing import Any, Protocol

from feedback.extensions import db
from feedback.models import MailboxMessage


@dataclass(frozen=True)
class Outgoing:
    notification_id: int
    channel: str  # email | sms
    recipient: str
    subject: str
    body: str
    language: str
    # The same for every attempt at one notification, so that mail systems can drop a copy.
    message_id: str


class TransientError(Exception):
    """Nothing was delivered and trying later may work (server down, 4xx reply)."""


class PermanentError(Exception):
    """Nothing was delivered and trying again will not help (address refused, 5xx reply)."""


class UncertainDelivery(Exception):
    """Lost contact after the point of no return: the message may or may not have arrived."""


class TakenOver(Exception):
    """Raised by `point_of_no_return`: another worker claimed the message after this one held
    it past its lease. Nothing was sent, and the message is no longer this worker's to send."""


class Sender(Protocol):
    def send(self, message: Outgoing, point_of_no_return: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


class MailboxSender:
    """Keeps the message where the development mailbox page shows it; committed with the
    notification's new status, so it is kept exactly once."""

    def send(self, message: Outgoing, point_of_no_return: Callable[[], None]) -> None:
        db.session.add(
            MailboxMessage(
                notification_id=message.notification_id,
                channel=message.channel,
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
            )
        )

    def close(self) -> None:
        pass


class SmtpSender:
    """One connection for a batch of messages, opened on the first."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host: str = config["SMTP_HOST"]
        self.port = int(config["SMTP_PORT"])
        self.security: str = config["SMTP_SECURITY"]
        self.username: str | None = config["SMTP_USERNAME"]
        self.password: str | None = config["SMTP_PASSWORD"]
        self.timeout = float(config["SMTP_TIMEOUT"])
        self.sender: str = config["MAIL_FROM"]
        self._connection: smtplib.SMTP | None = None

    def send(self, message: Outgoing, point_of_no_return: Callable[[], None]) -> None:
        email = _email(message, self.sender)
        try:
            connection = self._connect()
            _expect(connection.mail(_address(self.sender)), (250,))
            _expect(connection.rcpt(message.recipient), (250, 251))
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TransientError(_describe(error)) from error
        except (TransientError, PermanentError):
            self._reset()
            raise
        try:
            point_of_no_return()
        except TakenOver:
            self._reset()
            raise
        reply: tuple[int, bytes | str]
        try:
            # Lines end in CRLF on the wire: servers refuse or mangle bare line feeds.
            reply = connection.data(email.as_bytes(policy=SMTP_POLICY))
        except smtplib.SMTPDataError as error:
            reply = (error.smtp_code, error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise UncertainDelivery(_describe(error)) from error
        if reply[0] != 250:
            # The server answered and refused: nothing was delivered. smtplib raises when DATA
            # itself is refused, but only returns the reply to the message that follows it.
            self._reset()
            _expect(reply, (250,))

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                self._connection.close()
            self._connection = None

    def _connect(self) -> smtplib.SMTP:
        if self._connection is None:
            if self.security == "ssl":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.security == "starttls":
                    connection.starttls(context=ssl.create_default_context())
                if self.username:
                    connection.login(self.username, self.password or "")
                # smtplib's mail() does not greet, and servers refuse MAIL before EHLO (503).
                connection.ehlo_or_helo_if_needed()
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()


class HttpSmsSender:
    """Posts {"to", "text", "id"} as JSON to a gateway (most Vietnamese brandname SMS gateways
    take a request of this shape; a gateway with its own API gets its own sender class)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not config["SMS_HTTP_URL"]:
            raise ValueError("SMS_BACKEND=http needs SMS_HTTP_URL")
        self.url: str = config["SMS_HTTP_URL"]
        self.token: str | None = config["SMS_HTTP_TOKEN"]
        self.timeout = float(config["SMTP_TIMEOUT"])

    def send(self, message: Outgoing, point_of_no_return: Callable[[], None]) -> None:
        body = json.dumps({"to": message.recipient, "text": message.body, "id": message.message_id})
        request = urllib.request.Request(self.url, data=body.encode(), method="POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        point_of_no_return()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                pass
        except urllib.error.HTTPError as error:
            # The gateway answered: a client error will not go away, a server error may.
            raise (TransientError if error.code >= 500 or error.code == 429 else PermanentError)(
                f"HTTP {error.code} {error.reason}"
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError | socket.gaierror):
                raise TransientError(_describe(error.reason)) from error
            raise UncertainDelivery(_describe(error.reason)) from error
        except OSError as error:
            raise UncertainDelivery(_describe(error)) from error

    def close(self) -> None:
        pass


def make_sender(channel: str, config: Mapping[str, Any]) -> Sender:
    backend: str = config["MAIL_BACKEND"] if channel == "email" else config["SMS_BACKEND"]
    if backend == "mailbox":
        return MailboxSender()
    if backend == "smtp" and channel == "email":
        return SmtpSender(config)
    if backend == "http" and channel == "sms":
        return HttpSmsSender(config)
    if ":" in backend:
        module, _, name = backend.partition(":")
        # What a "module:name" backend names: a function of the config that makes a Sender.
        factory: Callable[[Mapping[str, Any]], Sender] = getattr(importlib.import_module(module), name)
        return factory(config)
    raise ValueError(f"unknown {channel} backend {backend!r}")


def _email(message: Outgoing, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    # Tells mail systems and out-of-office replies that no person is waiting for an answer.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    # After set_content, which drops every Content-* header set before it.
    email["Content-Language"] = message.language
    return email


def _address(sender: str) -> str:
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def _expect(reply: tuple[int, bytes | str], accepted: tuple[int, ...]) -> None:
    # smtplib's replies are bytes; its exceptions may carry a str message instead.
    code, text = reply
    if code not in accepted:
        message = text.decode(errors="replace") if isinstance(text, bytes) else text
        raise (PermanentError if code >= 500 else TransientError)(f"{code} {message}")


def _describe(error: BaseException | str) -> str:
    # URLError.reason is an exception, or only a message for a URL urllib cannot use.
    described = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return described[:500]
