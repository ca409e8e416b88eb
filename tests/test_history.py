"""History: one record per write, field-by-field revisions, and restoring an earlier revision."""

import json

import pytest
from django.core.exceptions import ValidationError

from claims import vocabulary as v
from claims.models import CellLine, Claim, Drug
from claims.services.claim_writes import claim_update
from claims.services.history import claim_restore, claim_revisions, word_diff
from claims.services.workflow import claim_transition
from tests.factories import make_claim, persona_client

pytestmark = pytest.mark.django_db
STATEMENT = "More drug efflux can make tumours resistant to chemotherapy."


@pytest.fixture
def draft(curator):
    return make_claim(
        curator,
        statement=STATEMENT,
        drugs=[Drug.objects.get(slug="doxorubicin")],
        cell_lines=[(CellLine.objects.get(slug="mcf-7"), "recipient")],
    )


def _changes(revision):
    return {change.name: change for change in revision.changes}


def test_a_new_claim_has_one_creation_record_holding_its_relations(draft, curator):
    [record] = draft.history.all()
    assert (record.history_type, record.history_user, record.version) == ("+", curator, 1)
    assert [row.drug.slug for row in record.drugs.all()] == ["doxorubicin"]
    link = draft.cell_line_links.get()
    assert link.history.get().history_user == curator


def test_each_edit_adds_one_record_and_an_edit_that_changes_nothing_adds_none(draft, curator, other_curator):
    claim_update(
        claim=draft,
        user=other_curator,
        statement="Tumour cells that pump drugs out resist chemotherapy.",
        drugs=[Drug.objects.get(slug="paclitaxel")],
    )
    assert draft.history.count() == 2
    latest = draft.history.first()
    assert (latest.history_user, latest.version) == (other_curator, 2)
    assert [row.drug.slug for row in latest.drugs.all()] == ["paclitaxel"]

    claim_update(claim=draft, user=curator, statement=draft.statement, drugs=list(draft.drugs.all()))
    assert (draft.history.count(), Claim.objects.get(pk=draft.pk).version) == (2, 2)


def test_revisions_say_field_by_field_what_changed(draft, curator, other_curator, editor):
    claim_update(
        claim=draft,
        user=other_curator,
        statement="More drug efflux makes tumours resistant to chemotherapy.",
        drugs=[Drug.objects.get(slug="paclitaxel")],
        cell_lines=[(CellLine.objects.get(slug="mcf-7"), "donor")],
        therapy_class="general",
    )
    claim_transition(claim=draft, user=curator, to_status="in_review")
    newest, edit, created = claim_revisions(draft)
    assert [r.number for r in (newest, edit, created)] == [3, 2, 1] and newest.is_current
    assert (created.kind, created.user, edit.user, newest.user) == (
        "created",
        curator,
        other_curator,
        curator,
    )

    changes = _changes(edit)
    assert set(changes) == {"statement", "drugs", "cell_lines", "therapy_class"}
    assert ("delete", "can make") in changes["statement"].words and ("insert", "makes") in changes[
        "statement"
    ].words
    assert (changes["drugs"].added, changes["drugs"].removed) == (["paclitaxel"], ["doxorubicin"])
    assert (changes["cell_lines"].added, changes["cell_lines"].removed) == (
        ["MCF-7 (Exosome donor)"],
        ["MCF-7 (Exosome recipient)"],
    )
    assert (changes["therapy_class"].old, changes["therapy_class"].new) == (
        "Chemotherapy",
        "Not therapy-specific",
    )
    assert set(_changes(newest)) == {"status"}
    assert (_changes(newest)["status"].old, _changes(newest)["status"].new) == ("Draft", "In review")


def test_a_claim_loaded_from_the_transcription_reads_as_one_creation():
    claim = Claim.objects.filter(drugs__isnull=False, citations__isnull=False).order_by("public_id").first()
    [revision] = claim_revisions(claim)
    changes = _changes(revision)
    assert revision.kind == "created" and revision.reason == "load_review"
    assert sorted(changes["drugs"].added) == sorted(d.name for d in claim.drugs.all())
    assert sorted(changes["citations"].added) == sorted(c.label for c in claim.citations.all())


def test_word_diff_marks_only_the_changed_words():
    assert word_diff("drug efflux pumps", "drug influx pumps") == [
        ("equal", "drug "),
        ("delete", "efflux"),
        ("insert", "influx"),
        ("equal", " pumps"),
    ]


def test_restoring_brings_back_content_and_relations_as_a_new_reviewed_version(draft, curator, editor):
    claim_transition(claim=draft, user=curator, to_status="in_review")
    claim_transition(claim=draft, user=editor, to_status="approved")
    claim_update(
        claim=draft,
        user=curator,
        statement="A worse statement.",
        drugs=[],
        cell_lines=[(CellLine.objects.get(slug="mda-mb-231"), "studied")],
        notes="Oops.",
    )
    first = claim_revisions(draft)[-1]
    version = Claim.objects.get(pk=draft.pk).version

    claim_restore(claim=draft, history_id=first.record.history_id, user=editor, expected_version=version)

    draft = Claim.objects.get(pk=draft.pk)
    assert (draft.statement, draft.notes, draft.version) == (STATEMENT, "", version + 1)
    assert [d.slug for d in draft.drugs.all()] == ["doxorubicin"]
    assert list(draft.cell_line_links.values_list("cell_line__slug", "role")) == [("mcf-7", "recipient")]
    assert draft.status == v.CurationStatus.IN_REVIEW, "restoring edits content, so it is reviewed again"
    assert draft.history.first().history_change_reason.startswith("restored revision 1")
    assert draft.history.first().history_user == editor


