"""The teams API: list and read teams, create them (staff), add and remove members
(the team's managers)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from oncall.teams import selectors, services
from oncall.teams.api.serializers import (
    MembershipInputSerializer,
    MembershipOutputSerializer,
    TeamCreateInputSerializer,
    TeamOutputSerializer,
)


class TeamViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Teams the caller belongs to (staff: all). Only staff create teams; a team's
    managers add and remove its members."""

    serializer_class = TeamOutputSerializer

    def get_queryset(self):
        return selectors.team_list(user=self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        team = selectors.team_get(user=request.user, team_id=pk)
        return Response(TeamOutputSerializer(team).data)

    @extend_schema(request=TeamCreateInputSerializer, responses={201: TeamOutputSerializer})
    def create(self, request: Request) -> Response:
        data = TeamCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(actor=request.user, **data.validated_data)
        return Response(TeamOutputSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: MembershipOutputSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=MembershipInputSerializer,
        responses={201: MembershipOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def members(self, request: Request, pk: str) -> Response:
        team = selectors.team_get(user=request.user, team_id=pk)
        if request.method == "GET":
            memberships = selectors.team_membership_list(team=team)
            return Response(MembershipOutputSerializer(memberships, many=True).data)
        data = MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.team_member_add(
            actor=request.user,
            team=team,
            user_id=data.validated_data["user"].pk,
            role=data.validated_data["role"],
        )
        return Response(MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)")
    def remove_member(self, request: Request, pk: str, user_id: str) -> Response:
        team = selectors.team_get(user=request.user, team_id=pk)
        services.team_member_remove(actor=request.user, team=team, user_id=int(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
