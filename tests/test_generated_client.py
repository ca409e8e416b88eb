"""A client generated from /api/v1/schema/ (openapi-python-client) works unmodified.

The client is generated into a temporary directory, imported, and sent through httpx's WSGI
transport to the app in this process: it lists claims, reads one and filters by drug, with no
account, as a downstream tool would.
"""

import importlib
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

pytestmark = pytest.mark.django_db

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@contextmanager
def connection_kept():
    """Requests sent straight to the WSGI handler would close the test's database connection when
    they end (close_old_connections); Django's test client unhooks it the same way, and hooks it
    again after each of its requests, so none of those may run inside this block."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def exoclaims_client(client, tmp_path):
    """The package openapi-python-client generates from the served schema, imported."""
    schema = client.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    (tmp_path / "schema.json").write_bytes(schema.content)
    (tmp_path / "config.yaml").write_text("package_name_override: exoclaims_client\n")
    generated = subprocess.run(
        [GENERATOR, "generate", "--path", "schema.json", "--meta", "none", "--config", "config.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("exoclaims_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.partition(".")[0] == "exoclaims_client"]:
            del sys.modules[name]


def test_a_generated_client_lists_reads_and_filters_claims(exoclaims_client, client):
    claims_list = importlib.import_module("exoclaims_client.api.claims.claims_list")
    claims_retrieve = importlib.import_module("exoclaims_client.api.claims.claims_retrieve")
    models = importlib.import_module("exoclaims_client.models")
    api = exoclaims_client.Client(
        base_url="http://testserver/api/v1",
        httpx_args={"transport": httpx.WSGITransport(app=WSGIHandler())},
        raise_on_unexpected_status=True,
    )
    total = client.get("/api/claims/").json()["count"]
    with_cisplatin = client.get("/api/claims/", {"drug": "cisplatin"}).json()["count"]
    assert 0 < with_cisplatin < total

    with connection_kept():
        page = claims_list.sync(client=api, page_size=5)
        first = page.results[0]
        claim = claims_retrieve.sync(first.id, client=api)
        cisplatin = claims_list.sync(client=api, drug=["cisplatin"], page_size=500)
        missing = claims_retrieve.sync_detailed("CLM-9999", client=api)

    assert isinstance(page, models.PaginatedClaimList)
    assert (page.count, len(page.results)) == (total, 5)
    assert isinstance(claim, models.Claim)
    assert (claim.id, claim.statement, claim.version) == (first.id, first.statement, first.version)
    assert cisplatin.count == with_cisplatin
    assert all("cisplatin" in [drug.slug for drug in c.drugs] for c in cisplatin.results)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
