"""Search and entity filters that know the vocabulary (issue 13): one name resolver (name, slug,
alias, misprint, miRNA spellings) behind filters, forms and free-text search, on every database."""

import re
from html import unescape

import pytest

from claims import vocabulary as v
from claims.models import Cargo, Claim, Drug
from tests.factories import make_claim as new_claim
from tests.pages import listed, page_html, result_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirnas(curator):
    """A drug and two miRNAs whose claims never spell them out: only the links name them."""
    drug = Drug.objects.create(
        name="Testaplatin", slug="testaplatin", aliases=["Testceptin"], misprints=["Tsetaplatin"]
    )
    mature = Cargo.objects.create(name="miR-9155", slug="mir-9155", cargo_type=v.CargoType.MIRNA)
    arm = Cargo.objects.create(name="miR-9156-3p", slug="mir-9156-3p", cargo_type=v.CargoType.MIRNA)
    other = Cargo.objects.create(name="miR-9156", slug="mir-9156", cargo_type=v.CargoType.MIRNA)
    return {
        "drug": drug,
        "mature": new_claim(
            curator, drugs=[drug], cargo=[mature], statement="Test: the first one is carried."
        ),
        "arm": new_claim(curator, cargo=[arm], statement="Test: the second one is carried."),
        "other": new_claim(curator, cargo=[other], statement="Test: the third one is carried."),
    }


def _found(client, query):
    return listed(client.get("/claims/", {"q": query, "background": "show"}))


def _api_found(client, query):
    return [c["id"] for c in client.get("/api/claims/", {"q": query, "page_size": 500}).json()["results"]]


@pytest.mark.parametrize(
    "query", ["miR-9155", "mir-9155", "miR9155", "MIR9155", "hsa-miR-9155", "hsa-miR-9155-5p"]
)
def test_a_mirna_is_found_by_any_of_its_spellings(client, mirnas, query):
    assert _found(client, query) == [mirnas["mature"].public_id]
    assert _api_found(client, query) == [mirnas["mature"].public_id]


def test_an_arm_that_names_an_entity_finds_that_entity_only(client, mirnas):
    assert _found(client, "hsa-miR-9156-3p") == [mirnas["arm"].public_id]
    # (The text of miR-9156-3p's claim contains "mir-9156" too, so the mature name finds both.)
    assert mirnas["other"].public_id in _found(client, "miR9156")
    # An arm naming nothing falls back to the mature miRNA.
    assert _found(client, "miR-9156-5p") == [mirnas["other"].public_id]


def test_the_words_of_a_query_may_each_match_through_an_entity(client, mirnas):
    assert _found(client, "testceptin miR9155") == [mirnas["mature"].public_id]
    assert _found(client, "testceptin miR9156") == []
    assert _found(client, "tsetaplatin carried") == [mirnas["mature"].public_id]


@pytest.mark.parametrize("value", ["miR9155", "hsa-miR-9155-5p", "MIR-9155"])
def test_the_cargo_filter_takes_the_same_spellings(client, mirnas, value):
    assert listed(client.get("/claims/", {"cargo": value, "background": "show"})) == [
        mirnas["mature"].public_id
    ]
    assert client.get("/api/claims/", {"cargo": value}).json()["count"] == 1


def test_the_drug_filter_takes_a_misprint(client, mirnas):
    assert listed(client.get("/claims/", {"drug": "TSETAPLATIN", "background": "show"})) == [
        mirnas["mature"].public_id
    ]


def test_the_claim_form_resolves_the_same_spellings(curator_client, mirnas):
    from claims.forms import ClaimForm

    claim = mirnas["other"]
    data = {k: val for k, val in ClaimForm.initial_for(claim).items() if val is not None}
    data.update(cargo="hsa-miR-9155-5p", drugs="tsetaplatin", action="save", not_duplicate="on")
    response = curator_client.post(f"/claims/{claim.public_id}/edit/", data)
    assert response.status_code == 302, page_html(response)[:2000]
    claim.refresh_from_db()
    assert [c.slug for c in claim.cargo.all()] == ["mir-9155"]
    assert [d.slug for d in claim.drugs.all()] == ["testaplatin"]


def test_an_entity_name_that_is_a_search_word_still_combines_with_other_filters(client, mirnas):
    response = client.get("/claims/", {"q": "miR9155", "direction": "promotes_resistance"})
    assert response.status_code == 200 and listed(response) == []
    facets = client.get("/api/facets/", {"q": "miR9155"}).json()
    assert facets["count"] == 1


def test_every_search_the_home_page_suggests_finds_claims(client):
    home = page_html(client.get("/"))
    examples = re.findall(r'<a href="([^"]+)" class="search-example">([^<]+)</a>', home)
    assert examples
    placeholder = re.search(r'id="home-q" name="q" placeholder="e\.g\. ([^"]+)"', home).group(1)
    assert unescape(placeholder) in [unescape(text) for _, text in examples]
    for url, text in examples:
        response = client.get(unescape(url))
        assert response.status_code == 200
        assert result_count(response) > 0, text


def test_search_still_needs_every_word(client, mirnas):
    assert _found(client, "miR9155 nosuchwordanywhere") == []
    assert Claim.objects.search("miR9155").count() == 1
