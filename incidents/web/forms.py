"""Forms of the core's pages: declaring an incident and its actions (status, resolve,
note, severity and roles)."""

from django import forms
from django.contrib.auth import get_user_model

from incidents import selectors
from incidents.models import IncidentStatus, Resolution
from oncall.teams.selectors import team_list


class DeclareForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=255)
    severity = forms.ModelChoiceField(queryset=None, empty_label=None)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_list(user=user)
        self.fields["severity"].queryset = selectors.severity_list()
        self.fields["severity"].label_from_instance = lambda s: f"{s.name} – {s.label}"


class MessageForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(MessageForm):
    status = forms.ChoiceField(choices=IncidentStatus.choices)


class ResolveForm(MessageForm):
    resolution = forms.ChoiceField(choices=Resolution.choices, initial=Resolution.FIXED)


class EditForm(forms.Form):
    """Severity and roles; the users offered are the incident team's members."""

    severity = forms.ModelChoiceField(queryset=None, empty_label=None)
    commander = forms.ModelChoiceField(queryset=None, required=False)
    scribe = forms.ModelChoiceField(queryset=None, required=False)
    communications_lead = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].queryset = selectors.severity_list()
        members = get_user_model().objects.filter(team_memberships__team=incident.team)
        for role in ("commander", "scribe", "communications_lead"):
            self.fields[role].queryset = members
