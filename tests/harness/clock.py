"""A frozen clock (time-machine) that tests move on purpose."""

from datetime import UTC, datetime

import pytest
import time_machine

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def clock_start():
    """Where ``clock`` starts: T0 unless a module overrides this fixture."""
    return T0


@pytest.fixture
def clock(clock_start):
    """Time frozen at ``clock_start``; ``clock.shift(timedelta)`` and ``clock.move_to(at)``
    move it. A module whose every test runs at one moment uses
    ``pytestmark = pytest.mark.usefixtures("clock")``."""
    with time_machine.travel(clock_start, tick=False) as traveller:
        yield traveller
