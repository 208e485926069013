"""The metrics page's filter form."""

from django import forms

from incidents import selectors
from oncall.teams.selectors import team_list


class MetricsForm(forms.Form):
    team = forms.ChoiceField(required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    severity = forms.ChoiceField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams")] + [
            (t.slug, t.name) for t in team_list(user=user)
        ]
        self.fields["severity"].choices = [("", "All severities")] + [
            (s.name, s.name) for s in selectors.severity_list()
        ]
