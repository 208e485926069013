"""The starter library: complete runbooks in the required section structure, with real
kubectl, PostgreSQL and Redis triage commands, and one for Tocsin's own failover. Teams install them
(``manage.py runbooks_install_starter --team <slug>``, or seed_demo) and adapt them:
placeholders are written ``<like-this>``."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterRunbook:
    title: str
    severity_hint: str
    # A team's services whose slug contains one of these are covered ("*" = all).
    service_hints: tuple[str, ...]
    matchers: dict
    body: str


HIGH_LATENCY = """\
## Overview
Requests to `<service>` are slower than the SLO (p99 above the target, typically
> 1 s for APIs). Latency incidents usually come from one of: saturated pods (CPU
throttling, too few replicas), a slow dependency (database, cache, third-party API),
a bad deploy, or a noisy neighbour on the node.

## Symptoms
- Alert `HighLatency` / `LatencyP99AboveSLO` firing for the service.
- Dashboards: p95/p99 rising while request rate is flat or rising.
- Customers report slow pages or timeouts; upstream services log timeouts to us.

## Detection
- Alert: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="<service>"}[5m]))) > 1`
- Compare with the last deploy: `kubectl -n <namespace> rollout history deploy/<service>`

## Triage steps
1. Is it every endpoint or one? Check the per-route latency panel.
2. Pods healthy and not throttled?
   ```bash
   kubectl -n <namespace> get pods -l app=<service> -o wide
   kubectl -n <namespace> top pods -l app=<service>
   kubectl -n <namespace> describe hpa <service>
   kubectl -n <namespace> get events --sort-by=.lastTimestamp | tail -30
   ```
3. Slow database? Look for long-running queries and lock waits:
   ```sql
   -- psql "$DATABASE_URL"
   SELECT pid, now() - query_start AS runtime, state, wait_event_type, wait_event, left(query, 120)
     FROM pg_stat_activity
    WHERE state <> 'idle' ORDER BY runtime DESC LIMIT 20;
   SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting_on_locks FROM pg_stat_activity;
   ```
4. Slow cache?
   ```bash
   redis-cli -h <redis-host> --latency-history -i 5
   redis-cli -h <redis-host> SLOWLOG GET 10
   redis-cli -h <redis-host> INFO stats | grep -E 'instantaneous_ops|evicted|rejected'
   ```
5. Did latency start with a deploy or config change? Check the deploy log and feature flags.

## Mitigation
### Quick wins (< 5 min)
- Roll back a deploy that coincides: `kubectl -n <namespace> rollout undo deploy/<service>`
- Scale out: `kubectl -n <namespace> scale deploy/<service> --replicas=<n+50%>`
- Disable the feature flag of the slow feature; shed non-critical traffic (batch jobs, crawlers).

### Medium-term (5–30 min)
- Cancel a runaway query: `SELECT pg_cancel_backend(<pid>);` (then `pg_terminate_backend` if needed).
- Raise CPU limits if throttled; cordon a bad node: `kubectl cordon <node>` and delete its pods.
- Increase connection-pool size only if the database has headroom.

### Long-term
- Add the missing index / cache, fix the N+1, set timeouts and circuit breakers on the dependency.
- Load-test the path and tune the HPA target.

## Rollback
`kubectl -n <namespace> rollout undo deploy/<service> --to-revision=<n>`; confirm with
`kubectl -n <namespace> rollout status deploy/<service>`. Revert scaling once latency is normal.

## Communication
- SEV1/SEV2: public status update within 5 minutes ("We are investigating slow responses on …"),
  then every 15 minutes until resolved. Post internal findings as internal updates.

## Escalation
- No improvement in 15 minutes: page the owning team's secondary and the database on-call if
  queries are implicated. 30/60 minutes unresolved: Tocsin notifies the team lead and manager.

## Post-incident
- Postmortem for SEV1/SEV2. Record the latency graph, the cause, and whether this runbook was
  accurate (Tocsin asks on resolution). Add alerts that would have caught it earlier.
"""

DATABASE_OUTAGE = """\
## Overview
The PostgreSQL primary is unreachable, refusing connections, read-only, or so slow that
applications time out. Everything that writes is affected; read replicas may still serve.

## Symptoms
- Alerts `PostgresDown`, `PostgresTooManyConnections`, `PostgresReplicationLag`.
- Application errors: `could not connect to server`, `remaining connection slots are reserved`,
  `cannot execute INSERT in a read-only transaction`.

## Detection
- Alert: `pg_up{instance="<db-host>"} == 0` or `sum(pg_stat_activity_count) / pg_settings_max_connections > 0.9`
- Quick check: `pg_isready -h <db-host> -p 5432`

## Triage steps
1. Is the server up and accepting connections?
   ```bash
   pg_isready -h <db-host> -p 5432
   psql -h <db-host> -U postgres -c 'SELECT pg_is_in_recovery(), now() - pg_postmaster_start_time() AS uptime;'
   ```
2. Connection exhaustion?
   ```sql
   SELECT usename, application_name, state, count(*) FROM pg_stat_activity
    GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 20;
   SHOW max_connections;
   ```
3. Blocking locks?
   ```sql
   SELECT blocked.pid AS blocked_pid, blocking.pid AS blocking_pid, left(blocking.query, 120) AS blocking_query
     FROM pg_stat_activity blocked
     JOIN pg_stat_activity blocking ON blocking.pid = ANY(pg_blocking_pids(blocked.pid));
   ```
4. Disk full or WAL piling up?
   ```bash
   kubectl -n <db-namespace> exec <db-pod> -- df -h /var/lib/postgresql/data
   psql -h <db-host> -U postgres -c "SELECT slot_name, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots;"
   ```
5. Replication state of replicas:
   ```sql
   SELECT client_addr, state, replay_lag FROM pg_stat_replication;
   ```
6. If the database runs in Kubernetes: `kubectl -n <db-namespace> get pods,pvc` and
   `kubectl -n <db-namespace> logs <db-pod> --tail=200`.

## Mitigation
### Quick wins (< 5 min)
- Connection storm: terminate idle-in-transaction sessions:
  `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction' AND now() - state_change > interval '5 minutes';`
