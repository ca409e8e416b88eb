"""python manage.py make_release VERSION [--output-dir releases/]: a versioned, citable data release."""

from django.core.management.base import BaseCommand, CommandError

from claims.dataops.release import ReleaseError, release_make


class Command(BaseCommand):
    help = (
        "Write releases/VERSION/: the claims as JSON, CSV and BibTeX, a changelog since the previous "
        "release, and a manifest with checksums and how to cite it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "version", metavar="VERSION", help="dotted numbers above the latest release, e.g. 1.2"
        )
        parser.add_argument(
            "--output-dir", default="releases", help="where releases live (default: releases/)"
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="the site's address, so claim URLs in the release are absolute (e.g. https://exoclaims.example.org)",
        )

    def handle(self, *args, version, output_dir, base_url, **options):
        try:
            release = release_make(version=version, output_dir=output_dir, base_url=base_url.rstrip("/"))
        except ReleaseError as exc:
            raise CommandError(str(exc)) from None
        since = f"since {release.previous}" if release.previous else "(first release)"
        self.stdout.write(
            f"wrote {release.directory}/: {release.claims} claims, {release.citations} citations; "
            f"{len(release.added)} added, {len(release.changed)} changed, {len(release.retracted)} retracted {since}"
        )
