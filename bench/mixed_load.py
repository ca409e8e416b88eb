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
is contacted. The database is dropped at the end unless --keep is given.

Exit status 0 only when there was no error and the database agrees with what clients were told.
"""

import argparse
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
READ_PATHS = [
    "/",
    "/claims/",
    "/claims/?drug=doxorubicin",
    "/claims/?q=exosome+resistance",
    "/claims/{claim}/",
    "/citations/",
    "/drugs/doxorubicin/",
    "/review/",
    "/api/claims/",
    "/api/claims/?q=resistance",
    "/api/claims/?drug=paclitaxel&direction=promotes_resistance",
    "/api/claims/{claim}/",
    "/api/facets/",
    "/api/facets/?drug=tamoxifen",
    "/api/citations/",
    "/healthz",
]
EXPECTED = {"read:page": 200, "read:api": 200, "write:flag": 201, "write:edit": 200, "write:create": 201}
OUTAGE_TEXT = "The database is unavailable right now"
SETUP = r"""
import json
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from claims.models import Claim
curators, group = [], Group.objects.get(name="curators")
for n in range(CURATORS):
    user = User.objects.create_user(f"load-curator-{n}", is_staff=True)
    user.groups.add(group)
    curators.append(Token.objects.create(user=user).key)
claims = list(Claim.objects.order_by("public_id").values_list("public_id", flat=True))
template = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
print(json.dumps({"tokens": curators, "claims": claims, "template": {
    "section": template.section.number, "quote": template.quote, "therapy_class": template.therapy_class,
    "citations": list(template.citations.values_list("key", flat=True))}}))
"""


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Result:
    kind: str
    started: float
    seconds: float
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    clean_503: bool = False
    marker: str = ""
    path: str = ""


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict


def get(url, *, method="GET", body=None, headers=None, timeout=30):
    """One HTTP request; an Answer whatever happens (status 0: no answer)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={
            "X-Forwarded-Proto": "https",
            "Accept": "application/json, text/html",
            **({"Content-Type": "application/json"} if data else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), error.headers)
    except (OSError, urllib.error.URLError) as error:
        return Answer(0, str(error).encode(), {})


