"""The claim list's JSON written by the database (claims.api.page_json) against ClaimSerializer,
the definition: claim by claim on the whole review, through HTTP for the list's every kind of
page, and where SQL cannot write a claim (links that need quoting, another time zone)."""

import json
import re

import pytest
from django.utils import timezone

from claims import vocabulary as v
from claims.api.links import Links
from claims.api.page_json import ClaimText, PageTexts, claims_json
from claims.api.serializers import ClaimSerializer
from claims.models import Citation, CitationCheck, Claim, Drug, Mechanism
from claims.selectors import claims_with_relations

pytestmark = pytest.mark.django_db


def serializer_path(monkeypatch):
    """The list as it was written before: every claim through ClaimSerializer."""
    import claims.api.views.claims as views

    monkeypatch.setattr(views, "page_json_supported", lambda: False)


def listed(client, query):
    response = client.get("/api/claims/", query)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def varied(curator):
    """Claims with what the SQL must write as Python does: a citation check, an author without a
    given name and one with a null family, a claim without mechanism, text with quotes,
    backslashes, control characters and non-ASCII letters, and a time stamp with no microseconds."""
    claim = Claim.objects.filter(citations__isnull=False, mechanism__isnull=False).order_by("public_id")[0]
    citation = claim.citations.order_by("key")[0]
    CitationCheck.objects.update_or_create(
        claim=claim,
        citation=citation,
        defaults={"support": v.CitationSupport.SUPPORTED, "record": "PMID:1", "note": 'Says "so" \\ ü\n.'},
    )
    Citation.objects.filter(pk=citation.pk).update(
        author_names=[
            {"family": "Ng"},
            {"family": None, "given": "Wei"},
            {"family": "Østergaard", "given": "Å"},
        ]
    )
    Claim.objects.filter(pk=claim.pk).update(
        notes='Tab\there, "quoted", back\\slash, \u2028 and \U0001f9ec.',
        updated=timezone.now().replace(microsecond=0),
    )
    bare = Claim.objects.filter(mechanism__isnull=False).exclude(pk=claim.pk).order_by("public_id")[0]
    Claim.objects.filter(pk=bare.pk).update(mechanism=None)
    return claim, bare


def test_every_claim_is_written_as_the_serializer_writes_it(rf, varied):
    request = rf.get("/api/claims/", HTTP_HOST="testserver")
    serializer = ClaimSerializer(context={"request": request})
    claims = claims_with_relations(Claim.objects.for_display())
    assert len(claims) == Claim.objects.count() > 250
    written = claims_json("default", [claim.pk for claim in claims], Links(request))
    assert set(written) == {claim.pk for claim in claims}
    for claim in claims:
        text, statement, quote = written[claim.pk]
        assert (statement, quote) == (claim.statement, claim.quote)
        expected = serializer.to_representation(claim)
        del expected["search_snippet"]
        assert text is not None, claim.public_id
        assert json.loads(text) == expected, claim.public_id
    claim, bare = varied
    shown = json.loads(written[claim.pk][0])
    assert shown["citation_checks"][0]["note"] == 'Says "so" \\ ü\n.'
    assert shown["notes"].endswith("\U0001f9ec.") and shown["mechanism"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown["updated"])  # no fraction of a second
    assert [a["given"] for a in shown["citations"][0]["authors"]][:2] == ["", "Wei"]
    assert json.loads(written[bare.pk][0])["mechanism"] is None


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page_size": 7, "page": 3},
        {"drug": "doxorubicin", "page_size": 50},
        {"q": "exosomes resistance", "page_size": 20},
        {"q": '"drug resistance" OR tamoxifen', "page": 2, "page_size": 5},
        {"ordering": "-section", "page_size": 9},
        {"cursor": "", "page_size": 6},
    ],
)
def test_the_list_reads_the_same_as_the_serializer_writes_it(client, monkeypatch, varied, query):
    written = listed(client, query)
    serializer_path(monkeypatch)
    assert written == listed(client, query)
    assert written["results"]


def test_a_cursor_pages_next_page_reads_the_same(client, monkeypatch):
    first = listed(client, {"cursor": "", "page_size": 4})
    following = client.get(first["next"]).json()
    serializer_path(monkeypatch)
    assert following == client.get(first["next"]).json()


