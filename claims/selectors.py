"""The claim read model: a page of claims with everything a row, card, serializer or CSV row shows.

Read claims through ``Claim.objects.for_display()`` (section and mechanism joined, unshown columns
deferred), then hand them to one of:

- ``claims_with_relations(queryset_or_list)``: a list of the claims, their relations loaded;
- ``iter_claims_with_relations(queryset, chunk_size=...)``: the same, streamed chunk by chunk
  (downloads of a whole filtered set: memory stays flat, one relations query per chunk).

One claim by its public id, as ``for_display()`` reads it, is ``claim_for_display(public_id)``
(the claim detail: its statement, compiled once instead of on every request); a page of claims
(a sliced ``for_display()`` queryset) is ``read_page(page)``: the ORM compiles only the page's ids,
the same statement reads the claims.

Each claim then carries these plain attributes (Django's ``Prefetch(to_attr=...)`` convention),
each a list in the order the models order them:

- ``loaded_citations``: Citation (key, label and the bibliographic fields: doi, pmid, pmcid, title,
  author_names, year, year_suffix, journal, journal_abbrev, volume, issue, pages, resolution);
- ``loaded_drugs``: Drug (slug, name);
- ``loaded_cargo``: Cargo (slug, name, cargo_type);
- ``loaded_targets``: Target (slug, name, target_type);
- ``loaded_cell_line_links``: ClaimCellLine (role), ``link.cell_line`` set (slug, name);
- ``loaded_citation_checks``: CitationCheck (support, record, level, note), ``check.citation``
  set to the claim's citation.

Other fields of those objects are deferred (reading one is a query each). A claim that did not
go through a selector has none of the attributes: reading one raises AttributeError naming this
module (``Claim.loaded_*`` in claims.models.claim), so a forgotten step fails in tests instead of
quietly running a query per claim.

A page of a large filtered set is read by ``walking_public_id_index`` (see there): on SQLite it
reads the page in public-id order from the index instead of sorting every matching claim.

Why not ``prefetch_related``: it builds and filters a queryset per claim and relation before it
hands over the rows, which cost several times the SQL on a page of 50 claims. Here the six
relations of all the claims come from one UNION ALL over the link tables, ordered as the models
order them, and are grouped by claim in Python.
"""

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import batched
from typing import Any, Literal
from weakref import WeakKeyDictionary

from django.db import connections, router
from django.db.models import Field, Func, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.expressions import Col
from django.db.models.lookups import In

from claims.models import (
    Cargo,
    CellLine,
    Citation,
    CitationCheck,
    Claim,
    ClaimCellLine,
    Drug,
    Mechanism,
    Section,
    Target,
)
from claims.models.claim import MECHANISM_UNREAD, SECTION_UNREAD
from claims.ranked_pages import tiered_rows

# The relation each attribute holds, by the kind names of the UNION's branches.
LOADED_ATTRIBUTES = {
    "citations": "loaded_citations",
    "drugs": "loaded_drugs",
    "cargo": "loaded_cargo",
    "targets": "loaded_targets",
    "cell_line_links": "loaded_cell_line_links",
    "citation_checks": "loaded_citation_checks",
}

