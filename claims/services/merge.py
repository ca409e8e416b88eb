"""Merging duplicate entities (e.g. two spellings of one miRNA) into one, in one transaction.

Every claim that named a merged entity names the kept one instead; the merged names, slugs and
aliases become aliases of the kept entity (so old links and filters still find it); blank
identifiers of the kept entity are filled from the merged ones, and derived cell lines or
narrower mechanisms move under it. Merging fixes an entity's identity, not what a claim says,
so claims keep their curation status; each re-pointed claim gets a new version and one history
record naming the merge. The merged entities' history stays, ending in a deletion record whose
reason is "merged into <slug>": restoring an old claim version follows it to the kept entity.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from claims.models import Cargo, CellLine, Claim, ClaimCellLine, Drug, Mechanism
from claims.models.entities import Entity
from claims.services.entity_writes import search_documents_refresh
from claims.types import Actor

MERGE_REASON_PREFIX = "merged into "
MERGEABLE = (Drug, Cargo, CellLine, Mechanism)
# Fields that must agree (when both are set) for two records to be the same entity.
_MUST_AGREE: dict[type[Entity], list[str]] = {Cargo: ["cargo_type"], CellLine: ["species"]}


@dataclass(frozen=True)
class MergeReport:
    kept: Entity
    merged: list[str]  # names of the merged entities
    claims: list[str]  # public ids of the claims re-pointed
    aliases_added: list[str]


def _identifier_fields(model: type[Entity]) -> list[str]:
    return [name for _, name, _ in model.IDENTIFIERS]


def _check(keep: Entity, merge: list[Entity], user: Actor) -> None:
    model = type(keep)
    if model not in MERGEABLE:
        raise ValidationError(f"{model.__name__} records cannot be merged.")
    name = model._meta.model_name
    if user is None or not (
        user.has_perm(f"claims.change_{name}") and user.has_perm(f"claims.delete_{name}")
    ):
        raise PermissionDenied(
            f"Merging needs permission to change and delete {model._meta.verbose_name_plural}."
        )
    if not merge:
        raise ValidationError("Choose at least one other entity to merge into the one kept.")
    errors = []
    for other in merge:
        if type(other) is not model:
            errors.append(f"{other} is a {other._meta.verbose_name}, not a {model._meta.verbose_name}.")
        elif other.pk == keep.pk:
            errors.append(f"{keep} cannot be merged into itself.")
        else:
            for field in _identifier_fields(model) + _MUST_AGREE.get(model, []):
                mine, theirs = getattr(keep, field), getattr(other, field)
                if mine and theirs and mine != theirs:
                    label = model._meta.get_field(field).verbose_name  # type: ignore[union-attr]
                    errors.append(
                        f"{keep} and {other} have different {label} ({mine} and {theirs}): not duplicates."
                    )
    if errors:
        raise ValidationError(errors)


def _new_aliases(keep: Entity, merge: list[Entity]) -> list[str]:
    known = {term.casefold() for term in [keep.name, keep.slug, *keep.aliases]}
    added = []
    for other in merge:
        for term in [other.name, other.slug, *other.aliases]:
            if term and term.casefold() not in known:
                known.add(term.casefold())
                added.append(term)
    return added


def _affected_claims(model: type[Entity], merge_ids: list[int]) -> QuerySet[Claim]:
    if model is Mechanism:
        return Claim.objects.filter(mechanism__in=merge_ids)
    if model is CellLine:
        return Claim.objects.filter(
            pk__in=ClaimCellLine.objects.filter(cell_line__in=merge_ids).values("claim_id")
        )
    relation = "drugs" if model is Drug else "cargo"
    return Claim.objects.filter(
        pk__in=getattr(Claim, relation)
        .through.objects.filter(**{f"{model._meta.model_name}__in": merge_ids})
        .values("claim_id")
    )


def _repoint(claim: Claim, model: type[Entity], keep: Any, merge_ids: list[int], user: Actor) -> None:
    if model is Mechanism:
        claim.mechanism = keep
    elif model is CellLine:
        roles = set(claim.cell_line_links.filter(cell_line=keep).values_list("role", flat=True))
        for link in claim.cell_line_links.filter(cell_line__in=merge_ids).order_by("pk"):
            link._history_user = user
            if link.role in roles:
                link.delete()
            else:
                roles.add(link.role)
                link.cell_line = keep
                link.save()
    else:
        manager = getattr(claim, "drugs" if model is Drug else "cargo")
        # The claim's own save below records its new relations in one history record.
        claim.skip_history_when_saving = True
        try:
            manager.remove(*merge_ids)
            manager.add(keep)
        finally:
            del claim.skip_history_when_saving


def _refuse_cycle(keep: Any) -> None:
    seen, node = {keep.pk}, keep
    while node.parent_id is not None:
        if node.parent_id in seen:
            raise ValidationError(f"Merging would make {keep} its own ancestor; change the parents first.")
        seen.add(node.parent_id)
        node = type(keep).objects.get(pk=node.parent_id)


def entities_merge(*, keep: Any, merge: Iterable[Any], user: Actor) -> MergeReport:
    """Merge the entities in ``merge`` into ``keep`` (same model); returns a MergeReport."""
    merge = list(merge)
    _check(keep, merge, user)
    model, merge_ids = type(keep), [other.pk for other in merge]
    reason = f"{MERGE_REASON_PREFIX}{keep.slug}"[:100]
    with transaction.atomic():
        # Lock the entities and the claims so a concurrent edit waits for the merge (or fails
        # its version check) instead of re-adding a merged entity.
        list(model.objects.select_for_update().filter(pk__in=[keep.pk, *merge_ids]))
        keep.refresh_from_db()
        merge = list(model.objects.filter(pk__in=merge_ids).order_by("pk"))
        added = _new_aliases(keep, merge)
        keep.aliases = [*keep.aliases, *added]
        for other in merge:
            for field in _identifier_fields(model):
                if not getattr(keep, field) and getattr(other, field):
                    setattr(keep, field, getattr(other, field))
            if other.notes:
                keep.notes = "\n\n".join(filter(None, [keep.notes, f"From {other.name}: {other.notes}"]))
        if getattr(keep, "parent_id", None) in merge_ids:
            parent = next(other for other in merge if other.pk == keep.parent_id).parent
            keep.parent = None if parent is None or parent.pk in [keep.pk, *merge_ids] else parent
        keep._history_user, keep._change_reason = user, f"merged {', '.join(o.slug for o in merge)}"[:100]
        keep.save()
        if hasattr(model, "parent"):
            for child in model.objects.filter(parent__in=merge_ids).exclude(pk=keep.pk):
                child.parent, child._history_user, child._change_reason = keep, user, reason
                child.save(update_fields=["parent"])
            _refuse_cycle(keep)
        repointed = []
        for claim in _affected_claims(model, merge_ids).select_for_update().order_by("public_id"):
            _repoint(claim, model, keep, merge_ids, user)
            claim.version += 1
            claim.search_document = claim.build_search_document()
            claim._history_user, claim._change_reason = user, reason
            claim.save()
            repointed.append(claim.public_id)
        for other in merge:
            other._history_user, other._change_reason = user, reason
            other.delete()
        search_documents_refresh(claims=keep.claims.all())
    return MergeReport(kept=keep, merged=[o.name for o in merge], claims=repointed, aliases_added=added)
