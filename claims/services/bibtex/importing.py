"""Import a .bib file: parse it, reconcile it with the citations, and write it in one transaction."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from claims.models import Citation
from claims.services.bibtex.parse import BibtexRefused, Problem, parse_bibtex
from claims.services.bibtex.reconcile import (
    CONFLICTING,
    ENRICHED,
    NEW,
    OUTCOMES,
    UNCHANGED,
    EntryResult,
    reconcile,
)
from claims.services.bibtex.values import COLUMNS, file_values
from claims.types import Actor

HISTORY_REASON = "BibTeX import"
BATCH_SIZE = 500
WRITTEN_FIELDS = [*COLUMNS, "bibtex_fields", "raw_bibtex"]
CONCURRENT_CHANGE = Problem(
    None, "", "the citations were changed by someone else during the import; nothing was written, try again"
)


class PlanChanged(Exception):
    """The citations changed between the preview and the confirmation; ``report`` is the new plan."""

    def __init__(self, report: "ImportReport") -> None:
        self.report = report
        super().__init__("the citations changed since the preview; check the new preview")


@dataclass
class ImportReport:
    results: list[EntryResult]
    unused: list[str]  # keys of citations that back no claim (after this import)
    unmatched_stubs: list[str]  # keys of stubs no entry of the file matched
    dry_run: bool
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = {outcome: sum(r.outcome == outcome for r in self.results) for outcome in OUTCOMES}

    def of(self, outcome: str) -> list[EntryResult]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def grouped(self) -> list[tuple[str, list[EntryResult]]]:
        """[(outcome, results)] for the outcomes that occur, in report order."""
        return [(outcome, self.of(outcome)) for outcome in OUTCOMES if self.counts[outcome]]

    @property
    def new(self) -> list[EntryResult]:
        return self.of(NEW)

    @property
    def enriched(self) -> list[EntryResult]:
        return self.of(ENRICHED)

    @property
    def unchanged(self) -> list[EntryResult]:
        return self.of(UNCHANGED)

    @property
    def conflicting(self) -> list[EntryResult]:
        return self.of(CONFLICTING)

    @property
    def digest(self) -> str:
        """Fingerprint of what the import would write: a confirmation must match its preview."""
        plan = [
            (r.outcome, r.entry_key, r.key, r.label, [list(map(str, c)) for c in r.changes])
            for r in self.results
        ]
        return hashlib.sha256(json.dumps(plan, ensure_ascii=False).encode()).hexdigest()

    def summary(self) -> str:
        parts = ", ".join(f"{self.counts[o]} {o}" for o in OUTCOMES)
        done = "dry run, nothing written" if self.dry_run else "written"
        return f"{len(self.results)} entries: {parts} ({done})"

    def lines(self, *, unchanged: bool = False) -> Iterator[str]:
        """The report as plain text, one fact per line; unchanged entries only when asked."""
        yield self.summary()
        for outcome in OUTCOMES:
            if outcome == UNCHANGED and not unchanged:
                continue
            for r in self.of(outcome):
                target = f" → {r.key} ({r.label})" if r.key else ""
                how = f" by {r.matched_by}" if r.matched_by else ""
                yield f"{outcome:<11} line {r.line}, {r.entry_key}{target}{how}"
                if r.reason:
                    yield f"{'':<11}   {r.reason}"
                elif outcome == ENRICHED:
                    yield f"{'':<11}   sets: {', '.join(name for name, _, _ in r.changes)}"
        yield f"citations that back no claim ({len(self.unused)}): {', '.join(self.unused) or '—'}"
        yield f"stubs no entry matched ({len(self.unmatched_stubs)}): {', '.join(self.unmatched_stubs) or '—'}"


def _new_citation(result: EntryResult) -> Citation:
    item = result.values
    columns = dict(item.columns)
    fields, raw = item.fields, item.entry.raw
    if item.is_stub_record:
        # Our own export of a stub: it carries the citation's identity and identifiers, no more.
        columns = {name: (columns[name] if name in ("doi", "pmid") else "") for name in COLUMNS}
        fields, raw = {}, ""
    return Citation(
        key=result.key,
        label=result.label,
        first_author=item.surname,
        year=item.year,
        year_suffix=result.year_suffix,
        bibtex_fields=fields,
        raw_bibtex=raw,
        **columns,
    )


def _enriched_citation(result: EntryResult) -> Citation:
    citation, item = cast(Citation, result.citation), result.values  # enriched: matched a citation
    for name in COLUMNS:
        if item.columns[name] and not getattr(citation, name):
            setattr(citation, name, item.columns[name])
    citation.bibtex_fields = {**(citation.bibtex_fields or {}), **item.fields}
    citation.raw_bibtex = item.entry.raw
    return citation


def _lock_unchanged(results: list[EntryResult]) -> None:
    """Lock the citations about to be enriched, refusing if anyone changed them since they were read."""
    # Every result here matched a citation.
    matched = [cast(Citation, r.citation) for r in results]
    fresh = Citation.objects.select_for_update().in_bulk([citation.pk for citation in matched])
    for citation in matched:
        now = fresh.get(citation.pk)
        if now is None or any(getattr(now, name) != getattr(citation, name) for name in WRITTEN_FIELDS):
            raise BibtexRefused([CONCURRENT_CHANGE])


def _write(results: list[EntryResult], user: Actor) -> None:
    enriching = [r for r in results if r.outcome == ENRICHED]
    if enriching:
        _lock_unchanged(enriching)
    new = [_new_citation(r) for r in results if r.outcome == NEW]
    enriched = [_enriched_citation(r) for r in enriching]
    kwargs = {"batch_size": BATCH_SIZE, "default_user": user, "default_change_reason": HISTORY_REASON}
    if new:
        bulk_create_with_history(new, Citation, **kwargs)
    if enriched:
        bulk_update_with_history(enriched, Citation, fields=WRITTEN_FIELDS, **kwargs)


def bibtex_import(
    *, data: bytes, user: Actor = None, dry_run: bool = False, expected_digest: str | None = None
) -> ImportReport:
    """Import ``data`` (a .bib file) into the citations; returns an ImportReport.

    Raises BibtexRefused (nothing written) when the file cannot be read or stored, and
    PlanChanged when ``expected_digest`` (from a preview) no longer describes the import.
    Conflicting entries are reported and skipped; the rest is written in one transaction, and a
    file imported twice changes nothing the second time.
    """
    entries = parse_bibtex(data, max_bytes=settings.BIBTEX_MAX_BYTES, max_entries=settings.BIBTEX_MAX_ENTRIES)
    values, problems = file_values(entries)
    if problems:
        raise BibtexRefused(problems)
    try:
        with transaction.atomic():
            citations = list(Citation.objects.with_claim_counts().order_by("pk"))
            results = reconcile(values, citations)
            matched = {r.citation.pk for r in results if r.citation is not None and r.outcome != CONFLICTING}
            report = ImportReport(
                results=results,
                unused=sorted(
                    [c.key for c in citations if not c.claim_count]
                    + [r.key for r in results if r.outcome == NEW]
                ),
                unmatched_stubs=sorted(c.key for c in citations if c.is_stub and c.pk not in matched),
                dry_run=dry_run,
            )
            if expected_digest is not None and expected_digest != report.digest:
                raise PlanChanged(report)
            if not dry_run:
                _write(results, user)
    except IntegrityError:
        # Every value was checked against the constraints: only a concurrent import gets here.
        raise BibtexRefused([CONCURRENT_CHANGE]) from None
    return report
