"""Postmortem models, one module per concern; import them from ``postmortems.models``."""

from postmortems.models.action_items import (
    CLOSED_ACTION_ITEM_STATUSES,
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
)
from postmortems.models.postmortems import (
    Amendment,
    ContributingFactor,
    FactorCategory,
    FiveWhy,
    Postmortem,
    PostmortemStatus,
    TimelineEntry,
)

__all__ = [
    "CLOSED_ACTION_ITEM_STATUSES",
    "OPEN_ACTION_ITEM_STATUSES",
    "ActionItem",
    "ActionItemKind",
    "ActionItemPriority",
    "ActionItemStatus",
    "Amendment",
    "ContributingFactor",
    "FactorCategory",
    "FiveWhy",
    "Postmortem",
    "PostmortemStatus",
    "TimelineEntry",
]
