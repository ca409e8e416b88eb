"""Counts for a filtered set of claims: facets (one aggregate query per facet) and the total.

Used by the HTML claim browser and by /api/facets/ alike. At 100k claims an aggregate over a
popular drug's claims costs tens of milliseconds, so results are cached, keyed by the filtered
query (the filters resolve names and aliases to sorted primary keys first, so ``drug=ADM`` and
``drug=doxorubicin`` share an entry) and by a data-version stamp read from the database on every
call: any committed write to claims or the entities they name changes the stamp, in every
server process at once.
"""

import functools
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.functional import cached_property

from claims import vocabulary as v
from claims.filters import CITED_CHOICES, REVIEW_ERROR_CHOICES
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Source,
    Target,
)

# How many values a facet lists at most (the busiest first).
FACET_LIMIT = 30
# An upper bound on staleness for writes the stamp cannot see: raw SQL, or an .update() that
# leaves ``updated`` alone on claims or skips the entities' history.
CACHE_SECONDS = 300


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the query string
    label: str
    count: int
    depth: int = 0  # how far below a broader value it sits (the mechanism tree)


def _choice_facet(field, choices):
    labels = dict(choices)

    def count(ids):
        rows = Claim.objects.filter(pk__in=ids).values(field).annotate(n=Count("pk")).order_by("-n", field)
        return [FacetValue(r[field], labels.get(r[field], r[field]), r["n"]) for r in rows]

    return count


def _related_facet(through, value_field, label_field, *, distinct=False):
    """Counts over a link table. Claim-drug, claim-cargo and claim-citation rows are unique per
    pair (Django's M2M tables), so each row is one claim and COUNT(*) is exact; it costs half of
    COUNT(DISTINCT) at 100k claims. A cell line can be linked twice (two roles): ``distinct``."""

    def count(ids):
        rows = (
            through.objects.filter(claim_id__in=ids)
            .values(value_field, label_field)
            .annotate(n=Count("claim_id", distinct=distinct))
            .order_by("-n", label_field)[:FACET_LIMIT]
        )
        return [FacetValue(r[value_field], r[label_field], r["n"]) for r in rows]

    return count


def _cargo_types(ids):
    labels = dict(v.CargoType.choices)
    rows = (
        Claim.cargo.through.objects.filter(claim_id__in=ids)
        .values("cargo__cargo_type")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by("-n")
    )
    return [FacetValue(r["cargo__cargo_type"], labels.get(r["cargo__cargo_type"], ""), r["n"]) for r in rows]


def _mechanisms(ids):
    """The mechanism tree: each mechanism counts its own claims and all its narrower ones', as
    the mechanism filter selects them, so a count is always the length of the list it opens.
    Broad mechanisms first (busiest first), each followed by its narrower ones, indented."""
    rows = list(
        Mechanism.objects.annotate(n=Count("claims", filter=Q(claims__in=ids)))
        .order_by()
        .values_list("pk", "parent_id", "slug", "name", "n")
    )
    children = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)
    totals = {}

    def total(row):
        if row[0] not in totals:
            totals[row[0]] = row[4] + sum(total(child) for child in children.get(row[0], []))
        return totals[row[0]]

    values = []

    def visit(row, depth):
        values.append(FacetValue(row[2], row[3], total(row), depth))
        for child in sorted(children.get(row[0], []), key=lambda r: (-total(r), r[3])):
            if total(child):
                visit(child, depth + 1)

    for root in sorted(children.get(None, []), key=lambda r: (-total(r), r[3])):
        if total(root):
            visit(root, 0)
    return values


def _cited(ids):
    labels = dict(CITED_CHOICES)
    cites = Claim.citations.through.objects.filter(claim_id=OuterRef("pk"))
    rows = (
        Claim.objects.filter(pk__in=ids)
        .annotate(cited=Exists(cites))
        .values("cited")
        .annotate(n=Count("pk"))
        .order_by("-cited")
    )
    return [
        FacetValue("yes" if r["cited"] else "no", labels["yes" if r["cited"] else "no"], r["n"]) for r in rows
    ]


def _review_errors(ids):
    labels = dict(REVIEW_ERROR_CHOICES)
    errors = Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR, claim_id=OuterRef("pk"))
    rows = (
        Claim.objects.filter(pk__in=ids)
        .annotate(recorded=Exists(errors))
        .values("recorded")
        .annotate(n=Count("pk"))
        .order_by("-recorded")
    )
    return [
        FacetValue("yes" if r["recorded"] else "no", labels["yes" if r["recorded"] else "no"], r["n"])
        for r in rows
    ]


