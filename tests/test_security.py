"""Production settings, secure headers, hashed static files, /healthz, database outages, sign-in throttling."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import OperationalError, close_old_connections, connection
from django.test import Client, override_settings
from django.urls import path

import exoclaims.urls
from claims.login_throttle import LoginView
from claims.middleware import MESSAGE
from claims.models import Claim

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"  # the personas' password (tests/conftest.py)

# The sign-in page with the 429 answer, as exoclaims/urls.py is to route it.
urlpatterns = [path("accounts/login/", LoginView.as_view(), name="login"), *exoclaims.urls.urlpatterns]


def _production(**extra):
    """Only what the issue allows a deployment to set: debug off, secret key, hosts, origins."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "exoclaims.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://exoclaims.example.org",
        **extra,
    }


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_only_the_required_variables_set():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _production()
    del env["DJANGO_SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("url", ["/", "/claims/", "/api/claims/", "/healthz", "/accounts/login/"])
def test_every_response_carries_the_security_headers(db, url):
    response = Client().get(url, secure=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_redirected_to_https_unless_the_proxy_says_it_was_https(db):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert Client().get("/claims/")["Location"] == "https://testserver/claims/"
        assert Client().get("/claims/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


@pytest.mark.urls("tests.test_security")
def test_session_and_csrf_cookies_are_secure_and_the_session_cookie_is_http_only(reader):
    client = Client()
    client.get("/accounts/login/", secure=True)
    response = client.post("/accounts/login/", {"username": "reader", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    session, csrf = client.cookies["sessionid"], client.cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"]


STATIC_CHECK = r"""
import json, sys
import django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
call_command("migrate", verbosity=0)
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import storages
client = Client()
pages = {url: client.get(url, secure=True) for url in ["/accounts/login/", "/api/docs/"]}
css = staticfiles_storage.url("claims/site.css")
served = client.get(css, secure=True)
print(json.dumps({
    "storage": type(storages["staticfiles"]).__module__ + "." + type(storages["staticfiles"]).__name__,
    "pages": {url: [r.status_code, r.content.decode()] for url, r in pages.items()},
    "css_url": css, "css_status": served.status_code, "css_cache": served.get("Cache-Control", ""),
}))
"""


def test_production_serves_hashed_compressed_static_files_that_every_page_can_find(tmp_path):
    env = _production(
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="exoclaims.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", STATIC_CHECK, str(tmp_path / "static")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]

    assert report["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    hashed = manifest["claims/site.css"]
    assert hashed != "claims/site.css" and hashed.startswith("claims/site.") and hashed.endswith(".css")
    assert (tmp_path / "static" / hashed).is_file() and (tmp_path / "static" / f"{hashed}.gz").is_file()
    assert report["css_url"] == f"/static/{hashed}" and report["css_status"] == 200
    assert "immutable" in report["css_cache"] and "max-age=315360000" in report["css_cache"]
    for url, (status, html) in report["pages"].items():
        assert status == 200, url
        assert f"/static/{hashed}" in html or url == "/api/docs/"
        assert "/static/claims/site.css" not in html


def test_healthz_checks_the_database_and_is_never_cached(db):
    response = Client().get("/healthz", secure=True)
    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert Client().post("/healthz", secure=True).status_code == 405


def _connection_lost(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def _locked(execute, sql, params, many, context):
    raise OperationalError("database is locked")


def test_a_lost_database_connection_gives_a_clean_503_and_the_site_comes_back_by_itself(db):
    client = Client()
    with connection.execute_wrapper(_connection_lost):
        page = client.get("/claims/", secure=True)
        api = client.get("/api/claims/", secure=True)
        health = client.get("/healthz", secure=True)
    assert page.status_code == api.status_code == health.status_code == 503
    assert MESSAGE in page.content.decode() and "Traceback" not in page.content.decode()
    assert page["Content-Type"].startswith("text/html") and page["Retry-After"] == "5"
    assert "no-store" in page["Cache-Control"]
    assert api["Content-Type"] == "application/problem+json" and api.json()["detail"] == MESSAGE
    assert health.json() == {"detail": MESSAGE}
    assert client.get("/claims/", secure=True).status_code == 200


def test_a_database_error_that_is_not_an_outage_stays_a_500(db):
    with connection.execute_wrapper(_locked):
        response = Client(raise_request_exception=False).get("/claims/", secure=True)
    assert response.status_code == 500


@pytest.mark.skipif(connection.vendor != "postgresql", reason="kills a real PostgreSQL backend")
def test_a_killed_postgresql_connection_gives_a_503_and_the_next_request_reconnects(transactional_db):
    import psycopg

    client = Client()
    assert client.get("/healthz", secure=True).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"],
        dbname=params["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])

    response = client.get("/api/claims/", secure=True)
    assert response.status_code == 503 and response.json()["detail"] == MESSAGE
    close_old_connections()  # what Django does when every request finishes
    assert client.get("/api/claims/", secure=True).status_code == 200


@pytest.fixture
def clean_throttle(settings):
    """An empty cache, and a cheap password hasher: these tests make many failed attempts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(clean_throttle, django_user_model):
    return django_user_model.objects.create_user("alice", password=PASSWORD, is_staff=True, is_superuser=True)


def _sign_in(client, username, password, url="/accounts/login/", address="192.0.2.1"):
    return client.post(url, {"username": username, "password": password}, secure=True, REMOTE_ADDR=address)


@pytest.mark.urls("tests.test_security")
def test_sign_in_is_refused_with_429_after_five_failures_even_with_the_right_password(alice):
    client = Client()
    for _ in range(5):
        assert _sign_in(client, "alice", "wrong").status_code == 200
    response = _sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert "Too many failed sign-in attempts for “alice” from your address" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _sign_in(Client(), "alice", PASSWORD, address="198.51.100.7").status_code == 302


@pytest.mark.urls("tests.test_security")
def test_a_successful_sign_in_resets_the_count_for_that_account(alice):
    for _ in range(4):
        _sign_in(Client(), "alice", "wrong")
    assert _sign_in(Client(), "alice", PASSWORD).status_code == 302
    for _ in range(4):
        _sign_in(Client(), "alice", "wrong")
    assert _sign_in(Client(), "alice", PASSWORD).status_code == 302


@pytest.mark.urls("tests.test_security")
@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=10)
def test_password_spraying_from_one_address_is_refused_too(alice):
    for n in range(10):
        _sign_in(Client(), f"someone{n}", "Winter2026!")
    assert _sign_in(Client(), "alice", PASSWORD).status_code == 429


def test_the_admin_sign_in_is_throttled_too(alice):
    client = Client()
    for _ in range(5):
        _sign_in(client, "alice", "wrong", url="/admin/login/")
    response = _sign_in(client, "alice", PASSWORD, url="/admin/login/")
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy(page, site):
    claim = Claim.objects.order_by("public_id").first()
    for url in [
        "/",
        "/claims/",
        claim.get_absolute_url(),
        "/review/",
        "/citations/",
        "/drugs/",
        "/api/docs/",
        "/accounts/login/",
        "/admin/login/",
    ]:
        response = page.open(url)
        assert response.status == 200, url
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    # The page fixture fails the test on any console error, which is how Chromium reports CSP violations.
