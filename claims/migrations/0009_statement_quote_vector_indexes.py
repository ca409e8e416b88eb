"""PostgreSQL only: GIN indexes on the statement's and the quote's own tsvectors (0006), so a
one-word search's page is read score by score from the indexes (claims.ranked_pages) instead of
testing both vectors on every match's row (issue 16). SQLite's FTS5 index already holds both
columns."""

from django.db import migrations

INDEXES = {
    "claim_statement_vector_idx": "statement_vector",
    "claim_quote_vector_idx": "quote_vector",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX {name} ON claims_claim USING GIN ({column})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_claim_id_public_id_index")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
