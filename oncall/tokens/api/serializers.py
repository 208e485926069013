"""Input and output of the API tokens API."""

from rest_framework import serializers

from common.api import StrictInputMixin
from oncall.tokens.models import TOKEN_STATES, ApiToken, TokenScope
from oncall.tokens.services import MAX_LIFETIME_DAYS


class TokenCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=MAX_LIFETIME_DAYS)


class TokenOutputSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(source="display_prefix")
    state = serializers.ChoiceField(choices=TOKEN_STATES)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    replaced_by = serializers.IntegerField(source="replaced_by_id", allow_null=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "state",
            "team",
            "created_at",
            "created_by",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "replaced_by",
        ]
        read_only_fields = fields


class TokenSecretOutputSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="The secret: shown this once, never again.")

    class Meta(TokenOutputSerializer.Meta):
        fields = [*TokenOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields
