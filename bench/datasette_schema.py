"""The app's SQLite database as a plain schema for Datasette, and the canned queries it serves.

The schema is what someone publishing the claims with Datasette would write by hand: one table
per entity, one per link, the claims with their choice columns, and an FTS5 index over statement
and quote (external content, ``porter`` tokenizer). No Django tables, no history, no search
document. Each canned query returns the rows one benchmarked app request returns (same claims,
same order, same counts; bench/datasette_side_by_side.py checks that before timing anything).
"""

import sqlite3

SCHEMA = """
CREATE TABLE sections (id INTEGER PRIMARY KEY, number TEXT NOT NULL, title TEXT NOT NULL, sort INTEGER NOT NULL);
CREATE TABLE mechanisms (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    parent_id INTEGER REFERENCES mechanisms(id));
CREATE TABLE drugs (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL);
CREATE TABLE cargo (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL, cargo_type TEXT NOT NULL);
CREATE TABLE targets (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL);
CREATE TABLE cell_lines (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL);
CREATE TABLE citations (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, label TEXT NOT NULL, doi TEXT NOT NULL,
    year INTEGER, first_author TEXT NOT NULL, year_suffix TEXT NOT NULL);
CREATE TABLE claims (id INTEGER PRIMARY KEY, public_id TEXT UNIQUE NOT NULL, statement TEXT NOT NULL,
    quote TEXT NOT NULL, section_id INTEGER NOT NULL REFERENCES sections(id),
    mechanism_id INTEGER REFERENCES mechanisms(id), cargo_intervention TEXT NOT NULL, therapy_class TEXT NOT NULL,
    direction TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL, citation_support TEXT NOT NULL,
    exosome_source TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE claim_drugs (claim_id INTEGER NOT NULL REFERENCES claims(id), drug_id INTEGER NOT NULL REFERENCES drugs(id),
    PRIMARY KEY (claim_id, drug_id)) WITHOUT ROWID;
CREATE TABLE claim_cargo (claim_id INTEGER NOT NULL REFERENCES claims(id), cargo_id INTEGER NOT NULL REFERENCES cargo(id),
    PRIMARY KEY (claim_id, cargo_id)) WITHOUT ROWID;
CREATE TABLE claim_targets (claim_id INTEGER NOT NULL REFERENCES claims(id),
    target_id INTEGER NOT NULL REFERENCES targets(id), PRIMARY KEY (claim_id, target_id)) WITHOUT ROWID;
CREATE TABLE claim_citations (claim_id INTEGER NOT NULL REFERENCES claims(id),
    citation_id INTEGER NOT NULL REFERENCES citations(id), PRIMARY KEY (claim_id, citation_id)) WITHOUT ROWID;
CREATE TABLE claim_cell_lines (claim_id INTEGER NOT NULL REFERENCES claims(id),
    cell_line_id INTEGER NOT NULL REFERENCES cell_lines(id), role TEXT NOT NULL,
    PRIMARY KEY (claim_id, cell_line_id, role)) WITHOUT ROWID;
CREATE TABLE flags (id INTEGER PRIMARY KEY, claim_id INTEGER NOT NULL REFERENCES claims(id), kind TEXT NOT NULL,
    resolved_at TEXT);
CREATE INDEX flags_claim ON flags (claim_id, kind);
CREATE INDEX claim_drugs_drug ON claim_drugs (drug_id, claim_id);
CREATE INDEX claim_cargo_cargo ON claim_cargo (cargo_id, claim_id);
CREATE INDEX claim_targets_target ON claim_targets (target_id, claim_id);
CREATE INDEX claim_citations_citation ON claim_citations (citation_id, claim_id);
CREATE INDEX claim_cell_lines_cell_line ON claim_cell_lines (cell_line_id, claim_id);
CREATE INDEX claims_mechanism ON claims (mechanism_id);
CREATE VIRTUAL TABLE claims_fts USING fts5 (statement, quote, content='claims', content_rowid='id', tokenize='porter');
"""

