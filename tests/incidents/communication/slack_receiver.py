"""A real HTTP server on 127.0.0.1 standing in for the Slack Web API.

It answers the methods Tocsin calls like Slack does and records every call, so tests
assert on what Slack would have received. ``fail=True`` answers every call with HTTP 500
``{"ok": false, "error": "internal_error"}``."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    params: dict
    token: str


@dataclass
class SlackReceiver:
    fail: bool = False
    calls: list[Call] = field(default_factory=list)
    url: str = ""

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


def start(receiver: SlackReceiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _handle(self) -> None:
            url = urlsplit(self.path)
            method = url.path.strip("/")
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if raw:
                if "json" in (self.headers.get("Content-Type") or ""):
                    params.update(json.loads(raw))
                else:
                    params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            receiver.calls.append(Call(method=method, params=params, token=token))
            if receiver.fail:
                self._reply(500, {"ok": False, "error": "internal_error"})
            elif method == "conversations.create":
                self._reply(200, {"ok": True, "channel": {"id": "C0INC1", "name": params["name"]}})
            elif method == "users.lookupByEmail":
                email = params.get("email", "")
                if email.endswith("@example.com"):
                    self._reply(200, {"ok": True, "user": {"id": "U" + email.split("@")[0]}})
                else:
                    self._reply(200, {"ok": False, "error": "users_not_found"})
            else:
                self._reply(200, {"ok": True})

        def _reply(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _handle
        do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
