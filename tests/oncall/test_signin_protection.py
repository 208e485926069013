"""Sign-in protection: failures count per (source address, account), so five wrong
passwords from address A lock A out of that account while its owner signs in from
address B; a looser limit per address across accounts; the lock ends after its window;
lockout and end are audit rows next to each failed and successful sign-in. The counts sit
in the shared cache, which another connection (another worker) sees."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.test import Client

from oncall.audit.models import AuditAction, AuditEvent
from tests.oncall.factories import UserFactory

PASSWORD = "right-horse-battery"
A, B = "198.51.100.1", "198.51.100.2"


@pytest.fixture
def owner(db):
    user = UserFactory(username="lena", email="lena@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(address: str, password: str, login: str = "lena"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"login": login, "password": password})
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_cache_every_process_shares_is_not_per_process_memory():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


@pytest.mark.django_db
def test_five_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(owner, clock):
    for _ in range(5):
        client, response = sign_in(A, "wrong")
        assert response.status_code == 200 and not signed_in(client)
    client, response = sign_in(A, PASSWORD)
    assert not signed_in(client)
    assert "Too many failed login attempts" in response.content.decode()

    client, response = sign_in(B, PASSWORD)
    assert response.status_code == 302 and signed_in(client)

    actions = list(AuditEvent.objects.order_by("id").values_list("action", "source_address"))
    assert actions == [
        *[(AuditAction.SIGNIN_FAILED, A)] * 5,
        (AuditAction.SIGNIN_LOCKED, A),
        (AuditAction.SIGNIN_SUCCEEDED, B),
    ]
    locked = AuditEvent.objects.get(action=AuditAction.SIGNIN_LOCKED)
    assert locked.target_id == str(owner.pk) and locked.actor_label == "lena"


@pytest.mark.django_db
def test_the_lock_ends_after_its_window_and_the_end_is_recorded(owner, clock):
    for _ in range(6):
        sign_in(A, "wrong")
    clock.shift(timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES, seconds=1))
    client, _ = sign_in(A, PASSWORD)
    assert signed_in(client)
    assert AuditEvent.objects.filter(action=AuditAction.SIGNIN_UNLOCKED, source_address=A).exists()
    # One lockout row, however many refused attempts it took.
    assert AuditEvent.objects.filter(action=AuditAction.SIGNIN_LOCKED).count() == 1


@pytest.mark.django_db
def test_one_address_trying_many_accounts_hits_the_looser_limit(owner, clock, settings):
    from allauth.account import app_settings as account_settings

    limits = dict(account_settings.RATE_LIMITS)
    limits["login_failed"] = "3/15m/ip,5/15m/key"
    settings.ACCOUNT_RATE_LIMITS = limits
    for name in ("ann", "ben", "cid"):
        sign_in(A, "wrong", login=name)
    client, _ = sign_in(A, PASSWORD)
    assert not signed_in(client)
    client, _ = sign_in(B, PASSWORD)
    assert signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_failures_counted_by_another_connection_count_here_too(owner):
    """Two failures from a thread with its own cache and database connections (what a
    second gunicorn worker has), three from this one: the sixth attempt is refused."""

    def elsewhere():
        try:
            assert caches["default"] is not main_cache
            for _ in range(2):
                sign_in(A, "wrong")
        finally:
            connections.close_all()

    main_cache = caches["default"]
    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    for _ in range(3):
        sign_in(A, "wrong")
    client, response = sign_in(A, PASSWORD)
    assert not signed_in(client)
    assert "Too many failed login attempts" in response.content.decode()
