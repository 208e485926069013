"""On-call importers: read another product's teams, people, schedules, escalation
policies and services into a neutral bundle, plan what that means in Tocsin, apply it."""
