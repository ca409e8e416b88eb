"""The HTML pages as a reader's browser gets them: test client, real database, the review loaded.

Expected results are computed with the ORM from whatever the transcription holds, never from
hard-coded claim ids.
"""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import bibtexparser
import pytest
from django.db import OperationalError
from django.db.models import Count, Q
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse

from claims import vocabulary as v
from claims.middleware import DatabaseUnavailableMiddleware
from claims.models import Cargo, CellLine, Citation, Claim, ClaimCellLine, Drug, Flag, Mechanism, Source
from claims.review_text import citation_mentions, paragraph_bounds
from claims.services.bibtex.latex import latex_to_text
from claims.views.browse import PAGE_SIZE
from claims.views.review_markup import visible_start
from tests.factories import make_claim
from tests.pages import (
    QUERY_BUDGETS,
    budgeted_url,
    every_listed,
    every_page,
    listed,
    page_html,
    result_count,
    text_of,
)

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
ESCAPED_HOSTILE = "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def expected_ids(query):
    return list(
        Claim.objects.filter(query).distinct().order_by("public_id").values_list("public_id", flat=True)
    )


def listed_by_default(query):
    """The claims /claims/ lists for ``query`` unless asked otherwise: background statements left out."""
    return expected_ids(query & ~Q(direction=v.Direction.BACKGROUND))


# ---------------------------------------------------------------------------------- the claim browser

# For each facet, the ORM lookup that says which claims a value selects (independent of filters.py).
FACETS = {
    "drug": ("drugs__slug", lambda value: Q(drugs__slug=value)),
    "cargo": ("cargo__slug", lambda value: Q(cargo__slug=value)),
    "cargo_type": ("cargo__cargo_type", lambda value: Q(cargo__cargo_type=value)),
    "cell_line": ("cell_lines__slug", lambda value: Q(cell_lines__slug=value)),
    "mechanism": (
        "mechanism__slug",
        lambda value: Q(mechanism__slug=value) | Q(mechanism__parent__slug=value),
    ),
    "therapy_class": ("therapy_class", lambda value: Q(therapy_class=value)),
    "direction": ("direction", lambda value: Q(direction=value)),
    "model": ("model", lambda value: Q(model=value)),
    "status": ("status", lambda value: Q(status=value)),
    "citation_support": ("citation_support", lambda value: Q(citation_support=value)),
    "section": ("section__number", lambda value: Q(section__number=value)),
    "citation": ("citations__key", lambda value: Q(citations__key=value)),
}


def busiest(path, rank=0):
    """The value of ``path`` shared by the most claims (``rank`` picks the next ones)."""
    rows = (
        Claim.objects.filter(**{f"{path}__isnull": False})
        .values(path)
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", path)
    )
    return rows[rank][path]


@pytest.fixture
def cell_line_claims(curator):
    """Make sure some claims name cell lines, whatever the transcription holds so far."""
    line = CellLine.objects.create(name="Test line 1", slug="test-line-1")
    for claim in Claim.objects.exclude(direction=v.Direction.BACKGROUND).order_by("public_id")[:3]:
        ClaimCellLine.objects.create(claim=claim, cell_line=line, role=v.CellLineRole.RECIPIENT)
    return line


def test_the_claim_list_shows_the_first_page_of_all_claims(client):
    response = client.get("/claims/")
    assert response.status_code == 200
    everything = listed_by_default(Q())
    assert result_count(response) == len(everything)
    assert listed(response) == everything[:PAGE_SIZE]


@pytest.mark.parametrize("parameter", list(FACETS))
def test_each_facet_selects_exactly_the_claims_with_that_value(client, cell_line_claims, parameter):
    path, lookup = FACETS[parameter]
    value = busiest(path)
    response = client.get("/claims/", {parameter: value})
    # A direction filter says itself whether background statements are listed.
    wanted = expected_ids(lookup(value)) if parameter == "direction" else listed_by_default(lookup(value))
    assert response.status_code == 200
    assert result_count(response) == len(wanted) > 0
    assert listed(response) == wanted[:PAGE_SIZE]


def test_facet_counts_are_the_numbers_of_claims_a_click_lists(client):
    body = page_html(client.get("/claims/"))
    drug = busiest("drugs__slug")
    count = re.search(rf'href="/claims/\?drug={drug}".*?<span class="count">(\d+)</span>', body, re.S)
    assert int(count.group(1)) == len(listed_by_default(Q(drugs__slug=drug)))


