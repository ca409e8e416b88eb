"""Idempotency keys expire (issue 18, item 9's leftovers): a key older than
``IDEMPOTENCY_KEY_TTL`` (24 hours unless set) names a new request, and expired keys are purged,
by the user's next keyed request and by ``manage.py purge_idempotency_keys``."""

import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from claims.models import Claim, Flag, IdempotencyKey
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _flag(client, key, text="Quote cut short."):
    claim = Claim.objects.order_by("public_id").first()
    return client.post(
        f"/api/claims/{claim.public_id}/flags/",
        {"kind": "other", "text": text},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _age(key, **delta):
    IdempotencyKey.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(**delta))


def test_a_retry_within_a_day_replays_the_first_result(curator_client):
    key = str(uuid.uuid4())
    first = _flag(curator_client, key)
    _age(key, hours=23, minutes=59)
    count = Flag.objects.count()
    retry = _flag(curator_client, key)
    assert (retry.status_code, retry.json(), retry["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert Flag.objects.count() == count


def test_a_key_older_than_a_day_is_treated_as_new(curator_client):
    key = str(uuid.uuid4())
    first = _flag(curator_client, key)
    _age(key, hours=24, minutes=1)
    count = Flag.objects.count()
    again = _flag(curator_client, key)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert Flag.objects.count() == count + 1
    # The key now holds the new result: a retry replays that one.
    assert _flag(curator_client, key).json() == again.json()


def test_an_expired_key_may_carry_a_different_request(curator_client):
    key = str(uuid.uuid4())
    _flag(curator_client, key)
    assert _flag(curator_client, key, text="Another problem.").status_code == 422
    _age(key, days=2)
    assert _flag(curator_client, key, text="Another problem.").status_code == 201


def test_the_lifetime_is_a_setting(curator_client, settings):
    settings.IDEMPOTENCY_KEY_TTL = datetime.timedelta(minutes=5)
    key = str(uuid.uuid4())
    first = _flag(curator_client, key)
    _age(key, minutes=4)
    assert _flag(curator_client, key).json() == first.json()
    _age(key, minutes=6)
    assert _flag(curator_client, key).json() != first.json()


def test_a_keyed_request_purges_the_senders_expired_keys_only(curator, curator_client):
    other = make_user("someone")
    for user, key in [(curator, "old-mine"), (other, "old-theirs"), (curator, "fresh-mine")]:
        IdempotencyKey.objects.create(user=user, key=key, fingerprint="x")
    _age("old-mine", days=3)
    _age("old-theirs", days=3)
    _flag(curator_client, str(uuid.uuid4()))
    left = set(IdempotencyKey.objects.values_list("key", flat=True))
    assert {"old-theirs", "fresh-mine"} <= left and "old-mine" not in left


def test_the_purge_command_deletes_every_expired_key_and_form_token(curator):
    other = make_user("someone")
    for user, key in [(curator, "old"), (other, "form:" + "0" * 32), (other, "fresh")]:
        IdempotencyKey.objects.create(user=user, key=key, fingerprint="x")
    _age("old", hours=25)
    _age("form:" + "0" * 32, days=30)
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 2 idempotency key(s) older than 1 day" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
