"""PostgreSQL only: trigram indexes for the entity lookups (filters and autocomplete).

``drug=ADM`` and the claim form's suggestions match ``lookup_terms`` with LIKE '%|term|%' and
'%|term%' (claims.models.entities, claims.forms): a substring match, which a btree cannot serve
but a pg_trgm GIN index can (the extension is created in 0002). At today's few thousand entities
a scan is as fast; the index keeps the lookups flat as the vocabularies grow. Other databases
scan.
"""

from django.db import migrations

TABLES = ["claims_drug", "claims_cargo", "claims_cellline", "claims_mechanism"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_lookup_trgm ON {table} USING GIN (lookup_terms gin_trgm_ops)"
            )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_lookup_trgm")


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_postgres_search_vector")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
