"""Forms of the core's pages: declaring an incident and its actions (status, resolve,
note, severity and roles). Error messages are written for people, in plain words."""

from django import forms
from django.contrib.auth import get_user_model

from incidents import selectors
from incidents.models import IncidentStatus, Resolution, Service
from oncall.teams.selectors import team_list


class LinkedErrorsMixin:
    """Each field with errors points at them (and at its help) with aria-describedby,
    so a screen reader reads the error with the field."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            field = self.fields[name]
            ids = [f"id_{name}_errors"] + ([f"id_{name}_helptext"] if field.help_text else [])
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class DeclareForm(LinkedErrorsMixin, forms.Form):
    """The fields of the API's declaration the page offers (scribe and communications
    lead are set on the incident page). The services and people offered are the chosen
    team's: ``team`` comes from the posted data, else ``initial_team`` (the page reloads
    the team's fields when the choice changes), else the first of the user's teams."""

    team = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        error_messages={
            "required": "Choose the team that handles the incident.",
            "invalid_choice": "Choose one of your teams.",
        },
    )
    title = forms.CharField(
        max_length=255,
        help_text="What is wrong, in a few words. Only the team sees it; the status page "
        "shows a public title.",
        error_messages={
            "required": "Give the incident a title.",
            "max_length": "Keep the title under 255 characters.",
        },
    )
    severity = forms.ModelChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose a severity.",
            "invalid_choice": "Choose one of the severities listed.",
        },
    )
    services = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose services of the selected team.",
            "invalid_pk_value": "Choose services of the selected team.",
        },
    )
    commander = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Nobody yet",
        help_text="Leads the response. You, unless you choose someone else.",
        error_messages={"invalid_choice": "Choose a member of the team."},
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What you know so far.",
    )
    impact = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Who or what is affected, e.g. “Card payments fail for about 30% of customers”.",
    )
    private = forms.BooleanField(
        required=False,
        label="Private incident",
        help_text="Only the team sees it; it never appears on the status page and no "
        "stakeholder is e-mailed (e.g. a security incident).",
    )

    def __init__(self, *args, user, initial_team=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = team_list(user=user)
        self.fields["team"].queryset = teams
        self.fields["severity"].queryset = selectors.severity_list()
        self.chosen_team = self._chosen_team(teams, initial_team)
        self.fields["services"].queryset = (
            Service.objects.filter(team=self.chosen_team).order_by("name")
            if self.chosen_team
            else Service.objects.none()
        )
        members = (
            get_user_model()
            .objects.filter(team_memberships__team=self.chosen_team)
            .order_by("username")
            if self.chosen_team
            else get_user_model().objects.none()
        )
        self.fields["commander"].queryset = members
        self.fields["commander"].label_from_instance = lambda u: u.get_username()
        if self.chosen_team is not None:
            self.initial.setdefault("team", self.chosen_team.pk)
        if user.is_authenticated and members.filter(pk=user.pk).exists():
            self.initial.setdefault("commander", user.pk)

    def _chosen_team(self, teams, initial_team):
        wanted = self.data.get("team") if self.is_bound else initial_team
        if wanted not in (None, ""):
            try:
                found = teams.filter(pk=int(wanted)).first()
            except (TypeError, ValueError, OverflowError):
                found = None
            if found is not None:
                return found
        return teams.first()

    def severity_choices(self):
        """(severity, checked, description) for the radio cards; nothing is preselected.
        The description loses a leading "Critical:" that repeats the card's label."""
        value = str(self["severity"].value() or "")
        choices = []
        for s in self.fields["severity"].queryset:
            description = s.description.strip()
            prefix = f"{s.label}:".lower()
            if description.lower().startswith(prefix):
                description = description[len(prefix) :].strip()
                description = description[:1].upper() + description[1:]
            choices.append((s, str(s.pk) == value, description))
        return choices


class MessageForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
        error_messages={"required": "Write the note first."},
    )


class StatusForm(forms.Form):
    """A status change takes a message: what changed, posted with it on the timeline."""

    status = forms.ChoiceField(
        choices=IncidentStatus.choices,
        error_messages={
            "required": "Choose the new status.",
            "invalid_choice": "Choose one of the statuses offered.",
        },
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10_000,
        error_messages={"required": "Say what changed: the message goes on the timeline."},
    )


class ResolveForm(MessageForm):
    resolution = forms.ChoiceField(
        choices=Resolution.choices,
        initial=Resolution.FIXED,
        error_messages={"invalid_choice": "Choose one of the resolutions offered."},
    )


class EditForm(forms.Form):
    """Severity and roles; the users offered are the incident team's members."""

    severity = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the severities listed."},
    )
    commander = forms.ModelChoiceField(
        queryset=None, required=False, error_messages={"invalid_choice": "Choose a team member."}
    )
    scribe = forms.ModelChoiceField(
        queryset=None, required=False, error_messages={"invalid_choice": "Choose a team member."}
    )
    communications_lead = forms.ModelChoiceField(
        queryset=None, required=False, error_messages={"invalid_choice": "Choose a team member."}
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].queryset = selectors.severity_list()
        members = get_user_model().objects.filter(team_memberships__team=incident.team)
        for role in ("commander", "scribe", "communications_lead"):
            self.fields[role].queryset = members