- Kill the blocking query found in triage: `SELECT pg_terminate_backend(<blocking_pid>);`
- Scale down a misbehaving consumer: `kubectl -n <namespace> scale deploy/<worker> --replicas=0`

### Medium-term (5–30 min)
- Disk full: drop an inactive replication slot (`SELECT pg_drop_replication_slot('<slot>');`), extend the volume.
- Primary dead: fail over to the replica (managed service console, or `patronictl failover` / `pg_ctl promote` on the replica) and repoint the application's `DATABASE_URL`.
- Put the application in maintenance/read-only mode to stop error storms.

### Long-term
- Connection pooling (PgBouncer), statement timeouts, alerts on disk and WAL growth, regular failover drills.

## Rollback
- Undo a failover only after the old primary is rebuilt as a replica and caught up.
- Re-enable consumers one at a time, watching `pg_stat_activity` counts.

## Communication
- Database outages are usually SEV1: public update within 5 minutes naming affected features, not the database.
  Updates every 15 minutes; internal updates carry the technical detail.

## Escalation
- Page the database/platform on-call immediately if not already paged. Data loss suspected:
  engineering manager and security lead at once, do not wait for the time-based escalation.

## Post-incident
- Verify data integrity (row counts, last writes), backups and replication. Postmortem required.
"""

SERVICE_DOWN = """\
## Overview
`<service>` is down: health checks fail, pods crash-loop, or the load balancer has no
healthy backends. Callers see 5xx or connection errors.

## Symptoms
- Alerts `ServiceDown`, `TargetDown`, `KubePodCrashLooping`, `ProbeFailure`.
- 502/503 from the edge; synthetic checks failing.

