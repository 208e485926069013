"""Tocsin settings (``DJANGO_SETTINGS_MODULE=config.settings``): every deployment-specific
value comes from the environment.

Development needs nothing set: DEBUG is on, the database is an SQLite file under
``var/`` and Celery uses a filesystem broker, so no server is required. Production
sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and
CELERY_BROKER_URL (Redis); ``manage.py check --deploy`` is then clean.

``base`` holds Django's core settings, complete (INSTALLED_APPS and MIDDLEWARE included);
each other module holds one concern's settings and only adds names of its own, so the
order below does not change any value. ``config.settings.test`` is what pytest uses.
"""

from config.settings.base import *  # noqa: F403

# isort: split
from config.settings.alerts import *  # noqa: F403
from config.settings.api import *  # noqa: F403
from config.settings.auth import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.communication import *  # noqa: F403
from config.settings.outbox import *  # noqa: F403
from config.settings.paging import *  # noqa: F403
from config.settings.postmortems import *  # noqa: F403
from config.settings.twilio import *  # noqa: F403
from config.settings.web import *  # noqa: F403
