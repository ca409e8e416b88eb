"""Creating and editing claims: the one path used by site forms, the API and the admin.

Every write validates first (a ``ValidationError`` whose dict names each bad field), anchors the
quote in the review text, and runs in one transaction. Updates are optimistic: the caller says
which version it edited, and a stale version raises ``StaleClaim`` instead of overwriting.
Each write leaves exactly one history record holding the claim's final state (relations
included), so a claim's history reads as one entry per edit.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Length

from claims import vocabulary as v
from claims.models import Claim, ClaimCellLine, Counter, IdempotencyKey, Section, StatusChange
from claims.models.claim import PUBLIC_ID_PREFIX
from claims.review_text import Anchor, QuoteError, SectionSpan, anchor_quote
from claims.services.claim_fields import (
    CHANGE_REASON_MAX,
    CHOICE_FIELDS,
    COLUMN_FIELDS,
    FIELD_NAMES,
    FIELDS_BY_NAME,
    RELATION_FIELDS,
    REVIEWED_FIELDS,
    TEXT_FIELDS,
    ClaimField,
)
from claims.types import Actor

PUBLIC_ID_COUNTER = "claim-public-id"
# Relations written as plain many-to-many sets; a claim's cell lines are links with a role.
_LINKED = tuple(name for name in RELATION_FIELDS if name != "cell_lines")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# A claim's state as a write sees it: {field: value} for its columns and quote, {relation: [items]}
# for its relations (cell lines as (cell line, role) pairs), and {field: [messages]} for its faults.
type Values = dict[str, Any]
type Relations = dict[str, list[Any]]
type Errors = dict[str, list[str]]


class StaleClaim(Exception):
    """The claim changed since the caller read it (a lost update was prevented)."""

    def __init__(self, claim: Claim, expected_version: int) -> None:
        self.claim, self.expected_version = claim, expected_version
        super().__init__(
            f"{claim.public_id} was changed by someone else (now version {claim.version}, "
            f"you edited version {expected_version}); reload it and apply your change again"
        )


@dataclass(frozen=True)
class Duplicate:
    public_id: str
    statement: str


@dataclass(frozen=True)
class ClaimCheck:
    """What a write would do: the quote anchored in the review, and the fields it would change."""

    anchor: Anchor
    changed: frozenset[str]


def _account(user: Actor) -> User | None:
    """The account a write records as its author: writes come from a signed-in user or, run by a
    command, from nobody (the views and the API let no anonymous request reach them)."""
    return cast(User | None, user)


def _section_span(section: Section) -> SectionSpan:
    return SectionSpan(section.number, section.title, section.order, tuple(tuple(s) for s in section.spans))


def _check_text(errors: Errors, field: ClaimField, value: object) -> None:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field.name] = ["Must be text."]
        return
    if field.required and not value.strip():
        errors[field.name] = ["This field is required."]
    elif field.max_length is not None and len(value) > field.max_length:
        errors[field.name] = [f"At most {field.max_length} characters."]
    elif _CONTROL.search(value):
        errors[field.name] = ["Contains control characters (such as NUL) that cannot be stored."]


def _validate(values: Values, relations: Relations) -> Errors:
    """Return {field: [messages]} for everything wrong with a claim's new state."""
    errors: Errors = {}
    for field in TEXT_FIELDS:
        _check_text(errors, field, values.get(field.name))
    statement, quote = values.get("statement"), values.get("quote")
    if (
        isinstance(statement, str)
        and isinstance(quote, str)
        and statement
        and statement.strip() == quote.strip()
    ):
        errors["statement"] = ["Write the statement in your own words, not as a copy of the quote."]
    for field in CHOICE_FIELDS:
        value = values.get(field.name)
        if value not in field.choice_values:
            errors[field.name] = [f"'{value}' is not one of: {', '.join(field.choice_values)}."]
    if not relations["citations"] and values.get("direction") != v.Direction.BACKGROUND:
        errors["citations"] = ["A claim needs at least one citation unless its direction is background."]
    for cell_line, role in relations["cell_lines"]:
        if role not in v.CellLineRole.values:
            errors["cell_lines"] = [
                f"Role '{role}' for {cell_line} is not one of: {', '.join(v.CellLineRole.values)}."
            ]
    if "quote" not in errors and isinstance(values.get("section"), Section):
        try:
            anchor = anchor_quote(
                values["section"].source.text,
                values["quote"],
                values.get("occurrence"),
                within=_section_span(values["section"]),
            )
        except QuoteError as exc:
            errors["quote"] = [str(exc)[0].upper() + str(exc)[1:] + "."]
        else:
            values["anchor"] = anchor
    elif not isinstance(values.get("section"), Section):
        errors["section"] = ["Choose the section of the review the quote is from."]
    return errors


