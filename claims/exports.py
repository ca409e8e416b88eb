"""One flat row per claim: the column set shared by CSV downloads, admin exports and releases.

Expects claims fetched with ``Claim.objects.with_relations()`` so a row costs no query.
"""

from claims.models.claim_relations import related

LIST_SEPARATOR = "; "

CSV_COLUMNS = [
    "id", "url", "statement", "quote", "section", "quote_start", "quote_end", "citations",
    "citation_dois", "citation_pmids", "citation_pmcids", "citation_resolutions", "citation_supports", "drugs", "cargo", "cargo_types", "cargo_intervention", "targets", "cell_lines", "exosome_source", "mechanism",
    "therapy_class", "direction", "model", "status", "citation_support", "notes", "created", "updated",
]  # fmt: skip


def _join(values):
    return LIST_SEPARATOR.join(str(v) for v in values if v)


def _aligned(values):
    return LIST_SEPARATOR.join(str(v) for v in values)


def claim_csv_row(claim, base_url=""):
    """The claim as a dict keyed by CSV_COLUMNS (lists joined with '; ')."""
    citations = related(claim, "citations")
    checks = {check.citation_id: check.support for check in related(claim, "citation_checks")}
    cargo = related(claim, "cargo")
    return {
        "id": claim.public_id,
        "url": base_url + claim.get_absolute_url(),
        "statement": claim.statement,
        "quote": claim.quote,
        "section": claim.section.number,
        "quote_start": claim.quote_start,
        "quote_end": claim.quote_end,
        "citations": _join(c.key for c in citations),
        # One value per citation, in the order of "citations", empty where missing: the columns
        # line up when split on the separator.
        "citation_dois": _aligned(c.doi for c in citations),
        "citation_pmids": _aligned(c.pmid for c in citations),
        "citation_pmcids": _aligned(c.pmcid for c in citations),
        "citation_resolutions": _aligned(c.resolution for c in citations),
        "citation_supports": _aligned(checks.get(c.pk, "") for c in citations),
        "drugs": _join(d.slug for d in related(claim, "drugs")),
        "cargo": _join(c.slug for c in cargo),
        "cargo_types": _join(sorted({c.cargo_type for c in cargo})),
        "cargo_intervention": claim.cargo_intervention,
        "targets": _join(t.slug for t in related(claim, "targets")),
        "cell_lines": _join(
            f"{link.cell_line.slug} ({link.role})" for link in related(claim, "cell_line_links")
        ),
        "exosome_source": claim.exosome_source,
        "mechanism": claim.mechanism.slug if claim.mechanism_id else "",
        "therapy_class": claim.therapy_class,
        "direction": claim.direction,
        "model": claim.model,
        "status": claim.status,
        "citation_support": claim.citation_support,
        "notes": claim.notes,
        "created": claim.created.isoformat(),
        "updated": claim.updated.isoformat(),
    }
