"""A real SMTP server (aiosmtpd) that records, refuses or stalls, with STARTTLS or SSL on a
self-signed certificate and a login when asked."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=default_policy).parsebytes(self.raw)  # type: ignore[return-value]

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


class SmtpRecorder:
    """An aiosmtpd handler that keeps what it accepts. It can refuse RCPT or DATA with a reply,
    and stall once, at RCPT (before the message is handed over) or after DATA has brought the
    whole message (handed over, not yet confirmed), until `release` is set; a stalled RCPT
    then gets `reply_after_stall`."""

    def __init__(
        self,
        *,
        stall_at: str | None = None,
        reply_after_stall: str = "250 OK",
        refuse_rcpt: str = "",
        refuse_data: str = "",
    ) -> None:
        assert stall_at in (None, "RCPT", "DATA")
        self.stall_at = stall_at
        self.reply_after_stall = reply_after_stall
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._received: list[ReceivedMail] = []
        self._lock = threading.Lock()

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    async def handle_RCPT(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        if self.stall_at == "RCPT" and await self._stall_once() and not self.reply_after_stall.startswith("250"):
            return self.reply_after_stall
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        with self._lock:
            self._received.append(
                ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content, session.auth_data)
            )
        if self.stall_at == "DATA":
            await self._stall_once()
        return "250 OK"

    async def _stall_once(self) -> bool:
        """Wait for `release` if this is the first command to stall; True if it was."""
        with self._lock:
            first = not self.stalled.is_set()
            self.stalled.set()
        while first and not self.release.is_set():
            await asyncio.sleep(0.05)
        return first


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed_certificate(directory: Path) -> Certificate:
    """A certificate for 127.0.0.1 and localhost; a client trusts it through SSL_CERT_FILE."""
    if not os.path.exists(OPENSSL):
        pytest.skip("no openssl command here to make a test certificate")
    certificate = Certificate(directory / "cert.pem", directory / "key.pem")
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(certificate.key), "-out", str(certificate.cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return certificate


class SmtpServer:
    """aiosmtpd on 127.0.0.1. `security` is "none", "starttls" (required) or "ssl"; with
    `credentials`, AUTH is offered and the login of each message is recorded."""

    def __init__(
        self,
        recorder: SmtpRecorder,
        port: int,
        *,
        security: str = "none",
        certificate: Certificate | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.recorder = recorder
        self.port = port
        options: dict[str, Any] = {}
        if security == "starttls":
            assert certificate is not None
            options.update(tls_context=certificate.server_context(), require_starttls=True)
        elif security == "ssl":
            assert certificate is not None
            # aiosmtpd counts only STARTTLS as TLS when deciding to offer AUTH.
            options.update(ssl_context=certificate.server_context(), auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        if credentials is not None:
            options["authenticator"] = _Authenticator(*credentials)
        self._controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)

    @property
    def received(self) -> list[ReceivedMail]:
        return self.recorder.received

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.recorder.release.set()
        self._controller.stop()


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        accepted = (login, password) == (self.username, self.password)
        # handled=False: aiosmtpd then sends the 535 itself.
        return AuthResult(success=accepted, handled=False, auth_data=login if accepted else None)