def find_duplicates(
    *, citations: Iterable[Any], drugs: Iterable[Any], cargo: Iterable[Any], exclude: Claim | None = None
) -> list[Duplicate]:
    """Claims sharing a citation, a drug and a cargo with the given ones (a likely duplicate)."""
    if not citations or not drugs or not cargo:
        return []
    matches = Claim.objects.filter(citations__in=citations).filter(drugs__in=drugs).filter(cargo__in=cargo)
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return [Duplicate(p, s) for p, s in matches.distinct().values_list("public_id", "statement")[:10]]


def _highest_number(rows: QuerySet) -> int:
    public_id = (
        rows.filter(public_id__regex=rf"^{PUBLIC_ID_PREFIX}[0-9]+$")
        .order_by(Length("public_id").desc(), "-public_id")
        .values_list("public_id", flat=True)
        .first()
    )
    return int(public_id[len(PUBLIC_ID_PREFIX) :]) if public_id else 0


def _allocate_public_id() -> str:
    """One past the highest curated number ever given, deleted claims included (their history
    keeps it): a public id, once cited somewhere, never names another claim.

    Call inside the transaction that saves the claim. Moving the counter row first takes its lock
    until that transaction ends, so concurrent creations read the highest number one at a time
    and each sees the claims saved before it. The claims themselves stay the source of the
    number (the review's loader and restores write ids too); the counter only records the last.
    """
    counter, _ = Counter.objects.get_or_create(name=PUBLIC_ID_COUNTER)
    Counter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    number = max(_highest_number(Claim.objects.all()), _highest_number(Claim.history.model.objects.all())) + 1
    Counter.objects.filter(pk=counter.pk).update(value=number)
    return f"{PUBLIC_ID_PREFIX}{number:04d}"


def _apply_anchor(claim: Claim, anchor: Anchor) -> None:
    claim.quote, claim.quote_start, claim.quote_end = anchor.exact, anchor.start, anchor.end
    claim.quote_prefix, claim.quote_suffix = anchor.prefix, anchor.suffix


def _set_relations(claim: Claim, relations: Relations, user: Actor) -> None:
    # Relation changes must not each leave a history record of their own (simple-history records
    # one per m2m signal): the caller's final save records the claim with all its relations.
    claim.skip_history_when_saving = True
    try:
        for name in _LINKED:
            getattr(claim, name).set(relations[name])
    finally:
        del claim.skip_history_when_saving
    wanted = {(line.pk, role) for line, role in relations["cell_lines"]}
    current = {(link.cell_line_id, link.role): link for link in claim.cell_line_links.all()}
    for key, link in current.items():
        if key not in wanted:
            link._history_user = user
            link.delete()
    # One save per link (a claim has a handful) so each gets a history record with its author.
    for pk, role in sorted(wanted - set(current)):
        link = ClaimCellLine(claim=claim, cell_line_id=pk, role=role)
        link._history_user = user
        link.save()


def _relations_of(claim: Claim) -> Relations:
    relations = {name: list(getattr(claim, name).all()) for name in _LINKED}
    relations["cell_lines"] = [
        (link.cell_line, link.role) for link in claim.cell_line_links.select_related("cell_line")
    ]
    return relations


def quote_occurrence(*, section: Section, quote: str, start: int) -> int | None:
    """Which repeat (1-based) of ``quote`` within ``section`` starts at ``start``; None if none does."""
    span, text = _section_span(section), section.source.text
    seen, index = 0, text.find(quote) if quote else -1
    while index != -1:
        if span.contains(index, index + len(quote)):
            seen += 1
            if index == start:
                return seen
        index = text.find(quote, index + 1)
    return None


