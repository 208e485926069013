import django_filters
from django.utils import timezone

from runbooks.models import Runbook


class RunbookFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    service = django_filters.NumberFilter(field_name="services__id")
    stale = django_filters.BooleanFilter(method="filter_stale")
    q = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Runbook
        fields = ["team", "service", "stale"]

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        return (
            queryset.filter(review_due_at__lte=now)
            if value
            else queryset.filter(review_due_at__gt=now)
        )

    def filter_search(self, queryset, name, value):
        return queryset.filter(title__icontains=value)
