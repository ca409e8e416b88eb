"""Issue 17, items 2 and 3, where the last sessions left gaps: a preview made after someone else
saved the claim says so and shows what saving would really do, and a bulk approval or rejection in
the admin is undone (back to review) in one step."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from claims import vocabulary as v
from claims.forms import ClaimForm
from claims.models import Claim, Drug, StatusChange
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition
from tests.factories import make_claim, reviewable_claims
from tests.pages import text_of

S = v.CurationStatus
CHANGELIST = "/admin/claims/claim/"
STATEMENT = "Efflux pumps make tumour cells resist chemotherapy."


@pytest.fixture
def draft(curator):
    return make_claim(curator, drugs=[Drug.objects.get(slug="doxorubicin")])


def _opened(claim):
    """The edit form's fields as the curator's browser holds them after opening the claim."""
    return {k: ("" if value is None else value) for k, value in ClaimForm.initial_for(claim).items()}


def _words(response):
    return " ".join(text_of(response.content.decode()).split())


# Item 3: the preview of an edit overtaken by another one.


@pytest.mark.django_db
def test_a_preview_after_someone_else_saved_says_so_and_keeps_their_change_out_of_yours(
    curator_client, other_curator, draft
):
    """Regression (issue 17, "stale preview"): the preview compared the form with the newer version,
    so another curator's note read as the curator's own change ("You are changing: Curator notes")."""
    opened = _opened(draft)
    claim_update(claim=draft, user=other_curator, notes="Checked against the paper's Figure 2.")
    response = curator_client.post(
        f"/claims/{draft.public_id}/edit/", {**opened, "statement": STATEMENT, "action": "preview"}
    )
    assert response.status_code == 200
    words = _words(response)
    assert (
        f"{draft.public_id} was saved by someone else after you opened it: you started from version "
        f"{draft.version - 1}, it is now version {draft.version}." in words
    )
    assert "Saving keeps their changes to: Curator notes." in words
    assert "You are changing: Statement." in words, "only the curator's own change"
    html = response.content.decode()
    table = html[html.index('class="data-table changes preview-diffs"') :].split("</table>")[0]
    assert "Statement" in table and "Curator notes" not in table and "Figure 2" not in table
    # The claim as saving will leave it: the note saved meanwhile, not the form's older "none".
    assert "<dt>Curator notes</dt><dd>Checked against the paper&#x27;s Figure 2.</dd>" in html

    saved = curator_client.post(
        f"/claims/{draft.public_id}/edit/", {**opened, "statement": STATEMENT, "action": "save"}
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert (draft.statement, draft.notes) == (STATEMENT, "Checked against the paper's Figure 2."), (
        "the save did what the preview said"
    )


@pytest.mark.django_db
def test_a_preview_warns_when_both_changed_the_same_field(curator_client, other_curator, draft):
    opened = _opened(draft)
    claim_update(claim=draft, user=other_curator, statement="Another curator's wording.")
    response = curator_client.post(
        f"/claims/{draft.public_id}/edit/", {**opened, "statement": STATEMENT, "action": "preview"}
    )
    words = _words(response)
    assert "You and they both changed: Statement. Saving will stop and show both values" in words
    assert "Saving keeps their changes" not in words


@pytest.mark.django_db
def test_a_preview_of_the_current_version_says_nothing_of_others(curator_client, draft):
    response = curator_client.post(
        f"/claims/{draft.public_id}/edit/", {**_opened(draft), "statement": STATEMENT, "action": "preview"}
    )
    words = _words(response)
    assert "You are changing: Statement." in words and "saved by someone else" not in words
    assert 'id="preview-overtaken"' not in response.content.decode()


# Item 2: a bulk approval or rejection undone in one step.


def _undo_form(html):
    found = re.search(r'<form method="post" action="([^"]+)" id="bulk-undo".*?</form>', html, re.S)
    return found and (found.group(1), found.group(0))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status", "extra"),
    [("approve", S.APPROVED, {"comment": ""}), ("reject", S.REJECTED, {"reason": "Off topic."})],
)
def test_a_bulk_decision_is_undone_in_one_step(editor_client, editor, action, status, extra):
    claims = reviewable_claims(3)
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in claims], "apply": "go", **extra}
    done = editor_client.post(CHANGELIST, data, follow=True)
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == [status] * 3
    url, form = _undo_form(done.content.decode())
    verb = "approved" if status == S.APPROVED else "rejected"
    assert f"Undo: send the 3 claims just {verb} back to review" in text_of(form)

    undone = editor_client.post(
        url, {"claims": re.findall(r'name="claims" value="([^"]+)"', form)}, follow=True
    )
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == [S.IN_REVIEW] * 3
    assert "3 claims sent back to review." in [str(m) for m in get_messages(undone.wsgi_request)] or (
        "3 claims sent back to review." in _words(undone)
    )
    last = StatusChange.objects.filter(claim=claims[0]).latest("changed_at")
    assert (last.from_status, last.to_status, last.changed_by) == (status, S.IN_REVIEW, editor)
    assert (
        last.reason
        == f"Undo of a bulk {action.replace('approve', 'approval').replace('reject', 'rejection')}."
    )
    assert _undo_form(undone.content.decode()) is None, "the offer is made once"


@pytest.mark.django_db
def test_undo_leaves_a_claim_changed_since_the_bulk_action_alone(editor_client, editor, curator):
    claims = reviewable_claims(2)
    data = {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk for c in claims], "apply": "go", "comment": ""}
    url, form = _undo_form(editor_client.post(CHANGELIST, data, follow=True).content.decode())
    moved = Claim.objects.get(pk=claims[1].pk)
    claim_transition(claim=moved, user=curator, to_status=S.IN_REVIEW)
    claim_update(claim=moved, user=curator, notes="Edited after the approval.")

    undone = editor_client.post(
        url, {"claims": re.findall(r'name="claims" value="([^"]+)"', form)}, follow=True
    )
    assert Claim.objects.get(pk=claims[0].pk).status == S.IN_REVIEW
    assert Claim.objects.get(pk=claims[1].pk).version == moved.version, "nothing overwritten"
    words = _words(undone)
    assert "1 claim sent back to review; 1 refused." in words
    assert f"{claims[1].public_id} was not changed: it changed after the bulk action" in words


@pytest.mark.django_db
def test_undo_asks_for_a_post_and_the_right_to_change_claims(editor_client, reader_client):
    assert editor_client.get(f"{CHANGELIST}undo/").status_code == 405
    (claim,) = reviewable_claims(1)
    refused = reader_client.post(f"{CHANGELIST}undo/", {"claims": [f"{claim.public_id}:{claim.version}"]})
    assert refused.status_code in (302, 403) and Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW


@pytest.mark.django_db
def test_a_malformed_undo_changes_nothing(editor_client):
    (claim,) = reviewable_claims(1)
    response = editor_client.post(
        f"{CHANGELIST}undo/", {"claims": ["nonsense", f"{claim.public_id}:x"]}, follow=True
    )
    assert response.status_code == 200 and "Nothing to undo" in _words(response)
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW


# The same in Chromium: an editor approves three claims, then undoes it with one click.


@pytest.mark.browser
def test_an_editor_undoes_a_bulk_approval_with_one_click(page, editor):
    claims = reviewable_claims(3)
    page.sign_in("editor")
    page.open(f"{CHANGELIST}?status=in_review")
    for claim in claims:
        page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.fill("#id_comment", "Section 3, checked.")
    page.click("input[name=apply]")
    undo = page.locator("#bulk-undo button")
    undo.wait_for()
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == [S.APPROVED] * 3
    page.screenshot_as("admin-bulk-undo-offer")
    undo.click()
    page.wait_for_selector("text=3 claims sent back to review.")
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == [S.IN_REVIEW] * 3
    assert page.locator("#bulk-undo").count() == 0


@pytest.mark.browser
def test_a_curator_previewing_an_overtaken_edit_reads_what_saving_will_do(
    page, curator, other_curator, draft
):
    page.sign_in("curator")
    page.open(f"/claims/{draft.public_id}/edit/")
    claim_update(claim=draft, user=other_curator, notes="Checked against the paper's Figure 2.")
    page.fill("#id_statement", STATEMENT)
    page.click("button[value=preview]")
    callout = page.locator("#preview-overtaken")
    callout.wait_for()
    assert "Saving keeps their changes to: Curator notes." in " ".join(callout.inner_text().split())
    assert page.locator(".preview-changes").inner_text() == "You are changing: Statement."
    page.screenshot_as("curation-preview-overtaken")
    page.click("button[value=save]")
    page.wait_for_url(f"**/claims/{draft.public_id}/")
    draft.refresh_from_db()
    assert (draft.statement, draft.notes) == (STATEMENT, "Checked against the paper's Figure 2.")