def test_two_values_of_one_facet_mean_either(client):
    first, second = busiest("drugs__slug"), busiest("drugs__slug", 1)
    response = client.get("/claims/", {"drug": [first, second]})
    assert result_count(response) == len(listed_by_default(Q(drugs__slug=first) | Q(drugs__slug=second)))


def test_two_facets_combine_and_both_show_as_removable_chips(client):
    drug = busiest("drugs__slug")
    direction = Claim.objects.filter(drugs__slug=drug).values_list("direction", flat=True).first()
    response = client.get("/claims/", {"drug": drug, "direction": direction})
    assert listed(response) == expected_ids(Q(drugs__slug=drug) & Q(direction=direction))[:PAGE_SIZE]
    chips = re.findall(r'<a class="chip" href="([^"]+)"', page_html(response))
    # Removing one filter keeps the other.
    remaining = {tuple(parse_qsl(urlsplit(unescape(chip)).query)) for chip in chips}
    assert remaining == {(("direction", direction),), (("drug", drug),)}


def test_a_selected_facet_value_links_to_its_removal_and_others_add_to_it(client):
    first, second = busiest("drugs__slug"), busiest("drugs__slug", 1)
    body = page_html(client.get("/claims/", {"drug": first}))
    assert 'class="facet-option is-selected" href="/claims/"' in body
    # Within a facet the counts ignore the facet's own selection: they say what a click adds.
    second_count = re.search(rf'href="/claims/\?drug={first}&amp;drug={second}".*?"count">(\d+)<', body, re.S)
    assert int(second_count.group(1)) == len(listed_by_default(Q(drugs__slug=second)))


def test_an_entity_may_be_named_by_any_alias(client):
    drug = Drug.objects.exclude(aliases=[]).filter(claims__isnull=False).first()
    response = client.get("/claims/", {"drug": drug.aliases[0].lower()})
    assert result_count(response) == len(listed_by_default(Q(drugs=drug)))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"drug": "unknown"}, "No drug is named &#x27;unknown&#x27;"),
        ({"direction": "sideways"}, "sideways is not one of the available choices"),
        ({"ordering": "shoe_size"}, "shoe_size is not one of the available choices"),
    ],
)
def test_an_invalid_filter_is_shown_as_an_error_not_a_crash(client, params, message):
    response = client.get("/claims/", params)
    body = page_html(response)
    assert response.status_code == 400
    assert message in body and 'role="alert"' in body
    assert listed(response) == []


def test_search_finds_the_claims_that_use_the_word(client):
    word = "tamoxifen"
    found = set(every_listed(client, "/claims/", {"q": word}))
    findings = Claim.objects.exclude(direction=v.Direction.BACKGROUND)
    saying_it = {c.public_id for c in findings if re.search(rf"\b{word}\b", c.statement, re.I)}
    assert saying_it and saying_it <= found
    assert found <= set(listed_by_default(Q(search_document__contains=word)))


def test_search_combines_with_facets(client):
    direction = "promotes_resistance"
    found = set(every_listed(client, "/claims/", {"q": "exosomes", "direction": direction}))
    # PostgreSQL stems ("exosomal" matches too), so every match holds at least the stem.
    assert found and found <= set(
        expected_ids(Q(search_document__contains="exosom") & Q(direction=direction))
    )


def test_a_hostile_search_term_is_shown_as_text(client):
    body = page_html(client.get("/claims/", {"q": HOSTILE}))
    assert HOSTILE not in body and "<script>alert" not in body
    assert 'value="' + ESCAPED_HOSTILE.replace("&#x27;", "'") in body or ESCAPED_HOSTILE in body


@pytest.mark.parametrize(
    "ordering, key, reverse_order",
    [
        ("-id", lambda c: c.public_id, True),
        ("section", lambda c: c.section.order, False),
        ("-updated", lambda c: c.updated, True),
    ],
)
def test_sorting_orders_the_results(client, ordering, key, reverse_order):
    ids = listed(client.get("/claims/", {"ordering": ordering}))
    claims = Claim.objects.select_related("section").in_bulk(ids, field_name="public_id")
    values = [key(claims[i]) for i in ids]
    assert len(ids) == PAGE_SIZE and values == sorted(values, reverse=reverse_order)
    if ordering == "-id":
        assert ids == listed_by_default(Q())[::-1][:PAGE_SIZE]


