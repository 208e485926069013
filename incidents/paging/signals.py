"""What the paging engine tells the rooms that follow it.

Sent inside the transaction that wrote the pages; receivers defer outside effects with
``transaction.on_commit``. Connected, in their order, by ``config.consequences``."""

from django.dispatch import Signal

# kwargs: incident, users (the people paged for it by this step, without repeats)
responders_paged = Signal()
