"""A read-only request reads the data version once (its ETag and its cached count agree on it),
and no request sees another's (issue 16). Transactional: inside pytest-django's per-test
transaction the version is always read afresh, as in any transaction that may write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.data_version import data_version, one_data_version_per_request
from claims.models import Drug

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/api/claims/?drug=doxorubicin&page_size=50"


def _version_reads(queries):
    return [q for q in queries if q["sql"].startswith("SELECT (SELECT MAX(id) FROM")]


def test_a_list_reads_the_data_version_once_for_its_etag_and_its_count(client, transactional_review):
    with CaptureQueriesContext(connection) as seen:
        response = client.get(LIST)
    assert response.status_code == 200 and response["ETag"].startswith('W/"')
    assert len(_version_reads(seen.captured_queries)) == 1


def test_each_request_reads_its_own_version(client, transactional_review):
    first = client.get(LIST)["ETag"]
    assert client.get(LIST)["ETag"] == first
    drug = Drug.objects.get(slug="doxorubicin")
    drug.notes = "renamed in between"
    drug.save()
    assert client.get(LIST)["ETag"] != first, "a write between two reads must change the ETag"


def test_outside_a_request_or_inside_a_transaction_the_version_is_read_each_time(transactional_review):
    with CaptureQueriesContext(connection) as seen:
        data_version()
        data_version()
    assert len(_version_reads(seen.captured_queries)) == 2
    with one_data_version_per_request(), CaptureQueriesContext(connection) as seen:
        assert data_version() == data_version()
    assert len(_version_reads(seen.captured_queries)) == 1
    from django.db import transaction

    with one_data_version_per_request(), transaction.atomic(), CaptureQueriesContext(connection) as seen:
        data_version()
        data_version()
    assert len(_version_reads(seen.captured_queries)) == 2


def test_a_claim_reads_the_data_version_in_its_own_statement(client, transactional_review, monkeypatch):
    """The claim detail reads its claim, relations and data version in one statement
    (claims.api.page_json.claim_json); its ETag is the one a separate read gives, and moves with
    a write to a linked record."""
    from claims.models import Claim

    claim = Claim.objects.filter(drugs__isnull=False).order_by("public_id").first()
    path = f"/api/claims/{claim.public_id}/"
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200
    (statement,) = [q["sql"] for q in seen.captured_queries]
    assert "MAX(history_id)" in statement and not _version_reads(seen.captured_queries)
    etag = response["ETag"]
    import claims.api.views.claims as views

    monkeypatch.setattr(views, "page_json_supported", lambda: False)
    with CaptureQueriesContext(connection) as seen:
        assert client.get(path)["ETag"] == etag
    assert len(_version_reads(seen.captured_queries)) == 1
    monkeypatch.undo()
    drug = claim.drugs.first()
    drug.notes = "changed after the first read"
    drug.save()
    assert client.get(path)["ETag"] != etag
