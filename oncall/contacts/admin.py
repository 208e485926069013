"""Admin for contact methods and on-call preferences. A contact method's address is
checked as the API checks it: ``oncall.contacts.services.contact_method_problems``."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from oncall.contacts.models import ContactMethod, OnCallPreference
from oncall.contacts.services import contact_method_problems


class ContactMethodForm(forms.ModelForm):
    class Meta:
        model = ContactMethod
        fields = ["user", "kind", "label", "address", "secret", "enabled", "min_interval_seconds"]

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("address") is not None:
            problems = contact_method_problems(data["kind"], data["address"])
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
