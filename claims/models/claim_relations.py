"""A page of claims' relations in one query, without Django's per-claim querysets.

``prefetch_related`` builds and filters a queryset for every claim and relation before it hands
over the rows: on a page of 50 claims that was 4 × 8 ms of Python around 4 × 1 ms of SQL
(bench/results, issue 7). Here the citations, drugs, cargo and cell-line links of all the claims
(and targets, and the citation checks) come from one UNION ALL over the link tables, ordered as the models order them, grouped by
claim in Python and stored where Django's prefetch stores them, so ``claim.drugs.all()`` reads
them exactly as it reads a prefetched relation (templates, serializers and exports alike).
"""

import json
from collections import defaultdict

from django.db import connections

# Each branch: (relation, SQL select list, FROM ... JOIN, the text sort keys as the model orders).
# Columns: kind, claim id, object id, second id, then TEXT_COLUMNS text columns, then three sort keys.
TEXT_COLUMNS = 15
_CITATION_COLUMNS = (
    "o.key, o.label, o.doi, o.pmid, o.title, CAST(o.author_names AS TEXT), CAST(o.year AS TEXT), "
    "o.year_suffix, o.journal, o.journal_abbrev, o.volume, o.issue, o.pages, o.pmcid, o.resolution"
)
_BRANCHES = [
    ("citations", f"o.id, CAST(NULL AS BIGINT), {_CITATION_COLUMNS}",
     "{claim_citations} l JOIN {citation} o ON o.id = l.citation_id",
     "o.first_author, CAST(o.year AS TEXT), o.year_suffix"),
    ("drugs", "o.id, CAST(NULL AS BIGINT), o.slug, o.name",
     "{claim_drugs} l JOIN {drug} o ON o.id = l.drug_id", "o.name, NULL, NULL"),
    ("cargo", "o.id, CAST(NULL AS BIGINT), o.slug, o.name, o.cargo_type",
     "{claim_cargo} l JOIN {cargo} o ON o.id = l.cargo_id", "o.name, NULL, NULL"),
    ("targets", "o.id, CAST(NULL AS BIGINT), o.slug, o.name, o.target_type",
     "{claim_targets} l JOIN {target} o ON o.id = l.target_id", "o.name, NULL, NULL"),
    ("cell_line_links", "l.id, o.id, o.slug, o.name, l.role",
     "{claimcellline} l JOIN {cellline} o ON o.id = l.cell_line_id", "l.role, o.name, NULL"),
    ("citation_checks", "l.id, l.citation_id, l.support, l.record, l.level, l.note",
     "{citationcheck} l JOIN {citation} o ON o.id = l.citation_id",
     "o.first_author, CAST(o.year AS TEXT), o.year_suffix"),
]  # fmt: skip
_FIELDS = {
    "citations": ["id", "key", "label", "doi", "pmid", "title", "author_names", "year", "year_suffix",
                  "journal", "journal_abbrev", "volume", "issue", "pages", "pmcid", "resolution"],
    "drugs": ["id", "slug", "name"],
    "cargo": ["id", "slug", "name", "cargo_type"],
    "targets": ["id", "slug", "name", "target_type"],
}  # fmt: skip
RELATIONS = [*_FIELDS, "cell_line_links", "citation_checks"]


def _tables():
    from claims.models import Cargo, CellLine, Citation, CitationCheck, Claim, ClaimCellLine, Drug, Target

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


def _padded(columns):
    """The select list padded with NULL text columns, so every branch has the same shape."""
    given = columns.count(",") + 1 - 2  # minus the two ids
    return columns + ", CAST(NULL AS TEXT)" * (TEXT_COLUMNS - given)


def _sql(count):
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


def _instance(model, db, values):
    """``model.from_db`` for some fields given by name (from_db wants them in the model's order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def _as_prefetched(model, objects, db, query):
    """A queryset holding ``objects`` as its results, as prefetch_related leaves one (``query``,
    shared, is never changed: any further filtering clones it)."""
    queryset = model._default_manager._queryset_class(model=model, query=query, using=db)
    queryset._result_cache, queryset._prefetch_done = objects, True
    return queryset


def attach_relations(claims, db):
    """Load the citations, drugs, cargo, targets, cell-line links and citation checks of ``claims``
    (a list): one query."""
    from claims.models import Cargo, CellLine, Citation, CitationCheck, ClaimCellLine, Drug, Target

    claims = [
        claim for claim in claims if "citations" not in claim.__dict__.get("_prefetched_objects_cache", {})
    ]
    if not claims:
        return
    ids = [claim.pk for claim in claims]
    models = {"citations": Citation, "drugs": Drug, "cargo": Cargo, "targets": Target}
    found = {name: defaultdict(list) for name in RELATIONS}
    instances = {}
    line_field = ClaimCellLine._meta.get_field("cell_line")
    check_citation_field = CitationCheck._meta.get_field("citation")
    with connections[db].cursor() as cursor:
        cursor.execute(_sql(len(ids)), ids * len(_BRANCHES))
        rows = cursor.fetchall()
    for kind, claim_id, object_id, line_id, *text in rows:
        if kind == "citation_checks":
            support, record, level, note = text[:4]
            check = _instance(
                CitationCheck,
                db,
                {"id": object_id, "claim_id": claim_id, "citation_id": line_id, "support": support,
                 "record": record, "level": level, "note": note},
            )  # fmt: skip
            found[kind][claim_id].append(check)
            continue
        if kind == "cell_line_links":
            slug, name, role = text[:3]
            line = instances.get(("line", line_id))
            if line is None:
                line = instances["line", line_id] = _instance(
                    CellLine, db, {"id": line_id, "slug": slug, "name": name}
                )
            link = _instance(
                ClaimCellLine,
                db,
                {"id": object_id, "claim_id": claim_id, "cell_line_id": line_id, "role": role},
            )
            line_field.set_cached_value(link, line)
            found[kind][claim_id].append(link)
            continue
        key = (kind, object_id)
        instance = instances.get(key)
        if instance is None:
            values = dict(zip(_FIELDS[kind], [object_id, *text], strict=False))
            if kind == "citations":
                values["author_names"] = json.loads(values["author_names"] or "[]")
                values["year"] = int(values["year"])
            instance = instances[key] = _instance(models[kind], db, values)
        found[kind][claim_id].append(instance)
    # Checks sort before citations (by kind): point them at their citation once all are read.
    for checks in found["citation_checks"].values():
        for check in checks:
            citation = instances.get(("citations", check.citation_id))
            if citation is not None:
                check_citation_field.set_cached_value(check, citation)
    all_models = {**models, "cell_line_links": ClaimCellLine, "citation_checks": CitationCheck}
    queries = {kind: model._default_manager.using(db).all().query for kind, model in all_models.items()}
    for claim in claims:
        cache = claim.__dict__.setdefault("_prefetched_objects_cache", {})
        for kind, by_claim in found.items():
            cache[kind] = _as_prefetched(all_models[kind], by_claim.get(claim.pk, []), db, queries[kind])
    # Unlike prefetch_related, a link does not point back at its claim (link.claim would be a
    # query; nothing reads it): a claim and its links would be a reference cycle, which only the
    # cycle collector frees, and a 100k-claim CSV then grew to 300 MiB between its runs.


def related(claim, name):
    """``claim.<name>.all()`` as a list, read straight from the attached (prefetched) rows when
    there are some: building a related manager for every access cost more than the rows."""
    cached = claim.__dict__.get("_prefetched_objects_cache", {}).get(name)
    if cached is not None and cached._result_cache is not None:
        return cached._result_cache
    return list(getattr(claim, name).all())
