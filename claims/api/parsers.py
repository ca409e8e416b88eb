import io

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, JSONParser

from claims.request_hygiene import has_forbidden_character


class BibTeXParser(BaseParser):
    """A .bib file sent as the request body (Content-Type: application/x-bibtex): the raw bytes.

    Keeps one byte past the import limit at most, so an oversized upload is never held in memory
    whole; the rest is read and counted only, so the refusal can name the file's real size.
    """

    media_type = "application/x-bibtex"
    chunk_size = 64 * 1024

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return {"file": b"", "size": 0}
        kept = stream.read(settings.BIBTEX_MAX_BYTES + 1)
        size = len(kept)
        while len(kept) > settings.BIBTEX_MAX_BYTES and (chunk := stream.read(self.chunk_size)):
            size += len(chunk)
        return {"file": kept, "size": size}


class BoundedJSONParser(JSONParser):
    """JSON with its nesting bounded before it is parsed, and strings checked after.

    Python's parser recurses once per level: a body nested 100,000 deep raised RecursionError
    (a 500). The depth is counted on the raw text first; the parsed value must not hold NUL or a
    lone surrogate, which no field accepts and which the error message could not echo.
    """

    max_depth = 32

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid UTF-8 (byte {exc.start}).") from exc
        depth = _nesting_depth(text, self.max_depth)
        if depth > self.max_depth:
            raise ParseError(f"JSON parse error - nested deeper than {self.max_depth} levels.")
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        where = _forbidden_string(data)
        if where is not None:
            field, path, text = where
            what = (
                "Null characters are not allowed"
                if "\x00" in text
                else "Lone surrogates are not valid Unicode"
            )
            message = f"{what} ({path})."
            # Named as a field error, like every other refused value of that field.
            raise ValidationError({field: [message]} if field else {"detail": message})
        return data


def _nesting_depth(text, limit):
    """The deepest bracket nesting outside strings, counting no further than ``limit + 1``."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _forbidden_string(value, path="the body", field=None):
    """(top-level field, where) of a key or string in ``value`` holding NUL or a lone surrogate."""
    if isinstance(value, str):
        return (field, path, value) if has_forbidden_character(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_forbidden_character(key):
                return (field, f"a key of {path}", key)
            found = _forbidden_string(item, f"field '{key}'", field or key)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _forbidden_string(item, f"{path}[{index}]", field)
            if found:
                return found
    return None
