"""Covering indexes for counting facets and filtering by an entity (issue 16, uncached facets).

Claims: (id, then every column a facet groups by). The facets read the filtered claims' ids and
those columns once per request (claims.facets); the table's rows are wide (statement, quote,
search document), so reading them from the table cost a lookup per row on SQLite and a scan of
the whole table on PostgreSQL, where the index serves an index-only scan.

Link tables: (entity, claim). Filtering claims by an entity (``drug=``, ``cargo=``, …) reads a
link table by its entity column for the claim ids. Django's M2M tables index (claim, entity)
and (entity) alone, so every id cost a lookup in the table itself (a heap fetch on PostgreSQL).

The M2M tables are Django's own (no model to declare an index on), so the indexes are plain SQL,
the same on SQLite and PostgreSQL. Django rebuilds an SQLite table for some later ALTERs and
keeps only the indexes it knows of: tests/test_facet_speed.py checks these exist.
"""

from django.db import migrations

# (index, table, columns)
INDEXES = [
    (
        "claim_facet_columns_idx",
        "claims_claim",
        [
            "id",
            "cargo_intervention",
            "therapy_class",
            "direction",
            "model",
            "status",
            "citation_support",
            "section_id",
            "mechanism_id",
        ],
    ),
    ("claim_drugs_drug_claim_idx", "claims_claim_drugs", ["drug_id", "claim_id"]),
    ("claim_cargo_cargo_claim_idx", "claims_claim_cargo", ["cargo_id", "claim_id"]),
    ("claim_targets_target_claim_idx", "claims_claim_targets", ["target_id", "claim_id"]),
    ("claim_citations_citation_claim_idx", "claims_claim_citations", ["citation_id", "claim_id"]),
    ("claimcellline_cell_line_claim_idx", "claims_claimcellline", ["cell_line_id", "claim_id"]),
]


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_claim_full_text_search")]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX "{name}" ON "{table}" ({", ".join(f'"{column}"' for column in columns)})',
            f'DROP INDEX "{name}"',
        )
        for name, table, columns in INDEXES
    ]
