"""Download formats: ?format=csv, bibtex, csl-json, ris and jsonld, besides the default JSON.

Whole filtered sets are streamed by the views (claims.api.downloads); these renderers serve the
single-resource cases and let DRF's content negotiation accept the format names.
"""

import csv

from rest_framework import renderers
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

from claims.exports import CSV_COLUMNS
from claims.services.bibtex import citations_to_bibtex
from claims.services.citation_formats import citations_to_csl_json_stream, citations_to_ris_stream

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection); a leading
# apostrophe keeps the text as text. Claims carry free text typed by curators, so every text cell
# is guarded.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """A write-only buffer for csv.writer that hands each line back instead of storing it."""

    def write(self, line):
        return line


def csv_lines(rows, columns=CSV_COLUMNS):
    """The header, then one CSV line per row dict, lazily (rows may be a streaming iterator)."""
    writer = csv.DictWriter(_Line(), fieldnames=columns, lineterminator="\r\n")
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})


class CSVRenderer(renderers.BaseRenderer):
    """Rows (dicts keyed by claims.exports.CSV_COLUMNS) as CSV, lists already joined with '; '."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

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
