"""The incident pages through the Django test client: declaring (severity cards, the
team's services and people, plain errors), a status change that takes a message, the
live region an open SEV1 refreshes (a fragment, never the page inside itself), times
and statuses in words."""

import pytest

from incidents import services
from incidents.models import Incident, Severity, TimelineEventKind
from oncall.teams.models import TeamMembership
from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.oncall.factories import member_of


def _sev(name):
    return Severity.objects.get(name=name).pk


def test_declare_form_shows_severity_cards_with_descriptions_and_none_chosen(signed_in, team):
    response = signed_in.get("/incidents/declare/")
    body = response.content.decode()
    assert response.status_code == 200
    for severity in Severity.objects.all():
        assert f'id="severity-{severity.pk}" required>' in body  # required, not checked
        # Its description, without a leading "Critical:" that repeats the label.
        assert severity.description.split(":", 1)[-1].strip()[1:] in body
    assert (
        'type="radio" name="severity"' in body
        and "checked" not in body.split('name="severity"', 1)[1].split("</fieldset>", 1)[0]
    )
    assert "<select" in body and 'name="team"' in body


def test_declare_form_offers_the_chosen_teams_services_and_people(
    signed_in, team, member, other_team
):
    ServiceFactory(team=team, name="Checkout", slug="checkout")
    ServiceFactory(team=other_team, name="Mobile app", slug="app")
    alice = member_of(team, "alice")
    form = signed_in.get("/incidents/declare/").context["form"]
    assert [s.name for s in form.fields["services"].queryset] == ["Checkout"]
    assert set(form.fields["commander"].queryset) == {member, alice}
    assert form["commander"].value() == member.pk  # the declarer, unless changed


