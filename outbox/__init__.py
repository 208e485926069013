"""The outbox: every message Tocsin sends to the outside world, one row each.

A room that wants something sent (a page, a reminder, an email, a Slack post) writes a
``Message`` row inside its own transaction (``outbox.services.message_enqueue``). After
the commit a sender claims due rows with a short lease (``SELECT … FOR UPDATE SKIP
LOCKED``), commits the claim, sends with no transaction open and no row lock held, then
records the outcome. Delivery is at least once: a sender that dies mid-send leaves its
lease to expire and the message is sent again, with the same idempotency key.
"""
