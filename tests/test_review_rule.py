"""Issue 18, items 1 and 2: who may approve a claim, and which edits send an approved claim back to review."""

import pytest
from django.core.exceptions import PermissionDenied

from claims import vocabulary as v
from claims.models import Claim, StatusChange
from claims.services.claim_fields import ANNOTATION_FIELDS, REVIEWED_FIELDS
from claims.services.claim_writes import UPDATABLE, claim_update
from claims.services.workflow import allowed_transitions, claim_transition
from tests.factories import make_claim, make_user

pytestmark = pytest.mark.django_db
S = v.CurationStatus


@pytest.fixture
def second_editor(db):
    return make_user("second_editor", "editors", is_staff=True)


def _claim_in_review(author):
    claim = make_claim(author)
    claim_transition(claim=claim, user=author, to_status=S.IN_REVIEW)
    return claim


def _transition(client, claim, to_status):
    return client.post(
        f"/api/claims/{claim.public_id}/transition/", {"status": to_status}, content_type="application/json"
    )


def test_an_editor_who_rewrote_a_claim_cannot_approve_it_after_someone_else_edits_its_notes(
    curator, editor, curator_client, editor_client
):
    """Regression (issue 18.1): the rule looked only at updated_by, so a notes-only edit by anyone
    else let the editor who rewrote the claim approve it."""
    claim = _claim_in_review(curator)
    claim_update(claim=claim, user=editor, statement="Drug efflux makes tumours resist chemotherapy.")
    response = curator_client.patch(
        f"/api/claims/{claim.public_id}/", {"notes": "Checked the wording."}, content_type="application/json"
    )
    assert response.status_code == 200
    assert Claim.objects.get(pk=claim.pk).updated_by == curator
    response = _transition(editor_client, claim, S.APPROVED)
    assert response.status_code == 403
    assert "content since it was last reviewed" in response.json()["detail"]
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW
    assert S.APPROVED not in allowed_transitions(Claim.objects.get(pk=claim.pk), editor)


def test_an_editor_who_only_annotated_a_claim_may_approve_it(curator, editor, editor_client):
    claim = _claim_in_review(curator)
    claim_update(claim=claim, user=editor, notes="Looked at the figure.")
    response = _transition(editor_client, claim, S.APPROVED)
    assert response.status_code == 200, response.json()
    assert Claim.objects.get(pk=claim.pk).status == S.APPROVED


def test_a_review_decision_clears_earlier_content_edits(curator, editor, second_editor, editor_client):
    """After a rejection and the author's fix, the editor who rewrote it before the decision may decide again."""
    claim = _claim_in_review(curator)
    claim_update(claim=claim, user=editor, exosome_source="Serum.")
    claim_transition(
        claim=Claim.objects.get(pk=claim.pk), user=second_editor, to_status=S.REJECTED, reason="Wrong source."
    )
    claim_update(claim=Claim.objects.get(pk=claim.pk), user=curator, exosome_source="Plasma.")
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW
    assert _transition(editor_client, claim, S.APPROVED).status_code == 200


def test_a_curator_who_created_a_claim_and_became_editor_cannot_approve_it(editor, curator):
    claim = _claim_in_review(editor)
    claim_update(claim=claim, user=curator, notes="Annotated by a curator.")
    with pytest.raises(PermissionDenied, match="another editor must review it"):
        claim_transition(claim=Claim.objects.get(pk=claim.pk), user=editor, to_status=S.APPROVED)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"citation_support": v.CitationSupport.CONTRADICTED}, "citation support"),
        ({"exosome_source": "Urine."}, "exosome source"),
        ({"statement": "Efflux pumps make tumours resist chemotherapy."}, "statement"),
    ],
)
def test_changing_reviewed_content_of_an_approved_claim_sends_it_back_with_the_reason_shown(
    curator, editor, curator_client, changes, named
):
    """Regression (issue 18.2): a curator changed citation_support on an approved claim and it stayed approved."""
    claim = _claim_in_review(curator)
    claim_transition(claim=claim, user=editor, to_status=S.APPROVED)
    response = curator_client.patch(
        f"/api/claims/{claim.public_id}/", changes, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == S.IN_REVIEW
    change = StatusChange.objects.filter(claim=claim).last()
    assert (change.from_status, change.to_status, change.changed_by) == (S.APPROVED, S.IN_REVIEW, curator)
    assert named in change.reason
    history = curator_client.get(f"/claims/{claim.public_id}/history/")
    assert change.reason in history.content.decode()


def test_changing_the_notes_of_an_approved_claim_keeps_it_approved(curator, editor, curator_client):
    claim = _claim_in_review(curator)
    claim_transition(claim=claim, user=editor, to_status=S.APPROVED)
    response = curator_client.patch(
        f"/api/claims/{claim.public_id}/",
        {"notes": "See also the 2021 follow-up."},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == S.APPROVED


def test_every_updatable_field_is_either_reviewed_content_or_an_annotation():
    assert REVIEWED_FIELDS.isdisjoint(ANNOTATION_FIELDS)
    assert UPDATABLE - {"occurrence"} == REVIEWED_FIELDS | ANNOTATION_FIELDS
