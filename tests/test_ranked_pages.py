"""A one-word search's page read score by score on PostgreSQL (claims.ranked_pages, issue 16).

The page must hold the claims, in the order and with the scores, that ranked()'s ORDER BY gives:
for words mostly in statements, mostly in quotes, or only in exosome sources, on the first page,
across the boundary between two scores and on the last page; through the API and the claim
browser alike. A score's claims are read only when the better scores left the page short. A
phrase, a word naming an entity and a search beside other filters keep the ORDER BY, whose
plan does not depend on PostgreSQL's estimate of each score's share.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from claims import ranked_pages
from claims.filters import filtered_claims
from claims.models import Claim, Drug
from claims.ranked_pages import tiered_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the score-by-score read is PostgreSQL's"),
]

CLAIM_ID = re.compile(r"CLM-[A-Z]?\d+")
# Words naming no entity whose matches score differently: nearly all in statements ("exosomes"),
# all in quotes ("engineered", in synthetic quotes), and in every place: statements, quotes, and
# only in the exosome source ("serum", "mesenchymal").
WORDS = ["exosomes", "engineered", "serum", "mesenchymal", "resistance", "derived"]


@pytest.fixture
def synthetic():
    call_command("generate_synthetic", claims=300, seed=1, stdout=io.StringIO(), stderr=io.StringIO())


def searched(params):
    filterset = filtered_claims(QueryDict(params))
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def read_by_score(page):
    """The page as tiered_rows reads it when the search matches many claims (TIERS_FROM)."""
    return tiered_rows(page, matching=ranked_pages.TIERS_FROM)


def by_order_by(claims, start, stop):
    return list(claims[start:stop].values_list("pk", "rank"))


def scores(claims):
    """How many of ``claims`` (a ranked search) score each value, best first."""
    counts = {}
    for rank in claims.values_list("rank", flat=True):
        counts[rank] = counts.get(rank, 0) + 1
    return dict(sorted(counts.items(), reverse=True))


@pytest.mark.parametrize("word", WORDS)
def test_every_page_read_by_score_is_the_ranked_page(synthetic, word):
    claims = searched(f"q={word}")
    total = claims.count()
    assert total >= 4, f"{word!r} must match enough claims to page through"
    boundaries = [0]
    for count in scores(claims).values():
        boundaries.append(boundaries[-1] + count)
    starts = {0, 3, total - 4, *(max(0, b - 2) for b in boundaries[1:-1])}
    for start in sorted(starts):
        for size in (1, 5, 50):
            page = claims[start : start + size]
            rows = read_by_score(page)
            assert rows is not None, "a one-word search's page is read by score"
            assert rows == by_order_by(claims, start, start + size), (word, start, size)


def test_scores_of_every_kind_are_read(synthetic):
    """The words above reach every score a word naming no entity has: 3 (statement), 2 (quote
    only) and 1 (exosome source or names only)."""
    seen = set()
    for word in WORDS:
        seen |= set(scores(searched(f"q={word}")))
    assert seen == {1, 2, 3}


def test_the_background_switch_goes_with_a_search_read_by_score(synthetic):
    claims = searched("q=serum&background=hide")
    assert claims.count() > 10
    for start in (0, 7):
        rows = read_by_score(claims[start : start + 9])
        assert rows is not None and rows == by_order_by(claims, start, start + 9)


@pytest.mark.parametrize(
    "params",
    [
        "q=exosomes tamoxifen",
        "q=exosomes OR tamoxifen",
        'q="drug resistance"',
        "q=herceptin",
        "q=autophagy",
        "q=serum&direction=promotes_resistance",
        "q=serum&drug={drug}",
    ],
    ids=["two-words", "or", "phrase", "names-a-drug", "names-a-mechanism", "direction", "drug"],
)
def test_other_searches_keep_the_order_by(synthetic, params):
    drug = Drug.objects.annotate(n=Count("claims")).order_by("-n", "slug").first()
    claims = searched(params.format(drug=drug.slug))
    assert claims.count() > 0
    assert read_by_score(claims[:5]) is None


def test_a_score_is_read_only_when_the_better_ones_left_the_page_short(synthetic):
    claims = searched("q=exosomes")
    assert list(scores(claims).values())[0] >= 5, "the page of 5 is filled by the best score"
    with CaptureQueriesContext(connection) as captured:
        read_by_score(claims[:5])
    (statement,) = [query["sql"] for query in captured]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    worse = len(claims.query.annotations["rank"].tiers) - 1
    assert worse >= 2 and plan.count("One-Time Filter") == worse, plan
    # Under each one-time filter, the read of a worse score: never run.
    assert plan.count("Limit (never executed)") == worse, plan


def tiered(queries):
    return any(query["sql"].startswith("WITH t0") for query in queries)


def test_the_api_and_the_browser_show_the_ranked_pages(client, synthetic, monkeypatch):
    monkeypatch.setattr(ranked_pages, "TIERS_FROM", 2)  # 300 synthetic claims are "many"
    claims = Claim.objects.search("engineered").ranked("engineered")  # ranked by its ORDER BY
    expected = list(claims.values_list("public_id", flat=True))
    assert len(expected) > 12
    with CaptureQueriesContext(connection) as api_queries:
        api = client.get("/api/claims/", {"q": "engineered", "page_size": 5, "page": 2})
    assert [claim["id"] for claim in api.json()["results"]] == expected[5:10]
    with CaptureQueriesContext(connection) as page_queries:
        html = client.get("/claims/", {"q": "engineered", "background": "show"}).content.decode()
    shown = list(dict.fromkeys(re.findall(r'data-public-id="(CLM-[A-Z]?\d+)"', html)))
    assert shown == expected[: len(shown)] and shown
    assert tiered(api_queries) and tiered(page_queries)


def test_a_search_of_few_matches_is_sorted_by_its_order_by(client, synthetic):
    """Below TIERS_FROM matches, scoring every match is as cheap as writing the scores' statement."""
    count = Claim.objects.search("engineered").count()
    assert count < ranked_pages.TIERS_FROM
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/claims/", {"q": "engineered", "page_size": 5}).status_code == 200
    assert not tiered(queries)
