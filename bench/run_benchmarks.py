"""The ExoClaims benchmark (issue 7): the app under gunicorn against the floor, at 10k and 100k claims.

    .venv/bin/python bench/run_benchmarks.py                      # PostgreSQL and SQLite, 10k and 100k
    .venv/bin/python bench/run_benchmarks.py --databases sqlite --sizes 10000

For each database and size: a fresh database (PostgreSQL: DROP/CREATE --pg-database, which must
be yours; SQLite: a new file), migrate, load_review (timed, twice: first load and an idempotent
rerun), generate_synthetic (timed), then gunicorn with 2 workers on 127.0.0.1 and, per endpoint,
a cold first request, single-client p50/p95 and 8-client throughput, with the workers' peak
memory; beside each, the floor (bench/floor.py) in this process. Then a 5,000-entry BibTeX
import, a full CSV download at the largest size, and a pyinstrument profile of the slowest
endpoint. Results: bench/results/<date>.json and a Markdown table on stdout.
"""

import argparse
import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor import Floor  # noqa: E402
from bench.latency import MemoryWatch, fetch, measure, time_calls  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS = ROOT / "bench" / "results"
SCRATCH = Path("/tmp/exoclaims-bench")  # server logs and the generated .bib file
SEARCH_TERM = "autophagy"
CSV_ROWS = 10_000
BIBTEX_ENTRIES = 5000


def log(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def server_env(database_url):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="benchmark-only-secret-key-not-for-production-0123456789",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="ERROR",
        EXOCLAIMS_PLAIN_STATIC="1",
        # The anonymous throttle would answer 429 long before a benchmark is done.
        EXOCLAIMS_ANON_RATE="100000000/hour",
        PYTHONWARNINGS="ignore",
    )
    return env


def manage(env, *args, timeout=1800):
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return round(time.perf_counter() - started, 2)


def fresh_database(vendor, args):
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [args.pg_database],
            )
            connection.execute(f'DROP DATABASE IF EXISTS "{args.pg_database}"')
            connection.execute(f'CREATE DATABASE "{args.pg_database}"')
        return f"{args.pg_server}/{args.pg_database}", f"{args.pg_server}/{args.pg_database}"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{args.sqlite_file}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{args.sqlite_file}", args.sqlite_file


def vacuum(vendor, dsn):
    """What autovacuum does shortly after a bulk load anyway: statistics and the visibility map."""
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")


def pick(vendor, dsn, size):
    """The benchmark's arguments: the busiest synthetic drug, a ~10k-claim drug, a claim id."""
    connection = sqlite3.connect(dsn) if vendor == "sqlite" else __import__("psycopg").connect(dsn)
    rows = connection.execute(
        "SELECT d.id, d.slug, COUNT(*) FROM claims_claim_drugs cd JOIN claims_drug d ON d.id = cd.drug_id"
        " WHERE d.slug LIKE 'synthetic-%' GROUP BY d.id, d.slug ORDER BY 3 DESC"
    ).fetchall()
    total = connection.execute("SELECT COUNT(*) FROM claims_claim").fetchone()[0]
    connection.close()
    csv_drug = min(rows, key=lambda r: abs(r[2] - CSV_ROWS)) if total > CSV_ROWS * 1.2 else None
    return {
        "drug_id": rows[0][0],
        "drug": rows[0][1],
        "drug_claims": rows[0][2],
        "claims": total,
        "csv_drug_id": csv_drug[0] if csv_drug else None,
        "csv_drug": csv_drug[1] if csv_drug else None,
        "csv_claims": csv_drug[2] if csv_drug else total,
        "claim": f"CLM-S{size // 2:06d}",
    }


