"""Writing a data-set file (see claims.dataops.backup) into the database, a batch of rows at a time.

Runs inside the caller's transaction. Every problem is collected with where it is
("claims[12] (CLM-0013): quote_end: …") and raised as one DatasetError before anything is
committed. Objects are inserted without signals, so no new history rows appear: the file's
history rows are restored instead, with their dates, users and reasons.

Memory holds one batch of the file's rows (``IMPORT_BATCH``), never the file nor the database:
the objects a batch names are looked up by natural key for that batch, and in a merge the
database's own rows are read for the keys of that batch. The file is read three times
(claims.dataops.dataset_file): once to check it, once for the live objects, part by part, then
for the history, after the deleted objects (listed last) have been given ids. Whether a row was
added by this restore is told by its id: above the highest the table had before it began.
History ids follow the order of the changes within each object (and within a batch).
"""

from collections import ChainMap, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from itertools import batched
from typing import Any, BinaryIO, Protocol, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
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
    history_fields,
    m2m_history_model,
    model_field,
    natural_key,
    record_fields,
    sort_token,
)
from claims.dataops.dataset_file import DatasetFile
from claims.dataops.restore_rules import RowRules
from claims.models import CellLine, Citation, Claim, ClaimCellLine
from claims.models.claim import search_document_for
from claims.models.entities import Entity, lookup_terms_for

_INVALID = object()
# Rows of the file read and restored at a time: a quarter of an export's batch, as a restored
# row is held twice (as read, and as the unsaved object checked and inserted).
IMPORT_BATCH = BATCH // 4
PART_OF = {part.model: part for part in PARTS}

# natural key -> primary key, per model; what the file names, as a tuple of its parts.
type Key = tuple[Any, ...]


class KeyMap(Protocol):
    """Per model, natural key -> primary key."""

    def __getitem__(self, model: Any, /) -> Mapping[Key, Any]: ...


# (index, record, key, unsaved instance, where) of each object a part adds.
type New = list[tuple[int, Record, Key | None, Any, str]]


def _as_key(value: Any) -> Key | None:
    """A natural key as written in the file (text, or a list of text) as a tuple; None if malformed."""
    parts = value if isinstance(value, list) else [value]
    if not parts or not all(isinstance(p, str) for p in parts):
        return None
    return tuple(parts)


def _without_history(record: Record) -> Record:
    return {name: value for name, value in record.items() if name != "history"}


def _by_rows(jobs: list[tuple[Any, Any, str]]) -> Iterator[list[tuple[Any, Any, str]]]:
    """The jobs (object id, history rows, where) in runs of about IMPORT_BATCH history rows: an
    object may have many, and each becomes an unsaved object while its run is stored."""
    run: list[tuple[Any, Any, str]] = []
    rows = 0
    for job in jobs:
        run.append(job)
        rows += len(job[1]) if isinstance(job[1], list) else 1
        if rows >= IMPORT_BATCH:
            yield run
            run, rows = [], 0
    if run:
        yield run


def _grouped(model: Model, pairs: Iterable[tuple[Any, Any]]) -> defaultdict[Any, list[Any]]:
    """Owner id -> the objects of ``model`` it links to, each object read once."""
    pairs = list(pairs)
    objects = model._default_manager.in_bulk({target for _, target in pairs})
    grouped: defaultdict[Any, list[Any]] = defaultdict(list)
    for owner, target in pairs:
        grouped[owner].append(objects[target])
    return grouped


def _key_list(part: Part, record: Record) -> list[Any]:
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


def _references(
    fields: Iterable[Any], m2m: Iterable[Any], rows: Iterable[Any]
) -> defaultdict[Model, set[Key]]:
    """The natural keys ``rows`` name, per model: in the foreign keys ``fields`` and the lists ``m2m``."""
    named: defaultdict[Model, set[Key]] = defaultdict(set)
    user = get_user_model()
    for row in rows:
        if not isinstance(row, dict):
            continue
        for f in fields:
            if f.is_relation and f.related_model is not user and (key := _as_key(row.get(f.name))):
                named[f.related_model].add(key)
        for relation in m2m:
            values = row.get(relation.name)
            for value in values if isinstance(values, list) else []:
                if key := _as_key(value):
                    named[relation.related_model].add(key)
    return named


