"""Prometheus Alertmanager's webhook payload (version 4): one notification per alert
group. The group key is the dedup key, so every notification of a group lands on one
incident; a "resolved" notification (Alertmanager sends it only when every alert of
the group has resolved) resolves it."""

from typing import Any

from incidents.alerts.parsers.events import (
    RESOLVE,
    TRIGGER,
    NormalizedEvent,
    bounded_dedup_key,
    derived_dedup_key,
)


class InvalidPayload(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


def _str_dict(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def parse_notification(body: Any) -> NormalizedEvent:
    if not isinstance(body, dict):
        raise InvalidPayload({"non_field_errors": ["Expected Alertmanager's JSON object."]})
    errors: dict[str, list[str]] = {}
    status = body.get("status")
    if status not in ("firing", "resolved"):
        errors["status"] = ['Must be "firing" or "resolved".']
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        errors["alerts"] = ["Must be a non-empty list of alerts."]
        alerts = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict) or not _str_dict(alert.get("labels")):
            errors.setdefault("alerts", []).append(
                f"alerts[{index}] must be an object whose labels map names to strings."
            )
        elif alert.get("status") not in ("firing", "resolved"):
            errors.setdefault("alerts", []).append(
                f'alerts[{index}].status must be "firing" or "resolved".'
            )
    group_key = body.get("groupKey")
    if group_key is not None and not isinstance(group_key, str):
        errors["groupKey"] = ["Must be a string."]
    for name in ("groupLabels", "commonLabels", "commonAnnotations"):
        if body.get(name) is not None and not _str_dict(body.get(name)):
            errors[name] = ["Must map names to strings."]
    if errors:
        raise InvalidPayload(errors)

    common_labels: dict[str, str] = body.get("commonLabels") or {}
    group_labels: dict[str, str] = body.get("groupLabels") or {}
    annotations: dict[str, str] = body.get("commonAnnotations") or {}
    first = alerts[0]
    first_annotations = first.get("annotations") if _str_dict(first.get("annotations")) else {}
    name = (
        group_labels.get("alertname")
        or common_labels.get("alertname")
        or first["labels"].get("alertname", "")
    )
    firing = [a for a in alerts if a.get("status") == "firing"]
    summary = (
        annotations.get("summary")
        or (first_annotations or {}).get("summary")
        or annotations.get("description")
        or f"{name or 'Alertmanager alert'}: {len(firing) or len(alerts)} alert(s)"
    )
    severity = common_labels.get("severity") or first["labels"].get("severity", "")
    key = (
        bounded_dedup_key("am:", group_key)
        if group_key
        else derived_dedup_key("am:", group_labels or common_labels)
    )
    # Alertmanager says "resolved" for the group only when all its alerts are resolved;
    # checking each alert as well keeps a partial notification from closing anything.
    all_resolved = status == "resolved" and all(a.get("status") == "resolved" for a in alerts)
    return NormalizedEvent(
        action=RESOLVE if all_resolved else TRIGGER,
        dedup_key=key,
        payload=body,
        summary=summary[:1024],
        source=str(body.get("externalURL") or "alertmanager")[:255],
        severity=severity,
        name=name[:255],
        labels=dict(common_labels),
        details={
            "alerts": [
                {
                    "status": a.get("status"),
                    "labels": a.get("labels"),
                    "fingerprint": a.get("fingerprint"),
                    "startsAt": a.get("startsAt"),
                    "endsAt": a.get("endsAt"),
                }
                for a in alerts
            ]
        },
    )
