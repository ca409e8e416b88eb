"""Stable identifiers (issue #15, item 7): canonical IRIs on EXOCLAIMS_BASE_URL, the exo: vocabulary
served at its IRI, every nanopublication triple in its named graph, external identifiers as
resolvable IRIs, and a claim's address answering HTML, JSON or JSON-LD by Accept."""

import os
import subprocess
import sys

import pytest
import rdflib
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from rdflib.compare import isomorphic

from claims.models import CitationCheck, Claim

pytestmark = pytest.mark.django_db

NP = rdflib.Namespace("http://www.nanopub.org/nschema#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
CANONICAL = "https://exoclaims.example.org"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def _dataset(data):
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format="json-ld")
    return dataset


def _jsonld(client, claim, host="testserver"):
    response = client.get(f"/api/claims/{claim.public_id}/", {"format": "jsonld"}, HTTP_HOST=host)
    assert response.status_code == 200, response.content
    return _dataset(response.content)


def _iris(dataset):
    return {
        term
        for quad in dataset.quads((None, None, None, None))
        for term in quad
        if isinstance(term, rdflib.URIRef)
    }


def _graphs(dataset):
    """{graph IRI: the graph's triples}, blank nodes and all (compared by isomorphism)."""
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def _claim_using_everything():
    return (
        Claim.objects.filter(
            cell_line_links__cell_line__cellosaurus__gt="",
            drugs__chebi__gt="",
            citation_checks__record__gt="",
        )
        .order_by("public_id")
        .first()
    )


@pytest.fixture
def claim():
    return _claim_using_everything()


def test_the_same_claim_fetched_through_two_host_names_has_the_same_iris(client, claim):
    """Regression: IRIs and the exo: namespace came from the request's host (http://testserver/terms#),
    so records fetched through two names never merged."""
    through_one = _jsonld(client, claim, host="testserver")
    through_other = _jsonld(client, claim, host="localhost")
    one, other = _graphs(through_one), _graphs(through_other)
    assert set(one) == set(other) and len(one) == 4
    assert all(isomorphic(one[name], other[name]) for name in one)
    for iri in _iris(through_one):
        assert "testserver" not in iri and "localhost" not in iri


def test_the_same_claim_fetched_through_api_v1_has_the_same_iris(client, claim):
    """Regression: a record fetched through /api/v1/ named its drugs, cargo and citations under
    /api/v1/ and one fetched through /api/ under /api/, so the two never merged."""
    response = client.get(f"/api/v1/claims/{claim.public_id}/", {"format": "jsonld"})
    assert response.status_code == 200, response.content
    through_v1, through_alias = _dataset(response.content), _jsonld(client, claim)
    assert _iris(through_v1) == _iris(through_alias)
    one, other = _graphs(through_v1), _graphs(through_alias)
    assert set(one) == set(other) and len(one) == 4
    assert all(isomorphic(one[name], other[name]) for name in one)
    base = settings.EXOCLAIMS_BASE_URL
    assert rdflib.URIRef(f"{base}/api/claims/{claim.public_id}/") in _iris(through_v1)
    assert not [iri for iri in _iris(through_v1) if iri.startswith(f"{base}/api/v1/")]


def test_iris_are_built_on_the_configured_base_url(client, claim, settings):
    settings.EXOCLAIMS_BASE_URL = CANONICAL
    dataset = _jsonld(client, claim)
    claim_iri = rdflib.URIRef(f"{CANONICAL}/claims/{claim.public_id}/")
    exo = rdflib.Namespace(f"{CANONICAL}/terms#")
    assert (claim_iri, rdflib.RDF.type, exo.Claim) in dataset.graph(
        rdflib.URIRef(f"{claim_iri}#nanopub-assertion")
    )
    own = {iri for iri in _iris(dataset) if str(iri).startswith(("http://testserver", CANONICAL))}
    assert own and all(iri.startswith(CANONICAL + "/") for iri in own)
    assert rdflib.URIRef(f"{CANONICAL}/api/claims/{claim.public_id}/") in own


