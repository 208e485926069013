"""Real servers on 127.0.0.1 standing in for the outside world: an HTTP receiver (a webhook,
Slack's Web API, PagerDuty's Events API, Twilio's REST API) that records every request,
and SMTP servers that receive, or hang up. Tests assert on what the receiver got, not on
what our code asked for."""

import base64
import json
import re
import socket
import socketserver
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

Reply = tuple[int, dict]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)


class LocalServer:
    """A socketserver on 127.0.0.1 served from a thread while inside a ``with`` block
    (closed after it)."""

    def __init__(self, server: socketserver.BaseServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class HttpReceiver(LocalServer):
    """An HTTP server on 127.0.0.1 (port 0) that records every request and answers from a
    script of (status, json) ``replies``, then ``default``."""

    def __init__(self, default: Reply = (200, {"ok": True})) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = default
        self.arrived = threading.Event()  # set once a request has been answered
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with receiver._lock:
                    receiver.requests.append(request)
                    status, payload = receiver.answer(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                receiver.arrived.set()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: Received) -> Reply:
        """The reply to ``request`` (called in order, one request at a time)."""
        return self.replies.pop(0) if self.replies else self.default


@dataclass
class SlackCall:
    method: str
    params: dict
    token: str


class SlackReceiver(HttpReceiver):
    """Slack's Web API at ``api_url``: answers the methods Tocsin calls like Slack does
    (``users.lookupByEmail`` knows every ``@example.com`` address). With ``fail`` set it
    answers every call with HTTP 500 ``{"ok": false, "error": "internal_error"}``."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail

    @property
    def api_url(self) -> str:
        return self.url + "/"

    @property
    def calls(self) -> list[SlackCall]:
        return [self._call(request) for request in self.requests]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def of(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    @staticmethod
    def _call(request: Received) -> SlackCall:
        url = urlsplit(request.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if request.body:
            if "json" in request.headers.get("content-type", ""):
                params.update(request.json())
            else:
                params.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return SlackCall(method=url.path.strip("/"), params=params, token=token)

    def answer(self, request: Received) -> Reply:
        call = self._call(request)
        if self.fail:
            return 500, {"ok": False, "error": "internal_error"}
        if call.method == "conversations.create":
            return 200, {"ok": True, "channel": {"id": "C0INC1", "name": call.params["name"]}}
        if call.method == "users.lookupByEmail":
            email = call.params.get("email", "")
            if email.endswith("@example.com"):
                return 200, {"ok": True, "user": {"id": "U" + email.split("@")[0]}}
            return 200, {"ok": False, "error": "users_not_found"}
        return 200, {"ok": True}


class PagerDutyReceiver(HttpReceiver):
    """PagerDuty's Events API v2: answers 202 like PagerDuty, or 500 to the first
    ``fail_first`` requests. ``accepted`` holds the JSON bodies it accepted, in order."""

    def __init__(self, fail_first: int = 0) -> None:
        super().__init__()
        self.fail_first = fail_first
        self.accepted: list[dict] = []

    def answer(self, request: Received) -> Reply:
        body = json.loads(request.body or b"{}")
        if len(self.requests) <= self.fail_first:
            return 500, {"status": "error", "message": "temporarily broken"}
        self.accepted.append(body)
        return 202, {
            "status": "success",
            "message": "Event processed",
            "dedup_key": body.get("dedup_key", "generated"),
        }


# Twilio's test numbers (https://www.twilio.com/docs/iam/test-credentials): sending to
# this one fails as an invalid number, with error 21211.
TWILIO_INVALID_NUMBER = "+15005550001"


class TwilioReceiver(HttpReceiver):
    """Twilio's REST API for one account, as Twilio documents it: form-encoded POSTs to
    ``/2010-04-01/Accounts/{AccountSid}/Messages.json`` (To, From, Body) and
    ``…/Calls.json`` (To, From, Twiml or Url), HTTP basic auth with the account SID and
    auth token; 201 with the new resource's JSON (``sid``, ``status`` "queued" …), or an
    error JSON ``{"code", "message", "more_info", "status"}``: 401 (20003) for bad
    credentials, 400 (21211) for ``TWILIO_INVALID_NUMBER``, 400 (21602/21205) for a
    missing body or TwiML, 404 (20404) for any other path. Scripted ``replies`` (see
    ``error``) are answered first. ``messages`` and ``calls`` hold the form fields of
    what it accepted, in order."""

    PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/(?P<resource>Messages|Calls)\.json$")

    def __init__(self) -> None:
        super().__init__()
        self.account_sid = "AC" + "0123456789abcdef" * 2
        self.auth_token = "twilio-test-auth-token"
        self.from_number = "+15005550006"
        self.messages: list[dict[str, str]] = []
        self.calls: list[dict[str, str]] = []

    @staticmethod
    def error(status: int, code: int, message: str) -> Reply:
        return status, {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    @staticmethod
    def form(request: Received) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}

    @staticmethod
    def basic_auth(request: Received) -> tuple[str, str] | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password

    def answer(self, request: Received) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        match = self.PATH.match(urlsplit(request.path).path)
        if request.method != "POST" or match is None:
            return self.error(404, 20404, f"The requested resource {request.path} was not found")
        if match["sid"] != self.account_sid or self.basic_auth(request) != (
            self.account_sid,
            self.auth_token,
        ):
            return self.error(401, 20003, "Authenticate")
        form = self.form(request)
        to = form.get("To", "")
        if to == TWILIO_INVALID_NUMBER:
            return self.error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        common = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": to,
            "from": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": "Mon, 02 Mar 2026 10:00:00 +0000",
            "date_updated": "Mon, 02 Mar 2026 10:00:00 +0000",
        }
        if match["resource"] == "Messages":
            if not form.get("Body"):
                return self.error(400, 21602, "Message body is required.")
            sid = "SM" + uuid.uuid4().hex
            self.messages.append(form)
            return 201, {
                **common,
                "sid": sid,
                "body": form["Body"],
                "num_segments": "1",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            }
        if not (form.get("Twiml") or form.get("Url")):
            return self.error(400, 21205, "Url parameter is required.")
        sid = "CA" + uuid.uuid4().hex
        self.calls.append(form)
        return 201, {
            **common,
            "sid": sid,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def email_through_smtp(settings, port: int, **extra) -> None:
    """Send Django's e-mail through the SMTP server on 127.0.0.1:``port``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    for name, value in extra.items():
        setattr(settings, name, value)


class SmtpReceiver:
    """A real SMTP server on 127.0.0.1 (aiosmtpd). ``messages`` holds (recipients,
    content) for every message it received. A context manager."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        # aiosmtpd's start-up self-check connects to the configured port, so it cannot be
        # 0: ask the OS for a free loopback port first.
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class HangingUpSmtpServer(LocalServer):
    """An SMTP server that accepts each connection and closes it before greeting: an
    outage as smtplib sees it (``SMTPServerDisconnected``). A context manager."""

    def __init__(self) -> None:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
        server.daemon_threads = True
        super().__init__(server)


@pytest.fixture
def pagerduty_receiver():
    """``with pagerduty_receiver(fail_first=0) as pd:`` a local Events API (see
    PagerDutyReceiver); point PAGERDUTY_EVENTS_URL at ``pd.url``."""
    return PagerDutyReceiver


def _slack(settings, receiver: SlackReceiver) -> SlackReceiver:
    settings.SLACK_API_URL = receiver.api_url
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_MAX_RETRIES = 2
    return receiver


@pytest.fixture
def slack(settings):
    """Slack's Web API on 127.0.0.1, configured as Tocsin's Slack (see SlackReceiver)."""
    with SlackReceiver() as receiver:
        yield _slack(settings, receiver)


@pytest.fixture
def failing_slack(settings, eager_retries):
    """Slack answering every call with HTTP 500; eager tasks retry."""
    with SlackReceiver(fail=True) as receiver:
        yield _slack(settings, receiver)


@pytest.fixture
def twilio(settings):
    """Twilio's REST API on 127.0.0.1, configured as Tocsin's Twilio account (see
    TwilioReceiver)."""
    with TwilioReceiver() as receiver:
        settings.TWILIO_ACCOUNT_SID = receiver.account_sid
        settings.TWILIO_AUTH_TOKEN = receiver.auth_token
        settings.TWILIO_FROM_NUMBER = receiver.from_number
        settings.TWILIO_API_URL = receiver.url
        yield receiver


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's e-mail goes through."""
    with SmtpReceiver() as receiver:
        email_through_smtp(settings, receiver.port)
        yield receiver
