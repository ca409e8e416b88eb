"""The overview (/): what ExoClaims holds, where to start, and the charts that summarise it.

Each chart is one aggregate query, so the page costs the same however many claims there are,
and all of them are cached until the data changes.
"""

import hashlib
from collections import defaultdict
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims import vocabulary as v
from claims.charts import Cell, Matrix, MatrixRow, bar_chart, heat_level
from claims.data_version import CACHE_SECONDS, data_version
from claims.models import Cargo, CellLine, Citation, Claim, Drug, Flag, Mechanism, Source

TOP_ENTITIES = 10
GAP_DRUGS, GAP_CARGO = 10, 20


def _claims_url(**params):
    """A link to the claim list; counts that include background statements pass background="show"
    so that the list they open holds exactly the claims they count."""
    return f"{reverse('claims:claim-list')}?{urlencode(params)}"


def _mechanism_rows(mechanisms, counts):
    """Mechanisms with claims, each broad one followed by its narrower ones.

    A broad mechanism's row adds its direct children's claims, as the mechanism filter does, so
    every cell counts exactly the claims its link lists.
    """
    children = defaultdict(list)
    for mechanism in mechanisms.values():
        children[mechanism.parent_id].append(mechanism)

    def totals(mechanism):
        row = dict(counts.get(mechanism.pk, {}))
        for child in children[mechanism.pk]:
            for therapy, n in counts.get(child.pk, {}).items():
                row[therapy] = row.get(therapy, 0) + n
        return row

    ordered = []

    def visit(mechanism, depth):
        row = totals(mechanism)
        if sum(row.values()):
            ordered.append((mechanism, depth, row))
        for child in sorted(children[mechanism.pk], key=lambda m: -sum(totals(m).values())):
            visit(child, depth + 1)

    for root in sorted(children[None], key=lambda m: -sum(totals(m).values())):
        visit(root, 0)
    return ordered


