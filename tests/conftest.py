"""Shared fixtures: the review loaded once per session, and named personas.

Personas (as in healthchecks' hc/test.py): ``reader`` (signed in, no role), ``curator``,
``editor`` (approves), ``admin`` (superuser); ``*_client`` are test clients signed in as them.
"""

import os

# The suite is hermetic: whatever DJANGO_* or EXOCLAIMS_* the caller's shell exports (DJANGO_DEBUG=1
# after `make serve`, say) is dropped, so the tests always see the settings below. DATABASE_URL is
# the one switch kept: it is how the test command picks SQLite or PostgreSQL.
for _name in [n for n in os.environ if n.startswith(("DJANGO_", "EXOCLAIMS_"))]:
    if _name not in {"EXOCLAIMS_TEST_POSTGRES_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}:
        del os.environ[_name]
# Tests run with production settings (DEBUG off), minus the HTTPS redirect the test client cannot follow.
os.environ["DJANGO_SECRET_KEY"] = "test-only-secret-key-not-for-production-use-0123456789"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
os.environ["EXOCLAIMS_PLAIN_STATIC"] = "1"
os.environ["DJANGO_SETTINGS_MODULE"] = "exoclaims.settings"
# Playwright's sync API runs an event loop in the test thread; the ORM calls there are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402
import pytest  # noqa: E402

# The environment above must be in place before settings load, so Django is set up here rather
# than from pytest configuration (which would read settings before this file runs).
django.setup()

from django.conf import settings  # noqa: E402

from tests.factories import make_user  # noqa: E402

# WhiteNoise warns on every request when STATIC_ROOT does not exist (tests serve static files
# through the finders, never collectstatic): an empty directory silences a flood of UserWarnings.
settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Password hashing is deliberately slow; tests sign many personas in and out.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite runs in one process, so any cache is shared here; production's database cache would add
# its own queries (the anonymous throttle's read and write: 6 per API request) to every pinned query
# budget, which measure the views. tests/test_shared_state.py serves the real cache settings with
# gunicorn to show that throttles are shared between processes.
settings.CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the review's transcription loaded."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_review", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture
def test_transaction_kept():
    """Requests sent straight to the WSGI handler (schemathesis) would close the database
    connection when they end (Django's close_old_connections), and with it the test's
    transaction; Django's test client unhooks it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def curator_token(curator):
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=curator).key


@pytest.fixture
def reader(db):
    return make_user("reader")


@pytest.fixture
def curator(db):
    return make_user("curator", "curators", is_staff=True)


@pytest.fixture
def other_curator(db):
    return make_user("other_curator", "curators", is_staff=True)


@pytest.fixture
def editor(db):
    return make_user("editor", "editors", is_staff=True)


@pytest.fixture
def admin_user(db):
    return make_user("admin", is_staff=True, is_superuser=True)


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reader_client(reader):
    return _client_for(reader)


@pytest.fixture
def curator_client(curator):
    return _client_for(curator)


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def admin_client(admin_user):
    return _client_for(admin_user)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "artifacts", "screenshots")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Never a downloaded browser; missing is a failure."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def transactional_review(transactional_db):
    """The review loaded for a transactional test (those start from empty tables)."""
    from django.core.management import call_command

    call_command("load_review", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture
def site(live_server, transactional_review):
    """The live server with the review loaded."""
    return live_server


class BrowserPage:
    """A Playwright page that records console errors and CSP violations, and can screenshot."""

    def __init__(self, page, base_url):
        self.page, self.base_url, self.problems = page, base_url, []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def __getattr__(self, name):
        return getattr(self.page, name)

    def open(self, path):
        response = self.page.goto(self.base_url + path)
        return response

    def sign_in(self, username):
        """Sign in through the form as one of tests/conftest.py's personas."""
        from tests.factories import PASSWORD

        self.open("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("form.stacked-form button[type=submit]")
        self.page.wait_for_selector(".account-name")

    def screenshot_as(self, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    wrapped = BrowserPage(context.new_page(), site.url)
    yield wrapped
    context.close()
    assert wrapped.problems == [], f"console errors or CSP violations: {wrapped.problems}"
