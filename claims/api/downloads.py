"""Whole-set downloads (CSV of claims, BibTeX of citations), streamed.

Rows are read with ``.iterator(chunk_size=...)``: the relations are attached chunk by chunk
(claims.models.claim_relations), so memory stays flat and the query count grows only with the
number of chunks.
"""

from django.http import StreamingHttpResponse

from claims.api.renderers import BibTeXRenderer, CSVRenderer, csv_lines
from claims.exports import claim_csv_row
from claims.services.bibtex import citations_to_bibtex_stream

CHUNK_SIZE = 500


def _attachment(chunks, renderer, filename):
    response = StreamingHttpResponse(
        (chunk.encode(renderer.charset) for chunk in chunks),
        content_type=f"{renderer.media_type}; charset={renderer.charset}",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def claims_csv(request, claims, filename="exoclaims-claims.csv"):
    """One row per claim of ``claims`` (a QuerySet from Claim.objects.with_relations())."""
    site = request.build_absolute_uri("/").rstrip("/")
    rows = (claim_csv_row(claim, site) for claim in claims.iterator(chunk_size=CHUNK_SIZE))
    return _attachment(csv_lines(rows), CSVRenderer, filename)


def citations_bibtex(citations, filename="exoclaims-citations.bib"):
    """BibTeX entries for ``citations`` (a QuerySet; claims.services.bibtex reads it in chunks)."""
    return _attachment(citations_to_bibtex_stream(citations), BibTeXRenderer, filename)