def _section_label(number, title):
    return title if number.startswith("fig") or number == "abstract" else f"{number} {title}"


def _sections(ids):
    rows = (
        Claim.objects.filter(pk__in=ids)
        .values("section__number", "section__title", "section__order")
        .annotate(n=Count("pk"))
        .order_by("section__order")
    )
    return [
        FacetValue(r["section__number"], _section_label(r["section__number"], r["section__title"]), r["n"])
        for r in rows
    ]


# One aggregate query each, in the order of claims.filters.FACET_PARAMETERS.
FACETS = {
    "drug": _related_facet(Claim.drugs.through, "drug__slug", "drug__name"),
    "cargo": _related_facet(Claim.cargo.through, "cargo__slug", "cargo__name"),
    "cargo_intervention": _choice_facet("cargo_intervention", v.CargoIntervention.choices),
    "cargo_type": _cargo_types,
    "target": _related_facet(Claim.targets.through, "target__slug", "target__name"),
    "cell_line": _related_facet(ClaimCellLine, "cell_line__slug", "cell_line__name", distinct=True),
    "mechanism": _mechanisms,
    "therapy_class": _choice_facet("therapy_class", v.TherapyClass.choices),
    "direction": _choice_facet("direction", v.Direction.choices),
    "model": _choice_facet("model", v.ModelSystem.choices),
    "status": _choice_facet("status", v.CurationStatus.choices),
    "citation_support": _choice_facet("citation_support", v.CitationSupport.choices),
    "section": _sections,
    "citation": _related_facet(Claim.citations.through, "citation__key", "citation__label"),
    "cited": _cited,
    "review_errors": _review_errors,
}


def data_version(using="default"):
    """A stamp that changes with every committed write to claims or entities, in one query.

    Every part is an index lookup, so it costs well under a millisecond at 100k claims: saves
    bump ``updated`` and add a history row (simple-history), deletes add a history row, and the
    bulk paths (generate_synthetic, its --remove) add or delete a Source and change the top id.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(_data_version_sql(using))
        return tuple(str(value) for value in cursor.fetchone())


@functools.cache
def _data_version_sql(using):
    # Built once: reading ``Model.history`` makes simple-history build a manager class (~0.5 ms
    # each, six of them, on every page with facets; bench/results/profile-postgresql-100000.txt).
    quote = connections[using].ops.quote_name
    claims, sources = quote(Claim._meta.db_table), quote(Source._meta.db_table)
    parts = [f"MAX(id) FROM {claims}", f"MAX(updated) FROM {claims}", f"MAX(id) FROM {sources}"]
    parts += [f"COUNT(*) FROM {sources}"]
    # Flags keep no history: a new flag raises the top id, a resolved one lowers the open count.
    flags = quote(Flag._meta.db_table)
    parts += [f"MAX(id) FROM {flags}", f"COUNT(*) FROM {flags} WHERE resolved_at IS NULL"]
    parts += [
        f"MAX(history_id) FROM {quote(model.history.model._meta.db_table)}"
        for model in (Claim, Drug, Cargo, CellLine, Mechanism, Citation, Target)
    ]
    return "SELECT " + ", ".join(f"(SELECT {part})" for part in parts)


def _cached(kind, claims, compute):
    """``compute()``, or its cached result for the same filtered query and data version."""
    using = claims.db
    # Inside a transaction the rows seen may be uncommitted (and later rolled back), so nothing
    # is read from or written to the cache there.
    if connections[using].in_atomic_block:
        return compute()
    sql, params = claims.query.sql_with_params()
    identity = repr((kind, str(connections[using].settings_dict["NAME"]), sql, params, data_version(using)))
    key = "claim-counts:" + hashlib.sha256(identity.encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = compute()
        cache.set(key, result, CACHE_SECONDS)
    return result


def facet_counts(claims, only=None):
    """{parameter: [FacetValue, …]} for the claims in ``claims`` (a filtered QuerySet).

    ``only`` names the facets wanted (default: all), e.g. the one facet a disjunctive count needs.
    """
    names = [name for name in FACETS if only is None or name in only]
    ids = claims.order_by().values("pk")
    return _cached(("facets", *names), ids, lambda: {name: FACETS[name](ids) for name in names})


def claim_count(claims):
    """How many claims ``claims`` holds; cached like the facets, so paging does not recount."""
    claims = claims.order_by()
    return _cached(("count",), claims.values("pk"), claims.count)


class CachedCountPaginator(Paginator):
    """Django's paginator with the total from ``claim_count`` (one COUNT per filter and data version)."""

    @cached_property
    def count(self):
        return claim_count(self.object_list)
