"""Whole-set downloads (CSV of claims; BibTeX, CSL-JSON and RIS of citations), streamed.

Rows are read with ``.iterator(chunk_size=...)``: the relations are attached chunk by chunk
(claims.models.claim_relations), so memory stays flat and the query count grows only with the
number of chunks.
"""

from django.http import StreamingHttpResponse

from claims.api.renderers import BibTeXRenderer, CSLJSONRenderer, CSVRenderer, RISRenderer, csv_lines
from claims.exports import claim_csv_row
from claims.models import Source
from claims.services.bibtex import citations_to_bibtex_stream
from claims.services.bibtex.export import citations_with_review_bibtex_stream
from claims.services.citation_formats import citations_to_csl_json_stream, citations_to_ris_stream

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


CITATION_DOWNLOADS = {
    "bibtex": (citations_to_bibtex_stream, BibTeXRenderer, "bib"),
    "csl-json": (citations_to_csl_json_stream, CSLJSONRenderer, "json"),
    "ris": (citations_to_ris_stream, RISRenderer, "ris"),
}


def citations_download(citations, fmt, stem="exoclaims-citations", *, with_review=False):
    """``citations`` (a QuerySet, read in chunks) as BibTeX, CSL-JSON or RIS (``fmt``).

    ``with_review`` (claims' downloads): the BibTeX starts with the review's own entry, as every
    claim quotes it. The citation list's export leaves it out, so it imports back unchanged.
    """
    stream, renderer, extension = CITATION_DOWNLOADS[fmt]
    if fmt == "bibtex" and with_review:
        chunks = citations_with_review_bibtex_stream(citations, Source.objects.order_by("pk").first())
    else:
        chunks = stream(citations)
    return _attachment(chunks, renderer, f"{stem}.{extension}")
