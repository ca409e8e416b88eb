"""Rows that make writes safe to race and to retry: the public-id counter, and idempotency keys."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Counter(models.Model):
    """A named counter whose row is the lock: an UPDATE on it serializes whoever allocates next
    (a row lock on PostgreSQL, the write lock on SQLite), so no two writers take the same number."""

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class IdempotencyKey(models.Model):
    """A create request's ``Idempotency-Key`` (or a site form's one-time token) and its result.

    A retry with the same key by the same user gets the stored result instead of a second
    resource; the fingerprint (method, path and body) tells a retry from a different request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    location = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
