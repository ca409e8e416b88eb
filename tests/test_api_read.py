"""The read side of the REST API, checked against the transcription as loaded in the database.

Expected results are built with the ORM from the fixture data (never hard-coded claim ids).
"""

import pytest
from django.core.cache import cache
from django.db.models import Count, Q

from claims import vocabulary as v
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Mechanism, Section, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Anonymous throttling counts in the cache; each test starts with a clean count."""
    cache.clear()


def ids(queryset):
    return set(queryset.values_list("public_id", flat=True))


def listed_ids(client, query):
    response = client.get("/api/claims/", {**query, "page_size": 500})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None, "the fixture set fits one page of 500"
    found = [claim["id"] for claim in body["results"]]
    assert body["count"] == len(found) == len(set(found))
    return set(found)


def add_claims(count):
    """Extra claims (copies of a real one, anchored at the same quote) for size-independence tests."""
    model = Claim.objects.filter(drugs__isnull=False, cargo__isnull=False).first()
    created = Claim.objects.bulk_create(
        [
            Claim(
                public_id=f"CLM-9{i:04d}",
                source=model.source,
                section=model.section,
                statement=f"Copy {i}.",
                quote=model.quote,
                quote_start=model.quote_start,
                quote_end=model.quote_end,
                therapy_class=model.therapy_class,
                direction=model.direction,
                mechanism=model.mechanism,
            )
            for i in range(count)
        ]
    )
    for claim in created:
        claim.drugs.set(model.drugs.all())
        claim.cargo.set(model.cargo.all())
        claim.citations.set(model.citations.all())
    return created


def test_the_root_lists_every_endpoint(client):
    body = client.get("/api/").json()
    assert set(body) == {
        "claims",
        "facets",
        "citations",
        "drugs",
        "cargo",
        "targets",
        "cell_lines",
        "mechanisms",
        "sections",
        "schema",
        "docs",
    }
    for url in body.values():
        assert client.get(url).status_code == 200, url


def test_a_claim_has_every_field_of_the_contract(client):
    claim = Claim.objects.filter(drugs__isnull=False, cargo__isnull=False, citations__isnull=False).first()
    response = client.get(f"/api/claims/{claim.public_id}/")
    assert response.status_code == 200
    assert response["ETag"].startswith(f"{claim.etag[:-1]}-")
    data = response.json()
    assert data["id"] == claim.public_id
    assert data["url"] == f"http://testserver/api/claims/{claim.public_id}/"
    assert data["html_url"] == f"http://testserver{claim.get_absolute_url()}"
    for name in (
        "statement",
        "quote",
        "therapy_class",
        "direction",
        "model",
        "exosome_source",
        "status",
        "citation_support",
        "notes",
        "quote_start",
        "quote_end",
        "quote_prefix",
        "quote_suffix",
        "version",
    ):
        assert data[name] == getattr(claim, name), name
    assert claim.source.text[data["quote_start"] : data["quote_end"]] == data["quote"]
    assert data["section"] == claim.section.number
    assert data["citations"] == [
        {
            "key": c.key,
            "label": c.label,
            "doi": c.doi,
            "pmid": c.pmid,
            "pmcid": c.pmcid,
            "title": c.title,
            "authors": [{"family": n["family"], "given": n.get("given", "")} for n in c.author_names],
            "journal": c.journal,
            "journal_abbrev": c.journal_abbrev,
            "year": c.year,
            "resolution": c.resolution,
            "url": f"http://testserver/api/citations/{c.key}/",
        }
        for c in claim.citations.all()
    ]
    assert data["citation_checks"] == [
        {
            "citation": check.citation.key,
            "support": check.support,
            "record": check.record,
            "level": check.level,
            "note": check.note,
        }
        for check in claim.citation_checks.order_by(
            "citation__first_author", "citation__year", "citation__year_suffix"
        )
    ]
    assert data["drugs"] == [
        {"slug": d.slug, "name": d.name, "url": f"http://testserver/api/drugs/{d.slug}/"}
        for d in claim.drugs.all()
    ]
    assert data["cargo"] == [
        {
            "slug": c.slug,
            "name": c.name,
            "type": c.cargo_type,
            "url": f"http://testserver/api/cargo/{c.slug}/",
        }
        for c in claim.cargo.all()
    ]
    assert data["cell_lines"] == [
        {
            "slug": link.cell_line.slug,
            "name": link.cell_line.name,
            "role": link.role,
            "url": f"http://testserver/api/cell-lines/{link.cell_line.slug}/",
        }
        for link in claim.cell_line_links.all()
    ]
    assert data["mechanism"] == (
        {
            "slug": claim.mechanism.slug,
            "name": claim.mechanism.name,
            "url": f"http://testserver/api/mechanisms/{claim.mechanism.slug}/",
        }
        if claim.mechanism
        else None
    )
    assert data["created"] and data["updated"]
    assert data["flags_url"] == f"http://testserver/api/claims/{claim.public_id}/flags/"


def test_an_unknown_claim_is_a_404_naming_it(client):
    response = client.get("/api/claims/CLM-NOPE/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No claim has the id 'CLM-NOPE'."


def test_if_none_match_with_the_current_etag_gives_304(client):
    claim = Claim.objects.first()
    etag = client.get(f"/api/claims/{claim.public_id}/")["ETag"]
    response = client.get(f"/api/claims/{claim.public_id}/", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag
    stale = etag.replace(f"-v{claim.version}-", f"-v{claim.version + 7}-")
    assert client.get(f"/api/claims/{claim.public_id}/", headers={"If-None-Match": stale}).status_code == 200


def _first(model, **having):
    return model.objects.annotate(n=Count("claims")).filter(n__gt=0, **having).order_by("-n", "slug").first()


def _mechanism_with_children():
    return Mechanism.objects.filter(children__claims__isnull=False).distinct().order_by("slug").first()


# Each case: (query string built from the data, the claims it must return).
FILTER_CASES = {
    "drug by slug": lambda: ({"drug": "doxorubicin"}, Claim.objects.filter(drugs__slug="doxorubicin")),
    "drug by alias, any case": lambda: ({"drug": "adm"}, Claim.objects.filter(drugs__slug="doxorubicin")),
    "drug by name, upper case": lambda: (
        {"drug": "TAMOXIFEN"},
        Claim.objects.filter(drugs__slug="tamoxifen"),
    ),
    "repeated drug is OR": lambda: (
        {"drug": ["doxorubicin", "TAM"]},
        Claim.objects.filter(drugs__slug__in=["doxorubicin", "tamoxifen"]),
    ),
    "cargo by alias": lambda: (
        {
            "cargo": (c := Cargo.objects.exclude(aliases=[]).filter(claims__isnull=False).first())
            .aliases[0]
            .upper()
        },
        Claim.objects.filter(cargo=c),
    ),
    "cargo type": lambda: ({"cargo_type": "mirna"}, Claim.objects.filter(cargo__cargo_type="mirna")),
    "cell line": lambda: ({"cell_line": (c := _first(CellLine)).name}, Claim.objects.filter(cell_lines=c)),
    "mechanism includes its children": lambda: (
        {"mechanism": (m := _mechanism_with_children()).slug},
        Claim.objects.filter(Q(mechanism=m) | Q(mechanism__parent=m)),
    ),
    "therapy class": lambda: (
        {"therapy_class": "endocrine"},
        Claim.objects.filter(therapy_class="endocrine"),
    ),
    "direction, repeated": lambda: (
        {"direction": ["promotes_resistance", "reverses_resistance"]},
        Claim.objects.filter(direction__in=["promotes_resistance", "reverses_resistance"]),
    ),
    "model": lambda: ({"model": "in_vitro"}, Claim.objects.filter(model="in_vitro")),
    "status": lambda: ({"status": "in_review"}, Claim.objects.filter(status="in_review")),
    "section": lambda: ({"section": "3.1"}, Claim.objects.filter(section__number="3.1")),
    "citation key": lambda: (
        {"citation": (c := Citation.objects.filter(claims__isnull=False).order_by("key").first()).key},
        Claim.objects.filter(citations=c),
    ),
    "filters combine with AND": lambda: (
        {"drug": "doxorubicin", "direction": "promotes_resistance"},
        Claim.objects.filter(drugs__slug="doxorubicin", direction="promotes_resistance"),
    ),
    "full text": lambda: ({"q": "tamoxifen resistance"}, Claim.objects.search("tamoxifen resistance")),
}


@pytest.mark.parametrize("case", FILTER_CASES, ids=list(FILTER_CASES))
def test_each_filter_returns_exactly_the_matching_claims(client, case):
    query, expected = FILTER_CASES[case]()
    expected = ids(expected.distinct())
    assert expected, "the case must select something in the fixtures"
    assert listed_ids(client, query) == expected


def test_the_html_browser_and_the_api_share_the_filter(client):
    """drug=ADM means doxorubicin on both surfaces: one FilterSet."""
    from django.http import QueryDict

    from claims.filters import filtered_claims

    expected = ids(filtered_claims(QueryDict("drug=ADM&model=not_stated")).qs)
    assert listed_ids(client, {"drug": "ADM", "model": "not_stated"}) == expected


@pytest.mark.parametrize("order", ["id", "-id", "section", "-updated"])
def test_ordering(client, order):
    results = client.get("/api/claims/", {"ordering": order, "page_size": 500}).json()["results"]
    field = {"id": "public_id", "section": "section__order", "updated": "updated"}[order.lstrip("-")]
    expected = list(
        Claim.objects.order_by(f"{'-' if order.startswith('-') else ''}{field}", "public_id").values_list(
            "public_id", flat=True
        )
    )
    if field == "public_id":
        assert [r["id"] for r in results] == expected
    else:  # ties may come in any order: compare the sort keys
        keys = dict(Claim.objects.values_list("public_id", field))
        assert [keys[r["id"]] for r in results] == [keys[i] for i in expected]


@pytest.mark.parametrize(
    "query, field, fragment",
    [
        ({"drug": "no-such-drug"}, "drug", "no-such-drug"),
        ({"drug": ["doxorubicin", "nonexistium"]}, "drug", "nonexistium"),
        ({"direction": "sideways"}, "direction", "sideways"),
        ({"section": "9.9"}, "section", "9.9"),
        ({"citation": "nobody1900"}, "citation", "nobody1900"),
        ({"ordering": "statement"}, "ordering", "statement"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter_and_value(client, query, field, fragment):
    response = client.get("/api/claims/", query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert fragment in response.json()["errors"][field][0]


def test_page_size_defaults_to_50_and_asks_above_500_are_capped(client):
    add_claims(max(0, 600 - Claim.objects.count()))
    assert len(client.get("/api/claims/").json()["results"]) == 50
    body = client.get("/api/claims/", {"page_size": 1000}).json()
    assert body["count"] == Claim.objects.count() and len(body["results"]) == 500
    assert (
        client.get(body["next"]).json()["results"][-1]["id"]
        == Claim.objects.order_by("public_id").last().public_id
    )


def test_a_page_past_the_end_is_a_404(client):
    assert client.get("/api/claims/", {"page": 999}).status_code == 404


def test_an_unavailable_format_is_a_406_listing_the_available_ones(client):
    response = client.get("/api/claims/", {"format": "jsonld"})
    assert response.status_code == 406
    assert (
        response.json()["detail"]
        == "format 'jsonld' is not available here; choose one of: json, csv, bibtex, csl-json, ris."
    )


# Query budgets: the same number of queries for 5 or 50 results, and with 60 more claims.


@pytest.mark.parametrize("with_extra_claims", [False, True])
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_claim_list_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, page_size, with_extra_claims
):
    if with_extra_claims:
        add_claims(60)
    # the data version (the ETag), count, the page's claim ids, then one statement writing the
    # page's claims with their section, mechanism, citations, checks, drugs, cargo, targets and
    # cell lines as JSON (claims.api.page_json)
    with django_assert_num_queries(4):
        response = client.get("/api/claims/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("with_extra_claims", [False, True])
def test_a_filtered_claim_list_adds_one_query_per_entity_parameter(
    client, django_assert_num_queries, with_extra_claims
):
    if with_extra_claims:
        add_claims(60)
    # resolving drug= and cargo_type= (drug names: one query; choices: none), then the four above
    with django_assert_num_queries(5):
        assert client.get("/api/claims/", {"drug": "doxorubicin", "cargo_type": "mirna"}).status_code == 200


@pytest.mark.parametrize("with_extra_claims", [False, True])
def test_a_claim_costs_a_fixed_number_of_queries(client, django_assert_num_queries, with_extra_claims):
    if with_extra_claims:
        add_claims(60)
    claim = Claim.objects.filter(cell_line_links__isnull=False).first()
    # the claim written as JSON with its section, mechanism and relations (claims.api.page_json),
    # then the data version (the ETag), read apart in the test's transaction (outside one it is
    # read in the same statement: tests/test_data_version_once.py)
    with django_assert_num_queries(2):
        assert client.get(f"/api/claims/{claim.public_id}/").status_code == 200


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/api/drugs/", 2),
        ("/api/cargo/", 2),
        ("/api/cell-lines/", 2),
        ("/api/mechanisms/", 3),
        ("/api/sections/", 2),
        ("/api/citations/", 3),  # and the data version (the ETag)
    ],
)
@pytest.mark.parametrize("page_size", [5, 50])
def test_other_lists_run_a_fixed_number_of_queries(
    client, django_assert_num_queries, path, queries, page_size
):
    add_claims(30)
    # count and page (claim counts aggregated in it); mechanisms also prefetch their children
    with django_assert_num_queries(queries):
        assert client.get(path, {"page_size": page_size}).status_code == 200


@pytest.mark.parametrize("with_extra_claims", [False, True])
def test_facets_run_a_fixed_number_of_queries(client, django_assert_num_queries, with_extra_claims):
    if with_extra_claims:
        add_claims(60)
    # resolving drug=, one statement counting every facet (claims.facets), and the total count
    with django_assert_num_queries(3):
        assert client.get("/api/facets/", {"drug": "doxorubicin"}).status_code == 200


# Entities, sections, citations.

ENTITIES = [
    ("drugs", Drug, "drugs"),
    ("cargo", Cargo, "cargo"),
    ("cell-lines", CellLine, "cell_lines"),
    ("mechanisms", Mechanism, "mechanism"),
]


@pytest.mark.parametrize("path, model, relation", ENTITIES, ids=[e[0] for e in ENTITIES])
def test_entity_lists_carry_exact_claim_counts(client, path, model, relation):
    body = client.get(f"/api/{path}/", {"page_size": 500}).json()
    assert body["count"] == model.objects.count()
    listed = {row["slug"]: row["claim_count"] for row in body["results"]}
    expected = {e.slug: Claim.objects.filter(**{relation: e}).distinct().count() for e in model.objects.all()}
    assert listed == expected
    assert [row["name"] for row in body["results"]] == sorted(row["name"] for row in body["results"])


def test_a_drug_in_detail(client):
    drug = Drug.objects.get(slug="doxorubicin")
    data = client.get("/api/drugs/doxorubicin/").json()
    assert data["name"] == drug.name and data["aliases"] == drug.aliases
    assert data["claim_count"] == Claim.objects.filter(drugs=drug).count()
    assert data["claims_url"] == "http://testserver/api/claims/?drug=doxorubicin"
    assert data["html_url"] == "http://testserver" + drug.get_absolute_url()
    assert {c["id"] for c in client.get(data["claims_url"] + "&page_size=500").json()["results"]} == ids(
        Claim.objects.filter(drugs=drug)
    )


def test_a_mechanism_lists_its_parent_and_children(client):
    mechanism = _mechanism_with_children()
    data = client.get(f"/api/mechanisms/{mechanism.slug}/").json()
    assert data["children"] == list(mechanism.children.order_by("name").values_list("slug", flat=True))
    assert data["parent"] == (mechanism.parent.slug if mechanism.parent else None)


def test_an_unknown_entity_is_a_404_naming_it(client):
    response = client.get("/api/cell-lines/hela-x/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No cell line has the slug 'hela-x'."


def test_sections_in_order_with_claim_counts(client):
    body = client.get("/api/sections/", {"page_size": 500}).json()
    sections = Section.objects.order_by("source_id", "order")
    assert [s["number"] for s in body["results"]] == [s.number for s in sections]
    counts = {s["number"]: s["claim_count"] for s in body["results"]}
    assert counts == {s.number: Claim.objects.filter(section=s).count() for s in sections}
    detail = client.get("/api/sections/3.1/").json()
    assert detail["title"] == Section.objects.get(number="3.1").title
    assert detail["claims_url"] == "http://testserver/api/claims/?section=3.1"


def test_sections_do_not_read_the_reviews_text(client, django_assert_num_queries):
    """Regression (issue 16): the section list read the source's full text (the whole review) and
    grouped by it for every claim of every section: 70 ms at 10,000 claims. Only its DOI is shown."""
    with django_assert_num_queries(2) as captured:
        assert client.get("/api/sections/").status_code == 200
    assert not any(
        '"text"' in query["sql"] or '"spans"' in query["sql"] for query in captured.captured_queries
    )
    assert client.get("/api/sections/").json()["results"][0]["source"] == Source.objects.the_review().doi


@pytest.fixture
def enriched_citations(db):
    """Two citations with DOIs and titles (the transcription's are all label-only stubs)."""
    return [
        Citation.objects.create(
            key="testa2001",
            label="Testa et al., 2001",
            first_author="Testa",
            year=2001,
            title="Exosomal transfer in a test",
            doi="10.5555/exo.0001",
            journal="J Test",
        ),
        Citation.objects.create(
            key="testb2002",
            label="Testb and Other, 2002",
            first_author="Testb",
            year=2002,
            title="Vesicles and the sieve",
            doi="10.5555/exo.0002",
            journal="J Sieve",
        ),
    ]


def _every_word_somewhere(words):
    fields = ["key", "label", "authors", "title", "journal", "doi"]
    keys = [
        c.key
        for c in Citation.objects.all()
        if all(any(w in getattr(c, f).casefold() for f in fields) for w in words)
    ]
    return Citation.objects.filter(key__in=keys)


def citation_keys(client, query):
    body = client.get("/api/citations/", {**query, "page_size": 500}).json()
    assert body["count"] == len(body["results"])
    return {c["key"] for c in body["results"]}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, lambda: Citation.objects.all()),
        ({"year": "2019"}, lambda: Citation.objects.filter(year=2019)),
        ({"year": ["2019", "2001"]}, lambda: Citation.objects.filter(year__in=[2019, 2001])),
        ({"has_doi": "true"}, lambda: Citation.objects.exclude(doi="")),
        ({"has_doi": "false"}, lambda: Citation.objects.filter(doi="")),
        ({"stub": "true"}, lambda: Citation.objects.filter(title="")),
        ({"stub": "false"}, lambda: Citation.objects.exclude(title="")),
        ({"q": "SIEVE"}, lambda: Citation.objects.filter(key="testb2002")),
        ({"q": "10.5555"}, lambda: Citation.objects.filter(doi__startswith="10.5555")),
        ({"q": "et al 2019"}, lambda: _every_word_somewhere(["et", "al", "2019"])),
    ],
    ids=["all", "year", "years OR", "has doi", "no doi", "stubs", "not stubs", "q title", "q doi", "q label"],
)
def test_citation_filters(client, enriched_citations, query, expected):
    keys = set(expected().values_list("key", flat=True))
    assert keys
    assert citation_keys(client, query) == keys


