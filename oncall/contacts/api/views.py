"""The caller's own contact methods and on-call preferences (shift notifications and the
"my shifts" iCal URL). Views parse, call a service or selector, and render; someone
else's contact method is a 404."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import validated_body
from oncall.contacts import selectors, services
from oncall.contacts.api.serializers import (
    ContactMethodInputSerializer,
    ContactMethodOutputSerializer,
    ContactMethodUpdateInputSerializer,
    PreferenceInputSerializer,
)
from oncall.contacts.models import ContactMethod


class ContactMethodViewSet(viewsets.GenericViewSet):
    """The caller's own contact methods (/users/me/contact-methods/)."""

    serializer_class = ContactMethodOutputSerializer
    queryset = ContactMethod.objects.none()
    pagination_class = None
    filter_backends: list = []

    def _get(self, pk):
        return selectors.contact_method_get(user=self.request.user, method_id=pk)

    @extend_schema(responses={200: ContactMethodOutputSerializer(many=True)})
    def list(self, request: Request) -> Response:
        methods = selectors.contact_method_list(user=request.user)
        return Response(ContactMethodOutputSerializer(methods, many=True).data)

    @extend_schema(responses={200: ContactMethodOutputSerializer})
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(ContactMethodOutputSerializer(self._get(pk)).data)

    @extend_schema(
        request=ContactMethodInputSerializer, responses={201: ContactMethodOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = validated_body(ContactMethodInputSerializer, request)
        method = services.contact_method_create(actor=request.user, **data)
        return Response(ContactMethodOutputSerializer(method).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ContactMethodUpdateInputSerializer,
        responses={200: ContactMethodOutputSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        data = validated_body(ContactMethodUpdateInputSerializer, request)
        method = services.contact_method_update(actor=request.user, method=self._get(pk), **data)
        return Response(ContactMethodOutputSerializer(method).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        services.contact_method_delete(actor=request.user, method=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallPreferenceView(APIView):
    """/users/me/oncall-preferences/: shift notifications and the "my shifts" iCal URL."""

    def _body(self, preference) -> dict:
        return {
            "notify_hours_before_shift": preference.notify_hours_before_shift,
            "notify_at_shift_end": preference.notify_at_shift_end,
            "ical_url": settings.SITE_URL + reverse("user-ical-feed", args=[preference.ical_token]),
        }

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(self._body(services.oncall_preference_get(actor=request.user)))

    @extend_schema(request=PreferenceInputSerializer, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request) -> Response:
        data = validated_body(PreferenceInputSerializer, request)
        preference = services.oncall_preference_set(actor=request.user, **data)
        return Response(self._body(preference))


class OnCallPreferenceRotateView(OnCallPreferenceView):
    """POST /users/me/oncall-preferences/rotate-ical-url/: revoke the "my shifts" feed URL."""

    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        preference = services.oncall_preference_rotate_ical_token(actor=request.user)
        return Response(self._body(preference))
