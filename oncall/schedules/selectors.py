"""Reads for schedules: rows converted to ``oncall.schedules.rotation`` values, and what
is computed from them (who is on call, shifts, gaps), schedules and overrides scoped to the
user's teams, and the users on a schedule nobody can page.

The rotation math lives in the pure module ``oncall.schedules.rotation``; this module only
converts database rows into its dataclasses (and checks the JSON people type into
restrictions, for the services and the admin).
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from oncall.contacts.models import ContactMethod
from oncall.schedules import rotation
from oncall.schedules.models import Schedule, ScheduleLayer, ScheduleLayerMember, ScheduleOverride
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors import row_get_or_not_found, team_scoped_by_id

GAP_HORIZON = timedelta(days=14)


def parse_hhmm(value: Any) -> time:
    """ "09:00" -> time(9, 0); raises ValueError with a readable message."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if not isinstance(value, str):
        raise ValueError(f'Expected a time as "HH:MM", got {value!r}.')
    try:
        parsed = datetime.strptime(value.strip(), "%H:%M")
    except ValueError:
        raise ValueError(f'Expected a time as "HH:MM", got {value!r}.') from None
    return parsed.time()


def restrictions_problems(raw: Any) -> list[str]:
    """Problems with a restrictions JSON value; empty when it is usable."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        return ["Restrictions must be a list of {weekdays, start, end} objects."]
    problems: list[str] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) - {"weekdays", "start", "end"}:
            problems.append(f"Restriction {number} must be an object with weekdays, start, end.")
            continue
        weekdays = item.get("weekdays")
        if (
            not isinstance(weekdays, list)
            or not weekdays
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in weekdays
            )
        ):
            problems.append(
                f"Restriction {number}: weekdays must be a non-empty list of ISO weekdays "
                "(1 = Monday … 7 = Sunday)."
            )
        for key in ("start", "end"):
            try:
                parse_hhmm(item.get(key))
            except ValueError as exc:
                problems.append(f"Restriction {number} {key}: {exc}")
    return problems


def restrictions_from_json(raw: Any) -> tuple[rotation.Restriction, ...]:
    return tuple(
        rotation.Restriction(
            weekdays=tuple(item["weekdays"]),
            start=parse_hhmm(item["start"]),
            end=parse_hhmm(item["end"]),
        )
        for item in (raw or [])
    )


def layer_to_rotation(layer: ScheduleLayer, user_ids: list[int]) -> rotation.Layer:
    return rotation.Layer(
        users=tuple(user_ids),
        rotation=layer.rotation,
        handoff_time=layer.handoff_time.replace(tzinfo=None),
        start=layer.start,
        shift_length_hours=layer.shift_length_hours,
        restrictions=restrictions_from_json(layer.restrictions),
    )


def schedule_queryset():
    """Schedules with everything ``schedule_to_rotation`` reads, in three extra queries."""
    return Schedule.objects.select_related("team").prefetch_related(
        Prefetch(
            "layers",
            queryset=ScheduleLayer.objects.order_by("position", "id").prefetch_related(
                Prefetch(
                    "members",
                    queryset=ScheduleLayerMember.objects.order_by("position", "id").select_related(
                        "user"
                    ),
                )
            ),
        ),
        Prefetch(
            "overrides",
            queryset=ScheduleOverride.objects.order_by("start", "id").select_related("user"),
        ),
    )


def schedule_to_rotation(schedule: Schedule) -> rotation.Schedule:
    """Rows -> the pure value. Inactive users are left out of layers and overrides, so a
    deactivated person is never computed as on call."""
    layers = []
    for layer in schedule.layers.all():
        user_ids = [m.user_id for m in layer.members.all() if m.user.is_active]
        layers.append(layer_to_rotation(layer, user_ids))
    overrides = tuple(
        rotation.Override(user=o.user_id, start=o.start, end=o.end)
        for o in schedule.overrides.all()
        if o.user.is_active
    )
    return rotation.Schedule(
        time_zone=schedule.time_zone, layers=tuple(layers), overrides=overrides
    )


def schedule_oncall_user_id(*, schedule: Schedule, at: datetime | None = None) -> int | None:
    return rotation.oncall_at(schedule_to_rotation(schedule), at or timezone.now())


def schedule_shifts(*, schedule: Schedule, start: datetime, end: datetime) -> list[rotation.Shift]:
    return rotation.final_shifts(schedule_to_rotation(schedule), start, end)


def schedule_gaps(
    *, schedule: Schedule, start: datetime | None = None, horizon: timedelta = GAP_HORIZON
) -> list[tuple[datetime, datetime]]:
    start = start or timezone.now()
    return rotation.gaps(schedule_to_rotation(schedule), start, start + horizon)


def schedule_list(*, user: AnyUser, team_id: Any = None) -> QuerySet[Schedule]:
    return team_scoped_by_id(schedule_queryset(), user=user, team_id=team_id).order_by(
        "team__name", "name", "pk"
    )


def schedule_get(*, user: AnyUser, schedule_id: Any) -> Schedule:
    return row_get_or_not_found(schedule_list(user=user), pk=schedule_id, what="Schedule")


def override_list(*, schedule: Schedule) -> QuerySet[ScheduleOverride]:
    return schedule.overrides.select_related("user").order_by("start", "pk")


def override_get(*, schedule: Schedule, override_id: Any) -> ScheduleOverride:
    return row_get_or_not_found(
        ScheduleOverride.objects.select_related("schedule__team").filter(schedule=schedule),
        pk=override_id,
        what="Override",
    )


def schedules_users_without_contact(schedules: list[Schedule]) -> dict[int, list]:
    """For each schedule, the active users on its layers with no working way to be paged
    (no enabled contact method and no account email, or only failing ones). One query."""
    user_ids = {
        member.user_id
        for schedule in schedules
        for layer in schedule.layers.all()
        for member in layer.members.all()
    }
    working: set[int] = set()
    has_any: set[int] = set()
    for method in ContactMethod.objects.filter(user_id__in=user_ids):
        has_any.add(method.user_id)
        if method.working:
            working.add(method.user_id)
    result: dict[int, list] = {}
    for schedule in schedules:
        flagged: dict[int, Any] = {}
        for layer in schedule.layers.all():
            for member in layer.members.all():
                user = member.user
                if not user.is_active or user.pk in working:
                    continue
                if user.pk not in has_any and user.email:
                    continue  # the account email becomes their contact method
                flagged[user.pk] = user
        result[schedule.pk] = list(flagged.values())
    return result


def users_by_id(ids: set[int]) -> dict[int, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}


def schedule_draft_to_rotation(
    *,
    time_zone: str,
    layers: list[dict[str, Any]],
    overrides: tuple[rotation.Override, ...] = (),
) -> rotation.Schedule:
    """An unsaved schedule as the pure value: ``layers`` are cleaned specs (what
    ``services.layers_clean`` returns), turned into unsaved layer rows and through
    ``layer_to_rotation`` like saved ones, so a preview computes what saving would."""
    values = []
    for spec in layers:
        layer = ScheduleLayer(
            rotation=spec["rotation"],
            shift_length_hours=spec["shift_length_hours"],
            handoff_time=spec["handoff_time"],
            start=spec["start"],
            restrictions=spec["restrictions"],
        )
        values.append(layer_to_rotation(layer, list(spec["users"])))
    return rotation.Schedule(time_zone=time_zone, layers=tuple(values), overrides=overrides)


def person_shifts(
    *, user: AnyUser, start: datetime, end: datetime
) -> list[tuple[Schedule, rotation.Shift]]:
    """The person's own shifts in ``[start, end)`` on the final schedules (layers and
    overrides stacked) of their teams' schedules that name them, sorted by start."""
    if not user.is_authenticated:
        return []
    schedules = (
        schedule_list(user=user)
        .filter(team__memberships__user=user)
        .filter(Q(layers__members__user=user) | Q(overrides__user=user))
        .distinct()
    )
    mine = []
    for schedule in schedules:
        try:
            shifts = rotation.final_shifts(schedule_to_rotation(schedule), start, end)
        except ValueError:
            continue  # a broken layer (the on-call page names the problem)
        mine += [(schedule, shift) for shift in shifts if shift.user == user.pk]
    mine.sort(key=lambda pair: (pair[1].start, pair[0].name))
    return mine
