"""/api/facets/?facet_size=: how many values an entity facet lists, and the response saying when a
list is cut (issue 15, item 2). The entity facets list 30 values by default; the review's claims
cite well over 30 sources and name a few dozen cargos."""

import pytest
from django.db.models import Count

from claims.models import Cargo, Citation, Claim

pytestmark = pytest.mark.django_db


def busiest(model, value, label):
    """Every ``model`` row with claims, busiest first as its facet orders them: (value, claims)."""
    rows = model.objects.annotate(n=Count("claims")).filter(n__gt=0).order_by("-n", label)
    return [(getattr(row, value), row.n) for row in rows]


def listed(body, name):
    return [(value["value"], value["count"]) for value in body["facets"][name]]


def test_a_large_facet_size_lists_every_value_and_says_nothing_is_cut(client):
    cargos, citations = busiest(Cargo, "slug", "name"), busiest(Citation, "key", "label")
    assert 30 < len(citations) <= 200, "more cited sources than the default lists"
    response = client.get("/api/facets/", {"facet_size": 200})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["facet_size"] == 200
    assert listed(body, "cargo") == cargos
    assert listed(body, "citation") == citations
    assert body["truncation"]["cargo"] == {"truncated": False, "other_count": 0}
    assert body["truncation"]["citation"] == {"truncated": False, "other_count": 0}


def test_the_default_lists_thirty_values_and_counts_the_values_left_out(client):
    citations = busiest(Citation, "key", "label")
    body = client.get("/api/facets/").json()
    assert body["facet_size"] == 30
    assert listed(body, "citation") == citations[:30]
    assert body["truncation"]["citation"] == {"truncated": True, "other_count": len(citations) - 30}
    # A facet that lists every value says so, and every facet has its entry.
    assert body["truncation"]["direction"] == {"truncated": False, "other_count": 0}
    assert set(body["truncation"]) == set(body["facets"])


def test_a_facet_size_below_a_facets_values_cuts_it_there(client):
    cargos = busiest(Cargo, "slug", "name")
    body = client.get("/api/facets/", {"facet_size": len(cargos) - 7}).json()
    assert listed(body, "cargo") == cargos[:-7]
    assert body["truncation"]["cargo"] == {"truncated": True, "other_count": 7}


def test_a_small_facet_size_cuts_every_entity_facet_to_it(client):
    body = client.get("/api/facets/", {"facet_size": 1, "direction": "promotes_resistance"}).json()
    promoting = Claim.objects.filter(direction="promotes_resistance")
    drugs = promoting.values("drugs").exclude(drugs=None).distinct().count()
    assert len(body["facets"]["drug"]) == 1
    assert body["truncation"]["drug"] == {"truncated": drugs > 1, "other_count": drugs - 1}
    assert body["facets"]["drug"][0]["count"] == max(
        promoting.filter(drugs=d).count() for d in promoting.values_list("drugs", flat=True) if d
    )


@pytest.mark.parametrize("size", ["0", "abc", "500", "-3", "1.5"])
def test_a_bad_facet_size_is_a_400_naming_it(client, size):
    response = client.get("/api/facets/", {"facet_size": size})
    assert response.status_code == 400
    assert "facet_size" in response.json()["errors"]
    assert "1 to 200" in response.json()["errors"]["facet_size"][0]


def test_the_schema_documents_facet_size_and_the_truncation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/facets/"]["get"]
    assert "facet_size" in {parameter["name"] for parameter in operation["parameters"]}
    components = schema["components"]["schemas"]
    assert set(components["Facets"]["properties"]) == {"count", "facet_size", "facets", "truncation"}
    assert set(components["FacetTruncation"]["properties"]) == {"truncated", "other_count"}
