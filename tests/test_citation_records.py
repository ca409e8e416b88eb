"""The resolved citations and their checks, as people and programs see them (issue 12, section 3):
the citation pages, the claim pages and rows, the API and the admin."""

import re
from datetime import date

import pytest

from claims import vocabulary as v
from claims.models import Citation, CitationCheck, Claim, Source
from claims.review_text import citation_mentions

pytestmark = pytest.mark.django_db

AUTHORS = [
    {"family": "Tang", "given": "Shasha"},
    {"family": "Zheng", "given": "Kun"},
    {"family": "Chen", "given": "Wei"},
    {"family": "Liu", "given": "Xiao-Ming"},
]


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def resolve(citation, *, doi="10.5555/exo.test.1", pmid="24999999", pmcid="PMC4099999"):
    citation.author_names = AUTHORS
    citation.title = "Exosomal transfer of a test protein confers resistance"
    citation.journal, citation.journal_abbrev = "Journal of Test Oncology", "J Test Oncol"
    citation.volume, citation.issue, citation.pages = "9", "4", "100-110"
    citation.doi, citation.pmid, citation.pmcid = doi, pmid, pmcid
    citation.resolution = v.CitationResolution.RESOLVED
    citation.evidence = [f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"]
    citation.checked = date(2025, 3, 4)
    citation.save()
    return citation


@pytest.fixture
def paper(db):
    """A cited work that the review mentions, resolved, with a curator's check on its first claim."""
    mentioned = {label for _, _, label in citation_mentions(Source.objects.the_review().text)}
    citation = (
        Citation.objects.filter(claims__isnull=False, label__in=mentioned).distinct().order_by("key").first()
    )
    resolve(citation)
    claim = citation.claims.order_by("public_id").first()
    check, _ = CitationCheck.objects.update_or_create(
        claim=claim,
        citation=citation,
        defaults={
            "support": v.CitationSupport.CONTRADICTED,
            "record": "PMID:24999999",
            "level": v.CheckLevel.FULL_TEXT,
            "note": "The paper shows the opposite.",
        },
    )
    return citation, claim, check


# ---------------------------------------------------------------------------------- citation pages


def test_a_resolved_citation_page_shows_its_formatted_record_and_links(client, paper):
    citation, _, _ = paper
    body = html(client.get(citation.get_absolute_url()))
    authors = re.search(r'<dd class="authors">(.*?)</dd>', body).group(1)
    assert authors == "Tang S, Zheng K, Chen W, et al."
    main = body.split('<aside class="detail-side">')[0]
    assert "Tang, Shasha and Zheng, Kun" not in main, "raw BibTeX authors are never shown as the record"
    assert citation.title in body and "<cite>J Test Oncol</cite>" in body
    assert '<dd class="locator">9(4):100-110</dd>' in body
    assert 'href="https://doi.org/10.5555/exo.test.1"' in body
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/24999999/"' in body
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC4099999/"' in body
    assert "Resolved to its paper" in body and 'datetime="2025-03-04"' in body


def test_the_citation_page_gives_each_claim_its_verdict_record_and_level(client, paper):
    citation, claim, _ = paper
    body = html(client.get(citation.get_absolute_url()))
    row = body.split(f'<tr data-public-id="{claim.public_id}">')[1].split("</tr>")[0]
    assert "Contradicted" in row and "PMID:24999999" in row and "Full text" in row
    assert "The paper shows the opposite." in row
    others = citation.claims.exclude(pk=claim.pk).values_list("public_id", flat=True)
    for public_id in others:
        other = body.split(f'<tr data-public-id="{public_id}">')[1].split("</tr>")[0]
        assert "not checked" in other


def test_an_ambiguous_citation_shows_its_candidates_and_note(client):
    citation = Citation.objects.order_by("key").last()
    citation.resolution = v.CitationResolution.AMBIGUOUS
    citation.resolution_note = "Two 2019 papers by this group match the label."
    citation.candidates = [
        {"title": "First candidate paper", "doi": "10.5555/cand.1", "pmid": "31000001"},
        {"title": "Second candidate paper", "evidence": "https://pubmed.ncbi.nlm.nih.gov/31000002/"},
    ]
    citation.save()
    body = html(client.get(citation.get_absolute_url()))
    assert "Ambiguous (more than one candidate)" in body
    assert "Two 2019 papers by this group match the label." in body
    candidates = re.search(r'<ol class="candidates">(.*?)</ol>', body, re.S).group(1)
    assert candidates.count("<li>") == 2
    assert 'href="https://doi.org/10.5555/cand.1"' in candidates
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31000001/"' in candidates
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31000002/"' in candidates


def test_an_unresolved_citation_says_what_was_searched(client):
    citation = Citation.objects.order_by("key").first()
    citation.resolution = v.CitationResolution.UNRESOLVED
    citation.resolution_note = "Searched PubMed for the surname, year and topic: no match."
    citation.save()
    body = html(client.get(citation.get_absolute_url()))
    assert "Not found (see note)" in body and "What was searched" in body
    assert "Searched PubMed for the surname, year and topic: no match." in body


def test_where_the_review_cites_it_gives_the_sentences_not_only_the_section(client):
    """Two mentions in one section are told apart by their sentences."""
    text = Source.objects.the_review().text
    by_label = {}
    for begin, end, label in citation_mentions(text):
        by_label.setdefault(label, []).append((begin, end))
    citation = next(
        c
        for c in Citation.objects.filter(label__in=list(by_label)).order_by("key")
        if len(by_label[c.label]) > 1
    )
    body = html(client.get(citation.get_absolute_url()))
    shown = re.findall(r'<blockquote class="cited-sentence">(.*?)</blockquote>', body, re.S)
    assert len(shown) == len(by_label[citation.label])
    for sentence in shown:
        plain = sentence.replace("&amp;", "&").replace("&#x27;", "'").replace("&quot;", '"')
        assert citation.label in plain and plain in text
        paragraph = next(p for p in text.split("\n") if plain in p)
        assert len(plain) < len(paragraph) or paragraph.count(". ") == 0
    assert len(set(shown)) >= 1


def test_the_citation_list_shows_resolution_doi_and_pmid_columns_and_filters_by_resolution(client, paper):
    citation, _, _ = paper
    body = html(client.get("/citations/", {"resolution": "resolved"}))
    keys = re.findall(r'<tr data-key="([^"]+)"', body)
    assert keys == list(
        Citation.objects.filter(resolution="resolved")
        .order_by("first_author", "year", "year_suffix", "key")
        .values_list("key", flat=True)
    )
    row = body.split(f'<tr data-key="{citation.key}">')[1].split("</tr>")[0]
    assert '<td class="doi"><a href="https://doi.org/10.5555/exo.test.1"' in row
    assert '<td class="pmid"><a href="https://pubmed.ncbi.nlm.nih.gov/24999999/"' in row
    assert "Tang S, Zheng K, Chen W, et al." in row and "Resolved to its paper" in row
    assert client.get("/citations/", {"resolution": "sorted"}).status_code == 400


def test_the_citation_page_costs_the_same_queries_with_checks(client, paper, django_assert_num_queries):
    citation, _, _ = paper
    # citation; claims (+ section, mechanism); their relations and checks; review; sections
    with django_assert_num_queries(5):
        html(client.get(citation.get_absolute_url()))


# ---------------------------------------------------------------------------------- claim pages and rows


def test_a_claim_page_lists_each_cited_work_as_a_short_reference_with_its_verdict(client, paper):
    citation, claim, _ = paper
    body = html(client.get(claim.get_absolute_url()))
    item = body.split(f'<li data-citation="{citation.key}">')[1].split("</li>")[0]
    assert "Tang S, Zheng K, Chen W, et al." in item and "<cite>J Test Oncol</cite>" in item
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/24999999/"' in item
    assert 'href="https://doi.org/10.5555/exo.test.1"' in item
    assert "Contradicted" in item and "PMID:24999999" in item and "The paper shows the opposite." in item


def test_a_claim_row_links_to_the_pubmed_record_in_one_click(client, paper):
    citation, claim, _ = paper
    # The claim may be a background statement, which the list leaves out unless asked.
    body = html(client.get("/claims/", {"citation": citation.key, "background": "show"}))
    row = body.split(f'data-public-id="{claim.public_id}"')[1].split("</li>\n")[0]
    assert 'class="ext pubmed"' in row and 'href="https://pubmed.ncbi.nlm.nih.gov/24999999/"' in row
    assert re.search(r'class="support support-contradicted"[^>]*>Contradicted<', row)


def test_with_a_doi_but_no_pmid_a_claim_row_offers_a_pubmed_search_by_doi(client, paper):
    citation, claim, _ = paper
    resolve(citation, pmid="", pmcid="")
    body = html(client.get("/claims/", {"citation": citation.key, "background": "show"}))
    row = body.split(f'data-public-id="{claim.public_id}"')[1].split("</li>\n")[0]
    assert 'class="ext pubmed"' not in row
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/?term=10.5555%2Fexo.test.1%5Bdoi%5D"' in row
    assert "Search PubMed" in row


def test_a_citation_page_without_pmid_says_so_and_offers_a_search_by_title(client, paper):
    citation, _, _ = paper
    resolve(citation, doi="", pmid="", pmcid="")
    body = html(client.get(citation.get_absolute_url()))
    pubmed = body.split("<dt>PubMed</dt>")[1].split("</dd>")[0]
    assert "not known" in pubmed
    title = "%22Exosomal+transfer+of+a+test+protein+confers+resistance%22%5Bti%5D"
    assert (
        f'href="https://pubmed.ncbi.nlm.nih.gov/?term={title}"' in pubmed
        and "search PubMed by title" in pubmed
    )
    # A work known by its label only gets no search link: nothing to search for but a guess.
    citation.title, citation.doi = "", ""
    citation.save()
    pubmed = html(client.get(citation.get_absolute_url())).split("<dt>PubMed</dt>")[1].split("</dd>")[0]
    assert "pubmed-search" not in pubmed


def test_the_claim_list_keeps_its_query_count_with_checks(client, paper, django_assert_num_queries):
    citation, _, _ = paper
    # resolve the citation key; count; the page's ids and its claims; their relations and checks;
    # one statement for every facet, and one more for the citation facet in use (counted apart)
    # background=show: the checked claim may be a background statement, which the list hides by default.
    with django_assert_num_queries(1 + 4 + 1 + 1):
        html(client.get("/claims/", {"citation": citation.key, "background": "show"}))


# ---------------------------------------------------------------------------------- API


def test_the_api_gives_a_citation_its_identifiers_structured_authors_and_resolution(client, paper):
    citation, _, _ = paper
    data = client.get(f"/api/citations/{citation.key}/").json()
    assert data["authors"] == [{"family": a["family"], "given": a["given"]} for a in AUTHORS]
    assert (data["doi"], data["pmid"], data["pmcid"]) == ("10.5555/exo.test.1", "24999999", "PMC4099999")
    assert (data["journal"], data["journal_abbrev"], data["year"]) == (
        "Journal of Test Oncology",
        "J Test Oncol",
        citation.year,
    )
    assert data["resolution"] == "resolved" and data["title"] == citation.title
    listed = client.get("/api/citations/", {"resolution": "resolved", "page_size": 500}).json()["results"]
    assert sorted(c["key"] for c in listed) == sorted(
        Citation.objects.filter(resolution="resolved").values_list("key", flat=True)
    )
    assert citation.key in [c["key"] for c in listed] and all(c["resolution"] == "resolved" for c in listed)


def test_a_claims_json_nests_its_citations_and_checks(client, paper):
    citation, claim, _ = paper
    data = client.get(f"/api/claims/{claim.public_id}/").json()
    nested = next(c for c in data["citations"] if c["key"] == citation.key)
    assert nested["pmid"] == "24999999" and nested["authors"][0] == {"family": "Tang", "given": "Shasha"}
    assert nested["journal_abbrev"] == "J Test Oncol" and nested["resolution"] == "resolved"
    assert {
        "citation": citation.key,
        "support": "contradicted",
        "record": "PMID:24999999",
        "level": "full_text",
        "note": "The paper shows the opposite.",
    } in data["citation_checks"]


@pytest.mark.parametrize("surface", ["/api/claims/", "/claims/"])
@pytest.mark.parametrize("by", ["pmid", "doi", "doi-url"])
def test_claims_filter_by_a_cited_papers_pmid_or_doi_on_both_surfaces(client, paper, surface, by):
    citation, _, _ = paper
    value = {
        "pmid": "24999999",
        "doi": "10.5555/EXO.test.1",
        "doi-url": "https://doi.org/10.5555/exo.test.1",
    }[by]
    name = "pmid" if by == "pmid" else "doi"
    expected = sorted(citation.claims.values_list("public_id", flat=True))
    # Every claim citing the paper, background statements too (the claim list hides them unless asked).
    response = client.get(surface, {name: value, "page_size": 500, "background": "show"})
    if surface.startswith("/api"):
        found = sorted(c["id"] for c in response.json()["results"])
    else:
        found = sorted(set(re.findall(r'<li class="claim-row" data-public-id="([^"]+)"', html(response))))
    assert found == expected


@pytest.mark.parametrize("query, field", [({"pmid": "11111111"}, "pmid"), ({"doi": "10.9/none"}, "doi")])
def test_an_unknown_pmid_or_doi_is_a_400_naming_it(client, query, field):
    response = client.get("/api/claims/", query)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors
    assert next(iter(query.values())) in errors[field][0]


def test_claims_filter_by_citation_support_with_several_values_and_count_it_as_a_facet(client, paper):
    _, claim, _ = paper
    Claim.objects.filter(pk=claim.pk).update(citation_support=v.CitationSupport.CONTRADICTED)
    wanted = ["contradicted", "misattributed"]
    data = client.get("/api/claims/", {"citation_support": wanted, "page_size": 500}).json()
    assert sorted(c["id"] for c in data["results"]) == sorted(
        Claim.objects.filter(citation_support__in=wanted).values_list("public_id", flat=True)
    )
    facets = client.get("/api/facets/").json()["facets"]["citation_support"]
    counts = {f["value"]: f["count"] for f in facets}
    assert counts["contradicted"] == Claim.objects.filter(citation_support="contradicted").count() >= 1


def test_the_openapi_schema_documents_the_new_fields_and_formats(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert "citation_checks" in components["Claim"]["properties"]
    assert {"pmid", "pmcid", "authors", "journal_abbrev", "resolution"} <= set(
        components["CitationRef"]["properties"]
    )
    parameters = {p["name"]: p for p in schema["paths"]["/api/claims/"]["get"]["parameters"]}
    assert {"pmid", "doi", "citation_support"} <= set(parameters)
    assert {"csl-json", "ris"} <= set(parameters["format"]["schema"]["enum"])
    citations = {p["name"]: p for p in schema["paths"]["/api/citations/"]["get"]["parameters"]}
    assert "resolution" in citations and {"csl-json", "ris"} <= set(citations["format"]["schema"]["enum"])


# ---------------------------------------------------------------------------------- admin


def test_the_citation_admin_edits_checks_inline_and_filters_by_resolution(admin_client, paper):
    citation, claim, check = paper
    page = html(admin_client.get(f"/admin/claims/citation/{citation.pk}/change/"))
    assert "CitationCheck object" not in page
    assert str(check) in page.replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'")
    for name in ("journal_abbrev", "issue", "pmcid", "resolution", "resolution_note", "author_names"):
        assert f'name="{name}"' in page, name
    listed = html(admin_client.get("/admin/claims/citation/", {"resolution__exact": "resolved"}))
    assert f"/admin/claims/citation/{citation.pk}/change/" in listed
    unresolved = Citation.objects.exclude(resolution="resolved").order_by("key").first()
    assert f"/admin/claims/citation/{unresolved.pk}/change/" not in listed


def test_the_claim_admin_shows_its_checks_inline(admin_client, paper):
    _, claim, check = paper
    page = html(admin_client.get(f"/admin/claims/claim/{claim.pk}/change/"))
    assert "CitationCheck object" not in page and "checks of the cited works" in page.lower()
    assert "PMID:24999999" in page
