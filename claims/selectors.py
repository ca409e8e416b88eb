"""The claim read model: a page of claims with everything a row, card, serializer or CSV row shows.

Read claims through ``Claim.objects.for_display()`` (section and mechanism joined, unshown columns
deferred), then hand them to one of:

- ``claims_with_relations(queryset_or_list)``: a list of the claims, their relations loaded;
- ``iter_claims_with_relations(queryset, chunk_size=...)``: the same, streamed chunk by chunk
  (downloads of a whole filtered set: memory stays flat, one relations query per chunk).

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

Why not ``prefetch_related``: it builds and filters a queryset per claim and relation before it
hands over the rows, which cost several times the SQL on a page of 50 claims. Here the six
relations of all the claims come from one UNION ALL over the link tables, ordered as the models
order them, and are grouped by claim in Python.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import batched
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

from claims.models import Cargo, CellLine, Citation, CitationCheck, Claim, ClaimCellLine, Drug, Target

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


def iter_claims_with_relations(queryset: QuerySet[Claim], *, chunk_size: int) -> Iterator[Claim]:
    """The claims of ``queryset`` read ``chunk_size`` at a time, each chunk's relations loaded in
    one query before its claims are yielded."""
    for chunk in batched(queryset.iterator(chunk_size=chunk_size), chunk_size):
        _load(chunk)
        yield from chunk


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


def _sql(count: int) -> str:
    marks = ", ".join(["%s"] * count)
    tables = _tables()
    branches = [
        f"SELECT '{kind}' AS kind, l.claim_id, {_padded(columns)}, {order} FROM {source.format(**tables)}"
        f" WHERE l.claim_id IN ({marks})"
        for kind, columns, source, order in _BRANCHES
    ]
    # Then the sort keys; the object id last breaks ties.
    first_key = 5 + TEXT_COLUMNS
    return " UNION ALL ".join(branches) + f" ORDER BY 1, 2, {first_key}, {first_key + 1}, {first_key + 2}, 3"


def _instance[M: Model](model: type[M], db: str, values: dict[str, Any]) -> M:
    """``model.from_db`` for some fields given by name (from_db wants them in the model's order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


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
        cursor.execute(_sql(len(ids)), ids * len(_BRANCHES))
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