def bibtex_file(path):
    """5,000 new @article entries (half with a DOI under 10.0000, a prefix no registrant has)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    entries = []
    for n in range(BIBTEX_ENTRIES):
        name = "Bench" + "".join(letters[(n // 26**i) % 26] for i in range(3))
        doi = f"  doi = {{10.0000/exoclaims.bench.{n}}},\n" if n % 2 else ""
        entries.append(
            f"@article{{bench{n},\n  author = {{{name}, Ada and Other, Bo}},\n  title = {{Benchmark entry {n}"
            f" on exosomal cargo}},\n  journal = {{Journal of Benchmarks}},\n  year = {{{1990 + n % 33}}},\n"
            f"  volume = {{{n % 50 + 1}}},\n  pages = {{1--10}},\n{doi}}}\n"
        )
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


class Server:
    def __init__(self, env, port, log_path):
        self.env, self.port, self.log_path = env, port, log_path

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        command = [
            GUNICORN,
            "exoclaims.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "600",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(self.port, "/healthz", timeout=5)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def endpoints(p, floor):
    """name -> (path, floor callable or None, measure() options)."""
    csv_query = f"&drug={p['csv_drug']}" if p["csv_drug"] else ""
    last_page = max(1, math.ceil(p["drug_claims"] / 50))
    heavy = {"requests": 5, "seconds": 120, "concurrent_seconds": 20}
    return {
        "(a) /api/claims/?drug=x&page_size=50": (
            f"/api/claims/?drug={p['drug']}&page_size=50",
            lambda: floor.claims_for_drug(p["drug_id"]),
            {},
        ),
        "(a') same, last page": (
            f"/api/claims/?drug={p['drug']}&page_size=50&page={last_page}",
            None,
            {"requests": 50},
        ),
        "(a'') same, cursor=": (
            f"/api/claims/?drug={p['drug']}&page_size=50&cursor=",
            None,
            {"requests": 50},
        ),
        "(b) /api/facets/?drug=x": (
            f"/api/facets/?drug={p['drug']}",
            lambda: floor.facets_for_drug(p["drug_id"]),
            {},
        ),
        "(c) /api/claims/?q=term&page_size=50": (
            f"/api/claims/?q={SEARCH_TERM}&page_size=50",
            lambda: floor.search(SEARCH_TERM),
            {},
        ),
        "(d) /api/claims/<id>/": (f"/api/claims/{p['claim']}/", lambda: floor.claim(p["claim"]), {}),
        "(d') /claims/<id>/ (HTML)": (f"/claims/{p['claim']}/", None, {"requests": 100}),
        "(e) /claims/?drug=x (HTML)": (
            f"/claims/?drug={p['drug']}",
            lambda: floor.browser_for_drug(p["drug_id"]),
            {},
        ),
        "(f) CSV of ~10k claims": (
            f"/api/claims/?format=csv{csv_query}",
            lambda: floor.csv_for_drug(p["csv_drug_id"]),
            heavy,
        ),
    }


def run_config(vendor, size, args, port):
    log(f"{vendor}, {size:,} claims: fresh database")
    url, dsn = fresh_database(vendor, args)
    env = server_env(url)
    result = {"database": vendor, "size": size, "load_before": os.getloadavg()}
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "createcachetable")  # the shared cache when REDIS_URL is unset
    result["load_review_s"] = manage(env, "load_review")
    result["load_review_again_s"] = manage(env, "load_review")
    log("generate_synthetic")
    result["generate_synthetic_s"] = manage(env, "generate_synthetic", "--claims", str(size), "--seed", "1")
    vacuum(vendor, dsn)
    result["params"] = params = pick(vendor, dsn, size)
    floor = Floor(vendor, dsn, f"http://127.0.0.1:{port}")
    result["endpoints"] = {}
    with Server(env, port, SCRATCH / f"gunicorn-{vendor}-{size}.log") as server:
        with MemoryWatch(server.process.pid) as whole_run:
            for name, (path, floor_call, options) in endpoints(params, floor).items():
                log(f"  {name}")
                if args.quick:
                    options = {"requests": 10, "seconds": 5, "concurrent_seconds": 3}
                measured = measure(port, server.process.pid, path, **options).__dict__
                measured["path"] = path
                if floor_call is not None:
                    runs = 3 if options else 30
                    measured["floor_p50_ms"], measured["floor_p95_ms"], _ = time_calls(
                        floor_call, runs=runs, seconds=120
                    )
                    measured["ratio_p50"] = round(measured["p50_ms"] / measured["floor_p50_ms"], 2)
                result["endpoints"][name] = measured
            if size >= args.full_csv_from:
                log("  full CSV download")
                with MemoryWatch(server.process.pid) as memory:
                    status, size_bytes, seconds = fetch(port, "/api/claims/?format=csv", timeout=1800)
                result["full_csv"] = {
                    "status": status,
                    "bytes": size_bytes,
                    "seconds": round(seconds, 2),
                    "peak_worker_mib": memory.peak_mib,
                }
            cursor_page = json.loads(
                urlopen(f"http://127.0.0.1:{port}{endpoints(params, floor)["(a'') same, cursor="][0]}").read()
            )
            result["cursor_wired"] = "count" not in cursor_page
        result["peak_worker_mib"] = whole_run.peak_mib
    floor.close()
    log("  BibTeX import of 5,000 entries")
    result["bibtex_import_s"] = manage(env, "import_bibtex", str(bibtex_file(SCRATCH / "bench-5000.bib")))
    apis = {k: v for k, v in result["endpoints"].items() if k.startswith(("(a)", "(b)", "(c)", "(d)", "(e)"))}
    slowest = max(apis, key=lambda k: apis[k]["p50_ms"])
    profile = (SCRATCH if args.quick else RESULTS) / f"profile-{vendor}-{size}.txt"
    with open(profile, "w") as out:
        subprocess.run(
            [PYTHON, "bench/profile_endpoint.py", apis[slowest]["path"]],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
            timeout=900,
        )
    result["profiled"], result["load_after"] = slowest, os.getloadavg()
    return result


def machine():
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), ""
    )
    memory = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024**2, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
    }


def _ms(value):
    return "" if value is None else f"{value:.1f}"


def table(results):
    lines = [
        "| database | claims | endpoint | cold ms | p50 ms | p95 ms | floor p50 ms | app/floor | req/s (8 clients) | peak worker MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for name, e in r["endpoints"].items():
            lines.append(
                f"| {r['database']} | {r['size']:,} | {name} | {_ms(e['cold_ms'])} | {_ms(e['p50_ms'])} | "
                f"{_ms(e['p95_ms'])} | {_ms(e.get('floor_p50_ms'))} | {e.get('ratio_p50', '')} | "
                f"{e['throughput']:.1f} | {e['peak_worker_mib']} |"
                + (f" errors: {e['errors']}" if e["errors"] else "")
            )
    return "\n".join(lines)


# Issue 7's targets for the 100k run on PostgreSQL: endpoint prefix -> (p50 ms limit, app/floor limit).
TARGETS = {"(a)": (30, 4), "(b)": (60, None), "(c)": (30, 4), "(d)": (30, 4), "(e)": (80, None)}
GROWTH_CHECKED = ("(a)", "(c)", "(d)")


def growth_table(results):
    """Per database: each endpoint at the smallest and largest size, growth, and the targets."""
    lines = []
    for vendor in dict.fromkeys(r["database"] for r in results):
        runs = sorted((r for r in results if r["database"] == vendor), key=lambda r: r["size"])
        small, large = runs[0], runs[-1]
        lines += [
            f"\n{vendor}: {small['size']:,} -> {large['size']:,} claims\n",
            f"| endpoint | p50 ms at {small['size']:,} | p50 ms at {large['size']:,} | growth | p95 ms | "
            f"floor p50 ms | app/floor | target at {large['size']:,} |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, e in large["endpoints"].items():
            before = small["endpoints"].get(name, {}).get("p50_ms")
            growth = f"{e['p50_ms'] / before:.2f}x" if before else ""
            verdict = ""
            target = TARGETS.get(name[:3])
            if target and vendor == "postgresql":
                limit, ratio = target
                met = e["p50_ms"] < limit and (ratio is None or e.get("ratio_p50", 0) <= ratio)
                if name[:3] in GROWTH_CHECKED and before:
                    met = met and e["p50_ms"] / before < 2
                verdict = (
                    ("met" if met else "missed")
                    + f" (< {limit} ms"
                    + (f", <= {ratio}x floor" if ratio else "")
                    + (", < 2x growth)" if name[:3] in GROWTH_CHECKED else ")")
                )
            lines.append(
                f"| {name} | {_ms(before)} | {_ms(e['p50_ms'])} | {growth} | {_ms(e['p95_ms'])} | "
                f"{_ms(e.get('floor_p50_ms'))} | {e.get('ratio_p50', '')} | {verdict} |"
            )
        for r in runs:
            extra = (
                f"; full CSV {r['full_csv']['seconds']} s, peak worker {r['full_csv']['peak_worker_mib']} MiB"
                if "full_csv" in r
                else ""
            )
            lines.append(
                f"\n{r['size']:,} claims: load_review {r['load_review_s']} s (again: {r['load_review_again_s']} s), "
                f"generate_synthetic {r['generate_synthetic_s']} s, BibTeX import of 5,000 entries "
                f"{r['bibtex_import_s']} s, peak worker {r['peak_worker_mib']} MiB{extra}; slowest profiled: {r['profiled']}"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--databases", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--pg-database", default="exoclaims_bench", help="dropped and recreated: use your own"
    )
    parser.add_argument("--sqlite-file", default="/tmp/exoclaims_bench.sqlite3")
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument(
        "--full-csv-from", type=int, default=100_000, help="download the whole set from this size"
    )
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke test, not a measurement")
    parser.add_argument("--report", metavar="JSON", help="only print the tables of an earlier run's results")
    args = parser.parse_args()
    if args.report:
        results = json.loads(Path(args.report).read_text())["results"]
        print(table(results))
        print(growth_table(results))
        return
    RESULTS.mkdir(exist_ok=True)
    SCRATCH.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    results = [run_config(vendor, size, args, args.port) for vendor in args.databases for size in args.sizes]
    report = {"started": started.isoformat(timespec="seconds"), "machine": machine(), "results": results}
    path = (SCRATCH if args.quick else RESULTS) / f"{started:%Y-%m-%dT%H%M}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(table(results))
    print(growth_table(results))
    log(f"results in {path}")


if __name__ == "__main__":
    main()
