"""The curation workflow: who may move a claim between statuses, and flags on claims.

draft → in review → approved / rejected; approved and rejected claims can be sent back to review,
and a claim in review back to draft. Curators (claims.change_claim) submit; editors
(claims.review_claim) approve and reject, never a claim whose reviewed content they changed
since its last review (read from the history: see history.content_editors_since_review). Rejection
needs a reason. Every transition is recorded (StatusChange) with who and when.
"""

from collections.abc import Callable, Collection
from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from claims import vocabulary as v
from claims.models import Claim, Flag, StatusChange
from claims.services.claim_writes import StaleClaim
from claims.types import Actor

S = v.CurationStatus
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.IN_REVIEW},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.DRAFT},
    S.APPROVED: {S.IN_REVIEW},
    S.REJECTED: {S.IN_REVIEW},
}
REVIEW_DECISIONS: set[str] = {S.APPROVED, S.REJECTED}


def content_editors_since_review(claim: Claim) -> Collection[int]:
    # Imported here: history imports merge, which imports bulk, which imports this module.
    from claims.services.history import content_editors_since_review

    return content_editors_since_review(claim)


def _refusal(
    claim: Claim, user: Actor, to_status: str, editors: Callable[[Claim], Collection[int]] | None = None
) -> str | None:
    """Why ``user`` may not move ``claim`` to ``to_status`` (None when they may).

    ``editors`` is a callable giving content_editors_since_review(claim), when the caller has it.
    """
    if to_status not in S.values:
        return f"'{to_status}' is not a status ({', '.join(S.values)})."
    if to_status not in TRANSITIONS[claim.status]:
        return f"A claim cannot go from {S(claim.status).label.lower()} to {S(to_status).label.lower()}."
    if user is None or not user.is_authenticated:
        return "Sign in to change a claim's status."
    if to_status in REVIEW_DECISIONS:
        if not user.has_perm("claims.review_claim"):
            return "Only editors can approve or reject claims."
        if not user.is_superuser and user.pk in (editors or content_editors_since_review)(claim):
            return (
                "You edited this claim's content since it was last reviewed; another editor must review it."
            )
    elif not user.has_perm("claims.change_claim"):
        return "Only curators can submit or withdraw claims."
    return None


def allowed_transitions(claim: Claim, user: Actor) -> list[str]:
    found: list[Collection[int]] = []

    def editors(claim: Claim) -> Collection[int]:
        # Approve and reject both ask; the history is read once.
        if not found:
            found.append(content_editors_since_review(claim))
        return found[0]

    return [status for status in TRANSITIONS[claim.status] if _refusal(claim, user, status, editors) is None]


def claim_transition(
    *, claim: Claim, user: Actor, to_status: str, reason: str = "", expected_version: int | None = None
) -> Claim:
    """Move ``claim`` to ``to_status``; PermissionDenied or ValidationError say why not."""
    refusal = _refusal(claim, user, to_status)
    if refusal:
        is_rule = to_status not in S.values or to_status not in TRANSITIONS[claim.status]
        raise ValidationError({"status": [refusal]}) if is_rule else PermissionDenied(refusal)
    reason = (reason or "").strip()
    if to_status == S.REJECTED and not reason:
        raise ValidationError({"reason": ["Say why the claim is rejected."]})
    with transaction.atomic():
        version = claim.version if expected_version is None else expected_version
        moved = Claim.objects.filter(pk=claim.pk, version=version, status=claim.status).update(
            version=F("version") + 1
        )
        if not moved:
            claim.refresh_from_db()
            raise StaleClaim(claim, version)
        # _refusal let only a signed-in account through.
        StatusChange.objects.create(
            claim=claim,
            from_status=claim.status,
            to_status=to_status,
            reason=reason,
            changed_by=cast(User, user),
        )
        claim.status = to_status
        claim.rejection_reason = reason if to_status == S.REJECTED else ""
        claim.version = version + 1
        claim._history_user = user
        claim._change_reason = f"status: {to_status}"
        claim.save(update_fields=["status", "rejection_reason", "version", "updated"])
    return claim


def flag_raise(*, claim: Claim, user: Actor, kind: str, text: str) -> Flag:
    """Anyone signed in may flag a claim."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to flag a claim.")
    errors: dict[str, list[str]] = {}
    if kind not in v.FlagKind.values:
        errors["kind"] = [f"'{kind}' is not one of: {', '.join(v.FlagKind.values)}."]
    text = (text or "").strip()
    if not text:
        errors["text"] = ["Say what is wrong."]
    elif len(text) > 5000 or "\x00" in text:
        errors["text"] = ["At most 5,000 characters, and no NUL characters."]
    if errors:
        raise ValidationError(errors)
    return Flag.objects.create(claim=claim, kind=kind, text=text, raised_by=user)


def flag_can_resolve(user: Actor) -> bool:
    return user is not None and user.has_perm("claims.review_claim")


def flag_resolve(*, flag: Flag, user: Actor, resolution: str) -> Flag:
    """Editors resolve flags, saying how."""
    if not flag_can_resolve(user):
        raise PermissionDenied("Only editors can resolve flags.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": ["Say how the flag was resolved."]})
    if not flag.is_open:
        raise ValidationError({"resolution": ["This flag is already resolved."]})
    flag.resolved_by, flag.resolved_at, flag.resolution = cast(User, user), timezone.now(), resolution
    flag.save(update_fields=["resolved_by", "resolved_at", "resolution"])
    return flag