## Detection
- Alert: `up{job="<service>"} == 0` or `probe_success{instance="https://<service-url>/healthz"} == 0`
- `curl -sS -o /dev/null -w '%{http_code}\\n' https://<service-url>/healthz`

## Triage steps
1. What state are the pods in?
   ```bash
   kubectl -n <namespace> get deploy,rs,pods -l app=<service>
   kubectl -n <namespace> describe pod <pod>          # events: OOMKilled, ImagePullBackOff, probes
   kubectl -n <namespace> logs <pod> --previous --tail=200
   ```
2. Recent change? `kubectl -n <namespace> rollout history deploy/<service>`; check config maps and secrets changes.
3. Dependencies reachable from a pod?
   ```bash
   kubectl -n <namespace> exec deploy/<service> -- sh -c 'nc -zv <db-host> 5432; nc -zv <redis-host> 6379'
   redis-cli -h <redis-host> PING
   pg_isready -h <db-host>
   ```
4. Nodes and capacity: `kubectl get nodes`, `kubectl describe node <node> | grep -A5 Allocated`.
5. Service and ingress wiring: `kubectl -n <namespace> get endpoints <service>`; empty endpoints mean no ready pods.

## Mitigation
### Quick wins (< 5 min)
- Bad deploy: `kubectl -n <namespace> rollout undo deploy/<service>`
- OOMKilled: raise the memory limit: `kubectl -n <namespace> set resources deploy/<service> --limits=memory=<higher>`
- Stuck pods: `kubectl -n <namespace> rollout restart deploy/<service>`

### Medium-term (5–30 min)
- Dependency down: follow the dependency's runbook (database outage, Redis) and enable the degraded mode / feature flags.
- No capacity: add nodes or evict lower-priority workloads.

### Long-term
- Readiness probes that check dependencies properly, PodDisruptionBudgets, more replicas across zones, canary deploys.

## Rollback
`kubectl -n <namespace> rollout undo deploy/<service> --to-revision=<last-good>` and confirm
`kubectl -n <namespace> rollout status deploy/<service>`; revert any config map change.

## Communication
- Public status update within 5 minutes for SEV1/SEV2 ("<feature> is unavailable"), every 15 minutes after.

## Escalation
- Not recovering after rollback within 15 minutes: page the platform on-call; Tocsin's
  time-based escalation informs the team lead (30 min) and engineering manager (60 min).

## Post-incident
- Postmortem; add the missing alert or probe; confirm this runbook was accurate when Tocsin asks.
"""

HIGH_ERROR_RATE = """\
## Overview
A significant share of requests to `<service>` fail (5xx, or business errors such as
payment declines above baseline). The service is up, but broken for some users.

## Symptoms
- Alert `HighErrorRate` firing; error-budget burn alerts.
- Error tracker spike on one exception; customer reports of failures.

## Detection
- Alert: `sum(rate(http_requests_total{service="<service>",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="<service>"}[5m])) > 0.05`
- Which endpoints: break the same query down `by (route, code)`.

## Triage steps
1. One endpoint, one customer segment, one region, or everything?
2. Read the errors:
   ```bash
   kubectl -n <namespace> logs -l app=<service> --since=15m | grep -iE 'error|exception' | sort | uniq -c | sort -rn | head
   ```
3. Started with a deploy or flag change? `kubectl -n <namespace> rollout history deploy/<service>`
4. Dependency errors? Database:
   ```sql
   SELECT datname, xact_rollback, deadlocks, conflicts FROM pg_stat_database WHERE datname = '<db>';
   ```
   Redis:
   ```bash
   redis-cli -h <redis-host> INFO errorstats
   redis-cli -h <redis-host> INFO memory | grep -E 'used_memory_human|maxmemory_human|mem_fragmentation_ratio'
   ```
5. Third-party API failing? Check their status page and our outbound error metrics.

## Mitigation
### Quick wins (< 5 min)
- Roll back: `kubectl -n <namespace> rollout undo deploy/<service>`
- Turn off the feature flag of the failing path.
- Fail over to the secondary provider if the third party is failing.

