"""Issue 18, items 7, 8 and 9: concurrent creates and retried requests never duplicate or fail."""

import threading
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from claims.models import Claim, Drug, Flag, Section
from claims.services.claim_writes import claim_create

QUOTE = "However, increased drug efflux could lead to chemoresistance."
CLAIM = {
    "section": "3.1",
    "quote": QUOTE,
    "statement": "More drug efflux can make tumours resistant to chemotherapy.",
    "therapy_class": "chemotherapy",
    "direction": "background",
}


def _in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released together; each closes its own connection."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database serializes every write"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creations_all_succeed_with_distinct_public_ids():
    """Regression (issue 18.7): concurrent creates took the same next public id and failed
    (IntegrityError after five retries) instead of waiting their turn."""
    from django.core.management import call_command

    call_command("load_review", verbosity=0)
    author = User.objects.create_user("racer")
    before = Claim.objects.count()

    def create(i):
        section = Section.objects.get(number="3.1")
        fields = {**CLAIM, "section": section, "statement": f"{CLAIM['statement']} (copy {i})"}
        return claim_create(user=author, **fields).public_id

    ids, errors = _in_threads(20, create)
    assert errors == []
    assert len(set(ids)) == 20
    assert Claim.objects.count() == before + 20


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["drugs", "cargo", "targets", "cell-lines", "mechanisms"])
def test_entities_created_at_once_with_one_name_give_one_201_and_409s_naming_it(kind):
    """Regression (issue 18.8): two creates of one slug at once gave 500 (IntegrityError on the
    unique name) instead of 409 with the entity that won."""
    # An admin: curators have no permission on targets (roles.py), and the race is the point here.
    curator = User.objects.create_user("racer", is_staff=True, is_superuser=True)
    body = {"name": "Racemycin", "slug": "racemycin"}
    if kind == "cargo":
        body["type"] = "mirna"
    if kind == "targets":
        body["type"] = "gene"

    def post(i):
        client = Client()
        client.force_login(curator)
        return client.post(f"/api/{kind}/", body, content_type="application/json")

    responses, errors = _in_threads(8, post)
    assert errors == []
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes and codes.count(201) == 1, [(r.status_code, r.content[:200]) for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["url"].endswith(f"/api/{kind}/racemycin/")
        else:
            assert response.status_code in (201, 400)


# Idempotency-Key on API creates


def _post(client, path, body, key):
    return client.post(path, body, content_type="application/json", headers={"Idempotency-Key": key})


@pytest.mark.django_db
def test_a_retried_claim_create_returns_the_first_result_and_creates_nothing(curator_client):
    """Regression (issue 18.9): a retried POST /api/claims/ created a second claim."""
    key = str(uuid.uuid4())
    first = _post(curator_client, "/api/claims/", CLAIM, key)
    assert first.status_code == 201, first.json()
    count = Claim.objects.count()
    retry = _post(curator_client, "/api/claims/", CLAIM, key)
    assert (retry.status_code, retry.json(), retry["Location"]) == (201, first.json(), first["Location"])
    assert retry["Idempotent-Replayed"] == "true"
    assert Claim.objects.count() == count


@pytest.mark.django_db
def test_a_retried_flag_citation_and_entity_create_creates_nothing(curator_client):
    claim = Claim.objects.order_by("public_id").first()
    cases = [
        (f"/api/claims/{claim.public_id}/flags/", {"kind": "other", "text": "Quote cut short."}, Flag),
        ("/api/drugs/", {"name": "Retrymycin", "slug": "retrymycin"}, Drug),
    ]
    for path, body, model in cases:
        key = str(uuid.uuid4())
        first = _post(curator_client, path, body, key)
        assert first.status_code == 201, first.json()
        count = model.objects.count()
        retry = _post(curator_client, path, body, key)
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert model.objects.count() == count


@pytest.mark.django_db
def test_a_key_reused_with_another_body_is_refused_and_creates_nothing(curator_client):
    key = str(uuid.uuid4())
    assert (
        _post(curator_client, "/api/drugs/", {"name": "Keymycin", "slug": "keymycin"}, key).status_code == 201
    )
    count = Drug.objects.count()
    other = _post(curator_client, "/api/drugs/", {"name": "Othermycin", "slug": "othermycin"}, key)
    assert other.status_code == 422
    assert "already used for a different request" in other.json()["detail"]
    assert Drug.objects.count() == count


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(curator_client):
    key = str(uuid.uuid4())
    refused = _post(curator_client, "/api/drugs/", {"name": ""}, key)
    assert refused.status_code == 400
    fixed = _post(curator_client, "/api/drugs/", {"name": "Fixmycin", "slug": "fixmycin"}, key)
    assert fixed.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve-key", "two words"])
def test_a_malformed_key_is_a_400_naming_the_header(curator_client, key):
    response = _post(curator_client, "/api/drugs/", {"name": "Badkeymycin", "slug": "badkeymycin"}, key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Drug.objects.filter(slug="badkeymycin").exists()


# The site's claim form


@pytest.mark.django_db
def test_submitting_the_claim_form_twice_creates_one_claim_and_shows_it(curator_client):
    """Regression (issue 18.9): a double-submitted claim form created two claims."""
    page = curator_client.get("/claims/new/")
    token = page.context["form"]["form_token"].value()
    assert token and f'value="{token}"' in page.content.decode()
    data = {
        **CLAIM,
        "citation_support": "not_checked",
        "model": "not_stated",
        "form_token": token,
        "action": "save",
    }
    count = Claim.objects.count()
    first = curator_client.post("/claims/new/", data)
    assert first.status_code == 302
    second = curator_client.post("/claims/new/", data, follow=True)
    assert Claim.objects.count() == count + 1
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "This form was already submitted" in second.content.decode()
