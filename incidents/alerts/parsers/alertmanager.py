"""Prometheus Alertmanager's webhook payload (version 4): one notification per alert
group. The group key is the dedup key, so every notification of a group lands on one
incident; a "resolved" notification (Alertmanager sends it only when every alert of
the group has resolved) resolves it. Pure: no database access."""

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
    """The notification as a NormalizedEvent, or InvalidPayload naming every problem."""
    if not isinstance(body, dict):
        raise InvalidPayload({"non_field_errors": ["Expected Alertmanager's JSON object."]})
    errors = _notification_errors(body)
    if errors:
        raise InvalidPayload(errors)
    return _normalized(body)


def _notification_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if body.get("status") not in ("firing", "resolved"):
        errors["status"] = ['Must be "firing" or "resolved".']
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        errors["alerts"] = ["Must be a non-empty list of alerts."]
    else:
        alert_errors = _alert_errors(alerts)
        if alert_errors:
            errors["alerts"] = alert_errors
    group_key = body.get("groupKey")
    if group_key is not None and not isinstance(group_key, str):
        errors["groupKey"] = ["Must be a string."]
    for name in ("groupLabels", "commonLabels", "commonAnnotations"):
        if body.get(name) is not None and not _str_dict(body.get(name)):
            errors[name] = ["Must map names to strings."]
    return errors


def _alert_errors(alerts: list[Any]) -> list[str]:
    errors = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict) or not _str_dict(alert.get("labels")):
            errors.append(f"alerts[{index}] must be an object whose labels map names to strings.")
        elif alert.get("status") not in ("firing", "resolved"):
            errors.append(f'alerts[{index}].status must be "firing" or "resolved".')
    return errors


def _normalized(body: dict[str, Any]) -> NormalizedEvent:
    """A valid notification as a NormalizedEvent."""
    alerts: list[dict[str, Any]] = body["alerts"]
    common_labels: dict[str, str] = body.get("commonLabels") or {}
    group_labels: dict[str, str] = body.get("groupLabels") or {}
    first_labels: dict[str, str] = alerts[0]["labels"]
    name = (
        group_labels.get("alertname")
        or common_labels.get("alertname")
        or first_labels.get("alertname", "")
    )
    group_key = body.get("groupKey")
    key = (
        bounded_dedup_key("am:", group_key)
        if group_key
        else derived_dedup_key("am:", group_labels or common_labels)
    )
    # Alertmanager says "resolved" for the group only when all its alerts are resolved;
    # checking each alert as well keeps a partial notification from closing anything.
    all_resolved = body.get("status") == "resolved" and all(
        a.get("status") == "resolved" for a in alerts
    )
    return NormalizedEvent(
        action=RESOLVE if all_resolved else TRIGGER,
        dedup_key=key,
        payload=body,
        summary=_summary(body, name, alerts)[:1024],
        source=str(body.get("externalURL") or "alertmanager")[:255],
        severity=common_labels.get("severity") or first_labels.get("severity", ""),
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


def _summary(body: dict[str, Any], name: str, alerts: list[dict[str, Any]]) -> str:
    """The common summary annotation, else the first alert's, else the common
    description, else the alert name and how many alerts fire."""
    annotations: dict[str, str] = body.get("commonAnnotations") or {}
    first_annotations: Any = alerts[0].get("annotations")
    if not _str_dict(first_annotations):
        first_annotations = {}
    firing = [a for a in alerts if a.get("status") == "firing"]
    return (
        annotations.get("summary")
        or first_annotations.get("summary")
        or annotations.get("description")
        or f"{name or 'Alertmanager alert'}: {len(firing) or len(alerts)} alert(s)"
    )
