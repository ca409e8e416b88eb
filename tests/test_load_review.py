"""The load_review command: validate everything, then write it all or nothing, idempotently."""

import shutil
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from claims.dataops.review_fixtures import FIXTURES_DIR
from claims.models import Cargo, Citation, Claim, Drug, Flag, Section
from claims.services.claim_writes import claim_update

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Claim, Citation, Drug, Section, Flag)] + [
        Claim.history.count(),
        Claim.citations.through.objects.count(),
    ]


def test_loading_twice_changes_nothing():
    before = counts()
    out = StringIO()
    call_command("load_review", stdout=out)
    assert counts() == before
    assert "created" not in out.getvalue() and "updated" not in out.getvalue()
    assert "review loaded" in out.getvalue()


@pytest.fixture
def broken_fixtures(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, copy)
    return copy


def test_a_broken_claim_names_the_file_and_entry_and_writes_nothing(broken_fixtures):
    Claim.objects.all().delete()
    claim_file = sorted((broken_fixtures / "claims").glob("*.yaml"))[0]
    text = claim_file.read_text(encoding="utf-8")
    first_id = text.split("id: ", 1)[1].split()[0]
    claim_file.write_text(text.replace("direction: ", "direction: sideways_", 1), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("load_review", fixtures=broken_fixtures)
    message = str(error.value)
    assert claim_file.name in message and first_id in message and "direction" in message
    assert "nothing was written" in message
    assert Claim.objects.count() == 0


def test_a_yaml_syntax_error_gives_the_line(broken_fixtures):
    (broken_fixtures / "citations.yaml").write_text("- key: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"citations.yaml: line \d+: YAML syntax error"):
        call_command("load_review", fixtures=broken_fixtures)


def test_an_unknown_entity_reference_is_named(broken_fixtures):
    claim_file = sorted((broken_fixtures / "claims").glob("*.yaml"))[-1]
    claim_file.write_text(
        claim_file.read_text(encoding="utf-8") + "\n- id: CLM-9999\n  section: '7'\n  quote: Exosomes is\n"
        "  statement: A test.\n  drugs: [unobtainium]\n  therapy_class: general\n  direction: background\n"
        "  model: not_stated\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="CLM-9999: drugs: 'unobtainium' is not a known drugs slug"):
        call_command("load_review", fixtures=broken_fixtures)


def test_a_quote_that_is_not_in_the_review_is_refused(broken_fixtures):
    claim_file = sorted((broken_fixtures / "claims").glob("*.yaml"))[-1]
    claim_file.write_text(
        claim_file.read_text(encoding="utf-8")
        + "\n- id: CLM-9998\n  section: '7'\n  quote: Exosomes are magic.\n"
        "  statement: A test.\n  therapy_class: general\n  direction: background\n  model: not_stated\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="CLM-9998: quote: the quote is not an exact span of the review"):
        call_command("load_review", fixtures=broken_fixtures)


def test_a_claim_a_curator_edited_is_kept(curator):
    claim = Claim.objects.order_by("public_id").first()
    claim.statement, claim.updated_by = "Corrected by a curator.", curator
    claim.save()
    out = StringIO()
    call_command("load_review", stdout=out)
    claim.refresh_from_db()
    assert claim.statement == "Corrected by a curator."
    assert claim.public_id in out.getvalue()


def test_loading_never_blanks_what_curators_added():
    citation = Citation.objects.filter(title="").order_by("key").first()
    citation.title = "Enriched from BibTeX"
    citation.save()
    call_command("load_review", stdout=StringIO())
    citation.refresh_from_db()
    assert citation.title == "Enriched from BibTeX"


def _claims_found(client, word):
    return {c["id"] for c in client.get("/api/claims/", {"q": word, "page_size": 500}).json()["results"]}


def test_an_alias_renamed_in_the_fixtures_reindexes_the_claims_the_loader_keeps(
    broken_fixtures, curator, client
):
    """Regression: load_review re-indexed only the claims it loaded from the fixtures, so a claim a
    curator had edited since (which it keeps as it is) went on being found by the old alias only."""
    cargo = Cargo.objects.exclude(aliases=[]).filter(claims__isnull=False).order_by("slug").distinct().first()
    edited = cargo.claims.order_by("public_id").first()
    claim_update(claim=edited, user=curator, notes="Checked against the cited paper.")
    entities = broken_fixtures / "entities" / "cargo.yaml"
    rows = yaml.safe_load(entities.read_text(encoding="utf-8"))
    row = next(r for r in rows if r["slug"] == cargo.slug)
    row["aliases"] = ["Zzrenamed alias", *row["aliases"][1:]]
    entities.write_text(yaml.safe_dump(rows, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert edited.public_id not in _claims_found(client, "zzrenamed")

    out = StringIO()
    call_command("load_review", fixtures=broken_fixtures, stdout=out)

    assert edited.public_id in out.getvalue()  # kept as the curator edited it...
    found = _claims_found(client, "zzrenamed")
    assert found == set(cargo.claims.values_list("public_id", flat=True))  # ...and found by the new alias
    assert edited.public_id in found
