from django.core.management.base import BaseCommand, CommandError

from oncall.teams.models import Team
from runbooks.seed import starter_runbooks_install


class Command(BaseCommand):
    help = "Copy the starter runbooks (high latency, database outage, service down, high "
    "error rate, Tocsin failover) into a team, to adapt."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--team", required=True, help="Team slug")

    def handle(self, *args, team: str, **options) -> None:
        found = Team.objects.filter(slug=team).first()
        if found is None:
            raise CommandError(f"No team with slug {team!r}.")
        created = starter_runbooks_install(team=found)
        self.stdout.write(
            self.style.SUCCESS(
                f"Installed {len(created)} runbook(s) in {found.name}: "
                + (", ".join(r.title for r in created) or "all already present")
            )
        )
