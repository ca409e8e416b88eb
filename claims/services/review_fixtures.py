"""Read and validate the review's transcription (fixtures/) without touching the database.

``read_fixtures()`` returns a ``FixtureSet`` or raises ``FixtureErrors`` listing every problem,
each naming the file, the entry and the field. ``load_review`` writes only a set that passed.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from claims import vocabulary as v
from claims.review_text import QuoteError, anchor_quote, split_sections

# EXOCLAIMS_FIXTURES_DIR loads another transcription (e.g. a snapshot under review).
FIXTURES_DIR = Path(
    os.environ.get("EXOCLAIMS_FIXTURES_DIR") or Path(__file__).resolve().parent.parent.parent / "fixtures"
)
PUBLIC_ID = re.compile(r"^CLM-\d{4,}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CITATION_KEY = re.compile(r"^[a-z]+\d{4}[a-z]?$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")

# libyaml's loader when PyYAML was built with it: the same safe subset, about ten times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENTITY_FILES = {
    "mechanisms": "entities/mechanisms.yaml",
    "drugs": "entities/drugs.yaml",
    "cargo": "entities/cargo.yaml",
    "cell_lines": "entities/cell_lines.yaml",
}
ENTITY_FIELDS = {
    "mechanisms": {"slug", "name", "parent", "description"},
    "drugs": {"slug", "name", "aliases", "drug_class", "chebi", "drugbank", "ncit", "notes"},
    "cargo": {"slug", "name", "type", "aliases", "hgnc", "mirbase", "uniprot", "notes"},
    "cell_lines": {"slug", "name", "aliases", "species", "subtype", "parent", "cellosaurus", "notes"},
}
CITATION_FIELDS = {
    "key", "label", "first_author", "year", "year_suffix", "authors", "title", "journal",
    "volume", "pages", "doi", "pmid", "entry_type", "notes",
}  # fmt: skip
CLAIM_FIELDS = {
    "id", "section", "quote", "occurrence", "statement", "citations", "drugs", "cargo",
    "cell_lines", "exosome_source", "mechanism", "therapy_class", "direction", "model",
    "notes", "review_errors", "status", "citation_support",
}  # fmt: skip
CLAIM_REQUIRED = {"id", "section", "quote", "statement", "therapy_class", "direction", "model"}


@dataclass
class FixtureError:
    file: str
    entry: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.entry}: {self.message}"


class FixtureErrors(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class FixtureSet:
    text: str
    source: dict
    sections: list
    entities: dict  # kind -> list of dicts
    citations: list
    claims: list  # dicts, each with an "anchor"
    files: dict = field(default_factory=dict)  # claim id -> file it came from


class _Reader:
    def __init__(self, root):
        self.root = Path(root)
        self.errors = []

    def error(self, path, entry, message):
        self.errors.append(FixtureError(str(path), str(entry), message))

    def load_list(self, relative):
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


def _label(entry, index, key="slug"):
    value = entry.get(key)
    return f"{key}={value}" if value else f"entry {index}"


def _check_fields(reader, path, name, entry, allowed, required):
    for unknown in sorted(set(entry) - allowed):
        reader.error(path, name, f"unknown field '{unknown}'")
    for missing in sorted(required - {k for k, val in entry.items() if val not in (None, "", [])}):
        reader.error(path, name, f"field '{missing}' is required")


def _check_choice(reader, path, name, entry, fieldname, choices, required=True):
    value = entry.get(fieldname)
    if value in (None, "") and not required:
        return
    if value not in choices.values:
        reader.error(path, name, f"{fieldname} '{value}' is not one of {', '.join(choices.values)}")


def _read_entities(reader):
    entities = {}
    for kind, relative in ENTITY_FILES.items():
        rows = [(relative, i, e) for i, e in reader.load_list(relative)]
        seen_slugs, seen_names = {}, {}
        for path, index, entry in rows:
            name = _label(entry, index)
            _check_fields(reader, path, name, entry, ENTITY_FIELDS[kind], {"slug", "name"})
            slug = entry.get("slug")
            if slug and not SLUG.match(str(slug)):
                reader.error(path, name, "slug must be lowercase letters, digits and single hyphens")
            if slug in seen_slugs:
                reader.error(path, name, f"duplicate slug (also in {seen_slugs[slug]})")
            seen_slugs[slug] = path
            aliases = entry.get("aliases") or []
            if not isinstance(aliases, list):
                reader.error(path, name, "aliases must be a list")
                aliases = []
            for term in [entry.get("name")] + aliases:
                folded = str(term).casefold()
                if folded in seen_names and seen_names[folded] != slug:
                    reader.error(path, name, f"name or alias '{term}' also names '{seen_names[folded]}'")
                seen_names[folded] = slug
            if kind == "cargo":
                _check_choice(reader, path, name, entry, "type", v.CargoType)
            if kind == "cell_lines":
                _check_choice(reader, path, name, entry, "species", v.Species, required=False)
                _check_choice(reader, path, name, entry, "subtype", v.Subtype, required=False)
            rows_entry = dict(entry, aliases=aliases)
            entities.setdefault(kind, []).append(rows_entry)
        for path, index, entry in rows:
            parent = entry.get("parent")
            if parent and parent not in seen_slugs:
                reader.error(path, _label(entry, index), f"parent '{parent}' is not a known {kind} slug")
            if parent and parent == entry.get("slug"):
                reader.error(path, _label(entry, index), "an entity cannot be its own parent")
    return entities


def _read_citations(reader):
    citations = []
    keys, labels, dois = set(), set(), {}
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
        keys.add(key)
        labels.add(entry.get("label"))
        citations.append(entry)
    return citations


def _read_claims(reader, text, sections, entities, citations):
    by_number = {s.number: s for s in sections}
    slugs = {kind: {e.get("slug") for e in rows} for kind, rows in entities.items()}
    citation_keys = {c.get("key") for c in citations}
    claims, files, seen_ids, seen_pairs = [], {}, {}, {}
    claim_dir = reader.root / "claims"
    for path in sorted(claim_dir.glob("*.yaml")):
        relative = path.relative_to(reader.root)
        for index, entry in reader.load_list(relative):
            name = _label(entry, index, "id")
            _check_fields(reader, relative, name, entry, CLAIM_FIELDS, CLAIM_REQUIRED)
            public_id = entry.get("id")
            if public_id and not PUBLIC_ID.match(str(public_id)):
                reader.error(relative, name, "id must look like CLM-0001")
            if public_id in seen_ids:
                reader.error(relative, name, f"duplicate id (also in {seen_ids[public_id]})")
            seen_ids[public_id] = relative
            section = by_number.get(str(entry.get("section")))
            if section is None:
                reader.error(
                    relative, name, f"section '{entry.get('section')}' is not a section of the review"
                )
            quote = entry.get("quote")
            anchor = None
            if isinstance(quote, str) and section is not None:
                try:
                    anchor = anchor_quote(text, quote, entry.get("occurrence"), within=section)
                except QuoteError as exc:
                    reader.error(relative, name, f"quote: {exc}")
            elif quote is not None and not isinstance(quote, str):
                reader.error(relative, name, "quote must be text")
            statement = entry.get("statement")
            if isinstance(statement, str) and isinstance(quote, str) and statement.strip() == quote.strip():
                reader.error(relative, name, "statement must be our own words, not the quote")
            for choice_field, choices in [
                ("therapy_class", v.TherapyClass),
                ("direction", v.Direction),
                ("model", v.ModelSystem),
            ]:
                _check_choice(reader, relative, name, entry, choice_field, choices)
            _check_choice(reader, relative, name, entry, "status", v.CurationStatus, required=False)
            _check_choice(
                reader, relative, name, entry, "citation_support", v.CitationSupport, required=False
            )
            cited = entry.get("citations") or []
            for key in cited:
                if key not in citation_keys:
                    reader.error(relative, name, f"citation '{key}' is not in citations.yaml")
            if not cited and entry.get("direction") != v.Direction.BACKGROUND:
                reader.error(
                    relative, name, "a claim needs at least one citation unless its direction is background"
                )
            for kind, fieldname in [("drugs", "drugs"), ("cargo", "cargo")]:
                for slug in entry.get(fieldname) or []:
                    if slug not in slugs.get(kind, set()):
                        reader.error(relative, name, f"{fieldname}: '{slug}' is not a known {kind} slug")
            for link in entry.get("cell_lines") or []:
                if not isinstance(link, dict) or set(link) != {"slug", "role"}:
                    reader.error(relative, name, "cell_lines entries need exactly 'slug' and 'role'")
                    continue
                if link["slug"] not in slugs.get("cell_lines", set()):
                    reader.error(
                        relative, name, f"cell_lines: '{link['slug']}' is not a known cell line slug"
                    )
                if link["role"] not in v.CellLineRole.values:
                    reader.error(
                        relative,
                        name,
                        f"cell_lines: role '{link['role']}' is not one of {', '.join(v.CellLineRole.values)}",
                    )
            mechanism = entry.get("mechanism")
            if mechanism and mechanism not in slugs.get("mechanisms", set()):
                reader.error(relative, name, f"mechanism '{mechanism}' is not a known mechanism slug")
            errors = entry.get("review_errors") or []
            if not isinstance(errors, list) or not all(isinstance(e, str) and e.strip() for e in errors):
                reader.error(relative, name, "review_errors must be a list of non-empty texts")
            if anchor is not None:
                pair = (anchor.start, anchor.end, statement)
                if pair in seen_pairs:
                    reader.error(relative, name, f"same quote and statement as {seen_pairs[pair]}")
                seen_pairs[pair] = public_id
            claims.append(dict(entry, anchor=anchor))
            files[public_id] = str(relative)
    return claims, files


def read_fixtures(root=FIXTURES_DIR):
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
    if reader.errors:
        raise FixtureErrors(reader.errors)
    return FixtureSet(text, source, sections, entities, citations, claims, files)
