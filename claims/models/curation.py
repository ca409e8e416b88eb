"""The curation trail: status transitions and flags raised on claims."""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from claims import vocabulary as v
from claims.models.claim import Claim


class StatusChange(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=v.CurationStatus.choices)
    to_status = models.CharField(max_length=20, choices=v.CurationStatus.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=v.CurationStatus.values), name="status_change_from_valid"
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=v.CurationStatus.values), name="status_change_to_valid"
            ),
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="status_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}: {self.from_status} → {self.to_status}"


class FlagQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(resolved_at__isnull=True)


class Flag(models.Model):
    """A problem raised on a claim, by a reader, a curator, or the transcription itself."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=v.FlagKind.choices)
    text = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "raised_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=v.FlagKind.values), name="flag_kind_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="flag_text_not_empty"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(resolution=""), name="flag_resolution_needs_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.claim}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
