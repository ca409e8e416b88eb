"""Download formats: CSV and BibTeX of whole filtered sets (streamed), JSON-LD nanopublications."""

import csv
import io

import bibtexparser
import pytest
import rdflib
from django.conf import settings
from django.core.cache import cache

from claims.exports import CSV_COLUMNS
from claims.models import Citation, Claim
from tests.factories import make_claim

pytestmark = pytest.mark.django_db

NP = rdflib.Namespace("http://www.nanopub.org/nschema#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
RDFS = rdflib.Namespace("http://www.w3.org/2000/01/rdf-schema#")
# The canonical base (settings.EXOCLAIMS_BASE_URL), not the test client's host: see test_stable_identifiers.
BASE = settings.EXOCLAIMS_BASE_URL
EXO = rdflib.Namespace(f"{BASE}/terms#")


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def content(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(content(response).decode("utf-8"))))


def bibtex_keys(response):
    library = bibtexparser.parse_string(content(response).decode("utf-8"))
    assert library.failed_blocks == []
    return [entry.key for entry in library.entries]


def test_csv_is_the_whole_filtered_set_streamed_one_row_a_claim(client):
    response = client.get("/api/claims/", {"drug": "doxorubicin", "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="exoclaims-claims.csv"'
    rows = csv_rows(response)
    expected = Claim.objects.filter(drugs__slug="doxorubicin").order_by("public_id")
    assert [row["id"] for row in rows] == list(expected.values_list("public_id", flat=True))
    assert list(rows[0]) == CSV_COLUMNS
    claim = expected.first()
    row = rows[0]
    assert row["statement"] == claim.statement and row["quote"] == claim.quote
    assert row["citations"] == "; ".join(c.key for c in claim.citations.all())
    assert row["drugs"] == "; ".join(d.slug for d in claim.drugs.all())
    assert row["url"] == "http://testserver" + claim.get_absolute_url()


def test_csv_is_not_limited_to_a_page(client):
    total = Claim.objects.count()
    assert total > 50
    assert len(csv_rows(client.get("/api/claims/", {"format": "csv"}))) == total


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(client, curator):
    claim = make_claim(
        curator, statement='=HYPERLINK("http://example.org") is not a statement', notes="@SUM(A1)"
    )
    row = next(
        r for r in csv_rows(client.get("/api/claims/", {"format": "csv"})) if r["id"] == claim.public_id
    )
    assert row["statement"].startswith("'=HYPERLINK") and row["notes"] == "'@SUM(A1)"


def test_csv_downloads_read_their_relations_per_chunk_not_per_claim(client, django_assert_num_queries):
    # the data version (for the ETag), the claims, then their citations, drugs, cargo and cell
    # lines in one query per chunk of 500
    with django_assert_num_queries(3):
        rows = csv_rows(client.get("/api/claims/", {"format": "csv"}))
    assert len(rows) == Claim.objects.count() <= 500


def test_csv_of_one_claim(client):
    claim = Claim.objects.filter(cell_line_links__isnull=False).first()
    response = client.get(f"/api/claims/{claim.public_id}/", {"format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="{claim.public_id}.csv"'
    (row,) = csv_rows(response)
    assert row["id"] == claim.public_id
    assert row["cell_lines"] == "; ".join(
        f"{link.cell_line.slug} ({link.role})" for link in claim.cell_line_links.all()
    )


def test_the_browser_downloads_with_its_session(reader_client):
    """The claim browser links to /api/claims/?<filters>&format=csv|json|bibtex."""
    query = "drug=ADM&direction=promotes_resistance"
    expected = set(
        Claim.objects.filter(drugs__slug="doxorubicin", direction="promotes_resistance").values_list(
            "public_id", flat=True
        )
    )
    as_csv = reader_client.get(f"/api/claims/?{query}&format=csv")
    assert {row["id"] for row in csv_rows(as_csv)} == expected
    as_json = reader_client.get(f"/api/claims/?{query}&format=json")
    assert (
        as_json["Content-Type"] == "application/json"
        and {c["id"] for c in as_json.json()["results"]} == expected
    )
    as_bibtex = reader_client.get(f"/api/claims/?{query}&format=bibtex")
    cited = Citation.objects.filter(claims__public_id__in=expected).distinct()
    assert sorted(bibtex_keys(as_bibtex)) == sorted([*cited.values_list("key", flat=True), REVIEW_KEY])


def test_accept_text_csv_also_gets_csv(client):
    response = client.get("/api/claims/", {"section": "3.1"}, headers={"Accept": "text/csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(csv_rows(response)) == Claim.objects.filter(section__number="3.1").count()


def test_a_download_with_a_bad_filter_says_why_in_json(client):
    response = client.get("/api/claims/", {"format": "csv", "drug": "unobtainium"})
    # An RFC 9457 problem (claims.api.errors), whatever format the request asked for.
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"drug": ["No drug is named 'unobtainium'."]}


REVIEW_KEY = "review-liu2023"


def test_an_unknown_format_is_a_406(client):
    response = client.get("/api/citations/", {"format": "xml"})
    assert response.status_code == 406 and "json, bibtex" in response.json()["detail"]


def test_bibtex_of_all_citations_is_not_limited_to_a_page(client):
    response = client.get("/api/citations/", {"format": "bibtex"})
    assert response.streaming and response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    keys = bibtex_keys(response)
    assert len(keys) == Citation.objects.count() > 50
    assert set(keys) == set(Citation.objects.values_list("key", flat=True))


def test_bibtex_of_filtered_citations(client):
    assert set(bibtex_keys(client.get("/api/citations/", {"format": "bibtex", "year": "2019"}))) == set(
        Citation.objects.filter(year=2019).values_list("key", flat=True)
    )


def test_bibtex_of_claims_is_the_works_they_cite(client):
    keys = bibtex_keys(client.get("/api/claims/", {"format": "bibtex", "therapy_class": "endocrine"}))
    cited = Citation.objects.filter(claims__therapy_class="endocrine").distinct()
    # The review's own entry comes first: every claim quotes it.
    assert keys[0] == REVIEW_KEY
    assert len(keys) == len(set(keys)) and set(keys[1:]) == set(cited.values_list("key", flat=True))


def test_bibtex_of_one_claim_and_of_one_citation(client):
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    response = client.get(f"/api/claims/{claim.public_id}/", {"format": "bibtex"})
    assert response["Content-Disposition"] == f'attachment; filename="{claim.public_id}.bib"'
    assert sorted(bibtex_keys(response)) == sorted(claim.citations.values_list("key", flat=True))
    citation = claim.citations.first()
    assert bibtex_keys(client.get(f"/api/citations/{citation.key}/", {"format": "bibtex"})) == [citation.key]


def _nanopub(client, claim):
    response = client.get(f"/api/claims/{claim.public_id}/", {"format": "jsonld"})
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format="json-ld")
    return dataset


def test_a_claim_as_a_nanopublication(client):
    claim = Claim.objects.filter(drugs__isnull=False, citations__isnull=False).first()
    dataset = _nanopub(client, claim)
    claim_iri = rdflib.URIRef(BASE + claim.get_absolute_url())
    record = rdflib.URIRef(f"{claim_iri}#nanopub")
    head = dataset.graph(rdflib.URIRef(f"{record}-head"))
    assertion_iri = head.value(record, NP.hasAssertion)
    provenance_iri = head.value(record, NP.hasProvenance)
    pubinfo_iri = head.value(record, NP.hasPublicationInfo)
    assert (record, rdflib.RDF.type, NP.Nanopublication) in head

    assertion = dataset.graph(assertion_iri)
    assert assertion.value(claim_iri, EXO.statement) == rdflib.Literal(claim.statement)
    assert assertion.value(claim_iri, EXO.direction) == rdflib.Literal(claim.direction)
    drugs = {assertion.value(d, RDFS.label) for d in assertion.objects(claim_iri, EXO.drug)}
    assert drugs == {rdflib.Literal(d.name) for d in claim.drugs.all()}

    provenance = dataset.graph(provenance_iri)
    quote = provenance.value(assertion_iri, PROV.wasDerivedFrom)
    assert provenance.value(quote, OA.hasSource) == rdflib.URIRef(f"https://doi.org/{claim.source.doi}")
    selectors = {provenance.value(s, rdflib.RDF.type): s for s in provenance.objects(quote, OA.hasSelector)}
    text_quote = selectors[OA.TextQuoteSelector]
    assert provenance.value(text_quote, OA.exact) == rdflib.Literal(claim.quote)
    assert provenance.value(text_quote, OA.prefix) == rdflib.Literal(claim.quote_prefix)
    assert provenance.value(selectors[OA.TextPositionSelector], OA.start).toPython() == claim.quote_start
    evidence = set(
        provenance.objects(assertion_iri, rdflib.URIRef("http://purl.org/spar/cito/citesAsEvidence"))
    )
    assert len(evidence) == claim.citations.count()
    assert provenance.value(assertion_iri, PROV.wasAttributedTo) is not None

    pubinfo = dataset.graph(pubinfo_iri)
    assert pubinfo.value(record, DCT.created).toPython() == claim.created


def test_the_nanopublication_names_the_curators(client, curator, editor):
    from claims.services.workflow import claim_transition

    claim = make_claim(curator, statement="More efflux, more chemoresistance.")
    claim_transition(claim=claim, user=curator, to_status="in_review")
    claim_transition(claim=claim, user=editor, to_status="approved")
    dataset = _nanopub(client, claim)
    labels = {str(o) for _s, _p, o, _g in dataset.quads((None, RDFS.label, None, None))}
    assert {"curator", "editor"} <= labels


def test_csv_of_a_search(client):
    expected = set(Claim.objects.search("exosomes resistance").values_list("public_id", flat=True))
    assert expected
    rows = csv_rows(client.get("/api/claims/", {"q": "exosomes resistance", "format": "csv"}))
    assert [row["id"] for row in rows] == list(
        Claim.objects.search("exosomes resistance")
        .ranked("exosomes resistance")
        .values_list("public_id", flat=True)
    )
    assert {row["id"] for row in rows} == expected
