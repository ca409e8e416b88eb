"""Read and validate the review's transcription (fixtures/) without touching the database.

``read_fixtures()`` returns a ``FixtureSet`` or raises ``FixtureErrors`` listing every problem,
each naming the file, the entry and the field. ``load_review`` writes only a set that passed.
"""

import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db.models.enums import ChoicesType

from claims import vocabulary as v
from claims.identifiers import CITATION_KEY, DOI, PMCID, PMID, RECORD, SLUG, URL
from claims.review_text import Anchor, QuoteError, SectionSpan, anchor_quote, split_sections

# One fixture entry (a YAML mapping), and where it was read (a path relative to the root).
type Entry = dict[str, Any]
type Where = str | Path

# EXOCLAIMS_FIXTURES_DIR loads another transcription (e.g. a snapshot under review).
FIXTURES_DIR = Path(
    os.environ.get("EXOCLAIMS_FIXTURES_DIR") or Path(__file__).resolve().parent.parent.parent / "fixtures"
)
PUBLIC_ID = re.compile(r"^CLM-\d{4,}$")

# libyaml's loader when PyYAML was built with it: the same safe subset, about ten times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENTITY_FILES = {
    "mechanisms": "entities/mechanisms.yaml",
    "drugs": "entities/drugs.yaml",
    "cargo": "entities/cargo.yaml",
    "cell_lines": "entities/cell_lines.yaml",
    "targets": "entities/targets.yaml",
}
_NAMES = {"slug", "name", "aliases", "misprints", "notes"}
ENTITY_FIELDS = {
    "mechanisms": _NAMES | {"parent", "description"},
    "drugs": _NAMES | {"drug_class", "chebi", "drugbank", "ncit"},
    "cargo": _NAMES | {"type", "hgnc", "mirbase", "uniprot"},
    "cell_lines": _NAMES | {"species", "subtype", "parent", "cellosaurus"},
    "targets": _NAMES | {"type", "hgnc", "uniprot"},
}
ENTITY_TYPE_CHOICES = {"cargo": v.CargoType, "targets": v.TargetType}
CITATION_FIELDS = {
    "key",
    "label",
    "first_author",
    "year",
    "year_suffix",
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
    "entry_type",
    "notes",
    "resolution",
    "resolution_note",
    "candidates",
    "evidence",
    "checked",
}
CHECK_FIELDS = {"claim", "citation", "support", "note", "record", "level", "checked"}
CLAIM_FIELDS = {
    "id",
    "section",
    "quote",
    "occurrence",
    "statement",
    "citations",
    "drugs",
    "cargo",
    "cargo_intervention",
    "targets",
    "restates",
    "cell_lines",
    "exosome_source",
    "mechanism",
    "therapy_class",
    "direction",
    "model",
    "notes",
    "review_errors",
    "status",
    "citation_support",
}
CLAIM_REQUIRED = {"id", "section", "quote", "statement", "therapy_class", "direction", "model"}


