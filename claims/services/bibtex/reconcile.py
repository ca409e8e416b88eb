"""Decide, for each entry of a file, which Citation it is (if any) and what importing it changes.

Matching, in this order:

1. DOI, case-insensitively.
1b. An entry whose first author has no Latin surname (nothing to match by name, so its new
   citation got an ``anon…`` key) and no DOI: by the entry's key and title, against the key the
   citation was imported under (read from its raw entry) or its own key, and its title
   (case and punctuation aside).
2. First author's surname (folded, see values.py) and year, against every citation's
   ``first_author`` and ``year`` (for the review's stubs, those of its in-text label). Among the
   citations found, when the review cites several works by one first author in one year
   ("Wang et al., 2019a", "…2019b"):
   - an entry that states a suffix gets the citation with that suffix; the suffix is read from
     the year field ("2019a", as some reference managers write it) or else from the key
     ("Wang2019a"), only when the key's year is the entry's year;
   - a single remaining citation is the match, suffixed or not;
   - several remaining citations are paired with the entries by order (the first entry in the
     file gets "a", as in the review's alphabetical reference list) only when the file holds
     exactly as many such entries as there are citations left and none states a suffix;
   - anything else is ambiguous, and reported.
   First author and year are never enough on their own when the second author is known on both
   sides and differs: a two-author label ("Mao and Jin, 2019") or the citation's structured
   author list names it, and the entry's second author must be that person. "Mao, L. and Li, J."
   does not match "Mao and Jin, 2019"; the entry is reported as conflicting.
   A key suffix made up by a reference manager (Better BibTeX's "wang2019a") is its own
   disambiguation, not necessarily the review's: entries with DOIs never depend on it, and the
   preview shows every pairing before anything is written.

An entry is *conflicting*, and nothing of it is written, when the match is ambiguous, two entries
match one citation, a label match carries a different DOI, a DOI match names another first
author or year, or the file disagrees with a column the citation already has (curators may have
corrected it). Otherwise it is *new*, *enriched* (blank columns filled, BibTeX fields added or
updated) or *unchanged*.
"""

import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from claims.models import Citation
from claims.services.bibtex.parse import BibtexRefused, Problem
from claims.services.bibtex.values import (
    COLUMNS,
    ENTRY_TYPE_FIELD,
    EntryValues,
    fold,
    key_stem,
    surname_keys,
)

NEW, ENRICHED, UNCHANGED, CONFLICTING = "new", "enriched", "unchanged", "conflicting"
OUTCOMES = [NEW, ENRICHED, UNCHANGED, CONFLICTING]
# (field, stored value, incoming value)
type Change = tuple[str, Any, Any]
# Entry index -> (the matched citation, how), or (None, why the match is ambiguous).
type Matches = dict[int, tuple[Citation | None, str]]
type NameYearIndex = Mapping[tuple[str, int], list[Citation]]


@dataclass
class EntryResult:
    outcome: str
    values: EntryValues
    citation: Citation | None = None  # the matched Citation (None for new entries)
    matched_by: str = ""
    key: str = ""  # the citation's key (assigned for new entries)
    label: str = ""
    year_suffix: str = ""
    changes: list[Change] = field(default_factory=list)  # [(field, stored, incoming)]
    reason: str = ""

    @property
    def entry_key(self) -> str:
        return self.values.key

    @property
    def line(self) -> int:
        return self.values.line


def _citation_keys(citation: Citation) -> frozenset[str]:
    """The citation's first author as its label prints it and, when known, as its author list does
    (a label may misprint the name: "F et al., 2018" for Bray F)."""
    keys = surname_keys(citation.first_author) if citation.first_author else frozenset()
    names = citation.author_names or []
    if names and names[0].get("family"):
        keys |= surname_keys(names[0]["family"])
    return keys


_RAW_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()]+)")


def _by_key_and_title(citations: Iterable[Citation]) -> dict[tuple[str, str], Citation]:
    """{(key, folded title): citation} under the key each citation was imported with and its own."""
    index: dict[tuple[str, str], Citation] = {}
    for citation in citations:
        if not citation.title:
            continue
        imported = _RAW_KEY.match(citation.raw_bibtex.lstrip()) if citation.raw_bibtex else None
        for key in {citation.key, imported.group(1) if imported else citation.key}:
            index.setdefault((key.lower(), _title_key(citation.title)), citation)
    return index


