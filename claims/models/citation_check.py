"""A curator's check of one claim against one of the papers it cites."""

from collections.abc import Iterable
from typing import Self

from django.db import models
from django.db.models import Q

from claims import vocabulary as v
from claims.models.citation import Citation
from claims.models.claim import Claim


class CitationCheckQuerySet(models.QuerySet):
    def flagged(self) -> Self:
        return self.filter(support__in=v.FLAGGED_SUPPORT)


class CitationCheck(models.Model):
    """Does ``citation`` support ``claim`` as the review states it, and how deep was it checked?"""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citation_checks")
    citation = models.ForeignKey(Citation, on_delete=models.CASCADE, related_name="checks")
    support = models.CharField(max_length=20, choices=v.CitationSupport.choices)
    note = models.TextField(blank=True, help_text="What the paper shows, in the curator's words")
    record = models.CharField(
        max_length=500, blank=True, help_text="The record checked: PMID:27941677, DOI:10.…, or its address"
    )
    level = models.CharField(max_length=12, choices=v.CheckLevel.choices, default=v.CheckLevel.ABSTRACT)
    checked = models.DateField(null=True, blank=True)

    objects = CitationCheckQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "citation__first_author", "citation__year", "citation__year_suffix", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "citation"], name="citation_check_unique"),
            models.CheckConstraint(
                condition=Q(support__in=v.CitationSupport.values), name="citation_check_support_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=v.CheckLevel.values), name="citation_check_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} ← {self.citation}: {self.get_support_display()}"


def summarise_support(verdicts: Iterable[str]) -> str:
    """One verdict for a claim from its per-citation verdicts (the claim's ``citation_support``).

    Any contradiction wins; all alike stays as it is; support from some papers but not all is
    "partly"; otherwise the paper(s) could not confirm it without the full text.
    """
    S = v.CitationSupport
    checked = [s for s in verdicts if s != S.NOT_CHECKED]
    if not checked:
        return S.NOT_CHECKED
    if S.CONTRADICTED in checked:
        return S.CONTRADICTED
    if len(set(checked)) == 1:
        return checked[0]
    if S.SUPPORTED in checked or S.PARTLY in checked:
        return S.PARTLY
    if S.MISATTRIBUTED in checked and S.NOT_IN_ABSTRACT not in checked:
        return S.MISATTRIBUTED
    return S.NOT_IN_ABSTRACT
