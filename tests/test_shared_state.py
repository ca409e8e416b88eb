"""Throttles hold across processes (issue 15, part 6): gunicorn with 2 workers on a free loopback
port, serving the test database with the real cache settings (the database cache; Redis when
REDIS_URL names one, tried here when 127.0.0.1:6379 answers).

With a per-process cache each worker counted on its own, so twice the allowed password guesses
got through. Each run sends its attempts from an address of its own (the trusted-proxy header),
so runs never share a counter; after the limit, requests go in pairs sent at once (a sync worker
answers one at a time, so each worker takes one) until both workers have refused.
"""

import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.local_redis import require_redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LIMIT = 5
ATTEMPTS = 20  # pairs after the limit; the first pair almost always reaches both workers


def _database_url(tmp_path):
    """The test database, as a URL for the server: PostgreSQL's by name, SQLite's (in memory) copied."""
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        return (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    copy = tmp_path / "served.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(copy)])
    return f"sqlite:///{copy}"


# django_db: so that the test database is set up even when this module runs alone.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module", params=["database", "redis"])
def server(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn (2 sync workers) and its access log, which names the worker that answered each request."""
    if request.param == "redis":
        require_redis()
    tmp = tmp_path_factory.mktemp("shared-state")
    with django_db_blocker.unblock():
        database_url = _database_url(tmp)
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "EXOCLAIMS_PLAIN_STATIC": "1",
        "EXOCLAIMS_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "EXOCLAIMS_LOGIN_FAILURE_LIMIT": str(LIMIT),
        "EXOCLAIMS_LOGIN_LOCKOUT_SECONDS": "300",
        "EXOCLAIMS_ANON_RATE": f"{LIMIT}/hour",
        **({"REDIS_URL": "redis://127.0.0.1:6379/0"} if request.param == "redis" else {}),
    }
    # What `make serve` and compose's migrate service run; a second run changes nothing.
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    access_log = tmp / "access.log"
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "exoclaims.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(p)s %(m)s %(U)s %(s)s",
        ],
        cwd=ROOT,
        env=env,
        stderr=(tmp / "error.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if _send(f"{base}/healthz")[0] == 200:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer: {(tmp / 'error.log').read_text()[-2000:]}")
        yield base, access_log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _send(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers
    except OSError as error:
        return 0, str(error), {}


def _answers(access_log, method, path, count):
    """(worker pid, status) of the last ``count`` requests to ``path``, in log order (the log lags)."""
    for _ in range(100):
        lines = re.findall(rf"<(\d+)> {method} {re.escape(path)} (\d+)", access_log.read_text())
        if len(lines) >= count:
            return [(pid, int(status)) for pid, status in lines[-count:]]
        time.sleep(0.05)
    raise AssertionError(f"the access log has fewer than {count} {method} {path} lines")


def _until_both_workers_refuse(access_log, method, path, send):
    """``LIMIT`` requests one after another, then pairs sent at once until both workers have refused.

    A sync worker answers one request at a time, so of two requests in flight together each worker
    takes one; sequential requests alone may all land on the same worker.
    Returns the statuses of the first ``LIMIT``, and (pid, status) of every later answer.
    """
    first = [send() for _ in range(LIMIT)]
    sent, later = LIMIT, []
    start = threading.Barrier(2)  # reusable: both threads of each pair set off together

    def paired(_):
        start.wait(timeout=10)
        return send()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(ATTEMPTS):
            list(pool.map(paired, range(2)))
            sent += 2
            later = _answers(access_log, method, path, sent)[LIMIT:]
            if len({pid for pid, status in later if status == 429}) == 2:
                break
    return first, later


def test_the_sixth_failed_sign_in_for_a_username_is_refused_whichever_worker_answers(server):
    base, access_log = server
    status, page, headers = _send(f"{base}/accounts/login/")
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    username, address = f"guess-{secrets.token_hex(4)}", f"shared-state-{secrets.token_hex(6)}"
    form = urllib.parse.urlencode({"username": username, "password": "wrong", "csrfmiddlewaretoken": token})

    def send():
        return _send(
            f"{base}/accounts/login/",
            data=form.encode(),
            headers={"Cookie": f"csrftoken={cookie}", "X-Real-IP": address},
        )[0]

    first, later = _until_both_workers_refuse(access_log, "POST", "/accounts/login/", send)
    assert first == [200] * LIMIT, "wrong passwords are shown the form again"
    assert {status for _, status in later} == {429}, f"after {LIMIT} failures, answers were {later}"
    assert len({pid for pid, _ in later}) == 2, "one worker answered every attempt: nothing was shown"


def test_the_anonymous_api_rate_is_counted_once_for_all_workers(server):
    base, access_log = server
    address = f"shared-state-api-{secrets.token_hex(6)}"

    def send():
        return _send(f"{base}/api/sections/", headers={"X-Real-IP": address})[0]

    first, later = _until_both_workers_refuse(access_log, "GET", "/api/sections/", send)
    assert first == [200] * LIMIT
    assert {status for _, status in later} == {429}, f"after {LIMIT} requests, answers were {later}"
    assert len({pid for pid, _ in later}) == 2, "one worker answered every request: nothing was shown"
