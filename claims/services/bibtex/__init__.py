"""BibTeX import and export for citations (bibtexparser 2).

- ``bibtex_import(data=..., user=..., dry_run=...)`` reads a .bib file, reconciles it with the
  citations (DOI first, then first author + year + suffix against the review's labels) and
  writes it in one transaction; see ``reconcile`` for the matching rules.
- ``citations_to_bibtex(citations)`` / ``citations_to_bibtex_stream(citations)`` write BibTeX;
  ``citations_of_claims(claims)`` selects the citations behind a set of claims.
"""

from claims.services.bibtex.export import (
    citation_to_bibtex,
    citations_of_claims,
    citations_to_bibtex,
    citations_to_bibtex_stream,
)
from claims.services.bibtex.importing import ImportReport, PlanChanged, bibtex_import
from claims.services.bibtex.parse import BibtexRefused, Problem

__all__ = [
    "BibtexRefused",
    "ImportReport",
    "PlanChanged",
    "Problem",
    "bibtex_import",
    "citation_to_bibtex",
    "citations_of_claims",
    "citations_to_bibtex",
    "citations_to_bibtex_stream",
]
