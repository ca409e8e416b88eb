"""Validators a cache can trust: a claim's ETag follows everything its representation shows, lists
and downloads carry a validator and answer If-None-Match, and one URL serving several formats
says so with Vary: Accept.
"""

import pytest

from claims.models import Citation, Claim

pytestmark = pytest.mark.django_db


def a_claim_with_a_drug():
    claim = Claim.objects.filter(drugs__isnull=False).order_by("public_id").first()
    return claim, claim.drugs.order_by("slug").first()


def test_a_claims_etag_changes_when_a_linked_record_it_shows_changes(client, curator_client):
    # The claim's JSON shows its drugs' names: renaming one changes the representation, not the
    # claim's version, so an ETag of the version alone would still answer 304.
    claim, drug = a_claim_with_a_drug()
    url = f"/api/claims/{claim.public_id}/"
    before = client.get(url)
    renamed = curator_client.patch(
        f"/api/drugs/{drug.slug}/", {"name": f"{drug.name} (renamed)"}, content_type="application/json"
    )
    assert renamed.status_code == 200, renamed.content
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert f"{drug.name} (renamed)" in [d["name"] for d in after.json()["drugs"]]
    assert after["ETag"] != before["ETag"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/claims/?drug=cisplatin",
        "/api/claims/?drug=cisplatin&format=csv",
        "/api/claims/{id}/?format=jsonld",
        "/api/citations/",
        "/api/citations/?format=bibtex",
        "/api/citations/{key}/",
    ],
)
def test_lists_and_downloads_carry_a_validator_and_answer_if_none_match(client, url):
    claim, _ = a_claim_with_a_drug()
    url = url.format(id=claim.public_id, key=claim.citations.order_by("key").first().key)
    first = client.get(url)
    assert first.status_code == 200
    assert first.has_header("ETag"), dict(first.items())
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", ["/api/claims/", "/api/claims/{id}/", "/api/citations/"])
def test_urls_serving_several_formats_vary_on_accept(client, url):
    claim, _ = a_claim_with_a_drug()
    response = client.get(url.format(id=claim.public_id))
    assert response.status_code == 200
    assert "accept" in [value.strip().lower() for value in response["Vary"].split(",")]


def test_if_match_with_a_representation_etag_still_locks_on_the_claims_version(client, curator_client):
    # Renaming a linked drug changes the claim's ETag but not its version: an If-Match holding
    # the older ETag still applies, and one holding an older version is refused.
    claim, drug = a_claim_with_a_drug()
    url = f"/api/claims/{claim.public_id}/"
    etag = client.get(url)["ETag"]
    curator_client.patch(
        f"/api/drugs/{drug.slug}/", {"name": f"{drug.name} II"}, content_type="application/json"
    )
    applied = curator_client.patch(
        url, {"notes": "Checked."}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert applied.status_code == 200, applied.content
    assert applied["ETag"] != etag
    # the write answers with the ETag a read of the claim's address now gives
    assert client.get(url, HTTP_IF_NONE_MATCH=applied["ETag"]).status_code == 304
    stale = curator_client.patch(
        url, {"notes": "Again."}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert client.get(url).json()["notes"] == "Checked."


def test_a_list_etag_changes_with_the_data_and_the_format(client, curator_client):
    claim, drug = a_claim_with_a_drug()
    url = f"/api/claims/?drug={drug.slug}"
    page, csv = client.get(url)["ETag"], client.get(f"{url}&format=csv")["ETag"]
    assert page.startswith('W/"') and page != csv
    curator_client.patch(
        f"/api/drugs/{drug.slug}/", {"name": f"{drug.name} II"}, content_type="application/json"
    )
    assert client.get(url, HTTP_IF_NONE_MATCH=page).status_code == 200


def test_a_citations_etag_changes_when_its_record_changes(client, curator_client):
    citation = Citation.objects.order_by("key").first()
    url = f"/api/citations/{citation.key}/"
    before = client.get(url)
    title = f"{citation.title} (corrected)"
    changed = curator_client.patch(url, {"title": title}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after.json()["title"] == title


def test_the_etag_of_a_compressed_claim_works_for_if_match(curator_client):
    # GZipMiddleware makes a strong ETag weak; a client that sends Accept-Encoding: gzip (most do)
    # must still be able to write with the ETag it read.
    claim, _ = a_claim_with_a_drug()
    url = f"/api/claims/{claim.public_id}/"
    etag = curator_client.get(url, HTTP_ACCEPT_ENCODING="gzip")["ETag"]
    assert etag.startswith('W/"')
    applied = curator_client.patch(
        url, {"notes": "Checked."}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert applied.status_code == 200, applied.content
    stale = curator_client.patch(
        url, {"notes": "Again."}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
