"""The escalation policies API: policies of the caller's teams with their rules, and a
team's default policy. Views parse, call a service or selector, and render; another
team's policy is a 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import Pagination, validated_body
from common.errors import InvalidInput
from oncall.policies import selectors, services
from oncall.policies.api.serializers import (
    PolicyInputSerializer,
    PolicyOutputSerializer,
    PolicyUpdateInputSerializer,
    TeamPolicyInputSerializer,
)
from oncall.policies.models import EscalationPolicy
from oncall.teams.api.serializers import TeamOutputSerializer
from oncall.teams.selectors import team_get


class EscalationPolicyViewSet(viewsets.GenericViewSet):
    """Escalation policies of the caller's teams; team managers edit them."""

    pagination_class = Pagination
    serializer_class = PolicyOutputSerializer
    queryset = EscalationPolicy.objects.none()
    filter_backends: list = []

    def _get(self, pk):
        return selectors.escalation_policy_get(user=self.request.user, policy_id=pk)

    @extend_schema(
        parameters=[OpenApiParameter("team", int, required=False)],
        responses={200: PolicyOutputSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        policies = self.paginate_queryset(
            selectors.escalation_policy_list(
                user=request.user, team_id=request.query_params.get("team")
            )
        )
        return self.get_paginated_response(PolicyOutputSerializer(policies, many=True).data)

    @extend_schema(responses={200: PolicyOutputSerializer})
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(PolicyOutputSerializer(self._get(pk)).data)

    @extend_schema(request=PolicyInputSerializer, responses={201: PolicyOutputSerializer})
    def create(self, request: Request) -> Response:
        data = validated_body(PolicyInputSerializer, request)
        team = team_get(user=request.user, team_id=data.pop("team"))
        data["rules"] = [
            {
                "delay_minutes": r["delay_minutes"],
                "high_urgency_only": r["high_urgency_only"],
                "targets": [dict(t) for t in r["targets"]],
            }
            for r in data["rules"]
        ]
        policy = services.escalation_policy_create(actor=request.user, team=team, **data)
        return Response(
            PolicyOutputSerializer(self._get(policy.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=PolicyUpdateInputSerializer, responses={200: PolicyOutputSerializer})
    def partial_update(self, request: Request, pk=None) -> Response:
        policy = self._get(pk)
        data = validated_body(PolicyUpdateInputSerializer, request)
        if "rules" in data:
            data["rules"] = [
                {
                    "delay_minutes": r["delay_minutes"],
                    "high_urgency_only": r["high_urgency_only"],
                    "targets": [dict(t) for t in r["targets"]],
                }
                for r in data["rules"]
            ]
        services.escalation_policy_update(actor=request.user, policy=policy, **data)
        return Response(PolicyOutputSerializer(self._get(pk)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        services.escalation_policy_delete(actor=request.user, policy=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamEscalationPolicyView(APIView):
    """PUT /teams/{id}/escalation-policy/ {"escalation_policy": id | null}."""

    @extend_schema(request=TeamPolicyInputSerializer, responses={200: TeamOutputSerializer})
    def put(self, request: Request, pk: str) -> Response:
        team = team_get(user=request.user, team_id=pk)
        data = validated_body(TeamPolicyInputSerializer, request)
        policy = None
        if data["escalation_policy"] is not None:
            policy = (
                selectors.escalation_policy_list(user=request.user, team_id=team.pk)
                .filter(pk=data["escalation_policy"])
                .first()
            )
            if policy is None:
                raise InvalidInput(
                    "No such policy in this team.",
                    errors={"escalation_policy": ["Not a policy of this team."]},
                )
        team = services.team_set_escalation_policy(actor=request.user, team=team, policy=policy)
        body = dict(TeamOutputSerializer(team).data)
        body["escalation_policy"] = team.escalation_policy_id
        return Response(body)
