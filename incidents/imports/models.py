"""What an import created or matched, by the source's id: the one table that makes a second
import change nothing (and lets it tell an unchanged schedule from one edited since)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models


class ImportedObject(models.Model):
    # The source's registry name: "pagerduty", "opsgenie", "grafana-oncall".
    source = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    # Digest of what was written (schedules, policies), to see later whether the source
    # changed since; "" where the import never rewrites the row.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    imported_at = models.DateTimeField()
    last_run = models.DateTimeField()

    class Meta:
        ordering = ["source", "content_type", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id", "content_type"],
                name="unique_imported_object_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.external_id} → {self.content_type.model} {self.object_id}"
