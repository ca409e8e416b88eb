"""Uncached facet counts against a floor measured in the same test (issue 16).

The cache hides how long facet counts take, and the first request after any write recounts, so
this times /api/facets/?drug= with nothing cached and compares it with one hand-written
aggregate over the same claims (the drug's claims grouped by direction, straight through the
database cursor), measured alternately in the same test on the same data. A ratio, not an
absolute time, so a slower or busier machine slows both sides alike.
"""

import io
import statistics
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from claims.dataops.synthetic import PREFIX
from claims.models import Claim, Drug

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CLAIMS = 3_000
ROUNDS = 7
# /api/facets/ runs 18 queries (the drug's resolution, a count and an aggregate per facet) plus
# the request's own cost. Measured here on the shared 2-core VM under load (load average 7-8):
# 318x on SQLite (788 ms against 2.5 ms) and 32x on PostgreSQL (698 ms against 22 ms). The
# budgets are about twice that: far from issue 16's goal, they stop it getting worse (a facet
# scanning every claim, counts per value) and are to be cut as uncached facets get fast.
BUDGETS = {"sqlite": 700, "postgresql": 80}


def floor_direction_counts(drug_id):
    """The floor: one aggregate over the drug's claims, no ORM, no HTTP."""
    claims, links = Claim._meta.db_table, Claim.drugs.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT direction, COUNT(*) FROM {claims} WHERE id IN"
            f" (SELECT claim_id FROM {links} WHERE drug_id = %s) GROUP BY direction",
            [drug_id],
        )
        return dict(cursor.fetchall())


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def test_uncached_facets_for_a_drug_stay_within_a_budget_of_one_aggregate(client):
    call_command("generate_synthetic", claims=CLAIMS, seed=1, stdout=io.StringIO(), stderr=io.StringIO())
    drug = (
        Drug.objects.filter(slug__startswith=PREFIX)
        .annotate(n=Count("claims"))
        .order_by("-n", "slug")
        .first()
    )
    assert drug.n > 500, "the drug must stand for a large share of the claims"

    def facets():
        response = client.get(f"/api/facets/?drug={drug.slug}")
        assert response.status_code == 200, response.content[:300]
        return response.json()

    app_times, floor_times = [], []
    facets(), floor_direction_counts(drug.pk)  # warm-up: the first run pays for opening pages
    for _ in range(ROUNDS):
        cache.clear()  # nothing cached (inside the test's transaction nothing would be anyway)
        seconds, body = timed(facets)
        app_times.append(seconds)
        seconds, floor = timed(lambda: floor_direction_counts(drug.pk))
        floor_times.append(seconds)

    # Both sides counted the same claims, so the comparison is of like with like.
    assert body["count"] == drug.n
    assert {value["value"]: value["count"] for value in body["facets"]["direction"]} == floor
    app, floor_time = statistics.median(app_times), statistics.median(floor_times)
    ratio = app / floor_time
    print(f"facets {app * 1000:.1f} ms, floor {floor_time * 1000:.2f} ms, ratio {ratio:.1f}")
    budget = BUDGETS[connection.vendor]
    assert ratio <= budget, (
        f"uncached facets took {ratio:.0f}x one aggregate over the same claims (budget {budget}x)"
    )