def _title_key(title: str) -> str:
    # Not fold(): it keeps ASCII only, and these titles are often in the author's script.
    return re.sub(r"\W", "", unicodedata.normalize("NFKC", title).casefold())


def _index(citations: Sequence[Citation]) -> tuple[dict[str, Citation], NameYearIndex]:
    by_doi = {c.doi.lower(): c for c in citations if c.doi}
    by_name_year: defaultdict[tuple[str, int], list[Citation]] = defaultdict(list)
    for citation in citations:
        for key in _citation_keys(citation):
            by_name_year[(key, citation.year)].append(citation)
    return by_doi, by_name_year


_TWO_AUTHOR_LABEL = re.compile(r"^(?P<first>.+?) (?:and|&) (?P<second>.+?),\s*\d{4}[a-z]?$")


def second_author_of(citation: Citation) -> str:
    """The citation's second author's surname when it is known ("" when not): from its structured
    author list, else from a two-author label."""
    names = citation.author_names or []
    if len(names) > 1 and names[1].get("family"):
        return names[1]["family"]
    match = _TWO_AUTHOR_LABEL.match(citation.label)
    return match.group("second").strip() if match and " et al." not in match.group("first") else ""


def _second_author_of_entry(item: EntryValues) -> str:
    persons = item.entry.persons.get("author") or item.entry.persons.get("editor") or ()
    return persons[1].surname if len(persons) > 1 and not persons[1].is_others else ""


def second_author_disagrees(citation: Citation, item: EntryValues) -> bool:
    """True when both the citation and the entry name a second author, and they differ."""
    ours, theirs = second_author_of(citation), _second_author_of_entry(item)
    return bool(ours and theirs and not surname_keys(ours) & surname_keys(theirs))


def _candidates(item: EntryValues, by_name_year: NameYearIndex, taken: set[int]) -> list[Citation]:
    found = {}
    for key in item.surname_keys:
        for citation in by_name_year.get((key, item.year), []):
            if citation.pk not in taken:
                found[citation.pk] = citation
    return sorted(found.values(), key=lambda c: (c.year_suffix, c.key))


def _labels(citations: Iterable[Citation]) -> str:
    return ", ".join(f"{c.key} ({c.label})" for c in citations)


def _match_group(indexes: list[int], values: Sequence[EntryValues], candidates: list[Citation]) -> Matches:
    """{entry index: (citation, how) or (None, reason)} for entries sharing first author and year."""
    decided: Matches = {}
    for index in indexes:
        suffix = values[index].year_suffix
        exact = [c for c in candidates if suffix and c.year_suffix == suffix]
        if len(exact) == 1:
            decided[index] = (exact[0], "first author, year and suffix")
    left = [c for c in candidates if all(c is not chosen for chosen, _ in decided.values())]
    rest = [i for i in indexes if i not in decided]
    positional = len(rest) == len(left) > 1 and all(c.year_suffix for c in left)
    positional = positional and not any(values[i].year_suffix for i in rest)
    for position, index in enumerate(rest):
        suffix = values[index].year_suffix
        if len(left) == 1 and not (suffix and left[0].year_suffix):
            # Several entries for one citation are reported together as conflicts (see reconcile).
            decided[index] = (left[0], "first author and year")
        elif positional:
            decided[index] = (left[position], "first author, year and order in the file")
        else:
            item = values[index]
            decided[index] = (
                None,
                f"{item.surname} {item.year}{suffix} could be {_labels(candidates)}; give the entry a DOI, "
                "or a year or key with the review's suffix (e.g. year = {2019a})",
            )
    return decided


def _differences(citation: Citation, item: EntryValues) -> tuple[list[Change], list[Change]]:
    """(changes, conflicts) between what the citation holds and what the entry says."""
    changes: list[Change] = []
    conflicts: list[Change] = []
    if item.is_stub_record:
        return changes, conflicts
    for name in COLUMNS:
        incoming, stored = item.columns[name], getattr(citation, name)
        if not incoming:
            continue
        if not stored:
            changes.append((name, stored, incoming))
        elif stored != incoming and not (name == "doi" and stored.lower() == incoming.lower()):
            conflicts.append((name, stored, incoming))
    stored_fields = citation.bibtex_fields or {}
    field_changes = []
    for name, incoming in item.fields.items():
        if name in item.column_fields:
            continue
        if stored_fields.get(name) != incoming:
            label = "bibtex.@type" if name == ENTRY_TYPE_FIELD else f"bibtex.{name}"
            field_changes.append((label, stored_fields.get(name, ""), incoming))
    # A citation that never had BibTeX fields is exported with the type its entry_type column
    # gives; reading that type back alone tells nothing new.
    if (
        len(field_changes) == 1
        and field_changes[0][0] == "bibtex.@type"
        and ENTRY_TYPE_FIELD not in stored_fields
        and item.columns["entry_type"] == citation.entry_type
    ):
        field_changes = []
    return changes + field_changes, conflicts


