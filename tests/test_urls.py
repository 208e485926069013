"""URL names can never collide: every named route of ours lives in a namespace (``web``,
``api``, ``ingest``, ``feeds``), and no fully-qualified name is defined twice. A page and
an API route once shared ``incident-detail`` and the API won, so links opened JSON."""

from collections import Counter

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

OWN_NAMESPACES = {"web", "api", "ingest", "feeds"}
# Names third-party apps define at the root; ours never go there.
THIRD_PARTY_MODULES = ("allauth.", "django.", "rest_framework.", "drf_spectacular.")


def _named_routes(resolver: URLResolver, namespace: str = "") -> list[tuple[str, str]]:
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            routes += _named_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            module = getattr(entry.callback, "__module__", "")
            routes.append((f"{namespace}:{entry.name}" if namespace else entry.name, module))
    return routes


def test_every_route_of_ours_lives_in_a_namespace():
    stray = [
        name
        for name, module in _named_routes(get_resolver())
        if ":" not in name and not module.startswith(THIRD_PARTY_MODULES)
    ]
    assert stray == []


def test_no_qualified_name_is_defined_twice():
    counts = Counter(name for name, _ in _named_routes(get_resolver()))
    doubled = {
        name for name, count in counts.items() if count > 1 and name.split(":")[0] in OWN_NAMESPACES
    }
    assert doubled == set()


def test_web_and_api_incident_names_point_to_a_page_and_the_api():
    assert reverse("web:incident-detail", args=[7]) == "/incidents/7/"
    assert reverse("api:incident-detail", args=[7]) == "/api/v1/incidents/7/"
    assert reverse("web:incident-list") == "/incidents/"
    assert reverse("api:incident-list") == "/api/v1/incidents/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/severities/null,null/", "/api/v1/incidents/abc/", "/api/v1/teams/1.5/"]
)
def test_ids_in_api_paths_are_numbers_so_other_text_is_a_404(client, path):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("reader"))
    response = client.patch(path, data={}, content_type="application/json")
    assert response.status_code == 404
    # In the API's error shape, not the HTML page people get.
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == "Not found."
