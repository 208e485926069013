"""The OpenAPI schema's view of errors: every operation documents the answers any
operation can give (bad input, not signed in, not allowed, not found, a conflicting state,
a body too large, a media type it does not read), in the one error shape the exception
handler writes, so a client can rely on the schema for every status it will see."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per field (or query parameter): the problems found.",
    )


WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # 404 on every operation: a path id, or a team named in the query or the body,
        # that the caller cannot see.
        codes = ["400", "401", "403", "404"]
        if self.method in WRITES:
            codes += ["409", "413", "415"]
        codes.append("429")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
        return responses
