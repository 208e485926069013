import django_filters
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from postmortems.models import (
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    Postmortem,
    PostmortemStatus,
)


class PostmortemFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="incident__team_id")
    status = django_filters.MultipleChoiceFilter(choices=PostmortemStatus.choices)
    incident = django_filters.NumberFilter(field_name="incident_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    breached = django_filters.BooleanFilter(
        field_name="sla_breached_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Postmortem
        fields = ["team", "status", "incident", "owner", "breached"]


class ActionItemFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="incident__team_id")
    owner = django_filters.CharFilter(method="filter_owner")
    status = django_filters.MultipleChoiceFilter(choices=ActionItemStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ActionItemPriority.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    postmortem = django_filters.NumberFilter(field_name="postmortem_id")
    incident = django_filters.NumberFilter(field_name="incident_id")

    class Meta:
        model = ActionItem
        fields = ["team", "owner", "status", "priority", "overdue", "postmortem", "incident"]

    def filter_owner(self, queryset, name, value):
        if value == "me":
            return queryset.filter(owner=self.request.user)
        try:
            owner_id = int(value)
        except ValueError:
            raise ValidationError({"owner": ['Give a user id or "me".']}) from None
        if not 0 < owner_id < 2**63:
            raise ValidationError({"owner": ['Give a user id or "me".']})
        return queryset.filter(owner_id=owner_id)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(status__in=OPEN_ACTION_ITEM_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
