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
"""

import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

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


@dataclass(frozen=True)
class Part:
    """One list in the document: a model, its natural key, and how it travels in a merge."""

    name: str
    model: type
    key: tuple  # fields naming an object; a foreign key contributes its target's natural key
    order: tuple = ()  # sort fields for parts without a natural key
    m2m: tuple = ()
    owned_by_claim: bool = False  # added only together with its claim

    @property
    def history(self):
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

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def record_fields(model, skipped=DERIVED_FIELDS):
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skipped]


def history_fields(history_model):
    return [f for f in history_model._meta.concrete_fields if f.name not in HISTORY_SKIPPED]


def m2m_history_model(part, name):
    return part.model._meta.apps.get_model(part.model._meta.app_label, f"{part.history.__name__}_{name}")


def natural_key(names, record):
    key = []
    for name in names:
        value = record[name]
        key.extend(value if isinstance(value, list) else [value])
    return tuple(key)


def sort_token(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _normalise_json(value):
    """JSON columns come back with database-dependent key order (PostgreSQL's jsonb sorts them)."""
    return json.loads(json.dumps(value, sort_keys=True))


def _unwrap(key):
    return None if key is None else key[0] if len(key) == 1 else list(key)


class _Keys:
    """Primary key -> natural key, for live objects and for objects known only by their history."""

    def __init__(self):
        user = get_user_model()
        self.usernames = dict(user.objects.values_list("pk", user.USERNAME_FIELD))
        self.by_model = defaultdict(dict)
        self.used_users = set()

    def encode(self, field, value):
        if value is None:
            return None
        if field.related_model is get_user_model():
            username = self.usernames.get(value)  # a deleted user leaves a dangling id: None
            if username is not None:
                self.used_users.add(username)
            return username
        return _unwrap(self.by_model[field.related_model].get(value))

    def record(self, fields, row):
        out = {}
        for f in fields:
            value = row[f.attname]
            if f.is_relation:
                value = self.encode(f, value)
            elif isinstance(value, date):  # datetimes too
                value = value.isoformat()
            elif isinstance(f, models.JSONField):
                value = _normalise_json(value)
            out[f.name] = value
        return out


@dataclass
class _Snapshot:
    document: dict
    keys: _Keys
    live: dict  # model -> set of live primary keys

    def is_empty(self):
        return not any(self.document[p.name] for p in PARTS) and not any(
            self.document["history_of_deleted"].values()
        )


def _history_snapshot(part, keys):
    """History rows of ``part`` grouped by object id, each row encoded, m2m snapshots attached."""
    history = part.history
    fields = history_fields(history)
    rows = list(
        history._default_manager.order_by("history_date", "history_id").values(
            "id", "history_id", *[f.attname for f in fields]
        )
    )
    m2m = {}
    for name in part.m2m:
        target = part.model._meta.get_field(name).related_model
        column = part.model._meta.get_field(name).m2m_reverse_field_name()
        snapshot = defaultdict(list)
        for history_id, target_id in m2m_history_model(part, name)._default_manager.values_list(
            "history_id", f"{column}_id"
        ):
            snapshot[history_id].append(_unwrap(keys.by_model[target].get(target_id)))
        m2m[name] = snapshot
    grouped = defaultdict(list)
    for row in rows:
        encoded = keys.record(fields, row)
        for name, snapshot in m2m.items():
            encoded[name] = sorted(snapshot.get(row["history_id"], []), key=sort_token)
        grouped[row["id"]].append(encoded)
    return grouped


def collect_dataset():
    """The data set as a document, and the key maps the importer needs to merge into it."""
    keys, document, live = _Keys(), {"format": FORMAT, "format_version": FORMAT_VERSION}, {}
    document["users"] = []
    deleted = {}
    for part in PARTS:
        model = part.model
        fields = record_fields(model)
        rows = list(model._default_manager.order_by("pk").values("pk", *[f.attname for f in fields]))
        live[model] = {row["pk"] for row in rows}
        key_fields = [f for f in fields if f.name in part.key]
        for row in rows:
            keys.by_model[model][row["pk"]] = natural_key(part.key, keys.record(key_fields, row))
        history = _history_snapshot(part, keys) if part.history else {}
        for object_id, history_rows in history.items():
            if object_id not in live[model]:
                keys.by_model[model][object_id] = natural_key(part.key, history_rows[-1])
        records = []
        for row in rows:
            record = keys.record(fields, row)
            for name in part.m2m:
                record[name] = []
            if part.history:
                record["history"] = history.get(row["pk"], [])
            records.append((row["pk"], record))
        if part.m2m:
            _attach_m2m(part, dict(records), keys)
        order = part.key or part.order
        records.sort(key=lambda item: (sort_token(natural_key(order, item[1])), item[0]))
        document[part.name] = [record for _, record in records]
        if part.history:
            groups = [
                {"history": rows_} for object_id, rows_ in history.items() if object_id not in live[model]
            ]
            groups.sort(
                key=lambda g: (
                    sort_token(natural_key(part.key, g["history"][-1])),
                    g["history"][0]["history_date"],
                )
            )
            deleted[part.name] = groups
    document["history_of_deleted"] = deleted
    document["users"] = sorted(keys.used_users)
    return _Snapshot(document, keys, live)


def _attach_m2m(part, records_by_pk, keys):
    for name in part.m2m:
        relation = part.model._meta.get_field(name)
        through = relation.remote_field.through
        owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        for owner_id, target_id in through.objects.values_list(f"{owner}_id", f"{target}_id"):
            records_by_pk[owner_id][name].append(_unwrap(keys.by_model[relation.related_model][target_id]))
        for record in records_by_pk.values():
            record[name].sort(key=sort_token)


@contextmanager
def consistent_read():
    """One snapshot for every query: a backup must not mix states of a database being edited."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def dataset_export():
    """The whole curated data set as a JSON-ready dict (see the module docstring)."""
    with consistent_read():
        return collect_dataset().document


def dataset_dumps(document):
    """The document as text; the same data always gives the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def dataset_loads(text, *, where="the file"):
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError([f"{where} is not valid JSON: {exc}"]) from None
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
    if not isinstance(deleted, dict) or set(deleted) != {p.name for p in HISTORY_PARTS}:
        problems.append(
            f"{where}: 'history_of_deleted' must map {', '.join(p.name for p in HISTORY_PARTS)} to lists"
        )
    if problems:
        raise DatasetError(problems)
    return document


@dataclass
class ImportReport:
    added: dict = field(default_factory=lambda: defaultdict(int))
    unchanged: dict = field(default_factory=lambda: defaultdict(int))
    kept_different: dict = field(default_factory=lambda: defaultdict(list))
    left_with_claim: dict = field(default_factory=lambda: defaultdict(int))
    history_rows: int = 0
    users_created: list = field(default_factory=list)

    def lines(self):
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
