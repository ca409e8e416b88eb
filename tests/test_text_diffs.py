"""Text changes read sentence by sentence, in a claim's history and in the edit form's preview."""

import pytest

from claims.forms import ClaimForm
from claims.models import Drug
from claims.services.claim_writes import claim_update
from claims.services.text_diff import sentence_diff
from tests.factories import make_claim
from tests.test_curation_views import NEW as NEW_CLAIM
from tests.test_curation_views import _form

pytestmark = pytest.mark.django_db
KEPT = "Exosomes from resistant cells carry efflux pumps."
OLD = "They make recipient cells resist doxorubicin."
NEW = "Recipient cells then pump the drug out faster than it enters."


@pytest.fixture
def draft(curator):
    return make_claim(curator, statement=f"{KEPT} {OLD}", drugs=[Drug.objects.get(slug="doxorubicin")])


def _edit(claim, **changes):
    initial = {k: ("" if value is None else value) for k, value in ClaimForm.initial_for(claim).items()}
    return {**initial, **changes}


def test_a_rewritten_sentence_reads_as_removed_then_added_and_the_kept_one_as_it_was():
    assert sentence_diff(f"{KEPT} {OLD}", f"{KEPT} {NEW}") == [
        ("equal", f"{KEPT} "),
        ("delete", OLD),
        ("insert", NEW),
    ]


def test_an_edited_sentence_is_marked_word_by_word():
    assert sentence_diff(f"{OLD} {KEPT}", f"{OLD.replace('doxorubicin', 'tamoxifen')} {KEPT}") == [
        ("equal", "They make recipient cells resist "),
        ("delete", "doxorubicin."),
        ("insert", "tamoxifen."),
        ("equal", f" {KEPT}"),
    ]


def test_decimals_do_not_end_a_sentence():
    assert sentence_diff("Uptake rose 2.5 fold.", "Uptake rose 3.5 fold.") == [
        ("equal", "Uptake rose "),
        ("delete", "2.5"),
        ("insert", "3.5"),
        ("equal", " fold."),
    ]


def test_the_history_page_shows_a_rewritten_sentence_removed_and_added(client, draft, curator):
    claim_update(claim=draft, user=curator, statement=f"{KEPT} {NEW}")
    html = client.get(f"/claims/{draft.public_id}/history/").content.decode()
    assert f"{KEPT} <del>{OLD}</del><ins>{NEW}</ins>" in html


def test_the_edit_preview_shows_each_changed_field_before_and_after(curator_client, draft):
    doxorubicin = Drug.objects.get(slug="doxorubicin")
    tamoxifen = Drug.objects.get(slug="tamoxifen")
    data = _edit(draft, statement=f"{KEPT} {NEW}", drugs="tamoxifen", action="preview")
    response = curator_client.post(f"/claims/{draft.public_id}/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    preview = html[html.index('class="data-table changes preview-diffs"') :]
    assert f"{KEPT} <del>{OLD}</del><ins>{NEW}</ins>" in preview
    assert f"+ {tamoxifen.name}</p>" in preview and f"− {doxorubicin.name}</p>" in preview


def test_html_in_the_text_is_escaped_in_the_history_and_the_preview(client, curator_client, draft, curator):
    typed = f"{KEPT} <script>alert(1)</script> is <b>bold</b>."
    response = curator_client.post(
        f"/claims/{draft.public_id}/edit/", _edit(draft, statement=typed, action="preview")
    )
    preview = response.content.decode()
    assert "<script>alert(1)</script>" not in preview and "<b>bold" not in preview
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt; is &lt;b&gt;bold&lt;/b&gt;.</ins>" in preview
    claim_update(claim=draft, user=curator, statement=typed)
    history = client.get(f"/claims/{draft.public_id}/history/").content.decode()
    assert "<script>alert(1)</script>" not in history
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt; is &lt;b&gt;bold&lt;/b&gt;.</ins>" in history


def test_a_new_claims_preview_has_no_before_and_after(curator_client):
    html = curator_client.post(NEW_CLAIM, {**_form(), "action": "preview"}).content.decode()
    assert "preview-diffs" not in html
