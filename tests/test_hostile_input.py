"""Hostile input through every query parameter, form field and API field; upload limits; anchoring.

The corpus is tests/data/hostile.txt (markup, attribute breakouts, javascript: URLs, SQL, template
syntax, NUL, lone surrogates, direction overrides, numbers of every size) plus very long strings.
The rules: never a 5xx; in HTML the input appears escaped, never as markup; text is stored
exactly, or refused with a 400 that names the field. Two conventions count as "exactly": Django
forms and DRF trim surrounding whitespace, and a form cannot carry a lone surrogate (it is not
UTF-8), so the server sees U+FFFD in its place, as a browser would send it.
"""

import json
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims import vocabulary as v
from claims.models import Citation, Claim, Drug, Flag
from claims.review_text import ANCHOR_CONTEXT, QuoteError, anchor_quote, read_review, split_sections

CORPUS_FILE = Path(__file__).parent / "data" / "hostile.txt"
CORPUS = [
    json.loads(line)
    for line in CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
] + ["A" * 100_000, "<b>" * 30_000]
MARKUP = set("<>&\"'")
QUOTE = "However, increased drug efflux could lead to chemoresistance."
CLAIM_PARAMS = [
    "q",
    "drug",
    "cargo",
    "cargo_type",
    "cell_line",
    "mechanism",
    "therapy_class",
    "direction",
    "model",
    "status",
    "citation_support",
    "section",
    "citation",
    "ordering",
    "page",
]
CITATION_PARAMS = ["q", "year", "has_doi", "stub", "page"]
QUERY_SURFACES = [
    ("/claims/", CLAIM_PARAMS),
    ("/api/claims/", [*CLAIM_PARAMS, "page_size", "cursor", "format"]),
    ("/api/facets/", CLAIM_PARAMS),
    ("/citations/", CITATION_PARAMS),
    ("/api/citations/", [*CITATION_PARAMS, "page_size", "format"]),
    ("/drugs/", ["page"]),
    ("/api/drugs/", ["page", "page_size"]),
    ("/review/", ["claim", "section"]),
    ("/claims/{claim}/", ["format"]),
    ("/api/claims/{claim}/", ["format"]),
    ("/curate/autocomplete/drug/", ["q"]),
    ("/accounts/login/", ["next"]),
]
PAGING = ["-1", "0", "99999999999999999999999999999999", "1e309", "NaN", "2.5", "last", "\x00"]
# Parameters read before the filters (an unknown format is refused first): each is sent alone.
CONTROL = {"format", "cursor", "page", "page_size"}
# One bad filter value can stop a page before another parameter is used, so besides the whole
# corpus in every parameter at once, each parameter also gets these on its own (the search word
# makes a search really run).
EACH_ALONE = [
    "exosome",
    "<script>alert('xss')</script>",
    "%' OR 1=1 --",
    "before\x00after",
    "lone \ud800 x",
    "\u202egnp.exe",
    "99999999999999999999999999999999",
    "A" * 100_000,
]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()  # the sign-in throttle counts the failed sign-ins below
    yield
    cache.clear()


def _query(params):
    # errors="surrogatepass": a lone surrogate goes out as the (invalid UTF-8) bytes a client could send.
    return "&".join(f"{name}={quote(value, safe='', errors='surrogatepass')}" for name, value in params)


def _show(value):
    return repr(value if len(value) < 60 else value[:40] + f"…({len(value)} chars)")


def assert_escaped(value, response):
    """An HTML response never contains markup-bearing input as it was sent."""
    if "html" in response.get("Content-Type", "") and MARKUP & set(value):
        assert value not in response.content.decode(errors="replace"), f"{_show(value)} appears unescaped"


