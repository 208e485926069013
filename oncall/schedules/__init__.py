"""Schedules room: rotation math (``rotation``, pure), schedules with layers and
overrides, handoff records and shift notices, iCal feeds, and the on-call page."""
