"""The scope of the token a request came with, applied to every API view (first of
``DEFAULT_PERMISSION_CLASSES``): read-only tokens use safe methods only; managing
integrations and heartbeats needs the integrations scope. Requests without one of our
tokens (session, legacy token) are not limited here."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from oncall.tokens.models import SCOPE_RANK, ApiToken, TokenScope

# The API views (router basenames) that change how alerts reach Tocsin.
INTEGRATION_VIEWS = frozenset({"integration", "heartbeat"})


def required_scope(request, view) -> str:
    if request.method in SAFE_METHODS:
        return TokenScope.READ
    if getattr(view, "basename", None) in INTEGRATION_VIEWS:
        return TokenScope.INTEGRATIONS
    return TokenScope.WRITE


class TokenScopePermission(BasePermission):
    message = "This API token's scope does not allow this request."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = required_scope(request, view)
        if SCOPE_RANK[token.scope] >= SCOPE_RANK[needed]:
            return True
        self.message = (
            f"This API token has the {token.scope} scope ({token.get_scope_display()}); "
            f"{request.method} here needs the {needed} scope."
        )
        return False
