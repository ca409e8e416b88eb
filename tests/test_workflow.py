"""Who may move a claim between statuses, and flags, as users meet them on the site."""

import pytest

from claims import vocabulary as v
from claims.models import Claim, Flag
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition
from tests.factories import make_claim, make_user, persona_client

pytestmark = pytest.mark.django_db
S = v.CurationStatus


def _claim_in(status, author, editor):
    """A claim written by ``author`` and moved to ``status`` by the proper roles."""
    claim = make_claim(author)
    if status != S.DRAFT:
        claim_transition(claim=claim, user=author, to_status=S.IN_REVIEW)
    if status in (S.APPROVED, S.REJECTED):
        claim_transition(claim=claim, user=editor, to_status=status, reason="Not in the cited paper.")
    return claim


def _snapshot(claim):
    claim = Claim.objects.get(pk=claim.pk)
    return claim.status, claim.version, claim.status_changes.count(), claim.history.count()


# (from, to): the personas that may make the move. The claim's author is "curator".
RULES = {
    (S.DRAFT, S.IN_REVIEW): {"curator", "editor", "admin"},
    (S.IN_REVIEW, S.APPROVED): {"editor", "admin"},
    (S.IN_REVIEW, S.REJECTED): {"editor", "admin"},
    (S.IN_REVIEW, S.DRAFT): {"curator", "editor", "admin"},
    (S.APPROVED, S.IN_REVIEW): {"curator", "editor", "admin"},
    (S.REJECTED, S.IN_REVIEW): {"curator", "editor", "admin"},
    (S.DRAFT, S.APPROVED): set(),
    (S.REJECTED, S.APPROVED): set(),
}
PERSONAS = ["anonymous", "reader", "curator", "editor", "admin"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("from_status", "to_status"), list(RULES))
def test_who_may_make_each_transition(request, persona, from_status, to_status, curator, editor):
    claim = _claim_in(from_status, curator, editor)
    before = _snapshot(claim)
    client = persona_client(request, persona)
    response = client.post(
        f"/claims/{claim.public_id}/transition/",
        {"to_status": to_status, "version": claim.version, "reason": "Checked against the paper."},
    )
    if persona in RULES[(from_status, to_status)]:
        assert response.status_code == 302
        claim.refresh_from_db()
        assert claim.status == to_status
        change = claim.status_changes.last()
        assert (change.from_status, change.to_status, change.changed_by.username) == (
            from_status,
            to_status,
            persona,
        )
    else:
        expected = {"anonymous": 302}.get(persona, 400 if not RULES[(from_status, to_status)] else 403)
        assert response.status_code == expected
        if persona == "anonymous":
            assert response["Location"].startswith("/accounts/login/")
        assert _snapshot(claim) == before


def test_an_editor_cannot_approve_a_claim_they_edited_last(editor_client, curator, editor):
    claim = _claim_in(S.IN_REVIEW, curator, editor)
    claim_update(claim=claim, user=editor, statement="Drug efflux pumps make tumours resistant.")
    before = _snapshot(claim)
    response = editor_client.post(
        f"/claims/{claim.public_id}/transition/", {"to_status": S.APPROVED, "version": before[1]}
    )
    assert response.status_code == 403
    assert "another editor must review it" in response.content.decode()
    assert _snapshot(claim) == before

    second_editor = make_user("second_editor", "editors")
    claim_transition(claim=claim, user=second_editor, to_status=S.APPROVED)
    assert Claim.objects.get(pk=claim.pk).status == S.APPROVED


def test_rejecting_needs_a_reason_which_is_kept(editor_client, curator, editor):
    claim = _claim_in(S.IN_REVIEW, curator, editor)
    before = _snapshot(claim)
    page = editor_client.get(f"/claims/{claim.public_id}/transition/?to_status=rejected")
    assert 'name="reason"' in page.content.decode()

    refused = editor_client.post(
        f"/claims/{claim.public_id}/transition/", {"to_status": S.REJECTED, "version": before[1]}
    )
    assert refused.status_code == 400
    assert "Say why the claim is rejected." in refused.content.decode()
    assert _snapshot(claim) == before

    editor_client.post(
        f"/claims/{claim.public_id}/transition/",
        {"to_status": S.REJECTED, "version": before[1], "reason": "The cited paper studied lung cancer."},
    )
    claim.refresh_from_db()
    assert (claim.status, claim.rejection_reason) == (S.REJECTED, "The cited paper studied lung cancer.")
    assert claim.status_changes.last().reason == "The cited paper studied lung cancer."
    assert claim.history.first().history_user == editor


