"""Sign-in protection shared by every process: allauth's failed-login limits, keyed per
(source address, account) so a stranger cannot lock a person out, plus a looser limit per
address across accounts; counted in the default cache (the database cache, or Redis with
``CACHE_URL``), which every gunicorn worker and host shares. See docs/security.md."""
