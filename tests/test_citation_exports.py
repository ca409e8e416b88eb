"""Exports of the cited works, read back by real parsers: CSV, JSON-LD (rdflib), BibTeX
(bibtexparser), CSL-JSON (rendered by citeproc-py) and RIS (rispy)."""

import csv
import io
import json
from datetime import date

import bibtexparser
import pytest
import rispy
from citeproc import Citation as CiteprocCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from rdflib import Dataset, Namespace, URIRef

from claims import vocabulary as v
from claims.exports import LIST_SEPARATOR
from claims.models import Citation, CitationCheck, Claim, Source

pytestmark = pytest.mark.django_db
CITO = Namespace("http://purl.org/spar/cito/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")


def body(response):
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def cited(db):
    """A claim citing two works: one resolved (every field), one known only by its label."""
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    full = Citation.objects.create(
        key="tang2014",
        label="Tang et al., 2014",
        first_author="Tang",
        year=2014,
        author_names=[
            {"family": "Tang", "given": "Shasha"},
            {"family": "Zheng", "given": "Kun"},
            {"family": "Chen", "given": "Wei"},
            {"family": "Liu", "given": "Xin"},
        ],
        title="Exosomal transfer of a test protein",
        journal="Journal of Test Oncology",
        journal_abbrev="J Test Oncol",
        volume="9",
        issue="4",
        pages="100-110",
        doi="10.5555/exo.tang.2014",
        pmid="24999999",
        pmcid="PMC4099999",
        entry_type=v.EntryType.ARTICLE,
        resolution=v.CitationResolution.RESOLVED,
        checked=date(2025, 3, 4),
    )
    bare = Citation.objects.create(
        key="zzlabel2015", label="Zzlabel et al., 2015", first_author="Zzlabel", year=2015
    )
    claim.citations.set([full, bare])
    CitationCheck.objects.create(
        claim=claim,
        citation=full,
        support=v.CitationSupport.SUPPORTED,
        record="PMID:24999999",
        level=v.CheckLevel.ABSTRACT,
    )
    return claim, full, bare


def test_the_claim_csv_aligns_one_value_per_citation(client, cited):
    claim, full, bare = cited
    rows = list(csv.DictReader(io.StringIO(body(client.get("/api/claims/", {"format": "csv"})))))
    row = next(r for r in rows if r["id"] == claim.public_id)
    keys = row["citations"].split(LIST_SEPARATOR)
    columns = {
        name: row[name].split(LIST_SEPARATOR)
        for name in (
            "citation_dois",
            "citation_pmids",
            "citation_pmcids",
            "citation_resolutions",
            "citation_supports",
        )
    }
    assert all(len(values) == len(keys) for values in columns.values()), columns
    at = {key: i for i, key in enumerate(keys)}
    assert columns["citation_dois"][at[full.key]] == full.doi and columns["citation_dois"][at[bare.key]] == ""
    assert (
        columns["citation_pmids"][at[full.key]] == "24999999"
        and columns["citation_pmids"][at[bare.key]] == ""
    )
    assert columns["citation_pmcids"][at[full.key]] == "PMC4099999"
    assert columns["citation_resolutions"][at[full.key]] == "resolved"
    assert (
        columns["citation_supports"][at[full.key]] == "supported"
        and columns["citation_supports"][at[bare.key]] == ""
    )


def test_json_ld_cites_papers_by_doi_and_pubmed_iris(client, cited):
    claim, full, bare = cited
    data = body(client.get(f"/api/claims/{claim.public_id}/", {"format": "jsonld"}))
    graph = Dataset()
    graph.parse(data=data, format="json-ld")
    # The statements sit in the nanopublication's named graphs.
    cites = {o for _, _, o, _ in graph.quads((None, CITO.citesAsEvidence, None, None))}
    assert URIRef("https://doi.org/10.5555/exo.tang.2014") in cites
    paper = URIRef("https://doi.org/10.5555/exo.tang.2014")
    same = {o for _, _, o, _ in graph.quads((paper, OWL.sameAs, None, None))}
    assert URIRef("https://identifiers.org/pubmed:24999999") in same
    assert URIRef("https://identifiers.org/pmc:PMC4099999") in same
    assert any(str(iri).endswith(f"/api/citations/{bare.key}/") for iri in cites), (
        "unresolved works by address"
    )


