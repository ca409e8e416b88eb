"""make_release: versioned, citable data releases and their changelog."""

import csv
import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from claims import vocabulary as v
from claims.dataops.release import release_make
from claims.exports import CSV_COLUMNS
from claims.models import Citation, Claim, Source
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition
from tests.factories import make_claim


def _release(version, output_dir, *args):
    out = io.StringIO()
    call_command("make_release", version, "--output-dir", str(output_dir), *args, stdout=out)
    return out.getvalue()


def _released_ids():
    return set(Claim.objects.exclude(status=v.CurationStatus.REJECTED).values_list("public_id", flat=True))


def test_a_first_release_holds_every_claim_not_rejected_as_json_csv_and_bibtex(db, tmp_path):
    output = _release("1.0", tmp_path, "--base-url", "https://exoclaims.example.org/")
    release = tmp_path / "1.0"

    assert f"{len(_released_ids())} claims" in output and "(first release)" in output
    claims = json.loads((release / "claims.json").read_text())
    assert {c["id"] for c in claims["claims"]} == _released_ids()
    first = Claim.objects.get(public_id=claims["claims"][0]["id"])
    assert claims["claims"][0]["url"] == f"https://exoclaims.example.org/claims/{first.public_id}/"
    assert claims["claims"][0]["citations"] == sorted(first.citations.values_list("key", flat=True))
    rows = list(csv.DictReader(io.StringIO((release / "claims.csv").read_text(), newline="")))
    assert list(rows[0]) == CSV_COLUMNS
    assert [row["id"] for row in rows] == [c["id"] for c in claims["claims"]]
    cited = set(Citation.objects.filter(claims__public_id__in=_released_ids()).values_list("key", flat=True))
    assert set(re.findall(r"^@\w+\{([^,]+),", (release / "citations.bib").read_text(), re.M)) == cited
    changelog = (release / "CHANGELOG.md").read_text()
    assert f"## Added ({len(_released_ids())})" in changelog and "## Retracted (0)" in changelog


def test_the_manifest_says_how_to_cite_and_checksums_every_file(db, tmp_path):
    _release("2026.1", tmp_path)
    release = tmp_path / "2026.1"
    manifest = json.loads((release / "manifest.json").read_text())
    review = Source.objects.get()

    assert manifest["version"] == "2026.1" and manifest["previous_version"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", manifest["date"])
    assert f"doi:{review.doi}" in manifest["how_to_cite"] and "release 2026.1" in manifest["how_to_cite"]
    assert manifest["sources"][0]["licence"] == review.licence
    assert set(manifest["files"]) == {
        "claims.json",
        "claims.csv",
        "citations.bib",
        "citations.csl.json",
        "CHANGELOG.md",
        "LICENSE.md",
        "datapackage.json",
    }
    for name, entry in manifest["files"].items():
        data = (release / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    sums = (release / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{e['sha256']}  {name}" for name, e in manifest["files"].items())


def test_the_changelog_lists_claims_added_changed_and_retracted_since_the_previous_release(
    db, tmp_path, curator, editor
):
    _release("1.0", tmp_path)
    edited, rejected, deleted = Claim.objects.filter(status=v.CurationStatus.IN_REVIEW).order_by("public_id")[
        :3
    ]
    claim_update(claim=edited, user=curator, statement="Restated after checking the cited paper.")
    claim_transition(
        claim=rejected, user=editor, to_status=v.CurationStatus.REJECTED, reason="Not in the paper."
    )
    deleted.delete()
    new = make_claim(curator, like=edited, statement="A further finding.")

    output = _release("1.1", tmp_path)

    assert "1 added, 1 changed, 2 retracted since 1.0" in output
    changelog = (tmp_path / "1.1" / "CHANGELOG.md").read_text()
    assert "Changes since release 1.0." in changelog
    assert f"## Added (1)\n\n- {new.public_id}: A further finding.\n" in changelog
    assert f"## Changed (1)\n\n- {edited.public_id}: statement\n" in changelog
    assert f"- {rejected.public_id}: rejected: Not in the paper.\n" in changelog
    assert f"- {deleted.public_id}: deleted\n" in changelog
    manifest = json.loads((tmp_path / "1.1" / "manifest.json").read_text())
    assert manifest["previous_version"] == "1.0"
    assert manifest["counts"] | {"claims": 0, "citations": 0} == {
        "claims": 0,
        "citations": 0,
        "added": 1,
        "changed": 1,
        "retracted": 2,
    }
    released = {c["id"] for c in json.loads((tmp_path / "1.1" / "claims.json").read_text())["claims"]}
    assert released == _released_ids() and rejected.public_id not in released


@pytest.mark.parametrize(
    "version, message",
    [
        ("1.0", "release 1.0 already exists"),
        ("1.0.0", "release 1.0.0 already exists"),
        ("0.9", "version 0.9 is lower than the latest release, 1.0"),
        ("v2", "VERSION must be numbers separated by dots"),
        ("1..2", "VERSION must be numbers separated by dots"),
        ("", "VERSION must be numbers separated by dots"),
    ],
)
def test_an_existing_or_lower_or_malformed_version_is_refused_and_nothing_is_written(
    db, tmp_path, version, message
):
    _release("1.0", tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(CommandError, match=re.escape(message)):
        _release(version, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_damaged_manifest_in_the_releases_directory_is_named(db, tmp_path):
    (tmp_path / "0.5").mkdir()
    (tmp_path / "0.5" / "manifest.json").write_text("{ not json")
    with pytest.raises(CommandError, match=r"0\.5/manifest\.json is not a release manifest"):
        _release("1.0", tmp_path)


def test_a_release_reads_the_database_in_the_same_number_of_queries_whatever_the_size(
    db, tmp_path, curator, django_assert_num_queries
):
    # claims with section and mechanism (1); their citations, drugs, cargo, cell lines (1); the
    # release's citations (1); sources (1); the savepoint (2). (Retracted claims would add one.)
    expected = 4 + (2 if connection.in_atomic_block else 0)
    release_make(version="1.0", output_dir=tmp_path)
    with django_assert_num_queries(expected):
        release_make(version="1.1", output_dir=tmp_path)
    template = Claim.objects.order_by("public_id").first()
    for n in range(3):
        make_claim(curator, like=template, statement=f"Extra {n}.", citations=template.citations.all())
    with django_assert_num_queries(expected):
        release_make(version="1.2", output_dir=tmp_path)