def _identity_conflict(citation: Citation, item: EntryValues, how: str) -> str:
    if how == "DOI":
        if citation.year != item.year:
            return f"the DOI is {citation.key}'s, but the year differs (stored {citation.year}, file {item.year})"
        if citation.first_author and item.surname and not (_citation_keys(citation) & item.surname_keys):
            return (
                f"the DOI is {citation.key}'s, but the first author differs "
                f"(stored {citation.first_author}, file {item.surname})"
            )
    elif citation.doi and item.doi and citation.doi.lower() != item.doi.lower():
        return (
            f"same first author and year as {citation.key} ({citation.label}) but a different DOI "
            f"(stored {citation.doi}, file {item.doi})"
        )
    return ""


_SUFFIXES = [
    "",
    *string.ascii_lowercase,
    *(a + b for a in string.ascii_lowercase for b in string.ascii_lowercase),
]
MAX_LABEL = 200


def _label(stem: str, year: int, suffix: str) -> str:
    tail = f", {year}{suffix}"
    if len(stem) + len(tail) > MAX_LABEL:
        stem = stem[: MAX_LABEL - len(tail) - 1] + "…"
    return stem + tail


def _free_identity(
    item: EntryValues, desired: str, taken_keys: set[str], taken_labels: set[str]
) -> tuple[str, str, str]:
    """A (label, key, suffix) for a new citation that no citation uses yet."""
    stem = item.label_stem or "Anonymous"
    name_stem = key_stem(item.surname) if item.surname else "anon"
    label = item.stub_label
    if label and label not in taken_labels and len(label) <= MAX_LABEL:
        suffix = label[-1] if label[-1] in string.ascii_lowercase else ""
        key = f"{name_stem}{item.year}{suffix}"
        if key.lower() not in taken_keys:
            return label, key, suffix
    for suffix in dict.fromkeys([desired, *_SUFFIXES]):
        label, key = _label(stem, item.year, suffix), f"{name_stem}{item.year}{suffix}"
        if label not in taken_labels and key.lower() not in taken_keys:
            return label, key, suffix
    raise BibtexRefused(
        [Problem(item.line, item.key, f"over {len(_SUFFIXES)} works by {stem} in {item.year}")]
    )


def _assign_new_identities(results: list[EntryResult], citations: Iterable[Citation]) -> None:
    taken_keys = {c.key.lower() for c in citations}
    taken_labels = {c.label for c in citations}
    new = [r for r in results if r.outcome == NEW]
    groups: defaultdict[tuple[str, int], list[EntryResult]] = defaultdict(list)
    for result in new:
        groups[(result.values.group, result.values.year)].append(result)
    for result in new:
        item = result.values
        siblings = groups[(item.group, item.year)]
        desired = item.year_suffix
        if not desired and len(siblings) > 1 and not any(s.values.year_suffix for s in siblings):
            desired = string.ascii_lowercase[siblings.index(result) % 26]
        result.label, result.key, result.year_suffix = _free_identity(item, desired, taken_keys, taken_labels)
        taken_keys.add(result.key.lower())
        taken_labels.add(result.label)


def _mismatch_reason(item: EntryValues, citations: Iterable[Citation]) -> str:
    theirs = _second_author_of_entry(item)
    return (
        f"same first author and year as {_labels(citations)}, but the second author differs "
        f"(file {theirs}, review {', '.join(second_author_of(c) for c in citations)}); "
        "give the entry the review's DOI if it is the same work"
    )


