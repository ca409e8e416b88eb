"""What a read-only request keeps in its process for the data version it read (claims.data_version's
VersionMemo): the entities a filter's or a search's names resolve to, and a filter's claim count.

A repeated request then skips the name query and the shared cache's round trip; a write of an
entity or a claim changes the data version, and the next request resolves and counts afresh
(issue 16). Transactional: inside pytest-django's per-test transaction nothing is kept, as in
any transaction that may write.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import claims.data_version as data_version_module
import claims.facets as facets
from claims.data_version import VersionMemo, one_data_version_per_request
from claims.models import Claim, Drug

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/api/claims/?drug=doxorubicin&page_size=50"


def _name_queries(queries):
    return [q["sql"] for q in queries if "lookup_terms" in q["sql"]]


def _get(client, path):
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    return response, seen.captured_queries


def test_a_repeated_filter_resolves_its_names_once_per_data_version(client, transactional_review):
    first, queries = _get(client, LIST)
    assert first.status_code == 200 and _name_queries(queries)
    again, queries = _get(client, LIST)
    assert again.json() == first.json()
    assert not _name_queries(queries), "the same names at the same data version are resolved once"

    # A drug's alias written in between: the version moves, and the next request sees the alias.
    unknown, _ = _get(client, "/api/claims/?drug=zz-alias-of-doxorubicin")
    assert unknown.status_code == 400 and "zz-alias-of-doxorubicin" in unknown.content.decode()
    drug = Drug.objects.get(slug="doxorubicin")
    drug.aliases = [*drug.aliases, "zz-alias-of-doxorubicin"]
    drug.save()
    named, queries = _get(client, "/api/claims/?drug=zz-alias-of-doxorubicin")
    assert named.status_code == 200 and _name_queries(queries)
    assert named.json()["count"] == first.json()["count"]


def test_a_search_resolves_its_words_once_per_data_version(client, transactional_review):
    first, queries = _get(client, "/api/claims/?q=doxorubicin")
    assert first.status_code == 200 and _name_queries(queries)
    again, queries = _get(client, "/api/claims/?q=doxorubicin")
    assert again.json() == first.json() and not _name_queries(queries)


def test_a_repeated_count_is_kept_in_the_process_until_a_claim_is_written(
    client, transactional_review, monkeypatch
):
    shared_reads = []
    real_get = facets.cache.get

    def counting_get(key, *args, **kwargs):
        if key.startswith("claim-counts:"):
            shared_reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(facets.cache, "get", counting_get)
    count = client.get(LIST).json()["count"]
    assert shared_reads, "the first request reads the count from the shared cache (or counts)"
    shared_reads.clear()
    assert client.get(LIST).json()["count"] == count
    assert not shared_reads, "the second asks this process's memo, not the shared cache"

    claim = Claim.objects.exclude(drugs__slug="doxorubicin").order_by("public_id").first()
    claim.drugs.add(Drug.objects.get(slug="doxorubicin"))
    claim.save()  # a claim's save moves its ``updated``, and with it the data version
    assert client.get(LIST).json()["count"] == count + 1


def test_nothing_is_kept_outside_a_read_only_request_or_inside_a_transaction(transactional_review):
    assert VersionMemo.key("default", "anything") is None
    with one_data_version_per_request():
        key = VersionMemo.key("default", "anything")
        assert key is not None
        with transaction.atomic():
            assert VersionMemo.key("default", "anything") is None
    memo = VersionMemo(size=4)
    memo.put(None, "kept nowhere")
    assert memo.get(None) is None


def test_the_memo_keeps_the_most_recent_values_for_a_bounded_time(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(data_version_module.time, "monotonic", lambda: now[0])
    memo = VersionMemo(size=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    now[0] += data_version_module.CACHE_SECONDS + 1
    assert memo.get("a") is None and memo.get("c") is None


def test_with_the_memo_off_every_request_resolves_and_counts(
    client, transactional_review, settings, monkeypatch
):
    """bench/settings_uncached.py turns it off to time what the first request after a write costs."""
    settings.VERSION_MEMO = False
    shared_reads = []
    real_get = facets.cache.get
    monkeypatch.setattr(
        facets.cache, "get", lambda key, *a, **k: shared_reads.append(key) or real_get(key, *a, **k)
    )
    client.get(LIST)
    shared_reads.clear()
    again, queries = _get(client, LIST)
    assert again.status_code == 200 and _name_queries(queries)
    assert [key for key in shared_reads if key.startswith("claim-counts:")], "the count is asked again"
