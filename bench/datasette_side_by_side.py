"""The app against Datasette on the same claims, request by request (issue 16).

    .venv/bin/pip install -e '.[bench]'           # Datasette, in the bench tooling only
    .venv/bin/python bench/datasette_side_by_side.py --sizes 10000 100000

Per size: a fresh SQLite database (migrate, load_review, generate_synthetic --claims N --seed 1),
converted to a plain schema with FTS5 (bench/datasette_schema.py) and served by Datasette with
canned queries, while the app serves the original under gunicorn (DEBUG off) twice: as configured,
and with no cache (bench/settings_uncached.py) for the uncached facet counts. With
``--databases sqlite postgresql`` (the default) the app is then served a second time from a fresh
PostgreSQL database built by the same commands (the same seed gives the same claims; the
equivalence check proves it request by request), against the same Datasette file.

By default the app runs as production does (``--production``): the cache in Redis
(REDIS_URL=redis://127.0.0.1:6379/<--redis-db>, that database flushed first; docker-compose.yml
sets REDIS_URL) and gunicorn with the worker class and worker count of docker-compose.yml's web
command. ``--no-production`` serves it as a fresh checkout does: Django's database cache and one
sync worker. The results say which.

Every request pair must return the same claim ids and counts before anything is timed;
if one differs the run stops and says which. Then, per request, a single loopback client whose
requests take turns between the app and Datasette (up to --requests each, or --seconds per side)
for p50/p95, so both sides' samples come from the same moments of a machine whose speed drifts;
then 8 clients for throughput, side after side.
Results: bench/results/datasette-<date>.json and .md (the table of app / Datasette).
"""

import argparse
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasette_schema import canned_queries, convert  # noqa: E402
from bench.latency import fetch, measure_alternating  # noqa: E402
from bench.run_benchmarks import PYTHON, RESULTS, log, machine, manage, server_env  # noqa: E402

GUNICORN, DATASETTE = ROOT / ".venv" / "bin" / "gunicorn", ROOT / ".venv" / "bin" / "datasette"
HTML_PAGE = 25  # the claim browser's page size
# A word the app's search (every word a substring of the claim's search document: texts and
# entity names) and FTS5 over statement and quote with the porter stemmer both match in the same
# claims; "autophagy", say, also names a mechanism, so the app finds more claims than the index.
SEARCH_TERM = "engineered"
CLAIM_ID = re.compile(r"CLM-[A-Z]?\d+")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A server in its own process, up once ``ready`` answers 200, stopped on exit."""

    def __init__(self, name, command, env, ready, workdir):
        self.name, self.command, self.env, self.ready = name, command, env, ready
        self.port, self.log_path = free_port(), workdir / f"{name}.log"

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        command = [str(part).replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        self.pid, deadline = self.process.pid, time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(self.port, self.ready, timeout=5)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.name} did not answer {self.ready} within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{self.name} answered {response.status} for {path}: {body[:300]!r}")
            return body
        finally:
            connection.close()


def production_workers():
    """The worker class and count of docker-compose.yml's gunicorn command (gunicorn's defaults,
    sync and 1, for what it does not set), so the bench follows production when compose changes."""
    compose = (ROOT / "docker-compose.yml").read_text()
    command = re.search(r"^\s*command:\s*(gunicorn .*)$", compose, re.MULTILINE)
    if command is None:
        sys.exit("docker-compose.yml has no gunicorn command: cannot serve the app as production does")
    words = command.group(1).split()
    options = {"worker_class": "sync", "workers": 1}
    for flag, value in zip(words, words[1:], strict=False):
        if flag in ("-k", "--worker-class"):
            options["worker_class"] = value
        elif flag in ("-w", "--workers"):
            options["workers"] = int(value)
    for word in words:
        if word.startswith("--worker-class="):
            options["worker_class"] = word.split("=", 1)[1]
        elif word.startswith("--workers="):
            options["workers"] = int(word.split("=", 1)[1])
    return options


def serving(args):
    """How the app is served: the cache and gunicorn's worker setup (recorded in the results)."""
    if not args.production:
        return {"production": False, "cache": "database (no REDIS_URL)", "worker_class": "sync", "workers": 1}
    return {"production": True, "cache": f"redis://127.0.0.1:6379/{args.redis_db}", **production_workers()}


def flush_redis(url):
    """Empty the bench's own Redis database, so no count or throttle history of a run is reused."""
    import redis

    redis.Redis.from_url(url).flushdb()


def gunicorn(name, env, workdir, setup):
    command = [GUNICORN, "exoclaims.wsgi", "--bind", "127.0.0.1:{port}", "--timeout", "600"]
    command += ["--workers", setup["workers"], "--worker-class", setup["worker_class"]]
    return Process(name, command, env, "/healthz", workdir)


