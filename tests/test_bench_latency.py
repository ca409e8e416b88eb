"""The side by side's timing (bench/latency.py): the single client's requests take turns between
the servers compared, so a drift in the machine's speed falls on both sides alike (issue 16)."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.latency import measure_alternating


def _server(name, hits):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(name)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_single_clients_requests_alternate_between_the_sides():
    hits = []
    app, peer = _server("app", hits), _server("peer", hits)
    try:
        sides = [(app.server_address[1], os.getpid(), "/a"), (peer.server_address[1], os.getpid(), "/p")]
        app_result, peer_result = measure_alternating(sides, requests=6, seconds=10, clients=0, warmup=1)
    finally:
        app.shutdown()
        peer.shutdown()
    # A cold request and one warm-up per side, then six turns each, app first in every turn.
    assert hits[:4] == ["app", "app", "peer", "peer"]
    assert hits[4:] == ["app", "peer"] * 6
    assert app_result.samples == peer_result.samples == 6
    assert app_result.bytes == 3 and peer_result.bytes == 4 and not app_result.errors
    assert 0 < app_result.p50_ms <= app_result.p95_ms
