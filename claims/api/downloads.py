"""Whole-set downloads of cited works (BibTeX, CSL-JSON and RIS), streamed; the claims' CSV is
claims.exports.claims_csv_response."""

from django.http import StreamingHttpResponse

from claims.api.renderers import BibTeXRenderer, CSLJSONRenderer, RISRenderer
from claims.models import Source
from claims.services.bibtex import citations_to_bibtex_stream
from claims.services.bibtex.export import citations_with_review_bibtex_stream
from claims.services.citation_formats import citations_to_csl_json_stream, citations_to_ris_stream


def _attachment(chunks, renderer, filename):
    response = StreamingHttpResponse(
        (chunk.encode(renderer.charset) for chunk in chunks),
        content_type=f"{renderer.media_type}; charset={renderer.charset}",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
        chunks = citations_with_review_bibtex_stream(citations, Source.objects.the_review())
    else:
        chunks = stream(citations)
    return _attachment(chunks, renderer, f"{stem}.{extension}")
