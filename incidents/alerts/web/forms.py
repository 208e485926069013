"""The form that creates an integration: the choices a person understands (the teams
they manage, those teams' services grouped by team, the severities by name and label),
turned into the keyword arguments of ``integration_create``. The service still checks
everything (manager, service of the team, severity names)."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from common.errors import DomainError
from incidents import selectors as incident_selectors
from incidents.alerts.models import IntegrationKind
from incidents.models import Service
from oncall.teams.models import Team

WEBHOOK_FIELDS = ("title_path", "dedup_key_path", "severity_path", "resolve_path", "resolve_value")


class IntegrationForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    name = forms.CharField(
        max_length=100, help_text="What sends the alerts, e.g. “Production Prometheus”."
    )
    kind = forms.ChoiceField(
        label="Sends",
        choices=IntegrationKind.choices,
        initial=IntegrationKind.EVENTS_V2,
        help_text="Events API v2 suits anything built for PagerDuty, and scripts.",
    )
    service = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        help_text="The service its incidents are about (optional).",
    )
    default_severity = forms.ChoiceField(
        label="Severity when the alert has none we know",
        help_text="critical, error, warning and info become SEV1 to SEV4.",
    )
    title_path = forms.CharField(
        max_length=200,
        required=False,
        label="Title field",
        help_text="Where the title is in the posted JSON, e.g. alert.title.",
    )
    dedup_key_path = forms.CharField(
        max_length=200,
        required=False,
        label="Dedup key field",
        help_text="Repeats with the same value count as one alert, e.g. alert.id.",
    )
    severity_path = forms.CharField(
        max_length=200, required=False, label="Severity field", help_text="e.g. alert.severity."
    )
    resolve_path = forms.CharField(
        max_length=200,
        required=False,
        label="Resolve field",
        help_text="A field whose value says the alert is over, e.g. alert.state.",
    )
    resolve_value = forms.CharField(
        max_length=200,
        required=False,
        label="Resolve value",
        help_text="The value of that field that means resolved, e.g. ok.",
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        services = (
            Service.objects.filter(team__in=teams).select_related("team").order_by("team__name")
        )
        grouped: dict[str, list[tuple[int, str]]] = {}
        for service in services.order_by("team__name", "name"):
            grouped.setdefault(service.team.name, []).append((service.pk, service.name))
        self.fields["service"].choices = [("", "No service"), *grouped.items()]
        severities = list(incident_selectors.severity_list())
        self.fields["default_severity"].choices = [
            (s.name, f"{s.name} – {s.label}") for s in severities
        ]
        if any(s.name == "SEV3" for s in severities):
            self.fields["default_severity"].initial = "SEV3"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        service_id = data.get("service")
        team = data.get("team")
        if service_id is not None and team is not None:
            service = Service.objects.filter(pk=service_id).first()
            if service is None or service.team_id != team.pk:
                self.add_error("service", f"Choose a service of team {team.name}, or none.")
            else:
                data["service"] = service
        if data.get("resolve_path") and not data.get("resolve_value"):
            self.add_error("resolve_value", "Say which value of the resolve field means resolved.")
        return data

    def create_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``integration_create`` (without ``actor``)."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "team": data["team"],
            "name": data["name"],
            "kind": data["kind"],
            "default_severity": data["default_severity"],
        }
        if data.get("service") is not None:
            arguments["service"] = data["service"]
        if data["kind"] == IntegrationKind.WEBHOOK:
            arguments.update({name: data.get(name, "") for name in WEBHOOK_FIELDS})
        return arguments

    def add_domain_error(self, error: DomainError) -> None:
        """The service's message, on the fields it names where the form has them."""
        placed = False
        for field, messages in error.errors.items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed:
            self.add_error(None, error.detail)
