from django.contrib.auth import get_user_model
from rest_framework import serializers

from oncall.teams.models import Team, TeamMembership, TeamRole


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
    description = serializers.CharField(required=False, allow_blank=True, default="")


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
