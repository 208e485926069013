"""Escalation policies room: ordered rules paging users, schedules or the whole team."""
