"""What an entry means for a Citation row: its columns, identity (first author, year, suffix) and DOI.

Identity is compared the way a reader compares labels: surnames folded (accents, case,
apostrophes, hyphens and spaces ignored, "Ł" read as "L"), so "O'Neill", "O’Neill" and "ONeill"
are one name, and a consortium is also known by its acronym ("Early Breast Cancer Trialists'
Collaborative Group" ↔ "EBCTCG").
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from claims import vocabulary as v
from claims.services.bibtex.parse import ParsedEntry, Person, Problem

# Entries we export for citations known only by their label carry this note; importing one back
# tells us nothing new about the citation.
STUB_NOTE_PREFIX = "ExoClaims citation stub, known only by its in-text label:"
# Entries we export for citations with bibliographic data but no author list carry the label's
# authors ("Chen and others", for matching) and this note; importing one back gives no authors.
LABEL_AUTHORS_NOTE_PREFIX = "ExoClaims citation without an author list; authors from its in-text label:"
ENTRY_TYPES: dict[str, str] = {
    "article": v.EntryType.ARTICLE,
    "book": v.EntryType.BOOK,
    "incollection": v.EntryType.INCOLLECTION,
    "inbook": v.EntryType.INCOLLECTION,
    "inproceedings": v.EntryType.INPROCEEDINGS,
    "conference": v.EntryType.INPROCEEDINGS,
}
# Where the entry's own type is kept in Citation.bibtex_fields (upper case: no BibTeX field
# name clashes with it, as field names are lower-cased on import).
ENTRY_TYPE_FIELD = "ENTRYTYPE"
COLUMNS = [
    "entry_type",
    "authors",
    "title",
    "journal",
    "journal_abbrev",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
]
MAX_LENGTHS = {
    "first_author": 200,
    "journal": 300,
    "journal_abbrev": 200,
    "volume": 40,
    "issue": 40,
    "pages": 40,
    "doi": 200,
    "pmid": 12,
    "pmcid": 20,
}
_FOLD = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "ı": "i",
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Þ": "Th",
        "þ": "th",
    }
)
_YEAR = re.compile(r"^(\d{4})([a-z]?)$")
_DATE_YEAR = re.compile(r"^(\d{4})(?:-\d\d){0,2}$")
_KEY_SUFFIX = re.compile(r"(\d{4})([a-z])$", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/[^\s{}\\\"]+$")


def fold(text: str) -> str:
    """ "Łukasiewicz" → "lukasiewicz", "O’Neill" → "oneill", "Barroso-Sousa" → "barrososousa"."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def surname_keys(surname: str) -> frozenset[str]:
    """Every folded form a surname is matched by: as written, and for a group its acronym.

    Acronym forms carry a prefix so that a group's initials ("Abc Bcd Cde" → ABC) only ever
    match another acronym, never a person called Abc.
    """
    words = surname.split()
    keys = {fold(surname)}
    if len(words) > 2:
        acronyms = [w for w in words if len(w) > 2 and w.strip("()").isupper()]
        keys |= {"acronym:" + fold(w) for w in acronyms}
        rest = [w for w in words if w not in acronyms]
        keys.add(fold(" ".join(rest)))
        initials = "".join(w[0] for w in rest if w[0].isupper())
        if len(initials) >= 3:
            keys.add("acronym:" + fold(initials))
    return frozenset(k for k in keys if k and k != "acronym:")


def key_stem(surname: str) -> str:
    """The surname part of a citation key, by claims.review_text.citation_key's rule."""
    words = surname.split()
    acronyms = [w for w in words if len(w) > 2 and w.isupper()]
    chosen = acronyms[-1] if len(words) > 2 and acronyms else surname
    return re.sub(r"[^a-z]", "", fold(chosen))[:50] or "anon"


def normalize_doi(value: str) -> str:
    return _DOI_PREFIX.sub("", value.strip())


@dataclass(frozen=True)
class EntryValues:
    """An entry as Citation values, plus what identifies it."""

    entry: ParsedEntry
    year: int
    year_suffix: str  # "" unless the year field ("2019a") or the key ("Wang2019a") gives one
    surname: str  # the first author's "von Last", as printed; "" when there is none
    label_stem: str  # "Wang et al." / "Bardelli and Pantel" / "Wang"
    columns: dict[str, str]  # Citation column -> value ("" when the entry has none)
    fields: dict[str, Any]  # what goes into Citation.bibtex_fields
    column_fields: frozenset[str]  # entry fields that feed a column (compared through the column)
    stub_label: str  # for our own stub records: the label they carry; else ""

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def line(self) -> int:
        return self.entry.line

    @property
    def doi(self) -> str:
        return self.columns["doi"]

    @property
    def is_stub_record(self) -> bool:
        return bool(self.stub_label)

    @property
    def surname_keys(self) -> frozenset[str]:
        keys = surname_keys(self.surname) if self.surname else frozenset()
        person = self._first_person()
        if person is not None and person.von:
            keys |= surname_keys(" ".join(person.last))
        return keys

    @property
    def group(self) -> str:
        return fold(self.surname)

    def _first_person(self) -> Person | None:
        persons = [p for p in self.entry.persons.get("author", ()) if not p.is_others]
        persons = persons or [p for p in self.entry.persons.get("editor", ()) if not p.is_others]
        return persons[0] if persons else None