def test_the_second_page_continues_where_the_first_stopped(client):
    everything = listed_by_default(Q())
    second = client.get("/claims/", {"page": 2})
    assert listed(second) == everything[PAGE_SIZE : 2 * PAGE_SIZE]
    assert 'href="?page=3"' in page_html(second) or len(everything) <= 2 * PAGE_SIZE


def test_downloads_point_at_the_api_with_the_same_query(client):
    drug = busiest("drugs__slug")
    body = page_html(client.get("/claims/", {"drug": drug, "direction": "promotes_resistance"}))
    for fmt in ("csv", "json", "bibtex"):
        assert f'href="/api/claims/?drug={drug}&amp;direction=promotes_resistance&amp;format={fmt}"' in body
    assert f'href="/api/claims/?drug={drug}&amp;direction=promotes_resistance"' in body


# ---------------------------------------------------------------------------------- a claim's page


@pytest.fixture
def opposed(curator):
    """Two claims raising the same cargo with the same drug, one promoting resistance and one reversing it."""
    drug, cargo = Drug.objects.order_by("slug").first(), Cargo.objects.order_by("slug").first()
    citation = Citation.objects.order_by("key").first()
    promotes = make_claim(
        curator,
        direction="promotes_resistance",
        drugs=[drug],
        cargo=[cargo],
        cargo_intervention="raised",
        citations=[citation],
        statement="Test: exosomes carry it & resistance follows.",
    )
    reverses = make_claim(
        curator,
        direction="reverses_resistance",
        drugs=[drug],
        cargo=[cargo],
        cargo_intervention="raised",
        citations=[citation],
        statement="Test: giving more of it restores sensitivity.",
    )
    return promotes, reverses


def test_a_claim_page_shows_its_quote_highlighted_in_its_paragraph(client):
    claim = Claim.objects.filter(source=Source.objects.the_review()).order_by("-quote_start").first()
    body = page_html(client.get(claim.get_absolute_url()))
    mark = re.search(r'<mark class="quote" data-claim="quote" id="quote">(.*?)</mark>', body, re.S)
    assert text_of(mark.group(1)) == claim.quote
    text = Source.objects.the_review().text
    start, end = paragraph_bounds(text, claim.quote_start)
    paragraph = re.search(r'<blockquote class="reading">(.*?)</blockquote>', body, re.S).group(1)
    assert text_of(paragraph) == text[visible_start(text, start, end) : end]


def test_a_claim_page_shows_everything_a_curator_recorded(client, opposed):
    claim, other = opposed
    citation = claim.citations.get()
    citation.doi, citation.pmid, citation.title = "10.1234/exoclaims.test", "12345678", "A test title"
    citation.save()
    Flag.objects.create(claim=claim, kind=v.FlagKind.REVIEW_ERROR, text="The review names the wrong drug.")
    Claim.objects.filter(pk=claim.pk).update(notes="Curator note: check the figure.")
    body = page_html(client.get(claim.get_absolute_url()))
    assert "Test: exosomes carry it &amp; resistance follows." in body
    assert 'href="https://doi.org/10.1234/exoclaims.test"' in body
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/"' in body
    for entity in [*claim.drugs.all(), *claim.cargo.all()]:
        assert f'href="{entity.get_absolute_url()}"' in body
    assert f'class="status status-{claim.status}">{claim.get_status_display()}<' in body
    assert f"Citation support: {claim.get_citation_support_display().lower()}" in body
    assert "Curator note: check the figure." in body
    assert "The review names the wrong drug." in body
    assert f'href="/api/claims/{claim.public_id}/"' in body
    assert f'href="/review/#{claim.public_id}"' in body
    contradicting = body.split('id="contradicting-title"')[1].split('id="related-title"')[0]
    assert f'href="{other.get_absolute_url()}"' in contradicting
    related = body.split('id="related-title"')[1].split("</section>")[0]
    related_ids = re.findall(r'href="/claims/([^/]+)/"', related)
    assert related_ids == list(Claim.objects.related_to(claim).values_list("public_id", flat=True)[:20])
    assert other.public_id in related_ids or len(related_ids) == 20


