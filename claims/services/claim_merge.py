"""Saving a whole-claim edit (the site's edit form) that may have been overtaken by another one.

A form sends every field, the ones the curator left alone included. Written as it stands over a
claim someone else changed meanwhile, it would undo their changes to fields this curator never
touched. So when the version moved on, the edit is merged field by field against the version the
curator started from (read from the history):

- a field the curator did not change keeps whatever the claim holds now;
- a field only the curator changed takes the curator's value;
- a field both changed, to different values, is a conflict: nothing is written and
  ``EditConflict`` names each such field with both values. Both making the same change is no
  conflict.

The quote counts as one field with its occurrence (which repeat in the section it anchors on).
"""

from dataclasses import dataclass
from typing import Any

from claims.models import Claim
from claims.services.claim_fields import RELATION_FIELDS
from claims.services.claim_writes import StaleClaim, claim_update, quote_occurrence
from claims.services.history import claim_states, describe_fields, field_label
from claims.types import Actor

# A merge that loses the race to yet another edit is redone on the newer version this many times.
MERGE_ATTEMPTS = 3


@dataclass(frozen=True)
class FieldConflict:
    name: str
    label: str
    yours: str  # the curator's value, for display
    theirs: str  # the value saved meanwhile, for display


class EditConflict(StaleClaim):
    """Both this edit and one saved meanwhile changed the same fields to different values.

    ``conflicts`` lists them (FieldConflict); ``kept_fields`` names the other fields changed
    meanwhile that this edit left alone (``kept``: their labels). Nothing was written.
    """

    def __init__(
        self,
        claim: Claim,
        expected_version: int,
        *,
        conflicts: list[FieldConflict],
        kept_fields: tuple[str, ...],
    ) -> None:
        super().__init__(claim, expected_version)
        self.conflicts, self.kept_fields = conflicts, kept_fields
        self.kept = tuple(field_label(name) for name in kept_fields)


@dataclass(frozen=True)
class MergedEdit:
    claim: Claim
    written: bool  # False when the edit changed nothing the claim did not already hold
    kept: tuple[str, ...] = ()  # labels of the fields changed meanwhile by others, kept as they were saved


def _normal(name: str, value: Any) -> Any:
    """A field's value as the history states hold it (ids; sets for relations; LF line ends)."""
    if name == "cell_lines":
        return {(line.pk, role) for line, role in value}
    if name in RELATION_FIELDS:
        return {item.pk for item in value}
    return _text(getattr(value, "pk", value))


def _text(value: Any) -> Any:
    # Browsers send a textarea's line ends as CRLF; what the history holds may have either.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def edit_compare(
    fields: dict[str, Any], base: dict[str, Any], current: dict[str, Any]
) -> tuple[set[str], set[str], list[str]]:
    """(fields the edit changed, fields changed meanwhile, conflicting fields) by name."""
    section, occurrence = fields["section"], fields.get("occurrence")

    def where(state: dict[str, Any]) -> tuple[str, int | None]:
        # Without an occurrence the form keeps the quote where it is: only its text counts.
        if occurrence is None or state["section"] != section.pk:
            return (state["quote"], None)
        return (
            state["quote"],
            quote_occurrence(section=section, quote=state["quote"], start=state["quote_start"]),
        )

    posted = {name: _normal(name, value) for name, value in fields.items() if name != "occurrence"}
    posted["quote"] = (posted["quote"], occurrence)
    mine: set[str] = set()
    theirs: set[str] = set()
    conflicts: list[str] = []
    for name, value in posted.items():
        if name == "quote":
            was, now = where(base), where(current)
            moved = (base["quote"], base["quote_start"]) != (current["quote"], current["quote_start"])
        else:
            was, now = _text(base[name]), _text(current[name])
            moved = was != now
        if moved:
            theirs.add(name)
        if value != was:
            mine.add(name)
            if moved and value != now:
                conflicts.append(name)
    return mine, theirs, conflicts


def _conflicts(current: dict[str, Any], fields: dict[str, Any], names: list[str]) -> list[FieldConflict]:
    """FieldConflict for each of ``names``, both values shown as the history shows them."""
    yours = {**current, **{n: _normal(n, v) for n, v in fields.items() if n in current}}
    yours["quote"] = fields["quote"]
    shown = describe_fields([yours, current], names)
    return [FieldConflict(name, field_label(name), *shown[name]) for name in names]


def claim_merge_update(
    *, claim: Claim, user: Actor, expected_version: int, change_reason: str = "", **fields: Any
) -> MergedEdit:
    """Save a whole-claim edit (every field of claim_fields.CLAIM_FIELDS, as ``claim_update``
    takes them) made from ``expected_version``, merged with whatever was saved since (see the
    module docstring). Returns a MergedEdit.

    Raises EditConflict when both changed a field differently, StaleClaim when the version the
    edit started from is not in the claim's history (nothing to merge against), ValidationError
    when the merged claim is invalid (e.g. a quote that is not in the section chosen meanwhile).
    """
    before = claim.version
    try:
        claim_update(
            claim=claim, user=user, expected_version=expected_version, change_reason=change_reason, **fields
        )
        return MergedEdit(claim, written=claim.version != before)
    except StaleClaim:
        pass
    for _ in range(MERGE_ATTEMPTS):
        claim.refresh_from_db()
        now = claim.version
        states = claim_states(claim, {expected_version, now})
        if expected_version not in states or now not in states:
            raise StaleClaim(claim, expected_version)
        base, current = states[expected_version], states[now]
        mine, theirs, conflicts = edit_compare(fields, base, current)
        kept = tuple(sorted(theirs - mine))
        if conflicts:
            raise EditConflict(
                claim, expected_version, conflicts=_conflicts(current, fields, conflicts), kept_fields=kept
            )
        changes = {name: fields[name] for name in mine}
        if "quote" in mine and "occurrence" in fields:
            changes["occurrence"] = fields["occurrence"]
        try:
            claim_update(claim=claim, user=user, expected_version=now, change_reason=change_reason, **changes)
        except StaleClaim:
            continue
        return MergedEdit(claim, written=claim.version != now, kept=tuple(map(field_label, kept)))
    raise StaleClaim(claim, expected_version)
