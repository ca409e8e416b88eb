"""The claim browser's rows, cited works and facet options, written in Python
(claims.templatetags.html_rows): what a reader sees in them, and that any text from the database
reaches the page escaped, as the template engine escaped it before (issue 16 moved them out of
templates for speed)."""

import re

import pytest

from claims import vocabulary as v
from claims.models import Cargo, CellLine, Citation, CitationCheck, Drug, Mechanism
from tests.factories import make_claim

pytestmark = pytest.mark.django_db
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;"


@pytest.fixture
def hostile_claim():
    drug = Drug.objects.create(name=f"Drug {HOSTILE}", slug="hostile-drug")
    cargo = Cargo.objects.create(name=f"miR {HOSTILE}", slug="hostile-cargo", cargo_type="mirna")
    line = CellLine.objects.create(name=f"MCF-7 {HOSTILE}", slug="hostile-line")
    citation = Citation.objects.create(
        key="hostile2020",
        label=f"Hostile {HOSTILE} 2020",
        title=f"A title {HOSTILE}",
        author_names=[{"family": f"Smith{HOSTILE}", "given": "Anne"}],
        year=2020,
        journal=f"J {HOSTILE}",
        doi="10.1000/hostile",
    )
    claim = make_claim(
        statement=f"Exosomes carry {HOSTILE} into cells.",
        drugs=[drug],
        cargo=[cargo],
        cell_lines=[(line, v.CellLineRole.RECIPIENT)],
        citations=[citation],
        mechanism=Mechanism.objects.order_by("pk").first(),
        cargo_intervention=v.CargoIntervention.RAISED,
    )
    CitationCheck.objects.create(
        claim=claim,
        citation=citation,
        support=v.CitationSupport.SUPPORTED,
        level=v.CheckLevel.ABSTRACT,
        record=f"https://example.org/{HOSTILE}",
    )
    return claim


def _row(html, public_id):
    match = re.search(rf'<li class="claim-row" data-public-id="{public_id}">.*?</li>\n', html, re.S)
    assert match, f"no row for {public_id}"
    return match.group(0)


def test_a_row_shows_the_claims_facts_with_every_database_text_escaped(client, hostile_claim):
    html = client.get("/claims/", {"drug": "hostile-drug", "background": "show"}).content.decode()
    row = _row(html, hostile_claim.public_id)
    assert "<script>" not in html
    assert f"Exosomes carry {ESCAPED} into cells." in row
    for shown in (f"Drug {ESCAPED}", f"miR {ESCAPED}", f"MCF-7 {ESCAPED}", f"Hostile {ESCAPED} 2020"):
        assert shown in row
    assert "(cargo raised)" in row and "(exosome recipient)" in row
    assert f"<cite>J {ESCAPED}</cite>" in row
    assert 'href="https://doi.org/10.1000/hostile" class="ext">DOI</a>' in row
    assert "Search PubMed" in row  # a DOI and no PMID: a search, labelled as one
    assert '<span class="support support-supported" title="Abstract: https://example.org/' in row
    assert f"<dt>Section</dt><dd>{hostile_claim.section.label}</dd>" in row


def test_search_marks_the_query_in_the_row_and_still_escapes_the_rest(client, hostile_claim):
    html = client.get("/claims/", {"q": "exosomes carry", "background": "show"}).content.decode()
    row = _row(html, hostile_claim.public_id)
    assert "<mark>Exosomes</mark> <mark>carry</mark> " + ESCAPED in row


def test_facet_options_escape_their_labels_and_mark_the_selected_one(client, hostile_claim):
    html = client.get("/claims/", {"drug": "hostile-drug", "background": "show"}).content.decode()
    option = re.search(r'<li><a class="facet-option is-selected"[^>]*>.*?</li>', html, re.S).group(0)
    assert f'<span class="facet-label">Drug {ESCAPED}</span>' in option
    assert 'aria-current="true"' in option and "(selected; follow to remove)" in option
    assert '<span class="count">1</span>' in option


def test_the_claim_page_shows_the_full_reference_escaped(client, hostile_claim):
    html = client.get(hostile_claim.get_absolute_url()).content.decode()
    assert f"Smith{ESCAPED} A A title {ESCAPED} (2020) <cite>J {ESCAPED}</cite>" in html
