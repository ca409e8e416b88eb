"""Undoing a bulk approval or rejection in one step: the changelist the action returns to offers,
once, to send the claims it just moved back to review.

The offer is kept in the session until the next changelist page reads it; the undo form then
carries each claim with the version the action left it at. A claim changed since (edited, moved
on, or already sent back) is left alone and named, so an undo never overwrites later work.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError

from claims import vocabulary as v
from claims.models import Claim
from claims.services.bulk import BulkOutcome, refusal_text
from claims.services.claim_writes import StaleClaim
from claims.services.workflow import claim_transition

S = v.CurationStatus
SESSION_KEY = "claims_bulk_undo"
UNDO_LIMIT = 500  # claims one offer carries (as hidden fields); larger batches are sent back by filter
DECISIONS: dict[str, str] = {S.APPROVED: "approval", S.REJECTED: "rejection"}
ENTRY = re.compile(r"(CLM-[0-9]+):([0-9]{1,9})")


def undo_remember(request, *, public_ids, to_status):
    """After a bulk decision: offer to undo it on the next changelist page (or forget the last offer)."""
    request.session.pop(SESSION_KEY, None)
    if not public_ids or len(public_ids) > UNDO_LIMIT or to_status not in DECISIONS:
        return
    versions = Claim.objects.filter(public_id__in=public_ids).order_by("public_id")
    request.session[SESSION_KEY] = {
        "status": to_status,
        "claims": [
            f"{public_id}:{version}" for public_id, version in versions.values_list("public_id", "version")
        ],
    }


def undo_offer(request):
    """The pending offer ({"status", "claims"}), forgotten once read: it is made once."""
    return request.session.pop(SESSION_KEY, None)


def _entries(values):
    found = [ENTRY.fullmatch(value) for value in values[:UNDO_LIMIT]]
    if not found or not all(found):
        return None
    return [(match.group(1), int(match.group(2))) for match in found if match]


def claims_undo_decision(*, entries, user):
    """Send each (public id, version) claim back to review if it is still as the bulk decision left
    it. None when ``entries`` (the form's values) name nothing to undo."""
    parsed = _entries(entries)
    if parsed is None:
        return None
    claims = Claim.objects.in_bulk([public_id for public_id, _ in parsed], field_name="public_id")
    outcome = BulkOutcome()
    for public_id, version in parsed:
        claim = claims.get(public_id)
        if claim is None:
            outcome.refused.append((public_id, "it no longer exists."))
        elif claim.version != version or claim.status not in DECISIONS:
            outcome.refused.append(
                (public_id, "it changed after the bulk action; open it to send it back to review on its own.")
            )
        else:
            try:
                claim_transition(
                    claim=claim,
                    user=user,
                    to_status=S.IN_REVIEW,
                    reason=f"Undo of a bulk {DECISIONS[claim.status]}.",
                    expected_version=version,
                )
            except (PermissionDenied, ValidationError) as error:
                outcome.refused.append((public_id, refusal_text(error)))
            except StaleClaim:
                outcome.refused.append((public_id, "it changed after the bulk action; open it to check."))
            else:
                outcome.changed.append(public_id)
    return outcome
