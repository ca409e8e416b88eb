"""Template helpers for a claim's cited works: each citation beside the curator's check of it."""

from dataclasses import dataclass

from django import template

from claims.models.claim_relations import related

register = template.Library()


@dataclass(frozen=True)
class CitedWork:
    citation: object
    check: object  # the CitationCheck of this claim against this work, or None


@register.filter
def cited_works(claim):
    """[(citation, check)] in the claim's citation order, read from the attached relations (no query)."""
    checks = {check.citation_id: check for check in related(claim, "citation_checks")}
    return [CitedWork(citation, checks.get(citation.pk)) for citation in related(claim, "citations")]
