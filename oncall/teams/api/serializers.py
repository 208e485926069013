"""Serializers of the teams API, the one way a person appears in every response
(``UserRefSerializer``), and the base of the on-call API's input serializers."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from common.api import StrictInputMixin
from common.limits import DESCRIPTION_LENGTH
from oncall.teams.models import Team, TeamMembership, TeamRole


class OnCallInputSerializer(StrictInputMixin, serializers.Serializer):
    """Unknown fields are an error rather than silently ignored."""

    # Base of the schedules, escalation policies and contact methods input: an unknown
    # field is a 400 "Unknown field.", reported once the known fields are valid and for the
    # request body only, as these endpoints have always answered. (The docstring is the
    # schemas' description in the API docs.)
    unknown_field_message = "Unknown field."
    unknown_fields_last = True


class UserRefSerializer(serializers.Serializer):
    """How a person appears in any response: id and username only."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class TeamOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "key", "description", "created_at"]


class TeamCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    key = serializers.CharField(max_length=10, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_LENGTH
    )


class MembershipOutputSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["user", "role", "created_at"]


class MembershipInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True)
    )
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)
