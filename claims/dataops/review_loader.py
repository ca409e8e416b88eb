"""Write a validated transcription (see review_fixtures) into the database, idempotently.

Rules: objects are matched by natural key (DOI, section number, slug, citation key, public id);
only what differs is written, so a second run changes nothing and adds no history. Values
curators added in the database (a BibTeX-enriched title, a verified identifier) are never blanked
by an empty fixture field, and a claim a person has edited since (``updated_by`` set) is left as
it is unless ``overwrite_edited`` is given.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.db import models, transaction
from django.db.models import Field

from claims import vocabulary as v
from claims.dataops.review_fixtures import FIXTURES_DIR, Entry, FixtureSet, read_fixtures
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    CitationCheck,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Section,
    Source,
    Target,
)
from claims.models.citation_check import summarise_support
from claims.models.claim import entity_search_terms, search_document_for
from claims.models.entities import Entity
from claims.services.entity_writes import search_documents_refresh

ENTITY_MODELS: dict[str, type[Entity]] = {
    "mechanisms": Mechanism,
    "drugs": Drug,
    "cargo": Cargo,
    "cell_lines": CellLine,
    "targets": Target,
}
ENTITY_FIELD_MAP = {"cargo": {"type": "cargo_type"}, "targets": {"type": "target_type"}}
HISTORY_REASON = "load_review"

# kind ("drugs", …) -> slug -> entity; Any: each kind is its own model (a Drug, a Mechanism with a parent).
type Entities = dict[str, dict[str, Any]]


@dataclass
class LoadReport:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept_edited: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    def lines(self) -> Iterator[str]:
        kinds = dict.fromkeys(kind for kind, _ in self.counts)
        for kind in kinds:
            parts = [
                f"{self.counts[(kind, o)]} {o}"
                for o in ("created", "updated", "unchanged")
                if self.counts[(kind, o)]
            ]
            yield f"{kind}: {', '.join(parts)}"
        if self.kept_edited:
            yield f"kept as curators edited them: {', '.join(self.kept_edited)}"


def _apply(instance: models.Model, values: dict[str, Any], *, blank_wins: bool = False) -> list[str]:
    """Set changed fields; an empty incoming value never blanks a stored one unless blank_wins."""
    changed = []
    for name, value in values.items():
        field = cast(Field, instance._meta.get_field(name))  # a column or a forward relation
        if field.is_relation:
            # Compare foreign keys by id: reading the related object would cost a query.
            current, incoming = getattr(instance, field.attname), (value.pk if value is not None else None)
            if current != incoming:
                setattr(instance, name, value)
                changed.append(name)
            continue
        if value in (None, "") and not blank_wins and getattr(instance, name) not in (None, ""):
            continue
        if value is None and not field.null:
            value = ""
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _upsert[M: models.Model](
    model: type[M],
    lookup: dict[str, Any],
    values: dict[str, Any],
    report: LoadReport,
    kind: str,
    *,
    blank_wins: bool = False,
) -> tuple[M, bool]:
    # Any: the models upserted here all have ``objects`` and take a history ``_change_reason``.
    instance: Any = cast(Any, model).objects.filter(**lookup).first()
    if instance is None:
        instance = model(
            **lookup,
            **{k: ("" if v is None and not model._meta.get_field(k).null else v) for k, v in values.items()},
        )
        instance._change_reason = HISTORY_REASON
        instance.save()
        report.add(kind, "created")
        return instance, True
    changed = _apply(instance, values, blank_wins=blank_wins)
    if changed:
        instance._change_reason = HISTORY_REASON
        instance.save()
        report.add(kind, "updated")
    else:
        report.add(kind, "unchanged")
    return instance, bool(changed)


def _load_source(fixtures: FixtureSet, report: LoadReport) -> tuple[Source, dict[str, Section]]:
    meta = fixtures.source
    values = {
        "title": meta["title"],
        "authors": meta["authors"],
        "journal": meta["journal"],
        "volume": str(meta.get("volume", "")),
        "article_number": str(meta.get("article_number", "")),
        "year": meta["year"],
        "published": str(meta.get("published", "")),
        "licence": meta["licence"],
        "licence_url": meta.get("licence_url", ""),
        "text": fixtures.text,
    }
    source, _ = _upsert(Source, {"doi": meta["doi"]}, values, report, "source", blank_wins=True)
    sections = {}
    for span in fixtures.sections:
        values = {"title": span.title, "order": span.order, "spans": [list(s) for s in span.spans]}
        sections[span.number], _ = _upsert(
            Section, {"source": source, "number": span.number}, values, report, "sections", blank_wins=True
        )
    return source, sections


def _load_entities(fixtures: FixtureSet, report: LoadReport) -> Entities:
    """Upsert every entity; re-index the claims of those whose names in search documents changed
    (``entity_search_terms``): the claims loaded next would be, but not those a curator edited or
    that the fixtures do not hold."""
    by_kind: Entities = {}
    for kind, model in ENTITY_MODELS.items():
        by_kind[kind] = {}
        stored_terms = {entity.slug: entity_search_terms(entity) for entity in model.objects.all()}
        renamed = []
        for row in fixtures.entities.get(kind, []):
            names = ENTITY_FIELD_MAP.get(kind, {})
            values = {names.get(k, k): val for k, val in row.items() if k not in {"slug", "parent"}}
            instance, changed = _upsert(model, {"slug": row["slug"]}, values, report, kind)
            by_kind[kind][row["slug"]] = instance
            before = stored_terms.get(row["slug"])
            if changed and before is not None and entity_search_terms(instance) != before:
                renamed.append(instance.pk)
        if renamed:
            search_documents_refresh(
                claims=Claim.objects.filter(
                    pk__in=cast(Any, model).objects.filter(pk__in=renamed).values("claims")
                )
            )
        for row in fixtures.entities.get(kind, []):
            if "parent" in {f.name for f in model._meta.fields}:
                instance = by_kind[kind][row["slug"]]
                parent = by_kind[kind].get(row["parent"]) if row.get("parent") else None
                if parent is not None and instance.parent_id != parent.pk:
                    instance.parent = parent
                    instance._change_reason = HISTORY_REASON
                    instance.save(update_fields=["parent"])
    return by_kind


def _citation_values(row: Entry) -> dict[str, Any]:
    values = {k: val for k, val in row.items() if k not in {"key", "authors"}}
    for name in ("pmid", "volume", "issue", "pages"):
        if values.get(name) is not None:
            values[name] = str(values[name])
    authors = row.get("authors")
    if isinstance(authors, list):
        values["author_names"] = [{"family": a["family"], "given": a.get("given") or ""} for a in authors]
    elif authors:
        values["authors"] = authors
    if values.get("candidates"):
        # Keys sorted as a backup writes them, so a restored database reads back identical.
        values["candidates"] = [dict(sorted(c.items())) for c in values["candidates"]]
    values.setdefault("year_suffix", "")
    values.setdefault("resolution", v.CitationResolution.UNCHECKED)
    return values


def _load_citations(fixtures: FixtureSet, report: LoadReport) -> dict[str, Citation]:
    citations = {}
    for row in fixtures.citations:
        values = _citation_values(row)
        citations[row["key"]], _ = _upsert(Citation, {"key": row["key"]}, values, report, "citations")
    return citations


def _claim_values(
    row: Entry, source: Source, sections: dict[str, Section], entities: Entities
) -> dict[str, Any]:
    anchor = row["anchor"]
    mechanism = entities["mechanisms"].get(row["mechanism"]) if row.get("mechanism") else None
    return {
        "source": source,
        "section": sections[str(row["section"])],
        "statement": row["statement"].strip(),
        "quote": anchor.exact,
        "quote_start": anchor.start,
        "quote_end": anchor.end,
        "quote_prefix": anchor.prefix,
        "quote_suffix": anchor.suffix,
        "exosome_source": row.get("exosome_source") or "",
        "mechanism": mechanism,
        "therapy_class": row["therapy_class"],
        "direction": row["direction"],
        "model": row["model"],
        "cargo_intervention": row.get("cargo_intervention") or v.CargoIntervention.NOT_APPLICABLE,
        "notes": (row.get("notes") or "").strip(),
    }


def _sync_relations(
    claim: Claim,
    row: Entry,
    entities: Entities,
    citations: dict[str, Citation],
    *,
    prefetched: bool,
) -> bool:
    """Make the claim's relations match the row; reads the prefetched relations (``prefetched``:
    the claim was read with them), writes only changes."""
    changed = False
    wanted = {
        "citations": {citations[k].pk for k in row.get("citations") or []},
        "drugs": {entities["drugs"][s].pk for s in row.get("drugs") or []},
        "cargo": {entities["cargo"][s].pk for s in row.get("cargo") or []},
        "targets": {entities["targets"][s].pk for s in row.get("targets") or []},
    }
    for name, ids in wanted.items():
        manager = getattr(claim, name)
        if {obj.pk for obj in manager.all()} != ids:
            manager.set(ids)  # which also drops the prefetched rows of ``name``
            changed = True
    links = {(entities["cell_lines"][link["slug"]].pk, link["role"]) for link in row.get("cell_lines") or []}
    current = {(link.cell_line_id, link.role): link.pk for link in claim.cell_line_links.all()}
    if links != set(current):
        ClaimCellLine.objects.filter(pk__in=[pk for key, pk in current.items() if key not in links]).delete()
        ClaimCellLine.objects.bulk_create(
            [ClaimCellLine(claim=claim, cell_line_id=cid, role=role) for cid, role in links - set(current)]
        )
        if prefetched:  # drop the prefetched links (no query), so they are read afresh
            claim.refresh_from_db(fields=["cell_line_links"])
        changed = True
    return changed


def _load_claims(
    fixtures: FixtureSet,
    source: Source,
    sections: dict[str, Section],
    entities: Entities,
    citations: dict[str, Citation],
    report: LoadReport,
    overwrite_edited: bool,
) -> dict[str, Claim]:
    existing = {
        claim.public_id: claim
        for claim in Claim.objects.filter(public_id__in=[row["id"] for row in fixtures.claims])
        .select_related("mechanism")
        .prefetch_related("citations", "drugs", "cargo", "targets", "cell_line_links__cell_line", "flags")
    }
    supports = _support_by_claim(fixtures)
    loaded = {}
    for row in fixtures.claims:
        public_id = row["id"]
        values = _claim_values(row, source, sections, entities)
        if public_id in supports:
            values["citation_support"] = supports[public_id]
        claim = existing.get(public_id)
        if claim is not None and claim.updated_by_id is not None and not overwrite_edited:
            report.kept_edited.append(public_id)
            report.add("claims", "unchanged")
            continue
        if claim is None:
            claim = _create_claim(public_id, row, values, entities)
            _sync_relations(claim, row, entities, citations, prefetched=False)
            outcome = "created"
        else:
            outcome = _update_claim(claim, row, values, entities, citations)
        _record_review_errors(claim, row)
        report.add("claims", outcome)
        loaded[public_id] = claim
    return loaded


def _create_claim(public_id: str, row: Entry, values: dict[str, Any], entities: Entities) -> Claim:
    claim = Claim(
        public_id=public_id,
        status=row.get("status") or v.CurationStatus.IN_REVIEW,
        **{"citation_support": v.CitationSupport.NOT_CHECKED, **values},
    )
    # Computed before the first save so a new claim is written (and versioned) once.
    claim.search_document = search_document_for(
        claim,
        drugs=[entities["drugs"][s] for s in row.get("drugs") or []],
        cargo=[entities["cargo"][s] for s in row.get("cargo") or []],
        cell_lines=[entities["cell_lines"][link["slug"]] for link in row.get("cell_lines") or []],
        targets=[entities["targets"][s] for s in row.get("targets") or []],
    )
    claim._change_reason = HISTORY_REASON
    claim.save()
    return claim


def _update_claim(
    claim: Claim,
    row: Entry,
    values: dict[str, Any],
    entities: Entities,
    citations: dict[str, Citation],
) -> str:
    """Bring a stored claim (read with its relations) in line with its row: "updated" or "unchanged"."""
    changed = _apply(claim, values, blank_wins=True)
    relations_changed = _sync_relations(claim, row, entities, citations, prefetched=True)
    document = claim.build_search_document()
    if not (changed or relations_changed or claim.search_document != document):
        return "unchanged"
    claim.version += 1
    claim.search_document = document
    claim._change_reason = HISTORY_REASON
    claim.save()
    return "updated"


def _record_review_errors(claim: Claim, row: Entry) -> None:
    """A flag for each error of the review the row notes; those already flagged are not repeated."""
    recorded = {f.text for f in claim.flags.all() if f.kind == v.FlagKind.REVIEW_ERROR}
    for text in row.get("review_errors") or []:
        if text.strip() not in recorded:
            Flag.objects.create(claim=claim, kind=v.FlagKind.REVIEW_ERROR, text=text.strip())


def _support_by_claim(fixtures: FixtureSet) -> dict[str, str]:
    """A claim's citation_support: as the fixture states it, else summarised from its checks."""
    verdicts: dict[str, list[str]] = {}
    for check in fixtures.checks:
        verdicts.setdefault(check["claim"], []).append(check["support"])
    supports = {claim: summarise_support(found) for claim, found in verdicts.items()}
    for row in fixtures.claims:
        if row.get("citation_support"):
            supports[row["id"]] = row["citation_support"]
    return supports