def test_claims_whose_links_need_quoting_are_written_by_the_serializer_in_their_place(client, monkeypatch):
    """A link's lookup with other characters than letters, digits, '-' and '_' is quoted by
    reverse(); such a claim comes from the serializer, the page keeps its order."""
    drug = Drug.objects.get(slug="doxorubicin")
    Drug.objects.filter(pk=drug.pk).update(slug="doxo rubicin")
    mechanism = Mechanism.objects.filter(claims__isnull=False).order_by("slug")[0]
    Mechanism.objects.filter(pk=mechanism.pk).update(slug="mé-chanism")
    odd = Claim.objects.filter(drugs__isnull=True).order_by("public_id")[0]
    Claim.objects.filter(pk=odd.pk).update(public_id="CLM-odd id")
    query = {"page_size": 500}
    written = listed(client, query)
    serializer_path(monkeypatch)
    assert written == listed(client, query)
    by_id = {claim["id"]: claim for claim in written["results"]}
    assert by_id["CLM-odd id"]["url"] == "http://testserver/api/claims/CLM-odd%20id/"
    quoted = [d["url"] for claim in written["results"] for d in claim["drugs"] if d["slug"] == "doxo rubicin"]
    assert quoted and set(quoted) == {"http://testserver/api/drugs/doxo%20rubicin/"}
    assert any(
        claim["mechanism"] and claim["mechanism"]["url"].endswith("/api/mechanisms/m%C3%A9-chanism/")
        for claim in written["results"]
    )


def test_in_another_time_zone_the_serializer_writes_the_page(client, monkeypatch):
    with timezone.override("Asia/Kolkata"):
        written = listed(client, {"page_size": 5})
        serializer_path(monkeypatch)
        assert written == listed(client, {"page_size": 5})
    assert written["results"][0]["created"].endswith("+05:30")


def test_the_page_reads_as_dicts_and_renders_indented_on_request(client):
    response = client.get("/api/claims/", {"page_size": 3})
    results = response.data["results"]
    assert isinstance(results, PageTexts)
    assert [claim["id"] for claim in results] == [claim["id"] for claim in response.json()["results"]]
    assert results[0]["id"] == results[:1][0]["id"]
    indented = client.get("/api/claims/", {"page_size": 3}, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "count"')
    assert json.loads(indented.content) == response.json()


def test_a_claim_deleted_after_its_page_was_counted_is_left_out(rf):
    """Between the page's ids and its JSON another request may delete a claim: the page goes
    on without it instead of failing."""
    from claims.api.page_json import page_texts

    request = rf.get("/api/claims/", HTTP_HOST="testserver")
    first, second = Claim.objects.order_by("public_id").values_list("pk", flat=True)[:2]
    gone = Claim.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    texts = page_texts(
        "default", [first, gone, second], Links(request), snippet=lambda s, q: None, fallback=lambda ids: {}
    )
    assert [claim["id"] for claim in texts] == list(
        Claim.objects.filter(pk__in=[first, second]).order_by("public_id").values_list("public_id", flat=True)
    )


def detail(client, path, **headers):
    response = client.get(path, **headers)
    return response.status_code, response.json(), response.get("ETag")


def test_every_claim_reads_the_same_as_the_serializer_writes_it(client, monkeypatch, varied):
    """The claim detail: one statement writes the claim (claims.api.page_json.claim_json); the
    body and the ETag are those of the serializer's path, search snippet and indentation included."""
    paths = [
        f"/api/claims/{pid}/"
        for pid in Claim.objects.order_by("public_id").values_list("public_id", flat=True)
    ]
    paths += [paths[0] + "?q=exosomes", paths[1] + "?q=%22drug+resistance%22"]
    written = [detail(client, path) for path in paths]
    indented = client.get(paths[0], HTTP_ACCEPT="application/json; indent=2")
    assert isinstance(client.get(paths[0]).data, ClaimText)
    serializer_path(monkeypatch)
    assert written == [detail(client, path) for path in paths]
    assert indented.content.startswith(b'{\n  "id"') and json.loads(indented.content) == written[0][1]
    assert any(body["search_snippet"] for _, body, _ in written[-2:])


def test_a_claim_detail_answers_not_modified_and_not_found_as_before(client):
    path = f"/api/claims/{Claim.objects.order_by('public_id').values_list('public_id', flat=True)[0]}/"
    etag = client.get(path)["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    missing = client.get("/api/claims/CLM-NOPE/")
    assert missing.status_code == 404 and "CLM-NOPE" in missing.json()["detail"]


def test_a_claim_whose_links_need_quoting_is_written_by_the_serializer(client, monkeypatch):
    claim = Claim.objects.filter(drugs__isnull=False).order_by("public_id")[0]
    Claim.objects.filter(pk=claim.pk).update(public_id="CLM-odd id")
    status, body, etag = detail(client, "/api/claims/CLM-odd%20id/")
    assert status == 200 and body["url"] == "http://testserver/api/claims/CLM-odd%20id/"
    serializer_path(monkeypatch)
    assert (status, body, etag) == detail(client, "/api/claims/CLM-odd%20id/")
