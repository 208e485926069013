"""Paging benchmark: the whole path, alert to page, with every process running for real.

    .venv/bin/python bench/paging.py [--quick] [--duration 60] [--phases a,b,c,d,e]

Starts everything itself on 127.0.0.1: a fresh PostgreSQL database (``--database``,
dropped and created again, then migrated), gunicorn (``config.wsgi``, 2 workers), one
default-queue Celery worker (``-Q celery``, prefork, 2 processes: the inbox), one
paging worker (``-Q paging``, prefork, 2 processes: steps and sweeps), one outbox worker (``-Q outbox``, 16 threads: the sends), Celery beat, and, in
this process, the HTTP receivers that stand in for the on-call people's webhooks. The
Redis database of ``--broker`` is flushed before and after (use one of your own). Every
process started is stopped at the end, on Ctrl-C and on an error; the logs stay in a
temporary folder whose path is printed.

Measures, and prints in tables:

a. Alert posted -> page handed to its channel. Events API v2 triggers with distinct
   dedup keys, severity ``critical`` (mapped to SEV1, high urgency: it pages at once),
   posted at a steady 50 events/s and then 200 events/s for ``--duration`` seconds each;
   each page's latency is the time from its POST to the webhook receiver getting the
   request (the webhook body names the incident; the incident's alert names the dedup
   key; the dedup key names the POST). Target: p99 < 2 s at 200/s.
b. Escalation step lateness with ``--incidents`` (10,000) triggered incidents in flight,
   their next step due spread evenly over ``--window`` seconds (rows bulk-created, as
   bench/escalation.py does). Lateness = when the step ran (its "paged" timeline event)
   minus ``next_escalation_at``. Two drivers: (1) the ETA path, the step tasks published
   with their ETAs through the engine's own enqueue (the 2 s beat sweep runs as well);
   (2) every ETA task lost: nothing published, the beat sweep
   ``incidents.paging.sweep`` (every 2 s) runs them all. Targets: p99 < 1 s and < 3 s.
c. Acknowledge latency while a channel hangs: the on-call person's webhooks point at a
   receiver that accepts the connection and never answers and at one that answers one
   byte a second. Incidents declared through the API page them; while those sends hang,
   incidents are acknowledged through ``POST /api/v1/incidents/{id}/acknowledge/`` (token
   auth) over HTTP. Target: p99 < 200 ms. Also checks that each hung attempt ended at
   ``OUTBOX_SEND_DEADLINE_SECONDS`` and was retried ``--retry-base`` seconds later
   (the workers run with ``OUTBOX_RETRY_BASE_SECONDS`` set to it: 5 here, 30 normally).
d. Inbox apply rate of the one default-queue worker, end to end: ``--events`` new-key
   triggers posted as fast as the client goes, applied (deduplication, incident, page)
   by the worker; events/s from the first to the last applied.

The machine is shared: the load average before and after each phase, and the CPU time
each component used in it (from /proc), are printed with the figures. ``--quick`` runs
every phase short (10 s per rate, 3,000 incidents over 20 s, ...), about 4 minutes in
all; the full run takes about 8 minutes and is stopped by an alarm at ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SECRET_KEY = "bench-" + secrets.token_hex(32)
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
BIN = Path(sys.executable).parent


# --- figures ----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank; ``inf`` counts as a value (a page that never arrived)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def fmt_s(value: float, unit: str = "s") -> str:
    if value != value:  # nan
        return "-"
    if value == float("inf"):
        return "never"
    if unit == "ms":
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


REPORT: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    REPORT.append(text)


def loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- processes --------------------------------------------------------------------------


class Processes:
    """The servers this script started, each in a session (process group) of its own, so
    stopping one stops its children (gunicorn's and the prefork pool's) and nothing else."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.started: dict[str, subprocess.Popen] = {}
        self.argv: dict[str, list[str]] = {}
        self.offsets: dict[str, int] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        path = self.log(name)
        self.offsets[name] = path.stat().st_size if path.exists() else 0
        log = open(path, "ab")  # noqa: SIM115 - handed to the process
        process = subprocess.Popen(  # noqa: S603 - fixed local commands
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started[name] = process
        self.argv[name] = argv
        return process

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def wait_for_log(self, name: str, pattern: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.started[name].poll() is not None:
                sys.exit(f"{name} exited at start; see {self.log(name)}")
            with open(self.log(name), "rb") as f:
                f.seek(self.offsets[name])
                if re.search(pattern, f.read().decode(errors="replace")):
                    return
            time.sleep(0.2)
        sys.exit(f"{name} did not start within {seconds:.0f} s; see {self.log(name)}")

    def kill(self, name: str) -> None:
        """Stop at once, without the warm shutdown (which would hand reserved tasks back
        to the broker)."""
        process = self.started[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def groups(self) -> dict[int, str]:
        return {p.pid: name for name, p in self.started.items() if p.poll() is None}

    def stop_all(self) -> None:
        for process in reversed(list(self.started.values())):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.started.values():
            # A warm shutdown may wait on a task; the group goes anyway (and any child
            # left in it).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def cpu_seconds(groups: dict[int, str]) -> dict[str, float]:
    """CPU (user + system) used so far by each started process group, by PostgreSQL and
    by this process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {name: 0.0 for name in groups.values()}
    totals["postgresql"] = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        name = groups.get(int(fields[2]))
        if name:
            totals[name] += used
        elif command.startswith((b"postgres", b"/usr/lib/postgresql")):
            totals["postgresql"] += used
    times = os.times()
    totals["bench (this process)"] = times.user + times.system
    return totals


class Phase:
    """Wall time, load and CPU per component over one measured phase."""

    def __init__(self, name: str, processes: Processes) -> None:
        self.name, self.processes = name, processes

    def __enter__(self) -> Phase:
        self.load_before = loadavg()
        self.cpu_before = cpu_seconds(self.processes.groups())
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self.started
        after = cpu_seconds(self.processes.groups())
        self.cpu = {k: after[k] - self.cpu_before.get(k, 0.0) for k in after}
        self.load_after = loadavg()

    def cpu_line(self) -> str:
        parts = ", ".join(
            f"{name} {used / self.wall:.2f}" for name, used in self.cpu.items() if used > 0.05
        )
        return (
            f"CPU over {self.wall:.0f} s, in cores busy (2 on this machine): {parts}; "
            f"load average {self.load_before} -> {self.load_after}"
        )


TASK_LINE = re.compile(r"Task (\S+)\[[^\]]+\] succeeded in ([\d.e-]+)s: (.*)$")


class LogMark:
    """What a worker logged since the mark: the tasks that ran, their run times and
    results (the workers log at INFO)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size

    def tasks(self) -> list[tuple[str, float, str]]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        found = []
        for line in text.splitlines():
            match = TASK_LINE.search(line)
            if match:
                found.append((match.group(1), float(match.group(2)), match.group(3).strip()))
        return found

    def lines(self, pattern: str) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        return [line for line in text.splitlines() if re.search(pattern, line)]


def task_table(marks: list[LogMark]) -> str:
    by_name: dict[str, list[float]] = {}
    for mark in marks:
        for name, seconds, _result in mark.tasks():
            by_name.setdefault(name, []).append(seconds)
    rows = [
        [
            name,
            str(len(times)),
            f"{sum(times):.1f} s",
            fmt_s(statistics.mean(times), "ms"),
            fmt_s(percentile(times, 0.99), "ms"),
            fmt_s(max(times), "ms"),
        ]
        for name, times in sorted(by_name.items(), key=lambda kv: -sum(kv[1]))
    ]
    return table(["task (worker log)", "runs", "total", "mean", "p99", "max"], rows)


# --- HTTP, both ways --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_post(port: int, path: str, body: bytes) -> int:
    """A POST on a fresh connection, answer read to the end; returns the status."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return int(b"".join(chunks).split(b"\r\n", 1)[0].split()[1])


def api(port: int, method: str, path: str, token: str, body: dict | None = None):
    """(status, JSON answer, seconds) of one API request on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = json.dumps(body or {}).encode()
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
    }
    started = time.perf_counter()
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = None
    return response.status, parsed, elapsed


class WebhookReceiver:
    """A webhook that answers 200 at once and records when each request arrived (the
    moment its headers were read) and the incidents its body names."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, list[int], str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    ids = [item["id"] for item in json.loads(body).get("incidents", [])]
                except (ValueError, KeyError, TypeError, AttributeError):
                    ids = []
                with receiver.lock:
                    receiver.arrivals.append((arrived, ids, self.headers.get("Idempotency-Key")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/page"

    def first_arrival(self) -> dict[int, float]:
        first: dict[int, float] = {}
        with self.lock:
            for arrived, ids, _key in self.arrivals:
                for incident_id in ids:
                    if incident_id not in first or arrived < first[incident_id]:
                        first[incident_id] = arrived
        return first

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StallingReceiver:
    """A webhook that reads the request and then never answers (``trickle=False``) or
    answers a 200 one byte a second (``trickle=True``). Records, per connection, the
    idempotency key, when it was accepted and when the sender hung up."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

    def __init__(self, *, trickle: bool, hold_seconds: float = 120.0) -> None:
        self.trickle = trickle
        self.hold_seconds = hold_seconds
        self.connections: list[dict] = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/page"

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        record = {"accepted": time.monotonic(), "key": None, "hung_up": None}
        with self.lock:
            self.connections.append(record)
        conn.settimeout(1.0)
        data = b""
        give_up = time.monotonic() + self.hold_seconds
        try:
            while b"\r\n\r\n" not in data and time.monotonic() < give_up:
                with contextlib.suppress(TimeoutError):
                    chunk = conn.recv(65536)
                    if not chunk:
                        record["hung_up"] = time.monotonic()
                        return
                    data += chunk
            match = re.search(rb"(?im)^idempotency-key:\s*(\S+)", data)
            record["key"] = match.group(1).decode() if match else None
            if self.trickle:
                for byte in self.ANSWER:
                    if time.monotonic() > give_up:
                        break
                    conn.sendall(bytes([byte]))
                    time.sleep(1.0)
                record["answered"] = time.monotonic()
            else:
                while time.monotonic() < give_up:
                    with contextlib.suppress(TimeoutError):
                        if not conn.recv(65536):
                            record["hung_up"] = time.monotonic()
                            return
        except OSError:
            record["hung_up"] = time.monotonic()
        finally:
            conn.close()

    def keys_seen(self) -> dict[str, list[float]]:
        seen: dict[str, list[float]] = {}
        with self.lock:
            for record in self.connections:
                if record["key"]:
                    seen.setdefault(record["key"], []).append(record["accepted"])
        return seen

    def close(self) -> None:
        self.closed = True
        self.sock.close()


class SteadyLoad:
    """POST bodies at a steady rate (one every 1/rate s, from a pool of sender threads);
    records each POST's start (monotonic) and status."""

    def __init__(self, port: int, bodies: list[bytes], rate: float) -> None:
        self.port, self.bodies, self.rate = port, bodies, rate
        self.sent_at: list[float | None] = [None] * len(bodies)
        self.status: list[int | None] = [None] * len(bodies)
        self.answer_seconds: list[float] = []
        self.behind = 0  # posts that started more than 100 ms after their slot

    def run(self) -> float:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for index in range(len(self.bodies)):
                slot = started + index / self.rate
                wait = slot - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                pool.submit(self._post, index, slot)
        return time.monotonic() - started

    def _post(self, index: int, slot: float) -> None:
        began = time.monotonic()
        if began - slot > 0.1:
            self.behind += 1
        self.sent_at[index] = began
        try:
            self.status[index] = raw_post(self.port, "/v2/enqueue", self.bodies[index])
        except OSError:
            self.status[index] = 0
        self.answer_seconds.append(time.monotonic() - began)


def event_body(routing_key: str, dedup_key: str, index: int) -> bytes:
    return json.dumps(
        {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {
                "summary": f"Checkout error rate high on web-{index}",
                "source": f"web-{index}",
                "severity": "critical",
                "custom_details": {"bench_index": index, "posted_at": time.time()},
            },
        }
    ).encode()


# --- the bench ----------------------------------------------------------------------------


class Bench:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.run_id = secrets.token_hex(3)
        self.results: list[list[str]] = []  # the summary table

    # Setup ------------------------------------------------------------------------------

    def create_database(self) -> str:
        import psycopg

        server = self.options.server.rstrip("/")
        name = self.options.database
        if not re.fullmatch(r"[a-z0-9_]+", name) or "bench" not in name:
            sys.exit("--database must be a name of lower-case letters, digits and _ with 'bench'")
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return f"{server}/{name}"

    def environment(self, database_url: str, site_url: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": self.options.broker,
            "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SITE_URL": site_url,
            "LOG_LEVEL": "WARNING",
            "OUTBOX_RETRY_BASE_SECONDS": str(self.options.retry_base),
        }
        if self.options.send_deadline:
            env["OUTBOX_SEND_DEADLINE_SECONDS"] = str(self.options.send_deadline)
        return env

    def flush_broker(self) -> None:
        import redis

        redis.Redis.from_url(self.options.broker).flushdb()

    def seed(self) -> None:
        """Three teams, each with a one-rule policy paging its on-call person at once
        (delay 30 min, no repeat: nobody is paged twice while the bench runs):
        A (alerts come in through an Events API integration; webhook -> ``self.fast``),
        B (the escalation incidents of (b); webhook -> ``self.fast_b``), C (webhooks that
        hang and trickle; its person also belongs to A, and owns the API token)."""
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        from incidents.alerts.services.integrations import integration_create
        from incidents.models import Severity
        from incidents.paging.services.snapshot import policy_snapshot
        from oncall.contacts.models import ContactMethod
        from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
        from oncall.teams.models import Team, TeamMembership

        user_model = get_user_model()
        self.sev1 = Severity.objects.get(name="SEV1")

        def team_with_person(key: str, username: str, urls: list[str]):
            team = Team.objects.create(name=f"Bench {key}", slug=f"bench-{key.lower()}", key=key)
            person = user_model.objects.create_user(
                username=username, email=f"{username}@example.com", password=None
            )
            TeamMembership.objects.create(team=team, user=person, role="manager")
            for n, url in enumerate(urls):
                ContactMethod.objects.create(
                    user=person,
                    kind="webhook",
                    label=f"webhook {n}",
                    address=url,
                    secret=secrets.token_hex(16),
                )
            policy = EscalationPolicy.objects.create(team=team, name=f"Bench {key}", repeat=0)
            rule = EscalationRule.objects.create(policy=policy, position=0, delay_minutes=30)
            EscalationTarget.objects.create(rule=rule, type="user", user=person)
            team.escalation_policy = policy
            team.save(update_fields=["escalation_policy"])
            return team, person, policy

        self.team_a, self.person_a, _ = team_with_person("BPA", "oncall-a", [self.fast.url])
        self.team_b, self.person_b, policy_b = team_with_person(
            "BPB", "oncall-b", [self.fast_b.url]
        )
        self.policy_b, self.snapshot_b = policy_b, policy_snapshot(policy_b)
        self.team_c, self.person_c, _ = team_with_person(
            "BPC", "oncall-c", [self.hang.url, self.trickle.url]
        )
        TeamMembership.objects.create(team=self.team_a, user=self.person_c, role="member")
        self.token = Token.objects.create(user=self.person_c).key
        # Every new key opens its own incident: no storm grouping, no rate limit.
        self.integration, self.routing_key = integration_create(
            actor=None,
            team=self.team_a,
            name="bench-events",
            kind="events_v2",
            rate_limit_per_minute=0,
            storm_threshold_per_minute=0,
        )

    def start(self) -> None:
        options = self.options
        self.fast, self.fast_b = WebhookReceiver(), WebhookReceiver()
        self.hang = StallingReceiver(trickle=False)
        self.trickle = StallingReceiver(trickle=True)
        self.port = free_port()
        database_url = self.create_database()
        env = self.environment(database_url, f"http://127.0.0.1:{self.port}")
        os.environ.update({k: v for k, v in env.items() if k != "PATH"})
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        self.seed()
        connection.close()
        self.flush_broker()
        self.log_dir = Path(tempfile.mkdtemp(prefix="tocsin-bench-paging-"))
        self.processes = Processes(self.log_dir, env)
        celery = [str(BIN / "celery"), "-A", "config"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.processes.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--workers=2",
                "--worker-class=gthread",
                f"--threads={options.threads}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--backlog=512",
            ],
        )
        self.processes.start(
            "worker-default",
            [
                *celery,
                "worker",
                "-Q",
                "celery",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "-n",
                f"bench-default-{self.run_id}@%h",
                *quiet,
            ],
        )
        self.processes.start(
            "worker-paging",
            [
                *celery,
                "worker",
                "-Q",
                "paging",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "-n",
                f"bench-paging-{self.run_id}@%h",
                *quiet,
            ],
        )
        self.processes.start(
            "worker-outbox",
            [
                *celery,
                "worker",
                "-Q",
                "outbox",
                "--pool=threads",
                "--concurrency=16",
                "--loglevel=INFO",
                "-n",
                f"bench-outbox-{self.run_id}@%h",
                *quiet,
            ],
        )
        self.processes.start(
            "beat",
            [
                *celery,
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.log_dir / 'celerybeat-schedule'}",
                f"--pidfile={self.log_dir / 'beat.pid'}",
            ],
        )
        for name in ("worker-default", "worker-paging", "worker-outbox"):
            self.processes.wait_for_log(name, r"ready\.", 90)
        self.processes.wait_for_log("beat", r"beat: Starting", 60)
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = api(self.port, "GET", "/healthz", self.token)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not answer; see {self.processes.log('gunicorn')}")
            time.sleep(0.3)
        from django.conf import settings

        self.deadline_seconds = float(settings.OUTBOX_SEND_DEADLINE_SECONDS)
        say(
            f"Paging benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
            f"cores, load average {loadavg()}): PostgreSQL database {options.database}, "
            f"broker {options.broker}, gunicorn 2 workers x {options.threads} threads, one "
            f"default worker (prefork x2), one outbox worker (16 threads), beat; set up in "
            f"{time.monotonic() - started:.0f} s. Logs: {self.log_dir}"
        )

    def stop(self) -> None:
        if hasattr(self, "processes"):
            self.processes.stop_all()
        with contextlib.suppress(Exception):
            self.flush_broker()
        for name in ("fast", "fast_b", "hang", "trickle"):
            if hasattr(self, name):
                getattr(self, name).close()

    def marks(self) -> list[LogMark]:
        return [
            LogMark(self.processes.log("worker-default")),
            LogMark(self.processes.log("worker-outbox")),
            LogMark(self.processes.log("worker-paging")),
        ]

    def quiesce(self, *, keys_prefix: str | None = None, restart: bool = False) -> None:
        """Leave nothing of a phase behind for the next: events still waiting in the inbox
        are dropped, pages still queued in the outbox cancelled and, with ``restart``, the
        default worker restarted on an emptied broker (it may hold thousands of tasks)."""
        from django.db import connection

        from incidents.alerts.models import AlertEvent
        from incidents.paging.models import EscalationState, IncidentEscalation
        from outbox.models import Message, MessageStatus

        if restart:
            self.processes.kill("worker-default")
            self.processes.kill("worker-paging")
            self.flush_broker()
        if keys_prefix:
            AlertEvent.objects.filter(
                integration=self.integration, processed_at=None, dedup_key__startswith=keys_prefix
            ).delete()
        IncidentEscalation.objects.filter(state=EscalationState.ACTIVE).update(
            state=EscalationState.STOPPED, next_escalation_at=None
        )
        Message.objects.filter(status=MessageStatus.QUEUED).update(status=MessageStatus.CANCELLED)
        connection.close()
        if restart:
            for name in ("worker-default", "worker-paging"):
                self.processes.start(name, self.processes.argv[name])
                self.processes.wait_for_log(name, r"ready\.", 90)
        time.sleep(1.0)

    # (a) ----------------------------------------------------------------------------------

    def phase_a(self, rate: float) -> None:
        from django.db import connection

        from incidents.alerts.models import Alert

        duration = self.options.duration
        count = int(rate * duration)
        prefix = f"{self.run_id}-a{int(rate)}-"
        bodies = [event_body(self.routing_key, f"{prefix}{i}", i) for i in range(count)]
        arrived_before = set(self.fast.first_arrival())
        marks = self.marks()
        with Phase(f"a{rate}", self.processes) as phase:
            load = SteadyLoad(self.port, bodies, rate)
            posting = load.run()
            accepted = sum(1 for s in load.status if s == 202)
            tail_until = time.monotonic() + self.options.tail
            while time.monotonic() < tail_until:
                if len(set(self.fast.first_arrival()) - arrived_before) >= accepted:
                    break
                time.sleep(0.25)
        first = self.fast.first_arrival()
        incident_of = dict(
            Alert.objects.filter(
                integration=self.integration, dedup_key__startswith=prefix
            ).values_list("dedup_key", "incident_id")
        )
        connection.close()
        latencies = []
        for index in range(count):
            if load.status[index] != 202:
                continue
            incident_id = incident_of.get(f"{prefix}{index}")
            arrived = first.get(incident_id) if incident_id else None
            latencies.append(arrived - load.sent_at[index] if arrived is not None else float("inf"))
        paged = sum(1 for x in latencies if x != float("inf"))
        arrived_only = [x for x in latencies if x != float("inf")]
        statuses: dict[int, int] = {}
        for status in load.status:
            statuses[status or 0] = statuses.get(status or 0, 0) + 1
        with self.fast.lock:
            requests_ = len(self.fast.arrivals)
        say()
        say(
            f"(a) {rate:.0f} events/s for {duration:.0f} s: {count} posted in {posting:.1f} s "
            f"({count / posting:.0f}/s achieved, {load.behind} posts > 100 ms behind their "
            f"slot; answers {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}, "
            f"p99 {fmt_s(percentile(load.answer_seconds, 0.99), 'ms')}); incidents opened "
            f"{len(incident_of)}; waited up to {self.options.tail:.0f} s after the last post."
        )
        p99 = percentile(latencies, 0.99)
        say(
            table(
                [
                    "alert posted -> page at the webhook",
                    "pages / alerts",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                ],
                [
                    [
                        f"{rate:.0f} events/s",
                        f"{paged} / {accepted}",
                        fmt_s(percentile(latencies, 0.5)),
                        fmt_s(percentile(latencies, 0.95)),
                        fmt_s(p99),
                        fmt_s(max(latencies) if latencies else float("nan")),
                    ]
                ]
                + (
                    [
                        [
                            "(the same, only the pages that arrived)",
                            str(paged),
                            fmt_s(percentile(arrived_only, 0.5)),
                            fmt_s(percentile(arrived_only, 0.95)),
                            fmt_s(percentile(arrived_only, 0.99)),
                            fmt_s(max(arrived_only)),
                        ]
                    ]
                    if arrived_only and paged < accepted
                    else []
                ),
            )
        )
        say(f"webhook requests received so far: {requests_} (several pages may share one)")
        say(phase.cpu_line())
        say(task_table(marks))
        target = "p99 < 2 s" if rate >= 200 else "(no target)"
        met = "met" if p99 < 2 and paged == accepted else "MISSED"
        self.results.append(
            [
                f"(a) alert -> page at {rate:.0f}/s",
                f"p50 {fmt_s(percentile(latencies, 0.5))}, "
                f"p99 {fmt_s(p99)}, {paged}/{accepted} paged",
                target,
                met if rate >= 200 else "-",
            ]
        )
        self.quiesce(keys_prefix=prefix, restart=True)

    # (b) ----------------------------------------------------------------------------------

    def phase_b(self, mode: str, number_offset: int) -> None:
        from django.db import connection
        from django.utils import timezone

        from config.celery import app
        from incidents.models import Incident, TimelineEvent
        from incidents.paging import tasks
        from incidents.paging.models import EscalationState, IncidentEscalation
        from incidents.paging.services.enqueue import task_enqueue_safely

        count, window = self.options.incidents, self.options.window
        # Published ETA tasks must be in the broker before they fall due: publishing is
        # measured below (and reported if any came late).
        lead = 3.0 + (count / 1500 if mode == "eta" else 0)
        created_started = time.monotonic()
        now = timezone.now()
        start = now + timedelta(seconds=lead)
        dues = [start + timedelta(seconds=window * n / count) for n in range(count)]
        incidents = Incident.objects.bulk_create(
            [
                Incident(
                    team=self.team_b,
                    number=number_offset + n + 1,
                    title=f"Escalation bench {mode} {n}",
                    severity=self.sev1,
                    triggered_at=now,
                    source="bench",
                )
                for n in range(count)
            ],
            batch_size=2000,
        )
        escalations = IncidentEscalation.objects.bulk_create(
            [
                IncidentEscalation(
                    incident=incident,
                    policy=self.policy_b,
                    policy_snapshot=self.snapshot_b,
                    state=EscalationState.ACTIVE,
                    next_escalation_at=due,
                    started_at=now,
                    token=secrets.token_hex(16),
                )
                for incident, due in zip(incidents, dues, strict=True)
            ],
            batch_size=2000,
        )
        due_of = {e.incident_id: e.next_escalation_at for e in escalations}
        created = time.monotonic() - created_started
        marks = self.marks()
        beat_mark = LogMark(self.processes.log("beat"))
        published, publish_seconds, late_publish = 0, 0.0, 0
        with Phase(f"b-{mode}", self.processes) as phase:
            if mode == "eta":
                began = time.monotonic()
                with app.producer_or_acquire() as producer:
                    for escalation in escalations:
                        task_enqueue_safely(
                            tasks.escalation_step,
                            escalation.pk,
                            escalation.token,
                            eta=escalation.next_escalation_at,
                            producer=producer,
                        )
                        published += 1
                        if timezone.now() > escalation.next_escalation_at:
                            late_publish += 1
                publish_seconds = time.monotonic() - began
            ids = [e.pk for e in escalations]
            give_up = time.monotonic() + lead + window + self.options.tail
            left = count
            while time.monotonic() < give_up:
                left = IncidentEscalation.objects.filter(
                    pk__in=ids, state=EscalationState.ACTIVE
                ).count()
                if left == 0:
                    break
                time.sleep(0.5)
        ran = TimelineEvent.objects.filter(incident_id__in=list(due_of), kind="paged").values_list(
            "incident_id", "created_at"
        )
        late: dict[int, float] = {}
        for incident_id, at in ran:
            seconds = (at - due_of[incident_id]).total_seconds()
            late[incident_id] = min(seconds, late.get(incident_id, seconds))
        connection.close()
        lateness = list(late.values()) + [float("inf")] * (count - len(late))
        by_eta = sum(
            1
            for name, _s, result in marks[2].tasks()
            if name == "incidents.paging.run_step" and result == "True"
        )
        eta_noop = sum(
            1
            for name, _s, result in marks[2].tasks()
            if name == "incidents.paging.run_step" and result == "False"
        )
        by_sweep = 0
        sweeps = 0
        for name, _s, result in marks[2].tasks():
            if name == "incidents.paging.sweep":
                sweeps += 1
                match = re.search(r"'steps': (\d+)", result)
                by_sweep += int(match.group(1)) if match else 0
        label = (
            "ETA tasks published (and the 2 s sweep)"
            if mode == "eta"
            else "every ETA task lost: the 2 s beat sweep only"
        )
        say()
        say(
            f"(b) {count} incidents escalating, next steps due evenly over {window:.0f} s "
            f"(rows written in {created:.1f} s); {label}."
            + (
                f" Published {published} step tasks in {publish_seconds:.1f} s "
                f"({published / max(publish_seconds, 1e-9):.0f}/s"
                + (f"; ~{late_publish} after their due time" if late_publish else "")
                + ")."
                if mode == "eta"
                else ""
            )
        )
        p99 = percentile(lateness, 0.99)
        target = 1.0 if mode == "eta" else 3.0
        say(
            table(
                [
                    "step lateness (ran - next_escalation_at)",
                    "steps run",
                    "p50",
                    "p99",
                    "max",
                    "run by step task / by sweep",
                    "sweeps",
                ],
                [
                    [
                        label,
                        f"{len(late)} / {count}",
                        fmt_s(percentile(lateness, 0.5)),
                        fmt_s(p99),
                        fmt_s(max(lateness)),
                        f"{by_eta} / {by_sweep}"
                        + (f" ({eta_noop} tasks found it done)" if eta_noop else ""),
                        str(sweeps),
                    ]
                ]
                + (
                    [
                        [
                            "(the same, only the steps that ran)",
                            str(len(late)),
                            fmt_s(percentile(list(late.values()), 0.5)),
                            fmt_s(percentile(list(late.values()), 0.99)),
                            fmt_s(max(late.values())),
                            "",
                            "",
                        ]
                    ]
                    if late and len(late) < count
                    else []
                ),
            )
        )
        beat_sent = len(beat_mark.lines(r"Sending due task incidents\.paging\.sweep"))
        say(f"beat sent the paging sweep {beat_sent} times; still active at the end: {left}")
        say(phase.cpu_line())
        say(task_table(marks))
        self.results.append(
            [
                f"(b) step lateness, {'ETA path' if mode == 'eta' else 'sweep only'}",
                f"p50 {fmt_s(percentile(lateness, 0.5))}, p99 {fmt_s(p99)}, "
                f"max {fmt_s(max(lateness))}",
                f"p99 < {target:.0f} s",
                "met" if p99 < target else "MISSED",
            ]
        )
        self.quiesce(restart=mode == "eta")

    # (c) ----------------------------------------------------------------------------------

    def phase_c(self) -> None:
        from django.db import connection

        from outbox.models import Message

        acks, kept = self.options.acks, 4
        hung_urls = {self.hang.url, self.trickle.url}
        marks = self.marks()

        def declare(team_id: int, title: str) -> tuple[int, float]:
            status, body, seconds = api(
                self.port,
                "POST",
                "/api/v1/incidents/",
                self.token,
                {"team": team_id, "title": title, "severity": "SEV1"},
            )
            if status != 201:
                raise RuntimeError(f"declare answered {status}: {body}")
            return body["id"], seconds

        with Phase("c", self.processes) as phase:
            began = time.monotonic()
            # Declared first and never acknowledged: their sends hang, end at the
            # deadline and are retried.
            kept_ids = [declare(self.team_c.pk, f"Hung channel, kept {n}")[0] for n in range(kept)]
            until = time.monotonic() + 5
            while time.monotonic() < until and (
                not self.hang.connections or not self.trickle.connections
            ):
                time.sleep(0.05)
            declared = [declare(self.team_c.pk, f"Hung channel {n}") for n in range(acks)]
            declare_seconds = [seconds for _id, seconds in declared]
            # A bystander: a page to a healthy webhook while the sends hang.
            bystander_posted = time.monotonic()
            bystander_id, _ = declare(self.team_a.pk, "Healthy channel while others hang")
            time.sleep(0.5)
            hanging_at_ack = sum(
                1 for c in self.hang.connections + self.trickle.connections if c["hung_up"] is None
            )
            ack_seconds, ack_status = [], {}
            for incident_id, _ in declared:
                status, _body, seconds = api(
                    self.port,
                    "POST",
                    f"/api/v1/incidents/{incident_id}/acknowledge/",
                    self.token,
                    {"message": "on it"},
                )
                ack_seconds.append(seconds)
                ack_status[status] = ack_status.get(status, 0) + 1
                time.sleep(0.05)
            acks_done = time.monotonic() - began
            # Wait for the kept incidents' messages to be tried again.
            retry_by = time.monotonic() + 2 * self.deadline_seconds + self.options.retry_base + 15
            while time.monotonic() < retry_by:
                rows = list(
                    Message.objects.filter(address__in=hung_urls, attempts__gte=2).values_list(
                        "pk", flat=True
                    )
                )
                if len(rows) >= 2:
                    break
                time.sleep(0.5)
            bystander_at = self.fast.first_arrival().get(bystander_id)
        messages = list(
            Message.objects.filter(address__in=hung_urls)
            .order_by("pk")
            .values("pk", "address", "status", "attempts", "last_error", "key")
        )
        connection.close()
        deliver_runs = [
            (seconds, result)
            for name, seconds, result in marks[1].tasks()
            if name == "outbox.messages.deliver"
        ]
        failed_runs = [s for s, result in deliver_runs if result.strip("'\"") == "queued"]
        hang_seen, trickle_seen = self.hang.keys_seen(), self.trickle.keys_seen()
        retried = {
            key: times
            for seen in (hang_seen, trickle_seen)
            for key, times in seen.items()
            if len(times) >= 2
        }
        gaps = [times[1] - times[0] for times in retried.values()]
        hung_ups = [c["hung_up"] - c["accepted"] for c in self.hang.connections if c["hung_up"]]
        say()
        say(
            f"(c) {kept} incidents kept triggered, then {acks} declared and acknowledged over "
            f"the API while their pages hang (one webhook never answers, one trickles a "
            f"byte a second); {hanging_at_ack} sends hanging when the acknowledgements began; "
            f"all done in {acks_done:.1f} s. Send deadline {self.deadline_seconds:.0f} s, "
            f"retry after {self.options.retry_base} s."
        )
        p99 = percentile(ack_seconds, 0.99)
        say(
            table(
                ["request over HTTP to gunicorn", "requests", "p50", "p99", "max", "answers"],
                [
                    [
                        "POST /api/v1/incidents/{id}/acknowledge/",
                        str(len(ack_seconds)),
                        fmt_s(percentile(ack_seconds, 0.5), "ms"),
                        fmt_s(p99, "ms"),
                        fmt_s(max(ack_seconds), "ms"),
                        ", ".join(f"{k}: {v}" for k, v in sorted(ack_status.items())),
                    ],
                    [
                        "POST /api/v1/incidents/ (declare, pages the hung webhooks)",
                        str(len(declare_seconds)),
                        fmt_s(percentile(declare_seconds, 0.5), "ms"),
                        fmt_s(percentile(declare_seconds, 0.99), "ms"),
                        fmt_s(max(declare_seconds), "ms"),
                        "201",
                    ],
                ],
            )
        )
        statuses: dict[str, int] = {}
        for m in messages:
            statuses[m["status"]] = statuses.get(m["status"], 0) + 1
        errors = sorted({m["last_error"][:70] for m in messages if m["last_error"]})
        say(
            table(
                ["hung sends", "figure"],
                [
                    [
                        "outbox messages to the two stalling webhooks",
                        f"{len(messages)} ({', '.join(f'{k}: {v}' for k, v in statuses.items())})",
                    ],
                    [
                        "attempts that ended failed and were queued again (worker log): run time",
                        f"{len(failed_runs)}: min {fmt_s(min(failed_runs, default=float('nan')))},"
                        f" max {fmt_s(max(failed_runs, default=float('nan')))}"
                        if failed_runs
                        else "none",
                    ],
                    [
                        "messages sent again after a hung attempt (same idempotency key seen twice)",
                        f"{len(retried)}; gap between attempts "
                        f"{fmt_s(min(gaps, default=float('nan')))} - "
                        f"{fmt_s(max(gaps, default=float('nan')))}",
                    ],
                    [
                        "silent webhook: sender hung up after",
                        f"{fmt_s(min(hung_ups, default=float('nan')))} - "
                        f"{fmt_s(max(hung_ups, default=float('nan')))} ({len(hung_ups)} connections)",
                    ],
                    ["last errors recorded", "; ".join(errors) or "-"],
                    [
                        "page to a healthy webhook declared meanwhile: declare -> page",
                        fmt_s(bystander_at - bystander_posted) if bystander_at else "not arrived",
                    ],
                ],
            )
        )
        say(phase.cpu_line())
        say(task_table(marks))
        in_time = bool(failed_runs) and max(failed_runs) < self.deadline_seconds + 1.0
        self.results.append(
            [
                "(c) acknowledge while sends hang",
                f"p50 {fmt_s(percentile(ack_seconds, 0.5), 'ms')}"
                f", p99 {fmt_s(p99, 'ms')}, max {fmt_s(max(ack_seconds), 'ms')}",
                "p99 < 200 ms",
                "met" if p99 < 0.2 and set(ack_status) == {200} else "MISSED",
            ]
        )
        self.results.append(
            [
                "(c) hung sends end by the deadline and are retried",
                f"{len(failed_runs)} attempts ended in <= {fmt_s(max(failed_runs, default=0))}; "
                f"{len(retried)} messages retried",
                f"<= {self.deadline_seconds:.0f} s, retried",
                "met" if in_time and retried else "MISSED",
            ]
        )
        del kept_ids
        from oncall.contacts.models import ContactMethod

        # The kept incidents would go on retrying into the next phase.
        ContactMethod.objects.filter(user=self.person_c).update(enabled=False)
        self.quiesce()

    # (d) ----------------------------------------------------------------------------------

    def phase_d(self) -> None:
        from django.db import connection
        from django.db.models import Max, Min

        from incidents.alerts.models import Alert, AlertEvent
        from incidents.models import Incident

        count = self.options.events
        prefix = f"{self.run_id}-d-"
        bodies = [event_body(self.routing_key, f"{prefix}{i}", i) for i in range(count)]
        marks = self.marks()
        with Phase("d", self.processes) as phase:
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(
                    pool.map(lambda body: raw_post(self.port, "/v2/enqueue", body), bodies)
                )
            posted = time.monotonic() - began
            accepted = statuses.count(202)
            events = AlertEvent.objects.filter(
                integration=self.integration, dedup_key__startswith=prefix
            )
            give_up = time.monotonic() + self.options.apply_seconds
            left = accepted
            while time.monotonic() < give_up:
                left = events.filter(processed_at=None).count()
                if left == 0:
                    break
                time.sleep(0.25)
            applied_all = time.monotonic() - began
        span = events.exclude(processed_at=None).aggregate(
            first=Min("processed_at"), last=Max("processed_at"), received=Min("received_at")
        )
        incidents = Incident.objects.filter(
            alerts__in=Alert.objects.filter(
                integration=self.integration, dedup_key__startswith=prefix
            )
        )
        opened = incidents.aggregate(first=Min("triggered_at"), last=Max("triggered_at"))
        n_incidents = incidents.count()
        connection.close()
        applied = accepted - left
        marked = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
        declared_span = (
            (opened["last"] - opened["first"]).total_seconds() if opened["first"] else 0.0
        )
        since_post = (span["last"] - span["received"]).total_seconds() if span["first"] else 0.0
        rate = (n_incidents - 1) / declared_span if declared_span else float("nan")
        say()
        say(
            f"(d) {count} new-key triggers (each opens a SEV1 incident and pages) posted by 8 "
            f"client threads in {posted:.1f} s ({count / posted:.0f}/s, {accepted} accepted); "
            f"one default-queue worker (prefork, 2 processes) applied {applied} "
            f"({n_incidents} incidents) within {applied_all:.1f} s of the first post."
        )
        say(
            table(
                ["inbox apply, one worker", "events", "seconds", "events/s"],
                [
                    [
                        "first -> last incident declared from the inbox",
                        str(n_incidents),
                        f"{declared_span:.1f}",
                        f"{rate:.0f}",
                    ],
                    [
                        "first -> last event marked applied (marked per batch)",
                        str(applied),
                        f"{marked:.1f}",
                        f"{(applied - 1) / marked:.0f}" if marked else "-",
                    ],
                    [
                        "first event received -> last applied (end to end)",
                        str(applied),
                        f"{since_post:.1f}",
                        f"{applied / since_post:.0f}" if since_post else "-",
                    ],
                ],
            )
        )
        say(phase.cpu_line())
        say(task_table(marks))
        self.results.append(
            [
                "(d) inbox apply rate, one default worker (2 processes)",
                f"{rate:.0f} events/s (first -> last declared); end to end "
                f"{applied / since_post if since_post else float('nan'):.0f}/s",
                "(no target)",
                "-",
            ]
        )
        self.quiesce(keys_prefix=prefix)

    # (e) ----------------------------------------------------------------------------------

    def phase_e(self) -> None:
        """A storm with the integration's default grouping (20 new incidents a minute):
        ``--storm`` distinct alerts posted as fast as the client goes. Past the
        threshold, alerts join one storm incident instead of each declaring one. Time
        from the first post to every event applied, and from each incident's declaration
        to its first page sent."""
        from django.db import connection
        from django.db.models import Max, Min

        from incidents.alerts.models import Alert, AlertEvent, Integration
        from incidents.models import Incident
        from incidents.paging.models import Page, PageStatus

        count = self.options.storm
        Integration.objects.filter(pk=self.integration.pk).update(storm_threshold_per_minute=20)
        prefix = f"{self.run_id}-e-"
        bodies = [event_body(self.routing_key, f"{prefix}{i}", i) for i in range(count)]
        marks = self.marks()
        with Phase("e", self.processes) as phase:
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(
                    pool.map(lambda body: raw_post(self.port, "/v2/enqueue", body), bodies)
                )
            posted = time.monotonic() - began
            events = AlertEvent.objects.filter(
                integration=self.integration, dedup_key__startswith=prefix
            )
            give_up = time.monotonic() + self.options.apply_seconds
            while time.monotonic() < give_up and events.filter(processed_at=None).exists():
                time.sleep(0.25)
            applied_all = time.monotonic() - began
            incidents = list(
                Incident.objects.filter(
                    alerts__in=Alert.objects.filter(
                        integration=self.integration, dedup_key__startswith=prefix
                    )
                ).distinct()
            )
            deadline = time.monotonic() + 20
            ids = [i.pk for i in incidents]
            while time.monotonic() < deadline:
                paged = set(
                    Page.objects.filter(incident_id__in=ids, status=PageStatus.SENT).values_list(
                        "incident_id", flat=True
                    )
                )
                if len(paged) == len(ids):
                    break
                time.sleep(0.25)
        first_sent = dict(
            Page.objects.filter(incident_id__in=ids, status=PageStatus.SENT)
            .values("incident_id")
            .annotate(at=Min("sent_at"))
            .values_list("incident_id", "at")
        )
        span = events.aggregate(first=Min("received_at"), last=Max("processed_at"))
        storms = sum(1 for i in incidents if i.title.startswith("Alert storm from"))
        to_page = [
            (first_sent[i.pk] - i.triggered_at).total_seconds()
            if i.pk in first_sent
            else float("inf")
            for i in incidents
        ]
        end_to_end = (
            (span["last"] - span["first"]).total_seconds() if span["last"] else float("inf")
        )
        connection.close()
        Integration.objects.filter(pk=self.integration.pk).update(storm_threshold_per_minute=0)
        say()
        say(
            f"(e) a storm: {count} distinct alerts posted by 8 client threads in {posted:.1f} s "
            f"({statuses.count(202)} accepted), default storm grouping (20 new incidents a "
            f"minute); every event applied {end_to_end:.1f} s after the first arrived "
            f"(waited {applied_all:.1f} s); {len(incidents)} incidents ({storms} storm "
            f"incident), {len(first_sent)} of them paged."
        )
        say(
            table(
                ["incident declared -> first page sent", "incidents", "p50", "p99", "max"],
                [
                    [
                        "storm incidents and the ones before the threshold",
                        str(len(incidents)),
                        fmt_s(percentile(to_page, 0.5)),
                        fmt_s(percentile(to_page, 0.99)),
                        fmt_s(max(to_page) if to_page else float("nan")),
                    ]
                ],
            )
        )
        say(phase.cpu_line())
        say(task_table(marks))
        self.results.append(
            [
                f"(e) storm of {count} distinct alerts, default grouping",
                f"all applied in {end_to_end:.1f} s; {len(incidents)} incidents, "
                f"{len(first_sent)} paged, declared -> paged p99 "
                f"{fmt_s(percentile(to_page, 0.99))}",
                "every incident declared and paged within seconds",
                "met" if end_to_end < 30 and len(first_sent) == len(incidents) else "MISSED",
            ]
        )
        self.quiesce(keys_prefix=prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every phase short (~4 min)")
    parser.add_argument("--duration", type=float, help="seconds per rate in (a) (default 60)")
    parser.add_argument("--rates", default="50,200", help="events/s in (a), comma-separated")
    parser.add_argument("--incidents", type=int, help="incidents escalating in (b) (10000)")
    parser.add_argument("--window", type=float, help="seconds their steps fall due over (60)")
    parser.add_argument("--acks", type=int, help="incidents acknowledged in (c) (40)")
    parser.add_argument("--events", type=int, help="events posted in (d) (1500)")
    parser.add_argument("--tail", type=float, help="seconds to wait for stragglers (20)")
    parser.add_argument(
        "--apply-seconds", type=float, default=90, help="bound on (d)'s wait for the worker"
    )
    parser.add_argument("--phases", default="a,b,c,d,e", help="which of a,b,c,d,e to run")
    parser.add_argument("--storm", type=int, default=2000, help="distinct alerts in (e)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--send-deadline", type=int, help="OUTBOX_SEND_DEADLINE_SECONDS (default: the setting's)"
    )
    parser.add_argument(
        "--retry-base",
        type=int,
        default=5,
        help="OUTBOX_RETRY_BASE_SECONDS for the workers, so (c) sees a retry (default 5)",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES", DEFAULT_SERVER),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default="tocsin_bench_paging", help="dropped and created")
    parser.add_argument("--broker", default=DEFAULT_BROKER, help="a Redis database of your own")
    parser.add_argument("--max-seconds", type=int, default=590, help="hard stop for the run")
    options = parser.parse_args()
    quick = options.quick
    defaults = {
        "duration": (10, 60),
        "incidents": (3000, 10_000),
        "window": (20, 60),
        "acks": (20, 40),
        "events": (600, 1500),
        "tail": (15, 20),
    }
    for name, (short, full) in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, short if quick else full)
    options.incidents = max(100, min(options.incidents, 50_000))
    if not options.broker.startswith("redis://"):
        sys.exit("--broker must be a Redis URL (its database is flushed)")
    phases = set(options.phases.split(","))

    def stop_on(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on)
    signal.signal(signal.SIGINT, stop_on)  # also when started with SIGINT ignored (``&``)
    signal.signal(signal.SIGALRM, stop_on)
    signal.alarm(options.max_seconds)
    bench = Bench(options)
    interrupted = False
    try:
        bench.start()
        if "a" in phases:
            for rate in (float(r) for r in options.rates.split(",")):
                bench.phase_a(rate)
        if "b" in phases:
            bench.phase_b("eta", number_offset=0)
            bench.phase_b("sweep", number_offset=options.incidents)
        if "c" in phases:
            bench.phase_c()
        if "d" in phases:
            bench.phase_d()
        if "e" in phases:
            bench.phase_e()
    except KeyboardInterrupt as exc:
        interrupted = True
        print(f"\nstopped ({exc or 'Ctrl-C'}); stopping the servers", file=sys.stderr)
    finally:
        signal.alarm(0)
        bench.stop()
    if bench.results:
        say()
        say("Summary" + (" (interrupted: partial)" if interrupted else ""))
        say(table(["figure", "measured", "target", ""], bench.results))
    if interrupted:
        sys.exit(1)


if __name__ == "__main__":
    main()
