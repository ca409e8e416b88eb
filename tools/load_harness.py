"""The load and fault harness shared by bench/mixed_load.py, bench/faults.py and the suite's
tests/test_load_and_faults.py: a private PostgreSQL database served by gunicorn on loopback, clients
that read and write through the site and its API, outages injected mid-run, and the checks of what
clients were told against what the database holds.

A ``Bench`` creates its own database on a PostgreSQL server (never touching an existing one),
migrates it, loads the review, adds curator accounts with API tokens, and starts gunicorn on
127.0.0.1 with production settings (debug off; X-Forwarded-Proto stands in for the TLS proxy).
``run_load`` runs clients until the time is up: readers fetch pages, searches, facets and API
results; curators mix reads with writes through the API (a flag on a claim, an edit of the notes
of the claim they own with If-Match, or a new claim). Every write carries a unique marker, so
``verify_writes`` can tell whether any acknowledged write was lost, any was applied twice, or any
in part. ``run_with_outage`` does the same while the database goes away for a while, and ``judge``
says how the site behaved through it. ``create_at_once`` sends many creates at one instant,
``answers_agree`` compares answers given side by side with those given alone, and
``hostile_sample`` sends the suite's hostile-input corpus through the server. gunicorn runs sync
or gthread workers, named explicitly. Nothing but 127.0.0.1 is contacted.
"""

import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

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
WORKER_CLASSES = ("sync", "gthread")
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


def get(url, *, method="GET", body=None, raw=None, headers=None, timeout=30):
    """One HTTP request (``body`` sent as JSON, or ``raw`` bytes as they are); an Answer whatever
    happens (status 0: no answer)."""
    data = json.dumps(body).encode() if body is not None else raw
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

    def start(self, workers, threads, log_file=None, worker_class="gthread"):
        """gunicorn on a free loopback port; its log goes to ``log_file`` (default: this stderr).

        ``worker_class`` is named on the command line: given more than one thread, gunicorn turns
        sync workers into gthread ones without a word, so a "sync" run would not be one."""
        if worker_class not in WORKER_CLASSES:
            raise ValueError(f"worker_class {worker_class!r} is not one of {', '.join(WORKER_CLASSES)}")
        if worker_class == "sync" and threads != 1:
            raise ValueError(f"sync workers have one thread each, not {threads}")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            str(BIN / "gunicorn"),
            "exoclaims.wsgi",
            "--worker-class",
            worker_class,
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
        return self.request("write:create", "/api/claims/", method="POST", marker=marker, body=body)

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


def _released_together(count, work):
    """``work(n)`` for n in range(count), each in a thread of its own, all released at one instant."""
    barrier, answers = threading.Barrier(count), [None] * count

    def run(n):
        barrier.wait()
        answers[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def create_at_once(bench, setup, *, count, run_id):
    """``count`` claims created through ``POST /api/claims/`` at the same instant, the curators
    taking turns: (results, the public id each 201 gave)."""
    base, tokens = f"http://127.0.0.1:{bench.port}", setup["tokens"]

    def create(n):
        client = Client(n, base, setup, 0, run_id, token=tokens[n % len(tokens)])
        answer = client.create()
        return client.results[0], json.loads(answer.body)["id"] if answer.status == 201 else None

    answers = _released_together(count, create)
    return [result for result, _ in answers], [public_id for _, public_id in answers if public_id]


def answers_agree(bench, paths, *, copies):
    """Paths whose answer changed when ``copies`` of each were asked at the same instant, compared
    with the answer each gave alone: request state leaking between threads shows up here."""
    base = f"http://127.0.0.1:{bench.port}"
    alone = {path: get(base + path) for path in paths}
    together = _released_together(len(paths) * copies, lambda n: get(base + paths[n % len(paths)]))
    return sorted(
        {
            f"{path}: {answer.status} {answer.body[:200]!r}"
            for n, answer in enumerate(together)
            for path in [paths[n % len(paths)]]
            if (answer.status, answer.body) != (alone[path].status, alone[path].body)
        }
    )


HOSTILE_CORPUS = ROOT / "tests" / "data" / "hostile.txt"
HOSTILE_PARAMS = ["q", "drug", "direction", "cursor"]
# Issue 18, items 3-5: JSON nested past any parser's depth, NUL in a path segment or a cursor.
HOSTILE_PATHS = ["/api/claims/%00/", "/claims/%00/", "/citations/%00/", "/api/citations/%00/"]
HOSTILE_PATHS += ["/api/drugs/%00/", "/api/sections/%00/", "/api/claims/?cursor=AA%3D%3D"]
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def hostile_sample(bench, setup, *, clients):
    """The suite's hostile-input corpus (tests/data/hostile.txt) sent through gunicorn by
    ``clients`` threads at once: in search and filter parameters of a page and the API, as flag
    text and kind, plus the items 3-5 of issue 18. One Result each (kind ``hostile``)."""
    corpus = [
        json.loads(line)
        for line in HOSTILE_CORPUS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    base, token = f"http://127.0.0.1:{bench.port}", {"Authorization": f"Token {setup['tokens'][0]}"}
    flags = f"/api/claims/{setup['claims'][0]}/flags/"
    # A lone surrogate cannot be UTF-8: it goes out as the bytes a careless encoder makes of it.
    requests = [
        (f"{path}?{urlencode({name: text}, errors='surrogatepass')}", {})
        for text in corpus
        for path in ("/claims/", "/api/claims/")
        for name in HOSTILE_PARAMS
    ]
    requests += [(flags, {"method": "POST", "body": {"kind": "other", "text": text}}) for text in corpus]
    requests += [(flags, {"method": "POST", "body": {"kind": text, "text": "hostile"}}) for text in corpus]
    requests += [(path, {}) for path in HOSTILE_PATHS]
    requests += [
        (flags, {"method": "POST", "raw": DEEP_JSON, "headers": {"Content-Type": "application/json"}})
    ]
    queue, results, lock = list(reversed(requests)), [], threading.Lock()

    def send():
        while True:
            with lock:
                if not queue:
                    return
                path, options = queue.pop()
            started = time.monotonic()
            headers = {**token, **options.pop("headers", {})}
            answer = get(base + path, headers=headers, **options)
            with lock:
                results.append(
                    Result("hostile", started, time.monotonic() - started, answer.status, path=path)
                )

    threads = [threading.Thread(target=send, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


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


# Outages injected in the middle of a load run

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