@dataclass
class Bench:
    """A private database and a gunicorn serving it."""

    server: str
    name: str = field(default_factory=lambda: f"exoclaims_load_{os.getpid()}_{secrets.token_hex(3)}")
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self):
        parts = urlsplit(self.server)
        return urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", "", ""))

    def admin(self):
        return psycopg.connect(self.server, dbname="postgres", autocommit=True)

    def environment(self):
        return {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": self.url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "EXOCLAIMS_PLAIN_STATIC": "1",
            "DATABASE_CONN_MAX_AGE": "60",
            # Every client comes from 127.0.0.1: the per-address anonymous limit would throttle the test.
            "EXOCLAIMS_ANON_RATE": "100000000/hour",
            **{name: os.environ[name] for name in ("EXOCLAIMS_FIXTURES_DIR",) if name in os.environ},
        }

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(args[:2])} failed:\n{result.stderr}")
        return result.stdout

    def create(self, curators):
        """The database, migrated, with the review and ``curators`` curator accounts with tokens."""
        with self.admin() as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        log(f"database {self.name}: migrate, load the review, {curators} curators")
        self.manage("migrate", "--verbosity", "0")
        self.manage("createcachetable")  # the shared cache (throttles) when REDIS_URL is unset
        self.manage("load_review", "--verbosity", "0")
        output = self.manage("shell", "--verbosity", "0", "-c", SETUP.replace("CURATORS", str(curators)))
        return json.loads(output.strip().splitlines()[-1])

    def start(self, workers, threads, log_file=None):
        """gunicorn on a free loopback port; its log goes to ``log_file`` (default: this stderr)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            str(BIN / "gunicorn"),
            "exoclaims.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT if log_file else None,
        )
        for _ in range(300):
            if get(f"http://127.0.0.1:{self.port}/healthz").status == 200:
                return
            time.sleep(0.1)
        raise SystemExit("gunicorn did not answer /healthz within 30 s")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def drop(self):
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Client(threading.Thread):
    def __init__(self, number, base, setup, deadline, run_id, token=None, owned=None, read_paths=READ_PATHS):
        super().__init__(daemon=True)
        self.read_paths = read_paths
        self.number, self.base, self.deadline, self.run_id = number, base, deadline, run_id
        self.claims, self.template = setup["claims"], setup["template"]
        self.token, self.owned, self.etag = token, owned, None
        self.random = random.Random(number)
        self.results, self.sequence = [], 0

    def request(self, kind, path, *, marker="", **kwargs):
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        started = time.monotonic()
        answer = get(self.base + path, headers=headers, **kwargs)
        clean = (
            answer.status == 503 and OUTAGE_TEXT.encode() in answer.body and "Retry-After" in answer.headers
        )
        self.results.append(
            Result(kind, started, time.monotonic() - started, answer.status, clean, marker, path)
        )
        return answer

    def read(self):
        path = self.random.choice(self.read_paths).format(claim=self.random.choice(self.claims))
        self.request("read:api" if path.startswith("/api/") else "read:page", path)

    def marker(self, what):
        self.sequence += 1
        return f"load {self.run_id} c{self.number} {what} {self.sequence}"

    def flag(self):
        marker = self.marker("flag")
        claim = self.random.choice(self.claims)
        self.request(
            "write:flag",
            f"/api/claims/{claim}/flags/",
            method="POST",
            marker=marker,
            body={"kind": "other", "text": marker},
        )

    def edit(self):
        if self.etag is None:
            answer = self.request("read:api", f"/api/claims/{self.owned}/")
            if answer.status != 200:
                return
            self.etag = answer.headers["ETag"]
        marker = self.marker("edit")
        answer = self.request(
            "write:edit",
            f"/api/claims/{self.owned}/",
            method="PATCH",
            marker=marker,
            body={"notes": marker},
            headers={"If-Match": self.etag},
        )
        self.etag = answer.headers.get("ETag") if answer.status == 200 else None

    def create(self):
        marker = self.marker("create")
        body = {
            **self.template,
            "statement": f"Load {marker}",
            "direction": "background",
            "allow_duplicate": True,
        }
        self.request("write:create", "/api/claims/", method="POST", marker=marker, body=body)

    def run(self):
        while time.monotonic() < self.deadline:
            if self.token is None or self.random.random() < 0.5:
                self.read()
            else:
                self.random.choices([self.flag, self.edit, self.create], weights=[5, 4, 1])[0]()


def curators_for(clients):
    """A fifth of the clients write (at least one)."""
    return max(1, round(clients * 0.2))


def owned_claims(setup, clients):
    """The claim each curator client edits: its own, so edits never conflict by design."""
    return setup["claims"][-curators_for(clients) :]


def run_load(bench, setup, *, clients, seconds, run_id, read_paths=READ_PATHS):
    """Run the clients until ``seconds`` have passed; returns every result, oldest first."""
    deadline = time.monotonic() + seconds
    base = f"http://127.0.0.1:{bench.port}"
    owned = owned_claims(setup, clients)
    curators = {n: {"token": setup["tokens"][n], "owned": owned[n]} for n in range(len(owned))}
    threads = [
        Client(n, base, setup, deadline, run_id, read_paths=read_paths, **curators.get(n, {}))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted((r for t in threads for r in t.results), key=lambda r: r.started)


def errors_in(results):
    """Answers that are neither what was expected nor a lost-update refusal (412)."""
    return [r for r in results if r.status not in (EXPECTED[r.kind], 412)]


HISTORY_SQL = (
    "SELECT c.public_id, count(*) FROM claims_historicalclaim h JOIN claims_claim c ON c.id = h.id "
    "WHERE c.public_id = ANY(%s) GROUP BY 1"
)


def history_counts(bench, owned):
    with psycopg.connect(bench.url) as db:
        return dict(db.execute(HISTORY_SQL, [owned]).fetchall())


def verify_writes(bench, results, owned, run_id, history_before):
    """Compare what clients were told with what the database holds: (problems, counts)."""
    acked = {r.marker for r in results if r.marker and r.status == EXPECTED[r.kind]}
    unsure = {r.marker for r in results if r.marker and r.status not in (EXPECTED[r.kind], 412)}
    pattern = f"load {run_id} %"
    with psycopg.connect(bench.url) as db:
        flags = Counter(
            t for (t,) in db.execute("SELECT text FROM claims_flag WHERE text LIKE %s", [pattern])
        )
        created = db.execute(
            "SELECT c.statement, count(l.id) FROM claims_claim c LEFT JOIN claims_claim_citations l "
            "ON l.claim_id = c.id WHERE c.statement LIKE %s GROUP BY c.id",
            [f"Load {pattern}"],
        ).fetchall()
        created_markers = Counter(statement[len("Load ") :] for statement, _ in created)
        edits = Counter(
            n
            for (n,) in db.execute(
                "SELECT h.notes FROM claims_historicalclaim h JOIN claims_claim c ON c.id = h.id "
                "WHERE c.public_id = ANY(%s) AND h.notes LIKE %s",
                [owned, pattern],
            )
        )
        notes = dict(
            db.execute("SELECT public_id, notes FROM claims_claim WHERE public_id = ANY(%s)", [owned])
        )
        history = dict(db.execute(HISTORY_SQL, [owned]).fetchall())
    problems = []
    stored = flags + created_markers + edits
    for marker, count in sorted(stored.items()):
        if count > 1:
            problems.append(f"applied {count} times: {marker}")
        if marker not in acked and marker not in unsure:
            problems.append(f"in the database but never sent: {marker}")
    problems += [f"acknowledged but lost: {m}" for m in sorted(acked - set(stored))]
    problems += [f"created without its citations (half-applied): {s}" for s, links in created if not links]
    for number, public_id in enumerate(owned):
        applied = [m for m in edits if f" c{number} edit " in m]
        grown = history.get(public_id, 0) - history_before.get(public_id, 0)
        if grown != len(applied):
            problems.append(f"{public_id}: {len(applied)} edits applied but its history grew by {grown}")
        last = max(applied, key=lambda m: int(m.rsplit(" ", 1)[1]), default=None)
        if last is not None and notes[public_id] != last:
            problems.append(
                f"{public_id}: notes are {notes[public_id]!r}, the last edit applied was {last!r}"
            )
    counts = {
        "acknowledged writes": len(acked),
        "writes with no clear answer": len(unsure),
        "of which applied": len(set(stored) & unsure),
    }
    return problems, counts


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


def add_exclude_option(parser):
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATH",
        help="leave this read path out of the mix (repeatable), e.g. one with a known bug",
    )


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
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
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
        log(f"{args.clients} clients for {args.seconds:g} s against gunicorn ({args.workers}×{args.threads})")
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
