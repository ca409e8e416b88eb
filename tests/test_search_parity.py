"""Search gives the same answers on SQLite (FTS5) and PostgreSQL (tsvector) (issue 15 item 5, issue 16).

A test runs on one database at a time (CI runs the suite on both), so each query's answer is
pinned independently of either: worked out here in Python over the claims' texts with the Porter
stemmer (claims.search.porter_stem), and its size pinned too. Both databases must give exactly
those claims in exactly that order.
"""

import re
from functools import cache
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, Drug
from claims.search import parse_query, porter_stem, query_terms, quote_snippet
from tests.factories import make_claim
from tests.pages import every_page, listed, page_html

pytestmark = pytest.mark.django_db
WORD = re.compile(r"[^\W_]+")

# query -> how many of the review's claims it finds, the same on both databases (before this
# issue: "exosomes" 125 on SQLite and 159 on PostgreSQL, "doxorubicin resistance" 4 and 7).
QUERIES = {
    "exosome": 165,
    "exosomes": 165,  # stemmed alike: exosome, exosomes, exosomal
    "resist": 122,
    "resistance": 122,
    "doxorubicin resistance": 7,  # every word
    "tamoxifen OR trastuzumab": 13,
    "tamoxifen resistance OR cisplatin": 3,  # AND binds tighter than OR
    '"drug resistance"': 42,  # the words next to each other, in order
    '"exosomal transfer"': 4,
    "herceptin": 11,  # an alias of trastuzumab
    "miR-155": 4,  # a hyphenated word is a phrase
    "the": 0,  # stop words only: nothing, as PostgreSQL's parser has it
}


@cache
def _stems(text):
    return tuple(porter_stem(word) for word in WORD.findall(text.casefold()))


def _holds(stems, term):
    """Does the stemmed text hold the term's words, next to each other, in order?"""
    wanted = tuple(porter_stem(part) for part in term.parts)
    return any(stems[i : i + len(wanted)] == wanted for i in range(len(stems) - len(wanted) + 1))


def expected(query, claims=None):
    """The public ids a query must find, best first, worked out without either database."""
    groups = parse_query(query)
    claims = claims if claims is not None else Claim.objects.all()
    found = []
    for claim in claims:
        texts = {
            "statement": _stems(claim.statement),
            "quote": _stems(claim.quote),
            "search_document": _stems(claim.search_document),
        }
        if not any(all(_holds(texts["search_document"], term) for term in group) for group in groups):
            continue
        score = 0
        for term in query_terms(groups):
            points = [
                p
                for column, p in (("statement", 3), ("quote", 2), ("search_document", 1))
                if _holds(texts[column], term)
            ]
            score += max(points, default=0)
        found.append((-score, claim.public_id))
    return [public_id for _, public_id in sorted(found)]


def _api(client, query):
    response = client.get("/api/claims/", {"q": query, "page_size": 500})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_finds_the_same_claims_in_the_same_order_on_either_database(client, query):
    data = _api(client, query)
    found = [claim["id"] for claim in data["results"]]
    assert found == expected(query)
    assert data["count"] == QUERIES[query], connection.vendor


def test_the_claim_list_page_shows_the_same_order(client):
    html = listed(client.get("/claims/", {"q": "doxorubicin resistance", "background": "show"}))
    assert html == expected("doxorubicin resistance")


def test_a_phrase_finds_fewer_claims_than_its_words(client):
    words, phrase = _api(client, "drug resistance"), _api(client, '"drug resistance"')
    assert {c["id"] for c in phrase["results"]} < {c["id"] for c in words["results"]}


def test_or_finds_either_word(client):
    either = {c["id"] for c in _api(client, "tamoxifen or trastuzumab")["results"]}
    one, other = ({c["id"] for c in _api(client, word)["results"]} for word in ("tamoxifen", "trastuzumab"))
    assert either == one | other and one - other and other - one


@pytest.fixture
def quixotinib(curator):
    """A drug, a claim that only links it (its name is in no text of the claim) and, made after it
    (so a later public id), a claim whose statement says it."""
    drug = Drug.objects.create(name="Quixotinib", slug="quixotinib", aliases=["QXT-7"])
    linked = make_claim(curator, drugs=[drug], statement="Test: the drug is carried by vesicles.")
    stated = make_claim(curator, statement="Test: quixotinib resistance is carried by <b>exosomes</b>.")
    return drug, linked, stated


