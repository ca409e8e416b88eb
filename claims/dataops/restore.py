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

Three modules, one class each, built on one another: claims.dataops.restore_state (what a
restore holds, value checks), claims.dataops.restore_history (history rows, deleted objects),
and this one (the live rows, and dataset_import).
"""

from collections import defaultdict
from collections.abc import Iterable
from itertools import batched
from typing import Any, BinaryIO

from django.db import IntegrityError, models, transaction

from claims.dataops.backup import (
    HISTORY_PARTS,
    PARTS,
    DatasetError,
    ImportReport,
    Model,
    Part,
    Record,
    model_field,
    natural_key,
    record_fields,
    sort_token,
)
from claims.dataops.dataset_file import DatasetFile
from claims.dataops.restore_history import HistoryRestore
from claims.dataops.restore_state import INVALID, Key, as_key, key_list, named_references
from claims.models import CellLine, Citation, Claim, ClaimCellLine
from claims.models.claim import search_document_for
from claims.models.entities import Entity

# (index, record, key, unsaved instance, where) of each object a part adds.
type New = list[tuple[int, Record, Key | None, Any, str]]


def _without_history(record: Record) -> Record:
    return {name: value for name, value in record.items() if name != "history"}


def _grouped(model: Model, pairs: Iterable[tuple[Any, Any]]) -> defaultdict[Any, list[Any]]:
    """Owner id -> the objects of ``model`` it links to, each object read once."""
    pairs = list(pairs)
    objects = model._default_manager.in_bulk({target for _, target in pairs})
    grouped: defaultdict[Any, list[Any]] = defaultdict(list)
    for owner, target in pairs:
        grouped[owner].append(objects[target])
    return grouped


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


class Restore(HistoryRestore):
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
            named = named_references(fields, m2m, records)
            for record in records:
                if isinstance(record, dict) and part.key and all(name in record for name in part.key):
                    if key := as_key(key_list(part, record)):
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
            if part.owned_by_claim and not self._added(Claim, as_key(record["claim"])):
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
        if as_key(value) in self.live_pk[Claim]:
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
        if INVALID in values.values():
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

    def _link_self_references(
        self, model: Model, self_refs: list[models.Field], pending: list[tuple[Any, dict[str, Any], str]]
    ) -> None:
        for chunk in batched(pending, self.batch):
            self._look_up(named_references(self_refs, [], [values for _, values, _ in chunk]))
            changed = []
            for pk, values, where in chunk:
                instance = model(pk=pk)
                for f in self_refs:
                    if f.name not in values:
                        continue
                    value = self._value(f, values[f.name], where, self.live_pk)
                    if value is not INVALID and value is not None and value == pk:
                        self.fail(where, f"{f.name}: an object cannot be its own {f.name}")
                    elif value is not INVALID:
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
                    if pk is not INVALID:
                        rows.append(through(**{f"{owner}_id": instance.pk, f"{target}_id": pk}))
            self._stop_if_errors()
            through.objects.bulk_create(rows, batch_size=500)


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
