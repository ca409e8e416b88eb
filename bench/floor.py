"""The floor: each benchmarked result computed by ONE hand-written SQL query plus json.dumps/csv.

Nothing here uses Django: psycopg or sqlite3 straight to the same database the server reads, so
the ratio app/floor says what the framework layers (ORM, filters, serializers, templates, WSGI)
cost on top of the database work that cannot be avoided. The results have the same content as
the app's (same claims, same order, same nested relations and links), not the same bytes.
"""

import csv
import io
import json
import sqlite3

FACET_LIMIT = 30
CSV_COLUMNS = [
    "id",
    "url",
    "statement",
    "quote",
    "section",
    "quote_start",
    "quote_end",
    "citations",
    "citation_dois",
    "drugs",
    "cargo",
    "cargo_types",
    "cell_lines",
    "exosome_source",
    "mechanism",
    "therapy_class",
    "direction",
    "model",
    "status",
    "citation_support",
    "notes",
    "created",
    "updated",
]


class Dialect:
    def __init__(self, vendor):
        self.vendor = vendor
        pg = vendor == "postgresql"
        self.obj = "json_build_object" if pg else "json_object"
        self.param = "%s" if pg else "?"

    def array(self, select, order):
        """A JSON array of the rows ``select`` yields (one column, a JSON value), ordered."""
        if self.vendor == "postgresql":
            return f"COALESCE((SELECT json_agg(j ORDER BY {order}) FROM ({select}) AS s), '[]'::json)"
        return (
            f"json((SELECT json_group_array(json(j)) FROM (SELECT * FROM ({select}) ORDER BY {order}) AS s))"
        )

    def group(self, value, order, source, where):
        """``t``: ``value`` joined with '; ' per claim_id, ordered by ``order`` (a GROUP BY tail)."""
        if self.vendor == "postgresql":
            return f"string_agg({value}, '; ' ORDER BY {order}) AS t FROM {source} WHERE {where} GROUP BY r.claim_id"
        return (
            f"group_concat(v, '; ') AS t FROM (SELECT r.claim_id, {value} AS v FROM {source} WHERE {where}"
            f" ORDER BY r.claim_id, {order}) GROUP BY claim_id"
        )

    def nested(self, expression):
        return expression if self.vendor == "postgresql" else f"json({expression})"


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def claim_json(d, base):
    """The API's claim object for the row aliased ``c`` (ClaimSerializer's fields and order)."""
    b = _literal(base)
    citations = d.array(
        f"SELECT {d.obj}('key', t.key, 'label', t.label, 'doi', t.doi, 'url', {b} || '/api/citations/' || t.key || '/')"
        " AS j, t.first_author AS o1, t.year AS o2, t.year_suffix AS o3 FROM claims_claim_citations ct"
        " JOIN claims_citation t ON t.id = ct.citation_id WHERE ct.claim_id = c.id",
        "o1, o2, o3",
    )
    drugs = d.array(
        f"SELECT {d.obj}('slug', x.slug, 'name', x.name, 'url', {b} || '/api/drugs/' || x.slug || '/') AS j,"
        " x.name AS o FROM claims_claim_drugs cx JOIN claims_drug x ON x.id = cx.drug_id WHERE cx.claim_id = c.id",
        "o",
    )
    cargo = d.array(
        f"SELECT {d.obj}('slug', x.slug, 'name', x.name, 'type', x.cargo_type, 'url', {b} || '/api/cargo/' || x.slug"
        " || '/') AS j, x.name AS o FROM claims_claim_cargo cx JOIN claims_cargo x ON x.id = cx.cargo_id"
        " WHERE cx.claim_id = c.id",
        "o",
    )
    lines = d.array(
        f"SELECT {d.obj}('slug', x.slug, 'name', x.name, 'role', l.role, 'url', {b} || '/api/cell-lines/' || x.slug"
        " || '/') AS j, l.role AS o1, x.name AS o2 FROM claims_claimcellline l"
        " JOIN claims_cellline x ON x.id = l.cell_line_id WHERE l.claim_id = c.id",
        "o1, o2",
    )
    mechanism = (
        f"(SELECT {d.obj}('slug', m.slug, 'name', m.name, 'url', {b} || '/api/mechanisms/' || m.slug || '/')"
        " FROM claims_mechanism m WHERE m.id = c.mechanism_id)"
    )
    return (
        f"{d.obj}('id', c.public_id, 'url', {b} || '/api/claims/' || c.public_id || '/',"
        f" 'html_url', {b} || '/claims/' || c.public_id || '/', 'statement', c.statement, 'quote', c.quote,"
        " 'quote_start', c.quote_start, 'quote_end', c.quote_end, 'quote_prefix', c.quote_prefix,"
        " 'quote_suffix', c.quote_suffix, 'section', s.number, 'section_title', s.title,"
        f" 'citations', {citations}, 'drugs', {drugs}, 'cargo', {cargo}, 'cell_lines', {lines},"
        f" 'mechanism', {d.nested(mechanism)}, 'therapy_class', c.therapy_class, 'direction', c.direction,"
        " 'model', c.model, 'exosome_source', c.exosome_source, 'status', c.status,"
        " 'rejection_reason', c.rejection_reason, 'citation_support', c.citation_support, 'notes', c.notes,"
        " 'version', c.version, 'created', c.created, 'updated', c.updated,"
        f" 'flags_url', {b} || '/api/claims/' || c.public_id || '/flags/')"
    )


