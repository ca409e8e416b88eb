"""Backup and restore of the whole curated data set as one JSON document keyed by natural keys.

The document holds every source, section, entity, citation, claim (with its citations, drugs and
cargo), cell-line link, status change and flag, and every history row of django-simple-history,
including the history of objects that were deleted since ("history_of_deleted"). No database
primary key appears in it: objects are named by their natural keys (DOI, section number, slug,
citation key, public id) and users by username, so a file restores into any database.

Restoring is all or nothing (one transaction) and refuses a database that already holds data,
unless ``merge`` is given: then whatever the file has that the database lacks is added (with its
history, cell-line links, flags and status changes), and everything the database already has,
matched by natural key, is left exactly as it is and reported when it differs from the file.
Derived columns (search documents, entity lookup terms) are recomputed, not stored.

Exporting streams (``dataset_write``): the lists are read and written BATCH rows at a time, so
memory holds one batch of records, not the document; the bytes are what ``dataset_dumps`` makes
of the whole document. Importing streams too (claims.dataops.dataset_file, claims.dataops.restore):
the file is read through once to check it is a data set, then its lists are read again a batch
of rows at a time.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import batched
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import F, Field, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Collate

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
    StatusChange,
    Target,
)

FORMAT = "exoclaims-dataset"
FORMAT_VERSION = 1
DERIVED_FIELDS = {"search_document", "lookup_terms"}
HISTORY_SKIPPED = {"id", "history_id", "lookup_terms"}
MAX_ERRORS = 50
# Claims (and the rows that belong to them) are read and written this many at a time.
BATCH = 1000
NATURAL = "natural_"  # the annotation naming the object a foreign key points at: natural_<field>

# A record of the document (one row as JSON), and a model class.
type Record = dict[str, Any]
type Model = type[models.Model]


class TextOut(Protocol):
    """Where dataset_write writes: a text stream, or anything taking text in pieces."""

    def write(self, text: str, /) -> object: ...


def model_field(model: Model, name: str) -> Any:
    """A field ``model`` declares (Any: a column, a foreign key or a many-to-many field)."""
    return model._meta.get_field(name)


@dataclass(frozen=True)
class Part:
    """One list in the document: a model, its natural key, and how it travels in a merge."""

    name: str
    model: Model
    key: tuple[str, ...]  # fields naming an object; a foreign key contributes its target's natural key
    order: tuple[str, ...] = ()  # sort fields for parts without a natural key
    m2m: tuple[str, ...] = ()
    owned_by_claim: bool = False  # added only together with its claim

    @property
    def history(self) -> Any:
        """The model of its history rows (Any: simple-history makes it at run time), or None."""
        manager = getattr(self.model, "history", None)
        return manager.model if manager is not None else None


PARTS = [
    Part("sources", Source, ("doi",)),
    Part("sections", Section, ("source", "number")),
    Part("mechanisms", Mechanism, ("slug",)),
    Part("drugs", Drug, ("slug",)),
    Part("cargo", Cargo, ("slug",)),
    Part("targets", Target, ("slug",)),
    Part("cell_lines", CellLine, ("slug",)),
    Part("citations", Citation, ("key",)),
    Part("claims", Claim, ("public_id",), m2m=("citations", "drugs", "cargo", "targets")),
    Part("claim_cell_lines", ClaimCellLine, ("claim", "cell_line", "role"), owned_by_claim=True),
    Part("citation_checks", CitationCheck, ("claim", "citation"), owned_by_claim=True),
    Part("status_changes", StatusChange, (), order=("claim", "changed_at"), owned_by_claim=True),
    Part("flags", Flag, (), order=("claim", "raised_at"), owned_by_claim=True),
]
HISTORY_PARTS = [part for part in PARTS if part.history]


class DatasetError(Exception):
    """The file cannot be restored; ``messages`` says what is wrong and where."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def record_fields(model: Model, skipped: set[str] = DERIVED_FIELDS) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skipped]


