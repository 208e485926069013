"""Admin for schedules and the handoffs recorded from them.

Each schedule is edited on one page (layers with their users in order, overrides).
Validation is the same as the API's: ``oncall.schedules.services.layers_clean`` and
``time_zone_problems``.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from common.admin import inline_errors_from_service, inline_forms_kept
from common.errors import InvalidInput
from oncall.audit.admin import AuditedAdminMixin
from oncall.schedules.models import Handoff, Schedule, ScheduleLayer, ScheduleOverride
from oncall.schedules.services import (
    layers_clean,
    schedule_layer_members_set,
    time_zone_problems,
)


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

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            names = sorted(
                team.memberships.filter(user__is_active=True).values_list(
                    "user__username", flat=True
                )
            )
            self.fields["users_in_order"].help_text += " Members of {}: {}.".format(
                team.name, ", ".join(names) or "none yet"
            )
        self.fields["restrictions"].help_text = (
            "Weekly windows when this layer is on call, in the schedule's zone, e.g. "
            '[{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}] '
            "(1 = Monday … 7 = Sunday; an end before the start crosses midnight). Empty: "
            "always on. Team managers edit schedules with pickers and a two-week preview "
            "on the web app's On call page."
        )
        if self.instance.pk:
            self.fields["users_in_order"].initial = ", ".join(
                m.user.get_username()
                for m in self.instance.members.select_related("user").order_by("position", "pk")
            )

    def clean_users_in_order(self):
        names = [n.strip() for n in self.cleaned_data["users_in_order"].split(",") if n.strip()]
        if not names:
            raise ValidationError("A layer needs at least one user.")
        users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
        unknown = [n for n in names if n not in users]
        if unknown:
            raise ValidationError(f"Unknown users: {', '.join(unknown)}.")
        return [users[n] for n in names]


class LayerFormSet(BaseInlineFormSet):
    """Checked by ``layers_clean``, like the API's layers."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self.instance.team_id is not None:
            kwargs["team"] = self.instance.team
        return kwargs

    def clean(self):
        super().clean()
        if self.instance.team_id is None:
            return  # the parent form says the team is missing
        forms_ = inline_forms_kept(self)
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
            layers_clean(team=self.instance.team, layers=specs)
        except InvalidInput as exc:
            inline_errors_from_service(
                forms_, exc, what="layers", field_names={"users": "users_in_order"}
            )


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
class ScheduleAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    form = ScheduleForm
    list_display = ["name", "team", "time_zone", "created_at"]
    list_select_related = ["team"]
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
                schedule_layer_members_set(
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
