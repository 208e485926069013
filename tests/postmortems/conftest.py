from datetime import UTC, datetime

import pytest
import time_machine

from tests.postmortems.factories import postmortem_for


@pytest.fixture
def postmortem(team, member, manager):
    """The draft of a SEV1 that ``member`` commanded, declared at 2026-03-02 09:00 UTC
    (a module with another draft overrides this fixture)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        return postmortem_for(team=team, actor=member, severity="SEV1", commander=member)