def _reserve_ids(model: Model, count: int) -> list[int]:
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


def _insert(model: Model, instances: list[Any]) -> None:
    """bulk_create, then put back the timestamps that auto_now/auto_now_add overwrote."""
    stamped = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    kept = [[getattr(instance, f.attname) for f in stamped] for instance in instances]
    model._default_manager.bulk_create(instances, batch_size=500)
    if stamped and instances:
        for instance, values in zip(instances, kept, strict=True):
            for f, value in zip(stamped, values, strict=True):
                setattr(instance, f.attname, value)
        model._default_manager.bulk_update(instances, [f.name for f in stamped], batch_size=500)


class Restore:
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

    def run(self) -> ImportReport:
        self._restore_users()
        for part in PARTS:
            self._restore_live(part)
            self._stop_if_errors()
        for part in HISTORY_PARTS:
            self._reserve_deleted(part)
            self._stop_if_errors()
        for part in HISTORY_PARTS:
            self._restore_history(part)
            self._stop_if_errors()
        self._build_search_documents()
        return self.report

    def _build_search_documents(self) -> None:
        """Search documents of the added claims, a batch at a time. Entities are read once per batch
        and shared by its claims: a prefetch would make one object per link, and reference cycles
        that outlive the batch."""
        last = self.floor[Claim]
        while ids := list(
            Claim.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[: self.batch]
        ):
            linked: dict[str, defaultdict[Any, list[Any]]] = {}
            for name in ("drugs", "cargo", "targets"):
                relation = model_field(Claim, name)
                through = relation.remote_field.through
                owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
                links = through.objects.filter(**{f"{owner}_id__in": ids})
                linked[name] = _grouped(
                    relation.related_model, links.values_list(f"{owner}_id", f"{target}_id")
                )
            links = ClaimCellLine.objects.filter(claim_id__in=ids).values_list("claim_id", "cell_line_id")
            linked["cell_lines"] = _grouped(CellLine, links)
            claims = list(
                Claim.objects.filter(pk__in=ids)
                .select_related("mechanism")
                .only("pk", "statement", "quote", "exosome_source", "mechanism__name")
            )
            for claim in claims:
                claim.search_document = search_document_for(
                    claim, **{name: groups.get(claim.pk, []) for name, groups in linked.items()}
                )
            Claim.objects.bulk_update(claims, ["search_document"], batch_size=500)
            last = ids[-1]

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
        """The file's value as the database stores it; reports and returns _INVALID when it is not."""
        if value is None:
            if field.null:
                return None
            self.fail(where, f"{field.name} must not be null")
            return _INVALID
        if field.is_relation:
            return self._related_pk(field, value, where, keys)
        if isinstance(field, models.DateField):  # a DateTimeField too
            return self._date_value(field, value, where)
        if isinstance(field, models.JSONField):
            return value
        expected = int if isinstance(field, models.IntegerField) else str
        if not isinstance(value, expected) or isinstance(value, bool):
            self.fail(where, f"{field.name} must be {'a whole number' if expected is int else 'text'}")
            return _INVALID
        return value

    def _related_pk(self, field: Any, value: Any, where: str, keys: KeyMap) -> Any:
        """Users are named by username, other objects by natural key (``keys``: key -> pk per model)."""
        if field.related_model is get_user_model():
            if not isinstance(value, str) or value not in self.users:
                self.fail(where, f"{field.name}: {value!r} is not one of the users listed in the file")
                return _INVALID
            return self.users[value]
        key = _as_key(value)
        pk = keys[field.related_model].get(key) if key else None
        if pk is None:
            self.fail(where, f"{field.name}: {value!r} is neither in the file nor in the database")
            return _INVALID
        return pk

    def _date_value(self, field: models.DateField, value: Any, where: str) -> Any:
        if not isinstance(field, models.DateTimeField):
            try:
                return date.fromisoformat(value)
            except (TypeError, ValueError):
                self.fail(where, f"{field.name}: {value!r} is not a date (YYYY-MM-DD)")
                return _INVALID
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail(where, f"{field.name}: {value!r} is not a date and time with a time zone")
            return _INVALID
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

    def _restore_live(self, part: Part) -> None:
        """Insert the part's objects that the database lacks, batch by batch, then their links."""
        fields = record_fields(part.model)
        self_refs = [f for f in fields if f.is_relation and f.related_model is part.model]
        relations = [f.name for f in fields if f.is_relation]
        m2m = [model_field(part.model, name) for name in part.m2m]
        # (id, {self-reference: the file's value}, where): linked once the whole part is in.
        pending: list[tuple[Any, dict[str, Any], str]] = []
        index = 0
        for records in self.source.batches(part.name, self.batch):
            named = _references(fields, m2m, records)
            for record in records:
                if isinstance(record, dict) and part.key and all(name in record for name in part.key):
                    if key := _as_key(_key_list(part, record)):
                        named[part.model].add(key)
            self._look_up(named)
            new = self._new_objects(part, records, index, fields, self_refs, relations)
            index += len(records)
            if self.errors:  # the rest of the part is still checked, but nothing more is written
                continue
            self._insert_new(part, new, relations)
            self._record_added(part, new, self_refs, pending)
        self._stop_if_errors()
        if self_refs:
            self._link_self_references(part.model, self_refs, pending)

    def _new_objects(
        self,
        part: Part,
        records: list[Any],
        first_index: int,
        fields: list[models.Field],
        self_refs: list[models.Field],
        relations: list[str],
    ) -> New:
        """(index, record, key, unsaved instance, where) for each record to add; the rest are counted."""
        expected = {f.name for f in fields} | set(part.m2m) | ({"history"} if part.history else set())
        stored = self._stored(part, records)
        stored_rows = (
            {sort_token(_without_history(r)) for r in stored.values()} if part.owned_by_claim else set()
        )
        seen: set[Key] = set()
        new: New = []
        for index, record in enumerate(records, start=first_index):
            where = self._label(part, index, record) if isinstance(record, dict) else f"{part.name}[{index}]"
            if self._row(record, expected, where) is None:
                continue
            if part.owned_by_claim and not self._claim_known(record["claim"], where):
                continue
            if part.owned_by_claim and not self._added(Claim, _as_key(record["claim"])):
                # Rows of a claim this restore did not add stay as the database has them.
                if sort_token(_without_history(record)) in stored_rows:
                    self.report.unchanged[part.name] += 1
                else:
                    self.report.left_with_claim[part.name] += 1
                continue
            key = natural_key(part.key, record) if part.key else None
            if key is not None and not self._is_new_key(part, key, record, where, seen, stored):
                continue
            instance = self._unsaved_instance(part.model, fields, self_refs, relations, record, where)
            if instance is not None:
                new.append((index, record, key, instance, where))
        return new

    def _stored(self, part: Part, records: list[Any]) -> dict[Any, Record]:
        """The database's records that were there before the restore and that the batch may match:
        by natural key, or (rows without one) every row of the claims the batch names."""
        model = part.model
        if part.owned_by_claim:
            claims = self.live_pk[Claim]
            values = sorted({key[0] for key, pk in claims.items() if pk <= self.floor[Claim]})
        else:
            values = sorted({key[0] for key, pk in self.live_pk[model].items() if pk <= self.floor[model]})
        if not values:
            return {}
        if not part.key:
            return {index: record for index, record in enumerate(self.stored.matching(part, values))}
        return {natural_key(part.key, record): record for record in self.stored.matching(part, values)}

    def _claim_known(self, value: Any, where: str) -> bool:
        """Whether the claim a row belongs to is in the file or the database; reported if not."""
        if _as_key(value) in self.live_pk[Claim]:
            return True
        self.fail(where, f"claim: {value!r} is neither in the file nor in the database")
        return False

    def _is_new_key(
        self, part: Part, key: Key, record: Record, where: str, seen: set[Key], stored: dict[Any, Record]
    ) -> bool:
        """Whether a record with this natural key is to be added; reports or counts it if not."""
        if not all(isinstance(p, str) for p in key):
            self.fail(where, f"the natural key ({', '.join(part.key)}) must be text")
            return False
        if key in seen or self._added(part.model, key):
            self.fail(where, "appears twice in the file")
            return False
        seen.add(key)
        if key not in self.live_pk[part.model]:
            return True
        if key in stored and _without_history(stored[key]) == _without_history(record):
            self.report.unchanged[part.name] += 1
        else:
            self.report.kept_different[part.name].append("/".join(key))
        return False

    def _unsaved_instance(
        self,
        model: Model,
        fields: list[models.Field],
        self_refs: list[models.Field],
        relations: list[str],
        record: Record,
        where: str,
    ) -> models.Model | None:
        """The record as a checked, unsaved object (self-references set later); None if invalid."""
        values = {}
        for f in fields:
            if f not in self_refs:
                values[f.attname] = self._value(f, record[f.name], where, self.live_pk)
        if _INVALID in values.values():
            return None
        instance = model(**values)
        self._set_lookup_terms(instance, where)
        known = len(self.errors)
        self._validate(instance, where, relations, constraints=False)
        if len(self.errors) == known:  # the services' rules, once the columns hold what they can
            if isinstance(instance, Claim):
                self.rules.claim(instance, record, where)
            elif isinstance(instance, Entity):
                self.rules.entity(instance, where)
            elif isinstance(instance, Citation):
                self.rules.citation(instance, where)
        return instance

    def _insert_new(self, part: Part, new: New, relations: list[str]) -> None:
        try:
            with transaction.atomic():
                _insert(part.model, [instance for *_, instance, _ in new])
        except IntegrityError as exc:
            # Checking every constraint of every object up front costs seconds; the database
            # checks them anyway, so only when it refuses are they checked one by one to say where.
            for *_, instance, where in new:
                self._validate(instance, where, relations)
            self.errors = self.errors or [f"{part.name}: cannot be stored: {exc}"]
            self._stop_if_errors()

    def _record_added(
        self,
        part: Part,
        new: New,
        self_refs: list[models.Field],
        pending: list[tuple[Any, dict[str, Any], str]],
    ) -> None:
        """Link the inserted objects and note their self-references (their history comes later)."""
        for _, record, _, instance, where in new:
            values = {f.name: record[f.name] for f in self_refs if record[f.name] is not None or not f.null}
            if values:
                pending.append((instance.pk, values, where))
        if part.m2m:
            self._link_m2m(part, new)
        self.report.added[part.name] += len(new)

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

    def _link_self_references(
        self, model: Model, self_refs: list[models.Field], pending: list[tuple[Any, dict[str, Any], str]]
    ) -> None:
        for chunk in batched(pending, self.batch):
            self._look_up(_references(self_refs, [], [values for _, values, _ in chunk]))
            changed = []
            for pk, values, where in chunk:
                instance = model(pk=pk)
                for f in self_refs:
                    if f.name not in values:
                        continue
                    value = self._value(f, values[f.name], where, self.live_pk)
                    if value is not _INVALID and value is not None and value == pk:
                        self.fail(where, f"{f.name}: an object cannot be its own {f.name}")
                    elif value is not _INVALID:
                        setattr(instance, f.attname, value)
                changed.append(instance)
            self._stop_if_errors()
            model._default_manager.bulk_update(changed, [f.name for f in self_refs], batch_size=500)

    def _link_m2m(self, part: Part, new: New) -> None:
        for name in part.m2m:
            relation = model_field(part.model, name)
            through = relation.remote_field.through
            owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
            rows = []
            for _, record, _, instance, where in new:
                if not isinstance(record[name], list):
                    self.fail(where, f"{name} must be a list")
                    continue
                for value in record[name]:
                    pk = self._value(relation, value, where, self.live_pk)
                    if pk is not _INVALID:
                        rows.append(through(**{f"{owner}_id": instance.pk, f"{target}_id": pk}))
            self._stop_if_errors()
            through.objects.bulk_create(rows, batch_size=500)

    def _reserve_deleted(self, part: Part) -> None:
        """Give each deleted object in the file that the database does not know an id of its own."""
        model = part.model
        chosen: list[tuple[int, Key]] = []
        name = f"history_of_deleted.{part.name}"
        index = 0
        for groups in self.source.batches(name, self.batch):
            last_rows = [self._last_row(part, group, f"{name}[{i}]") for i, group in enumerate(groups, index)]
            named = _references([model_field(model, "claim")] if part.owned_by_claim else [], [], last_rows)
            if not part.owned_by_claim:
                named[model] = {key for row in last_rows if row and (key := _as_key(_key_list(part, row)))}
            self._look_up(named)
            for row in last_rows:
                index += 1
                if row is None:
                    continue
                key = _as_key(_key_list(part, row))
                if key is None:
                    self.fail(f"{name}[{index - 1}]", f"the natural key ({', '.join(part.key)}) must be text")
                    continue
                if part.owned_by_claim:
                    claim = _as_key(row["claim"])
                    wanted = self._added(Claim, claim) or claim in self.deleted_claims
                    if not wanted and claim not in self.any_pk[Claim]:
                        self.fail(
                            f"{name}[{index - 1}]",
                            f"claim: {row['claim']!r} is neither in the file nor in the database",
                        )
                        continue
                else:
                    pk = self.live_pk[model].get(key)
                    wanted = key not in self.known_deleted[model] and (pk is None or pk > self.floor[model])
                if wanted:
                    chosen.append((index - 1, key))
        for (index, key), object_id in zip(chosen, _reserve_ids(model, len(chosen)), strict=True):
            self.deleted_pk[model].setdefault(key, object_id)
            self.deleted_ids[part.name][index] = object_id
            if model is Claim:
                self.deleted_claims.add(key)

    def _last_row(self, part: Part, group: Any, where: str) -> Record | None:
        """The last history row of a deleted object's group, which names it; None (reported) if none."""
        rows = group.get("history") if isinstance(group, dict) and set(group) == {"history"} else None
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self.fail(where, 'must be {"history": [rows…]} with at least one row')
            return None
        if not all(name in rows[-1] for name in part.key):
            self.fail(where, f"the last history row must name the object ({', '.join(part.key)})")
            return None
        return rows[-1]

    def _restore_history(self, part: Part) -> None:
        """The history of the objects this restore added, then of the deleted objects it gave ids."""
        index = 0
        for records in self.source.batches(part.name, self.batch):
            keys = [_as_key(_key_list(part, record)) for record in records]
            self._look_up({part.model: {key for key in keys if key is not None}})
            added = self.live_pk[part.model]
            jobs = [
                (added[key], record["history"], self._label(part, i, record))
                for i, (key, record) in enumerate(zip(keys, records, strict=True), index)
                if key is not None and self._added(part.model, key)
            ]
            index += len(records)
            for chunk in _by_rows(jobs):
                self._restore_history_rows(part, chunk)
        name, index = f"history_of_deleted.{part.name}", 0
        ids = self.deleted_ids[part.name]
        for groups in self.source.batches(name, self.batch):
            jobs = [
                (ids[i], group["history"], f"{name}[{i}]")
                for i, group in enumerate(groups, index)
                if i in ids
            ]
            index += len(groups)
            for chunk in _by_rows(jobs):
                self._restore_history_rows(part, chunk)

    def _restore_history_rows(self, part: Part, jobs: list[tuple[Any, Any, str]]) -> None:
        history = part.history
        fields = history_fields(history)
        relations = [f.name for f in fields if f.is_relation]
        expected = {f.name for f in fields} | set(part.m2m)
        m2m = [model_field(part.model, name) for name in part.m2m]
        self._look_up(
            _references(fields, m2m, [row for _, rows, _ in jobs if isinstance(rows, list) for row in rows])
        )
        rows = []
        for object_id, history_rows, where in jobs:
            if not isinstance(history_rows, list):
                self.fail(where, "history must be a list")
                continue
            for index, row in enumerate(history_rows):
                row_where = f"{where} history[{index}]"
                if self._row(row, expected, row_where) is None:
                    continue
                values = {f.attname: self._value(f, row[f.name], row_where, self.any_pk) for f in fields}
                if _INVALID in values.values():
                    continue
                instance = history(id=object_id, **values)
                if issubclass(part.model, Entity):
                    self._set_lookup_terms(instance, row_where)
                # Blank reasons are stored as NULL, which field validation would call "blank".
                self._validate(instance, row_where, [*relations, "history_change_reason"], constraints=False)
                if part.model is Claim:
                    self.rules.claim_history(instance, row_where)
                rows.append((instance, row, row_where))
        self._stop_if_errors()
        # Oldest first, so history ids keep the order the changes were made in.
        rows.sort(key=lambda item: item[0].history_date)
        history._default_manager.bulk_create([instance for instance, *_ in rows], batch_size=500)
        self.report.history_rows += len(rows)
        for name in part.m2m:
            self._restore_m2m_history(part, name, rows)

    def _restore_m2m_history(self, part: Part, name: str, rows: list[tuple[Any, Record, str]]) -> None:
        relation = model_field(part.model, name)
        through = relation.remote_field.through
        owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        links = through.objects.filter(**{f"{owner}_id__in": {instance.id for instance, *_ in rows}})
        live_links = {(o, t): pk for o, t, pk in links.values_list(f"{owner}_id", f"{target}_id", "pk")}
        pairs = []
        for instance, row, where in rows:
            if not isinstance(row[name], list):
                self.fail(where, f"{name} must be a list")
                continue
            for value in row[name]:
                target_id = None if value is None else self._value(relation, value, where, self.any_pk)
                if target_id is not _INVALID:
                    pairs.append((instance, target_id))
        self._stop_if_errors()
        missing = sorted({(i.id, t) for i, t in pairs if (i.id, t) not in live_links}, key=str)
        live_links.update(zip(missing, _reserve_ids(through, len(missing)), strict=True))
        model = m2m_history_model(part, name)
        model._default_manager.bulk_create(
            [
                model(
                    **{
                        "id": live_links[(i.id, t)],
                        f"{owner}_id": i.id,
                        f"{target}_id": t,
                        "history_id": i.history_id,
                    }
                )
                for i, t in pairs
            ],
            batch_size=500,
        )


