"""The form that creates an API token."""

from django import forms

from oncall.tokens.models import TokenScope
from oncall.tokens.services import LIFETIME_CHOICES_DAYS

LIFETIMES = [(str(days), f"{days} days") for days in LIFETIME_CHOICES_DAYS]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “deploy script” or “Grafana”."
    )
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.TypedChoiceField(
        label="Expires after", choices=LIFETIMES, coerce=int, initial="90"
    )

    def __init__(self, *args, allow_integrations: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_integrations:
            self.fields["scope"].choices = [
                c for c in TokenScope.choices if c[0] != TokenScope.INTEGRATIONS
            ]
