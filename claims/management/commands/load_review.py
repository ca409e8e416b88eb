from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.dataops.review_fixtures import FIXTURES_DIR, FixtureErrors
from claims.dataops.review_loader import review_load


class Command(BaseCommand):
    help = "Validate the review's transcription in fixtures/ and load it in one transaction (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--fixtures", type=Path, default=FIXTURES_DIR, help="fixtures directory")
        parser.add_argument(
            "--overwrite-edited", action="store_true", help="also replace claims a curator has edited since"
        )

    def handle(self, *args, fixtures, overwrite_edited, **options):
        try:
            report = review_load(root=fixtures, overwrite_edited=overwrite_edited)
        except FixtureErrors as exc:
            raise CommandError(
                f"{len(exc.errors)} problem(s) in {fixtures}; nothing was written:\n"
                + "\n".join(f"  {e}" for e in exc.errors)
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("review loaded"))