class _Either:
    """Per model, the live objects a batch names, then the objects known only from their history."""

    def __init__(self, live: Mapping[Any, dict[Key, Any]], deleted: Mapping[Any, dict[Key, Any]]) -> None:
        self.live, self.deleted = live, deleted

    def __getitem__(self, model: Model) -> Mapping[Key, Any]:
        return ChainMap(self.live[model], self.deleted[model])


def _held(merge: bool) -> None:
    """Refuse a database that holds data unless merging into it."""
    if merge:
        return
    counts = {part.name: part.model._default_manager.count() for part in PARTS}
    history = any(part.history._default_manager.exists() for part in HISTORY_PARTS)
    if any(counts.values()) or history:
        held = ", ".join(f"{counts[p.name]} {p.name}" for p in PARTS[:8] if counts[p.name])
        raise DatasetError(
            [
                f"the database already holds data ({held or 'history rows'}); restore "
                "into an empty database, or merge by natural key with --merge"
            ]
        )


def dataset_import(*, file: BinaryIO, where: str = "the file", merge: bool = False) -> ImportReport:
    """Restore the data-set file ``file`` (open in binary), read in batches; raises DatasetError and
    writes nothing on any problem."""
    source = DatasetFile(file, where=where)
    source.check()
    with transaction.atomic():
        _held(merge)
        return Restore(source).run()