def reconcile(values: Sequence[EntryValues], citations: Sequence[Citation]) -> list[EntryResult]:
    """One EntryResult per entry (in file order), given every existing citation."""
    by_doi, by_name_year = _index(citations)
    matches: Matches = {}  # entry index -> (citation, how), or (None, why it is ambiguous)
    for index, item in enumerate(values):
        if item.doi and item.doi.lower() in by_doi:
            matches[index] = (by_doi[item.doi.lower()], "DOI")
    taken = {citation.pk for citation, _ in matches.values() if citation is not None}
    _match_by_key_and_title(values, citations, matches, taken)
    mismatched: dict[
        int, list[Citation]
    ] = {}  # entry index -> the citations whose second author it contradicts
    for indexes in _name_year_groups(values, matches).values():
        _match_by_name_and_year(indexes, values, by_name_year, taken, matches, mismatched)
    claimed: defaultdict[int, list[int]] = defaultdict(list)
    for index, (citation, _) in matches.items():
        if citation is not None:
            claimed[citation.pk].append(index)
    results = []
    for index, item in enumerate(values):
        citation, how = matches.get(index, (None, ""))
        if index in mismatched:
            results.append(EntryResult(CONFLICTING, item, reason=_mismatch_reason(item, mismatched[index])))
        elif index in matches and citation is None:
            results.append(EntryResult(CONFLICTING, item, reason=f"ambiguous: {how}"))
        elif citation is None:
            results.append(EntryResult(NEW, item))
        else:
            rivals = [values[i] for i in claimed[citation.pk] if i != index]
            results.append(_matched_result(item, citation, how, rivals))
    _assign_new_identities(results, citations)
    return results


def _match_by_key_and_title(
    values: Sequence[EntryValues], citations: Iterable[Citation], matches: Matches, taken: set[int]
) -> None:
    """Rule 1b, for entries without a DOI or a Latin surname."""
    by_key_title = None
    for index, item in enumerate(values):
        if index in matches or item.doi or item.surname_keys or not item.columns["title"]:
            continue
        by_key_title = _by_key_and_title(citations) if by_key_title is None else by_key_title
        citation = by_key_title.get((item.key.lower(), _title_key(item.columns["title"])))
        if citation is not None and citation.pk not in taken:
            matches[index] = (citation, "key and title")
            taken.add(citation.pk)


def _name_year_groups(values: Sequence[EntryValues], matches: Matches) -> dict[tuple[str, int], list[int]]:
    """The entries still unmatched, by first author's surname and year (rule 2)."""
    groups: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
    for index, item in enumerate(values):
        if index not in matches and item.surname_keys:
            groups[(fold(item.surname), item.year)].append(index)
    return groups


def _match_by_name_and_year(
    indexes: list[int],
    values: Sequence[EntryValues],
    by_name_year: NameYearIndex,
    taken: set[int],
    matches: Matches,
    mismatched: dict[int, list[Citation]],
) -> None:
    """Rule 2 for one group of entries: only citations whose second author agrees can match."""
    candidates = _candidates(values[indexes[0]], by_name_year, taken)
    agreeing = []
    for index in indexes:
        allowed = [c for c in candidates if not second_author_disagrees(c, values[index])]
        if candidates and not allowed:
            mismatched[index] = candidates
        else:
            agreeing.append(index)
    candidates = [c for c in candidates if any(not second_author_disagrees(c, values[i]) for i in agreeing)]
    if candidates and agreeing:
        matches.update(_match_group(agreeing, values, candidates))
    for index in agreeing:
        citation, _ = matches.get(index, (None, ""))
        if citation is not None and second_author_disagrees(citation, values[index]):
            del matches[index]
            mismatched[index] = [citation]


def _matched_result(
    item: EntryValues, citation: Citation, how: str, rivals: list[EntryValues]
) -> EntryResult:
    """Unchanged, enriched or conflicting: the entry matched ``citation``, as did ``rivals``."""
    result = EntryResult(
        UNCHANGED,
        item,
        citation=citation,
        matched_by=how,
        key=citation.key,
        label=citation.label,
        year_suffix=citation.year_suffix,
    )
    reason = _identity_conflict(citation, item, how)
    if rivals:
        others = ", ".join(f"{r.key} (line {r.line})" for r in rivals)
        reason = f"{citation.key} is also matched by {others}"
    result.changes, conflicts = _differences(citation, item)
    if conflicts and not reason:
        reason = "the file disagrees with stored values: " + "; ".join(
            f"{name} is '{stored}', the file says '{incoming}'" for name, stored, incoming in conflicts
        )
        result.changes = conflicts
    if reason:
        result.outcome, result.reason = CONFLICTING, reason
    elif result.changes:
        result.outcome = ENRICHED
    return result