def _with(d, selection):
    """The filtered claim ids, computed once and shared by every part of the statement."""
    return f"WITH ids AS MATERIALIZED ({selection}) "


def _drug_ids(d):
    return f"SELECT claim_id FROM claims_claim_drugs WHERE drug_id = {d.param}"


def _search_ids(d):
    if d.vendor == "postgresql":
        return f"SELECT id AS claim_id FROM claims_claim WHERE search_vector @@ plainto_tsquery('english', {d.param})"
    return f"SELECT id AS claim_id FROM claims_claim WHERE search_document LIKE {d.param}"


def _page(d, base, selection, order, size):
    """(count of ``ids``, JSON array of the page of the claims ``selection`` picks).

    ``order`` is (select-list expressions named o…, ORDER BY over those names). The page is cut
    first, so the nested relations are built for its rows only; it reads ``selection`` itself
    rather than the materialised ``ids``, so the planner may walk the public-id index and stop
    at the 50th match, as it does for the app's query.
    """
    page = (
        f"SELECT {claim_json(d, base)} AS j, p.* FROM (SELECT c.id AS page_id, {order[0]} FROM claims_claim c"
        f" WHERE c.id IN ({selection}) ORDER BY {order[1]} LIMIT {int(size)}) AS p"
        " JOIN claims_claim c ON c.id = p.page_id JOIN claims_section s ON s.id = c.section_id"
    )
    return f"(SELECT COUNT(*) FROM ids), {d.array(page, order[1])}"


