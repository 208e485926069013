"""Accessibility: axe-core's WCAG 2 A and AA rules on every page the crawl finds (as a
manager, who sees the most controls) and on the public pages, at phone and laptop
widths. Serious and critical violations fail, printed page by page."""

import contextlib

import pytest

from tests.e2e.conftest import AXE_JS, axe_violations, crawl, sign_in

PUBLIC_PAGES = ["/accounts/login/", "/status/"]
# Swagger UI (/api/docs/) nests its buttons in its own markup; its colours are ours to fix
# (static/css/api-docs.css), its structure is not.
THIRD_PARTY_RULES = {"/api/docs/": ("nested-interactive",)}


@pytest.fixture
def axe_available():
    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed (run `npm ci` in tests/e2e; .ci/run does)")


def _check(page, urls) -> list[str]:
    problems = []
    for url in urls:
        if "/admin/" in url:
            continue  # Django's admin is Django's to fix
        page.goto(url)
        with contextlib.suppress(Exception):  # polling pages never go idle
            page.wait_for_load_state("networkidle", timeout=5_000)
        skip = next((rules for path, rules in THIRD_PARTY_RULES.items() if path in url), ())
        problems += [f"{url}: {line}" for line in axe_violations(page, skip_rules=skip)]
    return problems


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", ["phone", "laptop"])
def test_no_serious_accessibility_violations(live_server, world, browser, axe_available, width):
    anonymous = browser.new_page(width)
    problems = _check(anonymous, [live_server.url + path for path in PUBLIC_PAGES])

    laptop = browser.new_page("laptop")
    sign_in(laptop, live_server.url, world["manager"].username)
    pages = crawl(laptop, live_server.url, max_depth=4)["pages"]
    page = laptop if width == "laptop" else browser.new_page(width)
    if page is not laptop:
        sign_in(page, live_server.url, world["manager"].username)
    problems += _check(page, pages)
    print(f"axe at {width}: {len(pages) + len(PUBLIC_PAGES)} pages")
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems)
