"""Browser tests: a real OpenID Connect provider (tests/e2e/oidc, node-oidc-provider) on
127.0.0.1, pytest-django's live server, and Debian's Chromium driven by Playwright."""

import contextlib
import json
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

OIDC_DIR = Path(__file__).parent / "oidc"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CLIENT_ID = "tocsin-web"
CLIENT_SECRET = "e2e-client-secret"

ACCOUNTS = {
    "alice": {"email": "alice@example.com", "name": "Alice Responder", "groups": ["sre"]},
    "mallory": {"email": "mallory@evil.test", "name": "Mallory Outsider", "groups": ["sre"]},
}


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is not installed"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return "run `npm ci` in tests/e2e/oidc (.ci/run does)"
    return None


@pytest.fixture
def oidc_provider(live_server):
    """Start the provider with our live server's callback registered; yield its issuer."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{live_server.url}/accounts/oidc/sso/login/callback/"],
        "accounts": ACCOUNTS,
    }
    process = subprocess.Popen(  # noqa: S603 - fixed program and arguments
        ["node", "provider.mjs", json.dumps(config)],  # noqa: S607
        cwd=OIDC_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"OIDC provider did not start: {line!r}")
        yield line.split(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso_settings(settings, oidc_provider):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Company SSO",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {
                        "server_url": oidc_provider,
                        "scope": ["openid", "profile", "email", "groups"],
                    },
                }
            ],
        }
    }
    settings.SSO_ALLOWED_EMAIL_DOMAINS = ["example.com"]
    settings.TEAM_GROUP_MAPPING = "sre=sre:member"
    return settings


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def _chromium(monkeypatch):
    """Debian's Chromium, headless, for one test. Playwright's sync API runs an event loop
    in this thread; the test's own ORM reads are still plain synchronous calls."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(monkeypatch):
    with _chromium(monkeypatch) as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture
def shoot():
    def take(page, name: str) -> None:
        # caret="initial": hiding the caret injects a <style>, which the CSP refuses.
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")

    return take