@dataclass
class FixtureError:
    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class FixtureErrors(Exception):
    def __init__(self, errors: list[FixtureError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class FixtureSet:
    text: str
    source: Entry
    sections: list[SectionSpan]
    entities: dict[str, list[Entry]]  # kind -> list of dicts
    citations: list[Entry]
    claims: list[Entry]  # dicts, each with an "anchor"
    checks: list[Entry] = field(default_factory=list)  # one dict per (claim, citation) verdict
    files: dict[Any, str] = field(default_factory=dict)  # claim id -> file it came from


class _Reader:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.errors: list[FixtureError] = []

    def error(self, path: Where, entry: object, message: str) -> None:
        self.errors.append(FixtureError(str(path), str(entry), message))

    def load_list(self, relative: Where) -> list[tuple[int, Entry]]:
        path = self.root / relative
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.error(relative, "-", "file is missing")
            return []
        try:
            data = yaml.load(raw.decode("utf-8"), Loader=_YAML_LOADER)
        except UnicodeDecodeError as exc:
            self.error(relative, "-", f"not UTF-8 at byte {exc.start}")
            return []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "-"
            self.error(relative, where, f"YAML syntax error: {getattr(exc, 'problem', exc)}")
            return []
        if data is None:
            return []
        if not isinstance(data, list):
            self.error(relative, "-", "expected a list of entries")
            return []
        good = []
        for index, entry in enumerate(data, 1):
            if isinstance(entry, dict):
                good.append((index, entry))
            else:
                self.error(relative, f"entry {index}", "expected a mapping of fields")
        return good


def _label(entry: Entry, index: int, key: str = "slug") -> str:
    value = entry.get(key)
    return f"{key}={value}" if value else f"entry {index}"


def _check_fields(
    reader: _Reader, path: Where, name: str, entry: Entry, allowed: set[str], required: set[str]
) -> None:
    for unknown in sorted(set(entry) - allowed):
        reader.error(path, name, f"unknown field '{unknown}'")
    for missing in sorted(required - {k for k, val in entry.items() if val not in (None, "", [])}):
        reader.error(path, name, f"field '{missing}' is required")


def _check_choice(
    reader: _Reader,
    path: Where,
    name: str,
    entry: Entry,
    fieldname: str,
    choices: ChoicesType,
    required: bool = True,
) -> None:
    value = entry.get(fieldname)
    if value in (None, "") and not required:
        return
    if value not in choices.values:
        reader.error(path, name, f"{fieldname} '{value}' is not one of {', '.join(choices.values)}")


def _read_entities(reader: _Reader) -> dict[str, list[Entry]]:
    entities: dict[str, list[Entry]] = {}
    for kind, relative in ENTITY_FILES.items():
        rows = [(relative, i, e) for i, e in reader.load_list(relative)]
        seen_slugs: dict[object, str] = {}
        seen_names: dict[str, object] = {}
        for path, index, entry in rows:
            name = _label(entry, index)
            _check_fields(reader, path, name, entry, ENTITY_FIELDS[kind], {"slug", "name"})
            slug = entry.get("slug")
            if slug and not SLUG.match(str(slug)):
                reader.error(path, name, "slug must be lowercase letters, digits and single hyphens")
            if slug in seen_slugs:
                reader.error(path, name, f"duplicate slug (also in {seen_slugs[slug]})")
            seen_slugs[slug] = path
            aliases = _text_list(reader, path, name, entry, "aliases")
            misprints = _text_list(reader, path, name, entry, "misprints")
            _check_entity_terms(reader, path, name, entry, aliases, misprints, seen_names)
            _check_entity_choices(reader, path, name, entry, kind)
            entities.setdefault(kind, []).append(dict(entry, aliases=aliases, misprints=misprints))
        _check_parents(reader, kind, rows, seen_slugs)
    return entities


def _check_entity_terms(
    reader: _Reader,
    path: Where,
    name: str,
    entry: Entry,
    aliases: list[str],
    misprints: list[str],
    seen_names: dict[str, object],
) -> None:
    """Each name, alias and misprint finds one entity of its kind; ``seen_names`` maps those read so far."""
    slug = entry.get("slug")
    for term in [entry.get("name")] + aliases + misprints:
        folded = str(term).casefold()
        if folded in seen_names and seen_names[folded] != slug:
            reader.error(path, name, f"name, alias or misprint '{term}' also names '{seen_names[folded]}'")
        seen_names[folded] = slug
    for term in set(aliases) & set(misprints):
        reader.error(path, name, f"'{term}' is listed both as an alias and as a misprint")


def _check_entity_choices(reader: _Reader, path: Where, name: str, entry: Entry, kind: str) -> None:
    if kind in ENTITY_TYPE_CHOICES:
        _check_choice(reader, path, name, entry, "type", ENTITY_TYPE_CHOICES[kind])
    if kind == "cell_lines":
        _check_choice(reader, path, name, entry, "species", v.Species, required=False)
        _check_choice(reader, path, name, entry, "subtype", v.Subtype, required=False)


def _check_parents(
    reader: _Reader, kind: str, rows: list[tuple[str, int, Entry]], slugs: Collection[object]
) -> None:
    for path, index, entry in rows:
        parent = entry.get("parent")
        if parent and parent not in slugs:
            reader.error(path, _label(entry, index), f"parent '{parent}' is not a known {kind} slug")
        if parent and parent == entry.get("slug"):
            reader.error(path, _label(entry, index), "an entity cannot be its own parent")


def _text_list(reader: _Reader, path: Where, name: str, entry: Entry, fieldname: str) -> list[str]:
    values = entry.get(fieldname) or []
    if not isinstance(values, list) or not all(isinstance(t, str) and t.strip() for t in values):
        reader.error(path, name, f"{fieldname} must be a list of non-empty texts")
        return []
    return values


def _check_author_names(reader: _Reader, name: str, authors: object) -> None:
    if authors in (None, "", []):
        return
    if isinstance(authors, str):
        return  # the BibTeX form, 'Family, Given and …'
    if not isinstance(authors, list) or not all(
        isinstance(a, dict) and set(a) <= {"family", "given"} and str(a.get("family") or "").strip()
        for a in authors
    ):
        reader.error("citations.yaml", name, "authors must be a list of {family, given} with a family name")


def _check_resolution(reader: _Reader, name: str, entry: Entry) -> None:
    """Identifiers need the records that showed them; doubts need their note."""
    where = "citations.yaml"
    resolution = entry.get("resolution") or v.CitationResolution.UNCHECKED
    if resolution not in v.CitationResolution.values:
        reader.error(
            where, name, f"resolution '{resolution}' is not one of {', '.join(v.CitationResolution.values)}"
        )
    for fieldname, pattern, form in [("pmid", PMID, "digits, e.g. 27941677"), ("pmcid", PMCID, "PMC1234567")]:
        value = entry.get(fieldname)
        if value not in (None, "") and not pattern.match(str(value)):
            reader.error(where, name, f"{fieldname} '{value}' is not of the form {form}")
    evidence = entry.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(u, str) and URL.match(u) for u in evidence):
        reader.error(where, name, "evidence must be a list of http(s) addresses")
        evidence = []
    if (entry.get("doi") or entry.get("pmid")) and not evidence:
        reader.error(where, name, "a DOI or PMID needs the address of the record that showed it (evidence)")
    if resolution == v.CitationResolution.RESOLVED and not entry.get("checked"):
        reader.error(where, name, "a resolved citation needs the date it was checked (checked)")
    if (
        resolution in (v.CitationResolution.AMBIGUOUS, v.CitationResolution.UNRESOLVED)
        and not str(entry.get("resolution_note") or "").strip()
    ):
        reader.error(where, name, f"a {resolution} citation needs a resolution_note saying what was searched")
    candidates = entry.get("candidates") or []
    if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
        reader.error(where, name, "candidates must be a list of mappings")


def _read_citations(reader: _Reader) -> list[Entry]:
    citations = []
    keys: set[object] = set()
    labels: set[object] = set()
    dois: dict[str, object] = {}
    for index, entry in reader.load_list("citations.yaml"):
        name = _label(entry, index, "key")
        _check_fields(reader, "citations.yaml", name, entry, CITATION_FIELDS, {"key", "label", "year"})
        key = entry.get("key")
        if key and not CITATION_KEY.match(str(key)):
            reader.error(
                "citations.yaml", name, "key must be a lowercase surname, a year and an optional letter"
            )
        if key in keys:
            reader.error("citations.yaml", name, "duplicate key")
        if entry.get("label") in labels:
            reader.error("citations.yaml", name, f"duplicate label '{entry.get('label')}'")
        doi = entry.get("doi")
        if doi:
            if not DOI.match(str(doi)):
                reader.error("citations.yaml", name, f"doi '{doi}' is not of the form 10.NNNN/…")
            elif doi.lower() in dois:
                reader.error("citations.yaml", name, f"doi also belongs to {dois[doi.lower()]}")
            else:
                dois[doi.lower()] = key
        if not isinstance(entry.get("year"), int):
            reader.error("citations.yaml", name, "year must be a whole number")
        _check_author_names(reader, name, entry.get("authors"))
        _check_resolution(reader, name, entry)
        keys.add(key)
        labels.add(entry.get("label"))
        citations.append(entry)
    return citations


@dataclass
class _Known:
    """What a claim may name: the review's sections and the slugs and keys the other files define."""

    sections: dict[str, SectionSpan]  # number -> section span
    slugs: dict[str, set[object]]  # entity kind -> set of slugs
    citation_keys: set[object]


def _read_claims(
    reader: _Reader,
    text: str,
    sections: list[SectionSpan],
    entities: dict[str, list[Entry]],
    citations: list[Entry],
) -> tuple[list[Entry], dict[Any, str]]:
    known = _Known(
        sections={s.number: s for s in sections},
        slugs={kind: {e.get("slug") for e in rows} for kind, rows in entities.items()},
        citation_keys={c.get("key") for c in citations},
    )
    claims: list[Entry] = []
    files: dict[Any, str] = {}
    seen_ids: dict[object, Path] = {}
    seen_pairs: dict[tuple[int, int, object], object] = {}
    for path in sorted((reader.root / "claims").glob("*.yaml")):
        relative = path.relative_to(reader.root)
        for index, entry in reader.load_list(relative):
            name = _label(entry, index, "id")
            public_id = entry.get("id")
            _check_fields(reader, relative, name, entry, CLAIM_FIELDS, CLAIM_REQUIRED)
            _check_claim_id(reader, relative, name, public_id, seen_ids)
            seen_ids[public_id] = relative
            anchor = _anchor_claim_quote(reader, relative, name, entry, text, known.sections)
            _check_statement(reader, relative, name, entry)
            _check_claim_choices(reader, relative, name, entry)
            for key in entry.get("citations") or []:
                if key not in known.citation_keys:
                    reader.error(relative, name, f"citation '{key}' is not in citations.yaml")
            _check_cargo_intervention(reader, relative, name, entry)
            _check_claim_entities(reader, relative, name, entry, known.slugs)
            _text_list(reader, relative, name, entry, "review_errors")
            if anchor is not None:
                pair = (anchor.start, anchor.end, entry.get("statement"))
                if pair in seen_pairs:
                    reader.error(relative, name, f"same quote and statement as {seen_pairs[pair]}")
                seen_pairs[pair] = public_id
            claims.append(dict(entry, anchor=anchor))
            files[public_id] = str(relative)
    _check_restates(reader, claims, files)
    return claims, files


def _check_claim_id(
    reader: _Reader, path: Where, name: str, public_id: object, seen_ids: dict[object, Path]
) -> None:
    if public_id and not PUBLIC_ID.match(str(public_id)):
        reader.error(path, name, "id must look like CLM-0001")
    if public_id in seen_ids:
        reader.error(path, name, f"duplicate id (also in {seen_ids[public_id]})")


def _anchor_claim_quote(
    reader: _Reader, path: Where, name: str, entry: Entry, text: str, sections: dict[str, SectionSpan]
) -> Anchor | None:
    """The quote's place in its section of the review; None (and the problem reported) if not found."""
    section = sections.get(str(entry.get("section")))
    if section is None:
        reader.error(path, name, f"section '{entry.get('section')}' is not a section of the review")
    quote = entry.get("quote")
    if isinstance(quote, str) and section is not None:
        try:
            return anchor_quote(text, quote, entry.get("occurrence"), within=section)
        except QuoteError as exc:
            reader.error(path, name, f"quote: {exc}")
    elif quote is not None and not isinstance(quote, str):
        reader.error(path, name, "quote must be text")
    return None


def _check_statement(reader: _Reader, path: Where, name: str, entry: Entry) -> None:
    statement, quote = entry.get("statement"), entry.get("quote")
    if isinstance(statement, str) and isinstance(quote, str) and statement.strip() == quote.strip():
        reader.error(path, name, "statement must be our own words, not the quote")


def _check_claim_choices(reader: _Reader, path: Where, name: str, entry: Entry) -> None:
    for fieldname, choices in [
        ("therapy_class", v.TherapyClass),
        ("direction", v.Direction),
        ("model", v.ModelSystem),
    ]:
        _check_choice(reader, path, name, entry, fieldname, choices)
    _check_choice(reader, path, name, entry, "status", v.CurationStatus, required=False)
    _check_choice(reader, path, name, entry, "citation_support", v.CitationSupport, required=False)


def _check_cargo_intervention(reader: _Reader, path: Where, name: str, entry: Entry) -> None:
    """A claim names cargo and its cargo_intervention together, or neither."""
    _check_choice(reader, path, name, entry, "cargo_intervention", v.CargoIntervention, required=False)
    intervention = entry.get("cargo_intervention") or v.CargoIntervention.NOT_APPLICABLE
    if entry.get("cargo") and intervention == v.CargoIntervention.NOT_APPLICABLE:
        reader.error(
            path, name, "a claim with cargo needs its cargo_intervention (raised, lowered, measured)"
        )
    if not entry.get("cargo") and intervention != v.CargoIntervention.NOT_APPLICABLE:
        reader.error(path, name, f"cargo_intervention '{intervention}' needs cargo")


def _check_claim_entities(
    reader: _Reader, path: Where, name: str, entry: Entry, slugs: dict[str, set[object]]
) -> None:
    for kind in ("drugs", "cargo", "targets"):
        for slug in entry.get(kind) or []:
            if slug not in slugs.get(kind, set()):
                reader.error(path, name, f"{kind}: '{slug}' is not a known {kind} slug")
    _check_cell_line_links(reader, path, name, entry.get("cell_lines") or [], slugs.get("cell_lines", set()))
    mechanism = entry.get("mechanism")
    if mechanism and mechanism not in slugs.get("mechanisms", set()):
        reader.error(path, name, f"mechanism '{mechanism}' is not a known mechanism slug")


def _check_cell_line_links(
    reader: _Reader, path: Where, name: str, links: Iterable[object], cell_lines: Collection[object]
) -> None:
    for link in links:
        if not isinstance(link, dict) or set(link) != {"slug", "role"}:
            reader.error(path, name, "cell_lines entries need exactly 'slug' and 'role'")
            continue
        if link["slug"] not in cell_lines:
            reader.error(path, name, f"cell_lines: '{link['slug']}' is not a known cell line slug")
        if link["role"] not in v.CellLineRole.values:
            roles = ", ".join(v.CellLineRole.values)
            reader.error(path, name, f"cell_lines: role '{link['role']}' is not one of {roles}")


def _check_restates(reader: _Reader, claims: list[Entry], files: dict[Any, str]) -> None:
    ids = {c.get("id") for c in claims}
    for claim in claims:
        restates = claim.get("restates") or []
        if not isinstance(restates, list):
            reader.error(
                files.get(claim.get("id"), "claims"), claim.get("id"), "restates must be a list of claim ids"
            )
            continue
        for other in restates:
            if other not in ids:
                reader.error(
                    files.get(claim.get("id"), "claims"),
                    claim.get("id"),
                    f"restates: '{other}' is not a claim id",
                )
            elif other == claim.get("id"):
                reader.error(
                    files.get(claim.get("id"), "claims"), claim.get("id"), "a claim cannot restate itself"
                )


def _read_checks(reader: _Reader, claims: list[Entry], citations: list[Entry]) -> list[Entry]:
    """citation_checks.yaml: one verdict per (claim, citation), for citations the claim cites."""
    where = "citation_checks.yaml"
    cited = {c.get("id"): set(c.get("citations") or []) for c in claims}
    checks: list[Entry] = []
    seen: set[tuple[object, object]] = set()
    if not (reader.root / where).exists():
        return checks
    for index, entry in reader.load_list(where):
        name = f"{entry.get('claim')}/{entry.get('citation')}" if entry.get("claim") else f"entry {index}"
        _check_fields(reader, where, name, entry, CHECK_FIELDS, {"claim", "citation", "support"})
        claim, citation = entry.get("claim"), entry.get("citation")
        if claim not in cited:
            reader.error(where, name, f"claim '{claim}' is not in the claims files")
        elif citation not in cited[claim]:
            reader.error(where, name, f"claim '{claim}' does not cite '{citation}'")
        if (claim, citation) in seen:
            reader.error(where, name, "a second verdict for the same claim and citation")
        seen.add((claim, citation))
        _check_choice(reader, where, name, entry, "support", v.CitationSupport)
        _check_choice(reader, where, name, entry, "level", v.CheckLevel, required=False)
        record = entry.get("record")
        if entry.get("support") != v.CitationSupport.NOT_CHECKED:
            if not record or not RECORD.match(str(record)):
                reader.error(
                    where,
                    name,
                    f"record '{record}' must be PMID:<digits>, DOI:10.…/… or the record's address",
                )
            if not str(entry.get("note") or "").strip():
                reader.error(where, name, "a verdict needs a note saying what the paper shows")
        checks.append(entry)
    return checks


def read_fixtures(root: str | Path = FIXTURES_DIR) -> FixtureSet:
    """Parse and validate every fixture file; raise FixtureErrors naming each problem."""
    reader = _Reader(root)
    text_path = reader.root / "review" / "review.txt"
    try:
        text = text_path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError) as exc:
        raise FixtureErrors(
            [FixtureError("review/review.txt", "-", f"cannot read the review text: {exc}")]
        ) from exc
    sections = split_sections(text)
    source_rows = reader.load_list("review/source.yaml")
    source = source_rows[0][1] if source_rows else {}
    entities = _read_entities(reader)
    citations = _read_citations(reader)
    claims, files = _read_claims(reader, text, sections, entities, citations)
    checks = _read_checks(reader, claims, citations)
    if reader.errors:
        raise FixtureErrors(reader.errors)
    return FixtureSet(text, source, sections, entities, citations, claims, files=files, checks=checks)
