"""Bounded load test: N concurrent clients for S seconds against gunicorn + PostgreSQL, on loopback.

    .venv/bin/python bench/mixed_load.py --clients 50 --seconds 60

It creates a database of its own on the PostgreSQL server named by --server (never touching an
existing one), migrates it, loads the review, adds curator accounts with API tokens, and starts
gunicorn on 127.0.0.1 with production settings (debug off; X-Forwarded-Proto stands in for the
TLS proxy). Then every client loops until the time is up: readers fetch pages, searches, facets
and API results; curators (a fifth of the clients) mix reads with writes through the API: a
flag on a claim, an edit of the notes of the claim they own (with If-Match), or a new claim.
Every write carries a unique marker, so afterwards the database shows whether any acknowledged
write was lost, any write was applied twice, or any was applied in part. Nothing but 127.0.0.1
is contacted. The database is dropped at the end unless --keep is given. The machinery is in
tools/load_harness.py, which the test suite runs in a short form.

Exit status 0 only when there was no error and the database agrees with what clients were told.
"""

import argparse
import json
import re
import secrets
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.load_harness import (  # noqa: E402
    READ_PATHS,
    WORKER_CLASSES,
    Bench,
    curators_for,
    errors_in,
    history_counts,
    log,
    owned_claims,
    run_load,
    verify_writes,
)


def summarise(results, seconds):
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    summary = {
        "requests": len(results),
        "seconds": seconds,
        "requests_per_second": round(len(results) / seconds, 1),
        "statuses": dict(Counter(str(r.status) for r in results)),
        "kinds": {},
    }
    for kind, rows in sorted(by_kind.items()):
        latencies = sorted(r.seconds * 1000 for r in rows)
        summary["kinds"][kind] = {
            "count": len(rows),
            "per_second": round(len(rows) / seconds, 1),
            "p50_ms": round(statistics.median(latencies)),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)]),
            "max_ms": round(latencies[-1]),
            "statuses": dict(Counter(str(r.status) for r in rows)),
        }
    paths = defaultdict(list)
    for r in results:
        paths[
            re.sub(r"CLM-\d+", "{claim}", r.path.split("?")[0] if r.kind.startswith("write") else r.path)
        ].append(r.seconds * 1000)
    summary["slowest_paths_p50_ms"] = dict(
        sorted(((p, round(statistics.median(v))) for p, v in paths.items()), key=lambda item: -item[1])[:8]
    )
    return summary


def describe(workers):
    return f"{workers['workers']} {workers['worker_class']} workers × {workers['threads']} threads"


def add_exclude_option(parser):
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATH",
        help="leave this read path out of the mix (repeatable), e.g. one with a known bug",
    )


def add_worker_options(parser):
    parser.add_argument(
        "--worker-class",
        choices=WORKER_CLASSES,
        default="gthread",
        help="gunicorn's worker class: gthread (threads side by side) or sync (one request at a time)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, help="threads per gunicorn worker (gthread: default 4; sync: always 1)"
    )


def worker_setup(parser, args):
    """The keyword arguments of Bench.start for the worker options given."""
    if args.worker_class == "sync" and args.threads not in (None, 1):
        parser.error("--threads: sync workers have one thread each; use --worker-class gthread")
    threads = args.threads or (1 if args.worker_class == "sync" else 4)
    return {"worker_class": args.worker_class, "workers": args.workers, "threads": threads}


def read_paths(parser, excluded):
    unknown = sorted(set(excluded) - set(READ_PATHS))
    if unknown:
        parser.error(f"--exclude {unknown[0]!r} is not one of the read paths: {', '.join(READ_PATHS)}")
    return [path for path in READ_PATHS if path not in excluded]


def loopback_only(parser, server):
    if urlsplit(server).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--server must be on this machine (loopback only)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default="postgres://postgres@127.0.0.1:5432/",
        help="PostgreSQL server (a new database is created on it)",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    add_worker_options(parser)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    add_exclude_option(parser)
    args = parser.parse_args(argv)
    loopback_only(parser, args.server)
    paths = read_paths(parser, args.exclude)
    workers = worker_setup(parser, args)
    bench = Bench(args.server)
    try:
        setup = bench.create(curators_for(args.clients))
        bench.start(**workers)
        run_id, owned = secrets.token_hex(3), owned_claims(setup, args.clients)
        before = history_counts(bench, owned)
        log(f"{args.clients} clients for {args.seconds:g} s against gunicorn ({describe(workers)})")
        results = run_load(
            bench, setup, clients=args.clients, seconds=args.seconds, run_id=run_id, read_paths=paths
        )
        bench.stop()
        problems, writes = verify_writes(bench, results, owned, run_id, before)
    finally:
        bench.stop()
        if not args.keep:
            bench.drop()
    errors = errors_in(results)
    report = summarise(results, args.seconds) | {
        "gunicorn": describe(workers),
        "errors": len(errors),
        "error_examples": sorted({f"{r.status} {r.path}" for r in errors})[:20],
        "writes": writes,
        "verification_problems": problems,
    }
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0 if not errors and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