### Medium-term (5–30 min)
- Hotfix behind a flag; retry queued work once fixed (replay from the dead-letter queue).
- Redis OOM: `redis-cli -h <redis-host> CONFIG SET maxmemory-policy allkeys-lru` as a stop-gap, then add memory.

### Long-term
- Tests for the failure, better input validation, retries with backoff and idempotency keys, SLO-based alerting.

## Rollback
Undo the deploy or flag; confirm the error rate returns to baseline for 15 minutes before resolving.

## Communication
- Public update within 5 minutes for SEV1/SEV2 naming the affected feature; every 15 minutes after.
  Support gets the workaround (if any) in an internal update.

## Escalation
- Payments or data-integrity errors: engineering manager immediately. Otherwise the time-based
  escalation rules apply.

## Post-incident
- Count affected requests/customers, reconcile failed operations, postmortem for SEV1/SEV2.
"""

TOCSIN_FAILOVER = """\
## Overview
Tocsin itself (the incident, on-call and paging platform) is down or degraded: its
PostgreSQL primary is lost, a host died, or beat stopped, so nobody is being paged.
Tocsin cannot page anyone about its own outage: this alert reaches you through the
external check (an uptime probe or Alertmanager's dead man's switch) routed to a phone
that does not depend on Tocsin. Keep a copy of this runbook outside Tocsin (printed, or
in your wiki): when Tocsin is down, so is this page. The layout and backups it assumes are
described in docs/operations.md.

## Symptoms
- `https://<tocsin-host>/healthz` does not answer `{"status": "ok"}`; the web app shows 5xx.
- Alerts are accepted but nobody is paged: beat is not running, or no paging/outbox worker.
- Application errors: `could not connect to server`, `cannot execute INSERT in a read-only transaction`.

## Detection
- External probe: `probe_success{instance="https://<tocsin-host>/healthz"} == 0` for 2 minutes.
- `curl -sS -o /dev/null -w '%{http_code}\\n' https://<tocsin-host>/healthz`
- Beat alive? Its lock session is visible on the database:
  `psql "$DATABASE_URL" -c "SELECT pid, client_addr, backend_start FROM pg_stat_activity WHERE application_name = 'tocsin-beat-lock';"`

## Triage steps
1. Which part is down: web, workers, beat, the broker or the database?
   ```bash
   curl -sS https://<tocsin-host>/healthz
   celery -A config inspect ping --timeout 5            # every worker answers
   redis-cli -h <redis-host> PING
   pg_isready -h <db-primary> -p 5432
   ```
2. On Kubernetes:
   ```bash
   kubectl -n <tocsin-namespace> get pods -o wide
   kubectl -n <tocsin-namespace> logs deploy/<tocsin-beat> --tail=100
   kubectl -n <tocsin-namespace> logs deploy/<tocsin-paging-worker> --tail=100
   ```
3. Is the primary gone, or only unreachable from one host? From another host:
   ```bash
   psql -h <db-primary> -U tocsin -c 'SELECT pg_is_in_recovery(), now();'
   psql -h <db-replica> -U tocsin -c 'SELECT pg_is_in_recovery(), now() - pg_last_xact_replay_timestamp() AS replica_lag;'
   ```
4. Is more than one beat sending? (Harmless: every beat task is safe to run twice; the
   lock makes one of them stand by.) `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tocsin-beat-lock';`

## Mitigation
### Quick wins (< 5 min)
- A dead host: the other hosts keep serving (web, workers, and a standby beat that takes
  the beat lock within seconds). Take the host out of the load balancer.
- Beat down and no standby: start one on a healthy host:
  `celery -A config beat -S readiness.recovery.beat:LockedScheduler --schedule=/var/lib/tocsin/celerybeat-schedule`