def test_a_claim_can_be_cited_as_text_and_bibtex(client):
    claim = Claim.objects.order_by("public_id").first()
    Claim.objects.filter(pk=claim.pk).update(statement="Braces {and} 50% of $cells & more_things.")
    body = page_html(client.get(claim.get_absolute_url()))
    text = text_of(re.search(r'<p class="cite-text"[^>]*>(.*?)</p>', body, re.S).group(1))
    assert claim.public_id in text and "doi:10.3389/fbioe.2023.1214648" in text
    assert f"http://testserver/claims/{claim.public_id}/" in text
    bibtex = text_of(re.search(r'<pre class="bibtex" id="cite-bibtex"[^>]*>(.*?)</pre>', body, re.S).group(1))
    library = bibtexparser.parse_string(bibtex)
    assert not library.failed_blocks and len(library.entries) == 1
    title = latex_to_text(library.entries[0]["title"])
    assert title == f"ExoClaims claim {claim.public_id}: Braces {{and}} 50% of $cells & more_things."


def test_curators_get_the_curation_box_with_an_edit_link(client, reader_client, curator_client, opposed):
    claim = opposed[0]
    edit = f'href="{reverse("claims:claim-edit", args=[claim.public_id])}"'
    anonymous = page_html(client.get(claim.get_absolute_url()))
    assert "curation-panel" not in anonymous and edit not in anonymous
    reader_page = page_html(reader_client.get(claim.get_absolute_url()))
    assert "curation-panel" in reader_page and edit not in reader_page
    assert edit in page_html(curator_client.get(claim.get_absolute_url()))


def test_an_unknown_claim_is_a_clear_404(client):
    response = client.get("/claims/CLM-NOPE/")
    assert response.status_code == 404
    assert "There is nothing at this address" in page_html(response)


# ---------------------------------------------------------------------------------- entity pages


@pytest.mark.parametrize("kind", ["drug", "cargo", "cell_line", "mechanism"])
def test_an_entity_page_lists_its_claims_with_the_same_facets(client, cell_line_claims, kind):
    model, path = {
        "drug": (Drug, "drugs"),
        "cargo": (Cargo, "cargo"),
        "cell_line": (CellLine, "cell_lines"),
        "mechanism": (Mechanism, "mechanism"),
    }[kind]
    entity = model.objects.get(slug=busiest(f"{path}__slug"))
    response = client.get(entity.get_absolute_url())
    body = page_html(response)
    wanted = expected_ids(FACETS[kind][1](entity.slug))
    assert response.status_code == 200 and f"<h1>{entity.name}</h1>" in body
    assert result_count(response) == len(wanted) and listed(response) == wanted[:PAGE_SIZE]
    assert not re.search(rf"<summary>{FACETS_LABELS[kind]}(</summary>| <span)", body)  # the page is its facet
    assert "<summary>Direction" in body
    param = kind
    assert f'href="/api/claims/?{param}={entity.slug}&amp;format=csv"' in body


FACETS_LABELS = {"drug": "Drug", "cargo": "Cargo", "cell_line": "Cell line", "mechanism": "Mechanism"}


def test_an_entity_page_narrows_with_facets_and_keeps_its_entity(client):
    drug = Drug.objects.get(slug=busiest("drugs__slug"))
    direction = drug.claims.values_list("direction", flat=True).first()
    response = client.get(drug.get_absolute_url(), {"direction": direction})
    assert listed(response) == expected_ids(Q(drugs=drug) & Q(direction=direction))[:PAGE_SIZE]
    assert f"/api/claims/?direction={direction}&amp;drug={drug.slug}&amp;format=csv" in page_html(response)


def test_an_entity_page_shows_aliases_and_identifiers_as_registry_links(client):
    drug = Drug.objects.exclude(aliases=[]).first()
    drug.chebi, drug.drugbank = "CHEBI:999999", "DB99999"
    drug.save()
    body = page_html(client.get(drug.get_absolute_url()))
    assert all(alias in body for alias in drug.aliases)
    assert 'href="https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:999999"' in body
    assert 'href="https://go.drugbank.com/drugs/DB99999"' in body


