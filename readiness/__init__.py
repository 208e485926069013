"""Readiness: proving a team can respond before a real incident asks it to.

Rooms: ``drills`` (game days run through the live pipeline and scored), ``report`` (the
per-team readiness checks and their weekly e-mail) and ``recovery`` (backing up and
restoring Tocsin itself). This app sits above postmortems and runbooks: a drill exercises
a runbook and turns its findings into action items.
"""
