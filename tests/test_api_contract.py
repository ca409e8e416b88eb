"""What a client may rely on (issue 15, parts 1 and 4): paging by page number meets every row once
whatever the sort, and a parameter the server would not use is refused, not ignored.

Expected results come from the database (never hard-coded ids); every walk goes through HTTP.
"""

import csv
import html
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache

from claims.filters import ORDERING
from claims.models import Citation, Claim

pytestmark = pytest.mark.django_db

SORT_KEYS = [name for _, name in ORDERING]
EVERY_ORDERING = [*SORT_KEYS, *(f"-{name}" for name in SORT_KEYS)]
FIELD_OF = {name: field for field, name in ORDERING}
UNKNOWN = "is not a parameter of this endpoint"


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Anonymous throttling counts in the cache; each test starts with a clean count."""
    cache.clear()


def walk(client, path, query):
    """Every row of a paged list, following ``next`` to the end; the pages' ids in order."""
    ids, response = [], client.get(path, query)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [row.get("id") or row.get("key") for row in body["results"]]
        if not body["next"]:
            return ids, body["count"]
        response = client.get(body["next"])


def sort_values(ordering):
    """{public id: value of the sort key} for one ``ordering`` name."""
    return dict(Claim.objects.values_list("public_id", FIELD_OF[ordering.lstrip("-")]))


# 1. Stable paging


@pytest.mark.parametrize("ordering", EVERY_ORDERING)
def test_walking_the_claim_pages_meets_every_claim_exactly_once_whatever_the_ordering(client, ordering):
    """Regression: ?ordering=direction&page_size=50 walked to the end gave 256 rows but only 189
    distinct claims on PostgreSQL (ties in the sort key came back in a different order per page)."""
    ids, count = walk(client, "/api/claims/", {"ordering": ordering, "page_size": 50})
    assert count == Claim.objects.count() == len(ids)
    assert sorted(ids) == sorted(Claim.objects.values_list("public_id", flat=True))


@pytest.mark.parametrize("ordering", EVERY_ORDERING)
def test_claims_that_tie_on_the_sort_key_come_in_id_order(client, ordering):
    results = client.get("/api/claims/", {"ordering": ordering, "page_size": 500}).json()["results"]
    values = sort_values(ordering)
    # Python's sort is stable, reversed too: by id first, then by the value, keeps ids ascending in ties.
    expected = sorted(sorted(values), key=values.get, reverse=ordering.startswith("-"))
    assert [row["id"] for row in results] == expected


def test_walking_the_citation_pages_meets_every_citation_exactly_once(client):
    keys, count = walk(client, "/api/citations/", {"page_size": 50})
    assert count == Citation.objects.count() == len(keys)
    assert sorted(keys) == sorted(Citation.objects.values_list("key", flat=True))


@pytest.mark.parametrize("ordering", ["direction", "status", "section", "-updated"])
def test_walking_the_claim_browser_pages_meets_every_claim_exactly_once(client, ordering):
    seen, response = [], client.get("/claims/", {"ordering": ordering, "background": "show"})
    while True:
        assert response.status_code == 200
        body = response.content.decode()
        seen += re.findall(r'data-public-id="([^"]+)"', body)
        following = re.search(r'href="([^"]+)" rel="next"', body)
        if following is None:
            break
        response = client.get("/claims/" + html.unescape(following.group(1)))
    assert sorted(seen) == sorted(Claim.objects.values_list("public_id", flat=True))


