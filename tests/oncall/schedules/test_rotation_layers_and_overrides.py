"""The pure rotation engine (no Django, no database): later layers win where they have
someone on call, overrides replace every layer, touching shifts of one user merge."""

import pytest

from oncall.schedules.rotation import (
    Override,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
)
from tests.oncall.schedules.rotation_cases import (
    BASE,
    DAYTIME,
    make_layer,
    make_schedule,
    ny,
    spans,
    utc,
)


def test_second_layer_overrides_first_only_where_it_has_someone_on_call() -> None:
    schedule = make_schedule(BASE, DAYTIME)

    # Monday 2026-01-05 00:00 to Wednesday 00:00; layer 1 shows through outside 09-17.
    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 7))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 9)),
        (2, utc(2026, 1, 5, 9), utc(2026, 1, 5, 17)),
        (1, utc(2026, 1, 5, 17), utc(2026, 1, 6, 9)),
        (2, utc(2026, 1, 6, 9), utc(2026, 1, 6, 17)),
        (1, utc(2026, 1, 6, 17), utc(2026, 1, 7)),
    ]
    # Weekend: only the first layer.
    assert oncall_at(schedule, utc(2026, 1, 10, 12)) == 1


def test_layer_order_matters_earlier_layer_is_hidden_by_later_one() -> None:
    schedule = make_schedule(DAYTIME, BASE)

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 7))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 7)),
    ]


def test_empty_later_layer_lets_earlier_layer_show_through() -> None:
    schedule = make_schedule(BASE, make_layer(users=()))

    assert oncall_at(schedule, utc(2026, 1, 5, 12)) == 1
    assert gaps(schedule, utc(2026, 1, 5), utc(2026, 1, 12)) == []


def test_override_replaces_every_layer() -> None:
    override = Override(user=3, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 20))
    schedule = make_schedule(BASE, DAYTIME, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 6))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 9)),
        (2, utc(2026, 1, 5, 9), utc(2026, 1, 5, 12)),
        (3, utc(2026, 1, 5, 12), utc(2026, 1, 5, 20)),
        (1, utc(2026, 1, 5, 20), utc(2026, 1, 6)),
    ]


def test_override_by_the_user_already_on_call_merges_into_one_shift() -> None:
    override = Override(user=1, start=utc(2026, 1, 5, 8), end=utc(2026, 1, 5, 10))
    schedule = make_schedule(BASE, DAYTIME, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 5, 18))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 10)),
        (2, utc(2026, 1, 5, 10), utc(2026, 1, 5, 17)),
        (1, utc(2026, 1, 5, 17), utc(2026, 1, 5, 18)),
    ]


def test_touching_overrides_of_the_same_user_merge() -> None:
    overrides = (
        Override(user=5, start=utc(2026, 1, 5, 10), end=utc(2026, 1, 5, 12)),
        Override(user=5, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 14)),
    )
    schedule = make_schedule(BASE, overrides=overrides)

    assert spans(final_shifts(schedule, utc(2026, 1, 5, 9), utc(2026, 1, 5, 15))) == [
        (1, utc(2026, 1, 5, 9), utc(2026, 1, 5, 10)),
        (5, utc(2026, 1, 5, 10), utc(2026, 1, 5, 14)),
        (1, utc(2026, 1, 5, 14), utc(2026, 1, 5, 15)),
    ]


def test_daily_handoffs_of_a_single_user_merge_in_final_shifts() -> None:
    schedule = make_schedule(BASE)

    assert len(layer_shifts(BASE, "UTC", utc(2026, 1, 5), utc(2026, 1, 8))) == 4
    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 8))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 8)),
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            ((5, 10, 14), (6, 12, 16)),
            [(5, 10, 12), (6, 12, 16)],
            id="later-wins-on-the-overlap",
        ),
        pytest.param(
            ((6, 12, 16), (5, 10, 14)),
            [(5, 10, 14), (6, 14, 16)],
            id="order-in-tuple-not-time-decides",
        ),
        pytest.param(
            ((5, 10, 16), (6, 12, 13)),
            [(5, 10, 12), (6, 12, 13), (5, 13, 16)],
            id="later-inside-earlier-splits-it",
        ),
    ],
)
def test_overlapping_overrides_later_one_in_tuple_wins(
    overrides: tuple[tuple[int, int, int], ...], expected: list[tuple[int, int, int]]
) -> None:
    schedule = make_schedule(
        BASE,
        overrides=tuple(
            Override(user=user, start=utc(2026, 1, 5, begin), end=utc(2026, 1, 5, finish))
            for user, begin, finish in overrides
        ),
    )

    shifts = final_shifts(schedule, utc(2026, 1, 5, 10), utc(2026, 1, 5, 16))

    assert spans(shifts) == [
        (user, utc(2026, 1, 5, begin), utc(2026, 1, 5, finish)) for user, begin, finish in expected
    ]


def test_override_outside_layer_coverage_and_before_layer_start_counts() -> None:
    override = Override(user=9, start=ny(2025, 12, 31, 22), end=ny(2026, 1, 1, 10))
    schedule = make_schedule(BASE, overrides=(override,), time_zone="America/New_York")

    # BASE starts 2026-01-01 09:00 New York; the override bridges the time before it.
    assert spans(final_shifts(schedule, ny(2025, 12, 31), ny(2026, 1, 1, 12))) == [
        (9, utc(2026, 1, 1, 3), utc(2026, 1, 1, 15)),
        (1, utc(2026, 1, 1, 15), utc(2026, 1, 1, 17)),
    ]
    assert gaps(schedule, ny(2025, 12, 31), ny(2026, 1, 1, 12)) == [
        (utc(2025, 12, 31, 5), utc(2026, 1, 1, 3)),
    ]


def test_override_partly_outside_window_is_clipped() -> None:
    override = Override(user=9, start=utc(2026, 1, 4), end=utc(2026, 1, 5, 6))
    schedule = make_schedule(BASE, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 5, 12))) == [
        (9, utc(2026, 1, 5), utc(2026, 1, 5, 6)),
        (1, utc(2026, 1, 5, 6), utc(2026, 1, 5, 12)),
    ]


def test_override_with_end_not_after_start_is_ignored() -> None:
    override = Override(user=9, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 10))
    schedule = make_schedule(BASE, overrides=(override,))

    assert oncall_at(schedule, utc(2026, 1, 5, 11)) == 1
