"""The pages, through the Django test client: login required, what each page shows, the
status actions, and bounded query counts."""

import pytest

from incidents import services
from incidents.models import Incident, TimelineEventKind
from tests.incidents.factories import IncidentFactory


@pytest.mark.parametrize("path", ["/", "/incidents/", "/incidents/declare/", "/metrics/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_anonymous_incident_detail_redirects_too(client, incident):
    response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_api_and_scrape_are_not_redirected(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/api/v1/incidents/").status_code in (401, 403)
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN configured
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/").status_code == 200


def test_home_shows_my_teams_open_incidents_and_pending_acknowledgements(
    signed_in, team, member, other_team, outsider
):
    waiting = IncidentFactory(team=team, actor=member, severity="SEV1", title="Checkout down")
    acked = IncidentFactory(team=team, actor=member, severity="SEV2", title="Slow search")
    services.incident_acknowledge(incident=acked, actor=member)
    IncidentFactory(team=other_team, actor=outsider, severity="SEV1", title="Not mine")
    response = signed_in.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert [t.name for t in response.context["teams"]] == ["Payments"]
    counts = {row["name"]: row["count"] for row in response.context["open_by_severity"]}
    assert counts == {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0}
    assert [i.pk for i in response.context["pending_acks"]] == [waiting.pk]
    assert "Checkout down" in body and "Slow search" in body
    assert "Not mine" not in body


def test_incident_list_filters_and_search(signed_in, team, member):
    IncidentFactory(team=team, actor=member, severity="SEV1", title="Database failover")
    IncidentFactory(team=team, actor=member, severity="SEV3", title="Cache misses")
    done = IncidentFactory(team=team, actor=member, severity="SEV3", title="Old cache bug")
    services.incident_resolve(incident=done, actor=member)

    def titles(**params):
        response = signed_in.get("/incidents/", params)
        assert response.status_code == 200
        return sorted(i.title for i in response.context["page"].object_list)

    assert titles() == ["Cache misses", "Database failover"]  # open by default
    assert titles(open="false") == ["Old cache bug"]
    assert titles(open="", q="cache") == ["Cache misses", "Old cache bug"]
    assert titles(severity="SEV1") == ["Database failover"]


def test_declare_form_creates_an_incident(signed_in, team):
    response = signed_in.post(
        "/incidents/declare/",
        {"team": team.pk, "title": "Payments failing", "severity": _sev("SEV1"), "summary": ""},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.title, incident.source, incident.severity.name) == (
        "Payments failing",
        "web",
        "SEV1",
    )


def test_declare_form_refuses_another_team_and_a_blank_title(signed_in, other_team):
    response = signed_in.post(
        "/incidents/declare/", {"team": other_team.pk, "title": " ", "severity": _sev("SEV2")}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"team", "title"}
    assert not Incident.objects.exists()


def _sev(name):
    from incidents.models import Severity

    return Severity.objects.get(name=name).pk


def test_status_actions_drive_the_lifecycle(signed_in, incident):
    url = f"/incidents/{incident.pk}/"
    assert signed_in.post(url + "acknowledge/").status_code == 302
    signed_in.post(url + "status/", {"status": "identified", "message": "Bad deploy"})
    signed_in.post(url + "note/", {"message": "Rolling back"})
    signed_in.post(url + "resolve/", {"resolution": "false_positive", "message": "Alert noise"})
    incident.refresh_from_db()
    assert (incident.status, incident.resolution) == ("resolved", "false_positive")
    kinds = list(incident.timeline.values_list("kind", "message"))
    assert kinds == [
        (TimelineEventKind.DECLARED, kinds[0][1]),
        (TimelineEventKind.ACKNOWLEDGED, ""),
        (TimelineEventKind.STATUS_CHANGED, "Bad deploy"),
        (TimelineEventKind.NOTE, "Rolling back"),
        (TimelineEventKind.RESOLVED, "Alert noise"),
    ]
    signed_in.post(url + "reopen/", {"message": "Back again"})
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_a_refused_transition_is_a_message_not_an_error(signed_in, incident):
    url = f"/incidents/{incident.pk}/"
    signed_in.post(url + "acknowledge/")
    response = signed_in.post(url + "acknowledge/", follow=True)
    assert response.status_code == 200
    assert "The incident is already acknowledged." in response.content.decode()


def test_htmx_actions_return_the_panel_only(signed_in, incident):
    response = signed_in.post(
        f"/incidents/{incident.pk}/note/", {"message": "From htmx"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="incident-panel"')
    assert "From htmx" in body and "<html" not in body


def test_another_teams_incident_is_not_found(client, incident, outsider):
    client.force_login(outsider)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 404
    incident.refresh_from_db()
    assert incident.status == "triggered"
    huge = "9" * 30
    assert client.get(f"/incidents/{huge}/").status_code == 404
    assert client.post(f"/incidents/{huge}/note/", {"message": "x"}).status_code == 404


def test_unknown_action_is_refused_without_change(signed_in, incident):
    signed_in.post(f"/incidents/{incident.pk}/explode/")
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_pages_serve_htmx_from_our_own_static_files(signed_in):
    body = signed_in.get("/").content.decode()
    assert '<script src="/static/vendor/htmx.min.js"' in body
    assert "://" not in body.split("<script", 1)[1].split(">", 1)[0]


# The metrics page's own tests are in tests/web/test_metrics_page.py.


def _many(team, member, n):
    for i in range(n):
        incident = IncidentFactory(team=team, actor=member, severity=f"SEV{i % 4 + 1}")
        if i % 2:
            services.incident_acknowledge(incident=incident, actor=member)
        services.incident_add_note(incident=incident, actor=member, message=f"note {i}")


@pytest.mark.parametrize("path", ["/", "/incidents/", "/incidents/?open=", "/metrics/", "DETAIL"])
def test_page_query_count_does_not_grow(
    signed_in, team, member, path, django_assert_max_num_queries
):
    _many(team, member, 2)
    first = Incident.objects.order_by("id").first()
    url = f"/incidents/{first.pk}/" if path == "DETAIL" else path
    # 20 for the page, plus 1: the reader's time zone, read on every request
    # (config.middleware.ReaderTimeZoneMiddleware).
    with django_assert_max_num_queries(21) as few:
        assert signed_in.get(url).status_code == 200
    _many(team, member, 12)
    for i in range(5):
        services.incident_add_note(incident=first, actor=member, message=f"more {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert signed_in.get(url).status_code == 200


def test_other_apps_add_sections_to_home_and_incident_pages(signed_in, incident):
    from django.template import Template

    from incidents.web import sections

    # A compiled template works wherever a template name does ({% include %}).
    section_template = Template(
        '<h2>{{ section.title }}</h2><p class="test-section">{{ section.text }}</p>'
    )
    sections.register_section(
        page="home",
        name="oncall-now",
        template=section_template,
        context=lambda request: {"title": "On call now", "text": request.user.username},
    )
    sections.register_section(
        page="incident_detail",
        name="pages-sent",
        template=section_template,
        context=lambda request, incident: {"title": "Pages", "text": incident.reference},
    )
    try:
        home = signed_in.get("/").content.decode()
        detail = signed_in.get(f"/incidents/{incident.pk}/").content.decode()
    finally:
        sections.unregister_section(page="home", name="oncall-now")
        sections.unregister_section(page="incident_detail", name="pages-sent")
    assert '<section id="section-oncall-now"><h2>On call now</h2>' in home
    assert '<p class="test-section">marco</p>' in home
    assert f'<p class="test-section">{incident.reference}</p>' in detail
    with pytest.raises(ValueError, match="Unknown page"):
        sections.register_section(page="nowhere", name="x", template="x", context=dict)


def test_severity_and_roles_are_edited_from_the_incident_page(signed_in, incident, member):
    from incidents.models import Severity

    sev1 = Severity.objects.get(name="SEV1")
    response = signed_in.post(
        f"/incidents/{incident.pk}/edit/",
        {"severity": sev1.pk, "commander": member.pk, "scribe": "", "communications_lead": ""},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.severity.name, incident.commander) == ("SEV1", member)
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[-2:] == [TimelineEventKind.SEVERITY_CHANGED, TimelineEventKind.ROLE_ASSIGNED]


def test_roles_are_limited_to_the_incident_team(signed_in, incident, outsider):
    signed_in.post(
        f"/incidents/{incident.pk}/edit/",
        {"severity": incident.severity_id, "commander": outsider.pk},
    )
    incident.refresh_from_db()
    assert incident.commander is None


def test_incident_timeline_shows_labels_for_communication_events(signed_in, incident, member):
    from incidents.communication.services.updates import status_update_post

    status_update_post(incident=incident, actor=member, message="Rolling back the deploy.")
    body = signed_in.get(f"/incidents/{incident.pk}/").content.decode()
    assert '<li data-kind="status_update">' in body
    assert "<strong>Status update</strong>" in body  # its label, not the raw kind
    assert "<strong>status_update</strong>" not in body


def test_the_nav_links_every_section_of_the_app(signed_in):
    """The pages a person reaches by clicking: a renamed route must not drop its link."""
    from django.urls import reverse

    body = signed_in.get("/").content.decode()
    for name in (
        "incident-list",
        "incident-declare",
        "oncall-page",
        "my-shifts",
        "postmortem-list",
        "action-item-board",
        "runbook-list",
        "team-list",
        "integration-list",
        "metrics-page",
        "profile",
    ):
        assert f'href="{reverse("web:" + name)}"' in body, name