def _facets_union(d):
    inside = "IN (SELECT claim_id FROM ids)"
    branch = []
    for name, through, column, table, value, label in [
        ("drug", "claims_claim_drugs", "drug_id", "claims_drug", "slug", "name"),
        ("cargo", "claims_claim_cargo", "cargo_id", "claims_cargo", "slug", "name"),
        ("cell_line", "claims_claimcellline", "cell_line_id", "claims_cellline", "slug", "name"),
        ("citation", "claims_claim_citations", "citation_id", "claims_citation", "key", "label"),
    ]:
        branch.append(
            f"SELECT * FROM (SELECT '{name}' AS f, e.{value} AS v, e.{label} AS l, COUNT(DISTINCT r.claim_id) AS n"
            f" FROM {through} r JOIN {table} e ON e.id = r.{column} WHERE r.claim_id {inside}"
            f" GROUP BY e.{value}, e.{label} ORDER BY n DESC, e.{label} LIMIT {FACET_LIMIT}) AS f_{name}"
        )
    branch.append(
        "SELECT 'cargo_type', e.cargo_type, e.cargo_type, COUNT(DISTINCT r.claim_id) FROM claims_claim_cargo r"
        f" JOIN claims_cargo e ON e.id = r.cargo_id WHERE r.claim_id {inside} GROUP BY e.cargo_type"
    )
    branch.append(
        "SELECT 'mechanism', m.slug, m.name, COUNT(*) FROM claims_claim c JOIN claims_mechanism m"
        f" ON m.id = c.mechanism_id WHERE c.id {inside} GROUP BY m.slug, m.name"
    )
    branch.append(
        "SELECT 'section', s.number, s.title, COUNT(*) FROM claims_claim c JOIN claims_section s"
        f" ON s.id = c.section_id WHERE c.id {inside} GROUP BY s.number, s.title"
    )
    for field in ("therapy_class", "direction", "model", "status", "citation_support"):
        branch.append(
            f"SELECT '{field}', c.{field}, c.{field}, COUNT(*) FROM claims_claim c WHERE c.id {inside}"
            f" GROUP BY c.{field}"
        )
    return " UNION ALL ".join(branch)


def _facets_json(rows):
    facets = {}
    for name, value, label, count in rows:
        facets.setdefault(name, []).append({"value": value, "label": label, "count": count})
    for values in facets.values():
        values.sort(key=lambda item: -item["count"])
    return facets


def _loads(value):
    return json.loads(value) if isinstance(value, str) else value


