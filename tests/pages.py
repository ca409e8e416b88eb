"""Reading the site's HTML pages in tests, and the number of queries each page may run.

The page helpers read what a reader's browser gets (claim rows, the result count, text without
markup); ``QUERY_BUDGETS`` pins each page's queries, checked on the review in test_views.py and
on 10,000 and 100,000 claims in test_query_budgets_at_scale.py.
"""

import re
from html import unescape


def page_html(response):
    return response.content.decode()


def listed(response):
    """Public ids of the claim rows on a page, in order."""
    return re.findall(r'data-public-id="([^"]+)"', page_html(response))


def result_count(response):
    return int(re.search(r'id="result-count"[^>]*>(\d+) claim', page_html(response)).group(1))


def text_of(fragment):
    """A piece of HTML as the text a reader sees."""
    return unescape(re.sub(r"<[^>]+>", "", fragment))


def every_page(client, path, params=None):
    """The HTML of every page of a listing, following its "next" links."""
    pages, number = [], 1
    while True:
        pages.append(page_html(client.get(path, {**(params or {}), "page": number})))
        if 'rel="next"' not in pages[-1]:
            return "".join(pages)
        number += 1


def every_listed(client, path, params):
    """The public ids on every page of a claim listing."""
    return re.findall(r'data-public-id="([^"]+)"', every_page(client, path, params))


# Queries per page for an anonymous reader. The claim browser: 1 count + 2 for the page of claims
# (its ids, by the ORM; the claims, by claims.selectors' statement written once) + 1 for all their citations, drugs, cargo and cell lines + 1 statement that counts every facet shown
# (claims.facets: one UNION ALL over the filtered ids), and 1 to resolve each entity parameter's value
# (2 for a mechanism: its narrower ones too). A facet in use is counted apart, ignoring its own
# selection: 1 more statement for each.
BROWSER = 1 + 2 + 1
FACETS_SHOWN = 1
QUERY_BUDGETS = {
    # review; status counts; 5 totals; flagged; heat map + mechanisms; 3 top lists; gap pairs;
    # the busiest drug × cargo pair (the example search)
    "home": 15,
    # browser; the direction facet counted without the default hiding of background statements
    # (how many are hidden, for the switch)
    "claim-list": BROWSER + FACETS_SHOWN + 1,
    # the drug resolved; browser; the two facets in use (drug, direction) counted apart
    "claim-list-filtered": 1 + BROWSER + FACETS_SHOWN + 2,
    # the words resolved to the entities they name (one UNION); browser
    "claim-list-search": 1 + BROWSER + FACETS_SHOWN + 1,
    # claim (+ section, mechanism, source) + its relations; flags; related; contradicting (none
    # on the claims the tests add: they all agree, so no relations query); corroborating + their relations;
    # the works its paragraph cites
    "claim-detail": 2 + 1 + 1 + 1 + 2 + 1,
    # entity; resolve; browser (every facet but the entity's own, in the one statement)
    "drug-detail": 1 + 1 + BROWSER + FACETS_SHOWN,
    "cargo-detail": 1 + 1 + BROWSER + FACETS_SHOWN,
    # entity; resolve; browser; derived lines
    "cell-line-detail": 1 + 1 + BROWSER + FACETS_SHOWN + 1,
    # entity; resolve + the mechanism tree; browser; narrower mechanisms
    "mechanism-detail": 1 + 2 + BROWSER + FACETS_SHOWN + 1,
    # count; a page of drugs with their claim counts
    "drug-list": 2,
    # count; a page of works; their claim counts; stubs; works backing no claim
    "citation-list": 5,
    # citation; claims + their relations; review; sections
    "citation-detail": 1 + 2 + 2,
    # review; claims + their relations + errata; citations; sections
    "review": 1 + 3 + 1 + 1,
}


def budgeted_url(name, drug, cargo, line, mechanism, citation, claim):
    """The address of the page ``name`` of ``QUERY_BUDGETS``, showing these entities."""
    return {
        "home": "/",
        "claim-list": "/claims/",
        "claim-list-filtered": f"/claims/?drug={drug.slug}&direction=promotes_resistance",
        "claim-list-search": "/claims/?q=exosomes",
        "claim-detail": claim.get_absolute_url(),
        "drug-detail": drug.get_absolute_url(),
        "cargo-detail": cargo.get_absolute_url(),
        "cell-line-detail": line.get_absolute_url(),
        "mechanism-detail": mechanism.get_absolute_url(),
        "drug-list": "/drugs/",
        "citation-list": "/citations/",
        "citation-detail": citation.get_absolute_url(),
        "review": "/review/",
    }[name]
