"""Output of the readiness report (read-only: the report has no input)."""

from rest_framework import serializers

from readiness.report.checks import CHECK_KEYS


class ReadinessGapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ReadinessFindingOutputSerializer(serializers.Serializer):
    subject_type = serializers.ChoiceField(
        choices=["schedule", "user", "policy", "service", "runbook"]
    )
    subject_id = serializers.IntegerField()
    subject = serializers.CharField(help_text="The schedule's, person's, policy's … name.")
    problem = serializers.CharField()
    fix_label = serializers.CharField()
    fix_url = serializers.CharField(help_text="The page where it is fixed (a path).")
    gaps = ReadinessGapSerializer(
        many=True, help_text="Schedule gaps only: the first periods with nobody on call."
    )


class ReadinessSectionOutputSerializer(serializers.Serializer):
    check = serializers.ChoiceField(choices=list(CHECK_KEYS), source="check.key")
    title = serializers.CharField(source="check.title")
    ok = serializers.SerializerMethodField()
    findings = ReadinessFindingOutputSerializer(many=True)

    def get_ok(self, section) -> bool:
        return not section.findings


class ReadinessTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class ReadinessReportOutputSerializer(serializers.Serializer):
    team = ReadinessTeamSerializer()
    generated_at = serializers.DateTimeField()
    problem_count = serializers.IntegerField()
    sections = ReadinessSectionOutputSerializer(many=True)
