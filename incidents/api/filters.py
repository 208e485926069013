import django_filters
from django.db.models import Q

from incidents.models import OPEN_STATUSES, Incident, IncidentStatus, Service


class IncidentFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.CharFilter(field_name="severity__name", lookup_expr="iexact")
    service = django_filters.NumberFilter(field_name="services__id")
    since = django_filters.IsoDateTimeFilter(field_name="triggered_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="triggered_at", lookup_expr="lt")
    open = django_filters.BooleanFilter(method="filter_open")
    commander = django_filters.NumberFilter(field_name="commander_id")
    q = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Incident
        fields = ["team", "status", "severity", "service", "since", "until", "open"]

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
    team = django_filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Service
        fields = ["team"]
