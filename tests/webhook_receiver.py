"""A real webhook subscriber for the tests: an HTTP server on a port of its own that checks
each delivery's Standard Webhooks signature, reads it as a CloudEvent with the official SDK
and keeps it. It can go away (the port closed) and come back on the same port, and can lose
its answer to one delivery (the connection dropped after the event was taken), as a receiver
whose response never reached the sender."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook

from yinling.broker import free_port


def by_hand(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks signature worked out from the spec, without its library:
    base64(HMAC-SHA256(base64-decoded secret, "{webhook-id}.{webhook-timestamp}.{body}"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


@dataclass
class Delivery:
    event_id: str
    attributes: dict[str, Any]
    data: Any
    body: bytes


@dataclass
class Receiver:
    secret: str = ""
    port: int = field(default_factory=free_port)
    deliveries: list[Delivery] = field(default_factory=list)
    refused_signatures: int = 0
    drop_next_answer: bool = False
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/yinling"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    assert by_hand(receiver.secret, headers, body)
                except Exception:
                    receiver.refused_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                event = from_http_event(HTTPMessage(headers=headers, body=body))
                attributes = dict(event.get_attributes())
                receiver.deliveries.append(Delivery(str(attributes["id"]), attributes,
                                                    event.get_data(), body))
                if receiver.drop_next_answer:      # taken, but the sender never hears so
                    receiver.drop_next_answer = False
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def ids(self) -> set[str]:
        return {d.event_id for d in self.deliveries}

    def wait_for(self, ids: set[str], timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not ids <= self.ids():
            assert time.monotonic() < deadline, f"never received {sorted(ids - self.ids())}"
            time.sleep(0.05)
