"""The services' rules, applied to the rows of a data-set file before any of them is stored.

A restore inserts rows directly (no signals, no services), so what a curator could not have
written through the services is refused here: a claim goes through ``claim_check`` (text limits,
control characters, choices, citations, its quote anchored in its section) and must sit at the
offsets and with the context the file gives; entities and citations keep the identifier forms
every door accepts (claims.identifiers). Past versions of a claim keep the text limits.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from claims.identifiers import DOI, SLUG
from claims.models import Citation, Claim, Section, Source
from claims.models.entities import LOOKUP_SEPARATOR, Entity
from claims.review_text import Anchor, QuoteError, SectionSpan, anchor_quote
from claims.services.claim_fields import COLUMN_FIELDS, RELATION_FIELDS, TEXT_FIELDS
from claims.services.claim_writes import claim_check, quote_occurrence

# Linked by key in the file; claim_check only needs to know whether there are any. Cell lines
# travel as their own rows (claim_cell_lines), whose role the model's choices check.
_LINKED_IN_RECORD = tuple(name for name in RELATION_FIELDS if name != "cell_lines")
_FOREIGN_KEYS = {"section", "mechanism"}
# The review states some findings without a citation, and load_review transcribes them so; the
# services ask a curator's new claim for one, but a restore keeps the transcription as it is.
_TRANSCRIBED_AS_IS = {"citations"}


class RowRules:
    """Checks rows already shaped as unsaved model instances; reports through ``fail(where, message)``."""

    def __init__(self, fail: Callable[[str, str], None]) -> None:
        self.fail = fail
        self.sections: dict[int, Section] = {}
        self.sources: dict[int, Source] = {}

    def _section(self, pk: int) -> Section:
        # Sections of one source share it: its text is long, and held once (a restore is batched).
        if pk not in self.sections:
            section = Section.objects.get(pk=pk)
            if section.source_id not in self.sources:
                self.sources[section.source_id] = Source.objects.get(pk=section.source_id)
            section.source = self.sources[section.source_id]
            self.sections[pk] = section
        return self.sections[pk]

    def claim(self, claim: Claim, record: dict[str, Any], where: str) -> None:
        section = self._section(claim.section_id)
        if section.source_id != claim.source_id:
            self.fail(where, f"section: section {section.number} is not a section of the claim's source")
            return
        fields = {name: getattr(claim, name) for name in COLUMN_FIELDS if name not in _FOREIGN_KEYS}
        linked = {name: record[name] if isinstance(record[name], list) else [] for name in _LINKED_IN_RECORD}
        try:
            check = claim_check(
                section=section,
                mechanism=None,
                quote=claim.quote,
                # A quote not at its offsets is anchored at its first place, to say where that is.
                occurrence=quote_occurrence(section=section, quote=claim.quote, start=claim.quote_start) or 1,
                cell_lines=(),
                **fields,
                **linked,
            )
        except ValidationError as exc:
            problems = {name: m for name, m in exc.message_dict.items() if name not in _TRANSCRIBED_AS_IS}
            for name, messages in problems.items():
                self.fail(where, f"{name}: {' '.join(messages)}")
            if problems:
                return
            # Only the transcription's exemption was hit, before the quote was anchored: anchor it alone.
            anchor = self._anchor(section, claim, where)
            if anchor is None:
                return
        else:
            anchor = check.anchor
        if (anchor.start, anchor.end) != (claim.quote_start, claim.quote_end):
            self.fail(
                where,
                f"the quote is not at characters {claim.quote_start}–{claim.quote_end} of the source "
                f"text (section {section.number} has it at {anchor.start}–{anchor.end})",
            )
        elif (anchor.prefix, anchor.suffix) != (claim.quote_prefix, claim.quote_suffix):
            self.fail(where, "quote_prefix, quote_suffix: not the text around the quote at its offsets")

    def _anchor(self, section: Section, claim: Claim, where: str) -> Anchor | None:
        span = SectionSpan(
            section.number, section.title, section.order, tuple(tuple(s) for s in section.spans)
        )
        occurrence = quote_occurrence(section=section, quote=claim.quote, start=claim.quote_start) or 1
        try:
            return anchor_quote(section.source.text, claim.quote, occurrence, within=span)
        except QuoteError as exc:
            self.fail(where, f"quote: {exc}")
            return None

    def claim_history(self, row: models.Model, where: str) -> None:
        for field in TEXT_FIELDS:
            value = getattr(row, field.name, None)
            if isinstance(value, str) and field.max_length is not None and len(value) > field.max_length:
                self.fail(where, f"{field.name}: At most {field.max_length} characters.")

    def entity(self, entity: Entity, where: str) -> None:
        if not SLUG.match(entity.slug):
            self.fail(where, f"slug: {entity.slug!r} is not lowercase letters, digits and single hyphens")
        for name in ("aliases", "misprints"):
            for alias in getattr(entity, name):
                if LOOKUP_SEPARATOR in alias:
                    self.fail(where, f"{name}: {alias!r} cannot contain '{LOOKUP_SEPARATOR}'")

    def citation(self, citation: Citation, where: str) -> None:
        if citation.doi and not DOI.match(citation.doi):
            self.fail(where, f"doi: {citation.doi!r} is not a DOI of the form 10.NNNN/suffix")
