"""Who a rule's targets page: a user, whoever is on call on a schedule at that instant,
the members of a team; and the team's managers when a rule has nobody to page. Only
active users are paged. Lookups are cached for one batch of steps, which are all taken
at the same instant."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from oncall.policies.models import TargetType
from oncall.schedules.selectors import schedule_oncall_user_id, schedule_queryset
from oncall.teams.models import Team
from oncall.teams.selectors import team_managers

logger = logging.getLogger(__name__)
User = get_user_model()


class StepTargets:
    """The users of rule targets at ``now``, looked up once per batch."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._targets: dict[tuple[str, int], tuple[list[int], str | None]] = {}
        self._users: dict[int, AbstractBaseUser | None] = {}
        self._managers: dict[int, list[AbstractBaseUser]] = {}

    def _user(self, user_id: int) -> AbstractBaseUser | None:
        if user_id not in self._users:
            self._users[user_id] = User.objects.filter(pk=user_id, is_active=True).first()
        return self._users[user_id]

    def team_managers(self, team_id: int) -> list[AbstractBaseUser]:
        """The team's managers: who is paged when a rule has nobody to page."""
        if team_id not in self._managers:
            team = Team(pk=team_id)
            self._managers[team_id] = list(team_managers(team=team).order_by("pk"))
            for user in self._managers[team_id]:
                self._users.setdefault(user.pk, user)
        return self._managers[team_id]

    def _target_user_ids(self, kind: str, target_id: int) -> tuple[list[int], str | None]:
        key = (kind, target_id)
        if key in self._targets:
            return self._targets[key]
        result: tuple[list[int], str | None]
        if kind == TargetType.USER:
            result = ([target_id], None)
        elif kind == TargetType.SCHEDULE:
            schedule = schedule_queryset().filter(pk=target_id).first()
            if schedule is None:
                result = ([], f"schedule {target_id} no longer exists")
            else:
                try:
                    oncall = schedule_oncall_user_id(schedule=schedule, at=self.now)
                except ValueError as exc:  # a broken schedule must not block paging
                    logger.warning("Schedule %s cannot be computed: %s", schedule.pk, exc)
                    result = ([], f"schedule {schedule.name} cannot be computed ({exc})")
                else:
                    result = (
                        ([], f"nobody is on call on schedule {schedule.name}")
                        if oncall is None
                        else ([oncall], None)
                    )
        elif kind == TargetType.TEAM:
            members = list(
                User.objects.filter(team_memberships__team_id=target_id, is_active=True).order_by(
                    "pk"
                )
            )
            for user in members:
                self._users.setdefault(user.pk, user)
            result = ([u.pk for u in members], None)
        else:
            result = ([], f"unknown target type {kind}")
        self._targets[key] = result
        return result

    def resolve(self, targets: list[dict[str, Any]]) -> tuple[list[AbstractBaseUser], list[str]]:
        """Targets -> active users, in order, without duplicates; notes say who was missing."""
        user_ids: list[int] = []
        notes: list[str] = []
        for target in targets:
            ids, note = self._target_user_ids(target["type"], target["id"])
            user_ids.extend(ids)
            if note:
                notes.append(note)
        users: list[AbstractBaseUser] = []
        missing: list[int] = []
        for user_id in dict.fromkeys(user_ids):
            user = self._user(user_id)
            if user is None:
                missing.append(user_id)
            else:
                users.append(user)
        if missing:
            notes.append(f"user(s) {', '.join(map(str, missing))} deleted or deactivated")
        return users, notes