def _form_sent(value):
    """What a server receives for ``value`` typed into a form (lone surrogates cannot be sent)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _stored(value, sent, *, form=False):
    expected = _form_sent(sent) if form else sent
    return value in (expected, expected.strip())


def _post_form(client, url, data):
    body = urlencode(data, encoding="utf-8", errors="surrogatepass")
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def _post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _refused_naming(response, fields):
    """A 400 whose problem names (only) fields that were sent (or says what is wrong in its detail)."""
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    errors = body.get("errors", {"detail": [body["detail"]]})
    assert errors and set(errors) <= set(fields) | {"detail", "non_field_errors"}, errors
    assert all(messages for messages in errors.values())


@pytest.mark.parametrize("url, params", QUERY_SURFACES, ids=[url for url, _ in QUERY_SURFACES])
def test_no_query_parameter_ever_gives_a_5xx_or_unescaped_markup(curator_client, url, params):
    url = url.format(claim=Claim.objects.order_by("public_id").first().public_id)
    filters = [name for name in params if name not in CONTROL]
    for value in CORPUS:
        if filters:
            response = curator_client.get(f"{url}?{_query((name, value) for name in filters)}", secure=True)
            assert response.status_code < 500, f"{url} with {', '.join(filters)} = {_show(value)}"
            assert_escaped(value, response)
    for name in filters:
        for value in EACH_ALONE:
            response = curator_client.get(f"{url}?{_query([(name, value)])}", secure=True)
            assert response.status_code < 500, f"{url}?{name}={_show(value)}"
            assert_escaped(value, response)
    for name in CONTROL & set(params):
        for value in CORPUS + PAGING:
            response = curator_client.get(f"{url}?{_query([(name, value)])}", secure=True)
            assert response.status_code < 500, f"{url}?{name}={_show(value)}"
            assert_escaped(value, response)


@pytest.fixture
def in_review(other_curator):
    """A claim in review, last changed by another curator (so an editor may decide on it)."""
    claim = Claim.objects.filter(status=v.CurationStatus.IN_REVIEW).order_by("public_id").first()
    Claim.objects.filter(pk=claim.pk).update(updated_by=other_curator)
    return Claim.objects.get(pk=claim.pk)


@pytest.mark.parametrize("value", CORPUS, ids=[_show(value) for value in CORPUS])
def test_hostile_text_in_api_fields_is_stored_exactly_or_refused_with_a_400(
    curator_client, reader_client, value
):
    claim_fields = {"statement": value, "notes": value, "exosome_source": value}
    response = _post_json(
        curator_client,
        "/api/claims/",
        {
            "section": "3.1",
            "quote": QUOTE,
            "therapy_class": "chemotherapy",
            "direction": "background",
            **claim_fields,
        },
    )
    if response.status_code == 201:
        claim = Claim.objects.get(public_id=response.json()["id"])
        assert all(_stored(getattr(claim, name), value) for name in claim_fields)
        assert_escaped(value, Client().get(claim.get_absolute_url(), secure=True))
    else:
        _refused_naming(response, claim_fields)

    claim = Claim.objects.order_by("public_id").first()
    flags = claim.flags.count()
    response = _post_json(
        reader_client, f"/api/claims/{claim.public_id}/flags/", {"kind": "other", "text": value}
    )
    if response.status_code == 201:
        assert _stored(Flag.objects.get(pk=response.json()["id"]).text, value)
        assert_escaped(value, Client().get(claim.get_absolute_url(), secure=True))
    else:
        _refused_naming(response, ["text"])
        assert claim.flags.count() == flags

    fields = {"label": value, "title": value, "notes": value}
    response = _post_json(curator_client, "/api/citations/", {"key": "hostile2020", "year": 2020, **fields})
    if response.status_code == 201:
        citation = Citation.objects.get(key="hostile2020")
        assert all(_stored(getattr(citation, name), value) for name in fields)
        assert_escaped(value, Client().get(citation.get_absolute_url(), secure=True))
    else:
        _refused_naming(response, fields)
        assert not Citation.objects.filter(key="hostile2020").exists()

    fields = {"name": value, "notes": value, "aliases": [value]}
    response = _post_json(curator_client, "/api/drugs/", {"slug": "hostile-drug", **fields})
    if response.status_code == 201:
        drug = Drug.objects.get(slug="hostile-drug")
        assert _stored(drug.name, value) and _stored(drug.notes, value)
        assert_escaped(value, Client().get(drug.get_absolute_url(), secure=True))
    else:
        _refused_naming(response, fields)
        assert not Drug.objects.filter(slug="hostile-drug").exists()


@pytest.mark.parametrize("value", CORPUS, ids=[_show(value) for value in CORPUS])
def test_hostile_text_in_site_forms_is_stored_exactly_or_refused_with_a_400(
    curator_client, reader_client, editor_client, in_review, value
):
    count = Claim.objects.count()
    response = _post_form(
        curator_client,
        "/claims/new/",
        {
            "section": "3.1",
            "quote": QUOTE,
            "therapy_class": "chemotherapy",
            "direction": "background",
            "model": "not_stated",
            "citation_support": "not_checked",
            "action": "save",
            "statement": value,
            "notes": value,
            "exosome_source": value,
        },
    )
    assert response.status_code in (302, 400), f"claim form: {response.status_code}"
    assert_escaped(value, response)
    if response.status_code == 302:
        claim = Claim.objects.order_by("-pk").first()
        assert all(
            _stored(getattr(claim, n), value, form=True) for n in ("statement", "notes", "exosome_source")
        )
    else:
        assert Claim.objects.count() == count

    response = _post_form(
        reader_client, f"/claims/{in_review.public_id}/flag/", {"kind": "other", "text": value}
    )
    assert response.status_code in (302, 400), f"flag form: {response.status_code}"
    assert_escaped(value, response)
    if response.status_code == 302:
        assert _stored(in_review.flags.order_by("-pk").first().text, value, form=True)

    response = _post_form(
        editor_client,
        f"/claims/{in_review.public_id}/transition/",
        {"to_status": "rejected", "reason": value, "version": in_review.version},
    )
    assert response.status_code in (302, 400), f"transition form: {response.status_code}"
    assert_escaped(value, response)
    rejected = Claim.objects.get(pk=in_review.pk)
    if response.status_code == 302:
        assert rejected.status == v.CurationStatus.REJECTED
        assert _stored(rejected.rejection_reason, value, form=True)
    else:
        assert rejected.status == v.CurationStatus.IN_REVIEW
    assert_escaped(value, Client().get(in_review.get_absolute_url(), secure=True))

    response = _post_form(Client(), "/accounts/login/", {"username": value, "password": value})
    assert response.status_code in (200, 400, 429), f"sign-in form: {response.status_code}"
    assert_escaped(value, response)


def test_a_request_body_over_the_upload_limit_is_refused_not_crashed(curator_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {
        "section": "3.1",
        "quote": QUOTE,
        "statement": "x" * 20_000,
        "therapy_class": "chemotherapy",
        "direction": "background",
    }
    count = Claim.objects.count()
    assert _post_json(curator_client, "/api/claims/", body).status_code in (400, 413)
    assert _post_form(curator_client, "/claims/new/", {**body, "action": "save"}).status_code in (400, 413)
    assert Claim.objects.count() == count


ENTRY = "@article{{entry{n},\n  author = {{Doe, Jane}},\n  title = {{Work {n}}},\n  year = {{2020}}\n}}\n"


@pytest.mark.parametrize(
    "limit, file, message",
    [
        ("BIBTEX_MAX_BYTES", ENTRY.format(n=1) * 3, "the file is 2"),
        (
            "BIBTEX_MAX_ENTRIES",
            "".join(ENTRY.format(n=n) for n in range(3)),
            "the file has 3 entries; the limit is 2",
        ),
    ],
    ids=["size", "entries"],
)
def test_bibtex_uploads_over_the_limits_are_refused_with_the_limit_named(
    curator_client, settings, limit, file, message
):
    setattr(settings, limit, 200 if limit == "BIBTEX_MAX_BYTES" else 2)
    count = Citation.objects.count()
    site = curator_client.post("/curate/bibtex/", {"file": SimpleUploadedFile("big.bib", file.encode())})
    api = curator_client.post(
        "/api/citations/import/", {"file": SimpleUploadedFile("big.bib", file.encode())}
    )
    assert site.status_code == api.status_code == 400
    expected = message if limit == "BIBTEX_MAX_ENTRIES" else "the limit is 200"
    assert expected in site.content.decode() and expected in json.dumps(api.json())
    assert Citation.objects.count() == count


# Properties of quote anchoring (hypothesis), against the review itself.
REVIEW = read_review()
SECTIONS = [section for section in split_sections(REVIEW) if section.spans]


def _positions(text, quote):
    found, index = [], text.find(quote)
    while index != -1:
        found.append(index)
        index = text.find(quote, index + 1)
    return found


@st.composite
def spans(draw):
    """A section and a non-blank span of one of its lines."""
    section = draw(st.sampled_from(SECTIONS))
    line_start, line_end = draw(st.sampled_from([s for s in section.spans if s[1] > s[0]]))
    start = draw(st.integers(line_start, line_end - 1))
    end = draw(st.integers(start + 1, min(line_end, start + 300)))
    assume(REVIEW[start:end].strip())
    return section, start, end


@hypothesis_settings(deadline=None, max_examples=200)
@given(spans())
def test_any_span_of_a_section_is_anchored_exactly_where_it_is(span):
    section, start, end = span
    quote_text = REVIEW[start:end]
    repeats = [i for i in _positions(REVIEW, quote_text) if section.contains(i, i + len(quote_text))]
    occurrence = repeats.index(start) + 1 if len(repeats) > 1 else None

    anchor = anchor_quote(REVIEW, quote_text, occurrence, within=section)

    assert (anchor.start, anchor.end, anchor.exact) == (start, end, quote_text)
    assert anchor.prefix == REVIEW[max(0, start - ANCHOR_CONTEXT) : start]
    assert anchor.suffix == REVIEW[end : end + ANCHOR_CONTEXT]


@hypothesis_settings(deadline=None, max_examples=200)
@given(spans(), st.sampled_from(["\x00", "  ", "<script>", "\u202e", "\ud800"]), st.booleans())
def test_a_quote_the_review_does_not_contain_is_refused_with_a_reason(span, intruder, at_end):
    section, start, end = span
    quote_text = REVIEW[start:end] + intruder if at_end else intruder + REVIEW[start:end]
    assume(quote_text not in REVIEW)
    with pytest.raises(QuoteError, match="not an exact span of the review in section"):
        anchor_quote(REVIEW, quote_text, within=section)


@hypothesis_settings(deadline=None, max_examples=100)
@given(spans(), st.integers(min_value=-5, max_value=10**12))
def test_an_occurrence_that_does_not_exist_is_refused(span, occurrence):
    section, start, end = span
    quote_text = REVIEW[start:end]
    repeats = [i for i in _positions(REVIEW, quote_text) if section.contains(i, i + len(quote_text))]
    assume(not 1 <= occurrence <= len(repeats))
    with pytest.raises(
        QuoteError, match=f"occurrence {occurrence} asked, but the quote occurs {len(repeats)} time"
    ):
        anchor_quote(REVIEW, quote_text, occurrence, within=section)