@pytest.mark.parametrize("query, field", [({"year": "1066"}, "year"), ({"has_doi": "maybe"}, "has_doi")])
def test_bad_citation_filters_are_400s(client, query, field):
    response = client.get("/api/citations/", query)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]


def test_a_citation_lists_the_claims_resting_on_it(client, django_assert_num_queries):
    citation = Citation.objects.annotate(n=Count("claims")).filter(n__gt=1).order_by("key").first()
    # the citation (with its claim count), the data version (the ETag), then its claims
    with django_assert_num_queries(3):
        data = client.get(f"/api/citations/{citation.key}/").json()
    assert data["label"] == citation.label and data["claim_count"] == citation.n
    assert [c["id"] for c in data["claims"]] == sorted(ids(Claim.objects.filter(citations=citation)))
    assert data["claims"][0]["url"] == f"http://testserver/api/claims/{data['claims'][0]['id']}/"
    assert data["is_stub"] is (citation.title == "")


def test_facets_count_the_filtered_set(client):
    response = client.get("/api/facets/", {"direction": "promotes_resistance"})
    assert response.status_code == 200
    body = response.json()
    promoting = Claim.objects.filter(direction="promotes_resistance")
    assert body["count"] == promoting.count()
    assert set(body["facets"]) == {
        "drug",
        "cargo",
        "cargo_intervention",
        "cargo_type",
        "target",
        "cell_line",
        "mechanism",
        "therapy_class",
        "direction",
        "model",
        "status",
        "citation_support",
        "section",
        "citation",
        "cited",
        "review_errors",
    }
    for row in body["facets"]["drug"]:
        assert row["count"] == promoting.filter(drugs__slug=row["value"]).count()
    assert {r["value"]: r["count"] for r in body["facets"]["therapy_class"]} == {
        tc: promoting.filter(therapy_class=tc).count()
        for tc in v.TherapyClass.values
        if promoting.filter(therapy_class=tc).exists()
    }
    assert body["facets"]["direction"] == [
        {
            "value": "promotes_resistance",
            "label": "Promotes resistance",
            "count": promoting.count(),
            "depth": 0,
        }
    ]