def _year(entry: ParsedEntry, problems: list[Problem]) -> tuple[int, str]:
    raw = str(entry.fields.get("year", "")).strip()
    match = _YEAR.match(raw)
    if not match and not raw and (date := _DATE_YEAR.match(str(entry.fields.get("date", "")).strip())):
        match = date
        raw = date.group(1)
    if not match:
        what = f"year '{raw}' is not a year" if raw else "there is no year (or date) field"
        problems.append(Problem(entry.line, entry.key, what))
        return 0, ""
    year = int(match.group(1))
    if not 1800 <= year <= 2100:
        problems.append(Problem(entry.line, entry.key, f"year {year} is outside 1800–2100"))
    suffix = match.group(2) if match.re is _YEAR else ""
    if not suffix and (key_match := _KEY_SUFFIX.search(entry.key)) and int(key_match.group(1)) == year:
        suffix = key_match.group(2).lower()
    return year, suffix


def _label_stem(persons: Sequence[Person]) -> str:
    named = [p for p in persons if not p.is_others]
    if not named:
        return ""
    if len(named) == 1 and len(persons) == 1:
        return named[0].surname
    if len(named) == 2 and len(persons) == 2:
        return f"{named[0].surname} and {named[1].surname}"
    return f"{named[0].surname} et al."


def _columns(entry: ParsedEntry, problems: list[Problem]) -> tuple[dict[str, str], frozenset[str]]:
    fields = entry.fields
    type_ = ENTRY_TYPES.get(entry.entry_type, v.EntryType.MISC)
    journal_field = "journal" if "journal" in fields or "booktitle" not in fields else "booktitle"
    if journal_field == "booktitle" and type_ not in (v.EntryType.INPROCEEDINGS, v.EntryType.INCOLLECTION):
        journal_field = "journal"
    columns = {
        "entry_type": type_,
        "authors": fields.get("author", ""),
        "title": fields.get("title", ""),
        "journal": fields.get(journal_field, ""),
        "journal_abbrev": str(fields.get("shortjournal", "")),
        "volume": str(fields.get("volume", "")),
        "issue": str(fields.get("number", "")),
        "pages": str(fields.get("pages", "")),
        "pmcid": str(fields.get("pmcid", "")).strip(),
        "doi": normalize_doi(fields.get("doi", "")),
        "pmid": str(fields.get("pmid", "")).strip(),
    }
    if columns["doi"] and not _DOI.match(columns["doi"]):
        problems.append(
            Problem(entry.line, entry.key, f"doi '{columns['doi']}' is not a DOI (10.<prefix>/<suffix>)")
        )
    if columns["pmid"] and not columns["pmid"].isdigit():
        problems.append(
            Problem(entry.line, entry.key, f"pmid '{columns['pmid']}' is not a PubMed id (digits only)")
        )
    for name, limit in MAX_LENGTHS.items():
        if len(columns.get(name, "")) > limit:
            problems.append(
                Problem(entry.line, entry.key, f"{name} is {len(columns[name])} characters; at most {limit}")
            )
    if columns["pmcid"] and not re.fullmatch(r"PMC\d+", columns["pmcid"]):
        problems.append(
            Problem(entry.line, entry.key, f"pmcid '{columns['pmcid']}' is not a PMC id (PMC and digits)")
        )
    used = {
        "author",
        "title",
        "shortjournal",
        "volume",
        "number",
        "pages",
        "doi",
        "pmid",
        "pmcid",
        "year",
    } | ({journal_field} if columns["journal"] else set())
    return columns, frozenset(used)


def entry_values(entry: ParsedEntry, problems: list[Problem]) -> EntryValues:
    """The Citation values an entry stands for; what cannot be stored is added to ``problems``."""
    year, suffix = _year(entry, problems)
    columns, column_fields = _columns(entry, problems)
    persons = entry.persons.get("author") or entry.persons.get("editor") or ()
    named = [p for p in persons if not p.is_others]
    surname = named[0].surname if named else ""
    if len(surname) > MAX_LENGTHS["first_author"]:
        problems.append(
            Problem(
                entry.line,
                entry.key,
                f"the first author's name is over {MAX_LENGTHS['first_author']} characters",
            )
        )
    fields = {name: value for name, value in entry.fields.items() if name != "crossref"}
    if str(entry.fields.get("note", "")).startswith(LABEL_AUTHORS_NOTE_PREFIX):
        # Our own export of a citation without authors: the author field only names the label's.
        columns["authors"] = ""
        fields.pop("author", None)
        fields.pop("note", None)
    if columns["doi"]:
        fields["doi"] = columns["doi"]
    fields[ENTRY_TYPE_FIELD] = entry.entry_type
    note = str(entry.fields.get("note", ""))
    stub_label = (
        note[len(STUB_NOTE_PREFIX) :].strip()
        if note.startswith(STUB_NOTE_PREFIX) and not columns["title"]
        else ""
    )
    return EntryValues(
        entry=entry,
        year=year,
        year_suffix=suffix,
        surname=surname,
        label_stem=_label_stem(persons),
        columns=columns,
        fields=fields,
        column_fields=column_fields,
        stub_label=stub_label,
    )


def file_values(entries: Sequence[ParsedEntry]) -> tuple[list[EntryValues], list[Problem]]:
    """Values for every entry, or the problems (bad values, one DOI on two entries) that refuse the file."""
    problems: list[Problem] = []
    values: list[EntryValues] = []
    seen_dois: dict[str, EntryValues] = {}
    for entry in entries:
        item = entry_values(entry, problems)
        values.append(item)
        if item.doi:
            first = seen_dois.setdefault(item.doi.lower(), item)
            if first is not item:
                problems.append(
                    Problem(
                        entry.line,
                        entry.key,
                        f"DOI {item.doi} is also on entry {first.key} (line {first.line})",
                    )
                )
    return values, problems
