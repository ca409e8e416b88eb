"""Citations as BibTeX that bibtex(1), biber and bibtexparser accept, and that imports back unchanged.

Keys are the citations' own (stable) keys. Text fields are LaTeX-encoded (latex.py); DOIs and URLs
are written verbatim, as biblatex and ``\\url`` expect them. A citation known only by its in-text
label is written as ``@misc`` with the label's authors ("Wang and others"), its year and a note
saying so, which the importer recognises and never takes for bibliographic data.
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from django.db.models import QuerySet

from claims.models import Citation, Claim, Source
from claims.services.bibtex.latex import VERBATIM_FIELDS, text_to_latex
from claims.services.bibtex.middlewares import NAME_FIELDS
from claims.services.bibtex.parse import STANDARD_TYPES, Person, join_persons
from claims.services.bibtex.values import (
    ENTRY_TYPE_FIELD,
    ENTRY_TYPES,
    LABEL_AUTHORS_NOTE_PREFIX,
    STUB_NOTE_PREFIX,
    fold,
)

CHUNK_SIZE = 500
FIRST_FIELDS = [
    "author",
    "editor",
    "title",
    "journal",
    "booktitle",
    "year",
    "month",
    "volume",
    "number",
    "pages",
    "publisher",
    "doi",
    "pmid",
    "pmcid",
]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_\-:.+/]*$")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-:.+/]")
_LABEL_AUTHORS = re.compile(r"^(?P<authors>.+?),\s*\d{4}[a-z]?$")


def _is_label_only(citation: Citation) -> bool:
    return citation.is_stub and not citation.authors and not citation.bibtex_fields


def _label_persons(citation: Citation) -> tuple[Person, ...]:
    """The authors an in-text label names: "Wang et al." → Wang and others."""
    match = _LABEL_AUTHORS.match(citation.label)
    if not match:
        return (Person(last=(citation.first_author,)),) if citation.first_author else ()
    authors = match.group("authors")
    if authors.endswith(" et al."):
        return Person(last=(authors[: -len(" et al.")],)), Person(last=("others",))
    return tuple(Person(last=(name.strip(),)) for name in authors.split(" and ", 1))


def _label_only_fields(citation: Citation) -> tuple[str, dict[str, Any]]:
    fields = {"author": join_persons(_label_persons(citation)), "year": str(citation.year)}
    fields.update({name: getattr(citation, name) for name in ("doi", "pmid") if getattr(citation, name)})
    fields["note"] = f"{STUB_NOTE_PREFIX} {citation.label}"
    return "misc", fields


def _journal_field(entry_type: str, fields: dict[str, Any]) -> str:
    if "journal" in fields:
        return "journal"
    if "booktitle" in fields or entry_type in ("inproceedings", "incollection"):
        return "booktitle"
    return "journal"


def entry_fields(citation: Citation) -> tuple[str, dict[str, Any]]:
    """(entry type, {field: Unicode value}) that the citation is exported as."""
    if _is_label_only(citation):
        return _label_only_fields(citation)
    stored = citation.bibtex_fields or {}
    original = str(stored.get(ENTRY_TYPE_FIELD, ""))
    entry_type = citation.entry_type or "misc"
    if original in STANDARD_TYPES and ENTRY_TYPES.get(original, "misc") == entry_type:
        entry_type = original
    fields = {name: value for name, value in stored.items() if _FIELD_NAME.match(name) and name != "crossref"}
    columns = {
        "author": citation.authors,
        "title": citation.title,
        _journal_field(entry_type, fields): citation.journal,
        "volume": citation.volume,
        "pages": citation.pages,
        "doi": citation.doi,
        "pmid": citation.pmid,
        "year": str(citation.year),
    }
    for name, value in columns.items():
        if value:
            fields[name] = value
        else:
            fields.pop(name, None)
    # Columns the BibTeX import does not fill: a blank one keeps what the imported entry had.
    resolved = {"number": citation.issue, "pmcid": citation.pmcid}
    if entry_type == "article":
        resolved["shortjournal"] = citation.journal_abbrev
    fields.update({name: value for name, value in resolved.items() if value})
    if not citation.authors and (persons := _label_persons(citation)):
        # No author list: the label's authors identify the entry when it is imported back.
        fields["author"] = join_persons(persons)
        fields["note"] = f"{LABEL_AUTHORS_NOTE_PREFIX} {citation.label}"
    return entry_type, fields


def _names_to_latex(names: str) -> str:
    encoded = []
    for name in split_multiple_persons_names(names):
        parts = parse_single_name_into_parts(name, strict=False)
        words = []
        for part in (parts.von + parts.last, parts.jr, parts.first):
            if part:
                words.append(" ".join(_word_to_latex(word) for word in part))
        encoded.append(", ".join(words))
    return " and ".join(encoded)


def _word_to_latex(word: str) -> str:
    if len(word) > 1 and word.startswith("{") and word.endswith("}"):
        return "{" + text_to_latex(word[1:-1]) + "}"
    return text_to_latex(word)


def _value_to_latex(name: str, value: object) -> str:
    if name == "month" and isinstance(value, int) and 1 <= value <= 12:
        return MONTHS[value - 1]
    text = str(value)
    if name in VERBATIM_FIELDS:
        latex = text.replace("{", "").replace("}", "")
    elif name in NAME_FIELDS:
        latex = _names_to_latex(text)
    else:
        latex = text_to_latex(text, protect_case=name == "title")
    return "{" + latex + "}"


def citation_to_bibtex(citation: Citation) -> str:
    """One citation as a BibTeX entry (ending with a newline)."""
    entry_type, fields = entry_fields(citation)
    order = [n for n in FIRST_FIELDS if n in fields] + sorted(n for n in fields if n not in FIRST_FIELDS)
    lines = [
        f"  {name} = {_value_to_latex(name, fields[name])}" for name in order if str(fields[name]).strip()
    ]
    key = _KEY_UNSAFE.sub("-", citation.key)
    return f"@{entry_type}{{{key},\n" + ",\n".join(lines) + "\n}\n"


def citations_to_bibtex_stream(citations: QuerySet[Citation] | Iterable[Citation]) -> Iterator[str]:
    """BibTeX for ``citations`` (a QuerySet is read in chunks), one entry per chunk: for large sets."""
    if isinstance(citations, QuerySet):
        citations = citations.iterator(chunk_size=CHUNK_SIZE)
    first = True
    for citation in citations:
        yield ("" if first else "\n") + citation_to_bibtex(citation)
        first = False


def citations_to_bibtex(citations: QuerySet[Citation] | Iterable[Citation]) -> str:
    """BibTeX for ``citations`` as one string."""
    return "".join(citations_to_bibtex_stream(citations))


def _vancouver_to_bibtex(authors: str) -> str:
    """'Liu L, Jiang D' (as Source.authors holds them) -> 'Liu, L. and Jiang, D.'."""
    names = []
    for name in (part.strip() for part in authors.split(",")):
        family, _, initials = name.rpartition(" ")
        if family and initials.isupper() and initials.isalpha():
            names.append(f"{family}, {'. '.join(initials)}.")
        elif name:
            names.append(f"{{{name}}}")
    return " and ".join(names)


def source_to_bibtex(source: Source) -> str:
    """The review itself (a claims.models.Source) as a BibTeX entry, keyed review-<surname><year>."""
    first = source.authors.split(",")[0].strip().rpartition(" ")[0] or "review"
    key = f"review-{fold(first)}{source.year}"
    fields = {
        "author": _vancouver_to_bibtex(source.authors),
        "title": source.title,
        "journal": source.journal,
        "year": str(source.year),
        "volume": source.volume,
        "pages": source.article_number,
        "doi": source.doi,
        "note": "The review ExoClaims transcribes; every claim quotes it",
    }
    lines = [f"  {name} = {_value_to_latex(name, value)}" for name, value in fields.items() if value]
    return f"@article{{{_KEY_UNSAFE.sub('-', key)},\n" + ",\n".join(lines) + "\n}\n"


def citations_with_review_bibtex_stream(
    citations: QuerySet[Citation] | Iterable[Citation], source: Source | None
) -> Iterator[str]:
    """The review's entry (when there is one), then ``citations``' entries."""
    if source is not None:
        yield source_to_bibtex(source) + "\n"
    yield from citations_to_bibtex_stream(citations)


def citations_of_claims(claims: QuerySet[Claim]) -> QuerySet[Citation]:
    """The citations behind ``claims`` (a Claim QuerySet, filtered or not), each once, by key."""
    links = Claim.citations.through.objects.filter(claim__in=claims.values("pk")).values("citation_id")
    return Citation.objects.filter(pk__in=links).order_by("key")
