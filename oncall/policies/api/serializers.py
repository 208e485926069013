from rest_framework import serializers

from oncall.policies.models import EscalationPolicy, TargetType
from oncall.schedules.api.serializers import StrictSerializer


class TargetSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=TargetType.choices)
    id = serializers.IntegerField()


class RuleInputSerializer(StrictSerializer):
    delay_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    targets = TargetSerializer(many=True, allow_empty=False)


class PolicyInputSerializer(StrictSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    repeat = serializers.IntegerField(min_value=0, max_value=9, default=0)
    rules = RuleInputSerializer(many=True, allow_empty=False)


class PolicyUpdateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    repeat = serializers.IntegerField(min_value=0, max_value=9, required=False)
    rules = RuleInputSerializer(many=True, required=False, allow_empty=False)


class TeamPolicyInputSerializer(StrictSerializer):
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
                "targets": [{"type": t.type, "id": t.target_id} for t in rule.targets.all()],
            }
            for rule in policy.rules.all()
        ]
