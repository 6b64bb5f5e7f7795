"""Real servers and processes for the tests that stop, stall and kill them: a Redis server, an
SMTP server (aiosmtpd) that records, refuses or stalls, an SMS gateway, and RQ workers started
through `flask worker` in their own process group.

Each `start()` has a `stop()` that the fixtures call in their finalizers, so nothing outlives a
failed test.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.isolation import PORTS_PER_WORKER, worker_ports

ROOT = Path(__file__).parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
T = TypeVar("T")


def require_redis_server() -> None:
    if not os.path.exists(REDIS_SERVER):
        pytest.skip(
            "no redis-server here: install Redis (Debian's `redis-server`) "
            "for the tests that stop Redis or kill workers"
        )
    if not Path("/proc/self/stat").exists():
        pytest.skip("killing a worker with its work horse needs Linux's /proc to find the horse")


def free_port() -> int:
    """A port nothing listens on now, from this xdist worker's own block; one handed out before
    comes round again only after the rest of the block."""
    for port in itertools.islice(_block_of_ports(), PORTS_PER_WORKER):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("every port of this worker's block is taken")


@functools.cache
def _block_of_ports() -> Iterator[int]:
    return itertools.cycle(worker_ports())


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20, details: Callable[[], str] = str) -> T:
    """Poll until `condition()` is true and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{details()}")
        time.sleep(0.05)


class RedisServer:
    """A throwaway redis-server on its own port, keeping nothing on disk."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = directory
        self.log_path = directory / f"redis-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, f"redis-server on port {self.port}", details=self.log_path.read_text)
        return self

    def flush(self) -> None:
        with Redis(port=self.port) as client:
            client.flushall()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _answers(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"redis-server exited:\n{self.log_path.read_text()}")
        try:
            with Redis(port=self.port, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except RedisConnectionError:
            return False


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


@dataclass(frozen=True)
class GatewayRequest:
    authorization: str
    content_type: str
    payload: dict[str, Any]


class SmsGateway:
    """An HTTP server that takes SMS requests as JSON, answering each with the next status of
    `replies` (then 200), and keeps what it was sent."""

    def __init__(self, replies: Sequence[int] = ()) -> None:
        self._replies = list(replies)
        self._requests: list[GatewayRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sms-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/sms"

    @property
    def requests(self) -> list[GatewayRequest]:
        with self._lock:
            return list(self._requests)

    def start(self) -> SmsGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _answer(self, request: GatewayRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return self._replies.pop(0) if self._replies else 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = gateway._answer(
                    GatewayRequest(
                        self.headers.get("Authorization", ""), self.headers.get("Content-Type", ""), json.loads(body)
                    )
                )
                reply = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class WorkerProcess:
    """`flask --app app worker --queue ...` as production starts it, in its own process group,
    configured through the environment only."""

    def __init__(self, environment: Mapping[str, str], log_path: Path, queues: Sequence[str]) -> None:
        self.environment = {**os.environ, **environment}
        self.log_path = log_path
        self.queues = queues
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        command = [sys.executable, "-m", "flask", "--app", "app", "worker"]
        for queue in self.queues:
            command += ["--queue", queue]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self) -> str:
        return f"--- {self.log_path.name}\n{self.log_path.read_text(errors='replace')}"

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: the worker's process group
        (the worker and its scheduler) and the work horse, which RQ puts in a group of its own."""
        assert self._process is not None
        tree = _process_tree(self._process.pid)
        os.killpg(self._process.pid, signal.SIGKILL)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        self._process.wait(10)
        self._process = None
        wait_for(lambda: not any(_is_alive(pid) for pid in tree), "the killed worker's processes to be gone")

    def request_stop(self) -> None:
        """Ask for a warm shutdown (SIGTERM), as a service manager does; `stop` waits for it."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGTERM)

    def stop(self) -> None:
        """A warm shutdown, or SIGKILL when it takes too long."""
        if self._process is None:
            return
        self.request_stop()
        try:
            self._process.wait(10)
            self._process = None
        except subprocess.TimeoutExpired:
            self.kill()


def _process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (command) state ppid ...; the command may itself contain spaces and parentheses.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