def test_bibtex_entries_are_complete_and_the_review_is_an_entry(client, cited):
    claim, full, _ = cited
    text = body(client.get("/api/claims/", {"format": "bibtex", "citation": full.key}))
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {entry.key: entry for entry in library.entries}
    entry = entries[full.key]
    expected = {
        "author": "Tang, Shasha and Zheng, Kun and Chen, Wei and Liu, Xin",
        "journal": "Journal of Test Oncology",
        "volume": "9",
        "number": "4",
        "pages": "100-110",
        "doi": "10.5555/exo.tang.2014",
        "pmid": "24999999",
        "pmcid": "PMC4099999",
        "year": "2014",
    }
    assert {name: entry[name] for name in expected} == expected
    assert "Exosomal transfer of a test protein" in entry["title"]
    review = Source.objects.order_by("pk").first()
    reviews = [e for e in library.entries if e.fields_dict.get("doi") and e["doi"] == review.doi]
    assert len(reviews) == 1 and reviews[0].key.startswith("review-")
    assert reviews[0]["year"] == str(review.year) and reviews[0]["journal"] == review.journal
    assert reviews[0]["author"].startswith(review.authors.split(",")[0].split()[0] + ",")


def _render_harvard(items):
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(CiteprocCitation([CitationItem(item["id"])]))
    return [str(line) for line in bibliography.bibliography()]


def test_csl_json_of_citations_renders_with_citeproc(client, cited):
    _, full, bare = cited
    response = client.get("/api/citations/", {"format": "csl-json", "year": ["2014", "2015"]})
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    items = json.loads(body(response))
    assert sorted(i["id"] for i in items) == sorted(
        Citation.objects.filter(year__in=[2014, 2015]).values_list("key", flat=True)
    )
    tang = next(i for i in items if i["id"] == full.key)
    assert (
        tang["DOI"] == full.doi
        and tang["PMID"] == "24999999"
        and tang["container-title-short"] == "J Test Oncol"
    )
    rendered = _render_harvard([tang, next(i for i in items if i["id"] == bare.key)])
    line = next(r for r in rendered if "Tang" in r)
    assert line.startswith("Tang, S.") and "2014" in line and "Exosomal transfer of a test protein" in line
    assert "Journal of Test Oncology" in line and "9(4)" in line
    assert any("Zzlabel" in r and "2015" in r for r in rendered)


def test_csl_json_and_ris_of_a_filtered_set_of_claims_are_the_works_they_cite(client, cited):
    claim, full, bare = cited
    items = json.loads(body(client.get("/api/claims/", {"format": "csl-json", "citation": full.key})))
    expected = set(Citation.objects.filter(claims__citations=full).values_list("key", flat=True))
    assert {i["id"] for i in items} == expected
    records = rispy.loads(body(client.get("/api/claims/", {"format": "ris", "citation": full.key})))
    assert {r["id"] for r in records} == expected


def test_ris_reads_back_with_rispy(client, cited):
    _, full, bare = cited
    response = client.get(f"/api/citations/{full.key}/", {"format": "ris"})
    assert response["Content-Disposition"] == f'attachment; filename="{full.key}.ris"'
    (record,) = rispy.loads(body(response))
    assert record["type_of_reference"] == "JOUR"
    assert record["authors"] == ["Tang, Shasha", "Zheng, Kun", "Chen, Wei", "Liu, Xin"]
    assert record["title"] == full.title and record["secondary_title"] == "Journal of Test Oncology"
    assert record["alternate_title1"] == "J Test Oncol" and record["year"] == "2014"
    assert (record["volume"], record["number"], record["start_page"], record["end_page"]) == (
        "9",
        "4",
        "100",
        "110",
    )
    assert record["doi"] == full.doi and record["accession_number"] == "24999999"
    (label_only,) = rispy.loads(body(client.get(f"/api/citations/{bare.key}/", {"format": "ris"})))
    assert label_only["authors"] == ["Zzlabel"] and label_only["year"] == "2015"


def test_a_title_with_a_line_break_stays_one_ris_field(client, cited):
    _, full, _ = cited
    Citation.objects.filter(pk=full.pk).update(title="First line\nER  - injected")
    (record,) = rispy.loads(body(client.get(f"/api/citations/{full.key}/", {"format": "ris"})))
    assert record["title"] == "First line ER  - injected" and record["doi"] == full.doi


def test_the_pages_link_to_every_download(client, cited):
    _, full, _ = cited
    claims_page = body(client.get("/claims/", {"citation": full.key}))
    for fmt in ("csv", "bibtex", "csl-json", "ris"):
        # The download lists what the page lists: background statements left out, as by default.
        assert f"/api/claims/?citation={full.key}&amp;background=hide&amp;format={fmt}" in claims_page, fmt
    citations_page = body(client.get("/citations/", {"year": "2014"}))
    for fmt in ("bibtex", "csl-json", "ris"):
        assert f"/api/citations/?year=2014&amp;format={fmt}" in citations_page, fmt