# Each branch: (kind, SQL select list, FROM ... JOIN, the text sort keys as the model orders).
# Columns: kind, claim id, object id, second id, then TEXT_COLUMNS text columns, then three sort keys.
TEXT_COLUMNS = 15
_CITATION_COLUMNS = (
    "o.key, o.label, o.doi, o.pmid, o.title, CAST(o.author_names AS TEXT), CAST(o.year AS TEXT), "
    "o.year_suffix, o.journal, o.journal_abbrev, o.volume, o.issue, o.pages, o.pmcid, o.resolution"
)
_CITATION_ORDER = "o.first_author, CAST(o.year AS TEXT), o.year_suffix"
_BRANCHES = [
    (
        "citations",
        f"o.id, CAST(NULL AS BIGINT), {_CITATION_COLUMNS}",
        "{claim_citations} l JOIN {citation} o ON o.id = l.citation_id",
        _CITATION_ORDER,
    ),
    (
        "drugs",
        "o.id, CAST(NULL AS BIGINT), o.slug, o.name",
        "{claim_drugs} l JOIN {drug} o ON o.id = l.drug_id",
        "o.name, NULL, NULL",
    ),
    (
        "cargo",
        "o.id, CAST(NULL AS BIGINT), o.slug, o.name, o.cargo_type",
        "{claim_cargo} l JOIN {cargo} o ON o.id = l.cargo_id",
        "o.name, NULL, NULL",
    ),
    (
        "targets",
        "o.id, CAST(NULL AS BIGINT), o.slug, o.name, o.target_type",
        "{claim_targets} l JOIN {target} o ON o.id = l.target_id",
        "o.name, NULL, NULL",
    ),
    (
        "cell_line_links",
        "l.id, o.id, o.slug, o.name, l.role",
        "{claimcellline} l JOIN {cellline} o ON o.id = l.cell_line_id",
        "l.role, o.name, NULL",
    ),
    (
        "citation_checks",
        "l.id, l.citation_id, l.support, l.record, l.level, l.note",
        "{citationcheck} l JOIN {citation} o ON o.id = l.citation_id",
        _CITATION_ORDER,
    ),
]
_FIELDS = {
    "citations": (
        "id key label doi pmid title author_names year year_suffix journal journal_abbrev volume issue pages "
        "pmcid resolution"
    ).split(),
    "drugs": ["id", "slug", "name"],
    "cargo": ["id", "slug", "name", "cargo_type"],
    "targets": ["id", "slug", "name", "target_type"],
}
_MODELS = {"citations": Citation, "drugs": Drug, "cargo": Cargo, "targets": Target}


def claims_with_relations(claims: QuerySet[Claim] | Iterable[Claim]) -> list[Claim]:
    """The claims (a QuerySet is evaluated), each with the ``loaded_*`` attributes set: one query
    for all their relations, none when there are no claims."""
    claims = list(claims)
    _load(claims)
    return claims


def claim_for_display(public_id: str) -> Claim | None:
    """The claim with this public id as ``Claim.objects.for_display().filter(public_id=…)`` gives
    it (section and mechanism set, the same columns read), or None; its relations not loaded.

    One statement written once per database: the ORM compiled that query (its select list
    over three models and their deferred fields, its ordering) on every request, a third of
    a claim detail's time in process."""
    db = router.db_for_read(Claim)
    found = _read_claims(db, "public_id", [public_id])
    return found[0] if found else None


def read_page(claims: QuerySet[Claim], *, matching: int | None = None) -> list[Claim]:
    """The claims of ``claims`` (a page: a sliced ``for_display()`` queryset, perhaps annotated,
    of ``matching`` claims when the caller knows), in its order, each as that queryset reads it,
    its annotations set.

    The ORM compiles only the page's ids (and annotation values), a query of a column or two;
    the claims themselves are read by id with claim_for_display's statement, written once. For
    the full select list over three models with their deferred fields, the ORM's compiler and
    ``Model.__init__`` were a third of a JSON page of 50 claims (issue 16's profiles)."""
    names = list(claims.query.annotation_select)
    rows = page_rows(claims, matching=matching)
    if not rows:
        return []
    by_id = {claim.pk: claim for claim in _read_claims(claims.db, "id", [row[0] for row in rows])}
    page = []
    for pk, *values in rows:
        claim = by_id[pk]
        for name, value in zip(names, values, strict=True):
            setattr(claim, name, value)
        page.append(claim)
    return page


def page_rows(claims: QuerySet[Claim], *, matching: int | None = None) -> list[tuple[Any, ...]]:
    """``claims.values_list("pk", *annotations)`` of a page (a sliced queryset of ``matching``
    claims); a one-word search's page of many matches on PostgreSQL read score by score
    (claims.ranked_pages)."""
    rows = tiered_rows(claims, matching=matching) if matching is not None else None
    return list(claims.values_list("pk", *claims.query.annotation_select)) if rows is None else rows


def read_claims(db: str, ids: Sequence[int]) -> list[Claim]:
    """The claims with these ids, each as for_display() reads it, in no particular order; their
    relations not loaded."""
    return _read_claims(db, "id", ids) if ids else []