def _create_state(fields: dict[str, Any]) -> tuple[Values, Relations]:
    """A new claim's values and relations from ``claim_create``'s fields, defaults filled in."""
    unknown = sorted(set(fields) - set(FIELD_NAMES))
    missing = [name for name in FIELD_NAMES if FIELDS_BY_NAME[name].required and name not in fields]
    if unknown or missing:
        errors = {
            name: [f"A claim has no field '{name}' (it has: {', '.join(FIELD_NAMES)})."] for name in unknown
        }
        errors.update({name: ["This field is required."] for name in missing})
        raise ValidationError(errors)
    values = {name: fields.get(name, field.default) for name, field in FIELDS_BY_NAME.items()}
    relations = {name: list(values.pop(name)) for name in RELATION_FIELDS}
    for field in TEXT_FIELDS:
        if values[field.name] is None:
            values[field.name] = ""
    return values, relations


def _history_reason(change_reason: str | None) -> str | None:
    return (change_reason or "")[:CHANGE_REASON_MAX] or None


def claim_create(*, user: Actor, change_reason: str = "", **fields: Any) -> Claim:
    """Create a draft claim from ``fields`` (claim_fields.CLAIM_FIELDS: name -> value; the
    optional ones default as defined there); raises ValidationError naming every bad field,
    unknown and missing ones included.

    ``cell_lines`` is a list of (cell line, role); ``occurrence`` picks among repeats of the quote.
    ``change_reason`` (the edit summary, at most CHANGE_REASON_MAX characters) is kept with the
    history record of the creation.
    """
    values, relations = _create_state(fields)
    errors = _validate(values, relations)
    if errors:
        raise ValidationError(errors)
    section = values["section"]
    with transaction.atomic():
        claim = Claim(
            public_id=_allocate_public_id(),
            source=section.source,
            status=v.CurationStatus.DRAFT,
            created_by=_account(user),
            updated_by=_account(user),
            **{name: values[name] for name in COLUMN_FIELDS},
        )
        _apply_anchor(claim, values["anchor"])
        claim.save_without_historical_record()
        _set_relations(claim, relations, user)
        claim.search_document = claim.build_search_document()
        claim._history_user = user
        claim._change_reason = _history_reason(change_reason)
        claim.save(update_fields=["search_document"])
        # The record above was written by an UPDATE, so simple-history typed it "changed";
        # it is the claim's first record, i.e. its creation.
        Claim.history.filter(id=claim.pk).update(history_type="+")
    return claim


FORM_TOKEN_PREFIX = "form:"


def claim_created_with(*, user: Actor, token: str) -> Claim | None:
    """The claim a form with this one-time token already created (None if none did, or if it has
    been deleted since)."""
    record = IdempotencyKey.objects.filter(user=_account(user), key=FORM_TOKEN_PREFIX + token).first()
    public_id = (record.body or {}).get("public_id") if record else None
    return Claim.objects.filter(public_id=public_id).first() if public_id else None