def _load_restates(fixtures: FixtureSet, claims: dict[str, Claim]) -> None:
    for row in fixtures.claims:
        claim = claims.get(row["id"])
        if claim is None or claim.updated_by_id is not None:
            continue
        wanted = {claims[other].pk for other in row.get("restates") or [] if other in claims}
        if {c.pk for c in claim.restates.all()} != wanted:
            claim.restates.set(wanted)


def _load_checks(
    fixtures: FixtureSet, claims: dict[str, Claim], citations: dict[str, Citation], report: LoadReport
) -> None:
    """Upsert every verdict; open a flag for each contradicted or misattributed one and for each
    claim that cites an ambiguous label."""
    stored = {(c.claim_id, c.citation_id): c for c in CitationCheck.objects.filter(claim__in=claims.values())}
    for row in fixtures.checks:
        claim, citation = claims.get(row["claim"]), citations[row["citation"]]
        if claim is None:
            continue
        values = {
            "support": row["support"],
            "note": (row.get("note") or "").strip(),
            "record": row.get("record") or "",
            "level": row.get("level") or v.CheckLevel.ABSTRACT,
            "checked": row.get("checked"),
        }
        check = stored.get((claim.pk, citation.pk))
        if check is None:
            CitationCheck.objects.create(claim=claim, citation=citation, **values)
            report.add("citation checks", "created")
        elif _apply(check, values, blank_wins=True):
            check.save()
            report.add("citation checks", "updated")
        else:
            report.add("citation checks", "unchanged")
        if row["support"] in v.FLAGGED_SUPPORT:
            _flag_once(
                claim,
                v.FlagKind.MISATTRIBUTED,
                f"{citation.label}: {v.CitationSupport(row['support']).label}. {values['note']}",
            )
    for row in fixtures.claims:
        claim = claims.get(row["id"])
        for key in row.get("citations") or []:
            citation = citations[key]
            if claim is not None and citation.resolution == v.CitationResolution.AMBIGUOUS:
                _flag_once(
                    claim,
                    v.FlagKind.AMBIGUOUS_CITATION,
                    f"{citation.label} is ambiguous: {citation.resolution_note}",
                )


def _flag_once(claim: Claim, kind: str, text: str) -> None:
    if not claim.flags.filter(kind=kind, text=text).exists():
        Flag.objects.create(claim=claim, kind=kind, text=text)


def review_load(*, root: Path = FIXTURES_DIR, overwrite_edited: bool = False) -> LoadReport:
    """Validate every fixture, then write them all in one transaction. Raises FixtureErrors."""
    fixtures = read_fixtures(root)
    report = LoadReport()
    with transaction.atomic():
        source, sections = _load_source(fixtures, report)
        entities = _load_entities(fixtures, report)
        citations = _load_citations(fixtures, report)
        claims = _load_claims(fixtures, source, sections, entities, citations, report, overwrite_edited)
        _load_restates(fixtures, claims)
        _load_checks(fixtures, claims, citations, report)
    return report
