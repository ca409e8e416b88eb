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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mixed_load import (  # noqa: E402
    add_exclude_option,
    add_worker_options,
    describe,
    loopback_only,
    read_paths,
    summarise,
    worker_setup,
)
from tools.load_harness import (  # noqa: E402
    OUTAGES,
    Bench,
    curators_for,
    history_counts,
    judge,
    log,
    owned_claims,
    run_with_outage,
    verify_writes,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--outage", choices=sorted(OUTAGES), default="restart")
    parser.add_argument("--outage-at", type=float, default=20, help="seconds into the run")
    parser.add_argument("--outage-seconds", type=float, default=5, help="--outage database only")
    add_worker_options(parser)
    parser.add_argument("--json", help="also write the results to this file")
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
        log(
            f"{args.clients} clients for {args.seconds:g} s against gunicorn ({describe(workers)}); "
            f"{args.outage} outage at +{args.outage_at:g} s"
        )
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
        "gunicorn": describe(workers),
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
