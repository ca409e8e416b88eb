"""The load and fault runs of bench/ in a short, bounded form: gunicorn + PostgreSQL on loopback,
driven by tools/load_harness.py as bench/mixed_load.py and bench/faults.py drive it.

The full runs (50 clients for 60 s, and a real PostgreSQL restart) are in docs/reliability.md.
Here: 8 clients for a few seconds, then the same with this run's database cut off for a few
seconds (the outage that is safe on a server other tests share). Each run uses a database of its
own on the suite's PostgreSQL server, dropped afterwards.
"""

import secrets

import pytest
from django.conf import settings
from django.db import connection

from tools.load_harness import (
    Bench,
    curators_for,
    errors_in,
    history_counts,
    judge,
    owned_claims,
    run_load,
    run_with_outage,
    verify_writes,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="gunicorn + PostgreSQL only; the suite runs again on PostgreSQL, where this runs",
    ),
]
CLIENTS = 8


def _server():
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """One migrated database with the review loaded, and gunicorn serving it (2 workers × 4 threads)."""
    bench = Bench(_server())
    log_path = tmp_path_factory.mktemp("bench") / "gunicorn.log"
    with log_path.open("w") as log:
        try:
            setup = bench.create(curators_for(CLIENTS))
            bench.start(workers=2, threads=4, log_file=log)
            yield bench, setup
        finally:
            bench.stop()
            bench.drop()
            print(f"gunicorn's log: {log_path}")


def test_concurrent_readers_and_curators_get_no_errors_and_no_write_is_lost_or_doubled(bench):
    bench, setup = bench
    run_id, owned = secrets.token_hex(3), owned_claims(setup, CLIENTS)
    before = history_counts(bench, owned)

    results = run_load(bench, setup, clients=CLIENTS, seconds=6, run_id=run_id)

    assert [f"{r.status} {r.kind} {r.path}" for r in errors_in(results)] == []
    # The mix is random and the CI run short: reads and at least one kind of write must occur.
    kinds = {r.kind for r in results}
    assert kinds >= {"read:page", "read:api"} and kinds & {"write:flag", "write:edit"}
    problems, writes = verify_writes(bench, results, owned, run_id, before)
    assert problems == [] and writes["acknowledged writes"] > 0


def test_a_database_outage_mid_run_gives_clean_503s_and_the_site_recovers_by_itself(bench):
    bench, setup = bench
    run_id, owned = secrets.token_hex(3), owned_claims(setup, CLIENTS)
    before, pid = history_counts(bench, owned), bench.process.pid

    results, timings, start = run_with_outage(
        bench,
        setup,
        clients=CLIENTS,
        seconds=10,
        outage="database",
        outage_at=3,
        outage_seconds=2.5,
        run_id=run_id,
    )

    behaviour, counts = judge(bench, results, timings, start, pid)
    assert behaviour == []
    assert counts["clean 503s"] > 0, "the outage was not noticed: nothing was tested"
    problems, _ = verify_writes(bench, results, owned, run_id, before)
    assert problems == []