def _read_claims(db: str, column: Literal["id", "public_id"], keys: Sequence[Any]) -> list[Claim]:
    """The claims whose ``column`` (id or public_id) is one of ``keys``, each as for_display()
    reads it (section and mechanism set), in no particular order. The values go through the
    converters the ORM applies (dates on SQLite) and the instances are made as ``Model.from_db``
    makes them (``_instance``: no receivers to send to, the unread columns deferred)."""
    connection = connections[db]
    sql, parts = _claim_statement(db)
    quote = connection.ops.quote_name
    where = f" WHERE {quote(Claim._meta.db_table)}.{quote(column)} {any_of(connection.vendor, len(keys))}"
    with connection.cursor() as cursor:
        cursor.execute(sql + where, any_values(connection.vendor, keys))
        rows = cursor.fetchall()
    converters = _claim_converters(connection)
    found = []
    for row in rows:
        values = list(row)
        for index, col, convert_all in converters:
            for convert in convert_all:
                values[index] = convert(values[index], col, connection)
        loaded: list[Any] = []
        start = 0
        for model, fields in parts:
            own, start = values[start : start + len(fields)], start + len(fields)
            # None for a primary key: the mechanism's LEFT JOIN found none.
            attributes = dict(zip([f.attname for f in fields], own, strict=True))
            loaded.append(None if own[0] is None else _instance(model, db, attributes))
        claim, claim.section, claim.mechanism = loaded
        found.append(claim)
    return found


Parts = list[tuple[type[Model], list[Field]]]


def _shown_fields(model: type[Model], unread: Iterable[str]) -> list[Field]:
    """The model's columns but ``unread``, primary key first."""
    pk = model._meta.pk
    assert pk is not None
    return [pk, *(f for f in model._meta.concrete_fields if f.name not in unread and f is not pk)]


@functools.cache
def _claim_statement(db: str) -> tuple[str, Parts]:
    """The statement that reads claims as for_display() does, on database ``db``, but its WHERE,
    and the fields it reads, model by model."""
    quote = connections[db].ops.quote_name
    parts: Parts = [
        (Claim, _shown_fields(Claim, ["search_document"])),
        (Section, _shown_fields(Section, SECTION_UNREAD)),
        (Mechanism, _shown_fields(Mechanism, MECHANISM_UNREAD)),
    ]

    def name(field: Any) -> str:  # a concrete field: its column is set
        return quote(field.column)

    columns = ", ".join(f"{quote(model._meta.db_table)}.{name(f)}" for model, fields in parts for f in fields)
    claim, section, mechanism = (quote(model._meta.db_table) for model, _ in parts)

    def key(model: type[Model]) -> str:
        return name(model._meta.pk)

    def column(field: str) -> str:
        return name(Claim._meta.get_field(field))

    sql = (
        f"SELECT {columns} FROM {claim}"
        f" INNER JOIN {section} ON {section}.{key(Section)} = {claim}.{column('section')}"
        f" LEFT OUTER JOIN {mechanism} ON {mechanism}.{key(Mechanism)} = {claim}.{column('mechanism')}"
    )
    return sql, parts


# Per connection object (a thread's own): its backend's converters are bound to it.
_converters_of: WeakKeyDictionary[Any, list[tuple[int, Col, list[Any]]]] = WeakKeyDictionary()


def _claim_converters(connection: Any) -> list[tuple[int, Col, list[Any]]]:
    """(position, column, converters) for each value of claim_for_display's row that the ORM
    converts, as its compiler's get_converters gives them: the backend's, then the field's."""
    if connection not in _converters_of:
        _, parts = _claim_statement(connection.alias)
        fields = [(model, field) for model, own in parts for field in own]
        found = []
        for index, (model, field) in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if converters:
                found.append((index, col, converters))
        _converters_of[connection] = found
    return _converters_of[connection]


def iter_claims_with_relations(queryset: QuerySet[Claim], *, chunk_size: int) -> Iterator[Claim]:
    """The claims of ``queryset`` read ``chunk_size`` at a time, each chunk's relations loaded in
    one query before its claims are yielded."""
    for chunk in batched(queryset.iterator(chunk_size=chunk_size), chunk_size):
        _load(chunk)
        yield from chunk


# From how many matching claims a page walks the public-id index (SQLite). Sorting costs a table
# row read per matching claim (wide rows: about 2 µs each); the walk an index entry per claim read
# until the page is full (about 0.1 µs each, some 1/fraction entries per row shown). At 1,000
# matches the sort costs ~2 ms and the walk of a first page at 100k claims ~0.5 ms; the walk is
# only slower past ~2M claims, and never reads more than the whole index (~10 ms at 100k).
WALK_INDEX_FROM = 1000


