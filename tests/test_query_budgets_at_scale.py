"""Query budgets at 10,000 and at 100,000 claims (issue 7).

Every list page and list endpoint must run the same, exact number of SQL queries whatever the
size of the data. test_views.py and test_api_read.py check that on the review's few hundred
claims; here the same pages and endpoints run on 10,000 and then 100,000 synthetic claims
(generate_synthetic), with the busiest synthetic drug, cargo and cell line as the filters, so
every list is long, paginated and faceted. One test, inside one transaction: the data is gone
afterwards, and counts are never cached inside a transaction, so every request counts for real.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from claims.dataops.synthetic import PREFIX, PUBLIC_ID_STEM
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Mechanism
from tests.pages import QUERY_BUDGETS, budgeted_url

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SIZES = (10_000, 100_000)

# The API's lists (see test_api_read.py for what each query is): a page-numbered list is a count,
# the page's ids and one statement writing the page's claims as JSON (claims.api.page_json), plus
# one query to resolve each entity parameter; a cursor page has no count (its claims, then the
# same statement); facets are the data-version stamp and one statement counting every facet
# (claims.facets), after the parameter's resolution. A search
# resolves its words against the entities' names first (one query).
API_BUDGETS = {
    "/api/claims/?page_size=50": 4,
    "/api/claims/?drug={drug}&page_size=50": 5,
    "/api/claims/?drug={drug}&page_size=500": 5,
    "/api/claims/?drug={drug}&page_size=50&page=last": 5,
    "/api/claims/?drug={drug}&cargo={cargo}&cell_line={line}&page_size=50": 7,
    "/api/claims/?q=autophagy&page_size=50": 5,
    "/api/claims/?drug={drug}&page_size=50&cursor=": 4,
    "/api/claims/{claim}/": 2,
    "/api/facets/?drug={drug}": 3,
    "/api/facets/?q=autophagy": 3,
    "/api/citations/": 3,
    "/api/drugs/": 2,
    "/api/cargo/": 2,
    "/api/cell-lines/": 2,
    "/api/mechanisms/": 3,
    "/api/sections/": 2,
}


def busiest(model, relation):
    return (
        model.objects.filter(slug__startswith=PREFIX)
        .annotate(n=Count(relation))
        .order_by("-n", "slug")
        .first()
    )


def queries(client, url):
    cache.clear()  # the anonymous throttle and cached counts start afresh for every request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured)


def budgets_at(client, size):
    call_command("generate_synthetic", claims=size, seed=1, stdout=io.StringIO(), stderr=io.StringIO())
    drug, cargo = busiest(Drug, "claims"), busiest(Cargo, "claims")
    line = busiest(CellLine, "claim_links")
    mechanism = (
        Mechanism.objects.filter(slug__startswith=PREFIX, parent__isnull=False).order_by("slug").first()
    )
    mechanism = mechanism or Mechanism.objects.filter(parent__isnull=False).order_by("slug").first()
    claim = Claim.objects.filter(public_id__startswith=PUBLIC_ID_STEM).order_by("public_id")[size // 2]
    citation = Citation.objects.filter(claims__isnull=False).order_by("key").first()
    assert drug.claims.count() > 500, "the filtered lists must be longer than the largest page"
    # A claim of the review for the claim page: its paragraph cites works (one query more than
    # a synthetic claim's), and its drugs and cargo are shared by synthetic claims.
    curated = (
        Claim.objects.exclude(public_id__startswith=PUBLIC_ID_STEM)
        .filter(
            drugs__isnull=False, cargo__isnull=False, citations__isnull=False, direction="promotes_resistance"
        )
        .order_by("public_id")
        .first()
    )
    found = {}
    for name in QUERY_BUDGETS:
        found[name] = queries(client, budgeted_url(name, drug, cargo, line, mechanism, citation, curated))
    last_page = -(-drug.claims.count() // 50)
    for template in API_BUDGETS:
        url = template.format(drug=drug.slug, cargo=cargo.slug, line=line.slug, claim=claim.public_id)
        found[template] = queries(client, url.replace("page=last", f"page={last_page}"))
    call_command("generate_synthetic", remove=True, stdout=io.StringIO(), stderr=io.StringIO())
    return found


def test_every_list_runs_the_same_number_of_queries_at_10k_and_100k_claims(client):
    expected = {**QUERY_BUDGETS, **API_BUDGETS}
    for size in SIZES:
        assert budgets_at(client, size) == expected, f"at {size:,} claims"
