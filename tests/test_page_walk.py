"""Pages of a large filtered set walk the public-id index on SQLite (issue 16).

``claims.selectors.walking_public_id_index`` rewrites a page query's ``id IN (…)`` filters so
SQLite reads claims in public-id order from the index instead of sorting every match; the page
must hold the same claims in the same order as the plain query, on the API and the claim
browser alike, for the first, a middle and the last page, with other filters beside it.
WALK_INDEX_FROM is lowered so that a few hundred synthetic claims are a "large" set.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from claims import selectors
from claims.dataops.synthetic import PREFIX
from claims.models import Claim, Drug

pytestmark = pytest.mark.django_db

PAGE = 5
WALKED = '+"claims_claim"."id" IN'
CLAIM_ID = re.compile(r"CLM-[A-Z]?\d+")


@pytest.fixture
def drug():
    call_command("generate_synthetic", claims=300, seed=1, stdout=io.StringIO(), stderr=io.StringIO())
    drug = (
        Drug.objects.filter(slug__startswith=PREFIX)
        .annotate(n=Count("claims"))
        .order_by("-n", "slug")
        .first()
    )
    assert drug.n > 50, "the busiest synthetic drug must fill several pages of the claim browser"
    return drug


def expected(drug, page, **filters):
    ids = (
        Claim.objects.filter(drugs=drug, **filters).order_by("public_id").values_list("public_id", flat=True)
    )
    return list(ids[(page - 1) * PAGE : page * PAGE])


def get(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response, [query["sql"] for query in captured]


def walked(sql):
    return any(WALKED in statement for statement in sql)


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_an_api_page_walking_the_index_holds_the_claims_the_sorted_query_holds(
    client, drug, monkeypatch, which
):
    monkeypatch.setattr(selectors, "WALK_INDEX_FROM", 2)
    last = -(-drug.n // PAGE)
    page = {"first": 1, "middle": last // 2 + 1, "last": last}[which]
    response, sql = get(client, f"/api/claims/?drug={drug.slug}&page_size={PAGE}&page={page}")
    assert [claim["id"] for claim in response.json()["results"]] == expected(drug, page)
    assert walked(sql) == (connection.vendor == "sqlite")


def test_the_walk_keeps_the_other_filters(client, drug, monkeypatch):
    monkeypatch.setattr(selectors, "WALK_INDEX_FROM", 2)
    direction = Claim.objects.filter(drugs=drug).values_list("direction", flat=True).order_by("direction")[0]
    response, sql = get(client, f"/api/claims/?drug={drug.slug}&direction={direction}&page_size={PAGE}")
    assert [claim["id"] for claim in response.json()["results"]] == expected(drug, 1, direction=direction)
    assert walked(sql) == (connection.vendor == "sqlite")


def test_the_claim_browser_walks_the_index_too(client, drug, monkeypatch):
    monkeypatch.setattr(selectors, "WALK_INDEX_FROM", 2)
    response, sql = get(client, f"/claims/?drug={drug.slug}&background=show&page=2")
    shown = list(dict.fromkeys(CLAIM_ID.findall(response.content.decode())))
    per_page = response.context["page"].paginator.per_page
    ids = Claim.objects.filter(drugs=drug).order_by("public_id").values_list("public_id", flat=True)
    assert shown[:per_page] == list(ids[per_page : 2 * per_page])
    assert walked(sql) == (connection.vendor == "sqlite")


def test_a_small_set_is_read_by_id_and_sorted(client, drug):
    """Below WALK_INDEX_FROM matches the lookup by id is the fast plan (the walk would read the
    whole index to find a rare drug's few claims)."""
    assert drug.n < selectors.WALK_INDEX_FROM
    response, sql = get(client, f"/api/claims/?drug={drug.slug}&page_size={PAGE}")
    assert [claim["id"] for claim in response.json()["results"]] == expected(drug, 1)
    assert not walked(sql)


def test_another_order_is_not_walked(client, drug, monkeypatch):
    monkeypatch.setattr(selectors, "WALK_INDEX_FROM", 2)
    response, sql = get(client, f"/api/claims/?drug={drug.slug}&ordering=-updated&page_size={PAGE}")
    assert len(response.json()["results"]) == PAGE
    assert not walked(sql)


def test_a_ranked_search_reads_public_ids_from_the_id_index_on_sqlite(client):
    """Ordering a search's matches by rank then public id reads each match's public id: from the
    (id, public_id) index (migration 0008), not the wide claim row, once SQLite has statistics
    (generate_synthetic runs ANALYZE)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL tests the row's search vectors (claims.models.claim)")
    call_command("generate_synthetic", claims=300, seed=1, stdout=io.StringIO(), stderr=io.StringIO())
    _, sql = get(client, "/api/claims/?q=engineered&page_size=5")
    (page,) = [statement for statement in sql if "ORDER BY" in statement and "claims_claim_fts" in statement]
    with connection.cursor() as cursor:
        plan = " ".join(row[-1] for row in cursor.execute("EXPLAIN QUERY PLAN " + page).fetchall())
    assert "COVERING INDEX claim_id_public_id_idx" in plan, plan


def test_an_entity_filter_writes_its_ids_into_the_statement(client, drug):
    """The page's ids query names the drug's id in its text, not as a parameter: PostgreSQL
    prepares a statement run twice (settings: DATABASE_PREPARE_THRESHOLD), and with the id a
    parameter it kept one generic plan for every drug, 1.75 ms for the busiest one at 10k where
    that drug's own plan took 0.46 ms (issue 16)."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(f"/api/claims/?drug={drug.slug}&page_size={PAGE}")
    assert response.status_code == 200
    linked = [(sql, params) for sql, params in statements if '"claims_claim_drugs"' in sql]
    assert linked, statements
    for sql, params in linked:
        assert re.search(rf'"drug_id" IN \({drug.pk}\)', sql), sql
        assert drug.pk not in (params or ()), (sql, params)