def history_fields(history_model: Model) -> list[Field]:
    return [f for f in history_model._meta.concrete_fields if f.name not in HISTORY_SKIPPED]


def m2m_history_model(part: Part, name: str) -> Model:
    return part.model._meta.apps.get_model(part.model._meta.app_label, f"{part.history.__name__}_{name}")


def natural_key(names: Iterable[str], record: Record) -> tuple[Any, ...]:
    key: list[Any] = []
    for name in names:
        value = record[name]
        key.extend(value if isinstance(value, list) else [value])
    return tuple(key)


def sort_token(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _normalise_json(value: Any) -> Any:
    """JSON columns come back with database-dependent key order (PostgreSQL's jsonb sorts them)."""
    return json.loads(json.dumps(value, sort_keys=True))


def _unwrap(key: tuple[Any, ...] | None) -> Any:
    return None if key is None else key[0] if len(key) == 1 else list(key)


class _Keys:
    """Primary key -> natural key, for live objects and for objects known only by their history.

    Only an export of sections needs them (a key of two fields), and a merge, which compares
    the whole database; rows name the objects behind other foreign keys in their own query.
    """

    def __init__(self) -> None:
        user = get_user_model()
        self.usernames = dict(user.objects.values_list("pk", user.USERNAME_FIELD))
        self.by_model: defaultdict[Any, dict[Any, tuple[Any, ...]]] = defaultdict(dict)

    def encode(self, field: Field, value: Any) -> Any:
        if value is None:
            return None
        if field.related_model is get_user_model():
            return self.usernames.get(value)  # a deleted user leaves a dangling id: None
        return _unwrap(self.by_model[field.related_model].get(value))

    def record(self, fields: Iterable[Field], row: dict[str, Any]) -> Record:
        out = {}
        for f in fields:
            value = row[f.attname]
            if f.is_relation and NATURAL + f.name in row:
                value = row[NATURAL + f.name]
            elif f.is_relation:
                value = self.encode(f, value)
            elif isinstance(value, date):  # datetimes too
                value = value.isoformat()
            elif isinstance(f, models.JSONField):
                value = _normalise_json(value)
            out[f.name] = value
        return out


def _joined_key(model: Model, f: Field) -> Any:
    """The natural key of the object ``f`` points at, read in the row's own query; None when that
    key has more than one field (sections: the key maps name them).

    A history row may point at an object deleted since: its last history row still names it.
    """
    part = next((p for p in PARTS if p.model is f.related_model), None)
    if part is None or len(part.key) != 1 or part.model._meta.get_field(part.key[0]).is_relation:
        return None
    live = F(f"{f.name}__{part.key[0]}")
    if not hasattr(model, "history_id") or part.history is None:
        return live
    last = part.history._default_manager.filter(id=OuterRef(f.attname)).order_by(
        "-history_date", "-history_id"
    )
    return Coalesce(live, Subquery(last.values(part.key[0])[:1]))


def _joined_keys(model: Model, fields: Iterable[Field] | None = None) -> dict[str, Any]:
    fields = model._meta.concrete_fields if fields is None else fields
    joined = {NATURAL + f.name: _joined_key(model, f) for f in fields if f.is_relation}
    return {name: expression for name, expression in joined.items() if expression is not None}


def _values(queryset: QuerySet[Any], fields: Iterable[Field], *extra: str) -> QuerySet[Any, dict[str, Any]]:
    return queryset.values(*extra, *[f.attname for f in fields], **_joined_keys(queryset.model, fields))


def _history_rows(part: Part, keys: _Keys, objects: Any) -> defaultdict[Any, list[Record]]:
    """History rows of ``part`` of the objects whose ids ``objects`` lists (or selects), grouped by
    object id in the order they were made, each encoded with its m2m snapshots attached."""
    history = part.history
    fields = history_fields(history)
    queryset = history._default_manager.filter(id__in=objects).order_by("history_date", "history_id")
    rows = list(_values(queryset, fields, "id", "history_id"))
    m2m: dict[str, defaultdict[Any, list[Any]]] = {}
    for name in part.m2m:
        model = m2m_history_model(part, name)
        target = model_field(model, model_field(part.model, name).m2m_reverse_field_name())
        snapshot: defaultdict[Any, list[Any]] = defaultdict(list)
        links = model._default_manager.filter(history_id__in=[row["history_id"] for row in rows])
        for history_id, key in links.values_list("history_id", _joined_key(model, target)):
            snapshot[history_id].append(key)
        m2m[name] = snapshot
    grouped: defaultdict[Any, list[Record]] = defaultdict(list)
    for row in rows:
        encoded = keys.record(fields, row)
        for name, snapshot in m2m.items():
            encoded[name] = sorted(snapshot.get(row["history_id"], []), key=sort_token)
        grouped[row["id"]].append(encoded)
    return grouped


def _key_order(model: Model, names: Iterable[str]) -> list[str]:
    """ORM order_by terms sorting rows by their natural key, foreign keys followed to theirs;
    text in code-point order on every database, as Python sorts it."""
    terms: list[str] = []
    for name in names:
        f = model._meta.get_field(name)
        if f.is_relation:
            related = next(p for p in PARTS if p.model is f.related_model)
            terms += [f"{name}__{term}" for term in _key_order(related.model, related.key)]
        else:
            terms.append(name)
    return terms


def _collated(model: Model, path: str) -> F | Collate:
    target = model
    for name in path.split("__")[:-1]:
        target = model_field(target, name).related_model
    f = target._meta.get_field(path.split("__")[-1])
    if connection.vendor == "postgresql" and isinstance(f, (models.CharField, models.TextField)):
        return Collate(F(path), "C")
    return F(path)


def _used_usernames() -> list[str]:
    """Everyone any row or history row of the data set names, listed before the rows that name them."""
    user = get_user_model()
    named = Q(pk__in=[])
    for model in [part.model for part in PARTS] + [part.history for part in HISTORY_PARTS]:
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is user:
                named |= Q(pk__in=model._default_manager.order_by().values(f.attname))
    return sorted(user.objects.filter(named).values_list(user.USERNAME_FIELD, flat=True))


class DatasetReader:
    """The data set read part by part, in the document's order, BATCH rows at a time with their
    links and history, so memory holds one batch, never the file.

    A row names what its foreign keys point at by a join in its own query (``_joined_key``):
    a map of every key would grow with the data set. Sections, whose key has two fields, are the
    exception; they are few, and their keys are read first.
    """

    def __init__(self) -> None:
        self.keys = _Keys()
        self.deleted: dict[str, list[Record]] = {}
        self.counts: defaultdict[str, int] = defaultdict(int)

    def users(self) -> list[str]:
        return _used_usernames()

    def batches(self, part: Part) -> Iterator[list[Record]]:
        """The part's records as lists, sorted by natural key (then creation)."""
        if len(part.key) > 1 and not part.owned_by_claim:
            self.remember_keys(part)
        yield from self._streamed(part)
        if part.history:
            history = _history_rows(part, self.keys, self._deleted_ids(part))
            self.deleted[part.name] = _sorted_groups(part, [{"history": rows} for rows in history.values()])

    def remember_keys(self, part: Part) -> None:
        model, keys = part.model, self.keys
        key_fields = [model_field(model, name) for name in part.key]
        for row in _values(model._default_manager.order_by(), key_fields, "pk"):
            keys.by_model[model][row["pk"]] = natural_key(part.key, keys.record(key_fields, row))
        if part.history:
            keys.by_model[model].update(self.deleted_keys(part))

    def deleted_keys(self, part: Part) -> dict[Any, tuple[Any, ...]]:
        """Id -> natural key of the part's objects deleted since: each is named by its last history row."""
        history_keys = [part.history._meta.get_field(name) for name in part.key]
        rows = part.history._default_manager.filter(id__in=self._deleted_ids(part))
        rows = _values(rows.order_by("history_date", "history_id"), history_keys, "id")
        return {row["id"]: natural_key(part.key, self.keys.record(history_keys, row)) for row in rows}

    def matching(self, part: Part, values: Iterable[Any]) -> Iterator[Record]:
        """The part's records, without history, whose first natural-key field (the claim, for rows
        without a key) is one of ``values``: what a merge compares a batch of the file with."""
        for other in PARTS:
            if len(other.key) > 1 and not other.owned_by_claim and _points_at(part.model, other.model):
                self.remember_keys(other)
        path = _key_order(part.model, part.key or part.order)[0]
        for chunk in batched(values, BATCH):
            for records in self._streamed(part, Q(**{f"{path}__in": chunk}), history=False):
                yield from records

    @staticmethod
    def _deleted_ids(part: Part) -> QuerySet[Any, dict[str, Any]]:
        objects = part.model._default_manager.values("pk")
        return part.history._default_manager.exclude(id__in=objects).values("id")

    def _streamed(self, part: Part, only: Q | None = None, *, history: bool = True) -> Iterator[list[Record]]:
        model, keys = part.model, self.keys
        fields = record_fields(model)
        order = [_collated(model, term) for term in _key_order(model, part.key or part.order)]
        rows = _values(model._default_manager.filter(only or Q()).order_by(*order, "pk"), fields, "pk")
        # Fetched in tenths of a batch, so the database driver's buffer stays small beside it.
        for batch in batched(rows.iterator(chunk_size=BATCH // 10), BATCH):
            records = {row["pk"]: keys.record(fields, row) for row in batch}
            del batch  # the rows as read: only the records are kept while the batch is written
            pks = list(records)
            for name in part.m2m:
                for record in records.values():
                    record[name] = []
            if part.m2m:
                _attach_m2m(part, records, pks)
            if part.history and history:
                history_rows = _history_rows(part, keys, pks)
                for pk, record in records.items():
                    record["history"] = history_rows.get(pk, [])
                    self.counts[f"{part.name} history"] += len(record["history"])
            self.counts[part.name] += len(records)
            yield list(records.values())


def _points_at(model: Model, target: Model) -> bool:
    return any(f.is_relation and f.related_model is target for f in model._meta.concrete_fields)


def _sorted_groups(part: Part, groups: Iterable[Record]) -> list[Record]:
    return sorted(
        groups,
        key=lambda g: (sort_token(natural_key(part.key, g["history"][-1])), g["history"][0]["history_date"]),
    )


def _attach_m2m(part: Part, records_by_pk: dict[Any, Record], owners: list[Any]) -> None:
    for name in part.m2m:
        relation = model_field(part.model, name)
        through = relation.remote_field.through
        owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        links = through.objects.filter(**{f"{owner}_id__in": owners})
        key = _joined_key(through, through._meta.get_field(target))
        for owner_id, target_key in links.values_list(f"{owner}_id", key):
            records_by_pk[owner_id][name].append(target_key)
        for record in records_by_pk.values():
            record[name].sort(key=sort_token)


def _read_document(reader: DatasetReader) -> dict[str, Any]:
    document: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "users": reader.users()}
    for part in PARTS:
        document[part.name] = [record for batch in reader.batches(part) for record in batch]
    document["history_of_deleted"] = {part.name: reader.deleted[part.name] for part in HISTORY_PARTS}
    return document


@contextmanager
def consistent_read() -> Iterator[None]:
    """One snapshot for every query: a backup must not mix states of a database being edited."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def dataset_export() -> dict[str, Any]:
    """The whole curated data set as a JSON-ready dict (see the module docstring); held in memory,
    so for a file use dataset_write."""
    with consistent_read():
        return _read_document(DatasetReader())


def _dumps(value: Any, depth: int) -> str:
    """``value`` as json.dumps(indent=1) writes it at ``depth`` inside the document."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * depth)


def _write_list(out: TextOut, batches: Iterable[list[Any]], depth: int) -> None:
    pad, empty = "\n" + " " * (depth + 1), True
    for batch in batches:
        for record in batch:
            out.write(("[" if empty else ",") + pad + _dumps(record, depth + 1))
            empty = False
    out.write("[]" if empty else "\n" + " " * depth + "]")


def dataset_write(out: TextOut) -> defaultdict[str, int]:
    """Write the data set to the text stream ``out``, byte for byte as dataset_dumps(dataset_export())
    would, holding one batch of rows at a time; returns the counts of what was written."""
    reader = DatasetReader()
    with consistent_read():
        out.write(f'{{\n "format": {_dumps(FORMAT, 1)},\n "format_version": {FORMAT_VERSION},\n "users": ')
        _write_list(out, [reader.users()], 1)
        for part in PARTS:
            out.write(f",\n {_dumps(part.name, 1)}: ")
            _write_list(out, reader.batches(part), 1)
        out.write(',\n "history_of_deleted": {')
        for index, part in enumerate(HISTORY_PARTS):
            out.write(("\n" if index == 0 else ",\n") + f"  {_dumps(part.name, 2)}: ")
            _write_list(out, [reader.deleted[part.name]], 2)
        out.write("\n }\n}\n")
    return reader.counts


def dataset_dumps(document: dict[str, Any]) -> str:
    """The document as text; the same data always gives the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def dataset_loads(text: str | bytes, *, where: str = "the file") -> dict[str, Any]:
    """The document in ``text``, checked as check_document does (a file is read by DatasetFile)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError([f"{where} is not valid JSON: {exc}"]) from None
    check_document(document, where=where)
    return document


def check_document(document: Any, *, where: str) -> None:
    """Raise DatasetError unless ``document`` has the shape of a data set: the format and version,
    and each list (their rows are checked as they are restored)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DatasetError([f'{where} is not an ExoClaims data set (no "format": "{FORMAT}")'])
    if document.get("format_version") != FORMAT_VERSION:
        raise DatasetError(
            [
                f"{where} has format_version {document.get('format_version')!r}; "
                f"this version of ExoClaims reads {FORMAT_VERSION}"
            ]
        )
    expected = {"format", "format_version", "users", "history_of_deleted", *(p.name for p in PARTS)}
    problems = [f"{where}: missing list '{name}'" for name in sorted(expected - set(document))]
    problems += [f"{where}: unknown entry '{name}'" for name in sorted(set(document) - expected)]
    for name in [p.name for p in PARTS] + ["users"]:
        if name in document and not isinstance(document[name], list):
            problems.append(f"{where}: '{name}' must be a list")
    deleted = document.get("history_of_deleted")
    if (
        not isinstance(deleted, dict)
        or set(deleted) != {p.name for p in HISTORY_PARTS}
        or not all(isinstance(groups, list) for groups in deleted.values())
    ):
        problems.append(
            f"{where}: 'history_of_deleted' must map {', '.join(p.name for p in HISTORY_PARTS)} to lists"
        )
    if problems:
        raise DatasetError(problems)


@dataclass
class ImportReport:
    added: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept_different: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    left_with_claim: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    history_rows: int = 0
    users_created: list[str] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        for part in PARTS:
            name = part.name
            if self.added[name] or self.unchanged[name] or self.kept_different[name]:
                text = f"{name}: {self.added[name]} added, {self.unchanged[name]} already present"
                if self.kept_different[name]:
                    shown = ", ".join(self.kept_different[name][:20])
                    more = len(self.kept_different[name]) - 20
                    text += (
                        f"; {len(self.kept_different[name])} kept as the database has them although "
                        f"the file differs: {shown}{f' and {more} more' if more > 0 else ''}"
                    )
                yield text
            if self.left_with_claim[name]:
                yield (
                    f"{name}: {self.left_with_claim[name]} in the file left out: their claims are kept "
                    "as the database has them"
                )
        yield f"history rows added: {self.history_rows}"
        if self.users_created:
            yield f"inactive accounts created for users named in the history: {', '.join(self.users_created)}"
