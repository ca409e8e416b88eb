"""The parse stack: what turns split BibTeX blocks into entries with Unicode values.

bibtexparser 2.1 supplies the month and name middlewares; the rest is ours because the library
leaves it out: ``@string`` expansion with ``#`` concatenation (its resolver only replaces a value
that is a single macro name, and keeps unknown ones silently), ``crossref`` inheritance (not
implemented), and LaTeX decoding of name lists (its decoder skips the list of NameParts that
SplitNameParts produces). Problems become MiddlewareErrorBlocks, reported by parse.py.
"""

import re
from collections.abc import Mapping

from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    MonthIntMiddleware,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.middleware import BlockMiddleware, LibraryMiddleware, Middleware
from bibtexparser.model import Block, Entry, Field, MiddlewareErrorBlock, String

from claims.services.bibtex.latex import DECODER, VERBATIM_FIELDS, latex_to_text, verbatim_value

_MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_MACRO_NAME = re.compile(r"[^\s\"#%'(),={}0-9][^\s\"#%'(),={}]*")
_NUMBER = re.compile(r"\d+")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_\-:.+/]*$")
NAME_FIELDS = ("author", "editor", "translator")


class EntryProblem(ValueError):
    """Raised inside our middlewares; becomes a MiddlewareErrorBlock, then a Problem."""


class _LowercaseFieldNames(BlockMiddleware):
    """Field names are case-insensitive in BibTeX; "Title" and "title" in one entry is an error."""

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True, allow_parallel_execution=True)

    def transform_entry(self, entry: Entry, library: Library) -> Block:
        seen = set()
        for field in entry.fields:
            name = field.key.strip().lower()
            if not _FIELD_NAME.match(name):
                return MiddlewareErrorBlock(entry, EntryProblem(f"'{field.key}' is not a valid field name"))
            if name in seen:
                return MiddlewareErrorBlock(entry, EntryProblem(f"field '{name}' is given twice"))
            seen.add(name)
            field.key = name
        return entry


def _closing(expr: str, start: int, opener: str) -> int:
    """Index of the delimiter closing the group opened at ``start`` (bibtexparser's escaping rule)."""
    depth = 0
    for index in range(start, len(expr)):
        char = expr[index]
        if index and expr[index - 1] == "\\":
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if opener == "{" and depth == 0:
                return index
        elif char == '"' and opener == '"' and depth == 0 and index > start:
            return index
    raise EntryProblem(f"unbalanced {opener} in value {expr[:40]!r}")


def evaluate_value(expr: str, macros: Mapping[str, str]) -> str:
    """A BibTeX value: ``{…}``, ``"…"``, a number or a macro name, joined by ``#``."""
    parts: list[str] = []
    index, expect_value = 0, True
    while index < len(expr):
        char = expr[index]
        if char.isspace():
            index += 1
        elif not expect_value:
            if char != "#":
                raise EntryProblem(
                    f"unexpected {expr[index : index + 20]!r} after a value (join parts with #)"
                )
            expect_value, index = True, index + 1
        elif char in '{"':
            end = _closing(expr, index, char)
            parts.append(expr[index + 1 : end])
            index, expect_value = end + 1, False
        else:
            match = (_NUMBER if char.isdigit() else _MACRO_NAME).match(expr, index)
            if not match:
                raise EntryProblem(f"unexpected character {char!r} in value")
            if char.isdigit():
                parts.append(match.group())
            elif match.group().lower() in macros:
                parts.append(macros[match.group().lower()])
            else:
                raise EntryProblem(f"@string macro '{match.group()}' is not defined before it is used")
            index, expect_value = match.end(), False
    if expect_value:
        raise EntryProblem("a value is missing after #" if parts else "the value is empty")
    return "".join(parts)


class _ExpandMacros(LibraryMiddleware):
    """Replace every value by its text, expanding macros defined earlier in the file (as bibtex(1))."""

    def transform(self, library: Library) -> Library:
        macros = dict(_MONTH_MACROS)
        blocks: list[Block] = []
        for block in library.blocks:
            try:
                if isinstance(block, String):
                    block.value = evaluate_value(block.value, macros)
                    macros[block.key.lower()] = block.value
                elif isinstance(block, Entry):
                    for field in block.fields:
                        try:
                            field.value = evaluate_value(field.value, macros)
                        except EntryProblem as exc:
                            raise EntryProblem(f"field '{field.key}': {exc}") from None
            except EntryProblem as exc:
                block = MiddlewareErrorBlock(block, exc)
            blocks.append(block)
        return Library(blocks, fail_on_duplicate_key=False)


class _InheritCrossref(LibraryMiddleware):
    """An entry with ``crossref`` takes the fields it lacks from the entry it names (BibTeX rules)."""

    def transform(self, library: Library) -> Library:
        by_key = {entry.key.lower(): entry for entry in library.entries}
        blocks: list[Block] = []
        for block in library.blocks:
            if isinstance(block, Entry) and "crossref" in block.fields_dict:
                block = self._inherit(block, by_key)
            blocks.append(block)
        return Library(blocks, fail_on_duplicate_key=False)

    @staticmethod
    def _inherit(entry: Entry, by_key: Mapping[str, Entry]) -> Block:
        target = str(entry.fields_dict["crossref"].value).strip()
        parent = by_key.get(target.lower())
        if parent is None:
            return MiddlewareErrorBlock(
                entry, EntryProblem(f"crossref '{target}' names no entry in this file")
            )
        if "crossref" in parent.fields_dict:
            return MiddlewareErrorBlock(
                entry, EntryProblem(f"crossref '{target}' has a crossref itself; BibTeX allows one level")
            )
        present = {field.key for field in entry.fields}
        for field in parent.fields:
            if field.key not in present:
                entry.fields.append(Field(field.key, field.value, start_line=field.start_line))
        return entry


class _DecodeLatex(LatexDecodingMiddleware):
    """LaTeX → Unicode for text fields; identifiers (DOI, URL…) are taken verbatim.

    The library's version decodes plain strings and a lone NameParts, but not the list of
    NameParts that SplitNameParts leaves in a name field, so entries are walked here.
    """

    def __init__(self) -> None:
        super().__init__(decoder=DECODER)

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        try:
            return latex_to_text(python_string), ""
        except Exception as exc:  # pylatexenc raises several types for malformed LaTeX
            return python_string, f"cannot decode the LaTeX in {python_string[:40]!r}: {exc}"

    def transform_entry(self, entry: Entry, library: Library) -> Block:
        problems: list[str] = []
        for field in entry.fields:
            errors: list[str] = []  # this field's, so each problem names the field that has it
            if isinstance(field.value, str) and field.key in VERBATIM_FIELDS:
                field.value = verbatim_value(field.value)
            elif isinstance(field.value, str):
                field.value, error = self._transform_python_value_string(field.value)
                errors.append(error)
            elif isinstance(field.value, list):
                for parts in field.value:
                    for name in ("first", "von", "last", "jr"):
                        setattr(parts, name, self._transform_all_strings(getattr(parts, name), errors))
            problems += [f"field '{field.key}': {e}" for e in errors if e]
        return MiddlewareErrorBlock(entry, EntryProblem("; ".join(problems))) if problems else entry


def parse_stack() -> list[Middleware]:
    return [
        _LowercaseFieldNames(),
        _ExpandMacros(),
        MonthIntMiddleware(),
        _InheritCrossref(),
        SeparateCoAuthors(),
        SplitNameParts(),
        _DecodeLatex(),
    ]
