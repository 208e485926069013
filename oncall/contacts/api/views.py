"""The caller's own contact methods (with their verification and test notifications),
notification rules and on-call preferences (shift notifications and the "my shifts"
iCal URL). Views parse, call a service or selector, and render; someone else's contact
method or rule is a 404."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import validated_body
from oncall.contacts import selectors, services
from oncall.contacts.api.serializers import (
    ContactMethodInputSerializer,
    ContactMethodOutputSerializer,
    ContactMethodUpdateInputSerializer,
    NotificationRuleInputSerializer,
    NotificationRuleOutputSerializer,
    NotificationRuleUpdateInputSerializer,
    PreferenceInputSerializer,
    VerifyInputSerializer,
)
from oncall.contacts.models import ContactMethod, NotificationRule


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

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="verify/send")
    def verify_send(self, request: Request, pk=None) -> Response:
        """Text or call a new 6-digit code to this phone number (one a minute)."""
        method = services.contact_method_verification_send(actor=request.user, method=self._get(pk))
        return Response(
            {
                "detail": f"A code is on its way to {method.address}.",
                "expires_at": services.verification_expires_at(method),
                "tries": services.VERIFICATION_MAX_ATTEMPTS,
            },
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=VerifyInputSerializer, responses={200: ContactMethodOutputSerializer})
    @action(detail=True, methods=["post"], url_path="verify")
    def verify(self, request: Request, pk=None) -> Response:
        """Prove the number with the code it received; it pages from then on."""
        data = validated_body(VerifyInputSerializer, request)
        method = services.contact_method_verify(
            actor=request.user, method=self._get(pk), code=data["code"]
        )
        return Response(ContactMethodOutputSerializer(method).data)

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk=None) -> Response:
        """Send a test notification through this method, as a page would be (one a minute)."""
        message = services.contact_method_send_test(actor=request.user, method=self._get(pk))
        return Response(
            {"detail": "A test notification is on its way.", "message_id": message.pk},
            status=status.HTTP_202_ACCEPTED,
        )


class NotificationRuleViewSet(viewsets.GenericViewSet):
    """The caller's own notification rules (/users/me/notification-rules/)."""

    serializer_class = NotificationRuleOutputSerializer
    queryset = NotificationRule.objects.none()
    pagination_class = None
    filter_backends: list = []

    def _get(self, pk):
        return selectors.notification_rule_get(user=self.request.user, rule_id=pk)

    @extend_schema(responses={200: NotificationRuleOutputSerializer(many=True)})
    def list(self, request: Request) -> Response:
        rules = selectors.notification_rule_list(user=request.user)
        return Response(NotificationRuleOutputSerializer(rules, many=True).data)

    @extend_schema(responses={200: NotificationRuleOutputSerializer})
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(NotificationRuleOutputSerializer(self._get(pk)).data)

    @extend_schema(
        request=NotificationRuleInputSerializer, responses={201: NotificationRuleOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = validated_body(NotificationRuleInputSerializer, request)
        rule = services.notification_rule_create(actor=request.user, **data)
        return Response(NotificationRuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=NotificationRuleUpdateInputSerializer,
        responses={200: NotificationRuleOutputSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        data = validated_body(NotificationRuleUpdateInputSerializer, request)
        rule = services.notification_rule_update(actor=request.user, rule=self._get(pk), **data)
        return Response(NotificationRuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        services.notification_rule_delete(actor=request.user, rule=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallPreferenceView(APIView):
    """/users/me/oncall-preferences/: shift notifications, the person's time zone and
    working hours (low-urgency pages wait for them), and the "my shifts" iCal URL."""

    def _body(self, preference) -> dict:
        return {
            "notify_hours_before_shift": preference.notify_hours_before_shift,
            "notify_at_shift_end": preference.notify_at_shift_end,
            "time_zone": preference.time_zone,
            "work_starts": preference.work_starts.isoformat(timespec="minutes"),
            "work_ends": preference.work_ends.isoformat(timespec="minutes"),
            "work_days": preference.work_days,
            "ical_url": settings.SITE_URL
            + reverse("feeds:user-ical-feed", args=[preference.ical_token]),
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
