"""Ingest benchmark: events per second through POST /v2/enqueue, half of them
deduplicated, with p50/p99 latency, beside the same server's throughput on a trivial
JSON endpoint (GET /healthz), so the figure reads as a ratio to what the stack can do.
Then the other half of the work: how fast ONE Celery worker (solo pool) applies the
events the web tier stored (deduplication, incidents declared, pages), so the
asynchronous figure is honest.

Runs gunicorn (2 workers, DEBUG off) on 127.0.0.1 against PostgreSQL with a Redis
broker, loads it from a light raw-socket client (2 processes x 4 connections), bounded
in count and time, the trivial and ingest loads in interleaved rounds (the machine's
speed drifts); then starts one worker and times how long it takes to empty the inbox.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tocsin_wt_w4 \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/ingest.py [--events 4000] [--write-docs]

Every event's dedup key is sent exactly twice: even-numbered events carry a new key
(a new alert and incident), odd-numbered ones repeat a key sent ~100 events earlier
(its incident is still open, so the event is deduplicated: counted, not paged).
The broker's queue is purged before and after the run (use a Redis database of your own).
"""

import argparse
import json
import multiprocessing
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CONNECTIONS_PER_PROCESS = 4
CLIENT_PROCESSES = 2
REPEAT_DISTANCE = 50  # an odd event repeats the key of the event ~2x this many before
DOCS = ROOT / "docs" / "alerts.md"
# A huge limit, so the per-event counter upsert is measured (--no-rate-limit: 0 = off).
RATE_LIMIT = 10_000_000
SECRET_KEY = "bench-" + secrets.token_hex(32)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request_bytes(method: str, path: str, body: bytes | None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


def _send(port: int, raw: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    status_line = b"".join(chunks).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def _event(routing_key: str, run: str, index: int) -> bytes:
    # Odd events repeat a key first sent well before (or the warm-up key): still open.
    key_number = index // 2 if index % 2 == 0 else index // 2 - REPEAT_DISTANCE
    dedup_key = f"{run}-{key_number}" if key_number >= 0 else f"{run}-warm"
    return json.dumps(
        {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {
                "summary": f"Disk almost full on db-{key_number}",
                "source": f"db-{key_number}",
                "severity": "warning",
                "custom_details": {"free_bytes": 1024 * key_number},
            },
        }
    ).encode()


def _client(args) -> list[tuple[float, int]]:
    """One client process: CONNECTIONS_PER_PROCESS threads taking requests in turn."""
    import threading

    port, requests_, deadline = args
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    position = [0]

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if position[0] >= len(requests_):
                    return
                raw = requests_[position[0]]
                position[0] += 1
            started = time.perf_counter()
            status = _send(port, raw)
            elapsed = time.perf_counter() - started
            with lock:
                results.append((elapsed, status))

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) used so far by the web server's processes (gunicorn)
    and by PostgreSQL's (its backends and background processes), from /proc."""
    totals = {"web": 0.0, "db": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        group = (
            "web"
            if b"gunicorn" in command
            else "db"
            if command.startswith((b"postgres", b"/usr/lib/postgresql"))
            else None
        )
        if group:
            totals[group] += (int(fields[11]) + int(fields[12])) / tick
    return totals


def _load(port: int, requests_: list[bytes], max_seconds: float) -> dict:
    cpu_before = _cpu_seconds()
    deadline = time.monotonic() + max_seconds
    # Interleave so both client processes walk the sequence in order.
    shares = [requests_[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(CLIENT_PROCESSES) as pool:
        parts = pool.map(_client, [(port, share, deadline) for share in shares])
    elapsed = time.perf_counter() - started
    cpu_after = _cpu_seconds()
    results = [r for part in parts for r in part]
    latencies = sorted(r[0] for r in results)
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "requests": len(results),
        "seconds": elapsed,
        "per_second": len(results) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
        "latencies": latencies,
        "web_cpu": cpu_after["web"] - cpu_before["web"],
        "db_cpu": cpu_after["db"] - cpu_before["db"],
    }


def _merge(parts: list[dict]) -> dict:
    """One load's figures over its rounds: requests / total time, merged latencies."""
    latencies = sorted(x for part in parts for x in part["latencies"])
    statuses: dict[int, int] = {}
    for part in parts:
        for status, count in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    requests_ = sum(part["requests"] for part in parts)
    seconds = sum(part["seconds"] for part in parts)
    return {
        "requests": requests_,
        "seconds": seconds,
        "per_second": requests_ / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
        "latencies": latencies,
        "web_cpu": sum(part["web_cpu"] for part in parts),
        "db_cpu": sum(part["db_cpu"] for part in parts),
    }


def _chunks(items: list, rounds: int) -> list[list]:
    size = -(-len(items) // rounds)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _setup() -> tuple[str, str, str, list[int]]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the benchmark is for PostgreSQL).")
    call_command("migrate", verbosity=0)
    from incidents.alerts.services.integrations import integration_create
    from oncall.teams.models import Team

    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench", "key": "BENCH"})
    # Events earlier (interrupted) runs left unapplied would be drained first: drop them.
    from incidents.alerts.models import AlertEvent

    AlertEvent.objects.filter(integration__team=team, processed_at=None).delete()
    run = secrets.token_hex(4)
    # Storm grouping off, so every new key really declares an incident; the rate limit
    # stays on (a huge limit), so its per-event upsert is measured.
    integration, key = integration_create(
        actor=None,
        team=team,
        name=f"bench-{run}",
        kind="events_v2",
        rate_limit_per_minute=RATE_LIMIT,
        storm_threshold_per_minute=0,
    )
    # The same with the default storm grouping: past 20 new alerts a minute, new alerts
    # join one alert-storm incident (what Tocsin does under a flood of new alerts).
    storm_integration, storm_key = integration_create(
        actor=None,
        team=team,
        name=f"bench-{run}-storm",
        kind="events_v2",
        rate_limit_per_minute=RATE_LIMIT,
    )
    connection.close()
    return key, storm_key, run, [integration.pk, storm_integration.pk]


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of your own (it is purged).")
    return url


def _purge_broker() -> None:
    import redis

    redis.Redis.from_url(_broker_url()).flushdb()


def _pending_events(integration_ids: list[int]) -> int:
    from django.db import connection

    from incidents.alerts.models import AlertEvent

    count = AlertEvent.objects.filter(integration_id__in=integration_ids, processed_at=None).count()
    connection.close()
    return count


def _drain_with_one_worker(integration_ids: list[int], max_seconds: float) -> dict:
    """Start one Celery worker (solo pool: one event at a time) on the queued tasks and
    time how long it takes to apply every stored event."""
    from django.db import connection

    from incidents.alerts.models import Alert, AlertEvent
    from incidents.models import Incident

    pending = _pending_events(integration_ids)
    env = _server_env()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    started = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    left = pending
    try:
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = _pending_events(integration_ids)
    finally:
        elapsed = time.perf_counter() - started
        worker.kill()  # not a warm shutdown: a drain task in progress would finish first
        worker.wait(timeout=30)
    applied = pending - left
    figures = {
        "pending": pending,
        "applied": applied,
        "seconds": elapsed,
        "per_second": applied / elapsed if elapsed else 0.0,
        "incidents": Incident.objects.filter(alerts__integration_id__in=integration_ids)
        .distinct()
        .count(),
        "alerts": Alert.objects.filter(integration_id__in=integration_ids).count(),
        "events": AlertEvent.objects.filter(integration_id__in=integration_ids).count(),
    }
    connection.close()
    return figures


def _server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": _broker_url(),
    }


def _start_gunicorn(port: int, threads: int) -> subprocess.Popen:
    env = _server_env()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(  # noqa: S603 - fixed local command
        [
            gunicorn,
            "config.wsgi",
            "--workers=2",
            *(["--worker-class=gthread", f"--threads={threads}"] if threads > 1 else []),
            *(["--worker-class=sync"] if threads <= 1 else []),
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "--backlog=256",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _send(port, _request_bytes("GET", "/healthz", None)) == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=4000, help="events to send (max 20000)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time bound per phase")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per gunicorn worker (1 = sync workers); ingest waits on the database "
        "and its commit, so threads let PostgreSQL group commits",
    )
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="integrations without a rate limit"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="interleaved rounds of the trivial and ingest loads (the machine's speed drifts)",
    )
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    options = parser.parse_args()
    events = max(200, min(options.events, 20_000))
    if options.no_rate_limit:
        global RATE_LIMIT
        RATE_LIMIT = 0

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    routing_key, storm_routing_key, run, integration_ids = _setup()
    _purge_broker()
    port = _free_port()
    server = _start_gunicorn(port, options.threads)
    try:
        health = _request_bytes("GET", "/healthz", None)
        warm_event = json.dumps(
            {
                "routing_key": routing_key,
                "event_action": "trigger",
                "dedup_key": f"{run}-warm",
                "payload": {"summary": "warm-up", "source": "bench", "severity": "info"},
            }
        ).encode()
        # Warm both workers (imports, database connections).
        _load(port, [health] * 200, options.max_seconds)
        _load(port, [_request_bytes("POST", "/v2/enqueue", warm_event)] * 200, options.max_seconds)

        ingest_requests = [
            _request_bytes("POST", "/v2/enqueue", _event(routing_key, run, i))
            for i in range(events)
        ]
        storm_run = f"{run}s"
        _load(
            port,
            [_request_bytes("POST", "/v2/enqueue", _event(storm_routing_key, storm_run, -1))],
            options.max_seconds,
        )
        storm_requests = [
            _request_bytes("POST", "/v2/enqueue", _event(storm_routing_key, storm_run, i))
            for i in range(events)
        ]
        # Interleaved rounds (trivial, ingest, grouped, trivial, ...): the machine's speed
        # drifts (other tenants, CPU frequency), and measuring the loads one after the
        # other would put that drift into the ratio. Each round's ratio is kept too.
        rounds = max(1, options.rounds)
        trivial_parts, ingest_parts, grouped_parts = [], [], []
        budget = options.max_seconds / rounds
        for health_chunk, ingest_chunk, storm_chunk in zip(
            _chunks([health] * events, rounds),
            _chunks(ingest_requests, rounds),
            _chunks(storm_requests, rounds),
            strict=True,
        ):
            trivial_parts.append(_load(port, health_chunk, budget))
            ingest_parts.append(_load(port, ingest_chunk, budget))
            grouped_parts.append(_load(port, storm_chunk, budget))
        trivial, ingest, grouped = (
            _merge(trivial_parts),
            _merge(ingest_parts),
            _merge(grouped_parts),
        )
        round_ratios = sorted(
            i["per_second"] / t["per_second"]
            for t, i in zip(trivial_parts, ingest_parts, strict=True)
        )
        # For reading the figure: the deduplicated path alone (every event repeats the
        # warm-up key).
        dedup_only = _load(
            port,
            [_request_bytes("POST", "/v2/enqueue", warm_event)] * (events // 2),
            options.max_seconds,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    try:
        drained = _drain_with_one_worker(integration_ids, options.max_seconds * 3)
    finally:
        _purge_broker()

    ratio = ingest["per_second"] / trivial["per_second"]
    lines = [
        f"Ingest benchmark ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
        f"gunicorn 2 workers x {options.threads} thread(s), PostgreSQL, loopback, "
        f"{CLIENT_PROCESSES}x{CONNECTIONS_PER_PROCESS} client connections, "
        f"load average before: {load_before})",
        "",
        "| endpoint | requests | req/s | p50 ms | p99 ms | web CPU ms/req | "
        "PostgreSQL CPU ms/req | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        _row("GET /healthz (trivial JSON)", trivial),
        _row("POST /v2/enqueue, half deduplicated, every new key declares an incident", ingest),
        _row("POST /v2/enqueue, half deduplicated, default storm grouping", grouped),
        _row("POST /v2/enqueue, all repeats of one key (reference)", dedup_only),
        "",
        "CPU columns: user + system time of the processes over the load, per request "
        "(gunicorn's master and workers; every PostgreSQL process). The client's is not "
        "counted; the kernel's loopback work is partly in these.",
        "",
        f"Ingest throughput = {ratio:.0%} of the trivial endpoint's (target: >= 50%) with "
        f"every new key declaring an incident; "
        f"{grouped['per_second'] / trivial['per_second']:.0%} with the default storm grouping. "
        f"Measured in {len(round_ratios)} interleaved rounds; per round the ingest ratio was "
        f"{round_ratios[0]:.0%} to {round_ratios[-1]:.0%} "
        f"(median {statistics.median(round_ratios):.0%}).",
        "",
        f"One Celery worker (solo pool) then applied {drained['applied']} of the "
        f"{drained['pending']} stored events in {drained['seconds']:.1f} s = "
        f"**{drained['per_second']:.0f} events/s** (all three loads together: "
        f"{drained['incidents']} incidents, {drained['alerts']} alerts, "
        f"{drained['events']} events kept).",
    ]
    report = "\n".join(lines)
    print(report)
    if options.write_docs:
        text = DOCS.read_text()
        block = f"<!-- bench:start -->\n{report}\n<!-- bench:end -->"
        text = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", block, text, flags=re.S)
        DOCS.write_text(text)
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")


def _row(name: str, figures: dict) -> str:
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(figures["statuses"].items()))
    return (
        f"| {name} | {figures['requests']} | {figures['per_second']:.0f} | "
        f"{figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | "
        f"{figures['web_cpu'] * 1000 / figures['requests']:.2f} | "
        f"{figures['db_cpu'] * 1000 / figures['requests']:.2f} | {statuses} |"
    )


if __name__ == "__main__":
    main()
