"""Fault injection: PostgreSQL goes away in the middle of a load run (bench/mixed_load.py), then comes back.

    .venv/bin/python bench/faults.py --clients 50 --seconds 60 --outage-at 20

--outage restart (the default) restarts the PostgreSQL cluster serving --server with
``pg_ctlcluster --skip-systemctl-redirect VERSION CLUSTER restart`` (found by its port with
pg_lsclusters): every session is cut and new ones are refused until it is up again. It disturbs
everyone using that server, so point --server at a cluster of your own when others share it.
--outage database cuts off only this run's database for --outage-seconds (new sessions refused,
existing ones terminated), which is safe on a shared server; the CI test uses it.

Passes (exit status 0) when: every request that failed got a clean 503 (the message and
Retry-After, never a 500, a stack trace or a dropped connection); gunicorn was never restarted
and /healthz answers 200 again by itself; nothing failed once the database was back; and no
write was lost, applied twice or applied in part.
"""

import argparse
import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mixed_load import (  # noqa: E402
    READ_PATHS,
    Bench,
    add_exclude_option,
    curators_for,
    errors_in,
    get,
    history_counts,
    log,
    loopback_only,
    owned_claims,
    read_paths,
    run_load,
    summarise,
    verify_writes,
)

RECOVERY_GRACE_SECONDS = 2.0  # requests already in flight when the database came back may still fail


def cluster_serving(server):
    """(version, name) of the local cluster listening on the server's port."""
    port = urlsplit(server).port or 5432
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    raise SystemExit(f"no local PostgreSQL cluster listens on port {port} (pg_lsclusters)")


def restart_server(bench, seconds):
    version, name = cluster_serving(bench.server)
    log(f"restarting PostgreSQL cluster {version}/{name}")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"], check=True)


def cut_off_database(bench, seconds):
    log(f"cutting off database {bench.name} for {seconds:g} s")
    with bench.admin() as admin:
        admin.execute(f'ALTER DATABASE "{bench.name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [bench.name]
        )
        time.sleep(seconds)
        admin.execute(f'ALTER DATABASE "{bench.name}" ALLOW_CONNECTIONS true')


OUTAGES = {"restart": restart_server, "database": cut_off_database}


class HealthWatch(threading.Thread):
    """Polls /healthz to time the outage as the outside world sees it."""

    def __init__(self, base, until):
        super().__init__(daemon=True)
        self.base, self.until, self.samples = base, until, []

    def run(self):
        while time.monotonic() < self.until:
            started = time.monotonic()
            status = get(self.base + "/healthz", timeout=10).status
            self.samples.append((started, time.monotonic(), status))
            time.sleep(0.2)


def run_with_outage(
    bench, setup, *, clients, seconds, outage, outage_at, outage_seconds, run_id, read_paths=READ_PATHS
):
    """The load run with the outage injected after ``outage_at`` seconds; returns results and timings."""
    timings = {}

    def inject():
        time.sleep(outage_at)
        timings["outage_started"] = time.monotonic()
        OUTAGES[outage](bench, outage_seconds)
        timings["outage_ended"] = time.monotonic()

    start = time.monotonic()
    watch = HealthWatch(f"http://127.0.0.1:{bench.port}", start + seconds)
    injector = threading.Thread(target=inject, daemon=True)
    watch.start()
    injector.start()
    results = run_load(bench, setup, clients=clients, seconds=seconds, run_id=run_id, read_paths=read_paths)
    injector.join()
    watch.join()
    down = [done for _, done, status in watch.samples if status != 200 and done >= timings["outage_started"]]
    # Back: the first health check sent after the database was up again that succeeded.
    back = [done for sent, done, status in watch.samples if status == 200 and sent >= timings["outage_ended"]]
    timings["unavailable_seconds"] = round(down[-1] - down[0], 2) if down else 0.0
    timings["outage_seconds"] = round(timings["outage_ended"] - timings["outage_started"], 2)
    timings["recovered"] = back[0] if back else None
    return results, timings, start


def judge(bench, results, timings, start, gunicorn_pid):
    """Problems with how the site behaved through the outage (empty: it behaved)."""
    problems = []
    failures = errors_in(results)
    unclean = [r for r in failures if not r.clean_503]
    problems += [
        f"not a clean 503: {r.status} {r.kind} {r.path} at +{r.started - start:.1f} s" for r in unclean[:20]
    ]
    if timings["recovered"] is None:
        problems.append("/healthz never answered 200 again after the outage")
    else:
        late = [r for r in failures if r.started > timings["recovered"] + RECOVERY_GRACE_SECONDS]
        problems += [
            f"failed after recovery: {r.status} {r.kind} {r.path} at +{r.started - start:.1f} s"
            for r in late[:20]
        ]
    if bench.process.poll() is not None or bench.process.pid != gunicorn_pid:
        problems.append("gunicorn exited during the run")
    if get(f"http://127.0.0.1:{bench.port}/healthz").status != 200:
        problems.append("/healthz is not 200 at the end of the run")
    return problems, {"failed requests": len(failures), "clean 503s": len(failures) - len(unclean)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--outage", choices=sorted(OUTAGES), default="restart")
    parser.add_argument("--outage-at", type=float, default=20, help="seconds into the run")
    parser.add_argument("--outage-seconds", type=float, default=5, help="--outage database only")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", help="also write the results to this file")
    add_exclude_option(parser)
    args = parser.parse_args(argv)
    loopback_only(parser, args.server)
    paths = read_paths(parser, args.exclude)
    bench = Bench(args.server)
    try:
        setup = bench.create(curators_for(args.clients))
        bench.start(args.workers, args.threads)
        run_id, owned = secrets.token_hex(3), owned_claims(setup, args.clients)
        before = history_counts(bench, owned)
        log(f"{args.clients} clients for {args.seconds:g} s; {args.outage} outage at +{args.outage_at:g} s")
        results, timings, start = run_with_outage(
            bench,
            setup,
            clients=args.clients,
            seconds=args.seconds,
            outage=args.outage,
            outage_at=args.outage_at,
            outage_seconds=args.outage_seconds,
            run_id=run_id,
            read_paths=paths,
        )
        behaviour, counts = judge(bench, results, timings, start, bench.process.pid)
        bench.stop()
        write_problems, writes = verify_writes(bench, results, owned, run_id, before)
    finally:
        bench.stop()
        bench.drop()
    report = summarise(results, args.seconds) | {
        "outage": args.outage,
        "outage_seconds": timings["outage_seconds"],
        "healthz_failing_seconds": timings["unavailable_seconds"],
        "recovered_after_seconds": None
        if timings["recovered"] is None
        else round(timings["recovered"] - timings["outage_ended"], 2),
        **counts,
        "writes": writes,
        "problems": behaviour + write_problems,
    }
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0 if not report["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
