"""A real SMS gateway over HTTP: it takes each text message as JSON, answers with the status the
test chose, and keeps what it was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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
