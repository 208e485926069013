"""Forms of the teams' pages (the services check again; these give field errors)."""

from django import forms

from oncall.teams.models import TeamRole


class PlainForm(forms.Form):
    """Labels sit above their fields: no colon after them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class InvitationForm(PlainForm):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "ana@example.com"}),
    )
    role = forms.ChoiceField(
        label="Role",
        choices=TeamRole.choices,
        initial=TeamRole.MEMBER,
    )


class NewAccountForm(PlainForm):
    """The account an invited person makes: the e-mail address is the invitation's."""

    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What you sign in with. Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 8 characters, not only digits, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") != data.get("password"):
            self.add_error("password_again", "The two passwords are not the same.")
        return data
