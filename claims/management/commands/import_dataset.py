"""python manage.py import_dataset FILE [--merge]: restore a data set written by export_dataset."""

from django.core.management.base import BaseCommand, CommandError

from claims.dataops.backup import DatasetError
from claims.dataops.restore import dataset_import


class Command(BaseCommand):
    help = (
        "Restore a data set written by export_dataset, in one transaction. An empty database is "
        "required unless --merge is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a file written by export_dataset")
        parser.add_argument(
            "--merge",
            action="store_true",
            help="add what the database lacks, matched by natural key; keep everything it already has",
        )

    def handle(self, *args, file, merge=False, **options):
        try:
            # Read in batches, never whole (claims.dataops.dataset_file).
            stream = open(file, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            with stream:
                report = dataset_import(file=stream, where=file, merge=merge)
        except DatasetError as exc:
            raise CommandError(f"nothing was imported from {file}:\n" + "\n".join(exc.messages)) from None
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        for line in report.lines():
            self.stdout.write(line)
