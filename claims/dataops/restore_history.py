"""Restoring the file's history rows (claims.dataops.restore): of the objects the restore added,
then of the deleted objects, which first get ids no live object will ever take.

History ids follow the order of the changes within each object (and within a run of rows).
"""

from collections.abc import Iterator
from typing import Any

from claims.dataops.backup import (
    Part,
    Record,
    history_fields,
    m2m_history_model,
    model_field,
)
from claims.dataops.restore_state import (
    IMPORT_BATCH,
    INVALID,
    Key,
    RestoreState,
    as_key,
    key_list,
    named_references,
    reserve_ids,
)
from claims.models import Claim
from claims.models.entities import Entity


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


class HistoryRestore(RestoreState):
    def _reserve_deleted(self, part: Part) -> None:
        """Give each deleted object in the file that the database does not know an id of its own."""
        model = part.model
        chosen: list[tuple[int, Key]] = []
        name = f"history_of_deleted.{part.name}"
        index = 0
        for groups in self.source.batches(name, self.batch):
            last_rows = [self._last_row(part, group, f"{name}[{i}]") for i, group in enumerate(groups, index)]
            named = named_references(
                [model_field(model, "claim")] if part.owned_by_claim else [], [], last_rows
            )
            if not part.owned_by_claim:
                named[model] = {key for row in last_rows if row and (key := as_key(key_list(part, row)))}
            self._look_up(named)
            for row in last_rows:
                index += 1
                if row is None:
                    continue
                key = as_key(key_list(part, row))
                if key is None:
                    self.fail(f"{name}[{index - 1}]", f"the natural key ({', '.join(part.key)}) must be text")
                    continue
                if part.owned_by_claim:
                    claim = as_key(row["claim"])
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
        for (index, key), object_id in zip(chosen, reserve_ids(model, len(chosen)), strict=True):
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
            keys = [as_key(key_list(part, record)) for record in records]
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
            named_references(
                fields, m2m, [row for _, rows, _ in jobs if isinstance(rows, list) for row in rows]
            )
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
                if INVALID in values.values():
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
                if target_id is not INVALID:
                    pairs.append((instance, target_id))
        self._stop_if_errors()
        missing = sorted({(i.id, t) for i, t in pairs if (i.id, t) not in live_links}, key=str)
        live_links.update(zip(missing, reserve_ids(through, len(missing)), strict=True))
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