def claim_create_once(*, user: Actor, token: str, **fields: Any) -> tuple[Claim | None, bool]:
    """``claim_create`` for a form carrying a one-time token: (claim, created).

    The token is recorded in the transaction that creates the claim, so a second submit of the
    same form (a double click, a resent POST), even one racing the first, gets the first claim
    back instead of a copy.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=cast(User, user), key=FORM_TOKEN_PREFIX + token, fingerprint="claim-create-form"
                )
        except IntegrityError:
            return claim_created_with(user=user, token=token), False
        claim = claim_create(user=user, **fields)
        record.status_code, record.body = 201, {"public_id": claim.public_id}
        record.save(update_fields=["status_code", "body"])
    return claim, True


UPDATABLE = frozenset(FIELD_NAMES)


def _update_state(claim: Claim, changes: dict[str, Any]) -> tuple[Values, Relations, Relations]:
    unknown = sorted(set(changes) - UPDATABLE)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    values = {name: getattr(claim, name) for name in (*COLUMN_FIELDS, "quote")}
    values.update({k: val for k, val in changes.items() if k not in RELATION_FIELDS})
    for field in TEXT_FIELDS:
        if values[field.name] is None:
            values[field.name] = ""
    same_quote = values["quote"] == claim.quote and values["section"] == claim.section
    if values.get("occurrence") is None and same_quote:
        # Keep the anchor where it is when the quote is repeated in its section.
        values["occurrence"] = quote_occurrence(
            section=claim.section, quote=claim.quote, start=claim.quote_start
        )
    current = _relations_of(claim)
    relations = {**current, **{k: list(val) for k, val in changes.items() if k in RELATION_FIELDS}}
    return values, relations, current


def _identity(value: Any) -> Any:
    return value.pk if hasattr(value, "_meta") else value


def _changed_fields(claim: Claim, values: Values, relations: Relations, current: Relations) -> frozenset[str]:
    changed = {name for name in COLUMN_FIELDS if _identity(values[name]) != _identity(getattr(claim, name))}
    anchor = values["anchor"]
    if (anchor.exact, anchor.start) != (claim.quote, claim.quote_start):
        changed.add("quote")
    for name in _LINKED:
        if {item.pk for item in relations[name]} != {item.pk for item in current[name]}:
            changed.add(name)
    if {(line.pk, role) for line, role in relations["cell_lines"]} != {
        (line.pk, role) for line, role in current["cell_lines"]
    }:
        changed.add("cell_lines")
    return frozenset(changed)


def claim_check(
    *, claim: Claim | None = None, expected_version: int | None = None, **fields: Any
) -> ClaimCheck:
    """Validate without writing: a new claim (``claim_create``'s fields) or changes to ``claim``.

    Returns a ClaimCheck (the anchored quote, with its offsets, and the fields that would
    change); raises ValidationError naming every bad field, then StaleClaim if
    ``expected_version`` is given and the claim has moved on from it (as ``claim_update`` would).
    Used by previews and by forms that report every refusal before saving.
    """
    if claim is None:
        values, relations = _create_state(fields)
    else:
        values, relations, current = _update_state(claim, fields)
    errors = _validate(values, relations)
    if errors:
        raise ValidationError(errors)
    if claim is None:
        return ClaimCheck(values["anchor"], frozenset(values) | frozenset(relations))
    if (
        expected_version is not None
        and not Claim.objects.filter(pk=claim.pk, version=expected_version).exists()
    ):
        claim.refresh_from_db()
        raise StaleClaim(claim, expected_version)
    return ClaimCheck(values["anchor"], _changed_fields(claim, values, relations, current))


def back_to_review_reason(fields: Iterable[str]) -> str:
    """The recorded reason an edit sent a claim back to review, naming the reviewed fields it changed."""
    names = ", ".join(name.replace("_", " ") for name in sorted(fields))
    return f"Content edited ({names}); back to review."


def claim_update(
    *,
    claim: Claim,
    user: Actor,
    expected_version: int | None = None,
    change_reason: str = "",
    **changes: Any,
) -> Claim:
    """Apply ``changes`` (field name -> new value) to ``claim``.

    ``expected_version`` is the version the caller edited; if the claim moved on since,
    StaleClaim is raised and nothing changes. Only fields whose value really differs count as
    changed; if none does, nothing is written. Editing a reviewed field (REVIEWED_FIELDS) of an
    approved or rejected claim sends it back to review, so every published claim has been
    checked as it stands; annotations (claim_fields.ANNOTATION_FIELDS) do not.
    ``change_reason`` (at most CHANGE_REASON_MAX characters) is kept with the history record.
    """
    values, relations, current = _update_state(claim, changes)
    errors = _validate(values, relations)
    if errors:
        raise ValidationError(errors)
    changed = _changed_fields(claim, values, relations, current)
    version = claim.version if expected_version is None else expected_version
    if not changed:
        if not Claim.objects.filter(pk=claim.pk, version=version).exists():
            claim.refresh_from_db()
            raise StaleClaim(claim, version)
        return claim
    with transaction.atomic():
        # The conditional UPDATE is the lock: only one of two concurrent editors can move the
        # version on from the one they both read.
        if not Claim.objects.filter(pk=claim.pk, version=version).update(version=F("version") + 1):
            claim.refresh_from_db()
            raise StaleClaim(claim, version)
        claim.version = version + 1
        for name in COLUMN_FIELDS:
            setattr(claim, name, values[name])
        _apply_anchor(claim, values["anchor"])
        reviewed = changed & REVIEWED_FIELDS
        if reviewed and claim.status in (v.CurationStatus.APPROVED, v.CurationStatus.REJECTED):
            StatusChange.objects.create(
                claim=claim,
                from_status=claim.status,
                to_status=v.CurationStatus.IN_REVIEW,
                reason=back_to_review_reason(reviewed),
                changed_by=_account(user),
            )
            claim.status, claim.rejection_reason = v.CurationStatus.IN_REVIEW, ""
        claim.updated_by = _account(user)
        if changed & set(RELATION_FIELDS):
            _set_relations(claim, relations, user)
        claim.search_document = claim.build_search_document()
        claim._history_user = user
        claim._change_reason = _history_reason(change_reason)
        claim.save()
    return claim
