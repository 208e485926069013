"""Serializers of the paging API: the pages sent for an incident."""

from rest_framework import serializers

from incidents.paging.models import Page
from oncall.teams.api.serializers import UserRefSerializer


class PageOutputSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = Page
        fields = [
            "id",
            "user",
            "level",
            "loop",
            "run",
            "reason",
            "channel",
            "status",
            "attempts",
            "error",
            "bundle_size",
            "created_at",
            "not_before",
            "sent_at",
        ]
