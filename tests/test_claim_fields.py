"""A claim's fields are defined once (claims/services/claim_fields.py): every door offers each of
them, and the edit summary travels through the API into the claim's history."""

import json

import pytest

from claims.admin.forms import INLINE_RELATIONS, ClaimAdminForm
from claims.api.serializers import ClaimWriteSerializer
from claims.models import Citation, Claim
from claims.services.claim_fields import FIELD_NAMES

pytestmark = pytest.mark.django_db
QUOTE = "However, increased drug efflux could lead to chemoresistance."


def _post(client, path, payload, method="post"):
    return getattr(client, method)(path, data=json.dumps(payload), content_type="application/json")


def _payload(**changes):
    return {
        "section": "3.1",
        "quote": QUOTE,
        "statement": "Raising drug efflux can make cancer cells chemoresistant.",
        "therapy_class": "chemotherapy",
        "direction": "promotes_resistance",
        "citations": [Citation.objects.filter(claims__section__number="3.1").order_by("key").first().key],
        "drugs": ["doxorubicin"],
        "allow_duplicate": True,
        **changes,
    }


def test_the_api_takes_every_field_of_a_claim():
    writable = {name for name, field in ClaimWriteSerializer().fields.items() if not field.read_only}
    assert writable == {*FIELD_NAMES, "allow_duplicate", "change_reason"}


def test_the_admin_form_takes_every_field_of_a_claim_or_its_inline_rows():
    assert set(ClaimAdminForm.base_fields) | set(INLINE_RELATIONS) >= set(FIELD_NAMES)


def test_an_api_creation_keeps_its_edit_summary_in_the_history(curator_client, curator):
    response = _post(curator_client, "/api/claims/", _payload(change_reason="Added by the import script."))
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(public_id=response.json()["id"])
    (record,) = claim.history.all()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        curator,
        "Added by the import script.",
    )
    html = curator_client.get(f"/claims/{claim.public_id}/history/").content.decode()
    assert "Created by curator" in html and "Edit summary: “Added by the import script.”" in html


def test_an_api_update_keeps_its_edit_summary_in_the_history(curator_client):
    created = _post(curator_client, "/api/claims/", _payload()).json()
    response = _post(
        curator_client,
        f"/api/claims/{created['id']}/",
        {"notes": "Checked.", "change_reason": "Noted the check."},
        method="patch",
    )
    assert response.status_code == 200, response.content
    record = Claim.objects.get(public_id=created["id"]).history.first()
    assert (record.notes, record.history_change_reason) == ("Checked.", "Noted the check.")


def test_an_overlong_edit_summary_is_refused_by_name_and_nothing_is_created(curator_client):
    count = Claim.objects.count()
    response = _post(curator_client, "/api/claims/", _payload(change_reason="x" * 101))
    assert response.status_code == 400
    assert "change_reason" in json.dumps(response.json())
    assert Claim.objects.count() == count
