"""`arrears dev sms-gateway`: a real local HTTP SMS gateway for development and tests. It accepts what the SMS
adapter (`contact.channels.HttpRelay`) sends, de-duplicates by the message key as production gateways do, records
every message (GET /messages, and a JSON-lines file with --record), and posts delivery receipts back."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand


class SmsGateway(ThreadingHTTPServer):
    """The gateway's state: what it received (by key), how many sends to refuse first (to exercise retries),
    and where to post receipts."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, token: str = "", record: Path | None = None,
                 receipt_delay: float | None = 0.0, fail_first: int = 0) -> None:  # fmt: skip
        super().__init__(address, _Handler)
        self.token, self.record, self.receipt_delay, self.failures_left = (
            token,
            record,
            receipt_delay,
            fail_first,
        )
        self.messages: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def accept(self, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 503, {"error": "temporarily unavailable"}
            if not fields.get("to") or not fields.get("text"):
                return 400, {"error": "to and text are required"}
            key = fields.get("key") or ""
            if key and key in self.by_key:  # the same message again: the same answer, nothing sent
                return 200, {"id": self.by_key[key]["id"], "duplicate": True}
            message = {"id": f"gw-{len(self.messages) + 1}", "received_at": dt.datetime.now(dt.UTC).isoformat(),
                       **fields}  # fmt: skip
            self.messages.append(message)
            if key:
                self.by_key[key] = message
            if self.record:
                with self.record.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(message, ensure_ascii=False) + "\n")
        if fields.get("callback") and self.receipt_delay is not None:
            threading.Timer(
                self.receipt_delay, _post_receipt, (fields["callback"], message, self.token)
            ).start()
        return 200, {"id": message["id"]}


def _post_receipt(url: str, message: dict[str, Any], token: str) -> None:
    body = json.dumps({"id": message["id"], "key": message.get("key", ""), "status": "delivered",
                       "at": dt.datetime.now(dt.UTC).isoformat()}).encode()  # fmt: skip
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with contextlib.suppress(OSError):  # a receipt that cannot be delivered is lost, as with a real gateway
        urllib.request.urlopen(request, timeout=5).close()


class _Handler(BaseHTTPRequestHandler):
    server: SmsGateway

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/messages":
            with self.server.lock:
                self._answer(200, list(self.server.messages))
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/send":
            return self._answer(404, {"error": "not found"})
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._answer(401, {"error": "bad token"})
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                fields = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
            else:
                fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        except ValueError:
            return self._answer(400, {"error": "unreadable body"})
        self._answer(*self.server.accept(fields))


class Command(ArrearsCommand):
    help = "Development tools: `arrears dev sms-gateway [--port 8025]` runs a local SMS gateway that records messages."
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="tool", required=True)
        gateway = sub.add_parser("sms-gateway", help="a local HTTP SMS gateway")
        gateway.add_argument("--host", default="127.0.0.1")
        gateway.add_argument("--port", type=int, default=8025)
        gateway.add_argument("--token", default="", help="require this bearer token")
        gateway.add_argument("--record", type=Path, help="append every message to this JSON-lines file")
        gateway.add_argument("--receipt-delay", type=float, default=1.0, help="seconds before the receipt")
        gateway.add_argument("--fail-first", type=int, default=0, help="answer 503 to this many sends first")

    def handle(self, *args: Any, **options: Any) -> None:
        server = SmsGateway((options["host"], options["port"]), token=options["token"], record=options["record"],
                            receipt_delay=options["receipt_delay"], fail_first=options["fail_first"])  # fmt: skip
        self.stdout.write(f"SMS gateway on {server.url}/send (GET {server.url}/messages); Ctrl-C to stop")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