class _Unindexed(Func):
    """``+column``: the same value, which SQLite will not look up through an index (the unary
    plus its query optimizer overview gives for steering the planner away from an index)."""

    template = "+%(expressions)s"


def walking_public_id_index(claims: QuerySet[Claim], *, matching: int) -> QuerySet[Claim]:
    """``claims`` (a page of a filtered set of ``matching`` claims, ordered by public id), read on
    SQLite by walking the public-id index in order, testing each claim against the filters'
    id sets, until the page is full, rather than reading and sorting every matching claim.

    The entity filters (``drug=`` …) are ``id IN (SELECT claim_id …)``; SQLite answers those by
    looking up each matching claim by id, then sorts them all for the page: 50 ms for 27k claims
    of one drug at 100k, against 7 ms for the walk (a page of 50 with its joins). For a rare drug the lookup is the fast
    plan (the walk reads the whole index), hence ``matching``: the walk from WALK_INDEX_FROM on.
    Other databases, other orders and sets without an id filter are returned as they are
    (PostgreSQL plans the semi-join by its own statistics)."""
    query = claims.query
    ordering = tuple(query.order_by) or (tuple(Claim._meta.ordering or ()) if query.default_ordering else ())
    if (
        matching < WALK_INDEX_FROM
        or ordering != ("public_id",)
        or connections[claims.db].vendor != "sqlite"
        or not any(_is_id_set(condition, query.base_table) for condition in query.where.children)
    ):
        return claims
    walking = claims.all()
    where = walking.query.where.clone()
    where.children = [_unindexed(condition, query.base_table) for condition in where.children]
    walking.query.where = where
    return walking


def _unindexed(condition: Any, table: str | None) -> Any:
    """``+claim.id IN (…)`` for ``claim.id IN (…)``; any other condition as it is."""
    return In(_Unindexed(condition.lhs), condition.rhs) if _is_id_set(condition, table) else condition


def _is_id_set(condition: Any, table: str | None) -> bool:
    """Whether a top-level filter condition is ``claim.id IN (…)``."""
    return (
        isinstance(condition, In)
        and isinstance(condition.lhs, Col)
        and condition.lhs.alias == table
        and condition.lhs.target.primary_key
    )


def _tables() -> dict[str, str]:
    return {
        "claim_citations": Claim.citations.through._meta.db_table,
        "claim_drugs": Claim.drugs.through._meta.db_table,
        "claim_cargo": Claim.cargo.through._meta.db_table,
        "claim_targets": Claim.targets.through._meta.db_table,
        "claimcellline": ClaimCellLine._meta.db_table,
        "citationcheck": CitationCheck._meta.db_table,
        "citation": Citation._meta.db_table,
        "drug": Drug._meta.db_table,
        "cargo": Cargo._meta.db_table,
        "target": Target._meta.db_table,
        "cellline": CellLine._meta.db_table,
    }


def _padded(columns: str) -> str:
    """The select list padded with NULL text columns, so every branch has the same shape."""
    given = columns.count(",") + 1 - 2  # minus the two ids
    return columns + ", CAST(NULL AS TEXT)" * (TEXT_COLUMNS - given)


def any_of(vendor: str, count: int) -> str:
    """A condition's right-hand side for ``count`` values: ``= %s`` for one (a claim's page);
    for more, ``= ANY(%s)`` with the values as one array on PostgreSQL (one statement text
    whatever the count, so one prepared statement, and a quarter less time than a list of 50
    placeholders for a page's relations; for a single value its generic plan took 1.7 times
    the plain equality's) and ``IN (%s, …)`` elsewhere. ``any_values`` gives the parameters."""
    if count == 1:
        return "= %s"
    return "= ANY(%s)" if vendor == "postgresql" else f"IN ({', '.join(['%s'] * count)})"


def any_values(vendor: str, values: Sequence[Any]) -> list[Any]:
    return [list(values)] if vendor == "postgresql" and len(values) != 1 else list(values)


