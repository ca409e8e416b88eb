"""Facet counts for a filtered set of claims: one aggregate query per facet, whatever the size.

Used by the HTML claim browser and by /api/facets/ alike.
"""

from dataclasses import dataclass

from django.db.models import Count

from claims import vocabulary as v
from claims.models import Claim, ClaimCellLine

# How many values a facet lists at most (the busiest first).
FACET_LIMIT = 30


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the query string
    label: str
    count: int


def _choice_facet(claim_ids, field, choices):
    labels = dict(choices)
    rows = Claim.objects.filter(pk__in=claim_ids).values(field).annotate(n=Count("pk")).order_by("-n", field)
    return [FacetValue(r[field], labels.get(r[field], r[field]), r["n"]) for r in rows]


def _related_facet(through, claim_ids, value_field, label_field):
    rows = (
        through.objects.filter(claim_id__in=claim_ids)
        .values(value_field, label_field)
        .annotate(n=Count("claim_id", distinct=True))
        .order_by("-n", label_field)[:FACET_LIMIT]
    )
    return [FacetValue(r[value_field], r[label_field], r["n"]) for r in rows]


def facet_counts(claims):
    """{parameter: [FacetValue, …]} for the claims in ``claims`` (a filtered QuerySet)."""
    ids = claims.order_by().values("pk")
    cargo_types = dict(v.CargoType.choices)
    type_rows = (
        Claim.cargo.through.objects.filter(claim_id__in=ids)
        .values("cargo__cargo_type")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by("-n")
    )
    mechanisms = (
        Claim.objects.filter(pk__in=ids, mechanism__isnull=False)
        .values("mechanism__slug", "mechanism__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "mechanism__name")
    )
    sections = (
        Claim.objects.filter(pk__in=ids)
        .values("section__number", "section__title", "section__order")
        .annotate(n=Count("pk"))
        .order_by("section__order")
    )
    return {
        "drug": _related_facet(Claim.drugs.through, ids, "drug__slug", "drug__name"),
        "cargo": _related_facet(Claim.cargo.through, ids, "cargo__slug", "cargo__name"),
        "cargo_type": [
            FacetValue(r["cargo__cargo_type"], cargo_types.get(r["cargo__cargo_type"], ""), r["n"])
            for r in type_rows
        ],
        "cell_line": _related_facet(ClaimCellLine, ids, "cell_line__slug", "cell_line__name"),
        "mechanism": [FacetValue(r["mechanism__slug"], r["mechanism__name"], r["n"]) for r in mechanisms],
        "therapy_class": _choice_facet(ids, "therapy_class", v.TherapyClass.choices),
        "direction": _choice_facet(ids, "direction", v.Direction.choices),
        "model": _choice_facet(ids, "model", v.ModelSystem.choices),
        "status": _choice_facet(ids, "status", v.CurationStatus.choices),
        "citation_support": _choice_facet(ids, "citation_support", v.CitationSupport.choices),
        "section": [
            FacetValue(
                r["section__number"],
                f"{r['section__number']} {r['section__title']}"
                if not r["section__number"].startswith("fig") and r["section__number"] != "abstract"
                else r["section__title"],
                r["n"],
            )
            for r in sections
        ],  # fmt: skip
        "citation": _related_facet(Claim.citations.through, ids, "citation__key", "citation__label"),
    }
