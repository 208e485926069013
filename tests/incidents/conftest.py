import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidents.alerts.services.integrations import integration_create


@pytest.fixture
def severities(db):
    """The seeded severity matrix. A transactional test flushes the tables after it
    runs, seeded rows included, so tests that come after it seed them again."""
    from importlib import import_module

    from incidents.models import Severity

    seed = import_module("incidents.migrations.0002_seed_severities")
    for row in seed.SEVERITIES:
        Severity.objects.get_or_create(name=row["name"], defaults=row)
    return Severity.objects.order_by("level")


@pytest.fixture
def make_integration(team, severities, eager_celery, settings):
    """``make_integration(kind=..., **settings)`` → (integration, routing_key). Celery is
    eager: an event stored by /v2/enqueue is applied by its task when the request commits
    (in a live server's thread too)."""
    settings.ALERT_INBOX_KICK_SECONDS = 0  # one drain task per event, no delay

    def make(kind="events_v2", name=None, team_=None, **fields):
        return integration_create(
            actor=None,
            team=team_ or team,
            name=name or f"{kind} integration",
            kind=kind,
            **fields,
        )

    return make


class Receiver:
    """A local HTTP server standing in for PagerDuty's Events API: records every JSON
    body posted to it and answers 202, or 500 for the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.accepted: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "body": body})
                    failing = len(receiver.requests) <= receiver.fail_first
                    if not failing:
                        receiver.accepted.append(body)
                code = 500 if failing else 202
                answer = (
                    {"status": "error", "message": "temporarily broken"}
                    if failing
                    else {
                        "status": "success",
                        "message": "Event processed",
                        "dedup_key": body.get("dedup_key", "generated"),
                    }
                )
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pagerduty_receiver():
    def start(fail_first: int = 0) -> Receiver:
        return Receiver(fail_first=fail_first)

    return start
