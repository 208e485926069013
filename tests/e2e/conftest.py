"""Browser tests: a real OpenID Connect provider (tests/e2e/oidc, node-oidc-provider) on
127.0.0.1, pytest-django's live server, and Debian's Chromium driven by Playwright."""

import json
import shutil
import subprocess
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


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads
    # are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def shoot():
    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

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
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
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
            chromium.close()


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"


def fits_the_screen(page) -> None:
    """No horizontal scroll: the document is no wider than the viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide at {viewport} px"
