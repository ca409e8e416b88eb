from django.conf import settings
from rest_framework.parsers import BaseParser


class BibTeXParser(BaseParser):
    """A .bib file sent as the request body (Content-Type: application/x-bibtex): the raw bytes.

    Reads one byte past the import limit at most, so an oversized upload is refused by the
    import (with its size message) without being held in memory whole.
    """

    media_type = "application/x-bibtex"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"file": stream.read(settings.BIBTEX_MAX_BYTES + 1) if stream is not None else b""}