# (plain table, SELECT over the app's tables giving its columns in order)
COPIES = [
    ("sections", 'SELECT id, number, title, "order" FROM app.claims_section'),
    ("mechanisms", "SELECT id, slug, name, parent_id FROM app.claims_mechanism"),
    ("drugs", "SELECT id, slug, name FROM app.claims_drug"),
    ("cargo", "SELECT id, slug, name, cargo_type FROM app.claims_cargo"),
    ("targets", "SELECT id, slug, name FROM app.claims_target"),
    ("cell_lines", "SELECT id, slug, name FROM app.claims_cellline"),
    ("citations", "SELECT id, key, label, doi, year, first_author, year_suffix FROM app.claims_citation"),
    (
        "claims",
        "SELECT id, public_id, statement, quote, section_id, mechanism_id, cargo_intervention, therapy_class,"
        " direction, model, status, citation_support, exosome_source, created, updated FROM app.claims_claim",
    ),
    ("claim_drugs", "SELECT claim_id, drug_id FROM app.claims_claim_drugs"),
    ("claim_cargo", "SELECT claim_id, cargo_id FROM app.claims_claim_cargo"),
    ("claim_targets", "SELECT claim_id, target_id FROM app.claims_claim_targets"),
    ("claim_citations", "SELECT claim_id, citation_id FROM app.claims_claim_citations"),
    ("claim_cell_lines", "SELECT claim_id, cell_line_id, role FROM app.claims_claimcellline"),
    ("flags", "SELECT id, claim_id, kind, resolved_at FROM app.claims_flag"),
]


def convert(app_database, target):
    """Write ``target`` (a new file) from the app's SQLite database ``app_database``."""
    connection = sqlite3.connect(target)
    try:
        connection.executescript(SCHEMA)
        connection.execute("ATTACH DATABASE ? AS app", [f"file:{app_database}?mode=ro"])
        with connection:
            for table, select in COPIES:
                connection.execute(f"INSERT INTO {table} {select}")
            connection.execute("INSERT INTO claims_fts (claims_fts) VALUES ('rebuild')")
        connection.execute("DETACH DATABASE app")
        connection.execute("ANALYZE")
        connection.execute("VACUUM")
    finally:
        connection.close()


def _names(link, key, table, fields, order):
    """A JSON array of the claim ``c``'s related rows (``fields``: JSON key -> expression), ordered."""
    pairs = ", ".join(f"'{name}', {column}" for name, column in fields.items())
    return (
        f"(SELECT json_group_array(json(j)) FROM (SELECT json_object({pairs}) AS j FROM {link} r"
        f" JOIN {table} e ON e.id = r.{key} WHERE r.claim_id = c.id ORDER BY {order}))"
    )


# One claim row "with relation names": what a list page shows of each claim.
CLAIM_COLUMNS = ", ".join(
    [
        "c.public_id, c.statement, c.quote, s.number AS section, s.title AS section_title",
        _names(
            "claim_citations",
            "citation_id",
            "citations",
            {"key": "e.key", "label": "e.label"},
            "e.first_author, e.year, e.year_suffix",
        )
        + " AS citations",
        _names("claim_drugs", "drug_id", "drugs", {"slug": "e.slug", "name": "e.name"}, "e.name")
        + " AS drugs",
        _names(
            "claim_cargo",
            "cargo_id",
            "cargo",
            {"slug": "e.slug", "name": "e.name", "type": "e.cargo_type"},
            "e.name",
        )
        + " AS cargo",
        _names(
            "claim_cell_lines",
            "cell_line_id",
            "cell_lines",
            {"slug": "e.slug", "name": "e.name", "role": "r.role"},
            "r.role, e.name",
        )
        + " AS cell_lines",
        "m.slug AS mechanism, m.name AS mechanism_name, c.therapy_class, c.direction, c.model, c.status",
        "c.citation_support, c.created, c.updated",
    ]
)
CLAIM_FROM = "claims c JOIN sections s ON s.id = c.section_id LEFT JOIN mechanisms m ON m.id = c.mechanism_id"
DRUG_CLAIMS = "SELECT claim_id FROM claim_drugs WHERE drug_id = (SELECT id FROM drugs WHERE slug = :drug)"
SEARCH_CLAIMS = "SELECT rowid FROM claims_fts WHERE claims_fts MATCH :q"
FACET_LIMIT = 30  # claims.facets.FACET_LIMIT


def _list(selection):
    """A page of the claims ``selection`` picks, by public id, each row with the total."""
    return (
        f"SELECT {CLAIM_COLUMNS}, (SELECT COUNT(*) FROM ({selection})) AS total FROM {CLAIM_FROM}"
        f" WHERE c.id IN ({selection}) ORDER BY c.public_id LIMIT CAST(:limit AS INTEGER)"
    )


