"""PostgreSQL only: a stored, GIN-indexed tsvector over the claim's search document.

The column is GENERATED from search_document, so the database keeps it in sync with every
write (ORM, admin, bulk). Other databases search search_document directly (ClaimQuerySet.search).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE claims_claim ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', coalesce(search_document, ''))) STORED",
    "CREATE INDEX claim_search_vector_idx ON claims_claim USING GIN (search_vector)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
]
BACKWARD = [
    "DROP INDEX IF EXISTS claim_search_vector_idx",
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
