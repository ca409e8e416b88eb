"""``Idempotency-Key`` on API creates: a retried POST returns the first result and creates nothing.

A client that did not see the answer to a create (a timeout, a dropped connection) sends the same
request again with the same key. The key row is inserted in the same transaction as what the
request creates, so the two commit together or not at all, and a concurrent retry waits on the
key's unique index until the first request finishes, then replays its result. Only successful
results are kept: a refused request can be corrected and sent again under the same key.
The key is scoped to the signed-in user; the fingerprint (method, path and body) tells a retry
from a different request reusing a key, which is refused (422).

Keys expire after ``settings.IDEMPOTENCY_KEY_TTL`` (24 hours unless set): a retry comes within
minutes, and a client reusing a key a day later means a new request, which is treated as new.
Expired keys are deleted: a user's own each time they send a key (one indexed DELETE), everyone's
with ``manage.py purge_idempotency_keys`` (for a daily cron), so the table stays the size of a
day's creates. The site's one-time form tokens (claims/services/claim_writes.py) live in the same
table and are purged alike.
"""

import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from claims.models import IdempotencyKey
from claims.services.idempotency_keys import idempotency_keys_purge

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII: keys are opaque tokens (UUIDs, as a rule) and end up in logs.
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _fingerprint(request):
    data = request.data
    if hasattr(data, "lists"):  # form-encoded: a QueryDict
        data = {name: values for name, values in data.lists()}
    body = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record, fingerprint):
    if record.fingerprint != fingerprint:
        raise KeyReused(
            f"The {HEADER} '{record.key}' was already used for a different request (another "
            "endpoint or body); send a new key with a new request."
        )
    headers = {REPLAYED_HEADER: "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)


def _take(user, key, fingerprint):
    """The key's new row, or None when a live earlier request holds the key."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        # Taken by an earlier request, or by one that just committed (we waited on it).
        return None


def idempotent(handler):
    """Make a create handler (a POST) honour the Idempotency-Key header."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not _KEY.match(key):
            raise ValidationError({HEADER: ["Must be 1 to 255 visible ASCII characters (a UUID, say)."]})
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            # The key itself, if expired, goes too: this request is then new.
            idempotency_keys_purge(user=request.user)
            record = _take(request.user, key, fingerprint)
            if record is None:
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), fingerprint)
            response = handler(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            record.status_code, record.body = response.status_code, response.data
            record.location = response.get("Location", "")[:500]
            record.save(update_fields=["status_code", "body", "location"])
        return response

    return wrapper
