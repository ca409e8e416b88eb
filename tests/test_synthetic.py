"""Scale: the synthetic data set (generate_synthetic), cached counts and keyset paging.

Benchmarks themselves are scripts (bench/), never timed tests; these check what they rely on.
"""

import io
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims import vocabulary as v
from claims.dataops.synthetic import MECHANISMS_TOTAL, PREFIX, SYNTHETIC_DOI, WORLD, world_size
from claims.facets import CachedCountPaginator, claim_count, facet_counts
from claims.filters import filtered_claims
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Mechanism, Source
from claims.models.entities import lookup_terms_for
from claims.selectors import claims_with_relations

pytestmark = pytest.mark.django_db

SMALL = 200


def generate(claims=SMALL, seed=3):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic", claims=claims, seed=seed, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def remove():
    call_command("generate_synthetic", remove=True, stdout=io.StringIO(), stderr=io.StringIO())


def synthetic_claims():
    return Claim.objects.filter(source__doi=SYNTHETIC_DOI)


def content(claims):
    """Everything a synthetic claim says, by public id (not primary keys, which differ per run)."""
    rows = claims_with_relations(claims.for_display().select_related("section").order_by("public_id"))
    return [
        (
            c.public_id,
            c.statement,
            c.quote,
            c.quote_start,
            c.section.number,
            c.therapy_class,
            c.direction,
            c.model,
            c.status,
            c.citation_support,
            c.mechanism.slug if c.mechanism else None,
            c.search_document,
            [d.slug for d in c.loaded_drugs],
            [x.slug for x in c.loaded_cargo],
            [k.key for k in c.loaded_citations],
            [(link.cell_line.slug, link.role) for link in c.loaded_cell_line_links],
        )
        for c in rows
    ]


def every_row():
    """Every row of every ExoClaims table (history included), to show what a run left behind."""
    return {
        model._meta.db_table: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("claims").get_models(include_auto_created=True)
    }


def test_it_writes_the_asked_number_of_claims_and_a_realistic_world():
    out, err = generate()
    claims = synthetic_claims()
    assert claims.count() == SMALL
    assert f"claims: {SMALL:,}" in out
    assert f"{SMALL}/{SMALL}" in err, "the progress bar goes to stderr"
    size = world_size(SMALL)
    assert Drug.objects.filter(slug__startswith=PREFIX).count() == size["drugs"]
    assert Cargo.objects.filter(slug__startswith=PREFIX).count() == size["cargo"]
    assert CellLine.objects.filter(slug__startswith=PREFIX).count() == size["cell_lines"]
    assert Citation.objects.filter(key__startswith=PREFIX).count() == SMALL // 3
    assert Mechanism.objects.count() >= MECHANISMS_TOTAL
    sizes = claims.annotate(
        drugs_n=Count("drugs", distinct=True),
        cargo_n=Count("cargo", distinct=True),
        lines_n=Count("cell_line_links", distinct=True),
        citations_n=Count("citations", distinct=True),
    )
    for claim in sizes:
        assert 1 <= claim.drugs_n <= 3 and 1 <= claim.cargo_n <= 4
        assert 1 <= claim.lines_n <= 2 and 1 <= claim.citations_n <= 3


def test_the_world_is_full_size_from_six_thousand_claims_and_in_proportion_below():
    assert (
        world_size(6000) == world_size(100_000) == WORLD == {"drugs": 300, "cargo": 3000, "cell_lines": 500}
    )
    assert world_size(600) == {"drugs": 30, "cargo": 300, "cell_lines": 50}
    assert world_size(1) == {"drugs": 10, "cargo": 10, "cell_lines": 10}


def test_synthetic_claims_keep_every_invariant_of_a_curated_one():
    generate()
    source = Source.objects.get(doi=SYNTHETIC_DOI)
    for index, claim in enumerate(synthetic_claims().select_related("section", "mechanism")):
        assert source.text[claim.quote_start : claim.quote_end] == claim.quote
        assert source.text[max(0, claim.quote_start - 32) : claim.quote_start] == claim.quote_prefix
        assert source.text[claim.quote_end : claim.quote_end + 32] == claim.quote_suffix
        assert any(s <= claim.quote_start and claim.quote_end <= e for s, e in claim.section.spans)
        assert claim.section.source_id == source.pk
        assert claim.statement != claim.quote
        assert claim.search_document == claim.build_search_document()
        if index % 10 == 0:
            claim.full_clean()  # field choices and every model constraint (a sample: it queries)
    for model in (Drug, Cargo, CellLine, Mechanism):
        for index, entity in enumerate(model.objects.filter(slug__startswith=PREFIX)):
            assert entity.lookup_terms == lookup_terms_for(entity.name, entity.slug, entity.aliases)
            if index % 10 == 0:
                entity.full_clean()