def mechanism_by_therapy():
    """Claims per mechanism × therapy class, as a heat map whose cells link to the claim list."""
    counts = defaultdict(dict)
    rows = (
        Claim.objects.filter(mechanism__isnull=False)
        .values_list("mechanism_id", "therapy_class")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for mechanism_id, therapy, n in rows:
        counts[mechanism_id][therapy] = n
    mechanisms = {m.pk: m for m in Mechanism.objects.only("pk", "slug", "name", "parent_id")}
    ordered = _mechanism_rows(mechanisms, counts)
    largest = max((n for _, _, row in ordered for n in row.values()), default=0)
    matrix = Matrix(
        columns=[(label, _claims_url(therapy_class=value)) for value, label in v.TherapyClass.choices]
    )
    for mechanism, depth, row in ordered:
        cells = [
            Cell(
                row.get(value, 0),
                heat_level(row.get(value, 0), largest),
                _claims_url(mechanism=mechanism.slug, therapy_class=value, background="show")
                if row.get(value)
                else "",
                f"{mechanism.name}, {label}: {row.get(value, 0)} claims",
            )
            for value, label in v.TherapyClass.choices
        ]
        matrix.rows.append(
            MatrixRow(mechanism.name, mechanism.get_absolute_url(), cells, sum(row.values()), depth)
        )
    return matrix


def _top(model, limit, *fields):
    rows = model.objects.with_claim_counts().filter(claim_count__gt=0).order_by("-claim_count", "name")
    return list(rows.only("slug", "name", *fields)[:limit])


def search_examples(drugs, cargo):
    """Searches the home page suggests, built from the data so that each finds claims: the
    busiest drug × cargo pair, a drug by one of its aliases, a miRNA as miRBase spells it."""
    examples = []
    pair = (
        Claim.objects.filter(drugs__isnull=False, cargo__isnull=False)
        .values_list("drugs__name", "cargo__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "drugs__name", "cargo__name")
        .first()
    )
    if pair:
        examples.append(f"{pair[0]} {pair[1]}")
    alias = next((alias for drug in drugs for alias in drug.aliases if " " not in alias), None)
    if alias:
        examples.append(alias)
    mirna = next((item.name for item in cargo if item.cargo_type == v.CargoType.MIRNA), None)
    if mirna and mirna.casefold().startswith("mir-"):
        examples.append(f"hsa-{mirna}")
    return [(text, _claims_url(q=text)) for text in examples] or [("exosomes", _claims_url(q="exosomes"))]


def evidence_gaps(drugs, cargo):
    """Drug × cargo for the busiest of each: how many cited studies back claims about both.

    Single-study and unstudied combinations stand out; the query only looks at the pairs shown.
    Returns the matrix and {"drugs", "cargo"}: the names left out for sharing no claim with the rest.
    """
    pairs = (
        Claim.objects.filter(drugs__in=drugs, cargo__in=cargo)
        .values_list("drugs__slug", "cargo__slug")
        .annotate(studies=Count("citations", distinct=True), claims=Count("pk", distinct=True))
        .order_by()
    )
    cells = {(drug, item): (studies, claims) for drug, item, studies, claims in pairs}
    # A drug or cargo sharing no claim with any shown would only add a line of dashes: it is left
    # out, and the page names it (``left_out``) so that no one looks for it in vain.
    studied_drugs = {drug for drug, _ in cells}
    studied_cargo = {item for _, item in cells}
    left_out = {
        "drugs": [d.name for d in drugs if d.slug not in studied_drugs],
        "cargo": [c.name for c in cargo if c.slug not in studied_cargo],
    }
    drugs = [d for d in drugs if d.slug in studied_drugs]
    cargo = [c for c in cargo if c.slug in studied_cargo]
    matrix = Matrix(columns=[(d.name, d.get_absolute_url()) for d in drugs])
    for item in cargo:
        row = []
        for drug in drugs:
            studies, claims = cells.get((drug.slug, item.slug), (0, 0))
            pair = f"{drug.name} and {item.name}"
            if not claims:
                row.append(Cell(0, 0, "", f"{pair}: not studied in the review", "none"))
                continue
            kind = "single" if studies == 1 else ("uncited" if studies == 0 else "several")
            title = f"{pair}: {studies} cited {'study' if studies == 1 else 'studies'}, {claims} claim(s)"
            row.append(
                Cell(studies, 0, _claims_url(drug=drug.slug, cargo=item.slug, background="show"), title, kind)
            )
        matrix.rows.append(MatrixRow(item.name, item.get_absolute_url(), row, item.claim_count))
    return matrix, left_out


def _bars(entities):
    return bar_chart((e.name, e.claim_count, e.get_absolute_url()) for e in entities[:TOP_ENTITIES])


def _charts():
    status_counts = dict(Claim.objects.values_list("status").annotate(n=Count("pk")).order_by())
    drugs = _top(Drug, max(TOP_ENTITIES, GAP_DRUGS), "aliases")
    cargo = _top(Cargo, max(TOP_ENTITIES, GAP_CARGO), "cargo_type")
    return {
        "counts": {
            "claims": sum(status_counts.values()),
            "citations": Citation.objects.count(),
            "drugs": Drug.objects.count(),
            "cargo": Cargo.objects.count(),
            "cell_lines": CellLine.objects.count(),
            "mechanisms": Mechanism.objects.count(),
            "flagged": Flag.objects.open()
            .filter(kind=v.FlagKind.REVIEW_ERROR)
            .values("claim")
            .distinct()
            .count(),
        },
        "statuses": [
            (label, status_counts.get(value, 0), _claims_url(status=value, background="show"))
            for value, label in v.CurationStatus.choices
        ],
        "heat_map": mechanism_by_therapy(),
        "top_drugs": _bars(drugs),
        "top_cargo": _bars(cargo),
        "top_cell_lines": _bars(_top(CellLine, TOP_ENTITIES)),
        **dict(
            zip(("gaps", "gaps_left_out"), evidence_gaps(drugs[:GAP_DRUGS], cargo[:GAP_CARGO]), strict=True)
        ),
        "search_examples": search_examples(drugs, cargo),
    }


def _cached_charts():
    """The charts, recomputed only after the data changed (the stamp the facet counts use).

    Aggregating every claim several times costs seconds at 100k claims; the stamp is one query.
    Inside a transaction the rows seen may never be committed, so nothing is cached there.
    """
    if connection.in_atomic_block:
        return _charts()
    key = "overview:" + hashlib.sha256(repr(data_version()).encode()).hexdigest()
    charts = cache.get(key)
    if charts is None:
        charts = _charts()
        cache.set(key, charts, CACHE_SECONDS)
    return charts


def _short_reference(source):
    """'Liu et al., 2023' from 'Liu L, Jiang D, …'."""
    if source is None:
        return ""
    first = source.authors.split(",")[0].split()
    return f"{first[0] if first else source.authors} et al., {source.year}"


@require_safe
def home(request):
    review = Source.objects.the_review()
    context = {"review": review, "review_reference": _short_reference(review), **_cached_charts()}
    return render(request, "claims/home.html", context)
