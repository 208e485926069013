"""Work started in threads at the same moment, each thread with its own database
connection (the concurrency tests need PostgreSQL: ``pytest.mark.postgres``)."""

import threading
from collections.abc import Callable

from django.db import connections


def at_once(*functions: Callable[[], object], timeout: float = 60) -> list[object]:
    """Run each function in its own thread, all released together by a barrier; return
    what each returned or raised, in the order given (a thread still running after
    ``timeout`` seconds counts as a TimeoutError)."""
    barrier = threading.Barrier(len(functions))
    outcomes: list[object] = [TimeoutError("the thread did not finish")] * len(functions)

    def run(index: int, function: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = function()
        except BaseException as exc:  # handed to the test, which says what it expects
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


def race(workers: int, target: Callable[[], object], timeout: float = 30) -> list[object]:
    """``workers`` threads call ``target`` at the same moment; what each returned or raised."""
    return at_once(*[target] * workers, timeout=timeout)


def raised(outcomes: list[object]) -> list[BaseException]:
    """The exceptions among ``outcomes``: ``assert raised(at_once(...)) == []``."""
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
