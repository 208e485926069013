"""Admin for schedules, escalation policies and contact methods.

Each schedule is edited on one page (layers with their users in order, overrides), and each
policy on one page (rules with their targets). Validation is the same as the API's:
``oncall.services_oncall.layers_clean`` / ``rules_clean``.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from common.errors import InvalidInput
from oncall.schedules import services as services_oncall
from oncall.schedules.models import Handoff, Schedule, ScheduleLayer, ScheduleOverride
from oncall.schedules.services import time_zone_problems

User = get_user_model()


def _errors_text(exc: InvalidInput) -> list[str]:
    return [f"{key}: {message}" for key, messages in exc.errors.items() for message in messages]


# --- schedules ----------------------------------------------------------------------------


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ["team", "name", "description", "time_zone", "ical_token"]

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        problems = time_zone_problems(value)
        if problems:
            raise ValidationError(problems)
        return value


class LayerForm(forms.ModelForm):
    users_in_order = forms.CharField(
        label="Users in order",
        help_text="Usernames separated by commas, in rotation order (repeats allowed).",
        widget=forms.TextInput(attrs={"size": 40}),
    )

    class Meta:
        model = ScheduleLayer
        fields = [
            "position",
            "name",
            "users_in_order",
            "rotation",
            "shift_length_hours",
            "handoff_time",
            "start",
            "restrictions",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["users_in_order"].initial = ", ".join(
                m.user.get_username()
                for m in self.instance.members.select_related("user").order_by("position", "pk")
            )

    def clean_users_in_order(self):
        names = [n.strip() for n in self.cleaned_data["users_in_order"].split(",") if n.strip()]
        if not names:
            raise ValidationError("A layer needs at least one user.")
        users = {u.get_username(): u for u in User.objects.filter(username__in=names)}
        unknown = [n for n in names if n not in users]
        if unknown:
            raise ValidationError(f"Unknown users: {', '.join(unknown)}.")
        return [users[n] for n in names]


def _live_forms(formset) -> list:
    """The inline forms that stay (with what of them is valid)."""
    return [
        form
        for form in formset.forms
        if hasattr(form, "cleaned_data")
        and not form.cleaned_data.get("DELETE")
        and (form.instance.pk or form.has_changed())
    ]


def _service_errors_to_forms(formset, forms_: list, exc: InvalidInput, what: str, names: dict):
    """Put the errors of layers_clean / rules_clean (keyed ``what[i].field…``) on the
    inline forms they are about; the rest on the formset."""
    general: list[str] = []
    for key, messages in exc.errors.items():
        index, _, rest = key.removeprefix(f"{what}[").partition("]")
        if not index.isdigit() or int(index) >= len(forms_):
            general.extend(messages)
            continue
        form = forms_[int(index)]
        field = names.get(rest.lstrip(".").split("[")[0], rest.lstrip(".").split("[")[0])
        if field in form.errors:
            continue  # the field's own check said it already
        form.add_error(field if field in form.fields else None, messages)
    if general:
        raise ValidationError(general)


class LayerFormSet(BaseInlineFormSet):
    """Checked by services_oncall.layers_clean, like the API's layers."""

    def clean(self):
        super().clean()
        if self.instance.team_id is None:
            return  # the parent form says the team is missing
        forms_ = _live_forms(self)
        specs = [
            {
                "users": form.cleaned_data.get("users_in_order") or [],
                "rotation": form.cleaned_data.get("rotation"),
                "shift_length_hours": form.cleaned_data.get("shift_length_hours"),
                "handoff_time": form.cleaned_data.get("handoff_time"),
                "start": form.cleaned_data.get("start"),
                "restrictions": form.cleaned_data.get("restrictions"),
            }
            for form in forms_
        ]
        try:
            services_oncall.layers_clean(team=self.instance.team, layers=specs)
        except InvalidInput as exc:
            _service_errors_to_forms(self, forms_, exc, "layers", {"users": "users_in_order"})


class ScheduleLayerInline(admin.StackedInline):
    model = ScheduleLayer
    form = LayerForm
    formset = LayerFormSet
    extra = 0
    ordering = ["position", "id"]


class ScheduleOverrideInline(admin.TabularInline):
    model = ScheduleOverride
    extra = 0
    autocomplete_fields = ["user"]
    ordering = ["start"]


@admin.register(Schedule)
class ScheduleAdmin(SimpleHistoryAdmin):
    form = ScheduleForm
    list_display = ["name", "team", "time_zone", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    inlines = [ScheduleLayerInline, ScheduleOverrideInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if not isinstance(formset, LayerFormSet):
                continue
            for layer_form in formset.forms:
                data = getattr(layer_form, "cleaned_data", None)
                if not data or data.get("DELETE") or not layer_form.instance.pk:
                    continue
                services_oncall.schedule_layer_members_set(
                    actor=request.user,
                    layer=layer_form.instance,
                    user_ids=[u.pk for u in data["users_in_order"]],
                )


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "start", "end", "recorded_at"]
    list_filter = ["schedule__team", "schedule"]
    date_hierarchy = "start"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
