"""REST API settings (DRF, drf-spectacular)."""

REST_FRAMEWORK = {
    # Our API tokens first (tcs_…); legacy single tokens keep working until revoked.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oncall.tokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A token's scope applies to every view (read-only: safe methods only).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "oncall.tokens.permissions.TokenScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Strict JSON: NaN, Infinity, 1e999 and lone surrogates are a 400, not a 500 later.
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tocsin API",
    "DESCRIPTION": (
        "Incidents, on-call, alerts, postmortems and runbooks. Authenticate with an API "
        "token from your profile (API tokens): `Authorization: Bearer tcs_…`. Legacy "
        "tokens (`Authorization: Token <key>`) keep working until revoked."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar (our own static files): /api/docs/ works
    # offline and under the Content-Security-Policy, with nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Several models have a "status" or "kind" with different choices (incidents, pages,
    # alerts, postmortems, action items, timeline events, contact methods): name each enum.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "TimelineEventKindEnum": "incidents.models.TimelineEventKind",
        "AlertStatusEnum": "incidents.alerts.models.AlertStatus",
        "IntegrationKindEnum": "incidents.alerts.models.IntegrationKind",
        "PostmortemStatusEnum": "postmortems.models.PostmortemStatus",
        "ActionItemStatusEnum": "postmortems.models.ActionItemStatus",
        "ActionItemKindEnum": "postmortems.models.ActionItemKind",
        "ContactKindEnum": "oncall.contacts.models.ContactKind",
        "PageStatusEnum": "incidents.paging.models.PageStatus",
        "DrillStatusEnum": "readiness.drills.models.DrillStatus",
        "ApiTokenScopeEnum": "oncall.tokens.models.TokenScope",
        "ApiTokenStateEnum": "oncall.tokens.models.TOKEN_STATES",
        "AuditActionEnum": "oncall.audit.models.AuditAction",
    },
}

# How long an Idempotency-Key on incident creation is remembered.
IDEMPOTENCY_KEY_TTL_HOURS = 24
