"""The forms of the drill pages, with errors in plain words."""

from django import forms
from django.contrib.auth import get_user_model

from incidents.models import Service, Severity
from oncall.teams.selectors import team_list_managed
from postmortems.models import ActionItemPriority
from runbooks.models import Runbook


class DrillScheduleForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        error_messages={"required": "Choose the team to drill."},
    )
    title = forms.CharField(
        max_length=200,
        help_text="What the alert will say, e.g. “Checkout database fails over”.",
        error_messages={"required": "Give the drill a title."},
    )
    scenario = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the responders will face, if no runbook says it.",
    )
    severity = forms.ModelChoiceField(queryset=Severity.objects.all(), empty_label=None)
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="The whole team")
    runbook = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Any runbook that matches",
        help_text="The runbook the responders should find from the incident.",
    )
    scheduled_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="In your time zone.",
        error_messages={
            "required": "Choose when the drill starts.",
            "invalid": "Give a date and time.",
        },
    )
    announced = forms.BooleanField(
        required=False,
        initial=True,
        label="Announce it to the team now",
        help_text="Unannounced: nobody hears of it until it pages.",
    )
    postmortem_required = forms.BooleanField(required=False, label="Ask for a postmortem")
    fault_start_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Chaos tool: start webhook",
        help_text="Called (signed) when the drill starts.",
    )
    fault_stop_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Chaos tool: stop webhook",
        help_text="Called (signed) when the drill ends.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = team_list_managed(user=user)
        self.fields["team"].queryset = teams
        self.fields["service"].queryset = Service.objects.filter(team__in=teams).select_related(
            "team"
        )
        self.fields["runbook"].queryset = Runbook.objects.filter(team__in=teams).order_by("title")
        self.fields["service"].label_from_instance = lambda s: f"{s.team.name}: {s.name}"


class FindingPromoteForm(forms.Form):
    title = forms.CharField(max_length=255, required=False)
    owner = forms.ModelChoiceField(
        queryset=None, empty_label=None, error_messages={"required": "Choose an owner."}
    )
    priority = forms.ChoiceField(choices=ActionItemPriority.choices, initial=ActionItemPriority.P2)
    due_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose a due date.", "invalid": "Give a date."},
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(team_memberships__team=team).order_by("username")
        )
