"""How long idempotency records live, and their removal once expired.

One table (claims.models.IdempotencyKey) holds the API's Idempotency-Key records
(claims.api.idempotency) and the site forms' one-time tokens (claims.services.claim_writes);
both expire after ``settings.IDEMPOTENCY_KEY_TTL``.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from claims.models import IdempotencyKey


def key_lifetime() -> datetime.timedelta:
    return settings.IDEMPOTENCY_KEY_TTL


def idempotency_keys_purge(*, user: User | None = None) -> int:
    """Delete the expired records (of ``user`` only, if given); returns how many."""
    expired = IdempotencyKey.objects.filter(created__lt=timezone.now() - key_lifetime())
    if user is not None:
        expired = expired.filter(user=user)
    return expired.delete()[0]