def test_every_triple_is_in_one_of_the_nanopublications_four_graphs(client, claim):
    dataset = _jsonld(client, claim)
    record = f"{settings.EXOCLAIMS_BASE_URL}/claims/{claim.public_id}/#nanopub"
    head, assertion, provenance, pubinfo = (
        rdflib.URIRef(f"{record}-{part}") for part in ("head", "assertion", "provenance", "pubinfo")
    )
    assert len(dataset.default_graph) == 0
    assert set(_graphs(dataset)) == {head, assertion, provenance, pubinfo}
    head_graph = dataset.graph(head)
    assert (rdflib.URIRef(record), rdflib.RDF.type, NP.Nanopublication) in head_graph
    assert (assertion, rdflib.RDF.type, NP.Assertion) in head_graph
    assert (provenance, rdflib.RDF.type, NP.Provenance) in head_graph
    assert (pubinfo, rdflib.RDF.type, NP.PublicationInfo) in head_graph


def test_external_identifiers_are_resolvable_iris_not_html_pages(client, claim):
    dataset = _jsonld(client, claim)
    matches = {o for _s, _p, o, _g in dataset.quads((None, SKOS.exactMatch, None, None))}
    drug = claim.drugs.exclude(chebi="").first()
    line = claim.cell_line_links.exclude(cell_line__cellosaurus="").first().cell_line
    assert rdflib.URIRef("http://purl.obolibrary.org/obo/" + drug.chebi.replace(":", "_")) in matches
    assert rdflib.URIRef(f"https://identifiers.org/cellosaurus:{line.cellosaurus}") in matches
    pages = ("ebi.ac.uk/chebi/searchId", "cellosaurus.org/", "genenames.org", "mirbase.org/", "evsexplore")
    assert not [iri for iri in _iris(dataset) if any(page in iri for page in pages)]


def _exact_matches(client, claim):
    return {o for _s, _p, o, _g in _jsonld(client, claim).quads((None, SKOS.exactMatch, None, None))}


def test_mature_mirnas_genes_and_targets_get_their_identifiers_org_namespaces(client):
    mirna = Claim.objects.filter(cargo__mirbase__startswith="MIMAT").order_by("public_id").first()
    accession = mirna.cargo.filter(mirbase__startswith="MIMAT").first().mirbase
    assert rdflib.URIRef(f"https://identifiers.org/mirbase.mature:{accession}") in _exact_matches(
        client, mirna
    )
    gene = Claim.objects.filter(cargo__hgnc__gt="").order_by("public_id").first()
    hgnc = gene.cargo.exclude(hgnc="").first().hgnc
    expected = rdflib.URIRef(f"https://identifiers.org/hgnc:{hgnc.removeprefix('HGNC:')}")
    assert expected in _exact_matches(client, gene)
    acted_on = Claim.objects.filter(targets__hgnc__gt="").order_by("public_id").first()
    target = acted_on.targets.exclude(hgnc="").first()
    assert rdflib.URIRef(
        f"https://identifiers.org/hgnc:{target.hgnc.removeprefix('HGNC:')}"
    ) in _exact_matches(client, acted_on)


def _exo_terms_used(client):
    """Every exo: IRI in the records of claims that between them use every part of the record."""
    exo = f"{settings.EXOCLAIMS_BASE_URL}/terms#"
    checked = CitationCheck.objects.exclude(record="").values_list("claim_id", flat=True)
    claims = {
        Claim.objects.filter(query).order_by("public_id").first()
        for query in [
            Q(cell_line_links__isnull=False),
            Q(mechanism__isnull=False),
            ~Q(exosome_source=""),
            Q(cargo__isnull=False),
            Q(targets__isnull=False),
            Q(pk__in=checked),
        ]
    }
    used = set()
    for claim in claims:
        used |= {iri for iri in _iris(_jsonld(client, claim)) if iri.startswith(exo)}
    return used


