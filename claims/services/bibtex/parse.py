"""Read a .bib file (bytes) into entries with Unicode fields, or refuse it with every problem found.

bibtexparser 2 splits the file; middlewares.py turns the blocks into Unicode values. A file is
refused, never half-read: a syntax error, a duplicate key, an undefined macro or an undecodable
byte is reported with its line and entry key, all problems at once.
"""

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import bibtexparser
from bibtexparser.middlewares.names import NameParts
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    String,
)

from claims.services.bibtex.middlewares import NAME_FIELDS, parse_stack

# The splitter logs each syntax error it recovers from; this module reports them itself, with the
# entry key, as one refusal.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)
MAX_PROBLEMS = 50
_ENTRY_KEY = re.compile(r"^[^\s,{}()\"#%'~\\]+$")
_ENTRY_START = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s{}()]*)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# BibTeX allows blanks between the at-sign and the entry type ("@ article{"); the splitter does not.
# Only at a line's start, so an "@ " inside a field value is left alone; the line count is kept.
_SPACED_AT = re.compile(r"^([ \t]*)@[ \t]+(?=[A-Za-z])", re.MULTILINE)
# Text outside entries is a comment to BibTeX, whatever it holds; only a field assignment there
# ("year = {2019}") means an entry lost its @ or was closed by an extra brace.
_STRAY_FIELD = re.compile(r"\b[A-Za-z][\w-]*\s*=\s*[{\"]")
# The entry types of BibTeX's standard styles. An export keeps an imported entry's own type only
# when it is one of these; biblatex's are written as the type they map to, which every style knows.
STANDARD_TYPES = frozenset(
    {
        "article",
        "book",
        "booklet",
        "inbook",
        "incollection",
        "inproceedings",
        "conference",
        "manual",
        "mastersthesis",
        "misc",
        "phdthesis",
        "proceedings",
        "techreport",
        "unpublished",
    }
)
# With the types biblatex adds, every type the import accepts; anything else is most likely a typo
# (@artcle), which BibTeX would only warn about and treat as misc. Not biblatex's @commentary: the
# splitter reads every type that starts with "comment" as a comment (see _swallowed_entry_problem).
KNOWN_TYPES = STANDARD_TYPES | frozenset(
    {
        "online",
        "electronic",
        "www",
        "report",
        "thesis",
        "dataset",
        "software",
        "patent",
        "periodical",
        "collection",
        "mvbook",
        "mvcollection",
        "mvproceedings",
        "bookinbook",
        "suppbook",
        "suppcollection",
        "suppperiodical",
        "reference",
        "mvreference",
        "inreference",
        "set",
        "xdata",
        "standard",
        "artwork",
        "audio",
        "image",
        "movie",
        "music",
        "video",
        "letter",
        "review",
        "jurisdiction",
        "legislation",
        "legal",
        "performance",
    }
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file, and where."""

    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line else []
        where += [f"entry {self.key}"] if self.key else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class BibtexRefused(Exception):
    """The file was refused as a whole; ``problems`` says what is wrong and where."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(self.problems) - MAX_PROBLEMS} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class Person:
    """One name, split as BibTeX does; each part is a tuple of words (a braced group is one word)."""

    first: tuple[str, ...] = ()
    von: tuple[str, ...] = ()
    last: tuple[str, ...] = ()
    jr: tuple[str, ...] = ()

    @property
    def surname(self) -> str:
        return " ".join(self.von + self.last)

    @property
    def is_others(self) -> bool:
        """BibTeX's "and others" (printed "et al.")."""
        return self.last == ("others",) and not (self.first or self.von or self.jr)


@dataclass(frozen=True)
class ParsedEntry:
    key: str
    line: int  # 1-based, where the entry starts
    entry_type: str  # lower case, as in the file
    fields: dict[str, Any]  # lower-case name -> decoded value; names as "Last, First and …"; month as 1-12
    persons: dict[str, tuple[Person, ...]]  # name field -> tuple of Person
    raw: str


def human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def size_problem(size: int, limit: int) -> Problem:
    """The refusal for a file over the size limit (also used by the upload form before reading)."""
    shown, allowed = human_size(size), human_size(limit)
    if shown == allowed:  # just over the limit: rounding would hide the difference
        shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return Problem(None, "", f"the file is {shown}; the limit is {allowed}")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        starts = list(_ENTRY_START.finditer(before.decode("utf-8", errors="replace")))
        key = starts[-1].group(2) if starts else ""
        raise BibtexRefused(
            [Problem(line, key, f"byte 0x{data[exc.start]:02X} is not valid UTF-8; save the file as UTF-8")]
        ) from None


def _control_problems(text: str) -> list[Problem]:
    problems = []
    for match in _CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        problems.append(Problem(line, "", f"control character U+{ord(match.group()):04X} is not allowed"))
    return problems


def _block_key(block: Block) -> str:
    inner = block.ignore_error_block if isinstance(block, ParsingFailedBlock) else block
    key = getattr(block, "key", None) or getattr(inner, "key", None)
    if key:
        return key
    match = _ENTRY_START.search(block.raw or "")
    return match.group(2) if match else ""


def _failed_block_problem(block: ParsingFailedBlock) -> Problem:
    line = (block.start_line or 0) + 1
    key = _block_key(block)
    if isinstance(block, DuplicateBlockKeyBlock):
        what = "@string" if isinstance(block.ignore_error_block, String) else "key"
        first = (block.previous_block.start_line or 0) + 1
        return Problem(line, key, f"duplicate {what} '{key}' (first used on line {first})")
    if isinstance(block, DuplicateFieldKeyBlock):
        names = ", ".join(sorted(block.duplicate_keys))
        return Problem(line, key, f"field '{names}' is given twice")
    if isinstance(block, MiddlewareErrorBlock):
        return Problem(line, key, str(block.error).replace("Middleware could not be fully applied: ", ""))
    reason = getattr(block.error, "abort_reason", str(block.error)).strip()
    end = line + (block.raw or "").rstrip().count("\n")
    stopped = f" (reading stopped on line {end})" if end > line else ""
    return Problem(line, key, f"syntax error{stopped}: {reason}")


def _stray_text_problem(comment: ImplicitComment) -> Problem | None:
    """Free text between entries is fine (BibTeX skips it), braces and '=' included; a field
    assignment there is not: it is what a missing @ or an extra closing brace leaves behind."""
    text = "\n".join(line for line in comment.comment.splitlines() if not line.lstrip().startswith("%"))
    if _STRAY_FIELD.search(text):
        line = (comment.start_line or 0) + 1
        return Problem(
            line, "", "text outside any entry looks like part of one (a missing @ or an extra brace?)"
        )
    return None


def _swallowed_entry_problem(comment: ExplicitComment) -> Problem | None:
    """The splitter reads "@comment…" as a comment, "@commentary{key," included: to BibTeX that is
    an entry, so it is refused rather than lost."""
    match = _ENTRY_START.match(comment.raw or "")
    if match is None or match.group(1).lower() == "comment":
        return None
    return Problem(
        (comment.start_line or 0) + 1,
        match.group(2),
        f"@{match.group(1).lower()} would be read as a comment and the entry lost; write it as @misc",
    )


def _person(parts: NameParts) -> Person:
    return Person(*(tuple(getattr(parts, name)) for name in ("first", "von", "last", "jr")))


def _protect(word: str) -> str:
    """A word with a space or comma was a braced group (a consortium's name): brace it again."""
    return "{" + word + "}" if re.search(r"[\s,]", word) or word.casefold() == "and" else word


def join_persons(persons: Iterable[Person]) -> str:
    """Names as stored and exported: "von Last, Jr, First and …", group names braced."""
    names = []
    for person in persons:
        parts = [person.von + person.last, person.jr, person.first]
        names.append(", ".join(" ".join(_protect(w) for w in part) for part in parts if part))
    return " and ".join(names)


def _parsed_entry(entry: Entry) -> ParsedEntry:
    fields: dict[str, Any] = {}
    persons: dict[str, tuple[Person, ...]] = {}
    for field in entry.fields:
        value = field.value
        if field.key in NAME_FIELDS and isinstance(value, list):
            persons[field.key] = tuple(_person(p) for p in value if isinstance(p, NameParts))
            value = join_persons(persons[field.key])
        fields[field.key] = value
    return ParsedEntry(
        key=entry.key,
        line=(entry.start_line or 0) + 1,
        entry_type=entry.entry_type.lower(),
        fields=fields,
        persons=persons,
        raw=entry.raw or "",
    )


def _entry_type_problem(entry: Entry) -> Problem | None:
    """An entry type no style defines is refused with its line: imported silently as misc, a
    typo would lose the entry's meaning without anyone being told."""
    kind = entry.entry_type.lower()
    if kind in KNOWN_TYPES:
        return None
    close = difflib.get_close_matches(kind, sorted(KNOWN_TYPES), n=1)
    hint = f"; did you mean @{close[0]}?" if close else "; use @misc for other works"
    return Problem((entry.start_line or 0) + 1, entry.key, f"@{kind} is not a BibTeX entry type{hint}")


def _entry_key_problems(entries: Iterable[Entry]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for entry in entries:
        line = (entry.start_line or 0) + 1
        if type_problem := _entry_type_problem(entry):
            problems.append(type_problem)
        if not entry.key:
            problems.append(Problem(line, "", "the entry has no key"))
        elif not _ENTRY_KEY.match(entry.key):
            problems.append(
                Problem(line, entry.key, "the key contains a space or a character BibTeX forbids")
            )
        elif entry.key.lower() in seen:
            first = seen[entry.key.lower()]
            problems.append(
                Problem(
                    line,
                    entry.key,
                    f"duplicate key (as '{first[0]}' on line {first[1]}; BibTeX keys ignore case)",
                )
            )
        else:
            seen[entry.key.lower()] = (entry.key, line)
    return problems


def _block_problems(blocks: Iterable[Block]) -> list[Problem]:
    """What the splitter could not read, and entries it took for comments."""
    problems: list[Problem] = []
    for block in blocks:
        if isinstance(block, ParsingFailedBlock):
            problems.append(_failed_block_problem(block))
        elif isinstance(block, ImplicitComment) and (problem := _stray_text_problem(block)):
            problems.append(problem)
        elif isinstance(block, ExplicitComment) and (problem := _swallowed_entry_problem(block)):
            problems.append(problem)
    return problems


def parse_bibtex(data: bytes, *, max_bytes: int, max_entries: int) -> list[ParsedEntry]:
    """Entries of a .bib file, or BibtexRefused listing every problem (with line and entry key)."""
    if len(data) > max_bytes:
        raise BibtexRefused([size_problem(len(data), max_bytes)])
    text = _decode(data)
    problems = _control_problems(text)
    if problems:
        raise BibtexRefused(problems)
    library = bibtexparser.parse_string(_SPACED_AT.sub(r"\1@", text), parse_stack=[])
    count = len(library.entries) + sum(isinstance(b, ParsingFailedBlock) for b in library.blocks)
    if count > max_entries:
        raise BibtexRefused(
            [Problem(None, "", f"the file has {count:,} entries; the limit is {max_entries:,} per import")]
        )
    for middleware in parse_stack():
        library = middleware.transform(library)
    problems += _block_problems(library.blocks)
    problems += _entry_key_problems(library.entries)
    if not library.entries and not problems:
        problems.append(
            Problem(None, "", "no entries found (a .bib file holds entries such as @article{key, …})")
        )
    if problems:
        raise BibtexRefused(sorted(problems, key=lambda p: p.line or 0))
    return [_parsed_entry(entry) for entry in library.entries]
