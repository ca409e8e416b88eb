"""The one name resolver: which entity a word names, for filters, forms and search alike.

An entity answers to its name, slug, aliases and misprints, case-insensitively (its
``lookup_terms``). miRNAs are written many ways, so a name that looks like one is also tried
without a species prefix (``hsa-miR-155`` → ``miR-155``), with the hyphen the names use
(``miR155``, ``mir155`` → ``miR-155``) and, only when none of those names anything, without its
arm suffix (``miR-155-5p`` → ``miR-155``): a lone ``-5p`` arm must not hide the mature miRNA
the review names, while an entity named with its arm keeps its own claims.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Value

from claims.models.entities import LOOKUP_SEPARATOR, Entity

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
    """{value: [primary keys of the ``model`` entities it names]}, in one query."""
    rows = list(model.objects.matching(_all_spellings(values)).values_list("pk", "lookup_terms"))
    return {value: [row[0] for row in _pick(value, rows)] for value in values}


def resolve_across(
    models: Mapping[str, type[Entity]], values: Sequence[str]
) -> dict[str, dict[str, list[int]]]:
    """{value: {model key: [pks]}} for every value and every kind in ``models`` ({key: model}),
    in one query (a UNION over the entity tables): what free-text search needs per word."""
    spelled = _all_spellings(values)
    if not spelled:
        return {value: {} for value in values}
    parts = [
        model.objects.matching(spelled).order_by().values_list(Value(key), "pk", "lookup_terms")
        for key, model in models.items()
    ]
    rows = list(parts[0].union(*parts[1:], all=True).order_by()) if len(parts) > 1 else list(parts[0])
    found: dict[str, dict[str, list[int]]] = {}
    for value in values:
        named: dict[str, list[int]] = {}
        for key, pk, _ in _pick(value, rows):
            named.setdefault(key, []).append(pk)
        found[value] = named
    return found
