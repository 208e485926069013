from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import UNPAGED_LIST_LIMIT
from postmortems import markdown, selectors, services
from postmortems.api.filters import ActionItemFilter, PostmortemFilter
from postmortems.api.serializers import (
    ActionItemCreateInputSerializer,
    ActionItemOutputSerializer,
    ActionItemStatusInputSerializer,
    ActionItemUpdateInputSerializer,
    BlamelessCheckOutputSerializer,
    BoardOutputSerializer,
    PostmortemCreateInputSerializer,
    PostmortemHistoryOutputSerializer,
    PostmortemListOutputSerializer,
    PostmortemOutputSerializer,
    PostmortemUpdateInputSerializer,
    PublishInputSerializer,
    ReasonInputSerializer,
)


class MarkdownRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``Accept: text/markdown``; errors still carry their detail."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        if isinstance(data, dict) and "detail" in data:
            return f"**Error:** {data['detail']}\n".encode(self.charset)
        return b""


class PostmortemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Postmortems of the caller's teams. Status changes go through the actions."""

    serializer_class = PostmortemListOutputSerializer
    filterset_class = PostmortemFilter

    def get_queryset(self):
        return selectors.postmortem_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _get(self, pk, *, detail: bool = True):
        return selectors.postmortem_get(user=self.request.user, postmortem_id=pk, detail=detail)

    def _render(self, postmortem, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            PostmortemOutputSerializer(postmortem, context=self.get_serializer_context()).data,
            status=code,
        )

    def _respond(self, postmortem, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector so the response shows the committed state.
        return self._render(self._get(postmortem.pk), code)

    @extend_schema(responses={200: PostmortemOutputSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._render(self._get(pk))

    @extend_schema(
        request=PostmortemCreateInputSerializer, responses={201: PostmortemOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Start a postmortem for any incident (SEV1/SEV2 get one on resolution)."""
        data = PostmortemCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        postmortem = services.postmortem_create_for_incident(
            incident=data.validated_data["incident"], actor=request.user
        )
        return self._respond(postmortem, status.HTTP_201_CREATED)

    @extend_schema(
        request=PostmortemUpdateInputSerializer, responses={200: PostmortemOutputSerializer}
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Edit sections; nested lists (whys, contributing_factors, timeline_entries)
        replace the list: items with an id are updated, without one added, missing
        ones deleted. A published postmortem needs ``amendment_reason``."""
        postmortem = self._get(pk, detail=False)
        data = PostmortemUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.postmortem_update(postmortem=postmortem, actor=request.user, **data.validated_data)
        return self._respond(postmortem)

    @extend_schema(request=None, responses={200: PostmortemOutputSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        postmortem = self._get(pk, detail=False)
        services.postmortem_submit(postmortem=postmortem, actor=request.user)
        return self._respond(postmortem)

    @extend_schema(request=ReasonInputSerializer, responses={200: PostmortemOutputSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        postmortem = self._get(pk, detail=False)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.postmortem_request_changes(
            postmortem=postmortem, actor=request.user, reason=data.validated_data["reason"]
        )
        return self._respond(postmortem)

    @extend_schema(
        request=PublishInputSerializer,
        responses={
            200: PostmortemOutputSerializer,
            400: OpenApiResponse(description="Missing sections (errors by field)."),
            409: OpenApiResponse(
                description="Not in review, or blameless warnings not confirmed (`warnings`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        postmortem = self._get(pk, detail=False)
        data = PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.postmortem_publish(
            postmortem=postmortem,
            actor=request.user,
            confirm_blameless_warnings=data.validated_data["confirm_blameless_warnings"],
        )
        return self._respond(postmortem)

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, MarkdownRenderer],
        filterset_class=None,
    )
    def markdown(self, request: Request, pk: str) -> HttpResponse:
        postmortem = self._get(pk)
        response = HttpResponse(
            markdown.render(postmortem), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'inline; filename="postmortem-{postmortem.incident.reference}.md"'
        )
        return response

    @extend_schema(responses={200: BlamelessCheckOutputSerializer})
    @action(detail=True, methods=["get"], url_path="blameless-check", filterset_class=None)
    def blameless_check(self, request: Request, pk: str) -> Response:
        postmortem = self._get(pk)
        warnings = selectors.postmortem_blameless_warnings(postmortem=postmortem)
        return Response(
            BlamelessCheckOutputSerializer(
                {"count": len(warnings), "warnings": [w.as_dict() for w in warnings]}
            ).data
        )

    @extend_schema(responses={200: PostmortemHistoryOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str) -> Response:
        postmortem = self._get(pk, detail=False)
        records = selectors.postmortem_history(postmortem=postmortem)[:UNPAGED_LIST_LIMIT]
        return Response(PostmortemHistoryOutputSerializer(records, many=True).data)


class ActionItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Action items of the caller's teams. ``?owner=me`` or ``…/mine/`` for your own;
    ``…/board/`` for a team's board."""

    serializer_class = ActionItemOutputSerializer
    filterset_class = ActionItemFilter

    def get_queryset(self):
        return selectors.action_item_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _get(self, pk):
        return selectors.action_item_get(user=self.request.user, item_id=pk)

    def _render(self, item, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            ActionItemOutputSerializer(item, context=self.get_serializer_context()).data,
            status=code,
        )

    def _respond(self, item, code: int = status.HTTP_200_OK) -> Response:
        return self._render(self._get(item.pk), code)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._render(self._get(pk))

    @extend_schema(
        request=ActionItemCreateInputSerializer, responses={201: ActionItemOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = ActionItemCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        item = services.action_item_create(actor=request.user, **data.validated_data)
        return self._respond(item, status.HTTP_201_CREATED)

    @extend_schema(
        request=ActionItemUpdateInputSerializer, responses={200: ActionItemOutputSerializer}
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        item = self._get(pk)
        data = ActionItemUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.action_item_update(item=item, actor=request.user, **data.validated_data)
        return self._respond(item)

    @extend_schema(
        request=ActionItemStatusInputSerializer, responses={200: ActionItemOutputSerializer}
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str) -> Response:
        item = self._get(pk)
        data = ActionItemStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.action_item_set_status(item=item, actor=request.user, **data.validated_data)
        return self._respond(item)

    @extend_schema(responses={200: ActionItemOutputSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def mine(self, request: Request) -> Response:
        """The caller's action items, overdue first (other filters apply)."""
        items = self.filter_queryset(self.get_queryset()).filter(owner=request.user)
        today = timezone.localdate()
        rows = sorted(items, key=lambda i: (not i.is_overdue(today), i.due_date, i.pk))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            ActionItemOutputSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={200: BoardOutputSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def board(self, request: Request) -> Response:
        """A board of the filtered items (usually ``?team=ID``): one column per status,
        overdue first, then by owner; open and overdue counts per owner."""
        board = selectors.action_item_board(items=self.filter_queryset(self.get_queryset()))
        return Response(BoardOutputSerializer(board, context=self.get_serializer_context()).data)
