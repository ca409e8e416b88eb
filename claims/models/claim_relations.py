"""A page of claims' relations in one query, without Django's per-claim querysets.

``prefetch_related`` builds and filters a queryset for every claim and relation before it hands
over the rows: on a page of 50 claims that was 4 × 8 ms of Python around 4 × 1 ms of SQL
(bench/results, issue 7). Here the citations, drugs, cargo and cell-line links of all the claims
come from one UNION ALL over the link tables, ordered as the models order them, grouped by
claim in Python and stored where Django's prefetch stores them, so ``claim.drugs.all()`` reads
them exactly as it reads a prefetched relation (templates, serializers and exports alike).
"""

from collections import defaultdict

from django.db import connections

# Each branch: (relation, SQL select list, FROM ... JOIN, the text sort keys as the model orders).
# Columns: kind, claim id, object id, cell line id, then five text columns, then three sort keys.
_BRANCHES = [
    ("citations",
     "o.id, CAST(NULL AS BIGINT), o.key, o.label, o.doi, o.pmid, o.title",
     "{claim_citations} l JOIN {citation} o ON o.id = l.citation_id",
     "o.first_author, CAST(o.year AS TEXT), o.year_suffix"),
    ("drugs",
     "o.id, CAST(NULL AS BIGINT), o.slug, o.name, NULL, NULL, NULL",
     "{claim_drugs} l JOIN {drug} o ON o.id = l.drug_id",
     "o.name, NULL, NULL"),
    ("cargo",
     "o.id, CAST(NULL AS BIGINT), o.slug, o.name, o.cargo_type, NULL, NULL",
     "{claim_cargo} l JOIN {cargo} o ON o.id = l.cargo_id",
     "o.name, NULL, NULL"),
    ("cell_line_links",
     "l.id, o.id, o.slug, o.name, l.role, NULL, NULL",
     "{claimcellline} l JOIN {cellline} o ON o.id = l.cell_line_id",
     "l.role, o.name, NULL"),
]  # fmt: skip
_FIELDS = {
    "citations": ["id", "key", "label", "doi", "pmid", "title"],
    "drugs": ["id", "slug", "name"],
    "cargo": ["id", "slug", "name", "cargo_type"],
}


def _tables():
    from claims.models import Cargo, CellLine, Citation, Claim, ClaimCellLine, Drug

    return {
        "claim_citations": Claim.citations.through._meta.db_table,
        "claim_drugs": Claim.drugs.through._meta.db_table,
        "claim_cargo": Claim.cargo.through._meta.db_table,
        "claimcellline": ClaimCellLine._meta.db_table,
        "citation": Citation._meta.db_table,
        "drug": Drug._meta.db_table,
        "cargo": Cargo._meta.db_table,
        "cellline": CellLine._meta.db_table,
    }


def _sql(count):
    marks = ", ".join(["%s"] * count)
    tables = _tables()
    branches = [
        f"SELECT '{kind}' AS kind, l.claim_id, {columns}, {order} FROM {source.format(**tables)}"
        f" WHERE l.claim_id IN ({marks})"
        for kind, columns, source, order in _BRANCHES
    ]
    # Columns 1-9 are the row, 10-12 the sort keys; the object id last breaks ties.
    return " UNION ALL ".join(branches) + " ORDER BY 1, 2, 10, 11, 12, 3"


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
    """Load the citations, drugs, cargo and cell-line links of ``claims`` (a list): one query."""
    from claims.models import Cargo, CellLine, Citation, ClaimCellLine, Drug

    claims = [
        claim for claim in claims if "citations" not in claim.__dict__.get("_prefetched_objects_cache", {})
    ]
    if not claims:
        return
    ids = [claim.pk for claim in claims]
    models = {"citations": Citation, "drugs": Drug, "cargo": Cargo}
    found = {name: defaultdict(list) for name in ["citations", "drugs", "cargo", "cell_line_links"]}
    instances = {}
    line_field = ClaimCellLine._meta.get_field("cell_line")
    with connections[db].cursor() as cursor:
        cursor.execute(_sql(len(ids)), ids * len(_BRANCHES))
        rows = cursor.fetchall()
    for kind, claim_id, object_id, line_id, *text in rows:
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
            fields = _FIELDS[kind]
            instance = instances[key] = _instance(
                models[kind], db, dict(zip(fields, [object_id, *text], strict=False))
            )
        found[kind][claim_id].append(instance)
    all_models = {**models, "cell_line_links": ClaimCellLine}
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
