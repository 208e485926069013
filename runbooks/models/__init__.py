"""Runbook models; import them from ``runbooks.models``."""

from runbooks.models.runbooks import (
    REQUIRED_SECTIONS,
    Runbook,
    RunbookAttachment,
    RunbookEventKind,
)

__all__ = ["REQUIRED_SECTIONS", "Runbook", "RunbookAttachment", "RunbookEventKind"]
