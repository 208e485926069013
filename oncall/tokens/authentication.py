"""DRF authentication by API token: ``Authorization: Bearer tcs_…`` (or ``Token tcs_…``,
so a script that used a legacy token only swaps the value). Anything that is not one of
our tokens is left to the next class (legacy ``TokenAuthentication``, then the session)."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from oncall.tokens.models import TOKEN_MARK
from oncall.tokens.services import TokenInvalid, TokenRefused, token_authenticate

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in KEYWORDS:
            return None
        try:
            raw = parts[1].decode()
        except UnicodeError:
            return None
        if not raw.startswith(TOKEN_MARK):
            return None
        try:
            return token_authenticate(raw=raw, request=request._request)
        except (TokenInvalid, TokenRefused) as error:
            raise exceptions.AuthenticationFailed(error.detail) from None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
