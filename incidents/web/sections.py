"""Sections that other apps add to the pages, registered from their AppConfig.ready.

The home page and the incident page show what this app knows; the on-call engine (who
is on call, pages sent), postmortems (postmortems I owe, the incident's postmortem), action
items and runbooks plug their parts in here instead of the views importing them::

    from incidents.web.sections import register_section

    register_section(
        page="incident_detail",
        name="runbooks",
        template="runbooks/_incident_runbooks.html",
        context=lambda request, incident: {"runbooks": runbook_list_for(incident=incident)},
        order=30,
    )

``context`` returns the dictionary its template renders (as ``section``); it must load
what it shows in a bounded number of queries (the page tests assert it).

Pages: ``home``; ``incident_detail`` (inside the incident's live region, which an open
SEV1 page refreshes every few seconds); ``incident_tools`` (forms people type into, e.g.
communication's "Share update": rendered outside the live region, so a refresh never
wipes what someone is writing; they refresh the page's live region after a change by
answering with the ``HX-Trigger: incident-changed`` header).
"""

from common.sections import Section, SectionRegistry

PAGES = ("home", "incident_detail", "incident_tools")

_registry = SectionRegistry(pages=PAGES)
register_section = _registry.register
unregister_section = _registry.unregister
render_sections = _registry.render

__all__ = ["PAGES", "Section", "register_section", "render_sections", "unregister_section"]
