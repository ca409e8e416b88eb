"""Counts for a filtered set of claims: facets (all of them in one statement) and the total.

Used by the HTML claim browser and by /api/facets/ alike. The facets wanted run as one
``UNION ALL`` statement over a common table expression holding the filtered claims' ids and
the columns the facets group by, read from the claims table once (the table's rows are wide:
reading them again per facet cost most of a second at 100k claims). Link-table facets count
link rows per entity id before joining the entity for its name. Results are also cached, keyed
by the filtered query (the filters resolve names and aliases to sorted primary keys first, so
``drug=ADM`` and ``drug=doxorubicin`` share an entry) and by a data-version stamp read from the
database on every call: any committed write to claims or the entities they name changes the
stamp, in every server process at once.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

from claims import vocabulary as v
from claims.data_version import CACHE_SECONDS, VersionMemo, data_version
from claims.filters import CITED_CHOICES, REVIEW_ERROR_CHOICES
from claims.models import (
    Cargo,
    Claim,
    ClaimCellLine,
    Flag,
    Mechanism,
    Section,
)
from claims.selectors import page_rows, read_page, walking_public_id_index

# How many values an entity facet lists at most (the busiest first), unless asked for another
# number from 1 to FACET_SIZE_MAX (/api/facets/?facet_size=).
FACET_LIMIT = 30
FACET_SIZE_MAX = 200
# The claims' columns the facets group by, read once per statement into the ``facet_claims``
# common table expression (with the claim's id first).
CLAIM_COLUMNS = [
    "cargo_intervention",
    "therapy_class",
    "direction",
    "model",
    "status",
    "citation_support",
    "section_id",
    "mechanism_id",
]


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the query string
    label: str
    count: int
    depth: int = 0  # how far below a broader value it sits (the mechanism tree)


class FacetValues(list):
    """A facet's listed values (FacetValue objects, in order), and how many values with claims in the
    set it leaves out (only a ``limited`` facet leaves any out: those past the size asked for)."""

    def __init__(self, values=(), other_count=0):
        super().__init__(values)
        self.other_count = other_count

    @property
    def truncated(self):
        return self.other_count > 0


@dataclass(frozen=True)
class Facet:
    """One facet's part of the statement: ``select(sql)`` counts the claims of ``facet_claims``
    per value in the columns of ``_select``, listed in ``order`` (at most the size asked for,
    FACET_LIMIT by default, when ``limited``); ``values`` makes its rows (value, label, node,
    parent, n) into FacetValue objects."""

    select: Callable
    order: str
    values: Callable
    limited: bool = False
    params: tuple = ()


class _Sql:
    """Quoted table and column names of one database connection."""

    def __init__(self, connection):
        self.quote = connection.ops.quote_name

    def table(self, model):
        return self.quote(model._meta.db_table)

    def column(self, model, field):
        return self.quote(model._meta.get_field(field).column)


NO_LABEL, NO_NODE = "CAST(NULL AS TEXT)", "CAST(NULL AS INTEGER)"


def _select(value, n, *, label=NO_LABEL, node=NO_NODE, parent=NO_NODE):
    """A facet's SELECT list: the same five columns, typed alike (PostgreSQL checks), in every
    part of the statement. ``node`` and ``parent`` are the mechanism tree's ids (a section's
    order for sections)."""
    return f"SELECT {value} AS value, {label} AS label, {node} AS node, {parent} AS parent, {n} AS n"


def _choice_facet(field, choices):
    labels = dict(choices)

    def select(sql):
        column = sql.quote(field)
        return f"{_select(column, 'COUNT(*)')} FROM facet_claims GROUP BY {column}"

    def values(rows):
        return [FacetValue(value, labels.get(value, value), n) for value, _, _, _, n in rows]

    return Facet(select, "n DESC, value", values)


def _related_facet(through, field, value_field, label_field, *, distinct=False):
    """Counts over a link table, grouped by the entity's id before the entity is joined for its
    value and label. Claim-drug, claim-cargo, claim-target and claim-citation rows are unique per
    pair (Django's M2M tables), so each row is one claim and COUNT(*) is exact; it costs half of
    COUNT(DISTINCT) at 100k claims. A cell line can be linked twice (two roles): ``distinct``."""
    entity = through._meta.get_field(field).related_model

    def select(sql):
        link, entity_id = sql.table(through), sql.column(through, field)
        claim_id = sql.column(through, "claim")
        count = f"COUNT(DISTINCT {claim_id})" if distinct else "COUNT(*)"
        value, label = sql.column(entity, value_field), sql.column(entity, label_field)
        return (
            f"{_select(f'e.{value}', 'g.n', label=f'e.{label}')} FROM (SELECT {entity_id} AS entity_id,"
            f" {count} AS n FROM {link} JOIN facet_claims c ON c.id = {claim_id}"
            f" GROUP BY {entity_id}) g JOIN {sql.table(entity)} e ON e.{sql.quote('id')} = g.entity_id"
        )

    def values(rows):
        return [FacetValue(value, label, n) for value, label, _, _, n in rows]

    return Facet(select, "n DESC, label", values, limited=True)


def _cargo_types():
    labels = dict(v.CargoType.choices)
    through = Claim.cargo.through

    def select(sql):
        claim_id, cargo_id = sql.column(through, "claim"), sql.column(through, "cargo")
        cargo_type = sql.column(Cargo, "cargo_type")
        return (
            f"{_select(f'e.{cargo_type}', f'COUNT(DISTINCT l.{claim_id})')}"
            f" FROM {sql.table(through)} l JOIN {sql.table(Cargo)} e ON e.{sql.quote('id')} = l.{cargo_id}"
            f" JOIN facet_claims c ON c.id = l.{claim_id} GROUP BY e.{cargo_type}"
        )

    def values(rows):
        return [FacetValue(value, labels.get(value, ""), n) for value, _, _, _, n in rows]

    return Facet(select, "n DESC, value", values)


def _mechanisms():
    """The mechanism tree: each mechanism counts its own claims and all its narrower ones', as
    the mechanism filter selects them, so a count is always the length of the list it opens.
    Broad mechanisms first (busiest first), each followed by its narrower ones, indented."""

    def select(sql):
        slug, name, pk, parent = (f"m.{sql.column(Mechanism, f)}" for f in ("slug", "name", "id", "parent"))
        return (
            f"{_select(slug, 'COALESCE(g.n, 0)', label=name, node=pk, parent=parent)}"
            f" FROM {sql.table(Mechanism)} m LEFT JOIN (SELECT mechanism_id, COUNT(*) AS n"
            f" FROM facet_claims GROUP BY mechanism_id) g ON g.mechanism_id = {pk}"
        )

    def values(rows):
        children = {}
        for row in rows:
            children.setdefault(row[3], []).append(row)
        totals = {}

        def total(row):
            if row[2] not in totals:
                totals[row[2]] = row[4] + sum(total(child) for child in children.get(row[2], []))
            return totals[row[2]]

        found = []

        def visit(row, depth):
            found.append(FacetValue(row[0], row[1], total(row), depth))
            for child in sorted(children.get(row[2], []), key=lambda r: (-total(r), r[1])):
                if total(child):
                    visit(child, depth + 1)

        for root in sorted(children.get(None, []), key=lambda r: (-total(r), r[1])):
            if total(root):
                visit(root, 0)
        return found

    return Facet(select, "node", values)


def _yes_no_facet(exists, choices, params=()):
    """Claims for which ``exists`` (an EXISTS over claim ``c``) holds ("yes") or not ("no").

    Two counts (a semi-join and an anti-join) rather than one GROUP BY over a CASE: PostgreSQL
    estimates the CASE's subquery at several times the rest of the statement, enough to have it
    JIT-compiled (a third of a second) at 10k claims."""
    labels = dict(choices)

    def select(sql):
        return " UNION ALL ".join(
            f"{_select(f"'{answer}'", 'COUNT(*)')} FROM facet_claims c WHERE {negation}{exists(sql)}"
            for answer, negation in (("yes", ""), ("no", "NOT "))
        )

    def values(rows):
        return [FacetValue(value, labels[value], n) for value, _, _, _, n in rows if n]

    return Facet(select, "value DESC", values, params=params * 2)


def _cited(sql):
    through = Claim.citations.through
    return f"EXISTS (SELECT 1 FROM {sql.table(through)} l WHERE l.{sql.column(through, 'claim')} = c.id)"


def _review_error(sql):
    # Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR), as the review_errors filter reads it.
    return (
        f"EXISTS (SELECT 1 FROM {sql.table(Flag)} f WHERE f.{sql.column(Flag, 'claim')} = c.id"
        f" AND f.{sql.column(Flag, 'kind')} = %s AND f.{sql.column(Flag, 'resolved_at')} IS NULL)"
    )


def _section_label(number, title):
    return title if number.startswith("fig") or number == "abstract" else f"{number} {title}"


def _sections():
    def select(sql):
        number, title, order = (f"s.{sql.column(Section, name)}" for name in ("number", "title", "order"))
        # Counted per section id first, then per (number, title, order) as before: the review and
        # the synthetic source can each have a section "1".
        return (
            f"{_select(number, 'CAST(SUM(g.n) AS BIGINT)', label=title, node=order)} FROM"
            " (SELECT section_id, COUNT(*) AS n FROM facet_claims GROUP BY section_id) g"
            f" JOIN {sql.table(Section)} s ON s.{sql.quote('id')} = g.section_id"
            f" GROUP BY {number}, {title}, {order}"
        )

    def values(rows):
        return [FacetValue(number, _section_label(number, title), n) for number, title, _, _, n in rows]

    return Facet(select, "node, value", values)


# In the order of claims.filters.FACET_PARAMETERS.
FACETS = {
    "drug": _related_facet(Claim.drugs.through, "drug", "slug", "name"),
    "cargo": _related_facet(Claim.cargo.through, "cargo", "slug", "name"),
    "cargo_intervention": _choice_facet("cargo_intervention", v.CargoIntervention.choices),
    "cargo_type": _cargo_types(),
    "target": _related_facet(Claim.targets.through, "target", "slug", "name"),
    "cell_line": _related_facet(ClaimCellLine, "cell_line", "slug", "name", distinct=True),
    "mechanism": _mechanisms(),
    "therapy_class": _choice_facet("therapy_class", v.TherapyClass.choices),
    "direction": _choice_facet("direction", v.Direction.choices),
    "model": _choice_facet("model", v.ModelSystem.choices),
    "status": _choice_facet("status", v.CurationStatus.choices),
    "citation_support": _choice_facet("citation_support", v.CitationSupport.choices),
    "section": _sections(),
    "citation": _related_facet(Claim.citations.through, "citation", "key", "label"),
    "cited": _yes_no_facet(_cited, CITED_CHOICES),
    "review_errors": _yes_no_facet(_review_error, REVIEW_ERROR_CHOICES, params=(v.FlagKind.REVIEW_ERROR,)),
}


def _count_facets(claims, names, size):
    """{name: FacetValues} for the facets ``names`` of ``claims``, in one statement; a limited
    facet lists ``size`` values at most, and counts all of its values beside them."""
    if not names:
        return {}
    try:
        # The filters select by ``pk__in`` subqueries (no join repeats a claim), as claim_count's
        # COUNT(*) also takes for granted.
        claims_sql, params = claims.order_by().values("pk", *CLAIM_COLUMNS).query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (an empty list of ids)
        return {name: FacetValues() for name in names}
    connection = connections[claims.db]
    sql, params = _Sql(connection), list(params)
    parts = []
    for number, name in enumerate(names):
        facet = FACETS[name]
        counted, total = facet.select(sql), "CAST(NULL AS BIGINT)"
        if facet.limited:  # the busiest first: a top-N sort, far cheaper than numbering every row
            # How many values there are in all, counted over the rows the sort reads anyway.
            counted = (
                f"SELECT * FROM (SELECT *, COUNT(*) OVER () AS all_values FROM ({counted}) AS every_{number})"
                f" AS all_{number} ORDER BY {facet.order} LIMIT {size:d}"
            )
            total = "all_values"
        # Each facet's rows numbered in its own order, so Python can read them back in that order.
        parts.append(
            f"SELECT {number} AS facet, value, label, node, parent, n, {total} AS all_values,"
            f" ROW_NUMBER() OVER (ORDER BY {facet.order}) AS position FROM ({counted}) AS facet_{number}"
        )
        params += facet.params
    columns = ", ".join(sql.quote(column) for column in ["id", *CLAIM_COLUMNS])
    statement = (
        f"WITH facet_claims ({columns}) AS ({claims_sql}) "
        + " UNION ALL ".join(parts)
        + " ORDER BY facet, position"
    )
    rows, totals = {number: [] for number in range(len(names))}, {}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for number, *row, all_values, _ in cursor.fetchall():
            rows[number].append(row)
            totals[number] = all_values or 0
    return {
        name: FacetValues(
            FACETS[name].values(rows[number]), max(totals.get(number, 0) - len(rows[number]), 0)
        )
        for number, name in enumerate(names)
    }


# Claim counts kept in this process as well: a page's count is asked on every page of a list.
_COUNTS = VersionMemo(size=1024)


def _cached(kind, claims, compute, *, memo=None):
    """``compute()``, or its cached result for the same filtered query and data version: from
    ``memo`` (this process's, for small immutable results) when given, else the shared cache."""
    using = claims.db
    # Inside a transaction the rows seen may be uncommitted (and later rolled back), so nothing
    # is read from or written to the cache there.
    if connections[using].in_atomic_block:
        return compute()
    try:
        sql, params = claims.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (a search of stop words only): no SQL
        return compute()
    identity = repr((kind, str(connections[using].settings_dict["NAME"]), sql, params, data_version(using)))
    key = "claim-counts:" + hashlib.sha256(identity.encode()).hexdigest()
    local = memo.key(using, key) if memo is not None else None
    if local is not None and (kept := memo.get(local)) is not None:
        return kept
    result = cache.get(key)
    if result is None:
        result = compute()
        cache.set(key, result, CACHE_SECONDS)
    if local is not None:
        memo.put(local, result)
    return result


def facet_counts(claims, only=None, *, size=FACET_LIMIT):
    """{parameter: FacetValues} for the claims in ``claims`` (a filtered QuerySet), the entity
    facets listing ``size`` values at most (1 to FACET_SIZE_MAX).

    ``only`` names the facets wanted (default: all), e.g. the one facet a disjunctive count needs.
    """
    if not 1 <= size <= FACET_SIZE_MAX:
        raise ValueError(f"facet size {size} is not from 1 to {FACET_SIZE_MAX}")
    names = [name for name in FACETS if only is None or name in only]
    ids = claims.order_by().values("pk")
    return _cached(("facets", size, *names), ids, lambda: _count_facets(claims, names, size))


def claim_count(claims):
    """How many claims ``claims`` holds; cached like the facets, so paging does not recount."""
    claims = claims.order_by()
    return _cached(("count",), claims.values("pk"), claims.count, memo=_COUNTS)


class CachedCountPaginator(Paginator):
    """Django's paginator with the total from ``claim_count`` (one COUNT per filter and data version)."""

    @cached_property
    def count(self):
        return claim_count(self.object_list)

    def page(self, number):
        """Django's page, read in public-id order from the index when the set is large
        (claims.selectors.walking_public_id_index)."""
        page = super().page(number)
        if isinstance(page.object_list, QuerySet):
            page.object_list = self.read(
                walking_public_id_index(page.object_list, matching=self.count), matching=self.count
            )
        return page

    def read(self, claims, *, matching):
        """The page's claims (a sliced for_display() queryset of ``matching`` claims), as the page
        holds them."""
        return read_page(claims, matching=matching)


class CachedCountIdPaginator(CachedCountPaginator):
    """The same pages holding the claims' ids only, for a response the database writes
    (claims.api.page_json)."""

    def read(self, claims, *, matching):
        return [row[0] for row in page_rows(claims, matching=matching)]