def test_a_broad_mechanism_page_includes_its_narrower_mechanisms_claims(client, curator):
    broad = Mechanism.objects.create(name="Test broad mechanism", slug="test-broad")
    narrow = Mechanism.objects.create(name="Test narrow mechanism", slug="test-narrow", parent=broad)
    claim = make_claim(curator, mechanism=narrow)
    response = client.get(broad.get_absolute_url())
    assert listed(response) == [claim.public_id]
    assert f'href="{narrow.get_absolute_url()}"' in page_html(response)


@pytest.mark.parametrize("path", ["/drugs/", "/cargo/", "/cell-lines/", "/mechanisms/"])
def test_entity_lists_link_every_entity_with_its_claim_count(client, path):
    model = {"/drugs/": Drug, "/cargo/": Cargo, "/cell-lines/": CellLine, "/mechanisms/": Mechanism}[path]
    body = every_page(client, path)
    for entity in model.objects.with_claim_counts():
        row = re.search(rf'href="{entity.get_absolute_url()}">.*?<td class="num">(\d+)</td>', body, re.S)
        assert int(row.group(1)) == entity.claim_count


@pytest.mark.parametrize(
    "path", ["/drugs/no-such-drug/", "/cargo/nope/", "/cell-lines/nope/", "/mechanisms/nope/"]
)
def test_an_unknown_entity_is_a_404(client, path):
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------------------------- citations


def test_the_citation_list_shows_every_work_with_its_resolution_status(client):
    body = every_page(client, "/citations/")
    citations = list(Citation.objects.with_claim_counts())
    assert len(re.findall(r'<tr data-key="', body)) == len(citations)
    for citation in citations:
        row = body.split(f'href="{citation.get_absolute_url()}"')[1].split("</tr>")[0]
        assert (
            f'class="resolution resolution-{citation.resolution}">{citation.get_resolution_display()}<' in row
        )
        assert "stub" not in row
        assert re.search(rf">{citation.claim_count}<", row)


def test_a_citation_page_shows_the_claims_resting_on_it_and_its_bibtex(client):
    citation = Citation.objects.with_claim_counts().filter(title="").order_by("-claim_count", "key").first()
    response = client.get(citation.get_absolute_url())
    body = page_html(response)
    assert sorted(listed(response)) == expected_ids(Q(citations=citation))
    assert "known only by its in-text label" in body
    bibtex = text_of(re.search(r'<pre class="bibtex"[^>]*>(.*?)</pre>', body, re.S).group(1))
    entry = bibtexparser.parse_string(bibtex).entries[0]
    assert entry.key == citation.key and entry["year"] == str(citation.year)


def test_a_citation_with_a_record_shows_it_and_no_stub_notice(client):
    citation = Citation.objects.order_by("key").first()
    citation.title, citation.journal, citation.doi = "Exosomes & drugs", "J Test", "10.1234/abc"
    citation.save()
    body = page_html(client.get(citation.get_absolute_url()))
    assert "Exosomes &amp; drugs" in body and "known only by its in-text label" not in body
    assert 'href="https://doi.org/10.1234/abc"' in body


def test_a_citation_page_links_to_where_the_review_cites_it(client):
    citation = Citation.objects.order_by("key").first()
    anchors = re.findall(r'href="/review/#(cite-[^"]+)"', page_html(client.get(citation.get_absolute_url())))
    mentions = [m for m in citation_mentions(Source.objects.the_review().text) if m[2] == citation.label]
    assert len(anchors) == len(mentions) > 0
    reader = page_html(client.get("/review/"))
    assert all(f'id="{anchor}"' in reader for anchor in anchors)


def test_an_unknown_citation_is_a_404(client):
    assert client.get("/citations/nobody1999/").status_code == 404


# ---------------------------------------------------------------------------------- the review reader


def reading_paragraphs(body):
    """The text of every paragraph of the reader, without the claim markers."""
    paragraphs = re.findall(r'<p class="reading[^"]*">(.*?)</p>', body, re.S)
    return [text_of(re.sub(r'<a class="claim-ref"[^>]*>[^<]*</a>', "", p)) for p in paragraphs]


def review_paragraph_texts():
    review, texts = Source.objects.the_review(), []
    for section in review.sections.all():
        spans = (
            section.spans
            if section.number == "abstract" or section.number.startswith("fig")
            else section.spans[1:]
        )
        texts += [review.text[visible_start(review.text, a, b) : b] for a, b in spans]
    return texts