def _facets_sql():
    """Every facet of /api/facets/ for the claims with drug ``:drug``: (facet, value, label, n) rows."""
    inside = "IN (SELECT claim_id FROM ids)"
    parts = []
    for name, link, key, table, value, label, count in [
        ("drug", "claim_drugs", "drug_id", "drugs", "slug", "name", "COUNT(*)"),
        ("cargo", "claim_cargo", "cargo_id", "cargo", "slug", "name", "COUNT(*)"),
        ("target", "claim_targets", "target_id", "targets", "slug", "name", "COUNT(*)"),
        (
            "cell_line",
            "claim_cell_lines",
            "cell_line_id",
            "cell_lines",
            "slug",
            "name",
            "COUNT(DISTINCT r.claim_id)",
        ),
        ("citation", "claim_citations", "citation_id", "citations", "key", "label", "COUNT(*)"),
    ]:
        parts.append(
            f"SELECT * FROM (SELECT '{name}' AS facet, e.{value} AS value, e.{label} AS label, {count} AS n"
            f" FROM {link} r JOIN {table} e ON e.id = r.{key} WHERE r.claim_id {inside}"
            f" GROUP BY e.id ORDER BY n DESC, e.{label} LIMIT {FACET_LIMIT})"
        )
    parts.append(
        "SELECT 'cargo_type', e.cargo_type, e.cargo_type, COUNT(DISTINCT r.claim_id) FROM claim_cargo r"
        f" JOIN cargo e ON e.id = r.cargo_id WHERE r.claim_id {inside} GROUP BY e.cargo_type"
    )
    for column in ("cargo_intervention", "therapy_class", "direction", "model", "status", "citation_support"):
        parts.append(
            f"SELECT '{column}', c.{column}, c.{column}, COUNT(*) FROM claims c WHERE c.id {inside} GROUP BY c.{column}"
        )
    parts.append(
        "SELECT 'section', s.number, s.title, COUNT(*) FROM claims c JOIN sections s ON s.id = c.section_id"
        f" WHERE c.id {inside} GROUP BY s.id"
    )
    # A broad mechanism counts the claims of every narrower one too (as the app's filter selects them).
    parts.append(
        "SELECT 'mechanism', m.slug, m.name, COUNT(*) FROM up JOIN mechanisms m ON m.id = up.mid GROUP BY m.id"
    )
    parts.append(
        "SELECT 'cited', CASE WHEN EXISTS (SELECT 1 FROM claim_citations r WHERE r.claim_id = i.claim_id)"
        " THEN 'yes' ELSE 'no' END AS v, '', COUNT(*) FROM ids i GROUP BY v"
    )
    parts.append(
        "SELECT 'review_errors', CASE WHEN EXISTS (SELECT 1 FROM flags f WHERE f.claim_id = i.claim_id"
        " AND f.kind = 'review_error' AND f.resolved_at IS NULL) THEN 'yes' ELSE 'no' END AS v, '', COUNT(*)"
        " FROM ids i GROUP BY v"
    )
    parts.append("SELECT 'count', '', '', COUNT(*) FROM ids")
    return (
        f"WITH RECURSIVE ids(claim_id) AS MATERIALIZED ({DRUG_CLAIMS}),"
        f" up(claim_id, mid) AS (SELECT id, mechanism_id FROM claims WHERE id {inside} AND mechanism_id IS NOT NULL"
        " UNION ALL SELECT up.claim_id, m.parent_id FROM up JOIN mechanisms m ON m.id = up.mid"
        " WHERE m.parent_id IS NOT NULL) " + " UNION ALL ".join(parts)
    )


def canned_queries():
    """Datasette metadata ``queries``: name -> SQL (parameters ``:drug``, ``:q``, ``:id``, ``:limit``)."""
    return {
        "claims_for_drug": {"sql": _list(DRUG_CLAIMS)},
        "search": {"sql": _list(SEARCH_CLAIMS)},
        "claim": {"sql": f"SELECT {CLAIM_COLUMNS} FROM {CLAIM_FROM} WHERE c.public_id = :id"},
        "facets_for_drug": {"sql": _facets_sql()},
    }
