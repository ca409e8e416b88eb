"""What a restore holds and checks, whichever part of the file it reads (claims.dataops.restore).

RestoreState keeps the problems found so far, the users, the highest id of each table before the
restore began and the natural key -> id maps of the objects the current batch names; it turns a
file's value into what the database stores, or reports where and why it cannot. The live rows
(claims.dataops.restore) and the history (claims.dataops.restore_history) build on it.
"""

from collections import ChainMap, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from itertools import batched
from typing import Any, Protocol, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Max

from claims.dataops.backup import (
    BATCH,
    HISTORY_PARTS,
    MAX_ERRORS,
    PARTS,
    DatasetError,
    DatasetReader,
    ImportReport,
    Model,
    Part,
    Record,
    _key_order,
    model_field,
    natural_key,
)
from claims.dataops.dataset_file import DatasetFile
from claims.dataops.restore_rules import RowRules
from claims.models.entities import lookup_terms_for

INVALID = object()
# Rows of the file read and restored at a time: a quarter of an export's batch, as a restored
# row is held twice (as read, and as the unsaved object checked and inserted).
IMPORT_BATCH = BATCH // 4
PART_OF = {part.model: part for part in PARTS}

# natural key -> primary key, per model; what the file names, as a tuple of its parts.
type Key = tuple[Any, ...]


class KeyMap(Protocol):
    """Per model, natural key -> primary key."""

    def __getitem__(self, model: Any, /) -> Mapping[Key, Any]: ...


def as_key(value: Any) -> Key | None:
    """A natural key as written in the file (text, or a list of text) as a tuple; None if malformed."""
    parts = value if isinstance(value, list) else [value]
    if not parts or not all(isinstance(p, str) for p in parts):
        return None
    return tuple(parts)


def key_list(part: Part, record: Record) -> list[Any]:
    return list(natural_key(part.key, record))


def _live_pks(model: Model, keys: Iterable[Key]) -> dict[Key, Any]:
    """Natural key -> primary key of the live objects of ``model`` that have one of ``keys``."""
    paths = _key_order(model, PART_OF[model].key)
    wanted = set(keys)
    found: dict[Key, Any] = {}
    for chunk in batched(sorted({key[0] for key in wanted}), BATCH):
        rows = model._default_manager.filter(**{f"{paths[0]}__in": chunk}).values_list("pk", *paths)
        for pk, *key in rows:
            if tuple(key) in wanted:
                found[tuple(key)] = pk
    return found


def named_references(
    fields: Iterable[Any], m2m: Iterable[Any], rows: Iterable[Any]
) -> defaultdict[Model, set[Key]]:
    """The natural keys ``rows`` name, per model: in the foreign keys ``fields`` and the lists ``m2m``."""
    named: defaultdict[Model, set[Key]] = defaultdict(set)
    user = get_user_model()
    for row in rows:
        if not isinstance(row, dict):
            continue
        for f in fields:
            if f.is_relation and f.related_model is not user and (key := as_key(row.get(f.name))):
                named[f.related_model].add(key)
        for relation in m2m:
            values = row.get(relation.name)
            for value in values if isinstance(values, list) else []:
                if key := as_key(value):
                    named[relation.related_model].add(key)
    return named


def reserve_ids(model: Model, count: int) -> list[int]:
    """Take ``count`` ids from ``model``'s id sequence, so no later insert can reuse them.

    History rows of deleted objects need ids no live object will ever get, as in the database
    they came from (sequences never go back).
    """
    if not count:
        return []
    table, column = model._meta.db_table, cast(str, model._meta.pk.column)  # a key always has a column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0)
            if row:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count, table])
            else:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + count]
                )
            return list(range(start + 1, start + count + 1))
    raise NotImplementedError(f"restoring history is not supported on {connection.vendor}")


class _Either:
    """Per model, the live objects a batch names, then the objects known only from their history."""

    def __init__(self, live: Mapping[Any, dict[Key, Any]], deleted: Mapping[Any, dict[Key, Any]]) -> None:
        self.live, self.deleted = live, deleted

    def __getitem__(self, model: Model) -> Mapping[Key, Any]:
        return ChainMap(self.live[model], self.deleted[model])