def assert_well_nested(body):
    stack = []
    for closing, tag in re.findall(r"<(/?)(mark|a|p|section)\b", body):
        if closing:
            assert stack and stack.pop() == tag, f"</{tag}> closes {stack[-1:] or 'nothing'}"
        else:
            stack.append(tag)
    assert stack == []


def test_the_reader_shows_the_whole_review_text_with_every_claim_highlighted(client):
    body = page_html(client.get("/review/"))
    assert reading_paragraphs(body) == review_paragraph_texts()
    for claim in Claim.objects.filter(source=Source.objects.the_review()):
        assert body.count(f'id="{claim.public_id}"') == 1
        assert f'<a class="claim-ref" href="/claims/{claim.public_id}/"' in body
    assert_well_nested(body.split('<div class="reader">')[1])


def test_overlapping_quotes_nest_and_both_link_to_their_claims(client, curator):
    like = Claim.objects.filter(source=Source.objects.the_review()).order_by("public_id").first()
    same = make_claim(curator, like=like, statement="Test: a second claim on the same sentence.")
    part = like.quote[: len(like.quote) // 2].rstrip()
    inner = make_claim(
        curator,
        section=like.section,
        quote=part,
        statement="Test: a claim on half of the sentence.",
        occurrence=like.source.text[like.section.spans[0][0] : like.quote_start].count(part) + 1,
        therapy_class="general",
    )
    body = page_html(client.get("/review/"))
    assert reading_paragraphs(body) == review_paragraph_texts()
    assert_well_nested(body.split('<div class="reader">')[1])
    first_piece = re.search(
        rf'<mark class="[^"]*" data-claim="{like.public_id}" id="{like.public_id}">'
        rf'<mark class="[^"]*" data-claim="{same.public_id}" id="{same.public_id}">'
        rf'<mark class="[^"]*" data-claim="{inner.public_id}" id="{inner.public_id}">',
        body,
    )
    assert first_piece, "the three claims open at the same character, outermost (longest) first"
    for claim in (like, same, inner):
        pieces = re.findall(rf'data-claim="{claim.public_id}"[^>]*>', body)
        assert pieces and all(f'href="/claims/{claim.public_id}/"' in body for _ in pieces)


def test_the_reader_marks_errata_and_citations_that_back_no_claim(client):
    flagged = Claim.objects.filter(source=Source.objects.the_review()).order_by("public_id").first()
    Flag.objects.create(claim=flagged, kind=v.FlagKind.REVIEW_ERROR, text="Test: the review misstates this.")
    lonely = Citation.objects.filter(
        label__in=[m[2] for m in citation_mentions(Source.objects.the_review().text)]
    ).first()
    lonely.claims.clear()
    body = page_html(client.get("/review/"))
    assert (
        f'<mark class="quote quote-flagged" data-claim="{flagged.public_id}" id="{flagged.public_id}">'
        in body
    )
    assert "Test: the review misstates this." in body
    assert re.search(rf'<a class="cite cite-unclaimed" href="{lonely.get_absolute_url()}"', body)


# ---------------------------------------------------------------------------------- the overview


@pytest.fixture
def drug_cargo_claims(curator):
    """Claims on the busiest drugs and cargo (those the gap matrix shows): one and two studies."""
    drug = Drug.objects.with_claim_counts().order_by("-claim_count", "name")[:2]
    cargo = Cargo.objects.with_claim_counts().order_by("-claim_count", "name")[:2]
    citations = Citation.objects.order_by("key")[:2]
    make_claim(
        curator, direction="promotes_resistance", drugs=[drug[0]], cargo=[cargo[0]], citations=citations
    )
    # A background statement: counted in the matrix, so the cell's link must list it too.
    make_claim(curator, direction="background", drugs=[drug[1]], cargo=cargo, citations=citations[:1])


def test_every_heat_map_cell_counts_the_claims_its_link_lists(client):
    body = page_html(client.get("/"))
    table = body.split('class="matrix heat-map"')[1].split("</table>")[0]
    cells = re.findall(r'<td class="heat-\d"><a href="([^"]+)" title="[^"]*">(\d+)</a>', table)
    assert cells
    for url, value in cells:
        assert result_count(client.get(unescape(url))) == int(value)


def test_every_overview_count_equals_the_list_its_link_opens(client, curator):
    """The claim total, the curation statuses and the review errors count background statements
    too, so their links list them although the claim list leaves them out by default."""
    background = make_claim(curator)
    Flag.objects.create(claim=background, kind=v.FlagKind.REVIEW_ERROR, text="Test erratum.")
    stats = page_html(client.get("/")).split('id="counts-title"')[1].split("</section>")[0]
    links = re.findall(r'<a href="([^"]+)"><strong>(\d+)</strong> claims</a>', stats)
    links += re.findall(r'<a href="([^"]+)"(?: id="review-errors-link")?>(\d+) [a-z]', stats)
    assert len(links) == 2 + len(v.CurationStatus.choices)
    for url, value in links:
        assert result_count(client.get(unescape(url))) == int(value), url


def test_every_evidence_gap_cell_counts_the_studies_behind_its_claims(client, drug_cargo_claims):
    body = page_html(client.get("/"))
    table = body.split('class="matrix gap-matrix"')[1].split("</table>")[0]
    cells = re.findall(r'<td class="gap-(\w+)"><a href="([^"]+)" title="[^"]*">(\d+)</a>', table)
    assert {kind for kind, _, _ in cells} >= {"single", "several"}
    for kind, url, value in cells:
        ids = every_listed(client, "/claims/", dict(parse_qsl(urlsplit(unescape(url)).query)))
        studies = Citation.objects.filter(claims__public_id__in=ids).distinct().count()
        assert studies == int(value) and kind == {0: "uncited", 1: "single"}.get(studies, "several")
    assert 'class="gap-none"' in table


def test_the_overview_charts_the_entities_with_the_most_claims(client):
    body = page_html(client.get("/"))
    chart = body.split('id="top-drugs-title"')[1].split("</section>")[0]
    bars = re.findall(r'<a href="([^"]+)" class="bar-label">[^<]*</a>.*?"bar-value">(\d+)<', chart, re.S)
    top = Drug.objects.with_claim_counts().filter(claim_count__gt=0).order_by("-claim_count", "name")[:10]
    assert bars == [(d.get_absolute_url(), str(d.claim_count)) for d in top]
    assert f"<strong>{Claim.objects.count()}</strong> claims" in body


# ---------------------------------------------------------------------------------- escaping


def test_hostile_text_from_the_database_is_shown_as_text_everywhere(client, opposed):
    claim = opposed[0]
    Claim.objects.filter(pk=claim.pk).update(statement=HOSTILE, notes=HOSTILE)
    drug = claim.drugs.get()
    Drug.objects.filter(pk=drug.pk).update(name=HOSTILE, aliases=[HOSTILE])
    pages = [
        "/",
        "/claims/",
        claim.get_absolute_url(),
        drug.get_absolute_url(),
        "/drugs/",
        "/review/",
        claim.citations.get().get_absolute_url(),
    ]
    for path in pages:
        body = page_html(client.get(path))
        assert "<script>alert" not in body and "<img src=x" not in body, path
        assert "&lt;script&gt;alert(" in body, path


# ---------------------------------------------------------------------------------- query budgets


@pytest.fixture
def grow(curator):
    """Adds ``n`` fully tagged claims (drug, cargo, cell line, mechanism, citations, an erratum)."""
    drug, cargo = Drug.objects.order_by("slug").first(), Cargo.objects.order_by("slug").first()
    line = CellLine.objects.order_by("slug").first()
    mechanism = Mechanism.objects.filter(parent__isnull=False).first()
    citations = list(Citation.objects.order_by("key")[:2])
    cited = (
        Claim.objects.filter(source=Source.objects.the_review(), citations__isnull=False)
        .order_by("public_id")
        .first()
    )

    def add(n):
        for _ in range(n):
            claim = make_claim(
                curator,
                like=cited,
                direction="promotes_resistance",
                drugs=[drug],
                cargo=[cargo],
                cell_lines=[(line, "donor")],
                mechanism=mechanism,
                citations=citations,
                cargo_intervention="raised",
            )
            Flag.objects.create(claim=claim, kind=v.FlagKind.REVIEW_ERROR, text="Test erratum.")
        return drug, cargo, line, mechanism, citations[0], claim

    return add


@pytest.mark.parametrize("name", list(QUERY_BUDGETS))
def test_each_page_runs_a_fixed_number_of_queries_whatever_the_data_size(
    client, grow, django_assert_num_queries, name
):
    for added in (2, 25):  # 2 claims, then 27: more than a page of them
        url = budgeted_url(name, *grow(added))
        with django_assert_num_queries(QUERY_BUDGETS[name]):
            assert client.get(url).status_code == 200


# ---------------------------------------------------------------------------------- accounts and errors


def test_readers_see_a_sign_in_link_and_staff_an_admin_link(client, reader_client, curator_client):
    assert 'href="/accounts/login/?next=/claims/"' in page_html(client.get("/claims/"))
    assert 'href="/admin/"' not in page_html(reader_client.get("/claims/"))
    curator_page = page_html(curator_client.get("/claims/"))
    assert 'href="/admin/"' in curator_page and "Sign out" in curator_page


def test_signing_in_and_out(client, reader):
    page = page_html(client.get("/accounts/login/"))
    assert 'for="id_username"' in page and 'for="id_password"' in page
    wrong = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
    assert wrong.status_code == 200 and 'role="alert"' in page_html(wrong)
    right = client.post("/accounts/login/", {"username": "reader", "password": "correct horse battery"})
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.post("/accounts/logout/").status_code == 302
    assert "Sign in" in page_html(client.get("/"))


def test_the_404_page_names_the_address_as_text(client):
    response = client.get("/no/<b>such</b>/page/")
    assert response.status_code == 404
    body = page_html(response)
    assert "There is nothing at this address" in body and "<b>such</b>" not in body


def test_the_500_page_renders_without_a_request_or_database():
    body = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in body and "ExoClaims" in body


def test_a_lost_database_gets_the_503_page_with_its_message():
    request = RequestFactory().get("/claims/")
    middleware = DatabaseUnavailableMiddleware(lambda r: None)
    response = middleware.process_exception(request, OperationalError("could not connect to server"))
    assert response.status_code == 503
    body = response.content.decode()
    assert "The database is unavailable right now" in body
    assert '<a class="skip-link" href="#main">' in body, "the site's own page, not the bare fallback"


@pytest.mark.parametrize(
    "params, query",
    [
        ({"stub": "true"}, Q(title="")),
        ({"stub": "false"}, ~Q(title="")),
        ({"has_doi": "false"}, Q(doi="")),
        ({"year": "2019"}, Q(year=2019)),
        (
            {"q": "wang"},
            Q(key__icontains="wang")
            | Q(label__icontains="wang")
            | Q(authors__icontains="wang")
            | Q(title__icontains="wang")
            | Q(journal__icontains="wang")
            | Q(doi__icontains="wang"),
        ),
    ],
)
def test_the_citation_list_filters(client, params, query):
    assert client.get("/citations/", params).status_code == 200
    keys = re.findall(r'<tr data-key="([^"]+)"', every_page(client, "/citations/", params))
    assert sorted(keys) == sorted(Citation.objects.filter(query).values_list("key", flat=True))


def test_a_bad_citation_filter_is_reported(client):
    response = client.get("/citations/", {"year": "last year"})
    assert response.status_code == 400 and "is not a year" in page_html(response)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=exosome",
        "drug=doxorubicin&q=a+b%26c",
        "cargo=mir-21&page=2&drug=ADM",
        "q=x&drug=Doxorubicin&drug=%C3%BC%2F%C3%A9%3F&cargo=&drug=100%25",
        "drug=&drug=",
    ],
)
def test_facet_links_built_per_facet_equal_the_query_copied_per_value(query):
    """The facet browser encodes the query once per facet (claims.views.browse._toggler); the
    reference is a QueryDict copy per value (``_toggle`` below, what the browser did before), which
    it must equal to the letter."""
    from django.http import QueryDict

    from claims.filters import FACET_PARAMETERS
    from claims.views.browse import _link, _same, _toggler

    def _toggle(path, params, name, value):
        params = params.copy()
        values = params.getlist(name)
        kept = [item for item in values if not _same(item, value)]
        params.setlist(name, kept if len(kept) < len(values) else [*values, value])
        return _link(path, params)

    params = QueryDict(query, mutable=True)
    for name in FACET_PARAMETERS:
        toggle = _toggler("/claims/", params, name)
        for value in ["doxorubicin", "miR-21 & co", "ü/é?", "", "100%"]:
            assert toggle(value) == _toggle("/claims/", params, name, value), (name, value)
