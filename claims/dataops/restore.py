"""Writing a data-set document (see claims.dataops.backup) into the database.

Runs inside the caller's transaction. Every problem is collected with where it is
("claims[12] (CLM-0013): quote_end: …") and raised as one DatasetError before anything is
committed. Objects are inserted without signals, so no new history rows appear: the file's
history rows are restored instead, with their dates, users and reasons.
"""

from collections import defaultdict
from datetime import date, datetime
from itertools import batched
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from claims.dataops.backup import (
    BATCH,
    HISTORY_PARTS,
    MAX_ERRORS,
    PARTS,
    DatasetError,
    ImportReport,
    Model,
    Part,
    Record,
    _Snapshot,
    collect_dataset,
    history_fields,
    m2m_history_model,
    model_field,
    natural_key,
    record_fields,
    sort_token,
)
from claims.dataops.restore_rules import RowRules
from claims.models import Citation, Claim
from claims.models.entities import Entity, lookup_terms_for

_INVALID = object()

# natural key -> primary key, per model; what the file names, as a tuple of its parts.
type Key = tuple[Any, ...]
type KeyMap = defaultdict[Any, dict[Key, Any]]
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
    def __init__(self, document: dict[str, Any], current: _Snapshot) -> None:
        self.document, self.current = document, current
        self.report = ImportReport()
        self.errors: list[str] = []
        self.users: dict[str, Any] = {}
        # natural key -> primary key: live objects only (for live rows), or also objects known
        # from their history (for history rows, which may name deleted objects).
        self.live_pk: KeyMap = defaultdict(dict)
        self.any_pk: KeyMap = defaultdict(dict)
        for model, mapping in current.keys.by_model.items():
            for pk, key in mapping.items():
                if pk in current.live[model]:
                    self.live_pk[model][key] = pk
                    self.any_pk[model][key] = pk
            for pk, key in mapping.items():
                self.any_pk[model].setdefault(key, pk)
        self.added_claims: set[Key | None] = set()
        # part name -> [(object id, rows, where)]
        self.history_jobs: defaultdict[str, list[tuple[Any, Any, str]]] = defaultdict(list)
        self.added_claim_ids: list[Any] = []
        self.rules = RowRules(self.fail)

    def run(self) -> ImportReport:
        self._restore_users()
        for part in PARTS:
            self._restore_live(part)
            self._stop_if_errors()
        self._reserve_deleted()
        self._stop_if_errors()
        for part in HISTORY_PARTS:
            self._restore_history(part)
            self._stop_if_errors()
        for ids in batched(self.added_claim_ids, BATCH):
            claims = list(
                Claim.objects.filter(pk__in=ids)
                .select_related("mechanism")
                .prefetch_related("drugs", "cargo", "targets", "cell_line_links__cell_line")
            )
            for claim in claims:
                claim.search_document = claim.build_search_document()
            Claim.objects.bulk_update(claims, ["search_document"], batch_size=500)
        return self.report

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
        names = self.document["users"]
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
        """Insert the part's objects that the database lacks, then their links and history jobs."""
        fields = record_fields(part.model)
        self_refs = [f for f in fields if f.is_relation and f.related_model is part.model]
        relations = [f.name for f in fields if f.is_relation]
        new = self._new_objects(part, fields, self_refs, relations)
        if self.errors:
            return
        self._insert_new(part, new, relations)
        self._record_added(part, new, self_refs)

    def _new_objects(
        self, part: Part, fields: list[models.Field], self_refs: list[models.Field], relations: list[str]
    ) -> New:
        """(index, record, key, unsaved instance, where) for each record to add; the rest are counted."""
        expected = {f.name for f in fields} | set(part.m2m) | ({"history"} if part.history else set())
        stored = self.current.document[part.name]
        in_database = {natural_key(part.key, record): record for record in stored} if part.key else {}
        stored_rows = {sort_token(_without_history(r)) for r in stored}
        seen: set[Key] = set()
        new: New = []
        for index, record in enumerate(self.document[part.name]):
            where = self._label(part, index, record) if isinstance(record, dict) else f"{part.name}[{index}]"
            if self._row(record, expected, where) is None:
                continue
            if part.owned_by_claim and not self._claim_known(record["claim"], where):
                continue
            if part.owned_by_claim and _as_key(record["claim"]) not in self.added_claims:
                # Rows of a claim this restore did not add stay as the database has them.
                if sort_token(_without_history(record)) in stored_rows:
                    self.report.unchanged[part.name] += 1
                else:
                    self.report.left_with_claim[part.name] += 1
                continue
            key = natural_key(part.key, record) if part.key else None
            if key is not None and not self._is_new_key(part, key, record, where, seen, in_database):
                continue
            instance = self._unsaved_instance(part.model, fields, self_refs, relations, record, where)
            if instance is not None:
                new.append((index, record, key, instance, where))
        return new

    def _claim_known(self, value: Any, where: str) -> bool:
        """Whether the claim a row belongs to is in the file or the database; reported if not."""
        key = _as_key(value)
        if key in self.added_claims or key in self.live_pk[Claim]:
            return True
        self.fail(where, f"claim: {value!r} is neither in the file nor in the database")
        return False

    def _is_new_key(
        self, part: Part, key: Key, record: Record, where: str, seen: set[Key], in_database: dict[Key, Record]
    ) -> bool:
        """Whether a record with this natural key is to be added; reports or counts it if not."""
        if not all(isinstance(p, str) for p in key):
            self.fail(where, f"the natural key ({', '.join(part.key)}) must be text")
            return False
        if key in seen:
            self.fail(where, "appears twice in the file")
            return False
        seen.add(key)
        if key not in in_database:
            return True
        if _without_history(in_database[key]) == _without_history(record):
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

    def _record_added(self, part: Part, new: New, self_refs: list[models.Field]) -> None:
        """Make the inserted objects findable by key, then link them and queue their history."""
        model = part.model
        for _, record, key, instance, where in new:
            if key is not None:
                self.live_pk[model][key] = self.any_pk[model][key] = instance.pk
            if part.history:
                self.history_jobs[part.name].append((instance.pk, record["history"], where))
        if self_refs:
            self._link_self_references(model, self_refs, new)
        if part.m2m:
            self._link_m2m(part, new)
        if model is Claim:
            self.added_claims.update(key for *_, key, _, _ in new)
            self.added_claim_ids.extend(instance.pk for *_, instance, _ in new)
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

    def _link_self_references(self, model: Model, self_refs: list[models.Field], new: New) -> None:
        changed = []
        for _, record, _, instance, where in new:
            for f in self_refs:
                value = self._value(f, record[f.name], where, self.live_pk)
                if value is not _INVALID and value is not None and value == instance.pk:
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

    def _reserve_deleted(self) -> None:
        """Give each deleted object in the file that the database does not know an id of its own."""
        for part in HISTORY_PARTS:
            known = set(self.current.keys.by_model[part.model].values())
            chosen = []
            for index, group in enumerate(self.document["history_of_deleted"][part.name]):
                where = f"history_of_deleted.{part.name}[{index}]"
                rows = group.get("history") if isinstance(group, dict) and set(group) == {"history"} else None
                if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
                    self.fail(where, 'must be {"history": [rows…]} with at least one row')
                    continue
                if not all(name in rows[-1] for name in part.key):
                    self.fail(where, f"the last history row must name the object ({', '.join(part.key)})")
                    continue
                key = natural_key(part.key, rows[-1])
                if part.owned_by_claim:
                    wanted = _as_key(rows[-1]["claim"]) in self.added_claims
                    if not wanted and _as_key(rows[-1]["claim"]) not in self.any_pk[Claim]:
                        self.fail(
                            where, f"claim: {rows[-1]['claim']!r} is neither in the file nor in the database"
                        )
                        continue
                else:
                    wanted = key not in known
                if wanted:
                    chosen.append((key, rows, where))
                    if part.model is Claim:
                        self.added_claims.add(key)
            for (key, rows, where), object_id in zip(
                chosen, _reserve_ids(part.model, len(chosen)), strict=True
            ):
                self.any_pk[part.model].setdefault(key, object_id)
                self.history_jobs[part.name].append((object_id, rows, where))

    def _restore_history(self, part: Part) -> None:
        history = part.history
        fields = history_fields(history)
        relations = [f.name for f in fields if f.is_relation]
        expected = {f.name for f in fields} | set(part.m2m)
        rows = []
        for object_id, history_rows, where in self.history_jobs[part.name]:
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
        # Oldest first across all objects, so history ids keep the order the changes were made in.
        rows.sort(key=lambda item: item[0].history_date)
        history._default_manager.bulk_create([instance for instance, *_ in rows], batch_size=500)
        self.report.history_rows += len(rows)
        for name in part.m2m:
            self._restore_m2m_history(part, name, rows)

    def _restore_m2m_history(self, part: Part, name: str, rows: list[tuple[Any, Record, str]]) -> None:
        relation = model_field(part.model, name)
        through = relation.remote_field.through
        owner, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        live_links = {
            (o, t): pk for o, t, pk in through.objects.values_list(f"{owner}_id", f"{target}_id", "pk")
        }
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


def dataset_import(*, document: dict[str, Any], merge: bool = False) -> ImportReport:
    """Restore ``document`` (from dataset_loads); raises DatasetError and writes nothing on any problem."""
    with transaction.atomic():
        current = collect_dataset()
        if not merge and not current.is_empty():
            counts = ", ".join(
                f"{len(current.document[p.name])} {p.name}" for p in PARTS[:8] if current.document[p.name]
            )
            raise DatasetError(
                [
                    f"the database already holds data ({counts or 'history rows'}); restore "
                    "into an empty database, or merge by natural key with --merge"
                ]
            )
        return Restore(document, current).run()
