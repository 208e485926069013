"""Every link works: as staff, a manager and a member, start at the home page and follow
every same-origin link breadth-first (depth 4), requesting each hx-get URL as htmx
would; no page answers 4xx/5xx, none logs a console error (a CSP violation is one), every
page link answers HTML. Then every page found, opened on a phone, fits the screen."""

import pytest

from tests.e2e.conftest import crawl, fits_the_screen, sign_in

# (status, path) pairs a link may answer on purpose. None so far.
EXPECTED = ()
REPORT_DIR = "test-artifacts"


def _report(role: str, found: dict) -> None:
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / REPORT_DIR / f"crawl-{role}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "\n".join(
            [f"pages: {len(found['pages'])}", *found["pages"], "", "fragments:"]
            + found["fragments"]
            + ["", "files:", *found["files"], "", "problems:", *found["problems"]]
        )
    )
    print(
        f"crawl as {role}: {len(found['pages'])} pages, {len(found['fragments'])} hx-get "
        f"fragments, {len(found['files'])} files/feeds, {len(found['problems'])} problems"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["staff", "manager", "member"])
def test_every_link_works_and_every_page_fits_a_phone(live_server, world, browser, role):
    user = world[role]
    laptop = browser.new_page("laptop")
    sign_in(laptop, live_server.url, user.username)
    found = crawl(laptop, live_server.url, max_depth=4, expected=EXPECTED)
    _report(role, found)
    assert len(found["pages"]) >= 10, found["pages"]

    phone = browser.new_page("phone")
    sign_in(phone, live_server.url, user.username)
    too_wide = []
    for url in found["pages"]:
        if "/admin/" in url:
            continue  # Django's admin has its own responsive layout
        phone.goto(url)
        try:
            fits_the_screen(phone)
        except AssertionError as error:
            too_wide.append(str(error))
    problems = found["problems"] + too_wide
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
