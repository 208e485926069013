"""Sign-ins into the audit log, from Django's own signals (allauth signs people in through
``django.contrib.auth.login``, and a wrong password fails in ``authenticate``). Sign-in
rows belong to no team: staff read them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from oncall.audit.models import AuditAction
from oncall.audit.services import audit_record


def login_of(credentials: dict) -> str:
    """The login a sign-in tried (username or e-mail address), never the password."""
    return str(credentials.get("username") or credentials.get("email") or "")[:150]


@receiver(user_logged_in, dispatch_uid="oncall.audit.signin_succeeded")
def _signed_in(sender, request, user, **kwargs) -> None:
    backend = getattr(user, "backend", "") or ""
    audit_record(
        action=AuditAction.SIGNIN_SUCCEEDED,
        actor=user,
        request=request,
        target=user,
        details={"method": backend.rsplit(".", 1)[-1]} if backend else {},
    )


@receiver(user_login_failed, dispatch_uid="oncall.audit.signin_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    login = login_of(credentials)
    user_model = get_user_model()
    account = (
        user_model.objects.filter(username__iexact=login).first()
        or user_model.objects.filter(email__iexact=login).first()
        if login
        else None
    )
    audit_record(
        action=AuditAction.SIGNIN_FAILED,
        actor_label=login,
        request=request,
        target=account,
        target_type="auth.user",
        target_label=login,
        details={"account_exists": account is not None},
    )
