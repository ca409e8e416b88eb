"""Where the literature disagrees: every pair of claims that contradict each other, once.

Two claims contradict when they share a drug and a cargo and their polarities
(``claims.models.claim.polarity``: what was done to the cargo × the outcome on resistance) have
opposite signs; it is the rule ``Claim.objects.contradicting`` applies to one claim, here applied
to all of them at once, in four queries whatever the number of claims.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import ManyToManyField, QuerySet

from claims.models import Claim
from claims.models.claim import polarity, with_polarity
from claims.selectors import claims_with_relations


@dataclass(frozen=True)
class Disagreement:
    first: Claim  # the one with the lower public id
    second: Claim
    drugs: tuple[str, ...]  # names of the drugs both are about
    cargo: tuple[str, ...]  # names of the cargo both are about

    @property
    def first_and_second(self) -> list[Claim]:
        return [self.first, self.second]


def _links(relation: str, ids: QuerySet) -> QuerySet:
    field = cast(ManyToManyField, Claim._meta.get_field(relation))
    target = field.m2m_reverse_field_name()
    through: Any = field.remote_field.through  # the auto-created link model: its manager is objects
    rows = through.objects.filter(claim_id__in=ids)
    return rows.values_list("claim_id", f"{target}__name")


def disagreements() -> list[Disagreement]:
    """Every contradicting pair, ordered by the first claim's public id, then the second's."""
    polar = Claim.objects.filter(with_polarity(1) | with_polarity(-1))
    ids = polar.values("pk")
    drugs: defaultdict[int, set[str]] = defaultdict(set)
    cargo: defaultdict[int, set[str]] = defaultdict(set)
    for claim_id, name in _links("drugs", ids):
        drugs[claim_id].add(name)
    for claim_id, name in _links("cargo", ids):
        cargo[claim_id].add(name)
    # Claims by (drug, cargo) pair, split by sign.
    groups: defaultdict[tuple[str, str], dict[int, set[int]]] = defaultdict(lambda: {1: set(), -1: set()})
    signs: dict[int, int] = {}
    for pk, intervention, direction in polar.values_list("pk", "cargo_intervention", "direction"):
        sign = polarity(Claim(cargo_intervention=intervention, direction=direction))
        if sign is not None:  # always: with_polarity() chose claims that have one
            signs[pk] = sign
    for pk, sign in signs.items():
        for drug in drugs.get(pk, ()):
            for item in cargo.get(pk, ()):
                groups[drug, item][sign].add(pk)
    pairs: set[tuple[int, int]] = set()
    for group in groups.values():
        pairs.update((a, b) if a < b else (b, a) for a in group[1] for b in group[-1])
    if not pairs:
        return []
    shown = Claim.objects.for_display().filter(pk__in={pk for pair in pairs for pk in pair})
    claims = {claim.pk: claim for claim in claims_with_relations(shown)}
    found = []
    for a, b in pairs:
        first, second = sorted([claims[a], claims[b]], key=lambda c: c.public_id)
        found.append(
            Disagreement(
                first, second, tuple(sorted(drugs[a] & drugs[b])), tuple(sorted(cargo[a] & cargo[b]))
            )
        )
    return sorted(found, key=lambda d: (d.first.public_id, d.second.public_id))