def test_the_vocabulary_is_served_at_its_iri_and_defines_every_term_the_records_use(client):
    used = _exo_terms_used(client)
    exo = rdflib.Namespace(f"{settings.EXOCLAIMS_BASE_URL}/terms#")
    assert {
        exo.Claim,
        exo.statement,
        exo.cellLine,
        exo.role,
        exo.mechanism,
        exo.recordChecked,
        exo.version,
        exo.target,
    } <= used

    response = client.get("/terms", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response["Content-Type"] == "text/turtle; charset=utf-8"
    assert "Accept" in response["Vary"]
    vocabulary = rdflib.Graph().parse(data=response.content, format="turtle")
    kinds = {rdflib.RDF.Property, rdflib.RDFS.Class}
    for term in used:
        assert set(vocabulary.objects(term, rdflib.RDF.type)) & kinds, f"{term} is not defined"
        assert vocabulary.value(term, rdflib.RDFS.label) is not None
        assert vocabulary.value(term, rdflib.RDFS.isDefinedBy) == rdflib.URIRef(
            f"{settings.EXOCLAIMS_BASE_URL}/terms"
        )

    as_jsonld = client.get("/terms", headers={"Accept": "application/ld+json"})
    assert as_jsonld["Content-Type"] == "application/ld+json"
    assert isomorphic(rdflib.Graph().parse(data=as_jsonld.content, format="json-ld"), vocabulary)


def test_the_vocabulary_page_anchors_each_term_for_people(client):
    response = client.get("/terms", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]
    body = response.content.decode()
    assert 'id="statement"' in body and 'id="Claim"' in body and "promotes_resistance" in body
    assert client.get("/terms", {"format": "ttl"})["Content-Type"].startswith("text/turtle")
    refused = client.get("/terms", {"format": "rdfxml"})
    assert refused.status_code == 400 and b"format='rdfxml'" in refused.content and b"ttl" in refused.content


def test_a_claims_address_is_a_page_for_browsers(client, claim):
    for headers in ({}, {"Accept": BROWSER_ACCEPT}, {"Accept": "*/*"}):
        response = client.get(f"/claims/{claim.public_id}/", headers=headers)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert "Accept" in response["Vary"]


def test_a_claims_address_gives_the_apis_json_to_tools(client, claim):
    response = client.get(f"/claims/{claim.public_id}/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    assert response.json() == client.get(f"/api/claims/{claim.public_id}/").json()
    assert response["ETag"].startswith(f"{claim.etag[:-1]}-")


def test_a_claims_address_gives_its_nanopublication_as_json_ld(client, claim):
    response = client.get(f"/claims/{claim.public_id}/", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    assert "Accept" in response["Vary"]
    same = _jsonld(client, claim)
    got = _dataset(response.content)
    assert all(isomorphic(g, _graphs(same)[name]) for name, g in _graphs(got).items())


def test_a_missing_claim_asked_for_as_json_is_a_json_404(client):
    response = client.get("/claims/CLM-9999/", headers={"Accept": "application/json"})
    assert response.status_code == 404 and "CLM-9999" in response.json()["detail"]


def test_an_unknown_format_on_a_claims_address_is_refused_by_name(client, claim):
    response = client.get(f"/claims/{claim.public_id}/", {"format": "xml"})
    assert (
        response.status_code == 400 and b"format='xml'" in response.content and b"jsonld" in response.content
    )


@pytest.mark.parametrize(
    "value", ["ftp://exoclaims.example.org", "exoclaims.example.org", "https://x.org/?a=1"]
)
def test_a_base_url_that_is_not_an_http_address_stops_the_site_from_starting(value):
    env = {**os.environ, "EXOCLAIMS_BASE_URL": value, "DJANGO_SETTINGS_MODULE": "exoclaims.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "EXOCLAIMS_BASE_URL must be an http(s) address" in result.stderr
