"""A claim's revision history (public, like the claim) and restoring an earlier revision."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from claims import vocabulary as v
from claims.dataops.review_loader import HISTORY_REASON as LOADED
from claims.forms import RestoreForm
from claims.models import Claim, StatusChange
from claims.services.claim_writes import StaleClaim
from claims.services.history import claim_restore, claim_revisions, revision_changes
from claims.views.curation import sign_in_then_permission_required

STATUS_WORDS = {
    v.CurationStatus.IN_REVIEW: "Sent to review",
    v.CurationStatus.APPROVED: "Approved",
    v.CurationStatus.REJECTED: "Rejected",
    v.CurationStatus.DRAFT: "Returned to draft",
}
# Change reasons the services write (history_change_reason), said in words; anything else was
# typed by a curator as an edit summary.
REASON_WORDS = {
    LOADED: "Loaded from the review's transcription",
    "admin list edit": "Edited in the admin's list",
}


def revision_in_words(revision):
    """{"what": what happened ("Sent to review"), "summary": the curator's edit summary or ""}."""
    reason = revision.reason
    if reason in REASON_WORDS:
        return {"what": REASON_WORDS[reason], "summary": ""}
    if reason.startswith("status: "):
        status = reason.removeprefix("status: ")
        return {"what": STATUS_WORDS.get(status, f"Status set to {status}"), "summary": ""}
    if reason.startswith("bulk: "):
        return {"what": f"Changed in bulk ({reason.removeprefix('bulk: ')})", "summary": ""}
    if reason.startswith(("restored revision", "merged")):
        return {"what": reason[0].upper() + reason[1:], "summary": ""}
    return {
        "what": {"created": "Created", "deleted": "Deleted"}.get(revision.kind, "Edited"),
        "summary": reason,
    }


@require_safe
def claim_history_view(request, public_id):
    claim = get_object_or_404(Claim, public_id=public_id)
    context = {
        "claim": claim,
        "revisions": [(revision, revision_in_words(revision)) for revision in claim_revisions(claim)],
        "status_changes": StatusChange.objects.filter(claim=claim)
        .select_related("changed_by")
        .order_by("-changed_at", "-id"),
        "can_restore": request.user.has_perm("claims.change_claim"),
    }
    return render(request, "claims/curation/claim_history.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@sign_in_then_permission_required("claims.change_claim")
def claim_restore_view(request, public_id, history_id):
    """GET: what restoring the revision would change; POST: restore it through claim_update."""
    claim = get_object_or_404(Claim, public_id=public_id)
    try:
        revision, changes = revision_changes(claim, history_id)
    except Claim.history.model.DoesNotExist:
        raise Http404(f"{claim.public_id} has no revision {history_id}") from None
    form = RestoreForm(request.POST or None, initial={"version": claim.version})
    errors, status = [], 200
    if request.method == "POST" and not form.is_valid():
        errors, status = ["The form lacks the version you saw; open this page again."], 400
    elif request.method == "POST":
        version = form.cleaned_data["version"]
        try:
            claim_restore(claim=claim, history_id=history_id, user=request.user, expected_version=version)
        except StaleClaim as stale:
            # Show what restoring would change now, from the current version.
            form = RestoreForm(initial={"version": claim.version})
            revision, changes = revision_changes(claim, history_id)
            errors, status = [f"{stale}. Nothing was restored; check the changes below again."], 409
        except ValidationError as error:
            errors, status = error.messages, 400
        else:
            if claim.version == version:
                messages.info(request, f"Nothing to restore: {claim.public_id} already reads like that.")
            else:
                messages.success(
                    request,
                    f"Revision {revision.number} of {claim.public_id} was restored as version {claim.version}.",
                )
            return redirect("claims:claim-history", public_id=claim.public_id)
    context = {"claim": claim, "revision": revision, "changes": changes, "form": form, "errors": errors}
    return render(request, "claims/curation/claim_restore.html", context, status=status)