def test_search_and_filters_find_synthetic_claims():
    generate()
    drug = Drug.objects.filter(slug__startswith=PREFIX).annotate(n=Count("claims")).order_by("-n").first()
    with_drug = set(synthetic_claims().filter(drugs=drug).values_list("public_id", flat=True))
    found = set(Claim.objects.search(drug.name).values_list("public_id", flat=True))
    assert with_drug and with_drug <= found
    assert set(filtered_claims({"drug": [drug.slug]}).qs.values_list("public_id", flat=True)) == with_drug


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm indexes are PostgreSQL's")
@pytest.mark.parametrize("model", [Drug, Cargo, CellLine, Mechanism])
def test_entity_lookups_can_use_the_trigram_index_on_postgresql(model):
    """The filters' and autocomplete's LIKE '%|term%' on lookup_terms (migration 0003)."""
    generate()
    entity = model.objects.filter(slug__startswith=PREFIX).order_by("slug").first()
    lookup = model.objects.filter(lookup_terms__contains=f"|{entity.slug[:12]}")
    sql, params = lookup.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # As the planner would choose on a large table: no full scan of the table or of an index.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{model._meta.db_table}_lookup_trgm" in plan, plan
    assert entity in lookup


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate(seed=3)
    first = content(synthetic_claims())
    remove()
    generate(seed=3)
    assert content(synthetic_claims()) == first
    remove()
    generate(seed=4)
    assert content(synthetic_claims()) != first


def test_remove_deletes_exactly_the_synthetic_rows():
    before = every_row()
    generate()
    assert Claim.history.count() == len(before["claims_historicalclaim"]), "no history for synthetic rows"
    remove()
    assert every_row() == before


def test_it_refuses_to_generate_twice():
    generate()
    with pytest.raises(
        CommandError, match=rf"already stored \({SMALL} claims\); remove it first with --remove"
    ):
        generate(claims=10)
    assert synthetic_claims().count() == SMALL


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "either --claims N or --remove"),
        ({"claims": 5, "remove": True}, "either --claims N or --remove"),
        ({"claims": 0}, "--claims must be a whole number from 1 to 1,000,000"),
        ({"claims": 5, "seed": -1}, "--seed must be a whole number of 0 or more"),
    ],
)
def test_bad_options_are_refused_with_a_reason(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_synthetic", stdout=io.StringIO(), stderr=io.StringIO(), **options)
    assert not synthetic_claims().exists()


def test_remove_refuses_while_a_curated_claim_uses_a_synthetic_entity():
    generate()
    curated = Claim.objects.exclude(source__doi=SYNTHETIC_DOI).order_by("public_id").first()
    curated.drugs.add(Drug.objects.filter(slug__startswith=PREFIX).first())
    with pytest.raises(CommandError, match=rf"curated claim\(s\) {curated.public_id} use a synthetic drug"):
        remove()
    assert synthetic_claims().count() == SMALL


# Keyset paging, through /api/claims/ itself (the tests read the claims' ids).


def get(url, params):
    # Walking every page is many requests; the anonymous throttle is not under test here.
    cache.clear()
    return Client().get(url, params)


def walk(params, *, backwards_from=None):
    """Every claim id met following next links (or previous links from ``backwards_from``)."""
    url, query, seen = "/api/claims/", {**params, "cursor": ""}, []
    link = "previous" if backwards_from else "next"
    if backwards_from:
        url, query = backwards_from, {}
    while url:
        response = get(url, query)
        assert response.status_code == 200, response.data
        page = [claim["id"] for claim in response.data["results"]]
        seen = page + seen if backwards_from else seen + page
        last, url, query = url, response.data[link], {}
    return seen, last


ORDERINGS = ["", "-updated", "section", "status", "-direction"]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_keyset_pages_meet_every_claim_once_in_order_both_ways(ordering):
    generate(claims=60)
    params = {"page_size": 7, "direction": [v.Direction.PROMOTES, v.Direction.REVERSES]}
    if ordering:
        params["ordering"] = ordering
    filtered = filtered_claims({k: val for k, val in params.items() if k != "page_size"}).qs
    expected = list(
        filtered.order_by(*filtered.query.order_by, "public_id").values_list("public_id", flat=True)
    )
    forwards, last_page = walk(params)
    assert forwards == expected
    assert walk(params, backwards_from=last_page)[0] == expected


def test_keyset_pages_follow_search_rank():
    generate(claims=60)
    term = Drug.objects.filter(slug__startswith=PREFIX).annotate(n=Count("claims")).order_by("-n")[0].name
    expected = list(Claim.objects.search(term).ranked(term).values_list("public_id", flat=True))
    assert walk({"q": term, "page_size": 4})[0] == expected


@pytest.mark.parametrize("claims", [20, SMALL])
def test_a_keyset_page_costs_the_same_queries_whatever_the_size(django_assert_num_queries, claims):
    generate(claims=claims)
    first = get("/api/claims/", {"cursor": "", "page_size": 5, "ordering": "-updated"})
    # the data version (the list's ETag), the page (no count), then the citations, drugs, cargo
    # and cell lines of its claims
    with django_assert_num_queries(3):
        response = get(first.data["next"], {})
    assert len(response.data["results"]) == 5 and "count" not in response.data


def token(order, values):
    data = json.dumps({"o": order, "v": values, "b": 0}).encode()
    return urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": token(["public_id"], ["CLM-0001"]), "ordering": "status"}, "cursor"),
        (
            {"cursor": token(["section__order", "public_id"], ["x", "CLM-0001"]), "ordering": "section"},
            "cursor",
        ),
        (
            {"cursor": token(["section__order", "public_id"], [None, "CLM-0001"]), "ordering": "section"},
            "cursor",
        ),
        ({"cursor": "", "page_size": "0"}, "page_size"),
        ({"cursor": "", "page_size": "many"}, "page_size"),
    ],
    ids=["garbage", "other-ordering", "impossible-value", "null-value", "zero-size", "word-size"],
)
def test_a_bad_cursor_or_page_size_is_a_400_naming_it(query, parameter):
    response = get("/api/claims/", query)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert list(json.loads(response.content)["errors"]) == [parameter]


