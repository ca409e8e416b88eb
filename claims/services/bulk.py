"""Changing many claims at once (admin actions), each through the single-claim services.

Every claim goes through ``claim_update`` or ``claim_transition``, so a bulk change obeys the
same validation, workflow rules, versioning and history as one edit. A claim those refuse is
reported with the reason and left exactly as it was; each claim is its own transaction, so a
refusal never leaves anything half-changed, and the other claims are still changed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from claims import vocabulary as v
from claims.models import Claim
from claims.models.entities import Entity
from claims.services.claim_writes import StaleClaim, claim_update
from claims.services.workflow import claim_transition
from claims.types import Actor

# Claims to change: a QuerySet (read in public-id order) or any iterable of claims.
type Claims = QuerySet[Claim] | Iterable[Claim]

ENTITY_RELATIONS = ("drugs", "cargo")


@dataclass
class BulkOutcome:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (public id, why)

    def summary(self, verb: str) -> str:
        parts = [f"{len(self.changed)} {_claims(len(self.changed))} {verb}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return "; ".join(parts) + "."


def _claims(count: int) -> str:
    return "claim" if count == 1 else "claims"


def refusal_text(error: Exception) -> str:
    """One line saying why a write was refused (for messages and reports)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return " ".join(
            f"{name.replace('_', ' ').capitalize()}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _ordered(claims: Claims) -> Iterable[Claim]:
    return claims.order_by("public_id") if hasattr(claims, "order_by") else claims


def claims_transition(*, claims: Claims, user: Actor, to_status: str, reason: str = "") -> BulkOutcome:
    """Move each claim to ``to_status`` through the workflow; refusals are reported, not raised."""
    outcome = BulkOutcome()
    for claim in _ordered(claims):
        if claim.status == to_status:
            outcome.unchanged.append(claim.public_id)
            continue
        try:
            claim_transition(claim=claim, user=user, to_status=to_status, reason=reason)
        except (PermissionDenied, ValidationError, StaleClaim) as error:
            outcome.refused.append((claim.public_id, refusal_text(error)))
        else:
            outcome.changed.append(claim.public_id)
    return outcome


def claims_update(
    *, claims: Claims, user: Actor, changes_for: Callable[[Claim], dict[str, Any]], change_reason: str = ""
) -> BulkOutcome:
    """Apply ``changes_for(claim) -> {field: value}`` to each claim through ``claim_update``."""
    if user is None or not user.has_perm("claims.change_claim"):
        raise PermissionDenied("Only curators can change claims.")
    outcome = BulkOutcome()
    for claim in _ordered(claims):
        version = claim.version
        try:
            claim_update(claim=claim, user=user, change_reason=change_reason, **changes_for(claim))
        except (ValidationError, StaleClaim) as error:
            outcome.refused.append((claim.public_id, refusal_text(error)))
            continue
        (outcome.changed if claim.version != version else outcome.unchanged).append(claim.public_id)
    return outcome


def claims_set(*, claims: Claims, user: Actor, **values: Any) -> BulkOutcome:
    """Set the same field values (e.g. mechanism, therapy class) on every claim."""
    label = ", ".join(f"{name.replace('_', ' ')}" for name in values)
    return claims_update(
        claims=claims, user=user, changes_for=lambda claim: values, change_reason=f"bulk: set {label}"
    )


def _check_relation(relation: str) -> None:
    if relation not in ENTITY_RELATIONS:
        raise ValueError(f"relation must be one of {ENTITY_RELATIONS}, not {relation!r}")


def claims_add_entity(*, claims: Claims, user: Actor, relation: str, entity: Entity) -> BulkOutcome:
    """Add a drug or a cargo to every claim (claims that already name it are unchanged)."""
    _check_relation(relation)
    return claims_update(
        claims=claims,
        user=user,
        changes_for=lambda claim: {relation: [*getattr(claim, relation).all(), entity]},
        change_reason=f"bulk: add {entity.slug}"[:100],
    )


def claims_remove_entity(*, claims: Claims, user: Actor, relation: str, entity: Entity) -> BulkOutcome:
    """Remove a drug or a cargo from every claim (claims that don't name it are unchanged)."""
    _check_relation(relation)
    return claims_update(
        claims=claims,
        user=user,
        changes_for=lambda claim: {
            relation: [e for e in getattr(claim, relation).all() if e.pk != entity.pk]
        },
        change_reason=f"bulk: remove {entity.slug}"[:100],
    )


TRANSITION_VERBS = {
    v.CurationStatus.IN_REVIEW: "sent to review",
    v.CurationStatus.APPROVED: "approved",
    v.CurationStatus.REJECTED: "rejected",
    v.CurationStatus.DRAFT: "returned to draft",
}
