"""Celery settings. With no CELERY_BROKER_URL the broker is a folder under var/, so
development needs no server; production points it at Redis. The beat schedule is in
config/celery.py."""

from config.settings.env import env_bool, env_str, var_dir

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = var_dir() / "celery-broker"
    for _sub in ("in", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "in"),
        "data_folder_out": str(_queue_dir / "in"),
        "processed_folder": str(_queue_dir / "processed"),
        # kombu's exchange table; its default is ./control, in whatever directory the
        # process was started from.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        # kombu checks an empty folder every second by default, and with one task in
        # flight per process the worker waits that second between most tasks: ~1 task/s,
        # so an event posted just after `seed_demo` waited a minute behind its pages.
        "polling_interval": 0.1,
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending runs on its own queue, read by workers of its own (many threads: sends wait on
# the network, not the CPU), so a slow channel never delays escalation steps or alert
# processing, and a burst of steps never delays a send.
# Likewise the paging engine's steps and its sweeps (every 1–2 s) have a queue of their
# own, so long alert-inbox drains never hold back an escalation step or a sweep.
CELERY_TASK_ROUTES = {
    "outbox.messages.deliver": {"queue": "outbox"},
    "outbox.messages.sweep": {"queue": "paging"},
    "incidents.paging.run_step": {"queue": "paging"},
    "incidents.paging.sweep": {"queue": "paging"},
}
# The beat sends its schedule only while it holds a PostgreSQL advisory lock, so a beat
# started on every host is harmless: one sends, the others stand by and take over within
# seconds (docs/operations.md). On SQLite it is Celery's own scheduler.
CELERY_BEAT_SCHEDULER = env_str("CELERY_BEAT_SCHEDULER", "readiness.recovery.beat:LockedScheduler")
