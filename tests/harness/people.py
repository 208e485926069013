"""Teams and people: Payments (``team``) with marco (``member``), priya (``manager``) and
the engineers alice, bob and carol; Mobile (``other_team``) with olivia (``outsider``);
``staff``, a superuser of no team."""

import pytest

from tests.oncall.factories import TeamFactory, UserFactory, member_of


@pytest.fixture
def team(db):
    return TeamFactory(name="Payments", key="PAY", slug="payments")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Mobile", key="MOB", slug="mobile")


@pytest.fixture
def member(team):
    return member_of(team, "marco")


@pytest.fixture
def manager(team):
    return member_of(team, "priya", role="manager")


@pytest.fixture
def outsider(other_team):
    """A member of another team."""
    return member_of(other_team, "olivia", role="manager")


@pytest.fixture
def staff(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def alice(team):
    return member_of(team, "alice")


@pytest.fixture
def bob(team):
    return member_of(team, "bob")


@pytest.fixture
def carol(team):
    return member_of(team, "carol")


@pytest.fixture
def people(alice, bob, carol):
    """Three engineers of the team by name; a module needing others overrides it."""
    return {"alice": alice, "bob": bob, "carol": carol}