class RestoreState:
    def __init__(self, source: DatasetFile, *, batch: int = IMPORT_BATCH) -> None:
        self.source, self.batch = source, batch
        self.report = ImportReport()
        self.errors: list[str] = []
        self.users: dict[str, Any] = {}
        # The database's records, read per batch for a merge to compare with the file's.
        self.stored = DatasetReader()
        # The highest id of each table before the restore: rows above it were added by it.
        self.floor = {
            part.model: part.model._default_manager.aggregate(top=Max("pk"))["top"] or 0 for part in PARTS
        }
        # natural key -> primary key of the live objects the current batch names (read per batch),
        # and of the objects known only from their history: deleted in the database, or in the file.
        self.live_pk: defaultdict[Any, dict[Key, Any]] = defaultdict(dict)
        self.deleted_pk: defaultdict[Any, dict[Key, Any]] = defaultdict(dict)
        self.known_deleted: dict[Any, set[Key]] = {}
        for part in HISTORY_PARTS:
            for pk, key in self.stored.deleted_keys(part).items():
                self.deleted_pk[part.model].setdefault(key, pk)
            self.known_deleted[part.model] = set(self.deleted_pk[part.model])
        self.any_pk = _Either(self.live_pk, self.deleted_pk)
        # part name -> {index in history_of_deleted: the id given to that deleted object}
        self.deleted_ids: defaultdict[str, dict[int, Any]] = defaultdict(dict)
        self.deleted_claims: set[Key] = set()  # deleted claims given ids: their rows are added too
        self.rules = RowRules(self.fail)

    def _look_up(self, named: Mapping[Model, set[Key]]) -> None:
        """Read the primary keys of the live objects a batch names (and only those)."""
        self.live_pk.clear()
        for model, keys in named.items():
            self.live_pk[model] = _live_pks(model, keys)

    def _added(self, model: Model, key: Key | None) -> bool:
        """Whether the live object with this key was added by this restore."""
        pk = self.live_pk[model].get(key) if key is not None else None
        return pk is not None and pk > self.floor[model]

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def _stop_if_errors(self) -> None:
        if self.errors:
            shown = self.errors[:MAX_ERRORS]
            if len(self.errors) > MAX_ERRORS:
                shown.append(f"… and {len(self.errors) - MAX_ERRORS} more problems")
            raise DatasetError(shown)

    def _restore_users(self) -> None:
        user_model = get_user_model()
        name_field = user_model.USERNAME_FIELD
        names = self.source.users
        for index, name in enumerate(names):
            try:
                model_field(user_model, name_field).clean(name, None)
            except ValidationError as exc:
                self.fail(f"users[{index}]", f"{name!r} is not a valid username: {' '.join(exc.messages)}")
        self._stop_if_errors()
        self.users = dict(
            user_model.objects.filter(**{f"{name_field}__in": names}).values_list(name_field, "pk")
        )
        created = []
        for name in sorted(set(names) - set(self.users)):
            # Only the name is known: the account exists so history keeps its author, but it
            # cannot sign in until an administrator gives it a password.
            user = user_model(**{name_field: name}, is_active=False)
            user.set_unusable_password()
            created.append(user)
        user_model.objects.bulk_create(created)
        self.users.update({getattr(u, name_field): u.pk for u in created})
        self.report.users_created = [getattr(u, name_field) for u in created]

    def _value(self, field: Any, value: Any, where: str, keys: KeyMap) -> Any:
        """The file's value as the database stores it; reports and returns INVALID when it is not."""
        if value is None:
            if field.null:
                return None
            self.fail(where, f"{field.name} must not be null")
            return INVALID
        if field.is_relation:
            return self._related_pk(field, value, where, keys)
        if isinstance(field, models.DateField):  # a DateTimeField too
            return self._date_value(field, value, where)
        if isinstance(field, models.JSONField):
            return value
        expected = int if isinstance(field, models.IntegerField) else str
        if not isinstance(value, expected) or isinstance(value, bool):
            self.fail(where, f"{field.name} must be {'a whole number' if expected is int else 'text'}")
            return INVALID
        return value

    def _related_pk(self, field: Any, value: Any, where: str, keys: KeyMap) -> Any:
        """Users are named by username, other objects by natural key (``keys``: key -> pk per model)."""
        if field.related_model is get_user_model():
            if not isinstance(value, str) or value not in self.users:
                self.fail(where, f"{field.name}: {value!r} is not one of the users listed in the file")
                return INVALID
            return self.users[value]
        key = as_key(value)
        pk = keys[field.related_model].get(key) if key else None
        if pk is None:
            self.fail(where, f"{field.name}: {value!r} is neither in the file nor in the database")
            return INVALID
        return pk

    def _date_value(self, field: models.DateField, value: Any, where: str) -> Any:
        if not isinstance(field, models.DateTimeField):
            try:
                return date.fromisoformat(value)
            except (TypeError, ValueError):
                self.fail(where, f"{field.name}: {value!r} is not a date (YYYY-MM-DD)")
                return INVALID
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail(where, f"{field.name}: {value!r} is not a date and time with a time zone")
            return INVALID
        return parsed

    def _row(self, row: Any, expected: set[str], where: str) -> Record | None:
        """The row if it has exactly the expected fields; None (and the problems reported) if not."""
        if not isinstance(row, dict):
            self.fail(where, "must be an object")
            return None
        for name in sorted(expected - set(row)):
            self.fail(where, f"missing field '{name}'")
        for name in sorted(set(row) - expected):
            self.fail(where, f"unknown field '{name}'")
        if set(row) != expected:
            return None
        return row

    def _validate(
        self, instance: models.Model, where: str, relations: list[str], *, constraints: bool = True
    ) -> None:
        try:
            instance.clean_fields(exclude=relations)
            if constraints:
                instance.validate_unique()
                instance.validate_constraints()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                prefix = "" if name == "__all__" else f"{name}: "
                self.fail(where, prefix + " ".join(messages))

    @staticmethod
    def _label(part: Part, index: int, record: Record) -> str:
        if part.key and all(name in record for name in part.key):
            label = "/".join(str(p) for p in natural_key(part.key, record))
        elif "claim" in record:
            label = f"claim {record['claim']}"
        else:
            label = ""
        return f"{part.name}[{index}]" + (f" ({label})" if label else "")

    def _set_lookup_terms(self, instance: Any, where: str) -> None:
        """Entities (and their history rows) store their names for lookup; recomputed, not trusted."""
        if not hasattr(instance, "aliases"):
            return
        aliases, misprints = instance.aliases, instance.misprints
        for name, values in (("aliases", aliases), ("misprints", misprints)):
            if not isinstance(values, list) or not all(isinstance(a, str) for a in values):
                self.fail(where, f"{name} must be a list of text")
                return
        instance.lookup_terms = lookup_terms_for(instance.name, instance.slug, aliases, misprints)
