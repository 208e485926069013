"""Serializers of the escalation policies API: a policy with its rules and their
targets (input and output), and a team's default policy (input)."""

from rest_framework import serializers

from common.limits import DESCRIPTION_LENGTH
from oncall.policies.models import EscalationPolicy, TargetType
from oncall.teams.api.serializers import OnCallInputSerializer


class TargetSerializer(OnCallInputSerializer):
    type = serializers.ChoiceField(choices=TargetType.choices)
    id = serializers.IntegerField()


class RuleInputSerializer(OnCallInputSerializer):
    delay_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    targets = TargetSerializer(many=True, allow_empty=False)
    high_urgency_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Page this rule only for high-urgency incidents (low urgency skips it).",
    )


class PolicyInputSerializer(OnCallInputSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_LENGTH
    )
    repeat = serializers.IntegerField(min_value=0, max_value=9, default=0)
    rules = RuleInputSerializer(many=True, allow_empty=False)


class PolicyUpdateInputSerializer(OnCallInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_LENGTH
    )
    repeat = serializers.IntegerField(min_value=0, max_value=9, required=False)
    rules = RuleInputSerializer(many=True, required=False, allow_empty=False)


class TeamPolicyInputSerializer(OnCallInputSerializer):
    escalation_policy = serializers.IntegerField(allow_null=True)


class PolicyOutputSerializer(serializers.ModelSerializer):
    rules = serializers.SerializerMethodField()

    class Meta:
        model = EscalationPolicy
        fields = ["id", "team", "name", "description", "repeat", "rules"]

    def get_rules(self, policy) -> list[dict]:
        return [
            {
                "delay_minutes": rule.delay_minutes,
                "high_urgency_only": rule.high_urgency_only,
                "targets": [{"type": t.type, "id": t.target_id} for t in rule.targets.all()],
            }
            for rule in policy.rules.all()
        ]
