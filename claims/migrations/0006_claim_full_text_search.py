"""Ranked full-text search on both databases (issue 15 item 5, issue 16): see claims.search.

SQLite: an FTS5 index over the claims' statement, quote and search document (an external-content
table: the text stays in claims_claim), porter-stemmed, kept in sync by triggers on every insert,
update and delete, whatever writes (ORM, admin, bulk updates, raw SQL).

PostgreSQL: search_vector (0002) rebuilt from the text with the punctuation PostgreSQL's parser
reads differently from FTS5 made spaces, and the statement's and the quote's own tsvectors beside
it, GENERATED like it, so a search can rank a claim whose statement holds the words above one whose
quote or entity names do. They are only read for rows the GIN index on search_vector matched.

Django rebuilds an SQLite table for some later ALTERs (copy, drop, rename), which drops its
triggers: tests/test_search_parity.py checks they exist on the migrated database.
"""

from django.db import migrations

FTS = "claims_claim_fts"
COLUMNS = "statement, quote, search_document"
SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMNS}, content='claims_claim', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON claims_claim BEGIN "
    f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, new.statement, new.quote, new.search_document); "
    "END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON claims_claim BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) "
    "VALUES ('delete', old.id, old.statement, old.quote, old.search_document); "
    "END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF {COLUMNS} ON claims_claim "
    "WHEN old.statement IS NOT new.statement OR old.quote IS NOT new.quote "
    "OR old.search_document IS NOT new.search_document BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) "
    "VALUES ('delete', old.id, old.statement, old.quote, old.search_document); "
    f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, new.statement, new.quote, new.search_document); "
    "END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]
# PostgreSQL's parser reads "exosome/vesicle" as one file name and "miR-155" as "mir", "-155",
# where FTS5 sees words: the vectors are built with this punctuation made spaces, so the two split a
# text alike (claims.search.PG_SEPARATORS, copied here as a migration must not change).
SEPARATORS = "/-.@:_+<>&"


def _vector(column):
    spaces = " " * len(SEPARATORS)
    return f"to_tsvector('english', translate(coalesce({column}, ''), '{SEPARATORS}', '{spaces}'))"


POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS claim_search_vector_idx",
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector",
    *(
        f"ALTER TABLE claims_claim ADD COLUMN {name} tsvector GENERATED ALWAYS AS ({_vector(column)}) STORED"
        for name, column in [
            ("search_vector", "search_document"),
            ("statement_vector", "statement"),
            ("quote_vector", "quote"),
        ]
    ),
    "CREATE INDEX claim_search_vector_idx ON claims_claim USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS quote_vector",
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS statement_vector",
    "DROP INDEX IF EXISTS claim_search_vector_idx",
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE claims_claim ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', coalesce(search_document, ''))) STORED",
    "CREATE INDEX claim_search_vector_idx ON claims_claim USING GIN (search_vector)",
]
STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
}


def forward(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_counter_and_idempotency_keys")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