def test_a_transition_from_a_stale_page_changes_nothing(curator_client, curator, editor):
    claim = make_claim(curator)
    stale_version = claim.version
    claim_update(claim=claim, user=curator, notes="Edited in another tab.")
    before = _snapshot(claim)
    response = curator_client.post(
        f"/claims/{claim.public_id}/transition/", {"to_status": S.IN_REVIEW, "version": stale_version}
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert _snapshot(claim) == before


def test_every_transition_is_recorded_with_who_and_when(curator, editor):
    claim = _claim_in(S.APPROVED, curator, editor)
    claim_transition(claim=claim, user=curator, to_status=S.IN_REVIEW)
    trail = list(claim.status_changes.values_list("from_status", "to_status", "changed_by__username"))
    assert trail == [
        ("draft", "in_review", "curator"),
        ("in_review", "approved", "editor"),
        ("approved", "in_review", "curator"),
    ]
    assert all(change.changed_at is not None for change in claim.status_changes.all())
    reasons = list(
        claim.history.order_by("history_id").values_list("history_change_reason", "history_user__username")
    )
    assert reasons[1:] == [
        ("status: in_review", "curator"),
        ("status: approved", "editor"),
        ("status: in_review", "curator"),
    ]


def test_the_buttons_offered_are_the_moves_allowed(curator_client, editor_client, curator, editor):
    draft = make_claim(curator)
    page = curator_client.get(f"/claims/{draft.public_id}/edit/").content.decode()
    assert "Send to review" in page and "Approve" not in page

    in_review = _claim_in(S.IN_REVIEW, curator, editor)
    page = curator_client.get(f"/claims/{in_review.public_id}/edit/").content.decode()
    assert "Approve" not in page and "Reject…" not in page and "Back to draft" in page
    page = editor_client.get(f"/claims/{in_review.public_id}/edit/").content.decode()
    assert "Approve" in page and "Reject…" in page


def test_anyone_signed_in_can_flag_a_claim_and_it_shows_on_the_claim_page(reader_client, reader):
    claim = Claim.objects.order_by("public_id").first()
    response = reader_client.post(
        f"/claims/{claim.public_id}/flag/",
        {"kind": "wrong_entity", "text": "The drug is paclitaxel, not docetaxel."},
    )
    assert response.status_code == 302
    flag = Flag.objects.get(claim=claim, raised_by=reader)
    assert (flag.kind, flag.is_open) == ("wrong_entity", True)
    detail = reader_client.get(claim.get_absolute_url()).content.decode()
    assert "The drug is paclitaxel, not docetaxel." in detail


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "misquote", "text": "  "}, "text", "This field is required."),
        ({"kind": "rumour", "text": "Looks wrong."}, "kind", "Select a valid choice."),
    ],
)
def test_a_bad_flag_is_refused_with_the_reason(reader_client, data, field, message):
    claim = Claim.objects.order_by("public_id").first()
    flags = Flag.objects.count()
    response = reader_client.post(f"/claims/{claim.public_id}/flag/", data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert Flag.objects.count() == flags


def test_anonymous_visitors_are_asked_to_sign_in_before_flagging(client):
    claim = Claim.objects.order_by("public_id").first()
    flags = Flag.objects.count()
    response = client.post(f"/claims/{claim.public_id}/flag/", {"kind": "misquote", "text": "Cut short."})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Flag.objects.count() == flags


def test_only_editors_resolve_flags(curator_client, editor_client, reader, editor):
    claim = Claim.objects.order_by("public_id").first()
    flag = Flag.objects.create(claim=claim, kind="misquote", text="The quote is cut short.", raised_by=reader)
    assert curator_client.get(f"/flags/{flag.pk}/resolve/").status_code == 403
    assert curator_client.post(f"/flags/{flag.pk}/resolve/", {"resolution": "Fixed."}).status_code == 403
    assert Flag.objects.get(pk=flag.pk).is_open

    assert editor_client.post(f"/flags/{flag.pk}/resolve/", {"resolution": " "}).status_code == 400
    assert Flag.objects.get(pk=flag.pk).is_open
    response = editor_client.post(
        f"/flags/{flag.pk}/resolve/", {"resolution": "Quote extended to the full sentence."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.is_open, flag.resolved_by, flag.resolution) == (
        False,
        editor,
        "Quote extended to the full sentence.",
    )

    again = editor_client.post(f"/flags/{flag.pk}/resolve/", {"resolution": "Twice."})
    assert again.status_code == 400 and "already resolved" in again.content.decode()
    assert Flag.objects.get(pk=flag.pk).resolution == "Quote extended to the full sentence."


def test_editors_resolve_flags_in_bulk_from_the_admin(editor_client, curator_client, reader, editor):
    claims = Claim.objects.order_by("public_id")[:2]
    flags = [
        Flag.objects.create(claim=c, kind="misquote", text="Cut short.", raised_by=reader) for c in claims
    ]
    chosen = {"action": "resolve_flags", "_selected_action": [f.pk for f in flags]}
    assert 'value="resolve_flags"' not in curator_client.get("/admin/claims/flag/").content.decode()

    form = editor_client.post("/admin/claims/flag/", {**chosen, "index": 0})
    assert form.status_code == 200 and 'name="resolution"' in form.content.decode()
    assert all(Flag.objects.get(pk=f.pk).is_open for f in flags)

    editor_client.post(
        "/admin/claims/flag/", {**chosen, "apply": "Resolve", "resolution": "Quotes extended."}
    )
    assert [
        (f.is_open, f.resolved_by, f.resolution) for f in Flag.objects.filter(pk__in=[f.pk for f in flags])
    ] == [(False, editor, "Quotes extended.")] * 2
