"""A claim's history as readable revisions (field-by-field), and restoring an earlier one.

The record is django-simple-history's: one row per write of the claim, holding its fields and
its citations, drugs and cargo as they were; cell-line links have their own history rows. A
revision is one write. Every write moves the claim's version on, so consecutive rows with the
same version belong to one write: older multi-step writes (``load_review`` saves a claim, then
each relation) left several rows for one change, and they read as one revision.

Cell lines as of a revision are found by replaying the link history backwards from the current
links, which also works for links created before their history was kept.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Field, TextChoices

from claims import vocabulary as v
from claims.models import CellLine, Claim, ClaimCellLine, Mechanism, Section
from claims.review_text import Anchor
from claims.services.claim_fields import (
    CHOICE_FIELDS,
    CLAIM_FIELDS,
    COLUMN_FIELDS,
    RELATION_FIELDS,
    REVIEWED_FIELDS,
)
from claims.services.claim_fields import TEXT_FIELDS as CLAIM_TEXT_FIELDS
from claims.services.claim_writes import claim_update, quote_occurrence
from claims.services.merge import MERGE_REASON_PREFIX
from claims.services.text_diff import sentence_diff
from claims.services.text_diff import word_diff as word_diff  # re-exported
from claims.types import Actor

# A claim as one history record holds it (see claim_states).
type State = dict[str, Any]


def _field(name: str) -> Field:
    """The claim's field ``name``: a column or a relation it declares (never a reverse one)."""
    return cast(Field, Claim._meta.get_field(name))


# What a history record holds of a claim, from the one definition of its fields
# (claim_fields.CLAIM_FIELDS), plus the workflow's status and rejection reason.
TEXT_FIELDS = [field.name for field in CLAIM_TEXT_FIELDS] + ["rejection_reason"]
CHOICES: dict[str, type[TextChoices]] = {
    field.name: field.choices for field in CHOICE_FIELDS if field.choices is not None
} | {"status": v.CurationStatus}
SCALAR_FIELDS = ["status", *(f.name for f in CLAIM_FIELDS if f.name in COLUMN_FIELDS or f.name == "quote")]
SCALAR_FIELDS.append("rejection_reason")
# Relations recorded on the claim's own history rows; cell lines are links with their own history.
# {relation: entity model}; the models are Any to mypy: their ``objects`` and ``history`` managers
# are added at run time.
RELATIONS: dict[str, Any] = {
    name: _field(name).related_model for name in RELATION_FIELDS if name != "cell_lines"
}
RELATION_LABELS = {name: str(_field(name).verbose_name).capitalize() for name in RELATIONS}
RELATION_LABELS["cell_lines"] = "Cell lines"


