"""The incident page's "Share update" form: who hears, the message, and what the status
page says about the incident (state, public title) and whether customers are affected."""

from typing import Any

from django import forms

from incidents.communication import status_state
from incidents.communication.models import StatusPageState, UpdateAudience
from incidents.communication.selectors import StatusPagePresence

AUDIENCE_CHOICES = [
    (UpdateAudience.PUBLIC, "Public: the status page, and an e-mail to the stakeholders"),
    (UpdateAudience.STAKEHOLDERS, "Stakeholders: an e-mail to the team's stakeholder list only"),
    (UpdateAudience.INTERNAL, "Internal: the team only (timeline and Slack)"),
]
IMPACT_CHOICES = [
    ("", "Decide from the impact statement"),
    ("yes", "Yes"),
    ("no", "No"),
]
IMPACT_VALUES = {"": None, "yes": True, "no": False}


class ShareUpdateForm(forms.Form):
    audience = forms.ChoiceField(
        choices=AUDIENCE_CHOICES,
        widget=forms.RadioSelect,
        label="Who is it for",
        error_messages={
            "required": "Choose who the update is for.",
            "invalid_choice": "Choose one of the audiences listed.",
        },
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        label="Update",
        help_text="Plain words for the people reading it: what is affected, what you are "
        "doing, when you will update next.",
        error_messages={
            "required": "Write the update to share.",
            "max_length": "Keep the update under 10,000 characters.",
        },
    )
    status_page_state = forms.ChoiceField(
        choices=[],
        required=False,
        label="Status page shows",
        error_messages={"invalid_choice": "Choose one of the states listed."},
    )
    public_title = forms.CharField(
        max_length=255,
        required=False,
        label="Public title",
        error_messages={"max_length": "Keep the public title under 255 characters."},
    )
    customer_impact = forms.ChoiceField(
        choices=IMPACT_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        label="Customers affected",
        error_messages={"invalid_choice": "Choose yes, no, or decide from the impact."},
    )

    def __init__(self, *args, presence: StatusPagePresence, **kwargs):
        super().__init__(*args, **kwargs)
        incident = presence.incident
        derived = status_state.incident_state(severity_level=incident.severity.level)
        self.fields["status_page_state"].choices = [
            ("", f"As the severity says ({StatusPageState(derived).label})"),
            *StatusPageState.choices,
        ]
        neutral = status_state.neutral_title(s.name for s in presence.public_services)
        self.fields[
            "public_title"
        ].help_text = f"Never the internal title. Leave empty to show “{neutral}”."
        self.fields["public_title"].widget.attrs["placeholder"] = neutral
        self.initial.setdefault(
            "audience", UpdateAudience.PUBLIC if presence.shown else UpdateAudience.INTERNAL
        )
        self.initial.setdefault("status_page_state", presence.status_page_state)
        self.initial.setdefault("public_title", presence.public_title)
        impact = {None: "", True: "yes", False: "no"}[presence.customer_impact]
        self.initial.setdefault("customer_impact", impact)
        for name in self.errors if self.is_bound else ():
            if name in self.fields:
                ids = [f"id_{name}_errors"]
                if self.fields[name].help_text:
                    ids.append(f"id_{name}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def communication(self) -> dict[str, Any]:
        """What the status page should say, for status_update_share."""
        data = self.cleaned_data
        return {
            "status_page_state": data["status_page_state"],
            "public_title": data["public_title"].strip(),
            "customer_impact": IMPACT_VALUES[data["customer_impact"]],
        }
