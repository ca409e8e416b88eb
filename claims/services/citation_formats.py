"""Cited works as CSL-JSON (citeproc, Zotero, Pandoc) and RIS (EndNote, Mendeley, Zotero).

Both read the structured record (``author_names``, ``journal_abbrev``, ``issue``, identifiers),
never the BibTeX text. A work known only by its in-text label is still written (its label's
first author and year) so an export of a set of claims names every work they rest on.
"""

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from claims import vocabulary as v
from claims.models import Citation

# Citations to write: a QuerySet (read in chunks) or any iterable of them.
type Citations = QuerySet[Citation] | Iterable[Citation]

CHUNK_SIZE = 500
CSL_TYPES: dict[str, str] = {
    v.EntryType.ARTICLE: "article-journal",
    v.EntryType.BOOK: "book",
    v.EntryType.INCOLLECTION: "chapter",
    v.EntryType.INPROCEEDINGS: "paper-conference",
}
RIS_TYPES: dict[str, str] = {
    v.EntryType.ARTICLE: "JOUR",
    v.EntryType.BOOK: "BOOK",
    v.EntryType.INCOLLECTION: "CHAP",
    v.EntryType.INPROCEEDINGS: "CONF",
}
_PAGE_RANGE = re.compile(r"^\s*(\S+?)\s*[-–—]+\s*(\S+)\s*$")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def _persons(citation: Citation) -> list[dict[str, str]]:
    if citation.author_names:
        return [{k: n[k] for k in ("family", "given") if n.get(k)} for n in citation.author_names]
    return [{"family": citation.first_author}] if citation.first_author else []


def citation_to_csl(citation: Citation) -> dict[str, Any]:
    """One CSL-JSON item (a dict); empty variables are left out."""
    item = {
        "id": citation.key,
        "type": CSL_TYPES.get(citation.entry_type, "article-journal" if citation.journal else "document"),
        "citation-label": citation.label,
        "author": _persons(citation),
        "issued": {"date-parts": [[citation.year]]},
        "title": citation.title,
        "container-title": citation.journal,
        "container-title-short": citation.journal_abbrev,
        "volume": citation.volume,
        "issue": citation.issue,
        "page": citation.pages,
        "DOI": citation.doi,
        "PMID": citation.pmid,
        "PMCID": citation.pmcid,
        "URL": citation.doi_url or citation.pubmed_url,
    }
    return {name: value for name, value in item.items() if value not in ("", [], None)}


def _iterate(citations: Citations) -> Iterable[Citation]:
    return citations.iterator(chunk_size=CHUNK_SIZE) if isinstance(citations, QuerySet) else citations


def citations_to_csl_json_stream(citations: Citations) -> Iterator[str]:
    """A JSON array of CSL items, one chunk of text per work (for streaming large sets)."""
    yield "["
    first = True
    for citation in _iterate(citations):
        yield ("\n" if first else ",\n") + json.dumps(citation_to_csl(citation), ensure_ascii=False)
        first = False
    yield "\n]\n"


def _ris_line(tag: str, value: object) -> str:
    # One tag a line: a line break inside a value would start a line RIS readers misread.
    return f"{tag}  - {_LINE_BREAKS.sub(' ', str(value)).strip()}\n"


def citation_to_ris(citation: Citation) -> str:
    """One RIS record, from TY to ER."""
    lines = [_ris_line("TY", RIS_TYPES.get(citation.entry_type, "JOUR" if citation.journal else "GEN"))]
    lines.append(_ris_line("ID", citation.key))
    for person in _persons(citation):
        name = f"{person['family']}, {person['given']}" if person.get("given") else person["family"]
        lines.append(_ris_line("AU", name))
    fields = [
        ("TI", citation.title),
        ("T2", citation.journal),
        ("J2", citation.journal_abbrev),
        ("PY", citation.year),
        ("VL", citation.volume),
        ("IS", citation.issue),
    ]
    pages = _PAGE_RANGE.match(citation.pages or "")
    if pages:
        fields += [("SP", pages.group(1)), ("EP", pages.group(2))]
    else:
        fields.append(("SP", citation.pages))
    fields += [
        ("DO", citation.doi),
        ("AN", citation.pmid),
        ("C2", citation.pmcid),
        ("UR", citation.doi_url or citation.pubmed_url),
        ("LB", citation.label),
    ]
    lines += [_ris_line(tag, value) for tag, value in fields if value not in ("", None)]
    lines.append("ER  - \n")
    return "".join(lines)


def citations_to_ris_stream(citations: Citations) -> Iterator[str]:
    first = True
    for citation in _iterate(citations):
        yield ("" if first else "\n") + citation_to_ris(citation)
        first = False
