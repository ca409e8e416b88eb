"""The one name resolver: which entity a word names, for filters, forms and search alike.

An entity answers to its name, slug, aliases and misprints, case-insensitively (its
``lookup_terms``). miRNAs are written many ways, so a name that looks like one is also tried
without a species prefix (``hsa-miR-155`` → ``miR-155``), with the hyphen the names use
(``miR155``, ``mir155`` → ``miR-155``) and, only when none of those names anything, without its
arm suffix (``miR-155-5p`` → ``miR-155``): a lone ``-5p`` arm must not hide the mature miRNA
the review names, while an entity named with its arm keeps its own claims.
"""

import functools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import connections, router

from claims.data_version import VersionMemo
from claims.models.entities import LOOKUP_SEPARATOR, Entity, lookup_needles

_SPECIES = re.compile(r"^[a-z]{3}-(?=mir)")
_MIRNA = re.compile(r"^mir-?(\d+[a-z]?(?:-\d+)?)((?:-[35]p)?)$")


def spellings(value: object) -> tuple[list[str], list[str]]:
    """The spellings ``value`` may name an entity by, in two tiers: (preferred, fallback)."""
    folded = str(value).strip().casefold()
    if not folded or LOOKUP_SEPARATOR in folded:
        return [], []
    preferred = [folded]
    stripped = _SPECIES.sub("", folded)
    match = _MIRNA.match(stripped)
    if not match:
        return list(dict.fromkeys([*preferred, stripped])), []
    core, arm = match.groups()
    preferred += [stripped, f"mir-{core}{arm}"]
    fallback = [f"mir-{core}"] if arm else []
    return list(dict.fromkeys(preferred)), fallback


def _pick[R: Sequence[Any]](value: object, rows: Iterable[R]) -> list[R]:
    """The rows ``value`` names: by a preferred spelling, else by a fallback one."""
    preferred, fallback = spellings(value)
    for tier in (preferred, fallback):
        needles = [f"{LOOKUP_SEPARATOR}{s}{LOOKUP_SEPARATOR}" for s in tier]
        found = [row for row in rows if any(n in row[-1] for n in needles)]
        if found:
            return found
    return []


def _all_spellings(values: Iterable[object]) -> list[str]:
    return [s for value in values for tier in spellings(value) for s in tier]


def resolve_entities[E: Entity](model: type[E], values: Collection[str]) -> dict[str, list[E]]:
    """{value: [entities of ``model`` it names]} for every value, in one query."""
    rows = [(e, e.lookup_terms) for e in model.objects.matching(_all_spellings(values))]
    return {value: [row[0] for row in _pick(value, rows)] for value in values}


def resolve_pks(model: type[Entity], values: Collection[str]) -> dict[str, list[int]]:
    """{value: [primary keys of the ``model`` entities it names]}, in one query (resolve_across's
    statement for one kind), in key order."""
    found = resolve_across({"pks": model}, list(values))
    return {value: sorted(named.get("pks", [])) for value, named in found.items()}


# What resolve_across found, by data version, in this process.
_RESOLVED = VersionMemo(size=2048)


def resolve_across(
    models: Mapping[str, type[Entity]], values: Sequence[str]
) -> dict[str, dict[str, list[int]]]:
    """{value: {model key: [pks]}} for every value and every kind in ``models`` ({key: model}),
    in one query (a UNION over the entity tables): what free-text search needs per word."""
    needles = lookup_needles(_all_spellings(values))
    if not needles:
        return {value: {} for value in values}
    kinds = tuple(models.items())
    db = router.db_for_read(kinds[0][1])
    # The same names resolve alike until an entity is written (which changes the data version):
    # a filter or search repeated in a read-only request skips the query.
    key = _RESOLVED.key(db, kinds, tuple(values))
    found = _RESOLVED.get(key)
    if found is None:
        found = _resolve_across(db, kinds, values, needles)
        _RESOLVED.put(key, found)
    # Copies: callers may extend the lists (a mechanism filter adds the narrower mechanisms).
    return {value: {kind: list(pks) for kind, pks in named.items()} for value, named in found.items()}


def _resolve_across(
    db: str, kinds: tuple[tuple[str, type[Entity]], ...], values: Sequence[str], needles: list[str]
) -> dict[str, dict[str, list[int]]]:
    connection = connections[db]
    # What ``Entity.objects.matching`` asks (lookup_terms contains the needle), LIKE-escaped as
    # Django's ``contains`` escapes it.
    patterns = [f"%{connection.ops.prep_for_like_query(needle)}%" for needle in needles]
    with connection.cursor() as cursor:
        cursor.execute(_across_statement(db, kinds, len(needles)), patterns * len(kinds))
        rows = cursor.fetchall()
    found: dict[str, dict[str, list[int]]] = {}
    for value in values:
        named: dict[str, list[int]] = {}
        for key, pk, _ in _pick(value, rows):
            named.setdefault(key, []).append(pk)
        found[value] = named
    return found


@functools.cache
def _across_statement(db: str, kinds: tuple[tuple[str, type[Entity]], ...], needles: int) -> str:
    """resolve_across's statement for ``needles`` needles: one UNION ALL branch per kind, each
    ``lookup_terms`` LIKE any needle, as ``contains`` writes it on the database. Written once per
    shape: building and compiling the same union through the ORM was most of a search's name
    resolution."""
    connection = connections[db]
    quote = connection.ops.quote_name
    like = cast(Any, connection).operators["contains"] % "%s"  # each backend class defines it
    branches = []
    for key, model in kinds:
        column = f"{quote(model._meta.db_table)}.{quote('lookup_terms')}"
        matches = " OR ".join([f"{column} {like}"] * needles)
        key_field = model._meta.pk
        assert key_field is not None and key_field.column is not None
        pk = f"{quote(model._meta.db_table)}.{quote(key_field.column)}"
        if "'" in key:
            raise ValueError(f"kind {key!r} cannot be quoted")
        branches.append(f"SELECT '{key}', {pk}, {column} FROM {quote(model._meta.db_table)} WHERE {matches}")
    return " UNION ALL ".join(branches)