def test_the_csv_download_orders_ties_by_claim_id(client):
    response = client.get("/api/claims/", {"ordering": "direction", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    id_column = next(name for name in rows[0] if name in ("id", "public_id"))
    values = sort_values("direction")
    keyed = [(values[row[id_column]], row[id_column]) for row in rows]
    assert keyed == sorted(keyed) and len(keyed) == Claim.objects.count()


@pytest.mark.parametrize("model_path", ["claims/claim", "claims/citation", "claims/drug"])
def test_every_admin_changelist_sort_ends_in_a_unique_key(admin_client, model_path):
    """Django adds -pk when a changelist's ordering is not unique; checked for every column."""
    changelist = admin_client.get(f"/admin/{model_path}/").context["cl"]
    fields = changelist.model._meta

    def is_unique(item):
        name = item.lstrip("-") if isinstance(item, str) else ""
        if name == "pk":
            return True
        try:
            return fields.get_field(name).unique
        except Exception:  # an annotation or a method: never unique by itself
            return False

    for column in range(1, len(changelist.list_display) + 1):
        for sign in ("", "-"):
            response = admin_client.get(f"/admin/{model_path}/", {"o": f"{sign}{column}"})
            assert response.status_code == 200
            cl = response.context["cl"]
            ordering = cl.get_ordering(response.wsgi_request, cl.queryset)
            assert any(is_unique(item) for item in ordering), (column, ordering)


def test_ordering_takes_a_comma_separated_list_and_the_same_list_repeated(client):
    """Regression: ordering=status&ordering=-updated sorted by -updated alone (the last value won)."""
    comma = client.get("/api/claims/", {"ordering": "status,-updated", "page_size": 500}).json()["results"]
    repeated = client.get("/api/claims/", {"ordering": ["status", "-updated"], "page_size": 500}).json()
    expected = list(
        Claim.objects.order_by("status", "-updated", "public_id").values_list("public_id", flat=True)
    )
    assert [row["id"] for row in comma] == [row["id"] for row in repeated["results"]] == expected


def test_the_schema_documents_ordering_as_one_comma_separated_parameter(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    parameters = schema["paths"]["/api/claims/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")
    assert ordering["explode"] is False and ordering["style"] == "form"
    assert "comma-separated" in ordering["description"]


# 2. Unknown and malformed parameters


@pytest.mark.parametrize(
    "name, value, hint",
    [("drugs", "cisplatin", "drug"), ("search", "exosome", None), ("year", "2019", None)],
)
def test_an_unknown_parameter_is_a_400_naming_it_and_listing_the_accepted_ones(client, name, value, hint):
    """Regression: ?drugs=, ?search= and ?year= on /api/claims/ returned all claims."""
    response = client.get("/api/claims/", {name: value})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [name]
    message = errors[name][0]
    assert UNKNOWN in message
    for accepted in ("drug", "q", "ordering", "page", "page_size", "cursor", "format"):
        assert re.search(rf"\b{accepted}\b", message.split("It takes:")[1]), accepted
    if hint:
        assert f"Did you mean '{hint}'?" in message


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/citations/", "drug"),
        ("/api/drugs/", "q"),
        ("/api/facets/", "page"),
        ("/api/claims/", "format_"),
    ],
)
def test_other_lists_refuse_unknown_parameters_too(client, path, name):
    response = client.get(path, {name: "1"})
    assert response.status_code == 400 and UNKNOWN in response.json()["errors"][name][0]


@pytest.mark.parametrize("path", ["/api/claims/", "/api/citations/", "/api/drugs/"])
@pytest.mark.parametrize(
    "name, value",
    [
        ("page_size", "0"),
        ("page_size", "abc"),
        ("page_size", "-5"),
        ("page_size", "²"),
        ("page", "abc"),
        ("page", "0"),
        ("page", "1.5"),
        ("page", "9" * 5000),
    ],
)
def test_a_malformed_page_or_page_size_is_a_400_naming_it(client, path, name, value):
    """Regression: page_size=0|abc silently became 50, and page=abc answered 404."""
    response = client.get(path, {name: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


def test_the_cursor_page_size_is_checked_the_same_way(client):
    response = client.get("/api/claims/", {"cursor": "", "page_size": "²"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["page_size"]


@pytest.mark.parametrize(
    "query",
    [
        {"format": "csv"},
        {"format": "json"},
        {"cursor": ""},
        {"page": "last"},
        {"page": "", "page_size": ""},
        {"ordering": "-id", "page_size": "500"},
        {"q": "exosome"},
    ],
)
def test_format_cursor_and_paging_keep_working(client, query):
    assert client.get("/api/claims/", query).status_code == 200


def _documented_query_parameters(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get and "{" not in path:
            yield from [(path, p) for p in get.get("parameters", []) if p["in"] == "query"]


def test_every_documented_query_parameter_is_accepted(client):
    documented = list(_documented_query_parameters(client))
    assert {p["name"] for path, p in documented if path == "/api/claims/"} >= {"drug", "ordering", "cursor"}
    for path, parameter in documented:
        schema = parameter["schema"]
        item = schema.get("items", schema)
        value = item.get("enum", [None])[0] or {"integer": "1", "boolean": "true"}.get(item.get("type"), "1")
        response = client.get(path, {parameter["name"]: value})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert UNKNOWN.encode() not in body, (path, parameter["name"])
        assert response.status_code in (200, 400), (path, parameter["name"], response.status_code)


def test_next_links_carry_only_accepted_parameters(client):
    body = client.get("/api/claims/", {"direction": "promotes_resistance", "page_size": 5}).json()
    names = {name for name, _ in parse_qsl(urlsplit(body["next"]).query)}
    assert names == {"direction", "page", "page_size"}
    assert client.get(body["next"]).status_code == 200


# The HTML claim browser ignores what it does not know, but not a malformed known parameter.


def test_the_claim_browser_ignores_an_unknown_parameter_and_its_api_links_drop_it(client):
    response = client.get("/claims/", {"utm_source": "newsletter", "direction": "promotes_resistance"})
    assert response.status_code == 200
    body = response.content.decode()
    api_links = re.findall(r'href="(/api/claims/\?[^"]*)"', body)
    assert api_links and not any("utm_source" in link for link in api_links)
    assert all(client.get(link.replace("&amp;", "&")).status_code == 200 for link in api_links[:2])


@pytest.mark.parametrize(
    "query, name",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"ordering": "shoe_size"}, "ordering"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_the_claim_browser_refuses_a_malformed_known_parameter_with_a_400(client, query, name):
    response = client.get("/claims/", query)
    assert response.status_code == 400
    assert query[name][:8] in response.content.decode()


def test_the_claim_browser_shows_the_last_page_for_a_page_past_the_end(client):
    assert client.get("/claims/", {"page": "999"}).status_code == 200
