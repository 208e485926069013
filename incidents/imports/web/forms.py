from django import forms

from common.outbound import outbound_url_problems
from incidents.imports.sources import SOURCE_LABELS


class ImportSourceForm(forms.Form):
    source = forms.ChoiceField(label="From", choices=list(SOURCE_LABELS.items()))
    token = forms.CharField(
        label="API token",
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Read-only is enough. It is used for this read only and never stored.",
    )
    base_url = forms.URLField(
        label="API address",
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text="Leave empty for the product's public API; give another region's or a "
        "self-hosted install's address.",
    )
    teams = forms.CharField(
        label="Only these teams",
        required=False,
        max_length=1000,
        help_text="The source's team ids, separated by spaces or commas; empty: everything "
        "the token can see.",
    )

    def clean_base_url(self) -> str:
        # The page sends a token to this address from inside Tocsin's network: the same
        # guard as every address people type (OUTBOUND_ALLOW_PRIVATE_NETWORKS lifts it,
        # for a self-hosted source inside the network).
        url = self.cleaned_data.get("base_url") or ""
        if url:
            problems = outbound_url_problems(url)
            if problems:
                raise forms.ValidationError(problems)
        return url

    def team_ids(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("teams") or ""
        return tuple(part for part in raw.replace(",", " ").split() if part)
