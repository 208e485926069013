"""Admin for escalation policies.

Each policy is edited on one page (rules with their targets: users, schedules, the whole
team). Validation is the same as the API's: ``oncall.policies.services.rules_clean``.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from common.admin import inline_errors_from_service, inline_forms_kept
from common.errors import InvalidInput
from oncall.audit.admin import AuditedAdminMixin
from oncall.policies.models import EscalationPolicy, EscalationRule
from oncall.policies.services import escalation_rule_targets_set, rules_clean
from oncall.schedules.models import Schedule


def _targets_wanted(team_id: int, data: dict) -> list[tuple[str, int]]:
    """The ``(type, id)`` targets a rule form asks for."""
    wanted = [("user", u.pk) for u in data.get("target_users") or []]
    wanted += [("schedule", s.pk) for s in data.get("target_schedules") or []]
    if data.get("target_whole_team"):
        wanted.append(("team", team_id))
    return wanted


class ScheduleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.team.name})"


class RuleForm(forms.ModelForm):
    """A rule's targets; on a policy that has a team, the pickers list only that team's
    people and schedules (``RuleFormSet.get_form_kwargs``)."""

    target_users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    target_schedules = ScheduleChoiceField(
        queryset=Schedule.objects.select_related("team").order_by("team__name", "name"),
        required=False,
    )
    target_whole_team = forms.BooleanField(required=False, label="Whole team")

    class Meta:
        model = EscalationRule
        fields = ["position", "delay_minutes", "high_urgency_only"]

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            users = self.fields["target_users"]
            users.queryset = users.queryset.filter(team_memberships__team=team)
            schedules = self.fields["target_schedules"]
            schedules.queryset = schedules.queryset.filter(team=team)
        if self.instance.pk:
            targets = list(self.instance.targets.all())
            self.fields["target_users"].initial = [t.user_id for t in targets if t.user_id]
            self.fields["target_schedules"].initial = [
                t.schedule_id for t in targets if t.schedule_id
            ]
            self.fields["target_whole_team"].initial = any(t.team_id for t in targets)


class RuleFormSet(BaseInlineFormSet):
    """Checked by ``rules_clean``, like the API's rules."""

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
        rules = [
            {
                "delay_minutes": form.cleaned_data.get("delay_minutes"),
                "high_urgency_only": bool(form.cleaned_data.get("high_urgency_only")),
                "targets": [
                    {"type": kind, "id": target_id}
                    for kind, target_id in _targets_wanted(self.instance.team_id, form.cleaned_data)
                ],
            }
            for form in forms_
        ]
        try:
            rules_clean(team=self.instance.team, rules=rules)
        except InvalidInput as exc:
            inline_errors_from_service(forms_, exc, what="rules", field_names={})


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    form = RuleForm
    formset = RuleFormSet
    extra = 0
    ordering = ["position", "id"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
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
                escalation_rule_targets_set(
                    actor=request.user,
                    rule=rule_form.instance,
                    targets=_targets_wanted(form.instance.team_id, data),
                )