- Workers stuck: `kubectl -n <tocsin-namespace> rollout restart deploy/<tocsin-paging-worker> deploy/<tocsin-outbox-worker>`
- While Tocsin is down, page by hand: post in the incident channel and phone the on-call
  listed in the last "On call now" export or the calendar feed.

### Medium-term (5–30 min)
- The PostgreSQL primary is lost: promote the streaming replica
  (`pg_ctlcluster 15 main promote` on Debian, `patronictl failover`, or your managed
  service's console), point `DATABASE_URL` of every web, worker and beat process at it, and
  restart them:
  ```bash
  kubectl -n <tocsin-namespace> edit secret <tocsin-env>        # DATABASE_URL host -> <new-primary>
  kubectl -n <tocsin-namespace> rollout restart deploy
  python manage.py migrate --check                              # the schema is all there
  ```
- No replica: restore the latest backup on a new server (the manifest check runs itself):
  ```bash
  python manage.py restore /var/backups/tocsin/tocsin-<timestamp>.dump
  ```
  Then start web, workers and beat. Work lost: everything since that backup (the RPO).

### Long-term
- Keep a streaming replica and WAL archiving, run `manage.py backup --verify` every day,
  and drill this runbook (restore onto a scratch host) every quarter.

## Rollback
- Do not move back to the old primary until it is rebuilt as a replica of the new one and
  caught up (`pg_basebackup` from the new primary); two primaries mean lost writes.
- If a restore was wrong, restore the previous backup with `manage.py restore --force <older dump>`.

## Communication
- Tell responders at once, outside Tocsin (chat, phone): "Tocsin is down: paging does not
  work; watch your monitoring directly". Repeat every 15 minutes until paging works again.

## Escalation
- Page the platform/database on-call by phone. Primary lost and no replica: engineering
  manager at once (data since the last backup is lost).

## Post-incident
- Check for alerts received but never paged during the outage (incident list, timeline)
  and follow up each. Record the measured RTO and RPO against docs/operations.md; postmortem.
"""

STARTER_RUNBOOKS: tuple[StarterRunbook, ...] = (
    StarterRunbook(
        title="High latency",
        severity_hint="SEV2",
        service_hints=("api", "bff", "checkout", "edge", "gateway"),
        matchers={
            "alert_names": ["HighLatency", "LatencyP99AboveSLO"],
            "labels": {},
            "title_keywords": ["latency", "slow", "p99"],
        },
        body=HIGH_LATENCY,
    ),
    StarterRunbook(
        title="Database outage",
        severity_hint="SEV1",
        service_hints=("postgres", "db", "database"),
        matchers={
            "alert_names": ["PostgresDown", "PostgresTooManyConnections", "PostgresReplicationLag"],
            "labels": {"component": "postgres"},
            "title_keywords": ["database", "postgres", "replication"],
        },
        body=DATABASE_OUTAGE,
    ),
    StarterRunbook(
        title="Service down",
        severity_hint="SEV1",
        service_hints=("*",),
        matchers={
            "alert_names": ["ServiceDown", "TargetDown", "KubePodCrashLooping", "ProbeFailure"],
            "labels": {},
            "title_keywords": ["down", "unavailable", "crash", "502", "503"],
        },
        body=SERVICE_DOWN,
    ),
    StarterRunbook(
        title="High error rate",
        severity_hint="SEV2",
        service_hints=("api", "bff", "gateway", "worker"),
        matchers={
            "alert_names": ["HighErrorRate", "ErrorBudgetBurn"],
            "labels": {},
            "title_keywords": ["error rate", "errors", "failing", "5xx"],
        },
        body=HIGH_ERROR_RATE,
    ),
    StarterRunbook(
        title="Tocsin failover",
        severity_hint="SEV1",
        service_hints=("tocsin",),
        matchers={
            "alert_names": ["TocsinDown", "TocsinBeatDown", "TocsinPagingStalled"],
            "labels": {"app": "tocsin"},
            "title_keywords": ["tocsin"],
        },
        body=TOCSIN_FAILOVER,
    ),
)
