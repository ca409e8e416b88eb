"""python manage.py make_release VERSION [--output-dir DIR]: a versioned, citable data release."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.dataops.release import ReleaseError, release_make


class Command(BaseCommand):
    help = (
        "Write <releases directory>/VERSION/: the claims as JSON and CSV, the cited works as BibTeX and "
        "CSL-JSON, a changelog since the previous release, licences, a Frictionless datapackage.json and "
        "a manifest with checksums and how to cite it. /releases/ serves them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "version", metavar="VERSION", help="dotted numbers above the latest release, e.g. 1.2"
        )
        parser.add_argument(
            "--output-dir",
            default=None,
            help="where releases live (default: EXOCLAIMS_RELEASES_DIR, the directory /releases/ serves)",
        )
        parser.add_argument(
            "--base-url",
            default=None,
            help="the site's address, so claim URLs in the release are absolute (default: EXOCLAIMS_BASE_URL)",
        )

    def handle(self, *args, version, output_dir, base_url, **options):
        output_dir = settings.EXOCLAIMS_RELEASES_DIR if output_dir is None else output_dir
        base_url = settings.EXOCLAIMS_BASE_URL if base_url is None else base_url
        try:
            release = release_make(version=version, output_dir=output_dir, base_url=base_url.rstrip("/"))
        except ReleaseError as exc:
            raise CommandError(str(exc)) from None
        since = f"since {release.previous}" if release.previous else "(first release)"
        self.stdout.write(
            f"wrote {release.directory}/: {release.claims} claims, {release.citations} citations; "
            f"{len(release.added)} added, {len(release.changed)} changed, {len(release.retracted)} retracted {since}"
        )
