"""Admin for schedules, escalation policies and contact methods.

Each schedule is edited on one page (layers with their users in order, overrides), and each
policy on one page (rules with their targets). Validation is the same as the API's:
``oncall.schedules_services.layers_clean`` / ``rules_clean``.
"""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from oncall.contacts import services as contacts_services
from oncall.contacts.models import ContactMethod, OnCallPreference


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
            problems = contacts_services.contact_method_problems(data["kind"], data["address"])
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
