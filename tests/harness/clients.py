"""Clients of the API and of the pages, signed in as someone."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates with the user's token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def signed_in(client, member):
    """The Django test client signed in as ``member``."""
    client.force_login(member)
    return client
