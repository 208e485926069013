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

from config.errors import InvalidInput
from oncall import services_oncall
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationRule,
    Handoff,
    OnCallPreference,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from oncall.services_oncall import time_zone_problems

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


# --- escalation policies --------------------------------------------------------------------


class RuleForm(forms.ModelForm):
    target_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), required=False
    )
    target_schedules = forms.ModelMultipleChoiceField(
        queryset=Schedule.objects.order_by("name"), required=False
    )
    target_whole_team = forms.BooleanField(required=False, label="Whole team")

    class Meta:
        model = EscalationRule
        fields = ["position", "delay_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            targets = list(self.instance.targets.all())
            self.fields["target_users"].initial = [t.user_id for t in targets if t.user_id]
            self.fields["target_schedules"].initial = [
                t.schedule_id for t in targets if t.schedule_id
            ]
            self.fields["target_whole_team"].initial = any(t.team_id for t in targets)


class RuleFormSet(BaseInlineFormSet):
    """Checked by services_oncall.rules_clean, like the API's rules."""

    def clean(self):
        super().clean()
        if self.instance.team_id is None:
            return  # the parent form says the team is missing
        forms_ = _live_forms(self)
        rules = [
            {
                "delay_minutes": form.cleaned_data.get("delay_minutes"),
                "targets": [
                    {"type": kind, "id": target_id}
                    for kind, target_id in _targets_wanted(self.instance.team_id, form.cleaned_data)
                ],
            }
            for form in forms_
        ]
        try:
            services_oncall.rules_clean(team=self.instance.team, rules=rules)
        except InvalidInput as exc:
            _service_errors_to_forms(self, forms_, exc, "rules", {})


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    form = RuleForm
    formset = RuleFormSet
    extra = 0
    ordering = ["position", "id"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "team", "repeat", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    inlines = [EscalationRuleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if not isinstance(formset, RuleFormSet):
                continue
            for rule_form in formset.forms:
                data = getattr(rule_form, "cleaned_data", None)
                if not data or data.get("DELETE") or not rule_form.instance.pk:
                    continue
                services_oncall.escalation_rule_targets_set(
                    actor=request.user,
                    rule=rule_form.instance,
                    targets=_targets_wanted(form.instance.team_id, data),
                )


def _targets_wanted(team_id: int, data: dict) -> list[tuple[str, int]]:
    wanted = [("user", u.pk) for u in data.get("target_users") or []]
    wanted += [("schedule", s.pk) for s in data.get("target_schedules") or []]
    if data.get("target_whole_team"):
        wanted.append(("team", team_id))
    return wanted


class ContactMethodForm(forms.ModelForm):
    class Meta:
        model = ContactMethod
        fields = ["user", "kind", "label", "address", "secret", "enabled", "min_interval_seconds"]

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("address") is not None:
            problems = services_oncall.contact_method_problems(data["kind"], data["address"])
            for field, messages in problems.items():
                self.add_error(field, messages)
        return data


@admin.register(ContactMethod)
class ContactMethodAdmin(SimpleHistoryAdmin):
    form = ContactMethodForm
    list_display = ["user", "kind", "label", "address", "enabled", "last_sent_at", "last_failed_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username", "address", "label"]
    autocomplete_fields = ["user"]
    readonly_fields = ["last_sent_at", "last_error", "last_failed_at"]


@admin.register(OnCallPreference)
class OnCallPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "notify_hours_before_shift", "notify_at_shift_end"]
    autocomplete_fields = ["user"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "start", "end", "recorded_at"]
    list_filter = ["schedule__team", "schedule"]
    date_hierarchy = "start"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