def datasette(database, metadata, workdir):
    command = [
        DATASETTE,
        "serve",
        database,
        "--metadata",
        metadata,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--setting",
        "sql_time_limit_ms",
        "60000",
        "--setting",
        "max_returned_rows",
        "1000",
    ]
    return Process("datasette", command, dict(os.environ), "/-/versions.json", workdir)


# What each side returns, reduced to what must agree: the claim ids in order and the counts.
def _app_page(body):
    data = json.loads(body)
    return {"count": data["count"], "ids": [claim["id"] for claim in data["results"]]}


def _datasette_page(body):
    rows = json.loads(body)
    return {"count": rows[0]["total"] if rows else 0, "ids": [row["public_id"] for row in rows]}


def _html_ids(body):
    return {"ids": list(dict.fromkeys(CLAIM_ID.findall(body.decode())))}


def _app_claim(body):
    claim = json.loads(body)
    return {
        "ids": [claim["id"]],
        "relations": {
            "citations": sorted(c["key"] for c in claim["citations"]),
            "drugs": sorted(d["slug"] for d in claim["drugs"]),
            "cargo": sorted(c["slug"] for c in claim["cargo"]),
            "cell_lines": sorted((c["slug"], c["role"]) for c in claim["cell_lines"]),
            "mechanism": claim["mechanism"]["slug"] if claim["mechanism"] else None,
        },
    }


def _datasette_claim(body):
    (row,) = json.loads(body)
    relations = {name: json.loads(row[name]) for name in ("citations", "drugs", "cargo", "cell_lines")}
    return {
        "ids": [row["public_id"]],
        "relations": {
            "citations": sorted(c["key"] for c in relations["citations"]),
            "drugs": sorted(d["slug"] for d in relations["drugs"]),
            "cargo": sorted(c["slug"] for c in relations["cargo"]),
            "cell_lines": sorted((c["slug"], c["role"]) for c in relations["cell_lines"]),
            "mechanism": row["mechanism"],
        },
    }


def _app_facets(body):
    data = json.loads(body)
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in data["facets"].items()}
    return {"count": data["count"], "facets": {name: values for name, values in facets.items() if values}}


def _datasette_facets(body):
    facets, count = {}, None
    for row in json.loads(body):
        if row["facet"] == "count":
            count = row["n"]
        else:
            facets.setdefault(row["facet"], {})[row["value"]] = row["n"]
    return {"count": count, "facets": facets}


def requests_for(params):
    """name -> (app server, app path, app reducer, Datasette path, Datasette reducer)."""
    drug, claim, term = quote(params["drug"]), quote(params["claim"]), quote(params["search_term"])
    return {
        "by-drug list, JSON (50 claims with relation names)": (
            "app",
            f"/api/claims/?drug={drug}&page_size=50",
            _app_page,
            f"/claims/claims_for_drug.json?drug={drug}&limit=50&_shape=array",
            _datasette_page,
        ),
        # The claim browser hides background statements unless asked (claims.views.browse);
        # Datasette's table lists every claim, so the app is asked for them all too.
        "by-drug list, HTML (`/claims/?drug=`)": (
            "app",
            f"/claims/?drug={drug}&background=show",
            _html_ids,
            f"/claims/claims_for_drug?drug={drug}&limit={HTML_PAGE}",
            _html_ids,
        ),
        f"search `{params['search_term']}`, first 50": (
            "app",
            f"/api/claims/?q={term}&page_size=50",
            _app_page,
            f"/claims/search.json?q={term}&limit=50&_shape=array",
            _datasette_page,
        ),
        "one claim with all relations": (
            "app",
            f"/api/claims/{claim}/",
            _app_claim,
            f"/claims/claim.json?id={claim}&_shape=array",
            _datasette_claim,
        ),
        "facet counts for the drug, uncached": (
            "app_uncached",
            f"/api/facets/?drug={drug}",
            _app_facets,
            f"/claims/facets_for_drug.json?drug={drug}&_shape=array",
            _datasette_facets,
        ),
        "facet counts for the drug, app cache warm (for reference)": (
            "app",
            f"/api/facets/?drug={drug}",
            _app_facets,
            f"/claims/facets_for_drug.json?drug={drug}&_shape=array",
            _datasette_facets,
        ),
    }


def differences(app, other):
    """What differs between two reduced responses ('' when they agree)."""
    found = []
    for key in sorted(set(app) | set(other)):
        mine, theirs = app.get(key), other.get(key)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            found += [f"{key}.{part}" for part in [differences(mine, theirs)] if part]
        elif mine != theirs:
            found.append(f"{key}: app {str(mine)[:300]} != Datasette {str(theirs)[:300]}")
    return "; ".join(found)


