"""The API tokens API: a person's own tokens (list, create), a team's (its managers), and
rotating or revoking one token. A secret is in the answer to create and rotate only."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import validated_body
from common.errors import AccessDenied
from oncall.teams.selectors import team_get, team_is_manager
from oncall.tokens import selectors, services
from oncall.tokens.api.serializers import (
    TokenCreateInputSerializer,
    TokenOutputSerializer,
    TokenSecretOutputSerializer,
)
from oncall.tokens.models import ApiToken


def _presented_scope(request: Request) -> str | None:
    return request.auth.scope if isinstance(request.auth, ApiToken) else None


def _with_secret(token: ApiToken, raw: str) -> dict:
    token.token = raw  # type: ignore[attr-defined]
    return TokenSecretOutputSerializer(token).data


class TokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your personal API tokens. Rotate and revoke also take a team token's id (its
    managers) and, for staff, any token's."""

    serializer_class = TokenOutputSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator's request
            return ApiToken.objects.none()
        return selectors.token_list_personal(user=self.request.user)

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenSecretOutputSerializer})
    def create(self, request: Request) -> Response:
        data = validated_body(TokenCreateInputSerializer, request)
        token, raw = services.token_create(
            actor=request.user,
            request=request._request,
            presented_scope=_presented_scope(request),
            **data,
        )
        return Response(_with_secret(token, raw), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: TokenSecretOutputSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str) -> Response:
        token = selectors.token_get_manageable(user=request.user, token_id=pk)
        new, raw = services.token_rotate(actor=request.user, token=token, request=request._request)
        return Response(_with_secret(new, raw), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TokenOutputSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        token = selectors.token_get_manageable(user=request.user, token_id=pk)
        token = services.token_revoke(actor=request.user, token=token, request=request._request)
        return Response(TokenOutputSerializer(token).data)


class TeamTokenListView(APIView):
    """A team's service tokens (its managers and staff)."""

    @extend_schema(responses={200: TokenOutputSerializer(many=True)})
    def get(self, request: Request, team_id: int) -> Response:
        team = team_get(user=request.user, team_id=team_id)
        if not team_is_manager(user=request.user, team=team):
            raise AccessDenied(f"Only managers of team {team.name} (or staff) see its tokens.")
        tokens = selectors.token_list_team(team=team)
        return Response(TokenOutputSerializer(tokens, many=True).data)

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenSecretOutputSerializer})
    def post(self, request: Request, team_id: int) -> Response:
        team = team_get(user=request.user, team_id=team_id)
        data = validated_body(TokenCreateInputSerializer, request)
        token, raw = services.token_create(
            actor=request.user,
            team=team,
            request=request._request,
            presented_scope=_presented_scope(request),
            **data,
        )
        return Response(_with_secret(token, raw), status=status.HTTP_201_CREATED)
