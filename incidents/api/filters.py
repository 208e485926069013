"""Filters of the incident and service lists."""

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from common.filters import IdFilter, StrictBooleanFilter
from incidents.models import OPEN_STATUSES, Incident, IncidentStatus, Service


class IncidentFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.CharFilter(field_name="severity__name", lookup_expr="iexact")
    service = IdFilter(field_name="services__id")
    since = django_filters.IsoDateTimeFilter(field_name="triggered_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="triggered_at", lookup_expr="lt")
    open = StrictBooleanFilter(method="filter_open")
    commander = IdFilter(field_name="commander_id")
    q = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Incident
        fields = ["team", "status", "severity", "service", "since", "until", "open"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(status__in=OPEN_STATUSES)
            if value
            else queryset.exclude(status__in=OPEN_STATUSES)
        )

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))


class ServiceFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id")

    class Meta:
        model = Service
        fields = ["team"]
