"""Claims as CSV, in one place: the columns, one flat row per claim, the writer and the streamed
download. The API's ``?format=csv``, the admin's export action and data releases all use these.

A row reads the relations claims.selectors loads (``claim.loaded_drugs``…), so a row costs no
query; a claim read without a selector makes ``claim_csv_row`` raise AttributeError.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from claims.models import Claim
from claims.selectors import iter_claims_with_relations

LIST_SEPARATOR = "; "
CSV_MEDIA_TYPE = "text/csv"
CSV_CHARSET = "utf-8"
# Claims read per relations query when a whole filtered set is streamed.
CHUNK_SIZE = 500

CSV_COLUMNS = (
    "id url statement quote section quote_start quote_end citations citation_dois citation_pmids "
    "citation_pmcids citation_resolutions citation_supports drugs cargo cargo_types cargo_intervention "
    "targets cell_lines exosome_source mechanism therapy_class direction model status citation_support "
    "notes created updated"
).split()

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection); a leading
# apostrophe keeps the text as text. Claims carry free text typed by curators, so every text cell
# is guarded.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _join(values: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(str(v) for v in values if v)


def _aligned(values: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(str(v) for v in values)


def claim_csv_row(claim: Claim, base_url: str = "") -> dict[str, Any]:
    """The claim as a dict keyed by CSV_COLUMNS (lists joined with '; ')."""
    citations = claim.loaded_citations
    checks = {check.citation_id: check.support for check in claim.loaded_citation_checks}
    cargo = claim.loaded_cargo
    return {
        "id": claim.public_id,
        "url": base_url + claim.get_absolute_url(),
        "statement": claim.statement,
        "quote": claim.quote,
        "section": claim.section.number,
        "quote_start": claim.quote_start,
        "quote_end": claim.quote_end,
        "citations": _join(c.key for c in citations),
        # One value per citation, in the order of "citations", empty where missing: the columns
        # line up when split on the separator.
        "citation_dois": _aligned(c.doi for c in citations),
        "citation_pmids": _aligned(c.pmid for c in citations),
        "citation_pmcids": _aligned(c.pmcid for c in citations),
        "citation_resolutions": _aligned(c.resolution for c in citations),
        "citation_supports": _aligned(checks.get(c.pk, "") for c in citations),
        "drugs": _join(d.slug for d in claim.loaded_drugs),
        "cargo": _join(c.slug for c in cargo),
        "cargo_types": _join(sorted({c.cargo_type for c in cargo})),
        "cargo_intervention": claim.cargo_intervention,
        "targets": _join(t.slug for t in claim.loaded_targets),
        "cell_lines": _join(f"{link.cell_line.slug} ({link.role})" for link in claim.loaded_cell_line_links),
        "exosome_source": claim.exosome_source,
        "mechanism": claim.mechanism.slug if claim.mechanism_id and claim.mechanism else "",
        "therapy_class": claim.therapy_class,
        "direction": claim.direction,
        "model": claim.model,
        "status": claim.status,
        "citation_support": claim.citation_support,
        "notes": claim.notes,
        "created": claim.created.isoformat(),
        "updated": claim.updated.isoformat(),
    }


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """A write-only buffer for csv.writer that hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[dict[str, Any]], columns: Sequence[str] = CSV_COLUMNS) -> Iterator[str]:
    """The header, then one CSV line per row dict, lazily (rows may be a streaming iterator)."""
    writer = csv.DictWriter(_Line(), fieldnames=columns, lineterminator="\r\n")
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})


def claims_csv_response(
    request: HttpRequest, claims: QuerySet[Claim], *, filename: str = "exoclaims-claims.csv"
) -> StreamingHttpResponse:
    """Every claim of ``claims`` (read with ``Claim.objects.for_display()``) as a CSV attachment,
    streamed: the relations are loaded per chunk, so memory stays flat and the query count grows
    only with the number of chunks."""
    site = request.build_absolute_uri("/").rstrip("/")
    loaded = iter_claims_with_relations(claims, chunk_size=CHUNK_SIZE)
    lines = csv_lines(claim_csv_row(claim, site) for claim in loaded)
    response = StreamingHttpResponse(
        (line.encode(CSV_CHARSET) for line in lines), content_type=f"{CSV_MEDIA_TYPE}; charset={CSV_CHARSET}"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
