"""Adding and changing drugs, cargo, targets, cell lines and mechanisms: the one path for the API,
the admin and commands.

A claim's stored search document holds the names of the entities it is linked to
(``search_document_for``), so a change to what an entity gives it (``entity_search_terms``)
re-indexes the entity's claims in the same transaction, whichever door the change came through.
The search document is derived data, outside the claims' history and versions: readers search it,
nobody edits it, so a rename re-indexes claims without counting as an edit of them.

Every name an entity answers to (slug, name, aliases, misprints) names no other entity of its kind
(``entity_check``), because the claim filters and search resolve them (drug=ADM).
"""

from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from claims.models import Claim
from claims.models.claim import entity_search_terms
from claims.models.entities import LOOKUP_SEPARATOR, Entity
from claims.types import Actor

NAME_FIELDS = ("slug", "name", "aliases", "misprints")


def _check_permission(user: Actor, model: type[Entity], action: str) -> None:
    if user is None or not user.has_perm(f"claims.{action}_{model._meta.model_name}"):
        raise PermissionDenied(f"Only curators can {action} {model._meta.verbose_name_plural}.")


def entity_create[E: Entity](*, entity: E, user: Actor) -> E:
    """Save the new ``entity`` (an unsaved drug, cargo, …) with its first history record; no claim
    names it yet, so there is nothing to re-index."""
    _check_permission(user, type(entity), "add")
    entity_check(entity=entity)
    entity._history_user = user
    with transaction.atomic():
        entity.save()
    return entity


def entity_update[E: Entity](*, entity: E, user: Actor, **changes: Any) -> E:
    """Set ``changes`` ({field: value}) on ``entity`` and save it with one history record; when
    that changes what its claims' search documents take from it, re-index those claims.

    What the entity gave the documents before is read from its stored row, so a caller (the admin
    form) may already have set the new values on ``entity``.
    """
    model = type(entity)
    _check_permission(user, model, "change")
    for name in changes:
        model._meta.get_field(name)  # an unknown field is the caller's mistake: FieldDoesNotExist
    with transaction.atomic():
        stored = model.objects.select_for_update().get(pk=entity.pk)
        if changes.keys() & set(NAME_FIELDS):
            entity_check(entity=entity, **changes)
        for name, value in changes.items():
            setattr(entity, name, value)
        entity._history_user = user
        entity.save()
        if entity_search_terms(entity) != entity_search_terms(stored):
            # Every kind names its claims ``claims`` (a reverse relation the Entity base does not declare).
            search_documents_refresh(claims=cast(Any, entity).claims.all())
    return entity


def entity_check(*, entity: Entity, **changes: Any) -> None:
    """Raise ValidationError ({field: [messages]}) when a name ``entity`` would answer to, with
    ``changes`` ({field: value}) applied, already names another entity of its kind."""
    model = type(entity)

    def value(name: str) -> Any:
        return changes[name] if name in changes else getattr(entity, name)

    terms = {
        "slug": [value("slug")],
        "name": [value("name")],
        "aliases": value("aliases") or [],
        "misprints": value("misprints") or [],
    }
    others = model.objects.matching([term for values in terms.values() for term in values])
    if entity.pk is not None:
        others = others.exclude(pk=entity.pk)
    taken: dict[str, str] = {}
    for slug, lookup in others.values_list("slug", "lookup_terms"):
        for term in lookup.strip(LOOKUP_SEPARATOR).split(LOOKUP_SEPARATOR):
            taken.setdefault(term, slug)
    errors: dict[str, list[str]] = {}
    for name, values in terms.items():
        clashes = [
            f"'{term}' already names {model._meta.verbose_name} '{taken[str(term).strip().casefold()]}'."
            for term in values
            if str(term).strip().casefold() in taken
        ]
        if clashes:
            errors[name] = clashes
    if errors:
        raise ValidationError(errors)


def search_documents_refresh(*, claims: QuerySet[Claim]) -> int:
    """Rebuild the stored search documents of ``claims`` (a queryset); returns how many changed."""
    stale = []
    queryset = (
        Claim.objects.filter(pk__in=claims.values("pk"))
        .select_related("mechanism")
        .prefetch_related("drugs", "cargo", "targets", "cell_line_links__cell_line")
    )
    for claim in queryset.iterator(chunk_size=500):
        document = claim.build_search_document()
        if document != claim.search_document:
            claim.search_document = document
            stale.append(claim)
    Claim.objects.bulk_update(stale, ["search_document"], batch_size=500)
    return len(stale)