def test_a_claim_saying_the_word_ranks_above_one_naming_it_only_through_a_relation(client, quixotinib):
    _, linked, stated = quixotinib
    assert linked.public_id < stated.public_id
    for query in ("quixotinib", "Quixotinib", "qxt-7 OR quixotinib"):
        assert [c["id"] for c in _api(client, query)["results"]] == [stated.public_id, linked.public_id]
    assert listed(client.get("/claims/", {"q": "quixotinib", "background": "show"})) == [
        stated.public_id,
        linked.public_id,
    ]
    # An alias names the drug: only the claim linked to it carries the alias in its search document.
    assert [c["id"] for c in _api(client, "QXT-7")["results"]] == [linked.public_id]


def test_the_index_follows_every_write(client, quixotinib):
    """The FTS5 index (SQLite: triggers) and the generated tsvectors (PostgreSQL) follow bulk
    updates and deletions, not only saves."""
    _, linked, stated = quixotinib
    statement = "Test: zanzibarine is carried by exosomes."
    Claim.objects.filter(pk=stated.pk).update(statement=statement, search_document=statement.casefold())
    assert [c["id"] for c in _api(client, "zanzibarine")["results"]] == [stated.public_id]
    assert [c["id"] for c in _api(client, "quixotinib")["results"]] == [linked.public_id]
    Claim.objects.filter(pk=linked.pk).delete()
    assert _api(client, "quixotinib")["count"] == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_fts5_index_is_kept_by_triggers_on_the_migrated_database():
    """Django rebuilds an SQLite table for some ALTERs, dropping its triggers: a later migration
    that did so to claims_claim would leave the index stale without this failing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'claims_claim'")
        triggers = {row[0] for row in cursor.fetchall()}
        cursor.execute("INSERT INTO claims_claim_fts(claims_claim_fts, rank) VALUES ('integrity-check', 1)")
    assert {"claims_claim_fts_insert", "claims_claim_fts_update", "claims_claim_fts_delete"} <= triggers


def test_the_api_gives_each_result_a_snippet_with_the_words_marked(client, quixotinib):
    _, linked, stated = quixotinib
    results = {c["id"]: c["search_snippet"] for c in _api(client, "quixotinib exosome OR carried")["results"]}
    # The statement's own markup is text: escaped, never a tag.
    assert results[stated.public_id] == (
        "Test: <mark>quixotinib</mark> resistance is <mark>carried</mark> by "
        "&lt;b&gt;<mark>exosomes</mark>&lt;/b&gt;."
    )
    assert results[linked.public_id] == "Test: the drug is <mark>carried</mark> by vesicles."
    assert client.get("/api/claims/", {"page_size": 1}).json()["results"][0]["search_snippet"] is None


def _quote_only_word():
    """A claim and a long word of its quote that its statement does not have (in any form)."""
    for claim in Claim.objects.order_by("public_id"):
        for word in WORD.findall(claim.quote.casefold()):
            if len(word) > 8 and word.isalpha() and porter_stem(word) not in _stems(claim.statement):
                return claim, word
    raise AssertionError("every quote word is in its statement")


def test_a_snippet_shows_the_quote_when_the_statement_lacks_the_words(client):
    claim, word = _quote_only_word()
    snippet = next(c["search_snippet"] for c in _api(client, word)["results"] if c["id"] == claim.public_id)
    assert f"<mark>{word}</mark>" in snippet.casefold()
    assert unescape(re.sub(r"</?mark>", "", snippet)).strip("…") in claim.quote


def test_the_claim_list_marks_the_words_and_escapes_the_rest(client, quixotinib):
    _, _, stated = quixotinib
    body = page_html(client.get("/claims/", {"q": "quixotinib exosomes", "background": "show"}))
    row = body.split(f'data-public-id="{stated.public_id}"')[1].split("</li>")[0]
    assert "&lt;b&gt;<mark>exosomes</mark>&lt;/b&gt;" in row and "<b>" not in row
    hostile = page_html(
        client.get("/claims/", {"q": "<script>alert(1)</script> exosomes", "background": "show"})
    )
    assert "<script>alert(1)" not in hostile


def test_a_quote_match_is_shown_under_the_statement(client):
    claim, word = _quote_only_word()
    body = every_page(client, "/claims/", {"q": word, "background": "show"})
    row = body.split(f'data-public-id="{claim.public_id}"')[1].split("</li>")[0]
    assert '<p class="search-snippet">' in row and "<mark>" in row


# Queries of /api/claims/?q=: the data version (the list's ETag), the words resolved to the
# entities they name, the count, the page's ids (its rank computed there) and the page's claims
# written as JSON (claims.api.page_json), whatever the query's operators.
@pytest.mark.parametrize("query", ["exosomes", 'tamoxifen OR "drug resistance"', "herceptin"])
def test_an_api_search_runs_a_fixed_number_of_queries(client, django_assert_num_queries, query):
    with django_assert_num_queries(5):
        assert client.get("/api/claims/", {"q": query, "page_size": 50}).status_code == 200


def test_a_search_page_costs_the_same_whatever_the_operators(client):
    """/claims/?q=exosomes is pinned with every page in tests/pages.py (QUERY_BUDGETS); operators,
    phrases and an alias add no query to it."""
    counts = []
    for query in ["exosomes", 'tamoxifen OR "drug resistance"', "herceptin"]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/claims/", {"q": query}).status_code == 200
        counts.append(len(queries))
    assert counts == [counts[0]] * 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["the", "\ufffd", "of and"], ids=["stop-word", "replacement-char", "stop-words"]
)
def test_a_search_that_can_match_nothing_answers_with_no_claims_not_an_error(client, query):
    """A query of stop words only matches nothing (as PostgreSQL's parser has it), and the pages and
    the API say so. (Outside a test's transaction the count cache keys on the query's SQL, which such
    a query never has: tests/test_load_and_faults.py's hostile sample covers that through gunicorn.)"""
    page = client.get("/claims/", {"q": query, "background": "show"})
    assert page.status_code == 200
    api = client.get("/api/claims/", {"q": query})
    assert api.status_code == 200 and api.json()["count"] == 0
    assert client.get("/api/facets/", {"q": query}).status_code == 200


def test_snippets_mark_every_word_with_a_query_stem_and_no_other():
    """claims.search stems only the words that may match (by prefix): for each stem of a word in
    the review (as printed, and folded to ASCII), the words it marks are exactly those a stem of
    every word finds; a text where casefolding changes the length takes the word-by-word path."""
    from collections import defaultdict

    from claims.review_text import read_review
    from claims.search import _PART, _matching

    review = read_review()
    for text in (review, review.encode("ascii", "replace").decode(), "Straße " + review[:5000]):
        by_stem = defaultdict(list)
        for word in _PART.finditer(text):
            by_stem[porter_stem(word.group().casefold())].append(word.span())
        assert len(by_stem) > 300
        for stem, spans in by_stem.items():
            assert list(_matching(text, frozenset([stem]))) == spans, stem


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tsquery literal is PostgreSQL's")
@pytest.mark.parametrize(
    "text", ["o'brien", "50% drop", "back\\slash '; DROP TABLE claims_claim; --", '"a phrase"']
)
def test_a_search_text_written_into_the_statement_stays_one_quoted_literal(text):
    from claims.models.claim import tsquery

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tsquery(text)}::text, websearch_to_tsquery('english', %s)::text", [text])
        written, passed = cursor.fetchone()
    assert written == passed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the row's tsvector test is PostgreSQL's")
@pytest.mark.parametrize("query", ["exosomes", 'tamoxifen OR "drug resistance"', "-autophagy exosomes"])
def test_a_postgresql_search_tests_each_claim_row_instead_of_looking_matches_up_again(query):
    """Regression (issue 16): the text match was ``claim.id IN (SELECT id FROM claims_claim WHERE
    search_vector @@ q)``, which the planner answered by looking every match up again by id; the
    row's own vector is tested now, for the same claims as the subquery."""
    from claims.models.claim import _text_match
    from claims.search import parse_query

    found = Claim.objects.search(query)
    sql = str(found.order_by().values("pk").query)
    assert "search_vector @@" in sql and "SELECT id FROM claims_claim" not in sql
    if " OR " not in query and "-" not in query:
        terms = [term for group in parse_query(query) for term in group]
        (text_sql, _) = _text_match("postgresql", terms).as_sql(None, connection)
        with connection.cursor() as cursor:
            cursor.execute(text_sql)
            by_subquery = {row[0] for row in cursor.fetchall()}
        assert set(found.values_list("pk", flat=True)) == by_subquery and by_subquery


@pytest.mark.parametrize(
    ("length", "hit", "first", "last"),
    [
        (50, 25, 15, 44),  # words cut on both sides: ten before the hit's, thirty in all
        (50, 3, 0, 29),  # the hit near the start: the window starts with the quote
        (12, 8, 0, 11),  # a short quote is whole
        (40, 20, 10, 39),  # the window ends with the quote's last word: no trailing ellipsis
        (41, 20, 10, 39),  # one word more: it is cut
        (40, 10, 0, 29),  # exactly ten words before the hit's: nothing cut before
        (40, 11, 1, 30),
    ],
)
def test_a_quote_snippet_is_thirty_words_around_the_first_match(length, hit, first, last):
    words = [f"w{index}" for index in range(length)]
    words[hit] = "engineered"
    quote = " ".join(words) + "."
    window = quote_snippet("no match here", quote, parse_query("engineer"))
    expected = " ".join(words[first : last + 1]).replace("engineered", "<mark>engineered</mark>")
    if last == length - 1:
        expected += "."
    assert window == ("…" if first else "") + expected + ("…" if last < length - 1 else "")