def test_facets_refuse_bad_filters(client):
    response = client.get("/api/facets/", {"cargo": "unobtainium"})
    assert response.status_code == 400 and "unobtainium" in response.json()["cargo"][0]


def test_anonymous_clients_are_throttled(client, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    assert [client.get("/api/sections/").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/api/sections/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_signed_in_clients_are_not_throttled(reader_client, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    assert {reader_client.get("/api/sections/").status_code for _ in range(5)} == {200}


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.post("/api/nothing/here/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "There is no API endpoint at /api/nothing/here/; /api/ lists them."


def test_a_url_without_its_trailing_slash_redirects_reads_and_names_the_url_for_writes(client):
    response = client.get("/api/claims", {"drug": "ADM"})
    assert response.status_code == 301 and response["Location"] == "/api/claims/?drug=ADM"
    refused = client.post("/api/claims", {})
    assert refused.status_code == 404 and "did you mean /api/claims/?" in refused.json()["detail"]


@pytest.mark.parametrize("value", ["100%", "%s%(name)s", "50 % off"])
def test_a_bad_filter_value_with_a_percent_sign_is_a_400_not_a_crash(client, value):
    """Regression: django-filter's error translation re-applied '%' formatting to messages quoting
    the value, so drug=100% raised TypeError (a 500) instead of a 400 (found by test_hostile_input)."""
    for path in ("/api/claims/", "/api/facets/"):
        response = client.get(path, {"drug": value})
        assert response.status_code == 400
        assert response.json()["errors"] == {"drug": [f"No drug is named {value!r}."]}


def test_the_direct_claim_representation_equals_drf_field_by_field(rf, curator):
    """ClaimSerializer builds its dict directly for speed; DRF's generic walk of the declared
    fields is the reference, on every claim and on ids and keys that need URL quoting."""
    from claims.api.serializers import ClaimSerializer
    from claims.selectors import claims_with_relations
    from claims.services.claim_writes import claim_update

    odd = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    Claim.objects.filter(pk=odd.pk).update(public_id="CLM-odd id ü")
    Citation.objects.filter(pk=odd.citations.first().pk).update(key="key with space")
    claim_update(claim=Claim.objects.get(pk=odd.pk), user=curator, notes="Edited: enum values in memory.")
    request = rf.get("/api/claims/", HTTP_HOST="testserver")
    serializer = ClaimSerializer(context={"request": request})
    claims = claims_with_relations(Claim.objects.for_display())
    assert len(claims) == Claim.objects.count() > 250
    for claim in claims:
        assert serializer.to_representation(claim) == serializer.field_by_field(claim), claim.public_id
    (odd,) = claims_with_relations(Claim.objects.for_display().filter(pk=odd.pk))
    shown = serializer.to_representation(odd)
    assert shown["url"] == "http://testserver/api/claims/CLM-odd%20id%20%C3%BC/"
    assert shown["citations"][0]["url"].endswith("/api/citations/key%20with%20space/")


def test_every_related_facet_counts_each_claim_once(client):
    """Link-table facets count rows (one per claim for drugs, cargo and citations, whose link rows
    are unique per pair) but count claims for cell lines, which a claim may name in two roles."""
    from claims.models import ClaimCellLine

    link = ClaimCellLine.objects.order_by("pk").first()
    other_role = next(role for role in v.CellLineRole.values if role != link.role)
    ClaimCellLine.objects.create(claim=link.claim, cell_line=link.cell_line, role=other_role)
    facets = client.get("/api/facets/").json()["facets"]
    lookups = {
        "drug": "drugs__slug",
        "cargo": "cargo__slug",
        "cell_line": "cell_line_links__cell_line__slug",
        "citation": "citations__key",
        "cargo_type": "cargo__cargo_type",
    }
    for parameter, lookup in lookups.items():
        assert facets[parameter], parameter
        for row in facets[parameter]:
            expected = Claim.objects.filter(**{lookup: row["value"]}).distinct().count()
            assert row["count"] == expected, (parameter, row)
    assert link.cell_line.slug in {row["value"] for row in facets["cell_line"]}
