"""Outside systems: parsers for what monitoring tools send (PagerDuty Events API v2,
Prometheus Alertmanager, generic webhooks), all turned into ``NormalizedEvent``, and the
PagerDuty client used to mirror incidents. Pure functions except ``pagerduty``."""