@dataclass
class FieldChange:
    name: str
    label: str
    old: str = ""
    new: str = ""
    # [(op, text)], op in equal/delete/insert (text fields; see text_diff.sentence_diff)
    words: list[tuple[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # relation items (display names)
    removed: list[str] = field(default_factory=list)

    @property
    def is_relation(self) -> bool:
        return self.name in RELATION_LABELS


@dataclass
class Revision:
    record: Any  # the last HistoricalClaim row of the write
    number: int
    state: State
    history_ids: tuple[int, ...] = ()  # every HistoricalClaim row of the write
    restorable: bool = False  # its content differs from the current one
    history_type: str = "~"  # "+" when the write created the claim
    changes: list[FieldChange] = field(default_factory=list)
    is_current: bool = False

    @property
    def kind(self) -> str:
        return {"+": "created", "-": "deleted"}.get(self.history_type, "changed")

    @property
    def user(self) -> Any:
        return self.record.history_user

    @property
    def date(self) -> datetime:
        return self.record.history_date

    @property
    def reason(self) -> str:
        return self.record.history_change_reason or ""


class _Names:
    """Display names for the entities, sections and users a history refers to (a query per kind)."""

    def __init__(self, states: Iterable[State]) -> None:
        wanted: dict[str, set[Any]] = {
            name: set() for name in [*RELATIONS, "cell_lines", "mechanism", "section"]
        }
        for state in states:
            for name in RELATIONS:
                wanted[name] |= state[name]
            wanted["cell_lines"] |= {pk for pk, _ in state["cell_lines"]}
            wanted["mechanism"].add(state["mechanism"])
            wanted["section"].add(state["section"])
        self.names: dict[str, dict[Any, str]] = {}
        kinds = [*RELATIONS.items(), ("cell_lines", CellLine), ("mechanism", Mechanism)]
        for name, model in kinds:
            attr = "label" if name == "citations" else "name"
            ids = wanted[name] - {None}
            found = dict(model.objects.filter(pk__in=ids).values_list("pk", attr)) if ids else {}
            missing = ids - set(found)
            if missing:
                for pk, old_name, why in model.history.filter(id__in=missing, history_type="-").values_list(
                    "id", attr, "history_change_reason"
                ):
                    found[pk] = f"{old_name} ({why or 'deleted'})"
            self.names[name] = found
        ids = wanted["section"] - {None}
        self.names["section"] = {s.pk: s.label for s in Section.objects.filter(pk__in=ids)} if ids else {}

    def of(self, kind: str, pk: Any) -> str:
        if pk is None:
            return ""
        return self.names[kind].get(pk, f"deleted #{pk}")


def _records(claim: Claim) -> list[Any]:
    return list(claim.history.select_related("history_user").order_by("history_date", "history_id"))


def _m2m_rows(records: Sequence[Any]) -> dict[str, dict[int, set[int]]]:
    """{relation: {history_id: {related pk}}} for every record, one query per relation."""
    ids = [r.history_id for r in records]
    rows: dict[str, dict[int, set[int]]] = {}
    for name, model in RELATIONS.items():
        through = getattr(Claim.history.model, name).model
        column = f"{model._meta.model_name}_id"
        by_record: dict[int, set[int]] = {history_id: set() for history_id in ids}
        for history_id, related in through.objects.filter(history_id__in=ids).values_list(
            "history_id", column
        ):
            by_record[history_id].add(related)
        rows[name] = by_record
    return rows


def _cell_lines_by_record(claim: Claim, records: Sequence[Any]) -> dict[int, set[tuple[int, str]]]:
    """{history_id: {(cell line pk, role)}}: the links as of each record, replayed backwards."""
    state = {link.pk: (link.cell_line_id, link.role) for link in ClaimCellLine.objects.filter(claim=claim)}
    events = list(
        ClaimCellLine.history.filter(claim_id=claim.pk)
        .order_by("history_date", "history_id")
        .values_list("id", "history_type", "cell_line_id", "role", "history_date")
    )
    previous_of: dict[
        int, int | None
    ] = {}  # event index -> the same link's previous event index (what a change replaced)
    last_by_link: dict[int, int] = {}
    for index, (link_id, *_) in enumerate(events):
        previous_of[index] = last_by_link.get(link_id)
        last_by_link[link_id] = index
    result: dict[int, set[tuple[int, str]]] = {}
    position = len(events) - 1
    for record in reversed(records):
        while position >= 0 and events[position][4] > record.history_date:
            link_id, kind, cell_line_id, role, _ = events[position]
            if kind == "+":
                state.pop(link_id, None)
            elif kind == "-":
                state[link_id] = (cell_line_id, role)
            elif (previous := previous_of[position]) is not None:
                state[link_id] = events[previous][2:4]
            position -= 1
        result[record.history_id] = set(state.values())
    return result


def _states(claim: Claim, records: Sequence[Any]) -> list[State]:
    m2m, cell_lines = _m2m_rows(records), _cell_lines_by_record(claim, records)
    states = []
    for record in records:
        # Section and mechanism as ids (``attname``), as the other relations are.
        state = {name: getattr(record, _field(name).attname) for name in SCALAR_FIELDS}
        state.update(
            quote_start=record.quote_start,
            cell_lines=cell_lines[record.history_id],
            **{name: m2m[name][record.history_id] for name in RELATIONS},
        )
        states.append(state)
    return states


def _writes(records: Sequence[Any]) -> list[list[int]]:
    """Group record indexes into writes (see the module docstring)."""
    groups: list[list[int]] = []
    for index, record in enumerate(records):
        previous = records[index - 1] if index else None
        if previous is not None and previous.version == record.version:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _display(name: str, value: Any, names: _Names) -> str:
    if name in CHOICES:
        return CHOICES[name](value).label if value in CHOICES[name].values else (value or "")
    if name in ("section", "mechanism"):
        return names.of(name, value)
    return value or ""


def _changes(old: State, new: State, names: _Names) -> list[FieldChange]:
    changes = []
    for name in SCALAR_FIELDS:
        if old.get(name) != new[name] or (name == "quote" and old.get("quote_start") != new["quote_start"]):
            change = FieldChange(
                name,
                str(_field(name).verbose_name).capitalize(),
                old=_display(name, old.get(name), names),
                new=_display(name, new[name], names),
            )
            if name in TEXT_FIELDS:
                change.words = sentence_diff(change.old, change.new)
            if change.old != change.new or name == "quote":
                changes.append(change)
    for name in RELATIONS:
        before, after = old.get(name, set()), new[name]
        if before != after:
            changes.append(
                FieldChange(
                    name,
                    RELATION_LABELS[name],
                    added=sorted(names.of(name, pk) for pk in after - before),
                    removed=sorted(names.of(name, pk) for pk in before - after),
                )
            )
    before, after = old.get("cell_lines", set()), new["cell_lines"]
    if before != after:
        roles = dict(v.CellLineRole.choices)
        label = lambda link: f"{names.of('cell_lines', link[0])} ({roles.get(link[1], link[1])})"  # noqa: E731
        changes.append(
            FieldChange(
                "cell_lines",
                RELATION_LABELS["cell_lines"],
                added=sorted(map(label, after - before)),
                removed=sorted(map(label, before - after)),
            )
        )
    return changes


def claim_revisions(claim: Claim) -> list[Revision]:
    """The claim's revisions, newest first, each with its field-by-field changes."""
    records = _records(claim)
    if not records:
        return []
    states = _states(claim, records)
    names = _Names(states)
    revisions: list[Revision] = []
    previous: State = {}
    for number, group in enumerate(_writes(records), start=1):
        last = group[-1]
        revision = Revision(
            record=records[last],
            number=number,
            state=states[last],
            history_ids=tuple(records[i].history_id for i in group),
            history_type="+" if records[group[0]].history_type == "+" else records[last].history_type,
        )
        revision.changes = _changes(previous, states[last], names)
        revisions.append(revision)
        previous = states[last]
    revisions[-1].is_current = True
    current = _content(revisions[-1].state)
    for revision in revisions:
        revision.restorable = _content(revision.state) != current
    return revisions[::-1]


def _current_state(claim: Claim) -> State:
    """``claim`` as it is stored now, in a history record's terms (see claim_states)."""
    state: State = {name: getattr(claim, _field(name).attname) for name in SCALAR_FIELDS}
    state["quote_start"] = claim.quote_start
    for name in RELATIONS:
        state[name] = set(getattr(claim, name).values_list("pk", flat=True))
    state["cell_lines"] = set(ClaimCellLine.objects.filter(claim=claim).values_list("cell_line_id", "role"))
    return state


def claim_proposed_changes(*, claim: Claim, fields: dict[str, Any], anchor: Anchor) -> list[FieldChange]:
    """What saving ``fields`` (claim_update's arguments, entities as objects) over ``claim`` would
    change, field by field, as the history will show it; ``anchor`` is where claim_check anchored
    the quote."""
    old = _current_state(claim)
    new = {**old, "quote": anchor.exact, "quote_start": anchor.start}
    for name in SCALAR_FIELDS:
        if name in fields and name != "quote":
            value = fields[name]
            new[name] = value.pk if hasattr(value, "pk") else value
    for name in RELATIONS:
        new[name] = {item.pk for item in fields.get(name, ())}
    new["cell_lines"] = {(line.pk, role) for line, role in fields.get("cell_lines", ())}
    return _changes(old, new, _Names([old, new]))


def claim_states(claim: Claim, versions: Collection[int]) -> dict[int, State]:
    """{version: state} of ``claim`` as its history recorded it after the write that made each of
    ``versions`` (a Revision's ``state``: ids for section, mechanism and relations, cell lines as
    (id, role)); a version the history has no record of is left out."""
    records = [record for record in _records(claim) if record.version in versions]
    if not records:
        return {}
    # Records of one write share its version; the last holds the write's final state.
    return {record.version: state for record, state in zip(records, _states(claim, records), strict=True)}


def field_label(name: str) -> str:
    """A claim field's name as the history shows it."""
    return RELATION_LABELS.get(name) or str(_field(name).verbose_name).capitalize()


def describe_fields(states: Sequence[State], fields: Iterable[str]) -> dict[str, list[str]]:
    """{field: [its value for display in each of ``states``]} for each of ``fields``."""
    names = _Names(states)
    roles = dict(v.CellLineRole.choices)
    shown: dict[str, list[str]] = {}
    for name in fields:
        if name == "cell_lines":
            shown[name] = [
                "; ".join(sorted(f"{names.of(name, pk)} ({roles.get(role, role)})" for pk, role in s[name]))
                for s in states
            ]
        elif name in RELATIONS:
            shown[name] = ["; ".join(sorted(names.of(name, pk) for pk in s[name])) for s in states]
        else:
            shown[name] = [_display(name, s[name], names) for s in states]
    return shown


def _content(state: State) -> State:
    """What a restore brings back: everything but the workflow's fields."""
    return {name: value for name, value in state.items() if name not in ("status", "rejection_reason")}


def _resolve(model: Any, ids: Collection[int], label: str) -> dict[int, Any]:
    """Current entities for ``ids``, following merges; a deleted one is a ValidationError."""
    found = {obj.pk: obj for obj in model.objects.filter(pk__in=ids)}
    for pk in set(ids) - set(found):
        deletion = model.history.filter(id=pk, history_type="-").order_by("-history_date").first()
        reason = (deletion.history_change_reason or "") if deletion else ""
        if reason.startswith(MERGE_REASON_PREFIX):
            successor = model.objects.filter(slug=reason[len(MERGE_REASON_PREFIX) :]).first()
            if successor is not None:
                found[pk] = successor
                continue
        name = f" '{deletion.instance}'" if deletion else ""
        raise ValidationError(
            {label: [f"{model._meta.verbose_name.capitalize()} #{pk}{name} no longer exists."]}
        )
    return found


def revision_changes(claim: Claim, history_id: int) -> tuple[Revision, list[FieldChange]]:
    """The revision holding record ``history_id``, and what restoring it would change (FieldChanges)."""
    revisions = claim_revisions(claim)
    target = next((r for r in revisions if history_id in r.history_ids), None)
    if target is None:
        raise Claim.history.model.DoesNotExist(f"{claim.public_id} has no revision {history_id}")
    names = _Names([target.state, revisions[0].state])
    changes = _changes(revisions[0].state, target.state, names)
    return target, [c for c in changes if c.name not in ("status", "rejection_reason")]


def claim_restore(
    *, claim: Claim, history_id: int, user: Actor, expected_version: int | None = None
) -> Claim:
    """Make the claim's content what it was at the revision holding record ``history_id``, through
    ``claim_update``.

    Status is left to the workflow: restoring the content of an approved claim sends it back to
    review like any edit. Raises ValidationError (e.g. an entity that no longer exists),
    PermissionDenied or StaleClaim.
    """
    if user is None or not user.has_perm("claims.change_claim"):
        raise PermissionDenied("Only curators can restore a claim's earlier version.")
    target, _ = revision_changes(claim, history_id)
    state = target.state
    section = Section.objects.filter(pk=state["section"]).select_related("source").first()
    if section is None:
        raise ValidationError({"section": ["The section of that version no longer exists."]})
    mechanism = _resolve(Mechanism, [state["mechanism"]], "mechanism") if state["mechanism"] else {}
    lines = _resolve(CellLine, [pk for pk, _ in state["cell_lines"]], "cell_lines")
    related = {name: _resolve(model, state[name], name) for name, model in RELATIONS.items()}
    when = target.date.strftime("%Y-%m-%d %H:%M")
    columns = {name: state[name] for name in COLUMN_FIELDS}
    columns.update(section=section, mechanism=mechanism.get(state["mechanism"]))
    return claim_update(
        claim=claim,
        user=user,
        expected_version=expected_version,
        change_reason=f"restored revision {target.number} ({when})",
        quote=state["quote"],
        occurrence=quote_occurrence(section=section, quote=state["quote"], start=state["quote_start"]),
        cell_lines=sorted(
            {(lines[pk], role) for pk, role in state["cell_lines"]}, key=lambda x: (x[0].pk, x[1])
        ),
        **columns,
        **{name: list(dict.fromkeys(related[name][pk] for pk in state[name])) for name in RELATIONS},
    )


# A record's reviewed content (claim_fields.REVIEWED_FIELDS) as stored on the history row: its
# columns (ids for section and mechanism), the quote with its position, and relations as sets.
_REVIEWED_COLUMNS = [_field(name).attname for name in sorted(REVIEWED_FIELDS) if name in SCALAR_FIELDS] + [
    "quote_start"
]
_REVIEWED_RELATIONS = [name for name in RELATIONS if name in REVIEWED_FIELDS]
_DECISIONS = {v.CurationStatus.APPROVED, v.CurationStatus.REJECTED}


def content_editors_since_review(claim: Claim) -> set[int]:
    """Ids of the users who changed the claim's reviewed fields since it was last approved or
    rejected (since its creation if never): the editors who may not approve or reject it.

    Read from the history, not ``updated_by``: a later notes-only edit by someone else must not
    clear the author of a content change. A claim without history falls back to ``updated_by``.
    """
    records = _records(claim)
    if not records:
        return set() if claim.updated_by_id is None else {claim.updated_by_id}
    m2m, cell_lines = _m2m_rows(records), _cell_lines_by_record(claim, records)
    editors, previous = set(), None
    for record in records:
        content = (
            [getattr(record, column) for column in _REVIEWED_COLUMNS],
            [m2m[name][record.history_id] for name in _REVIEWED_RELATIONS],
            cell_lines[record.history_id],
        )
        if previous is not None and record.status in _DECISIONS and record.status != previous[0]:
            editors = set()
        elif previous is None or content != previous[1]:
            editors.add(record.history_user_id)
        previous = (record.status, content)
    return editors - {None}