@functools.cache
def _sql(count: int, vendor: str) -> str:
    marks = any_of(vendor, count)
    tables = _tables()
    branches = [
        f"SELECT '{kind}' AS kind, l.claim_id, {_padded(columns)}, {order} FROM {source.format(**tables)}"
        f" WHERE l.claim_id {marks}"
        for kind, columns, source, order in _BRANCHES
    ]
    # Then the sort keys; the object id last breaks ties.
    first_key = 5 + TEXT_COLUMNS
    return " UNION ALL ".join(branches) + f" ORDER BY 1, 2, {first_key}, {first_key + 1}, {first_key + 2}, 3"


def _instance[M: Model](model: type[M], db: str, values: dict[str, Any]) -> M:
    """What ``model.from_db`` returns for some fields given by attribute name (the others
    deferred), without ``Model.__init__``: its walk through every field and descriptor was a
    third of loading a page's relations (hundreds of instances), and these models have no
    ``pre_init``/``post_init`` receivers for it to send to."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    obj._state.adding, obj._state.db = False, db
    return obj


class _Reader:
    """Turns the UNION's rows into model instances, one instance per entity however many claims
    name it (a page of 50 claims names the same few drugs over and over)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.found: dict[str, defaultdict[int, list[Any]]] = {
            kind: defaultdict(list) for kind in LOADED_ATTRIBUTES
        }
        self.shared: dict[tuple[str, int], Any] = {}

    def add(self, kind: str, claim_id: int, object_id: int, second_id: Any, text: list[Any]) -> None:
        """One UNION row; ``second_id`` is the cell line or citation id of a link row, else None."""
        obj: Any
        values: dict[str, Any]
        if kind == "citation_checks":
            support, record, level, note = text[:4]
            values = {"id": object_id, "claim_id": claim_id, "citation_id": second_id}
            values.update(support=support, record=record, level=level, note=note)
            obj = _instance(CitationCheck, self.db, values)
        elif kind == "cell_line_links":
            slug, name, role = text[:3]
            line = self._shared(("line", second_id), CellLine, {"id": second_id, "slug": slug, "name": name})
            values = {"id": object_id, "claim_id": claim_id, "cell_line_id": second_id, "role": role}
            obj = _instance(ClaimCellLine, self.db, values)
            obj.cell_line = line
        else:
            values = dict(zip(_FIELDS[kind], [object_id, *text], strict=False))
            if kind == "citations":
                values["author_names"] = json.loads(values["author_names"] or "[]")
                values["year"] = int(values["year"])
            obj = self._shared((kind, object_id), _MODELS[kind], values)
        self.found[kind][claim_id].append(obj)

    def _shared(self, key: tuple[str, int], model: type[Model], values: dict[str, Any]) -> Any:
        if key not in self.shared:
            self.shared[key] = _instance(model, self.db, values)
        return self.shared[key]

    def point_checks_at_citations(self) -> None:
        # Checks sort before citations (by kind): point them at their citation once all are read.
        for checks in self.found["citation_checks"].values():
            for check in checks:
                citation = self.shared.get(("citations", check.citation_id))
                if citation is not None:
                    check.citation = citation


def _load(claims: Sequence[Claim]) -> None:
    """Set the ``loaded_*`` attributes of ``claims`` (a list or tuple) that lack them: one query."""
    claims = [claim for claim in claims if "loaded_citations" not in vars(claim)]
    if not claims:
        return
    db = router.db_for_read(Claim, instance=claims[0])
    ids = [claim.pk for claim in claims]
    with connections[db].cursor() as cursor:
        vendor = connections[db].vendor
        cursor.execute(_sql(len(ids), vendor), any_values(vendor, ids) * len(_BRANCHES))
        rows = cursor.fetchall()
    reader = _Reader(db)
    for kind, claim_id, object_id, second_id, *text in rows:
        reader.add(kind, claim_id, object_id, second_id, text)
    reader.point_checks_at_citations()
    for claim in claims:
        for kind, attribute in LOADED_ATTRIBUTES.items():
            setattr(claim, attribute, reader.found[kind].get(claim.pk, []))
    # A link does not point back at its claim (link.claim would be a query; nothing reads it): a
    # claim and its links would be a reference cycle, which only the cycle collector frees, so a
    # streamed CSV kept the claims of the chunks it had written until the collector ran.
