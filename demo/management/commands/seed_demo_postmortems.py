"""Demo postmortems and action items, called by seed_demo by name (see postmortems/demo.py)."""

from django.core.management.base import BaseCommand

from demo.postmortems import postmortems_demo_seed


class Command(BaseCommand):
    help = "Publish the older demo postmortems with action items; keep the recent ones open."

    def handle(self, *args, **options) -> None:
        result = postmortems_demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Postmortems demo ready ({result['published']} published, "
                f"{result['kept_open']} still open)."
            )
        )
