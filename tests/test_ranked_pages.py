"""A one-word search's page read score by score on PostgreSQL (claims.ranked_pages, issue 16).

The page must hold the claims, in the order and with the scores, that ranked()'s ORDER BY gives:
for words in the statements, only in the quotes, only in the names (an entity's alias), a phrase,
with another filter beside the search, on the first page, across the boundary between two scores
and on the last page; through the API and the claim browser alike. A score's claims are read
only when the better scores left the page short.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from claims.filters import filtered_claims
from claims.models import Claim, Drug
from claims.ranked_pages import tiered_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the score-by-score read is PostgreSQL's"),
]

CLAIM_ID = re.compile(r"CLM-[A-Z]?\d+")
# Words whose matches score differently: in statements and quotes ("exosomes"), mostly in quotes
# only ("engineered", in synthetic quotes), a drug's alias ("herceptin", in the names only), a
# miRNA written as the name resolver reads it but no text holds it ("mir155": the claims linked
# to miR-155 score 0), a mechanism's name, a phrase.
WORDS = ["exosomes", "engineered", "herceptin", "mir155", "autophagy", '"drug resistance"', "resistance"]


@pytest.fixture
def synthetic():
    call_command("generate_synthetic", claims=300, seed=1, stdout=io.StringIO(), stderr=io.StringIO())


def searched(params):
    filterset = filtered_claims(QueryDict(params))
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


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
            rows = tiered_rows(page)
            assert rows is not None, "a one-word search's page is read by score"
            assert rows == by_order_by(claims, start, start + size), (word, start, size)


def test_scores_of_every_kind_are_read(synthetic):
    """The words above reach every score between them: 3 (statement), 2 (quote only), 1 (names
    or exosome source only) and 0 (linked to the entity the word names, without the word)."""
    seen = set()
    for word in WORDS:
        seen |= set(scores(searched(f"q={word}")))
    assert seen == {0, 1, 2, 3}


def test_a_filter_beside_the_search_applies_to_every_score(synthetic):
    drug = Drug.objects.annotate(n=Count("claims")).order_by("-n", "slug").first()
    for word in ("exosomes", "herceptin"):
        claims = searched(
            f"q={word}&drug={drug.slug}&direction=promotes_resistance&direction=reverses_resistance"
        )
        total = claims.count()
        for start in (0, max(0, total - 3)):
            assert tiered_rows(claims[start : start + 7]) == by_order_by(claims, start, start + 7)


def test_searches_of_more_than_one_word_keep_the_order_by(synthetic):
    for query in ["exosomes tamoxifen", "exosomes OR tamoxifen"]:
        claims = searched(f"q={query}")
        assert tiered_rows(claims[:5]) is None


def test_a_score_is_read_only_when_the_better_ones_left_the_page_short(synthetic):
    claims = searched("q=exosomes")
    assert list(scores(claims).values())[0] >= 5, "the page of 5 is filled by the best score"
    with CaptureQueriesContext(connection) as captured:
        tiered_rows(claims[:5])
    (statement,) = [query["sql"] for query in captured]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    worse = len(claims.query.annotations["rank"].tiers) - 1
    assert worse >= 2 and plan.count("One-Time Filter") == worse, plan
    # Under each one-time filter, the read of a worse score: never run.
    assert plan.count("Limit (never executed)") == worse, plan


def test_the_api_and_the_browser_show_the_ranked_pages(client, synthetic):
    claims = Claim.objects.search("engineered").ranked("engineered")  # ranked by its ORDER BY
    expected = list(claims.values_list("public_id", flat=True))
    assert len(expected) > 12
    api = client.get("/api/claims/", {"q": "engineered", "page_size": 5, "page": 2})
    assert [claim["id"] for claim in api.json()["results"]] == expected[5:10]
    html = client.get("/claims/", {"q": "engineered", "background": "show"}).content.decode()
    shown = list(dict.fromkeys(re.findall(r'data-public-id="(CLM-[A-Z]?\d+)"', html)))
    assert shown == expected[: len(shown)] and shown
