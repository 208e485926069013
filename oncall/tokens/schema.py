"""The API token scheme in the OpenAPI document (drf-spectacular finds extensions by
import: this module is loaded with the room's other start-up modules)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oncall.tokens.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tcs_<prefix>_<secret>",
            "description": (
                "A personal or team API token (Profile, API tokens): "
                "`Authorization: Bearer tcs_…`. Read-only tokens may use GET, HEAD and "
                "OPTIONS only; managing integrations needs the integrations scope."
            ),
        }
