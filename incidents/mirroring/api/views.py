"""Integrations (where monitoring tools send alerts) and the alerts they produced."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.alerts import selectors
from incidents.api.serializers import TeamScopedPrimaryKeyField, _services_of, _teams_of
from incidents.mirroring import services as mirroring
from incidents.mirroring.models import PagerDutyMirror

# --- PagerDuty mirroring --------------------------------------------------------------


class PagerDutyMirrorOutputSerializer(serializers.ModelSerializer):
    routing_key_hint = serializers.SerializerMethodField()

    class Meta:
        model = PagerDutyMirror
        fields = ["id", "team", "service", "enabled", "routing_key_hint", "created_at"]

    def get_routing_key_hint(self, obj: PagerDutyMirror) -> str:
        return obj.routing_key[:4] + "…"


class PagerDutyMirrorCreateInputSerializer(serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=_teams_of)
    service = TeamScopedPrimaryKeyField(
        model_name="service", queryset_for_user=_services_of, required=False, allow_null=True
    )
    routing_key = serializers.CharField(max_length=64, write_only=True)
    enabled = serializers.BooleanField(required=False, default=True)


class PagerDutyMirrorUpdateInputSerializer(serializers.Serializer):
    routing_key = serializers.CharField(max_length=64, required=False)
    enabled = serializers.BooleanField(required=False)


class PagerDutyMirrorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Mirror a team's (or a service's) incidents to a PagerDuty service. The routing
    key is write-only."""

    serializer_class = PagerDutyMirrorOutputSerializer

    def get_queryset(self):
        return selectors.pagerduty_mirror_list(user=self.request.user)

    @extend_schema(
        request=PagerDutyMirrorCreateInputSerializer,
        responses={201: PagerDutyMirrorOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        data = PagerDutyMirrorCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        mirror = mirroring.pagerduty_mirror_create(actor=request.user, **data.validated_data)
        return Response(
            PagerDutyMirrorOutputSerializer(mirror).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=PagerDutyMirrorUpdateInputSerializer,
        responses={200: PagerDutyMirrorOutputSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        mirror = selectors.pagerduty_mirror_get(user=request.user, mirror_id=pk)
        data = PagerDutyMirrorUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mirror = mirroring.pagerduty_mirror_update(
            actor=request.user, mirror=mirror, **data.validated_data
        )
        return Response(PagerDutyMirrorOutputSerializer(mirror).data)

    def destroy(self, request: Request, pk: str) -> Response:
        mirror = selectors.pagerduty_mirror_get(user=request.user, mirror_id=pk)
        mirroring.pagerduty_mirror_delete(actor=request.user, mirror=mirror)
        return Response(status=status.HTTP_204_NO_CONTENT)
