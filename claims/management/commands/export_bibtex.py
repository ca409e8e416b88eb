from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from claims.filters import filtered_claims
from claims.models import Citation, Claim
from claims.services.bibtex import citations_of_claims, citations_to_bibtex_stream


class Command(BaseCommand):
    help = (
        "Write citations as BibTeX (UTF-8) to stdout or --output: all of them, those of one claim "
        "(--claim), or those of the claims a filter selects (--filter, the claim browser's query string)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
        selection = parser.add_mutually_exclusive_group()
        selection.add_argument("--claim", metavar="PUBLIC_ID", help="only this claim's citations")
        selection.add_argument(
            "--filter",
            dest="query",
            metavar="QUERY",
            help="only citations of the claims selected, e.g. 'drug=doxorubicin'",
        )

    def _citations(self, claim, query):
        if claim:
            found = Claim.objects.filter(public_id=claim)
            if not found.exists():
                raise CommandError(f"no claim has the id {claim!r}")
            return citations_of_claims(found)
        if query is not None:
            claims = filtered_claims(QueryDict(query))
            if not claims.is_valid():
                problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in claims.errors.items())
                raise CommandError(f"the filter is not valid: {problems}")
            return citations_of_claims(claims.qs)
        return Citation.objects.order_by("key")

    def handle(self, *args, output, claim, query, **options):
        citations = self._citations(claim, query)
        try:
            stream = output.open("w", encoding="utf-8") if output else None
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        count = 0
        try:
            for chunk in citations_to_bibtex_stream(citations):
                if stream:
                    stream.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
                count += 1
        finally:
            if stream:
                stream.close()
        if output:
            self.stderr.write(f"wrote {count} citations to {output}")
