"""A curator creates a claim in the browser and sends it to review; another user (an editor) approves it."""

import re

import pytest

from claims import vocabulary as v
from claims.models import Claim, Drug, Mechanism, StatusChange

pytestmark = pytest.mark.browser
QUOTE = "However, increased drug efflux could lead to chemoresistance."


def _sign_out(page):
    page.click(".account form button")
    page.wait_for_selector("a[href^='/accounts/login/']")


def test_create_submit_and_approve_by_another_user(page, curator, editor):
    page.sign_in("curator")
    page.open("/claims/new/")
    page.select_option("#id_section", "3.1")
    page.fill("#id_quote", QUOTE)
    page.fill("#id_statement", "Cells that pump more drug out become resistant to chemotherapy.")
    page.select_option("#id_direction", v.Direction.BACKGROUND)
    page.select_option("#id_therapy_class", v.TherapyClass.CHEMOTHERAPY)

    # The suggestions come from the server as the curator types (the alias finds the drug).
    page.type("#id_drugs", "AD")
    page.locator("#drug-options option[value='ADM']").wait_for(state="attached")
    page.fill("#id_drugs", "ADM")
    page.screenshot_as("curation-claim-form")

    page.click("button[value=preview]")
    preview = page.locator(".claim-preview")
    preview.wait_for()
    assert preview.locator("mark.quote").inner_text() == QUOTE
    assert "doxorubicin" in preview.inner_text()
    page.screenshot_as("curation-claim-preview")
    assert Claim.objects.filter(quote=QUOTE).count() == 0, "a preview writes nothing"

    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/claims/CLM-\d+/$"))
    claim = Claim.objects.get(quote=QUOTE)
    assert (claim.status, claim.created_by, claim.quote_end - claim.quote_start) == (
        "draft",
        curator,
        len(QUOTE),
    )
    assert list(claim.drugs.all()) == [Drug.objects.get(slug="doxorubicin")]

    page.open(f"/claims/{claim.public_id}/edit/")
    page.click(".curation-panel button:has-text('Send to review')")
    page.wait_for_url(f"**/claims/{claim.public_id}/edit/")
    assert page.locator(".curation-panel .status").inner_text() == "In review"
    assert page.locator(".curation-panel :text('Approve')").count() == 0, "curators cannot approve"
    _sign_out(page)

    page.sign_in("editor")
    page.open(f"/claims/{claim.public_id}/edit/")
    page.screenshot_as("curation-editor-review")
    page.click(".curation-panel a:has-text('Approve')")  # approving asks for confirmation first
    page.click(f"form.stacked-form button:has-text('Approve {claim.public_id}')")
    page.wait_for_url(f"**/claims/{claim.public_id}/edit/")
    assert page.locator(".curation-panel .status").inner_text() == "Approved"

    claim.refresh_from_db()
    assert claim.status == v.CurationStatus.APPROVED
    trail = list(StatusChange.objects.filter(claim=claim).values_list("to_status", "changed_by__username"))
    assert trail == [("in_review", "curator"), ("approved", "editor")]

    page.open(f"/claims/{claim.public_id}/history/")
    assert page.locator(".revision").count() == 3
    page.screenshot_as("curation-claim-history")


def test_an_editor_sets_the_mechanism_of_two_claims_from_the_admin(page, editor):
    claims = list(Claim.objects.filter(mechanism__isnull=True).order_by("public_id")[:2])
    mechanism = Mechanism.objects.order_by("name").first()
    page.sign_in("editor")
    page.open(f"/admin/claims/claim/?q={claims[0].public_id[:-1]}")
    page.screenshot_as("curation-admin-changelist")
    for claim in claims:
        page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "set_mechanism")
    page.click("button[name=index]")
    page.wait_for_selector("text=Set the mechanism")
    page.click(".select2-selection")  # the admin's autocomplete widget
    page.fill(".select2-search__field", mechanism.name[:6])
    page.click(f".select2-results__option:has-text('{mechanism.name}')")
    page.screenshot_as("curation-admin-set-mechanism")
    page.click("input[name=apply]")
    page.wait_for_selector(".messagelist")
    assert [Claim.objects.get(pk=c.pk).mechanism for c in claims] == [mechanism, mechanism]