def test_declaring_with_services_commander_private_flag_and_impact(signed_in, team, member):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    alice = member_of(team, "alice")
    response = signed_in.post(
        "/incidents/declare/",
        {
            "team": team.pk,
            "title": "Payments failing",
            "severity": _sev("SEV2"),
            "services": [checkout.pk],
            "commander": alice.pk,
            "impact": "Card payments fail.",
            "private": "on",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.severity.name, incident.commander, incident.private, incident.impact) == (
        "SEV2",
        alice,
        True,
        "Card payments fail.",
    )
    assert list(incident.services.all()) == [checkout]
    assert (incident.source, incident.created_by) == ("web", member)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"severity": ""}, "severity", "Choose a severity."),
        ({"severity": "999999"}, "severity", "Choose one of the severities listed."),
        ({"title": "  "}, "title", "Give the incident a title."),
        ({"services": ["FOREIGN"]}, "services", "Choose services of the selected team."),
        ({"commander": "OUTSIDER"}, "commander", "Choose a member of the team."),
    ],
)
def test_declare_errors_are_in_plain_words_and_linked_to_their_field(
    signed_in, team, other_team, outsider, change, field, message
):
    foreign = ServiceFactory(team=other_team, name="Mobile app", slug="app")
    data = {"team": team.pk, "title": "Payments failing", "severity": _sev("SEV1")}
    data.update(change)
    if data.get("services") == ["FOREIGN"]:
        data["services"] = [foreign.pk]
    if data.get("commander") == "OUTSIDER":
        data["commander"] = outsider.pk
    response = signed_in.post("/incidents/declare/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert message in body
    assert "The incident was not declared." in body
    assert f'id="id_{field}_errors"' in body
    if field in ("title", "commander"):
        assert f'aria-describedby="id_{field}_errors' in body
    assert not Incident.objects.exists()


def test_declare_refuses_another_team(signed_in, other_team):
    response = signed_in.post(
        "/incidents/declare/", {"team": other_team.pk, "title": "x", "severity": _sev("SEV2")}
    )
    assert "Choose one of your teams." in response.content.decode()
    assert not Incident.objects.exists()


def test_changing_the_team_reloads_its_services(signed_in, member, team, other_team):
    TeamMembership.objects.create(team=other_team, user=member, role="member")
    ServiceFactory(team=other_team, name="Mobile app", slug="app")
    response = signed_in.get("/incidents/declare/", {"team": other_team.pk})
    form = response.context["form"]
    assert [s.name for s in form.fields["services"].queryset] == ["Mobile app"]
    assert 'hx-get="/incidents/declare/"' in response.content.decode()


def test_a_status_change_takes_a_message_shown_on_the_timeline(signed_in, incident):
    url = f"/incidents/{incident.pk}/"
    signed_in.post(url + "acknowledge/")
    response = signed_in.post(url + "status/", {"status": "identified", "message": ""})
    incident.refresh_from_db()
    assert incident.status == "acknowledged"  # refused without a message
    page = signed_in.get(response["Location"]).content.decode()
    assert "Say what changed: the message goes on the timeline." in page
    signed_in.post(url + "status/", {"status": "identified", "message": "Bad deploy 4512."})
    incident.refresh_from_db()
    assert incident.status == "identified"
    event = incident.timeline.get(kind=TimelineEventKind.STATUS_CHANGED)
    assert event.message == "Bad deploy 4512."
    page = signed_in.get(url).content.decode()
    assert "Acknowledged → Identified" in page  # statuses in words
    assert "Bad deploy 4512." in page
    assert '<span class="status status-identified" id="incident-status">Identified</span>' in page


def test_a_refused_status_change_keeps_the_typed_message_with_its_error(signed_in, incident):
    response = signed_in.post(
        f"/incidents/{incident.pk}/status/",
        {"status": "monitoring", "message": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="status-message-errors"' in body
    assert 'aria-invalid="true"' in body
    assert "HX-Trigger" not in response


def test_htmx_actions_answer_with_the_live_region_and_the_timeline(signed_in, incident):
    response = signed_in.post(
        f"/incidents/{incident.pk}/note/", {"message": "From htmx"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="incident-panel"')
    assert '<div id="incident-activity" class="incident-activity" hx-swap-oob="true">' in body
    assert "From htmx" in body and "<html" not in body
    assert response["HX-Trigger"] == "incident-saved"  # the note form empties itself
    # The note form lives outside what is swapped, so nothing else typed is lost.
    assert 'id="note-form"' not in body and 'id="share-update"' not in body


def test_open_sev1_page_refreshes_only_its_live_region(signed_in, team, member, settings):
    settings.INCIDENT_PAGE_REFRESH_SECONDS = 7
    sev1 = IncidentFactory(team=team, actor=member, severity="SEV1")
    sev2 = IncidentFactory(team=team, actor=member, severity="SEV2")
    page = signed_in.get(f"/incidents/{sev1.pk}/").content.decode()
    assert 'hx-trigger="every 7s, incident-changed from:body"' in page
    # The forms people type into are outside the refreshed element.
    live = page.split('<div id="incident-panel"', 1)[1].split('<div id="section-share-update"')[0]
    assert 'id="note-message"' not in live and 'id="share-update-form"' not in live
    assert (
        'hx-trigger="incident-changed from:body"'
        in signed_in.get(f"/incidents/{sev2.pk}/").content.decode()
    )
    # The refresh is a fragment: never the whole page inside the page.
    fragment = signed_in.get(f"/incidents/{sev1.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="incident-panel"')
    assert "<html" not in fragment and "<header" not in fragment
    # Text in the live region is kept across a refresh.
    assert 'id="status-message" rows="2" required' in fragment
    assert "hx-preserve" in fragment.split('id="status-message"', 1)[1].split(">", 1)[0]
    services.incident_resolve(incident=sev1, actor=member)
    assert "every 7s" not in signed_in.get(f"/incidents/{sev1.pk}/").content.decode()


def test_times_are_shown_in_the_readers_zone(signed_in, incident):
    body = signed_in.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<time datetime=" in body
    assert "UTC</span>" not in body  # no hand-formatted UTC strings


def test_incident_list_reflows_on_phones_with_labelled_cells(signed_in, incident):
    body = signed_in.get("/incidents/").content.decode()
    assert '<div class="table-wrap">' in body and 'class="incidents reflow"' in body
    assert 'data-label="Status"><span class="status status-triggered">Triggered</span>' in body
    assert "<time datetime=" in body


def test_the_filter_forms_empty_choices_mean_any(signed_in, team, member):
    done = IncidentFactory(team=team, actor=member, title="Old cache bug")
    services.incident_resolve(incident=done, actor=member)
    response = signed_in.get(
        "/incidents/", {"q": "", "team": "", "severity": "", "status": "", "open": "false"}
    )
    assert not response.context["filter"].errors
    assert [i.title for i in response.context["page"].object_list] == ["Old cache bug"]
    assert "Select a valid choice" not in response.content.decode()