def test_a_cursor_from_a_response_round_trips_to_the_next_page():
    generate(claims=20)
    first = get("/api/claims/", {"cursor": "", "page_size": 3, "ordering": "section"}).data
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    order = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["o"]
    assert order == ["section__order", "public_id"]
    second = get("/api/claims/", {"cursor": cursor, "page_size": 3, "ordering": "section"}).data
    assert second["previous"] and not {c["id"] for c in first["results"]} & {
        c["id"] for c in second["results"]
    }


def test_without_a_cursor_the_list_keeps_page_numbers_and_a_count():
    response = get("/api/claims/", {"page_size": 5})
    assert response.data["count"] == Claim.objects.count() and len(response.data["results"]) == 5


# Cached counts: only outside transactions (a transaction may see rows it later rolls back), so
# these tests commit for real.


@pytest.fixture
def committed(transactional_db):
    cache.clear()
    yield
    cache.clear()


def queries_of(function, *args, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        result = function(*args, **kwargs)
    return result, len(captured.captured_queries)


def test_facet_counts_are_cached_per_filter_until_a_write(committed):
    call_command("load_review", verbosity=0, stdout=io.StringIO())
    by_name, by_alias = filtered_claims({"drug": ["doxorubicin"]}).qs, filtered_claims({"drug": ["DOX"]}).qs
    assert by_name.exists() and "DOX" in Drug.objects.get(slug="doxorubicin").aliases
    first, queries = queries_of(facet_counts, by_name)
    assert queries == 2, "the data-version stamp, then one statement counting every facet"
    again, queries = queries_of(facet_counts, by_alias)
    assert (again, queries) == (first, 1), "an alias is the same filter: only the stamp is read"

    claim = by_name.exclude(direction=v.Direction.BIOMARKER).first()
    claim.direction = v.Direction.BIOMARKER
    claim.save()
    after, queries = queries_of(facet_counts, filtered_claims({"drug": ["doxorubicin"]}).qs)
    assert queries == 2
    expected = by_name.filter(direction=v.Direction.BIOMARKER).count()
    assert {f.value: f.count for f in after["direction"]}[v.Direction.BIOMARKER] == expected

    drug = Drug.objects.get(slug="doxorubicin")
    drug.name = "doxorubicin hydrochloride"
    drug.save()
    renamed = facet_counts(filtered_claims({"drug": ["doxorubicin"]}).qs)
    assert "doxorubicin hydrochloride" in {f.label for f in renamed["drug"]}


def test_counts_are_recounted_after_bulk_writes_and_never_cached_in_a_transaction(committed):
    everything = Claim.objects.all()
    total, queries = queries_of(claim_count, everything)
    assert (total, queries) == (Claim.objects.count(), 2)
    assert queries_of(claim_count, everything) == (total, 1)
    generate(claims=20)
    assert queries_of(claim_count, everything) == (total + 20, 2)
    remove()
    # Back to the very rows of the first count: the stamp repeats only then (ids never come back).
    assert queries_of(claim_count, everything) == (total, 1)
    with transaction.atomic():
        assert queries_of(facet_counts, everything, only=["drug"])[1] == 1
        assert queries_of(facet_counts, everything, only=["drug"])[1] == 1


def test_the_paginator_takes_its_count_from_the_cache(committed):
    paginator = CachedCountPaginator(Claim.objects.order_by("public_id"), 10)
    assert paginator.count == Claim.objects.count()
    assert queries_of(lambda: CachedCountPaginator(Claim.objects.order_by("public_id"), 10).count)[1] == 1