# The widths every page is tried at: a phone (iPhone 12–15) and a laptop.
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
PASSWORD = "e2e-pass-1234"


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium; ``new_page(width)`` opens a fresh context at "phone" or
    "laptop" size that records console errors and failed responses on the page object
    (``page.console_errors``, ``page.bad_responses``)."""
    reason = (
        None
        if Path(CHROMIUM).exists()
        else f"{CHROMIUM} is not installed (apt-get install chromium)"
    )
    if reason:
        pytest.skip(reason)
    with _chromium(monkeypatch) as chromium:
        contexts = []

        class Browser:
            def new_page(self, width: str = "laptop", **options):
                context = chromium.new_context(
                    viewport=VIEWPORTS[width], has_touch=width == "phone", **options
                )
                context.set_default_timeout(20_000)
                contexts.append(context)
                page = context.new_page()
                page.console_errors = []
                page.bad_responses = []
                page.on(
                    "console",
                    lambda message: (
                        message.type == "error" and page.console_errors.append(message.text)
                    ),
                )
                page.on("pageerror", lambda error: page.console_errors.append(str(error)))
                page.on(
                    "response",
                    lambda response: (
                        response.status >= 400
                        and page.bad_responses.append(f"{response.status} {response.url}")
                    ),
                )
                return page

        try:
            yield Browser()
        finally:
            for context in contexts:
                context.close()


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"


def person(username: str, **fields):
    """A user who signs in with the harness's PASSWORD."""
    from tests.oncall.factories import UserFactory

    user = UserFactory(username=username, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def nav_follow(page, name: str) -> None:
    """Follow a link of the main navigation, opening the Menu first on a phone."""
    import re

    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator("#site-nav").get_by_role("link", name=re.compile(name)).first.click()
    page.wait_for_load_state("networkidle")


def fits_the_screen(page) -> None:
    """No horizontal scroll: the document is no wider than the viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide at {viewport} px"


# --- The world the crawl and the accessibility tests walk through ------------------------

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def world(team, other_team, staff, manager, member, outsider):
    """A small world seeded through factories and services: Payments (``team``) with its
    manager priya, member marco and staff admin; Mobile (``other_team``) with olivia, an
    outsider to Payments. Payments has an open SEV1 and SEV3, a resolved incident with
    its postmortem and action items, a schedule with a layer and an override, an
    escalation policy, a runbook and an integration with an alert."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from incidents.alerts.parsers.events import NormalizedEvent
    from incidents.alerts.services.ingest import alert_open_new
    from incidents.alerts.services.integrations import integration_create
    from tests.incidents.factories import IncidentFactory, ServiceFactory
    from tests.oncall.factories import TeamMembershipFactory, make_policy, make_schedule
    from tests.postmortems.factories import ActionItemFactory, postmortem_for
    from tests.runbooks.factories import RunbookFactory

    for user in (staff, manager, member, outsider):
        user.set_password(PASSWORD)
        user.save()
    TeamMembershipFactory(team=team, user=staff, role="member")
    now = timezone.now()
    service = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    ServiceFactory(team=other_team, name="Mobile app", slug="mobile-app")
    schedule = make_schedule(
        team,
        [
            {
                "users": [manager, member],
                "rotation": "weekly",
                "handoff_time": datetime.time(9),
                "start": (now - datetime.timedelta(days=10)).date(),
            }
        ],
        time_zone="Europe/Berlin",
        overrides=[
            (member, now + datetime.timedelta(days=1), now + datetime.timedelta(days=1, hours=8))
        ],
    )
    make_policy(team, [(5, [schedule]), (10, [manager])])
    sev1 = IncidentFactory(
        team=team,
        actor=manager,
        severity="SEV1",
        title="Checkout returns 502",
        summary="Half of the checkout requests fail.",
        services=[service],
        commander=manager,
    )
    IncidentFactory(team=team, actor=member, severity="SEV3", title="Slow search results")
    IncidentFactory(team=other_team, actor=outsider, severity="SEV2", title="Mobile push delayed")
    postmortem = postmortem_for(
        team=team, actor=manager, severity="SEV2", title="Card payments declined"
    )
    for title in ("Alert on connection-pool saturation", "Canary config deploys"):
        ActionItemFactory(
            actor=manager, postmortem=postmortem, owner=member, title=title, priority="P1"
        )
    RunbookFactory(team=team, actor=manager, title="Checkout latency", services=[service])
    integration, _key = integration_create(
        actor=manager, team=team, name="Prometheus", kind="alertmanager"
    )
    with transaction.atomic():
        alert_open_new(
            integration=integration,
            event=NormalizedEvent(
                action="trigger",
                dedup_key="checkout-5xx",
                payload={"alertname": "Checkout5xx"},
                summary="Checkout 5xx above 5%",
                source="prometheus",
                severity="critical",
                name="Checkout5xx",
                labels={"service": "checkout-api"},
            ),
            now=now,
        )
    return {
        "team": team,
        "other_team": other_team,
        "staff": staff,
        "manager": manager,
        "member": member,
        "outsider": outsider,
        "sev1": sev1,
        "postmortem": postmortem,
        "schedule": schedule,
    }


# Links the crawl requests but does not open as pages: files, feeds and the JSON API.
FILE_SUFFIXES = (".ics", ".atom", ".csv", ".json", ".pdf", ".txt")
NEVER_FOLLOW = ("/accounts/logout/",)


def _is_file_link(path: str, link: dict) -> bool:
    if link.get("download") or (link.get("type") and "html" not in link["type"]):
        return True
    if path.endswith(FILE_SUFFIXES):
        return True
    return path.startswith("/api/") and not path.startswith("/api/docs/")


def crawl(page, base_url: str, *, max_depth: int = 4, max_pages: int = 400, expected=()):
    """Breadth-first over every same-origin ``<a href>`` from ``/``, as the signed-in
    person on ``page``. Each page link must answer 2xx/3xx with HTML and log no console
    error; every ``hx-get`` URL on a page is requested too (as htmx does), and files,
    feeds and API links only need to answer. ``expected``: (status, path) pairs allowed.
    Admin pages are visited, but only the admin index is followed (its model pages).
    Returns ``{"pages": [url, ...], "fragments": [...], "files": [...], "problems": [...]}``."""
    from collections import deque
    from urllib.parse import urldefrag, urlsplit

    links_js = """els => els.map(a => ({href: a.href, download: a.hasAttribute('download'),
                                         type: a.getAttribute('type') || ''}))"""
    hx_js = """els => els.map(e => new URL(e.getAttribute('hx-get'), location.href).href)"""
    pages, fragments, files, problems = [], set(), set(), []
    allowed = set(expected)
    start = base_url + "/"
    queue = deque([(start, 0, "(start)")])
    seen = {start}
    per_path: dict[str, int] = {}

    def answer_ok(status: int, url: str, found_on: str) -> bool:
        if status < 400 or (status, urlsplit(url).path) in allowed:
            return True
        problems.append(f"{status} {url} (linked from {found_on})")
        return False

    while queue and len(pages) < max_pages:
        url, depth, found_on = queue.popleft()
        page.console_errors.clear()
        try:
            response = page.goto(url, wait_until="load")
        except Exception as error:  # e.g. "Download is starting"
            problems.append(
                f"{url} (linked from {found_on}) is not a page: {str(error).splitlines()[0]}"
                " (a file link needs the download attribute)"
            )
            continue
        with contextlib.suppress(Exception):  # polling pages never go idle; load is enough
            page.wait_for_load_state("networkidle", timeout=5_000)
        if response is None or not answer_ok(response.status, url, found_on):
            continue
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            problems.append(f"{url} answered {content_type!r}, not a page (from {found_on})")
            continue
        final = urldefrag(page.url)[0]
        if not final.startswith(base_url) or final in pages:
            continue  # a redirect to a page visited already
        pages.append(final)
        for error in page.console_errors:
            problems.append(f"console error on {final}: {error}")
        path = urlsplit(final).path
        for hx_url in page.eval_on_selector_all("[hx-get]", hx_js):
            hx_url = urldefrag(hx_url)[0]
            if hx_url in fragments or not hx_url.startswith(base_url):
                continue
            fragments.add(hx_url)
            answer = page.request.get(hx_url, headers={"HX-Request": "true"})
            answer_ok(answer.status, hx_url, f"hx-get on {final}")
        if depth >= max_depth or (path.startswith("/admin/") and path != "/admin/"):
            continue
        for link in page.eval_on_selector_all("a[href]", links_js):
            href = urldefrag(link["href"])[0]
            if not href.startswith(base_url) or href in seen:
                continue
            seen.add(href)
            link_path = urlsplit(href).path
            if link_path.startswith(NEVER_FOLLOW):
                continue
            if _is_file_link(link_path, link):
                files.add(href)
                answer = page.request.get(href)
                answer_ok(answer.status, href, final)
                continue
            # Query-string variants of one page (filters, sort orders): a few are enough.
            per_path[link_path] = per_path.get(link_path, 0) + 1
            if per_path[link_path] > 5:
                continue
            queue.append((href, depth + 1, final))
    return {
        "pages": pages,
        "fragments": sorted(fragments),
        "files": sorted(files),
        "problems": problems,
    }


def axe_violations(page, impacts=("serious", "critical"), skip_rules=()) -> list[str]:
    """Run axe-core (WCAG 2 A and AA rules) in the page; the serious and critical
    violations, one line each with the elements concerned. ``skip_rules``: axe rule ids
    not to run (for third-party markup we cannot change)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # page.evaluate runs outside the page's CSP, so this needs no inline script.
        page.evaluate(AXE_JS.read_text())
    found = page.evaluate(
        """async (skip) => {
            const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]},
                resultTypes: ["violations"],
                rules,
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ")),
                count: v.nodes.length,
            }));
        }""",
        list(skip_rules),
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) ×{v['count']}: {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in impacts
    ]


def pytest_terminal_summary(terminalreporter):
    """One line saying which browser tests were skipped and what to install."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        if not report.nodeid.startswith("tests/e2e/"):
            continue
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        count = sum(reasons.values())
        terminalreporter.write_line(
            f"Browser tests skipped: {count} ("
            + "; ".join(f"{n} because {r}" for r, n in reasons.items())
            + "). Install: apt-get install chromium nodejs npm; "
            "npm ci in tests/e2e and tests/e2e/oidc."
        )
