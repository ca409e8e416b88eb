"""python manage.py export_dataset [--output FILE]: back up the whole curated data set."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.dataops.backup import dataset_write


class _Unterminated:
    """The command's stdout taking text in pieces (its write() ends every call with a newline)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write every claim, citation, entity, section, flag, status change and history row as one "
        "JSON document keyed by natural keys (restore it with import_dataset)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="FILE", help="file to write (default: standard output)")

    def handle(self, *args, output=None, **options):
        if output is None:
            counts = dataset_write(_Unterminated(self.stdout))
            self.stderr.write(f"exported {self._summary(counts)}")
            return
        target = Path(output)
        # Written beside the target and renamed into place: a crash never leaves half a backup.
        try:
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                counts = dataset_write(handle)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600, widened as the umask allows
            os.replace(temporary, target)
        except OSError as exc:
            os.unlink(temporary)
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        except BaseException:
            os.unlink(temporary)
            raise
        self.stdout.write(f"wrote {output}: {self._summary(counts)}")

    @staticmethod
    def _summary(counts):
        return (
            f"{counts['claims']} claims, {counts['citations']} citations, "
            f"{counts['claims history']} claim history rows"
        )
