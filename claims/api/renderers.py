"""Download formats: ?format=csv, bibtex, csl-json, ris and jsonld, besides the default JSON.

Whole filtered sets are streamed by the views (claims.exports for CSV, claims.api.downloads for the
cited works); these renderers serve the single-resource cases and let DRF's content negotiation
accept the format names.
"""

from rest_framework import renderers
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

from claims.exports import CSV_CHARSET, CSV_MEDIA_TYPE, csv_lines
from claims.services.bibtex import citations_to_bibtex
from claims.services.citation_formats import citations_to_csl_json_stream, citations_to_ris_stream


class CSVRenderer(renderers.BaseRenderer):
    """Rows (dicts keyed by claims.exports.CSV_COLUMNS) as CSV, lists already joined with '; '."""

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = CSV_CHARSET

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return "".join(csv_lines(data)).encode(self.charset)


class BibTeXRenderer(renderers.BaseRenderer):
    """A list of Citation objects as BibTeX entries (claims.services.bibtex writes them)."""

    media_type = "application/x-bibtex"
    format = "bibtex"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return citations_to_bibtex(data).encode(self.charset)


class CSLJSONRenderer(renderers.BaseRenderer):
    """A list of Citation objects as a CSL-JSON array (claims.services.citation_formats)."""

    media_type = "application/vnd.citationstyles.csl+json"
    format = "csl-json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return "".join(citations_to_csl_json_stream(data)).encode(self.charset)


class RISRenderer(renderers.BaseRenderer):
    """A list of Citation objects as RIS records."""

    media_type = "application/x-research-info-systems"
    format = "ris"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return "".join(citations_to_ris_stream(data)).encode(self.charset)


class JSONLDRenderer(renderers.JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class NamedFormatNegotiation(DefaultContentNegotiation):
    """Like DRF's, but an unavailable ?format= is a 406 that lists the formats on offer (not a 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(renderer.format for renderer in renderers)
            raise NotAcceptable(f"format '{format}' is not available here; choose one of: {offered}.")
        return matching
