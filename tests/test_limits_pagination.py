"""Page sizes are capped: ``page_size`` past the maximum answers with the maximum; a bare
array is bounded some other way (shifts: by their window)."""

from datetime import date, time

import pytest
from rest_framework.test import APIRequestFactory

from common.api import Pagination
from tests.oncall.factories import TeamFactory, TeamMembershipFactory, make_schedule


def _page_size(query: str) -> int:
    request = APIRequestFactory().get(f"/api/v1/teams/?{query}")
    request.query_params = request.GET  # what DRF's Request offers the paginator
    return Pagination().get_page_size(request)


def test_page_size_is_capped_at_the_maximum():
    assert Pagination.max_page_size == 200
    assert _page_size("") == 50
    assert _page_size("page_size=200") == 200
    assert _page_size("page_size=201") == 200
    assert _page_size("page_size=1000000000000000000000") == 200


@pytest.mark.parametrize("query", ["page_size=0", "page_size=-1", "page_size=many"])
def test_unreadable_page_size_is_a_400_naming_the_cap(api, member, query):
    response = api.as_user(member).get(f"/api/v1/teams/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"]["page_size"] == ["Must be a whole number from 1 to 200."]


def test_a_list_asked_for_more_than_the_cap_answers_one_capped_page(api, member):
    for index in range(Pagination.max_page_size + 3):
        TeamMembershipFactory(team=TeamFactory(name=f"Squad {index:03}"), user=member)
    body = api.as_user(member).get("/api/v1/teams/?page_size=100000").json()
    assert body["count"] == Pagination.max_page_size + 4  # and Payments
    assert len(body["results"]) == Pagination.max_page_size
    assert body["next"]


def test_bare_array_of_shifts_is_bounded_by_its_window(api, team, manager, alice):
    # Shifts are a bare array: what bounds them is the window, at most 93 days.
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    client = api.as_user(manager)
    url = f"/api/v1/schedules/{schedule.pk}/shifts/"
    ok = client.get(url, {"start": "2026-03-02T00:00:00Z", "end": "2026-06-02T00:00:00Z"})
    assert ok.status_code == 200 and isinstance(ok.json(), list)
    too_wide = client.get(url, {"start": "2026-03-02T00:00:00Z", "end": "2026-06-04T00:00:00Z"})
    assert too_wide.status_code == 400
    assert "end" in too_wide.json()["errors"]
