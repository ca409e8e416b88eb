"""PostgreSQL keeps one generic plan per prepared statement from its first prepared run
(settings: DATABASE_PREPARE_THRESHOLD, plan_cache_mode).

By default PostgreSQL plans a prepared statement with its parameters five times before it tries
the generic plan; the claim page's statement takes 1-4 ms to plan, so each new connection's first
requests took 3-7 ms for a claim that takes 1.7 (issue 16).
"""

import pytest
from django.db import connection

from claims.models import Claim

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan cache"),
]


def test_connections_plan_prepared_statements_once(client):
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


def test_a_claim_statement_runs_its_generic_plan_from_its_first_prepared_run(client):
    claim = Claim.objects.order_by("public_id").first()
    for _ in range(4):
        assert client.get(f"/api/claims/{claim.public_id}/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%WITH page AS MATERIALIZED%"],
        )
        plans = cursor.fetchall()
    assert plans, "the claim's statement is prepared once run twice on a connection"
    assert all(custom == 0 for _, custom in plans), plans
    assert sum(generic for generic, _ in plans) >= 3, plans
