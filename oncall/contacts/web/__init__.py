"""The person's own pages: their profile (name, time zone, working hours, how they are
reached) and the time-zone proposal shown at first sign-in."""
