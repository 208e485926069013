"""Demo data behind ``manage.py seed_demo``, one module per area, called in this order:
teams (accounts, people, services), oncall (schedules and policies), incidents (90 days
replayed through the services), runbooks, communication, postmortems. Each seeder is
idempotent, and the replayed history carries realistic timestamps (demo.backdate)."""
