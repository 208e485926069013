"""The "Runbooks" section of the incident page: attached runbooks best match first, each
linked to its page; its queries do not grow with attachments."""

from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.runbooks.factories import RunbookFactory


def _section(client, incident):
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    return html.split('id="section-runbooks"')[1].split("</section>")[0]


def test_incident_page_lists_attached_runbooks_best_first(signed_in, team, member):
    checkout = ServiceFactory(team=team, slug="checkout", name="Checkout")
    service_only = RunbookFactory(team=team, title="Checkout basics", services=[checkout])
    best = RunbookFactory(
        team=team,
        title="Checkout latency",
        services=[checkout],
        matchers={"title_keywords": ["latency"]},
    )
    RunbookFactory(team=team, title="Unrelated", matchers={"alert_names": ["DiskFull"]})
    incident = IncidentFactory(
        team=team, actor=member, title="Checkout latency high", services=[checkout]
    )
    shown = _section(signed_in, incident)
    assert shown.index(f'data-runbook="{best.pk}"') < shown.index(
        f'data-runbook="{service_only.pk}"'
    )
    assert f'href="/runbooks/{best.pk}/"' in shown
    assert "matched by the checkout service, “latency” in the title" in shown
    assert "Unrelated" not in shown


def test_an_incident_without_runbooks_says_so(signed_in, team, member):
    incident = IncidentFactory(team=team, actor=member)
    assert "No runbook matches this incident." in _section(signed_in, incident)


def test_runbooks_section_queries_do_not_grow(
    signed_in, team, member, django_assert_max_num_queries
):
    checkout = ServiceFactory(team=team, slug="checkout", name="Checkout")
    RunbookFactory(team=team, title="R0", services=[checkout])
    one = IncidentFactory(team=team, actor=member, services=[checkout])
    with django_assert_max_num_queries(40) as few:
        assert signed_in.get(f"/incidents/{one.pk}/").status_code == 200
    for n in range(1, 9):
        RunbookFactory(team=team, title=f"R{n}", services=[checkout])
    many = IncidentFactory(team=team, actor=member, services=[checkout])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert _section(signed_in, many).count("data-runbook=") == 9


def test_a_resolved_incidents_runbooks_are_marked_accurate_from_its_page(
    signed_in, team, member, outsider
):
    from django.test import Client

    from incidents import services as incident_services
    from runbooks.models import RunbookAttachment

    checkout = ServiceFactory(team=team, slug="checkout", name="Checkout")
    RunbookFactory(team=team, title="Checkout basics", services=[checkout])
    incident = IncidentFactory(team=team, actor=member, services=[checkout])
    assert "Was it accurate?" not in _section(signed_in, incident)  # still open
    incident_services.incident_resolve(incident=incident, actor=member)
    shown = _section(signed_in, incident)
    attachment = RunbookAttachment.objects.get(incident=incident)
    action = f"/incidents/{incident.pk}/runbooks/{attachment.pk}/accuracy/"
    assert f'action="{action}"' in shown
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.post(action, {"accurate": "yes"}).status_code == 404
    response = signed_in.post(action, {"accurate": "no"})
    assert response.status_code == 302 and response["Location"].endswith("#section-runbooks")
    attachment.refresh_from_db()
    assert attachment.accurate is False and attachment.answered_by == member
    assert "marked inaccurate" in _section(signed_in, incident)
