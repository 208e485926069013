"""The metrics page's filter form."""

from django import forms

from incidents import selectors
from oncall.teams.selectors import team_list


class MetricsForm(forms.Form):
    team = forms.ChoiceField(required=False, label="Team")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False,
        label="To",
        help_text="Not included: up to the start of that day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    severity = forms.ChoiceField(required=False, label="Severity")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams")] + [
            (t.slug, t.name) for t in team_list(user=user)
        ]
        self.fields["severity"].choices = [("", "All severities")] + [
            (s.name, s.name) for s in selectors.severity_list()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Choose an end date after the start date.")
        return data
