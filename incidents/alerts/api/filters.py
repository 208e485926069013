"""Filters of the alerts list: by integration, incident, open or name, a text search
(``q``) and a label (``label=severity:critical``)."""

import django_filters
from django.db.models import QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from incidents.alerts import selectors
from incidents.alerts.models import Alert


class AlertFilter(django_filters.FilterSet):
    integration = django_filters.NumberFilter(field_name="integration_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    open = django_filters.BooleanFilter(field_name="is_open")
    name = django_filters.CharFilter(field_name="name")
    q = django_filters.CharFilter(method="filter_search", max_length=200)
    label = django_filters.CharFilter(method="filter_label", max_length=300)

    class Meta:
        model = Alert
        fields = ["integration", "incident", "open", "name"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.alert_search_filter(value))

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """``label=severity:critical`` (labels are what runbook matchers read)."""
        key, sep, label_value = value.partition(":")
        if not sep or not key.strip():
            return queryset.none()
        # The key is one JSON key taken literally: it never becomes part of an ORM lookup
        # (``a__regex`` is the label named "a__regex", not a regular expression on "a").
        text = Cast(KeyTextTransform(key.strip(), "labels"), TextField())
        return queryset.alias(_label=text).filter(_label=label_value.strip())
