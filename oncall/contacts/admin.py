"""Admin for contact methods (with their notification rules inline) and on-call
preferences. A contact method's address is checked as the API checks it
(``oncall.contacts.services.contact_method_problems``), a rule as the API checks it
(``notification_rule_problems``); a phone number changed here must be verified again."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.history import attribute_history
from oncall.contacts.models import ContactMethod, NotificationRule, OnCallPreference
from oncall.contacts.services import (
    contact_method_problems,
    contact_method_verification_reset,
    notification_rule_problems,
)


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


class NotificationRuleForm(forms.ModelForm):
    class Meta:
        model = NotificationRule
        fields = ["urgency", "delay_minutes", "position"]

    def clean(self):
        data = super().clean()
        # The inline's parent is the rule's method, and its person the rule's person.
        method = getattr(self, "parent_method", None)
        if method is None or method.pk is None or data.get("DELETE"):
            return data
        if data.get("urgency") and data.get("delay_minutes") is not None:
            problems = notification_rule_problems(
                user=method.user,
                urgency=data["urgency"],
                delay_minutes=data["delay_minutes"],
                contact_method_id=method.pk,
                rule_id=self.instance.pk,
            )
            problems.pop("contact_method", None)  # the parent: the person's own by design
            for field, messages in problems.items():
                self.add_error(field, messages)
        return data


class NotificationRuleFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.parent_method = self.instance
        return form

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            key = (data.get("urgency"), data.get("delay_minutes"))
            if key in seen:
                form.add_error("delay_minutes", "Two rules of this method at the same delay.")
            seen.add(key)


class NotificationRuleInline(admin.TabularInline):
    """The person's rules that use this method (the rule's person is the method's)."""

    model = NotificationRule
    form = NotificationRuleForm
    formset = NotificationRuleFormSet
    fk_name = "contact_method"
    extra = 0
    ordering = ["urgency", "delay_minutes", "position"]


@admin.register(ContactMethod)
class ContactMethodAdmin(SimpleHistoryAdmin):
    form = ContactMethodForm
    inlines = [NotificationRuleInline]
    list_display = [
        "user",
        "kind",
        "label",
        "address",
        "enabled",
        "verified_at",
        "last_sent_at",
        "last_failed_at",
    ]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username", "address", "label"]
    autocomplete_fields = ["user"]
    readonly_fields = ["verified_at", "last_sent_at", "last_error", "last_failed_at"]

    def get_inlines(self, request, obj):
        # Rules name a saved method: they are added once the method exists.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change and "address" in form.changed_data and obj.needs_verification:
            contact_method_verification_reset(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not NotificationRule:
            return super().save_formset(request, form, formset, change)
        for rule in formset.save(commit=False):
            rule.user_id = form.instance.user_id
            attribute_history(rule, request.user).save()
        for rule in formset.deleted_objects:
            attribute_history(rule, request.user).delete()
        # A method moved to another person takes its rules along.
        for rule in NotificationRule.objects.filter(contact_method=form.instance).exclude(
            user_id=form.instance.user_id
        ):
            rule.user_id = form.instance.user_id
            attribute_history(rule, request.user).save(update_fields=["user"])
        return None


@admin.register(OnCallPreference)
class OnCallPreferenceAdmin(SimpleHistoryAdmin):
    list_display = [
        "user",
        "time_zone",
        "work_starts",
        "work_ends",
        "work_days",
        "notify_hours_before_shift",
        "notify_at_shift_end",
    ]
    autocomplete_fields = ["user"]
