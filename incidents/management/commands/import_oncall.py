"""Import teams, people, schedules, escalation policies and services from another on-call
product: shows the plan (the default), or applies it with --apply."""

import json
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import DomainError
from incidents.imports.render import plan_lines
from incidents.imports.services import import_apply, import_plan
from incidents.imports.sources import SOURCES, TOKEN_ENV


class Command(BaseCommand):
    help = (
        "Plan (default) or apply an import from PagerDuty, Opsgenie or Grafana OnCall. "
        "Safe to run again: what was imported before is matched, not duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, choices=sorted(SOURCES))
        parser.add_argument(
            "--token", default="", help="API token (default: the source's environment variable)."
        )
        parser.add_argument(
            "--base-url", default="", help="API address (another region, a self-hosted install)."
        )
        parser.add_argument(
            "--team", action="append", default=[], help="Only this source team id (repeatable)."
        )
        parser.add_argument(
            "--as", dest="actor", default="", help="Staff username the changes are recorded as."
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--plan", action="store_true", help="Show what would happen (default).")
        mode.add_argument("--apply", action="store_true", help="Do it.")
        parser.add_argument("--json", action="store_true", help="Print the plan as JSON.")

    def handle(self, *args, **options) -> None:
        source = options["source"]
        token = options["token"] or os.environ.get(TOKEN_ENV.get(source, ""), "")
        if not token:
            raise CommandError(f"Give --token or set {TOKEN_ENV.get(source, 'the token')}.")
        actor = self._actor(options["actor"])
        try:
            plan = import_plan(
                actor=actor,
                source=source,
                token=token,
                base_url=options["base_url"],
                team_ids=tuple(options["team"]),
            )
            if options["json"]:
                self.stdout.write(json.dumps(plan.to_json(), indent=2))
            else:
                self.stdout.write("\n".join(plan_lines(plan)))
            if not options["apply"]:
                return
            result = import_apply(plan=plan, actor=actor)
        except DomainError as error:
            raise CommandError(error.detail) from None
        for warning in result.warnings:
            self.stderr.write(warning)
        for name, key in result.new_keys:
            # Shown this once (Tocsin keeps only a digest): the sender needs it.
            self.stdout.write(f"New routing key for {name}: {key}")
        summary = ", ".join(
            f"{sum(table.values())} {name}"
            for name, table in (
                ("created", result.created),
                ("updated", result.updated),
                ("matched", result.matched),
                ("skipped", result.skipped),
            )
        )
        self.stdout.write(self.style.SUCCESS(f"Applied: {summary}."))

    def _actor(self, username: str):
        users = get_user_model().objects.filter(is_active=True, is_staff=True)
        if username:
            actor = users.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No active staff user {username!r}.")
            return actor
        actor = users.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            raise CommandError("No active superuser; give --as <staff username>.")
        return actor
