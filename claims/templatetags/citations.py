"""Template helpers for a claim's cited works: each citation beside the curator's check of it."""

from dataclasses import dataclass

from django import template

register = template.Library()


@dataclass(frozen=True)
class CitedWork:
    citation: object
    check: object  # the CitationCheck of this claim against this work, or None


@register.filter
def cited_works(claim):
    """[(citation, check)] in the claim's citation order, from the relations claims.selectors
    loaded (no query)."""
    checks = {check.citation_id: check for check in claim.loaded_citation_checks}
    return [CitedWork(citation, checks.get(citation.pk)) for citation in claim.loaded_citations]
