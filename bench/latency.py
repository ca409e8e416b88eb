"""HTTP latency against a local server: single-client latency, 8-client throughput, worker memory.

Plain http.client on loopback, one connection per request (gunicorn's sync workers close each
connection anyway); every response body is read to the end. Memory is the resident set size of
each gunicorn worker, polled from /proc while a measurement runs.
"""

import http.client
import statistics
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def fetch(port, path, timeout=300):
    """(status, bytes read, seconds) for one GET of ``path``."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Encoding": "identity"})
        response = connection.getresponse()
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
        return response.status, size, time.perf_counter() - started
    finally:
        connection.close()


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


class MemoryWatch:
    """Peak RSS of the gunicorn workers (children of ``master``) while the block runs."""

    def __init__(self, master, interval=0.02):
        self.master, self.interval, self.peak_kib = master, interval, 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            for worker in children(self.master):
                self.peak_kib = max(self.peak_kib, rss_kib(worker))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self):
        return round(self.peak_kib / 1024, 1)


@dataclass
class Result:
    cold_ms: float = None
    p50_ms: float = None
    p95_ms: float = None
    samples: int = 0
    throughput: float = None  # requests per second, 8 clients
    concurrent_p50_ms: float = None
    errors: list = field(default_factory=list)
    bytes: int = 0
    peak_worker_mib: float = None


def _check(result, status, path):
    if status != 200 and len(result.errors) < 5:
        result.errors.append(f"{status} for {path}")


def measure(port, master, path, *, requests=200, seconds=15.0, clients=8, concurrent_seconds=10.0, warmup=3):
    """Latency of one client (after a cold first request and a warm-up), then 8-client throughput."""
    return measure_alternating(
        [(port, master, path)],
        requests=requests,
        seconds=seconds,
        clients=clients,
        concurrent_seconds=concurrent_seconds,
        warmup=warmup,
    )[0]


def measure_alternating(sides, *, requests=200, seconds=15.0, clients=8, concurrent_seconds=10.0, warmup=3):
    """``measure`` for each of ``sides`` ((port, master pid, path) each), with the single client's
    requests taking turns between the sides: on a machine whose speed drifts (a neighbour's load
    on a shared host), each side's samples then come from the same moments, and their ratio does
    not depend on which side ran first. Throughput is then measured side after side (8 clients
    need the whole machine). A [Result] per side, in order."""
    results = [Result() for _ in sides]
    with ExitStack() as watches:
        memories = [watches.enter_context(MemoryWatch(master)) for _, master, _ in sides]
        for result, (port, _, path) in zip(results, sides, strict=True):
            status, result.bytes, elapsed = fetch(port, path)
            _check(result, status, path)
            result.cold_ms = elapsed * 1000
            for _ in range(warmup):
                fetch(port, path)
        times = [[] for _ in sides]
        deadline = time.perf_counter() + seconds * len(sides)
        while len(times[-1]) < requests and time.perf_counter() < deadline:
            for result, samples, (port, _, path) in zip(results, times, sides, strict=True):
                status, _, elapsed = fetch(port, path)
                _check(result, status, path)
                samples.append(elapsed * 1000)
        for result, samples in zip(results, times, strict=True):
            result.samples = len(samples)
            result.p50_ms, result.p95_ms = statistics.median(samples), percentile(samples, 0.95)
        if clients:
            for result, (port, _, path) in zip(results, sides, strict=True):
                _throughput(result, port, path, clients, concurrent_seconds)
    for result, memory in zip(results, memories, strict=True):
        result.peak_worker_mib = memory.peak_mib
    return results


def _throughput(result, port, path, clients, seconds):
    done, lock, stop = [], threading.Lock(), time.perf_counter() + seconds

    def client():
        while time.perf_counter() < stop:
            status, _, elapsed = fetch(port, path)
            with lock:
                done.append(elapsed * 1000)
                _check(result, status, path)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.throughput = len(done) / (time.perf_counter() - started)
    result.concurrent_p50_ms = statistics.median(done) if done else None


def time_calls(function, *, runs=30, seconds=15.0):
    """p50 and p95 in ms of ``function()`` run in-process (the floor), after one warm-up call."""
    function()
    times, deadline = [], time.perf_counter() + seconds
    while len(times) < runs and time.perf_counter() < deadline:
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.95), len(times)
