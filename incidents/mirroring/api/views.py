"""PagerDuty mirrors of the caller's teams: thin views over the room's selectors and
services (only team managers configure mirroring)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.mirroring import selectors, services
from incidents.mirroring.api.serializers import (
    PagerDutyMirrorCreateInputSerializer,
    PagerDutyMirrorOutputSerializer,
    PagerDutyMirrorUpdateInputSerializer,
)


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
        mirror = services.pagerduty_mirror_create(actor=request.user, **data.validated_data)
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
        mirror = services.pagerduty_mirror_update(
            actor=request.user, mirror=mirror, **data.validated_data
        )
        return Response(PagerDutyMirrorOutputSerializer(mirror).data)

    def destroy(self, request: Request, pk: str) -> Response:
        mirror = selectors.pagerduty_mirror_get(user=request.user, mirror_id=pk)
        services.pagerduty_mirror_delete(actor=request.user, mirror=mirror)
        return Response(status=status.HTTP_204_NO_CONTENT)