def test_restoring_a_revision_whose_entity_was_deleted_is_refused(draft, curator):
    gone = Drug.objects.create(name="Vanishing drug", slug="vanishing-drug")
    claim_update(claim=draft, user=curator, drugs=[gone])
    with_gone = claim_revisions(draft)[0]
    claim_update(claim=draft, user=curator, drugs=[])
    gone.delete()
    version = Claim.objects.get(pk=draft.pk).version
    with pytest.raises(ValidationError, match="Vanishing drug"):
        claim_restore(claim=draft, history_id=with_gone.record.history_id, user=curator)
    assert Claim.objects.get(pk=draft.pk).version == version


def test_the_history_page_is_public_and_shows_the_diffs(client, draft, other_curator):
    claim_update(claim=draft, user=other_curator, statement="Pumped-out drugs leave tumours resistant.")
    page = client.get(f"/claims/{draft.public_id}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Revision 2" in html and "by other_curator" in html
    assert "<ins>Pumped-out drugs leave tumours resistant.</ins>" in html or "<ins>Pumped-out" in html
    assert "Restore this revision" not in html, "only curators are offered restoring"


def test_the_history_page_costs_the_same_queries_however_long_the_history(
    client, draft, curator, django_assert_num_queries
):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/claims/{draft.public_id}/history/").status_code == 200
        return len(queries)

    claim_update(claim=draft, user=curator, notes="One.")
    short = count()
    for n, slug in enumerate(["paclitaxel", "tamoxifen", "trastuzumab", "doxorubicin"]):
        claim_update(
            claim=draft,
            user=curator,
            notes=f"Note {n}",
            drugs=[Drug.objects.get(slug=slug)],
            cell_lines=[(CellLine.objects.get(slug="mcf-7"), ["donor", "studied"][n % 2])],
        )
    # Session, user, claim, history rows, citations/drugs/cargo as of each row, cell-line links
    # now and their history, then names of citations, drugs, cargo, cell lines, mechanisms,
    # sections, and the status changes.
    with django_assert_num_queries(short):
        assert client.get(f"/claims/{draft.public_id}/history/").status_code == 200


def test_restoring_from_the_site_shows_the_changes_then_restores(curator_client, draft, curator):
    claim_update(claim=draft, user=curator, statement="A statement to undo.")
    first = claim_revisions(draft)[-1]
    url = f"/claims/{draft.public_id}/history/{first.record.history_id}/restore/"
    page = curator_client.get(url)
    [change] = page.context["changes"]
    assert (change.name, change.old, change.new) == ("statement", "A statement to undo.", STATEMENT)
    # a sentence rewritten whole reads as one sentence removed and one added, not scattered words
    assert f"<del>A statement to undo.</del><ins>{STATEMENT}</ins>" in page.content.decode()

    response = curator_client.post(url, {"version": draft.version})
    assert response.status_code == 302
    assert Claim.objects.get(pk=draft.pk).statement == STATEMENT


def test_restoring_from_a_stale_page_changes_nothing(curator_client, draft, curator, other_curator):
    claim_update(claim=draft, user=curator, statement="A statement to undo.")
    stale = Claim.objects.get(pk=draft.pk).version
    claim_update(claim=draft, user=other_curator, notes="Someone else was here.")
    first = claim_revisions(draft)[-1]
    response = curator_client.post(
        f"/claims/{draft.public_id}/history/{first.record.history_id}/restore/", {"version": stale}
    )
    assert response.status_code == 409
    claim = Claim.objects.get(pk=draft.pk)
    assert (claim.statement, claim.notes) == ("A statement to undo.", "Someone else was here.")


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", 302), ("reader", 403)])
def test_only_curators_may_restore(request, draft, curator, persona, expected):
    claim_update(claim=draft, user=curator, statement="A statement to undo.")
    first = claim_revisions(draft)[-1]
    http = persona_client(request, persona)
    url = f"/claims/{draft.public_id}/history/{first.record.history_id}/restore/"
    assert http.post(url, {"version": Claim.objects.get(pk=draft.pk).version}).status_code == expected
    assert Claim.objects.get(pk=draft.pk).statement == "A statement to undo."


def test_an_unknown_revision_is_not_found(curator_client, draft):
    assert curator_client.get(f"/claims/{draft.public_id}/history/999999/restore/").status_code == 404


def test_entity_and_citation_changes_are_kept_with_who_made_them(admin_client, admin_user):
    drug = Drug.objects.get(slug="paclitaxel")
    response = admin_client.post(
        f"/admin/claims/drug/{drug.pk}/change/",
        {
            "name": drug.name,
            "slug": drug.slug,
            "aliases": '["PTX", "Taxol"]',
            "notes": drug.notes,
            "misprints": json.dumps(drug.misprints),
            "drug_class": drug.drug_class,
            "chebi": drug.chebi,
            "drugbank": drug.drugbank,
            "ncit": drug.ncit,
        },
    )
    assert response.status_code == 302
    record = drug.history.first()
    assert (record.history_user, record.aliases) == (admin_user, ["PTX", "Taxol"])
    assert record.diff_against(record.prev_record).changed_fields == ["aliases"]
    assert (
        Claim.objects.filter(drugs=drug).search("taxol").count() == Claim.objects.filter(drugs=drug).count()
    )