def build(env, size):
    """migrate, the cache table, the review and N synthetic claims on ``env``'s database."""
    timings = {}
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "createcachetable")  # the shared cache when REDIS_URL is unset
    timings["load_review_s"] = manage(env, "load_review")
    log(f"generate_synthetic --claims {size}")
    timings["generate_synthetic_s"] = manage(env, "generate_synthetic", "--claims", str(size), "--seed", "1")
    return timings


def postgresql_env(size, args):
    """A fresh PostgreSQL database holding what prepare's SQLite file holds, analysed as
    autovacuum would after a bulk load; its server environment and build timings."""
    import psycopg

    name = f"{args.pg_database}_{size}"
    with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    env = server_env(f"{args.pg_server}/{name}")
    timings = build(env, size)
    with psycopg.connect(f"{args.pg_server}/{name}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return env, timings


def prepare(size, workdir):
    """The app's SQLite database with N synthetic claims and its plain copy for Datasette."""
    app_db, plain_db = workdir / f"app-{size}.sqlite3", workdir / "claims.db"
    for path in (app_db, plain_db):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    env = server_env(f"sqlite:///{app_db}")
    timings = build(env, size)
    started = time.perf_counter()
    convert(app_db, plain_db)
    timings["convert_s"] = round(time.perf_counter() - started, 2)
    with sqlite3.connect(plain_db) as connection:
        drug, claims = connection.execute(
            "SELECT d.slug, COUNT(*) FROM claim_drugs r JOIN drugs d ON d.id = r.drug_id"
            " WHERE d.slug LIKE 'synthetic-%' GROUP BY d.id ORDER BY 2 DESC, d.slug LIMIT 1"
        ).fetchone()
    params = {
        "drug": drug,
        "drug_claims": claims,
        "claim": f"CLM-S{size // 2:06d}",
        "search_term": SEARCH_TERM,
    }
    return env, app_db, plain_db, params, timings


def run_size(size, args, workdir):
    """One result per database of ``args.databases``, and what differed (empty when all agreed)."""
    log(f"{size:,} claims: fresh database")
    env, app_db, plain_db, params, timings = prepare(size, workdir)
    metadata = workdir / "metadata.json"
    metadata.write_text(json.dumps({"databases": {"claims": {"queries": canned_queries()}}}, indent=1))
    results = []
    for database in args.databases:
        if database == "postgresql":
            log(f"{size:,} claims: the same on PostgreSQL")
            env, timings = postgresql_env(size, args)
        result, unequal = side_by_side(
            size, database, env, timings, plain_db, metadata, params, args, workdir
        )
        results.append(result)
        if unequal:
            return results, unequal
    return results, {}


def side_by_side(size, database, env, timings, plain_db, metadata, params, args, workdir):
    """The app served from ``env``'s database against Datasette on ``plain_db``, request by request."""
    log(f"{size:,} claims, app on {DATABASE_NAMES[database]}")
    uncached_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_uncached"}
    setup = serving(args)
    if setup["production"]:
        flush_redis(setup["cache"])
        env = {**env, "REDIS_URL": setup["cache"]}
    result = {
        "size": size,
        "database": database,
        "params": params,
        "serving": setup,
        **timings,
        "load_before": os.getloadavg(),
        "requests": {},
    }
    options = {
        "requests": args.requests,
        "seconds": args.seconds,
        "concurrent_seconds": args.concurrent_seconds,
    }
    with (
        gunicorn("app", env, workdir, setup) as app,
        gunicorn("app_uncached", uncached_env, workdir, setup) as app_uncached,
        datasette(plain_db, metadata, workdir) as peer,
    ):
        servers = {"app": app, "app_uncached": app_uncached}
        plan = requests_for(params)
        log("equivalence, request by request")
        for name, (server, app_path, app_reduce, peer_path, peer_reduce) in plan.items():
            diff = differences(app_reduce(servers[server].get(app_path)), peer_reduce(peer.get(peer_path)))
            result["requests"][name] = {
                "app_path": app_path,
                "datasette_path": peer_path,
                "equivalent": not diff,
            }
            if diff:
                result["requests"][name]["differences"] = diff
        unequal = {k: v["differences"] for k, v in result["requests"].items() if not v["equivalent"]}
        if unequal:
            return result, unequal
        for name, (server, app_path, _, peer_path, _) in plan.items():
            log(f"  {name}")
            entry = result["requests"][name]
            app_side = (servers[server].port, servers[server].pid, app_path)
            app_result, peer_result = measure_alternating(
                [app_side, (peer.port, peer.pid, peer_path)], **options
            )
            entry["app"], entry["datasette"] = app_result.__dict__, peer_result.__dict__
            for stat in ("p50_ms", "p95_ms"):
                entry[f"ratio_{stat[:3]}"] = round(entry["app"][stat] / entry["datasette"][stat], 2)
        result["load_after"] = os.getloadavg()
    if args.profile:
        worst = max(
            (k for k in plan if "reference" not in k), key=lambda k: result["requests"][k]["ratio_p50"]
        )
        server, path = plan[worst][0], plan[worst][1]
        profile = RESULTS / f"profile-datasette-side-by-side-{size}-{database}.txt"
        log(f"  profiling {path}")
        with open(profile, "w") as out:
            subprocess.run(
                [PYTHON, "bench/profile_endpoint.py", path],
                cwd=ROOT,
                stdout=out,
                env=uncached_env if server == "app_uncached" else env,
                timeout=900,
            )
        result["profiled"] = {"request": worst, "file": str(profile.relative_to(ROOT))}
    return result, {}


def _ms(value):
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def table(results):
    lines = [
        "| claims | app database | request | app p50 ms | Datasette p50 ms | app ÷ Datasette p50 | app p95 ms | "
        "Datasette p95 ms | app ÷ Datasette p95 | req/s at 8 clients, app / Datasette |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for name, entry in result["requests"].items():
            app, peer = entry["app"], entry["datasette"]
            lines.append(
                f"| {result['size']:,} | {DATABASE_NAMES[result.get('database', 'sqlite')]} | {name} | {_ms(app['p50_ms'])} | {_ms(peer['p50_ms'])} | "
                f"{entry['ratio_p50']}× | {_ms(app['p95_ms'])} | {_ms(peer['p95_ms'])} | {entry['ratio_p95']}× | "
                f"{app['throughput']:.1f} / {peer['throughput']:.1f} |"
                + (f" errors: {app['errors'] + peer['errors']}" if app["errors"] or peer["errors"] else "")
            )
    setups = {describe(result.get("serving")) for result in results}
    return "\n".join(lines) + "".join(f"\n\nThe app: {setup}." for setup in sorted(setups))


def describe(setup):
    """One line on how the app was served (runs from before --production recorded nothing)."""
    if setup is None:
        return "one sync worker, Django's database cache (not recorded: a run before --production)"
    kind = "as production (docker-compose.yml)" if setup["production"] else "as a fresh checkout"
    workers = f"{setup['workers']} gunicorn {setup['worker_class']} worker" + "s" * (setup["workers"] != 1)
    return f"served {kind}: {workers}, cache {setup['cache']}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000])
    parser.add_argument("--requests", type=int, default=200, help="single-client requests per side, at most")
    parser.add_argument("--seconds", type=float, default=15, help="single-client time per side, at most")
    parser.add_argument(
        "--concurrent-seconds", type=float, default=5, help="8-client throughput time per side"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/exoclaims-datasette"))
    parser.add_argument(
        "--profile", action="store_true", help="profile the app's worst request (pyinstrument)"
    )
    parser.add_argument(
        "--production",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the app as docker-compose.yml does: Redis cache, its gunicorn workers (default on)",
    )
    parser.add_argument(
        "--databases",
        nargs="+",
        default=["sqlite", "postgresql"],
        choices=list(DATABASE_NAMES),
        help="what the app is served from, each against the same Datasette file (default: both)",
    )
    parser.add_argument("--pg-server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--pg-database", default="exoclaims_datasette_bench", help="name prefix (the size is appended)"
    )
    parser.add_argument("--redis-db", type=int, default=15, help="the Redis database the run owns (flushed)")
    parser.add_argument("--report", metavar="JSON", help="only print the table of an earlier run")
    args = parser.parse_args()
    if args.report:
        print(table(json.loads(Path(args.report).read_text())["results"]))
        return
    if not DATASETTE.exists():
        sys.exit("Datasette is not installed: .venv/bin/pip install -e '.[bench]'")
    args.workdir.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    results = []
    for size in args.sizes:
        done, unequal = run_size(size, args, args.workdir)
        if unequal:
            database = DATABASE_NAMES[done[-1]["database"]]
            for name, diff in unequal.items():
                print(f"NOT THE SAME at {size:,} claims (app on {database}), {name}: {diff}", file=sys.stderr)
            sys.exit("the two sides disagree: no timings reported")
        results += done
    report = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "results": results,
        "command": " ".join(sys.argv),
    }
    path = RESULTS / f"datasette-{started:%Y-%m-%dT%H%M}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    path.with_suffix(".md").write_text(table(results) + "\n")
    print(table(results))
    log(f"results in {path} and {path.with_suffix('.md').name}")


if __name__ == "__main__":
    main()
