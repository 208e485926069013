"""The one test harness: a frozen clock, the people of the Payments team, declaring
incidents and running the paging beat, real receivers on 127.0.0.1 (HTTP, Slack,
PagerDuty, SMTP) and running work in threads at the same moment.

Its fixtures are registered for every test by ``tests/conftest.py``; a module that needs
a different start time or other people overrides the fixture (``clock_start``,
``people``, ``declare``) and may call the shared one."""
