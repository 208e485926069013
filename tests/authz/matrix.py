"""The documented answer of every route to every kind of person: one entry per route (URL
pattern name with its namespace) and method, naming a policy.

Actors (the world in ``tests/authz/world.py``): ``anonymous``; ``outsider``, a manager of
another team (Mobile); ``member`` and ``manager`` of the team the rows belong to (Payments);
``staff``, a superuser of no team. Path parameters name Payments' rows.

Outcome classes: DENIED is 401/403/404 for the API (anonymous gets 401, others 403 or 404:
a 404 for another team's row does not say the row exists) and, for pages, a redirect to the
sign-in page for anonymous and 403/404 for the others, or (the pages' way) a redirect back
carrying a refusal message ("Only managers of team ... can ..."). A create that names the
team in its body may deny with a 400 on that field (``denied_by_field``): the field only
accepts the actor's own teams, so the answer does not say the team exists. ALLOWED is any
other answer below 500: a write with an empty body getting a 400, or a form's validation
message, passed the permission check. No 5xx, ever.

Policy          anonymous  outsider  member   manager  staff
--------------  ---------  --------  -------  -------  -------
TEAM            denied     denied    allowed  allowed  allowed   (staff sees every team)
TEAM_MANAGER    denied     denied    denied   allowed  allowed
SIGNED_IN       denied     allowed   allowed  allowed  allowed   (lists scoped to own teams)
ANY_MANAGER     denied     allowed   denied   allowed  allowed   (a manager of any team,
                                                                   scoped to that team)
SIGNED_IN_SELF  denied     denied    allowed  denied   denied    (/users/me/...: the row is
                                                                   the member's own)
STAFF           denied     denied    denied   denied   allowed
PUBLIC          allowed    allowed   allowed  allowed  allowed
TOKEN_URL       allowed    allowed   allowed  allowed  allowed   (with the right token in
                                                                   the URL; a wrong one: 404)
KEYED           no key: 4xx; a wrong key: 4xx; another team's key: no change to this team's
                rows; this team's key: allowed. The session plays no part (checked
                anonymous and as the outsider).
BEARER          Prometheus scrape: no or a wrong bearer token 401 (404 while disabled),
                the right one 200, whoever is signed in.
ADMIN           sample admin pages: anonymous redirected to the sign-in page, every
                signed-in person who is not staff to the admin's sign-in, staff 200.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DENIED, ALLOWED = "denied", "allowed"
ACTORS = ("anonymous", "outsider", "member", "manager", "staff")

POLICIES: dict[str, dict[str, str]] = {
    "TEAM": dict(anonymous=DENIED, outsider=DENIED, member=ALLOWED, manager=ALLOWED, staff=ALLOWED),
    "TEAM_MANAGER": dict(
        anonymous=DENIED, outsider=DENIED, member=DENIED, manager=ALLOWED, staff=ALLOWED
    ),
    "SIGNED_IN": dict(
        anonymous=DENIED, outsider=ALLOWED, member=ALLOWED, manager=ALLOWED, staff=ALLOWED
    ),
    "ANY_MANAGER": dict(
        anonymous=DENIED, outsider=ALLOWED, member=DENIED, manager=ALLOWED, staff=ALLOWED
    ),
    "SIGNED_IN_SELF": dict(
        anonymous=DENIED, outsider=DENIED, member=ALLOWED, manager=DENIED, staff=DENIED
    ),
    "STAFF": dict(anonymous=DENIED, outsider=DENIED, member=DENIED, manager=DENIED, staff=ALLOWED),
    "PUBLIC": dict(
        anonymous=ALLOWED, outsider=ALLOWED, member=ALLOWED, manager=ALLOWED, staff=ALLOWED
    ),
    "TOKEN_URL": dict(
        anonymous=ALLOWED, outsider=ALLOWED, member=ALLOWED, manager=ALLOWED, staff=ALLOWED
    ),
}
SPECIAL_POLICIES = ("KEYED", "BEARER", "ADMIN")


@dataclass(frozen=True)
class Entry:
    policy: str
    # Path parameters the world's default rows do not fill: value or ``f(world)``.
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: str | Callable[[Any], str] = ""
    # A body that passes validation, where the view validates before it looks the row up
    # (otherwise every actor's 400 would hide the permission check).
    body: dict | Callable[[Any], dict] | None = None
    # For a create naming the team (or a row of it) in the body: a 400 on that field is
    # the outsider's denial (the field only accepts the actor's own teams' rows, so the
    # answer does not say whether the row exists).
    denied_by_field: str = ""
    # A page's form fields that pass validation, where the view validates first.
    form: dict | Callable[[Any], dict] | None = None
    skip_reason: str = ""
    xfail: str = ""
    note: str = ""


def _team(w):
    return w.team.pk


def _in(days):
    return lambda w: (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


E = Entry
MATRIX: dict[tuple[str, str], Entry] = {
    # --- API: teams ---
    ("api:team-list", "GET"): E("SIGNED_IN"),
    ("api:team-list", "POST"): E("SIGNED_IN", note="anyone signed in may found a team"),
    ("api:team-detail", "GET"): E("TEAM"),
    ("api:team-members", "GET"): E("TEAM"),
    ("api:team-members", "POST"): E(
        "TEAM_MANAGER", body=lambda w: {"user": w.staff.pk, "role": "member"}
    ),
    ("api:team-remove-member", "DELETE"): E("TEAM_MANAGER"),
    ("api:team-escalation-policy", "PUT"): E(
        "TEAM_MANAGER", body=lambda w: {"escalation_policy": w.rows["policy"].pk}
    ),
    ("api:team-readiness", "GET"): E("TEAM"),
    ("api:team-token-list", "GET"): E("TEAM_MANAGER"),
    ("api:team-token-list", "POST"): E(
        "TEAM_MANAGER", body={"name": "Deploy bot", "scope": "read", "expires_in_days": 30}
    ),
    # --- API: schedules, policies ---
    ("api:schedule-list", "GET"): E("SIGNED_IN"),
    ("api:schedule-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {"team": w.team.pk, "name": "Secondary", "layers": []},
    ),
    ("api:schedule-detail", "GET"): E("TEAM"),
    ("api:schedule-detail", "PATCH"): E("TEAM_MANAGER"),
    ("api:schedule-detail", "DELETE"): E("TEAM_MANAGER"),
    ("api:schedule-ical", "GET"): E("TEAM"),
    ("api:schedule-oncall", "GET"): E("TEAM"),
    ("api:schedule-overrides", "GET"): E("TEAM"),
    ("api:schedule-overrides", "POST"): E(
        "TEAM",
        note="members cover each other's shifts",
        body=lambda w: {
            "user": w.member.pk,
            "start": "2030-01-01T09:00:00Z",
            "end": "2030-01-01T17:00:00Z",
        },
    ),
    ("api:schedule-delete-override", "DELETE"): E("TEAM"),
    ("api:schedule-rotate-ical-url", "POST"): E("TEAM_MANAGER"),
    ("api:schedule-shifts", "GET"): E(
        "TEAM", query="start=2030-01-01T00:00:00Z&end=2030-01-08T00:00:00Z"
    ),
    ("api:escalation-policy-list", "GET"): E("SIGNED_IN"),
    ("api:escalation-policy-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {
            "team": w.team.pk,
            "name": "Night",
            "rules": [{"delay_minutes": 5, "targets": [{"type": "user", "id": w.member.pk}]}],
        },
    ),
    ("api:escalation-policy-detail", "GET"): E("TEAM"),
    ("api:escalation-policy-detail", "PATCH"): E("TEAM_MANAGER"),
    ("api:escalation-policy-detail", "DELETE"): E("TEAM_MANAGER"),
    # --- API: the signed-in person's own settings ---
    ("api:contact-method-list", "GET"): E("SIGNED_IN"),
    ("api:contact-method-list", "POST"): E("SIGNED_IN"),
    ("api:contact-method-detail", "GET"): E("SIGNED_IN_SELF"),
    ("api:contact-method-detail", "PATCH"): E("SIGNED_IN_SELF"),
    ("api:contact-method-detail", "DELETE"): E("SIGNED_IN_SELF"),
    ("api:contact-method-send-test", "POST"): E("SIGNED_IN_SELF"),
    ("api:contact-method-verify", "POST"): E("SIGNED_IN_SELF", body={"code": "000000"}),
    ("api:contact-method-verify-send", "POST"): E("SIGNED_IN_SELF"),
    ("api:notification-rule-list", "GET"): E("SIGNED_IN"),
    ("api:notification-rule-list", "POST"): E("SIGNED_IN"),
    ("api:notification-rule-detail", "GET"): E("SIGNED_IN_SELF"),
    ("api:notification-rule-detail", "PATCH"): E("SIGNED_IN_SELF", body={"delay_minutes": 5}),
    ("api:notification-rule-detail", "DELETE"): E("SIGNED_IN_SELF"),
    ("api:oncall-preferences", "GET"): E("SIGNED_IN"),
    ("api:oncall-preferences", "PUT"): E("SIGNED_IN"),
    ("api:oncall-preferences-rotate-ical-url", "POST"): E("SIGNED_IN"),
    # --- API: reporting, paging ---
    ("api:metrics", "GET"): E("SIGNED_IN"),
    ("api:oncall-load", "GET"): E("TEAM", query=lambda w: f"team={w.team.pk}"),
    ("api:incident-pages", "GET"): E("TEAM"),
    # --- API: catalog and incidents ---
    ("api:severity-list", "GET"): E("SIGNED_IN"),
    ("api:severity-detail", "PATCH"): E("STAFF", body={"urgency": "high"}),
    ("api:service-list", "GET"): E("SIGNED_IN"),
    ("api:service-list", "POST"): E(
        "TEAM", denied_by_field="team", body=lambda w: {"team": w.team.pk, "name": "Billing"}
    ),
    ("api:service-detail", "GET"): E("TEAM"),
    ("api:service-detail", "PATCH"): E("TEAM"),
    ("api:incident-list", "GET"): E("SIGNED_IN"),
    ("api:incident-list", "POST"): E(
        "TEAM",
        denied_by_field="team",
        body=lambda w: {"team": w.team.pk, "title": "Checkout down", "severity": "SEV2"},
    ),
    ("api:incident-detail", "GET"): E("TEAM"),
    ("api:incident-detail", "PATCH"): E("TEAM", body={"title": "Checkout is slow"}),
    ("api:incident-acknowledge", "POST"): E("TEAM"),
    ("api:incident-history", "GET"): E("TEAM"),
    ("api:incident-reopen", "POST"): E("TEAM"),
    ("api:incident-resolve", "POST"): E("TEAM"),
    ("api:incident-set-status", "POST"): E("TEAM"),
    ("api:incident-timeline", "GET"): E("TEAM"),
    ("api:incident-timeline", "POST"): E("TEAM", body={"message": "Rolled back."}),
    ("api:incident-updates", "GET"): E("TEAM"),
    ("api:incident-updates", "POST"): E("TEAM"),
    ("api:incident-status-page", "GET"): E("TEAM"),
    ("api:incident-status-page", "PATCH"): E("TEAM"),
    ("api:incident-channel", "GET"): E("TEAM"),
    ("api:incident-runbooks", "GET"): E("TEAM"),
    ("api:incident-runbook-accuracy", "POST"): E("TEAM", body={"accurate": True}),
    # --- API: alerts ---
    ("api:integration-list", "GET"): E("SIGNED_IN"),
    ("api:integration-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {"team": w.team.pk, "name": "Grafana", "kind": "webhook"},
    ),
    ("api:integration-detail", "GET"): E("TEAM"),
    ("api:integration-detail", "PATCH"): E("TEAM_MANAGER", body={"name": "Prometheus prod"}),
    ("api:integration-rotate-key", "POST"): E("TEAM_MANAGER"),
    ("api:integration-alertmanager", "POST"): E("KEYED"),
    ("api:integration-webhook", "POST"): E("KEYED"),
    ("api:alert-list", "GET"): E("SIGNED_IN"),
    ("api:alert-detail", "GET"): E("TEAM"),
    ("api:alert-events", "GET"): E("TEAM"),
    ("api:change-event-list", "GET"): E("SIGNED_IN"),
    ("api:heartbeat-list", "GET"): E("SIGNED_IN"),
    ("api:heartbeat-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {
            "team": w.team.pk,
            "name": "hourly-export",
            "interval_seconds": 3600,
            "integration": w.rows["integration"].pk,
        },
    ),
    ("api:heartbeat-detail", "GET"): E("TEAM"),
    ("api:heartbeat-detail", "DELETE"): E("TEAM_MANAGER"),
    ("api:pagerduty-mirror-list", "GET"): E("SIGNED_IN"),
    ("api:pagerduty-mirror-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {"team": w.team.pk, "routing_key": "S" * 32},
    ),
    ("api:pagerduty-mirror-detail", "PATCH"): E("TEAM_MANAGER"),
    ("api:pagerduty-mirror-detail", "DELETE"): E("TEAM_MANAGER"),
    # --- API: communication ---
    ("api:status-api", "GET"): E("PUBLIC"),
    # --- API: runbooks ---
    ("api:runbook-list", "GET"): E("SIGNED_IN"),
    ("api:runbook-list", "POST"): E(
        "TEAM",
        denied_by_field="team",
        body=lambda w: {"team": w.team.pk, "title": "Disk full", "body": "## Overview"},
    ),
    ("api:runbook-coverage", "GET"): E("TEAM", query=lambda w: f"team={w.team.pk}"),
    ("api:runbook-detail", "GET"): E("TEAM"),
    ("api:runbook-detail", "PATCH"): E("TEAM", body={"title": "Checkout latency (v2)"}),
    ("api:runbook-diff", "GET"): E("TEAM", query="from=1&to=1"),
    ("api:runbook-tested", "POST"): E("TEAM"),
    ("api:runbook-versions", "GET"): E("TEAM"),
    # --- API: postmortems ---
    ("api:postmortem-list", "GET"): E("SIGNED_IN"),
    ("api:postmortem-list", "POST"): E(
        "TEAM", denied_by_field="incident", body=lambda w: {"incident": w.rows["incident"].pk}
    ),
    ("api:postmortem-detail", "GET"): E("TEAM"),
    ("api:postmortem-detail", "PATCH"): E("TEAM", body={"summary": "A config deploy."}),
    ("api:postmortem-blameless-check", "GET"): E("TEAM"),
    ("api:postmortem-history", "GET"): E("TEAM"),
    ("api:postmortem-markdown", "GET"): E("TEAM"),
    ("api:postmortem-publish", "POST"): E("TEAM"),
    ("api:postmortem-request-changes", "POST"): E("TEAM"),
    ("api:postmortem-submit", "POST"): E("TEAM"),
    ("api:action-item-list", "GET"): E("SIGNED_IN"),
    ("api:action-item-list", "POST"): E(
        "TEAM",
        denied_by_field="postmortem",
        body=lambda w: {
            "postmortem": w.rows["postmortem"].pk,
            "title": "Canary config",
            "priority": "P2",
            "due_date": "2030-01-31",
            "kind": "preventive",
        },
    ),
    ("api:action-item-board", "GET"): E("SIGNED_IN"),
    ("api:action-item-mine", "GET"): E("SIGNED_IN"),
    ("api:action-item-detail", "GET"): E("TEAM"),
    ("api:action-item-detail", "PATCH"): E("TEAM", body={"title": "Canary every config"}),
    ("api:action-item-set-status", "POST"): E("TEAM", body={"status": "in_progress"}),
    # --- API: readiness ---
    ("api:drill-list", "GET"): E("SIGNED_IN"),
    ("api:drill-list", "POST"): E(
        "TEAM_MANAGER",
        denied_by_field="team",
        body=lambda w: {
            "team": w.team.pk,
            "title": "Second game day",
            "severity": "SEV2",
            "scheduled_at": "2030-01-01T10:00:00Z",
        },
    ),
    ("api:drill-detail", "GET"): E("TEAM"),
    ("api:drill-cancel", "POST"): E("TEAM_MANAGER"),
    ("api:drill-finding-action-item", "POST"): E(
        "TEAM_MANAGER",
        body=lambda w: {"priority": "P2", "due_date": "2030-01-31", "owner": w.member.pk},
    ),
    ("api:drill-markdown", "GET"): E("TEAM"),
    # --- API: tokens and audit ---
    ("api:token-list", "GET"): E("SIGNED_IN"),
    ("api:token-list", "POST"): E("SIGNED_IN"),
    ("api:token-revoke", "POST"): E("TEAM_MANAGER"),
    ("api:token-rotate", "POST"): E("TEAM_MANAGER"),
    ("api:audit-event-list", "GET"): E("ANY_MANAGER"),
    # --- API: schema and docs ---
    ("api:schema", "GET"): E("PUBLIC", note="the schema of a public API"),
    ("api:docs", "GET"): E("PUBLIC"),
    # --- ingest: what monitoring tools call ---
    ("ingest:events-v2-enqueue", "POST"): E("KEYED"),
    ("ingest:events-v2-enqueue-slash", "POST"): E("KEYED"),
    ("ingest:change-events-enqueue", "POST"): E("KEYED"),
    ("ingest:change-events-enqueue-slash", "POST"): E("KEYED"),
    ("ingest:events-v1-create", "POST"): E("KEYED"),
    ("ingest:events-v1-create-slash", "POST"): E("KEYED"),
    ("ingest:opsgenie-alert-create", "POST"): E("KEYED"),
    ("ingest:opsgenie-alert-action", "POST"): E(
        "KEYED", kwargs={"identifier": lambda w: str(w.rows["alert"].pk), "action": "acknowledge"}
    ),
    ("ingest:opsgenie-heartbeat-ping", "GET"): E("KEYED", kwargs={"name": "nightly-backup"}),
    ("ingest:opsgenie-heartbeat-ping", "POST"): E("KEYED", kwargs={"name": "nightly-backup"}),
    ("ingest:healthz", "GET"): E("PUBLIC"),
    ("ingest:healthz", "POST"): E("PUBLIC"),
    ("ingest:prometheus-metrics", "GET"): E("BEARER"),
    # --- feeds ---
    ("feeds:schedule-ical-feed", "GET"): E(
        "TOKEN_URL", kwargs={"token": lambda w: w.keys["schedule_feed"]}
    ),
    ("feeds:user-ical-feed", "GET"): E(
        "TOKEN_URL", kwargs={"token": lambda w: w.keys["user_feed"]}
    ),
    # --- admin ---
    ("admin:*", "GET"): E("ADMIN"),
}


def _web(name, get=None, post=None, **extra):
    if get:
        MATRIX[(name, "GET")] = Entry(get, **extra)
    if post:
        MATRIX[(name, "POST")] = Entry(post, **extra)


_incident = {"incident_id": lambda w: w.rows["incident"].pk}
# Pages. POST is listed wherever the view answers it (a form, or a page that does not
# refuse other methods); ``test_unlisted_methods_are_refused`` holds the rest to 405.
_web("web:home", "SIGNED_IN", "SIGNED_IN")
_web("web:incident-list", "SIGNED_IN", "SIGNED_IN")
_web("web:incident-declare", "SIGNED_IN", "SIGNED_IN")
_web("web:incident-detail", "TEAM", "TEAM")
_web("web:incident-lifecycle", "TEAM")
_web("web:incident-action", post="TEAM", kwargs={"action": "note"})
_web("web:metrics-page", "SIGNED_IN", "SIGNED_IN")
_web("web:metric-definitions", "SIGNED_IN", "SIGNED_IN")
_web("web:action-item-board", "SIGNED_IN", "SIGNED_IN")
_web("web:action-item-status", post="TEAM")
_web("web:action-item-remove", post="TEAM")
_web("web:postmortem-list", "SIGNED_IN", "SIGNED_IN")
_web("web:postmortem-detail", "TEAM", "TEAM")
_web("web:postmortem-print", "TEAM", "TEAM")
_web("web:postmortem-markdown", "TEAM", "TEAM")
_web("web:postmortem-add-action-item", post="TEAM")
_web("web:postmortem-section-save", post="TEAM", kwargs={"name": "root_cause"})
_web("web:postmortem-row-add", post="TEAM", kwargs={"section": "whys"})
_web("web:postmortem-row-save", post="TEAM", kwargs={"section": "whys"})
_web("web:postmortem-row-remove", post="TEAM", kwargs={"section": "whys"})
_web("web:postmortem-action", post="TEAM", kwargs={"action": "save"})
_web("web:oncall-page", "SIGNED_IN", "SIGNED_IN")
_web("web:my-shifts", "SIGNED_IN")
_web("web:oncall-override-add", post="TEAM")
_web("web:oncall-override-delete", post="TEAM")
_web("web:oncall-cover", "TEAM", "TEAM")
_web("web:oncall-schedule-new", "TEAM_MANAGER", "TEAM_MANAGER")
_web("web:oncall-schedule-edit", "TEAM", None)
_web("web:oncall-schedule-edit", post="TEAM_MANAGER")
_web("web:oncall-policy-new", "TEAM_MANAGER", "TEAM_MANAGER")
_web("web:oncall-policy-edit", "TEAM", None)
_web("web:oncall-policy-edit", post="TEAM_MANAGER")
_web("web:oncall-policy-flowchart", "TEAM")
_web("web:runbook-list", "SIGNED_IN", "SIGNED_IN")
_web("web:runbook-coverage", "SIGNED_IN", "SIGNED_IN")
_web("web:runbook-detail", "TEAM", "TEAM")
_web("web:runbook-tested", post="TEAM")
_web("web:runbook-accuracy", post="TEAM")
_web("web:runbook-versions", "TEAM", "TEAM")
_web("web:status-page", "PUBLIC")
_web("web:status-feed", "PUBLIC", "PUBLIC")
_web("web:incident-share-update", post="TEAM")
_web("web:incident-share-update-preview", post="TEAM")
_web("web:integration-list", "SIGNED_IN", None)
_web("web:integration-list", post="ANY_MANAGER", note="the create form; a manager of any team")
_web("web:integration-detail", "TEAM", "TEAM")
_web("web:integration-test-event", post="TEAM_MANAGER")
_web("web:integration-rotate-key", post="TEAM_MANAGER", form={"confirm": "yes"})
_web("web:imports", "STAFF", "STAFF")
_web("web:imports-apply", post="STAFF")
_web("web:profile", "SIGNED_IN", "SIGNED_IN")
_web("web:profile-time-zone", post="SIGNED_IN")
_web("web:profile-contact-test", post="SIGNED_IN_SELF")
_web("web:team-list", "SIGNED_IN", "SIGNED_IN")
_web("web:team-detail", "TEAM", None)
_web("web:team-detail", post="TEAM_MANAGER", note="the invite form")
_web("web:team-response-process", "TEAM")
_web("web:team-invitation-revoke", post="TEAM_MANAGER")
_web(
    "web:invitation-accept",
    "TOKEN_URL",
    "TOKEN_URL",
    kwargs={"token": lambda w: w.keys["invitation"]},
)
_web("web:profile-tokens", "SIGNED_IN", "SIGNED_IN")
_web("web:profile-legacy-token-revoke", post="SIGNED_IN")
_web("web:token-rotate", post="TEAM_MANAGER")
_web("web:token-revoke", post="TEAM_MANAGER")
_web("web:team-tokens", "TEAM_MANAGER", "TEAM_MANAGER")
_web("web:audit-log", "ANY_MANAGER", "ANY_MANAGER")
_web("web:audit-log-export", "ANY_MANAGER", "ANY_MANAGER")
_web("web:drill-list", "SIGNED_IN", "SIGNED_IN")
_web("web:drill-detail", "TEAM", "TEAM")
_web("web:drill-markdown", "TEAM", "TEAM")
_web("web:drill-cancel", post="TEAM_MANAGER")
_web(
    "web:drill-finding-promote",
    post="TEAM_MANAGER",
    form=lambda w: {
        f"finding-{w.rows['finding'].pk}-{name}": value
        for name, value in {
            "owner": w.member.pk,
            "priority": "P2",
            "due_date": "2030-01-31",
        }.items()
    },
)
_web("web:readiness", "SIGNED_IN", "SIGNED_IN")
_web("web:readiness-team", "TEAM", "TEAM")
_web(
    "web:incident-ack-link",
    "TOKEN_URL",
    "TOKEN_URL",
    kwargs={"token": lambda w: w.keys["ack"]},
)
