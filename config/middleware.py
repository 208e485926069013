import re

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware (views opt out with @login_not_required), plus
    path prefixes that authenticate themselves (settings.LOGIN_REQUIRED_EXEMPT_PATHS)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.exempt = [re.compile(p) for p in settings.LOGIN_REQUIRED_EXEMPT_PATHS]

    def process_view(self, request, view_func, view_args, view_kwargs):
        if any(p.match(request.path_info) for p in self.exempt):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
