from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.services.bibtex import BibtexRefused, bibtex_import


class Command(BaseCommand):
    help = (
        "Import a .bib file into the citations: enrich the review's stubs, add new citations, and "
        "report conflicts. All or nothing; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .bib file (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument("--user", metavar="USERNAME", help="record this user in the citations' history")

    def handle(self, *args, file, dry_run, user, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"no user is named {user!r}")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            report = bibtex_import(data=data, user=account, dry_run=dry_run)
        except BibtexRefused as exc:
            raise CommandError(
                f"{file} was refused; nothing was written:\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from None
        for line in report.lines(unchanged=options["verbosity"] > 1):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(report.summary()))
