"""A deterministic, realistic synthetic data set for measuring ExoClaims at scale.

Everything synthetic is recognisable, so ``synthetic_remove`` deletes exactly it: claims belong
to their own Source (``SYNTHETIC_DOI``), whose text the synthetic quotes are spans of (so every
quote-anchoring invariant holds), and entities and citations carry the ``synthetic-`` prefix in
their slug or key. Mechanisms reuse the review's vocabulary plus a few synthetic children.

Rows are written with ``bulk_create`` in batches inside one transaction, which skips model
signals on purpose: synthetic data gets no revision history (there is nothing to audit), and
the search document is computed by the same function ``Claim.build_search_document`` uses.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Model, QuerySet
from django.utils.text import slugify

from claims import vocabulary as v
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Section,
    Source,
    StatusChange,
)
from claims.models.claim import PUBLIC_ID_PREFIX, search_document_for
from claims.models.entities import Entity, lookup_terms_for
from claims.review_text import ANCHOR_CONTEXT

# A progress callback: (steps done, steps in all).
type Progress = Callable[[int, int], object] | None
# The synthetic world by kind ("drugs", "cargo", "cell_lines", "citations", "mechanisms").
type World = dict[str, list[Any]]
# Values and cumulative weights, as random.choices takes them.
type Weights = tuple[list[str], list[int]]

SYNTHETIC_DOI = "10.0000/exoclaims.synthetic"  # 10.0000 is no registrant: it can never resolve
PREFIX = "synthetic-"
PUBLIC_ID_STEM = f"{PUBLIC_ID_PREFIX}S"  # CLM-S000001: never taken by the next curated id
MAX_CLAIMS = 1_000_000
MECHANISMS_TOTAL, MIN_SYNTHETIC_MECHANISMS = 30, 5
# The full-size world; a small run (tests) gets one in proportion, full size from 6,000 claims on.
WORLD = {"drugs": 300, "cargo": 3000, "cell_lines": 500}
WORLD_CLAIMS = 6000
SECTIONS, SENTENCES_PER_SECTION, SENTENCES_PER_PARAGRAPH = 12, 100, 4  # ~190 kB of text
BATCH = 2000
NOTE = "Synthetic benchmark data (generate_synthetic); not a real entity."

_SYLLABLES = "ra to mi ve lo xa ne ki sa du fe po ri ta zo be lu ca di mo na te vi go".split()
# Stems as INN uses them, so synthetic names read like drugs; the therapy class follows the stem.
_DRUG_STEMS = {
    v.TherapyClass.CHEMOTHERAPY: ["rubicin", "taxel", "platin", "mycin", "citabine", "poside"],
    v.TherapyClass.ENDOCRINE: ["oxifen", "rozole", "strant"],
    v.TherapyClass.HER2_TARGETED: ["tuzumab", "ratinib"],
    v.TherapyClass.IMMUNOTHERAPY: ["limumab", "lizumab"],
    v.TherapyClass.OTHER: ["parib", "ciclib", "rolimus"],
}
_CARGO_TYPES = [  # (type, share, name pattern)
    (v.CargoType.MIRNA, 45, "miR-S{n}-{arm}"),
    (v.CargoType.PROTEIN, 20, "SP{n}"),
    (v.CargoType.LNCRNA, 10, "LINC-S{n}"),
    (v.CargoType.CIRCRNA, 10, "circS{n}"),
    (v.CargoType.MRNA, 6, "SP{n} mRNA"),
    (v.CargoType.SIRNA, 4, "siRNA-S{n}"),
    (v.CargoType.SMALL_MOLECULE, 2, "metabolite-S{n}"),
    (v.CargoType.OTHER, 3, "DNA-S{n}"),
]
_SOURCES = [
    "drug-resistant tumour cells",
    "cancer-associated fibroblasts",
    "M2 macrophages",
    "mesenchymal stem cells",
    "patient serum",
    "sensitive tumour cells",
    "",
]
_QUOTES: dict[str, str] = {
    v.Direction.PROMOTES: "{cell} cells exposed to {drug} released exosomes rich in {cargo}, and recipient "
    "cells that took them up became resistant to {drug}{via}.",
    v.Direction.REVERSES: "Exosomes engineered to carry {cargo} restored the sensitivity of {cell} cells to "
    "{drug}{via}.",
    v.Direction.BIOMARKER: "Serum exosomal {cargo} was higher in patients whose tumours stopped responding to "
    "{drug}, as in {cell} models.",
    v.Direction.DELIVERY: "Exosomes loaded with {drug} and {cargo} entered {cell} cells and killed them "
    "despite their resistance.",
    v.Direction.BACKGROUND: "Exosomes of {cell} cells contain {cargo}, which may bear on how tumours escape "
    "{drug}.",
}
_STATEMENTS: dict[str, str] = {
    v.Direction.PROMOTES: "Exosomal {cargo} from {cells} confers resistance to {drugs}.",
    v.Direction.REVERSES: "Delivering {cargo} by exosomes reverses resistance of {cells} to {drugs}.",
    v.Direction.BIOMARKER: "Exosomal {cargo} marks resistance of {cells} to {drugs}.",
    v.Direction.DELIVERY: "Exosomes carrying {cargo} deliver {drugs} to resistant {cells}.",
    v.Direction.BACKGROUND: "Exosomes from {cells} carry {cargo}, relevant to {drugs}.",
}
_WEIGHTS: dict[str, Any] = {
    "direction": {
        v.Direction.PROMOTES: 50,
        v.Direction.REVERSES: 25,
        v.Direction.BIOMARKER: 12,
        v.Direction.DELIVERY: 8,
        v.Direction.BACKGROUND: 5,
    },
    "model": {
        v.ModelSystem.IN_VITRO: 50,
        v.ModelSystem.IN_VIVO: 15,
        v.ModelSystem.MIXED: 15,
        v.ModelSystem.CLINICAL: 10,
        v.ModelSystem.NOT_STATED: 10,
    },
    "status": {
        v.CurationStatus.APPROVED: 45,
        v.CurationStatus.IN_REVIEW: 35,
        v.CurationStatus.DRAFT: 15,
        v.CurationStatus.REJECTED: 5,
    },
    "citation_support": {
        v.CitationSupport.NOT_CHECKED: 50,
        v.CitationSupport.SUPPORTED: 35,
        v.CitationSupport.PARTLY: 10,
        v.CitationSupport.NOT_SUPPORTED: 5,
    },
    "role": {v.CellLineRole.DONOR: 40, v.CellLineRole.RECIPIENT: 40, v.CellLineRole.STUDIED: 20},
}
_WEIGHTS = {name: (list(w), list(accumulate(w.values()))) for name, w in _WEIGHTS.items()}


class SyntheticError(Exception):
    pass


@dataclass
class SyntheticReport:
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{name}: {count:,}" for name, count in self.counts.items()]


def _pick(rng: random.Random, weights: Weights) -> str:
    values, cumulative = weights
    return rng.choices(values, cum_weights=cumulative)[0]


def _skewed[T](rng: random.Random, items: Sequence[T], power: float) -> T:
    """A few popular items and a long tail, as in real literature (power > 1 skews harder)."""
    return items[int(len(items) * rng.random() ** power)]


def _some[T](
    rng: random.Random, items: Sequence[T], low: int, high: int, power: float, first: T | None = None
) -> list[T]:
    chosen = [first] if first is not None else []
    wanted = rng.randint(low, high)
    while len(chosen) < wanted:
        item = _skewed(rng, items, power)
        if item not in chosen:
            chosen.append(item)
    return chosen


def _entity[E: Model](
    model: type[E], name: str, slug_source: str, aliases: Sequence[str] = (), **extra: Any
) -> E:
    slug = PREFIX + slugify(slug_source)
    return model(
        name=name,
        slug=slug,
        aliases=list(aliases),
        notes=NOTE,
        lookup_terms=lookup_terms_for(name, slug, aliases),
        **extra,
    )


def _taken_names(model: type[Entity]) -> set[str]:
    return {name.casefold() for name in model.objects.values_list("name", flat=True)}


def _make_mechanisms(rng: random.Random) -> list[Mechanism]:
    real = list(Mechanism.objects.exclude(slug__startswith=PREFIX).order_by("slug"))
    parents: list[Mechanism | None] = [m for m in real if m.parent_id is None] or [None]
    created = []
    for n in range(1, max(MECHANISMS_TOTAL - len(real), MIN_SYNTHETIC_MECHANISMS) + 1):
        parent = rng.choice(parents)
        name = f"{parent.name if parent else 'Resistance'}, synthetic pathway {n}"
        created.append(_entity(Mechanism, name, f"mechanism-{n}", parent=parent, description=NOTE))
    return real + Mechanism.objects.bulk_create(created)


def world_size(claims: int) -> dict[str, int]:
    """How many drugs, cargo and cell lines go with ``claims`` claims."""
    return {kind: max(full * min(claims, WORLD_CLAIMS) // WORLD_CLAIMS, 10) for kind, full in WORLD.items()}


def _make_drugs(rng: random.Random, count: int) -> tuple[list[Drug], dict[int, str]]:
    taken = _taken_names(Drug)
    drugs: list[Drug] = []
    therapies: list[v.TherapyClass] = []
    while len(drugs) < count:
        therapy = rng.choice(list(_DRUG_STEMS))
        syllables = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 2)))
        name = syllables + rng.choice(_DRUG_STEMS[therapy])
        if name in taken:
            continue
        taken.add(name)
        aliases = [f"SX-{len(drugs) + 1:03d}"] if rng.random() < 0.3 else []
        drugs.append(_entity(Drug, name, name, aliases, drug_class=therapy.label))
        therapies.append(therapy)
    drugs = Drug.objects.bulk_create(drugs)
    return drugs, {drug.pk: therapy for drug, therapy in zip(drugs, therapies, strict=True)}


def _make_cargo(rng: random.Random, count: int) -> list[Cargo]:
    types = [(kind, pattern) for kind, _, pattern in _CARGO_TYPES]
    weights = [share for _, share, _ in _CARGO_TYPES]
    cargo = []
    for n in range(1, count + 1):
        kind, pattern = rng.choices(types, weights=weights)[0]
        name = pattern.format(n=n, arm=rng.choice(["3p", "5p"]))
        cargo.append(_entity(Cargo, name, name, cargo_type=kind))
    return Cargo.objects.bulk_create(cargo, batch_size=BATCH)


def _make_cell_lines(rng: random.Random, count: int) -> list[CellLine]:
    """Parental lines (SBC-001…) and, for a fifth, drug-resistant lines derived from them."""
    subtypes = [v.Subtype.LUMINAL_A, v.Subtype.LUMINAL_B, v.Subtype.HER2_ENRICHED, v.Subtype.TNBC]
    parents = []
    for n in range(1, count * 4 // 5 + 1):
        species = v.Species.HUMAN if rng.random() < 0.9 else v.Species.MOUSE
        parents.append(
            _entity(CellLine, f"SBC-{n:03d}", f"sbc-{n:03d}", species=species, subtype=rng.choice(subtypes))
        )
    parents = CellLine.objects.bulk_create(parents)
    children = []
    for n in range(1, count - len(parents) + 1):
        parent = parents[(n * 7) % len(parents)]
        name = f"{parent.name}/R{n}"
        children.append(
            _entity(CellLine, name, name, species=parent.species, subtype=parent.subtype, parent=parent)
        )
    return parents + CellLine.objects.bulk_create(children)


def _make_citations(rng: random.Random, count: int) -> list[Citation]:
    taken = {label.casefold() for label in Citation.objects.values_list("label", flat=True)}

    # 24 syllables give ~14,000 surnames; 5,000 authors x 26 years x 27 suffixes is plenty of labels.
    by_folded: dict[str, str] = {}
    while len(by_folded) < min(max(count // 8, 50), 5000):
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        by_folded.setdefault(name.casefold(), name)
    authors = list(by_folded.values())
    citations: list[Citation] = []
    while len(citations) < count:
        first, year = rng.choice(authors), rng.randint(1998, 2023)
        for suffix in ["", *"abcdefghijklmnopqrstuvwxyz"]:
            label = f"{first} et al., {year}{suffix}"
            if label.casefold() not in taken:
                break
        else:
            continue
        taken.add(label.casefold())
        citations.append(
            Citation(
                key=f"{PREFIX}{first.lower()}{year}{suffix}",
                label=label,
                first_author=first,
                authors=f"{first}, A. and {rng.choice(authors)}, B.",
                year=year,
                year_suffix=suffix,
                title=f"Exosomal cargo and drug resistance in breast cancer: synthetic study {len(citations) + 1}",
                journal="Synthetic Journal of Oncology",
                volume=str(rng.randint(1, 60)),
                pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
                entry_type=v.EntryType.ARTICLE,
                notes=NOTE,
            )
        )
    return Citation.objects.bulk_create(citations, batch_size=BATCH)


@dataclass(frozen=True)
class _Sentence:
    """One sentence of the synthetic text: what it is about, and where it is."""

    section: int
    start: int
    end: int
    drug: Drug
    cargo: Cargo
    cell_line: CellLine
    mechanism: Mechanism | None
    direction: str


def _sentence_text(rng: random.Random, world: World, section: int, start: int) -> tuple[str, _Sentence]:
    drug, cargo = _skewed(rng, world["drugs"], 3), _skewed(rng, world["cargo"], 2)
    cell_line, direction = _skewed(rng, world["cell_lines"], 2), _pick(rng, _WEIGHTS["direction"])
    mechanism = rng.choice(world["mechanisms"]) if rng.random() < 0.9 else None
    text = _QUOTES[direction].format(
        cell=cell_line.name,
        drug=drug.name,
        cargo=cargo.name,
        via=f" through {mechanism.name.lower()}" if mechanism else "",
    )
    return text, _Sentence(section, start, start + len(text), drug, cargo, cell_line, mechanism, direction)


def _make_source(
    rng: random.Random, seed: int, world: World
) -> tuple[Source, dict[int, Section], list[_Sentence]]:
    """The synthetic text (a heading, then paragraphs, per section); its Source, Sections, sentences."""
    lines: list[str] = []
    spans: dict[int, list[list[int]]] = {}
    sentences: list[_Sentence] = []
    offset = 0
    for number in range(1, SECTIONS + 1):
        heading = f"S{number} Synthetic findings, part {number}"
        lines.append(heading)
        spans[number] = [[offset, offset + len(heading)]]
        offset += len(heading) + 1
        for _ in range(SENTENCES_PER_SECTION // SENTENCES_PER_PARAGRAPH):
            paragraph: list[str] = []
            for _ in range(SENTENCES_PER_PARAGRAPH):
                start = offset + sum(len(p) + 1 for p in paragraph)
                text, sentence = _sentence_text(rng, world, number, start)
                paragraph.append(text)
                sentences.append(sentence)
            line = " ".join(paragraph)
            lines.append(line)
            spans[number].append([offset, offset + len(line)])
            offset += len(line) + 1
    source = Source.objects.create(
        doi=SYNTHETIC_DOI,
        title=f"Synthetic corpus for ExoClaims benchmarks (seed {seed})",
        authors="ExoClaims generate_synthetic",
        journal="Synthetic data, not a publication",
        year=2025,
        licence="CC0 1.0",
        licence_url="https://creativecommons.org/publicdomain/zero/1.0/",
        text="\n".join(lines) + "\n",
    )
    sections = {
        n: Section(
            source=source, number=f"S{n}", title=f"Synthetic findings, part {n}", order=n, spans=spans[n]
        )
        for n in range(1, SECTIONS + 1)
    }
    Section.objects.bulk_create(sections.values())
    return source, sections, sentences


def _plan_claim(
    rng: random.Random,
    number: int,
    source: Source,
    sections: dict[int, Section],
    sentence: _Sentence,
    world: World,
    therapy_of: dict[int, str],
) -> tuple[Claim, dict[str, list[Any]]]:
    drugs = _some(rng, world["drugs"], 1, 3, 3, first=sentence.drug)
    cargo = _some(rng, world["cargo"], 1, 4, 2, first=sentence.cargo)
    lines = _some(rng, world["cell_lines"], 1, 2, 2, first=sentence.cell_line)
    roles = [(line, _pick(rng, _WEIGHTS["role"])) for line in lines]
    citations = _some(rng, world["citations"], 1, 3, 1.5)
    status = _pick(rng, _WEIGHTS["status"])
    text = source.text
    claim = Claim(
        public_id=f"{PUBLIC_ID_STEM}{number:06d}",
        source=source,
        section=sections[sentence.section],
        statement=_STATEMENTS[sentence.direction].format(
            cargo=" and ".join(c.name for c in cargo),
            drugs=" and ".join(d.name for d in drugs),
            cells=" and ".join(f"{line.name} cells" for line in lines),
        ),
        quote=text[sentence.start : sentence.end],
        quote_start=sentence.start,
        quote_end=sentence.end,
        quote_prefix=text[max(0, sentence.start - ANCHOR_CONTEXT) : sentence.start],
        quote_suffix=text[sentence.end : sentence.end + ANCHOR_CONTEXT],
        exosome_source=rng.choice(_SOURCES),
        mechanism=sentence.mechanism,
        therapy_class=therapy_of[sentence.drug.pk],
        direction=sentence.direction,
        model=_pick(rng, _WEIGHTS["model"]),
        status=status,
        citation_support=_pick(rng, _WEIGHTS["citation_support"]),
        rejection_reason="Synthetic: the cited work does not show this."
        if status == v.CurationStatus.REJECTED
        else "",
        notes="Synthetic: check the dose range in the cited work." if rng.random() < 0.1 else "",
    )
    claim.search_document = search_document_for(claim, drugs=drugs, cargo=cargo, cell_lines=lines)
    return claim, {"drugs": drugs, "cargo": cargo, "citations": citations, "cell_lines": roles}


def _insert_links(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    """Insert (id, id[, role]) tuples in one statement per batch.

    bulk_create would build and compile a model instance per link row, most of the run time at
    100k claims (~8 links a claim) for rows that need none of what it adds. PostgreSQL takes
    one array per column (unnest), SQLite a prepared statement run per row (executemany).
    """
    fields: list[Any] = [model._meta.get_field(column) for column in columns]
    quote = connection.ops.quote_name
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            cursor.execute(
                insert + f"SELECT * FROM unnest({arrays})", [list(c) for c in zip(*rows, strict=True)]
            )
        else:
            cursor.executemany(insert + f"VALUES ({', '.join(['%s'] * len(fields))})", rows)
    return len(rows)


def _write_claims(
    rng: random.Random,
    count: int,
    source: Source,
    sections: dict[int, Section],
    sentences: list[_Sentence],
    world: World,
    therapy_of: dict[int, str],
    progress: Progress,
) -> dict[str, int]:
    totals = dict.fromkeys(["claims", "claim drugs", "claim cargo", "claim citations", "claim cell lines"], 0)
    for first in range(1, count + 1, BATCH):
        planned = [
            _plan_claim(rng, n, source, sections, rng.choice(sentences), world, therapy_of)
            for n in range(first, min(first + BATCH, count + 1))
        ]
        claims = Claim.objects.bulk_create([claim for claim, _ in planned])
        related = [(claim.pk, links) for claim, (_, links) in zip(claims, planned, strict=True)]
        for name, column in [("drugs", "drug"), ("cargo", "cargo"), ("citations", "citation")]:
            rows: list[tuple[Any, ...]] = [(pk, item.pk) for pk, links in related for item in links[name]]
            totals[f"claim {name}"] += _insert_links(getattr(Claim, name).through, ["claim", column], rows)
        rows = [(pk, line.pk, role) for pk, links in related for line, role in links["cell_lines"]]
        totals["claim cell lines"] += _insert_links(ClaimCellLine, ["claim", "cell_line", "role"], rows)
        totals["claims"] += len(claims)
        if progress:
            progress(totals["claims"], count)
    return totals


def _refresh_statistics() -> None:
    """Tell the query planner the tables just grew or shrank by up to a million rows.

    Without it PostgreSQL plans on the old row counts until autovacuum gets round to them and
    picks plans that are two orders of magnitude slower.
    """
    tables: list[type[Model]] = [Claim, ClaimCellLine, Citation, Drug, Cargo, CellLine, Mechanism]
    tables += [getattr(Claim, name).through for name in ("drugs", "cargo", "citations")]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ANALYZE " + ", ".join(connection.ops.quote_name(t._meta.db_table) for t in tables)
            )
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def synthetic_present() -> int | None:
    """How many synthetic claims are stored (0 if none), or None if there is no synthetic data at all."""
    source = Source.objects.filter(doi=SYNTHETIC_DOI).first()
    if source is not None:
        return source.claims.count()
    models = [Drug, Cargo, CellLine, Mechanism]
    if (
        any(m.objects.filter(slug__startswith=PREFIX).exists() for m in models)
        or Citation.objects.filter(key__startswith=PREFIX).exists()
    ):
        return 0
    return None


def synthetic_generate(*, claims: int, seed: int = 0, progress: Progress = None) -> SyntheticReport:
    """Write ``claims`` synthetic claims and their world; the same seed gives the same data."""
    if not isinstance(claims, int) or not 1 <= claims <= MAX_CLAIMS:
        raise SyntheticError(f"--claims must be a whole number from 1 to {MAX_CLAIMS:,} (got {claims!r})")
    if not isinstance(seed, int) or seed < 0:
        raise SyntheticError(f"--seed must be a whole number of 0 or more (got {seed!r})")
    present = synthetic_present()
    if present is not None:
        raise SyntheticError(
            f"synthetic data is already stored ({present:,} claims); remove it first with --remove"
        )
    rng = random.Random(seed)
    with transaction.atomic():
        world: World = {"mechanisms": _make_mechanisms(rng)}
        size = world_size(claims)
        world["drugs"], therapy_of = _make_drugs(rng, size["drugs"])
        world["cargo"] = _make_cargo(rng, size["cargo"])
        world["cell_lines"] = _make_cell_lines(rng, size["cell_lines"])
        world["citations"] = _make_citations(rng, max(claims // 3, 1))
        source, sections, sentences = _make_source(rng, seed, world)
        totals = _write_claims(rng, claims, source, sections, sentences, world, therapy_of, progress)
    _refresh_statistics()
    counts = {
        "mechanisms (synthetic)": sum(1 for m in world["mechanisms"] if m.slug.startswith(PREFIX)),
        "drugs": len(world["drugs"]),
        "cargo": len(world["cargo"]),
        "cell lines": len(world["cell_lines"]),
        "citations": len(world["citations"]),
        "sections": SECTIONS,
        **totals,
    }
    return SyntheticReport(counts)


def _curated_uses(source_id: Any) -> list[str]:
    """Curated rows that point at synthetic ones (removing those would break curated data)."""
    curated = Claim.objects.exclude(source_id=source_id)
    uses = {
        "drug": curated.filter(drugs__slug__startswith=PREFIX),
        "cargo": curated.filter(cargo__slug__startswith=PREFIX),
        "cell line": curated.filter(cell_lines__slug__startswith=PREFIX),
        "mechanism": curated.filter(mechanism__slug__startswith=PREFIX),
        "citation": curated.filter(citations__key__startswith=PREFIX),
    }
    problems = []
    for noun, claims in uses.items():
        ids = sorted(set(claims.values_list("public_id", flat=True)[:5]))
        if ids:
            problems.append(f"curated claim(s) {', '.join(ids)} use a synthetic {noun}")
    for model in (CellLine, Mechanism):
        children = model.objects.filter(parent__slug__startswith=PREFIX).exclude(slug__startswith=PREFIX)
        problems += [f"curated {model._meta.verbose_name} {c.slug} has a synthetic parent" for c in children]
    return problems


def _delete(queryset: QuerySet[Any]) -> int:
    """DELETE in one statement: synthetic rows have no history to record, so skip per-row signals
    and the deletion collector (a plain statement over the rows the queryset selects)."""
    table = connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)
    pk = connections[queryset.db].ops.quote_name(queryset.model._meta.pk.column)
    selected, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN (SELECT * FROM ({selected}) AS doomed)", params)
        return cursor.rowcount


def _delete_history(model: Any, ids: QuerySet[Any]) -> int:
    history = model.history.model
    for m2m in (f.related_model for f in history._meta.get_fields() if f.one_to_many and f.related_model):
        _delete(m2m.objects.filter(history__id__in=ids))
    return _delete(history.objects.filter(id__in=ids))


def synthetic_remove(*, progress: Progress = None) -> SyntheticReport:
    """Delete every synthetic row, and nothing else; refuses if curated data points at it."""
    source = Source.objects.filter(doi=SYNTHETIC_DOI).first()
    # None when there is no synthetic source: a filter on it then matches no synthetic row.
    source_id: Any = source.pk if source else None
    problems = _curated_uses(source_id)
    if problems:
        raise SyntheticError("cannot remove the synthetic data: " + "; ".join(problems))
    counts: dict[str, int] = {}
    with transaction.atomic():
        claims = Claim.objects.filter(source_id=source_id).values("pk")
        steps = [
            ("claim drugs", Claim.drugs.through.objects.filter(claim_id__in=claims)),
            ("claim cargo", Claim.cargo.through.objects.filter(claim_id__in=claims)),
            ("claim targets", Claim.targets.through.objects.filter(claim_id__in=claims)),
            ("claim citations", Claim.citations.through.objects.filter(claim_id__in=claims)),
            ("claim cell lines", ClaimCellLine.objects.filter(claim_id__in=claims)),
            ("flags", Flag.objects.filter(claim_id__in=claims)),
            ("status changes", StatusChange.objects.filter(claim_id__in=claims)),
        ]
        for done, (name, queryset) in enumerate(steps):
            counts[name] = _delete(queryset)
            if progress:
                progress(done + 1, len(steps) + 2)
        _delete(ClaimCellLine.history.model.objects.filter(claim_id__in=claims))
        _delete_history(Claim, claims)
        counts["claims"] = _delete(Claim.objects.filter(source_id=source_id))
        counts["citations"] = _delete_entities(Citation, Citation.objects.filter(key__startswith=PREFIX))
        for model in (Drug, Cargo, CellLine, Mechanism):
            rows = model.objects.filter(slug__startswith=PREFIX)
            counts[str(model._meta.verbose_name_plural)] = _delete_entities(model, rows)
        counts["sections"] = _delete(Section.objects.filter(source_id=source_id))
        counts["sources"] = _delete(Source.objects.filter(pk=source_id))
        if progress:
            progress(len(steps) + 2, len(steps) + 2)
    _refresh_statistics()
    return SyntheticReport(counts)


def _delete_entities(model: Any, rows: QuerySet[Any]) -> int:
    _delete_history(model, rows.values("pk"))
    return _delete(rows)