class Floor:
    """One method per benchmarked result; each runs one query and serialises what it returns."""

    def __init__(self, vendor, dsn, base):
        self.d, self.base = Dialect(vendor), base
        if vendor == "postgresql":
            import psycopg

            self.connection = psycopg.connect(dsn, autocommit=True)
        else:
            self.connection = sqlite3.connect(dsn)

    def _one(self, sql, params):
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()

    def claims_for_drug(self, drug_id, size=50):
        ids = _drug_ids(self.d)
        sql = _with(self.d, ids) + "SELECT " + _page(self.d, self.base, ids, ("c.public_id AS o", "o"), size)
        ((count, page),) = self._one(sql, [drug_id, drug_id])
        return json.dumps({"count": count, "results": _loads(page)}).encode()

    def facets_for_drug(self, drug_id):
        sql = (
            _with(self.d, _drug_ids(self.d))
            + f"SELECT * FROM ({_facets_union(self.d)}) AS u UNION ALL SELECT 'count', '', '', COUNT(*) FROM ids"
        )
        rows = self._one(sql, [drug_id])
        count = next(r[3] for r in rows if r[0] == "count")
        return json.dumps(
            {"count": count, "facets": _facets_json(r for r in rows if r[0] != "count")}
        ).encode()

    def search(self, term, size=50):
        if self.d.vendor == "postgresql":
            rank = "ts_rank(c.search_vector, plainto_tsquery('english', %s)) AS o1, c.public_id AS o2"
            order, params = (rank, "o1 DESC, o2"), [term, term, term]
        else:
            order, params = ("c.public_id AS o", "o"), [f"%{term}%"] * 2
        ids = _search_ids(self.d)
        sql = _with(self.d, ids) + "SELECT " + _page(self.d, self.base, ids, order, size)
        ((count, page),) = self._one(sql, params)
        return json.dumps({"count": count, "results": _loads(page)}).encode()

    def claim(self, public_id):
        sql = (
            f"SELECT {claim_json(self.d, self.base)} FROM claims_claim c JOIN claims_section s ON s.id = c.section_id"
            f" WHERE c.public_id = {self.d.param}"
        )
        ((row,),) = self._one(sql, [public_id])
        return json.dumps(_loads(row)).encode()

    def browser_for_drug(self, drug_id, size=25):
        """The HTML list's data: the page, the total and every facet, in one statement."""
        d = self.d
        facets = f"SELECT {d.obj}('f', f, 'v', v, 'l', l, 'n', n) AS j, n AS o FROM ({_facets_union(d)}) AS u"
        ids = _drug_ids(d)
        page = _page(d, self.base, ids, ("c.public_id AS o", "o"), size)
        sql = _with(d, ids) + f"SELECT {page}, {d.array(facets, 'o DESC')}"
        ((count, page, facet_rows),) = self._one(sql, [drug_id, drug_id])
        rows = [(r["f"], r["v"], r["l"], r["n"]) for r in _loads(facet_rows)]
        return json.dumps({"count": count, "page": _loads(page), "facets": _facets_json(rows)}).encode()

    def csv_for_drug(self, drug_id):
        """The CSV download (claims.exports columns) of the claims with the drug (None: every claim).

        The lists are aggregated per claim by GROUP BY over the whole selection, not per row.
        """
        d, b = self.d, _literal(self.base)
        selection = _drug_ids(d) if drug_id else "SELECT id AS claim_id FROM claims_claim"
        inside = "IN (SELECT claim_id FROM ids)"
        lists = {
            "ci": (
                "t.key",
                "claims_claim_citations r JOIN claims_citation t ON t.id = r.citation_id",
                "t.first_author, t.year, t.year_suffix",
                "",
            ),
            "cd": (
                "t.doi",
                "claims_claim_citations r JOIN claims_citation t ON t.id = r.citation_id",
                "t.first_author, t.year, t.year_suffix",
                "AND t.doi <> ''",
            ),
            "dr": ("t.slug", "claims_claim_drugs r JOIN claims_drug t ON t.id = r.drug_id", "t.name", ""),
            "ca": ("t.slug", "claims_claim_cargo r JOIN claims_cargo t ON t.id = r.cargo_id", "t.name", ""),
            "ct": (
                "t.cargo_type",
                "(SELECT DISTINCT r.claim_id, t.cargo_type FROM claims_claim_cargo r JOIN"
                " claims_cargo t ON t.id = r.cargo_id) AS r JOIN (SELECT DISTINCT cargo_type FROM claims_cargo)"
                " AS t ON t.cargo_type = r.cargo_type",
                "t.cargo_type",
                "",
            ),
            "cl": (
                "t.slug || ' (' || r.role || ')'",
                "claims_claimcellline r JOIN claims_cellline t ON t.id = r.cell_line_id",
                "r.role, t.name",
                "",
            ),
        }
        ctes = [
            f"{name} AS (SELECT claim_id, {d.group(value, order, source, f'r.claim_id {inside} {extra}')})"
            for name, (value, source, order, extra) in lists.items()
        ]
        columns = ", ".join(f"COALESCE({name}.t, '')" for name in lists)
        joins = " ".join(f"LEFT JOIN {name} ON {name}.claim_id = c.id" for name in lists)
        sql = (
            f"WITH ids AS MATERIALIZED ({selection}), {', '.join(ctes)} SELECT c.public_id,"
            f" {b} || '/claims/' || c.public_id || '/', c.statement, c.quote, s.number, c.quote_start, c.quote_end,"
            f" {columns}, c.exosome_source, COALESCE(m.slug, ''), c.therapy_class, c.direction, c.model, c.status,"
            " c.citation_support, c.notes, c.created, c.updated FROM claims_claim c"
            f" JOIN claims_section s ON s.id = c.section_id LEFT JOIN claims_mechanism m ON m.id = c.mechanism_id"
            f" {joins} WHERE c.id {inside} ORDER BY c.public_id"
        )
        rows = self._one(sql, [drug_id] if drug_id else [])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
        return out.getvalue().encode(), len(rows)

    def close(self):
        self.connection.close()
