"""An index of (id, public_id): sorting matched claims by public id reads it instead of each
claim's wide row (statement, quote, search document) on SQLite (issue 16, search)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0007_facet_covering_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["id", "public_id"], name="claim_id_public_id_idx"),
        ),
    ]
