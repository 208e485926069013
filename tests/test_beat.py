"""The beat schedule names real tasks, each entry after its task."""

import re

from config.celery import app


def test_every_beat_entry_is_named_after_a_registered_task():
    app.loader.import_default_modules()
    registered = set(app.tasks)
    assert app.conf.beat_schedule, "the beat schedule is empty"
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] == name
        assert name in registered, f"beat entry {name} names no registered task"


def test_task_names_follow_app_room_verb():
    app.loader.import_default_modules()
    ours = [
        n
        for n in app.tasks
        if n.split(".")[0]
        in {"incidents", "oncall", "outbox", "postmortems", "readiness", "runbooks"}
    ]
    assert len(ours) >= 15
    for name in ours:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.[a-z_]+", name), name
