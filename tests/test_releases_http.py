"""Data releases over HTTP (issue #15, item 11): /releases/ serves what make_release wrote in
EXOCLAIMS_RELEASES_DIR, each file with its checksum, the changelog, the licences, and a Frictionless
datapackage.json that `frictionless validate` accepts; no request reaches a file a release does not list."""

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from claims.exports import CSV_COLUMNS
from claims.models import Claim

pytestmark = pytest.mark.django_db
FRICTIONLESS = Path(sys.executable).with_name("frictionless")
FILES = {
    "claims.json",
    "claims.csv",
    "citations.bib",
    "citations.csl.json",
    "CHANGELOG.md",
    "LICENSE.md",
    "datapackage.json",
}


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def releases_dir(tmp_path, settings):
    settings.EXOCLAIMS_RELEASES_DIR = tmp_path / "releases"
    return settings.EXOCLAIMS_RELEASES_DIR


def _make_release(version):
    """The command as an operator runs it: no --output-dir, so the setting decides."""
    call_command("make_release", version, stdout=io.StringIO())


@pytest.fixture
def release(releases_dir):
    _make_release("1.0")
    return releases_dir / "1.0"


def _listing(client):
    response = client.get("/releases/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["releases"]


def test_the_list_shows_a_release_made_by_the_command(client, release):
    (listed,) = _listing(client)
    assert listed["version"] == "1.0" and listed["previous_version"] is None
    assert listed["counts"]["claims"] == Claim.objects.exclude(status="rejected").count()
    assert listed["url"] == "http://testserver/releases/1.0/"
    assert {f["name"] for f in listed["files"]} == FILES
    assert listed["licence"]["name"] == "CC-BY-4.0"

    page = client.get("/releases/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Accept" in page["Vary"] and 'href="http://testserver/releases/1.0/"' in page.content.decode()


def test_releases_are_read_from_the_directory_on_each_request_newest_first(client, releases_dir):
    assert _listing(client) == []
    assert b"No release has been published yet" in client.get("/releases/").content
    _make_release("1.0")
    _make_release("1.2")
    _make_release("1.10")
    assert [r["version"] for r in _listing(client)] == ["1.10", "1.2", "1.0"]


def test_every_file_served_matches_its_checksum(client, release):
    (listed,) = _listing(client)
    sums = client.get(listed["checksums"])
    assert sums.status_code == 200 and sums["Content-Type"] == "text/plain; charset=utf-8"
    lines = set(b"".join(sums.streaming_content).decode().splitlines())
    for entry in listed["files"]:
        response = client.get(entry["url"])
        assert response.status_code == 200, entry["name"]
        data = b"".join(response.streaming_content)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        assert data == (release / entry["name"]).read_bytes()
        assert response["Content-Type"].split(";")[0] == entry["media_type"]
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert response["Repr-Digest"] == f"sha-256=:{digest}:"
        assert "immutable" in response["Cache-Control"]
        assert f"{entry['sha256']}  {entry['name']}" in lines
    assert client.get("/releases/1.0/citations.csl.json")["Content-Type"] == (
        "application/vnd.citationstyles.csl+json; charset=utf-8"
    )


def test_the_release_page_shows_files_checksums_changelog_and_licences(client, release):
    page = client.get("/releases/1.0/")
    assert page.status_code == 200 and "Accept" in page["Vary"]
    body = page.content.decode()
    manifest = json.loads((release / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        assert f'href="http://testserver/releases/1.0/{name}"' in body and entry["sha256"] in body
    assert "## Added (" in body and "Creative Commons Attribution 4.0 International" in body
    assert "CC BY 4.0" in body and manifest["how_to_cite"] in body
    as_json = client.get("/releases/1.0/", {"format": "json"}).json()
    assert as_json["version"] == "1.0" and {f["name"] for f in as_json["files"]} == FILES
    assert client.get("/releases/1.0/", {"format": "csv"}).status_code == 400


def test_the_licences_are_stated_in_the_package(client, release):
    licence = b"".join(client.get("/releases/1.0/LICENSE.md").streaming_content).decode()
    assert "curated data" in licence and "https://creativecommons.org/licenses/by/4.0/" in licence
    assert "10.3389/fbioe.2023.1214648" in licence and "CC BY 4.0" in licence
    package = json.loads(b"".join(client.get("/releases/1.0/datapackage.json").streaming_content))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    (claims,) = [r for r in package["resources"] if r["path"] == "claims.csv"]
    assert [field["name"] for field in claims["schema"]["fields"]] == CSV_COLUMNS


def _download(client, target):
    """The release as a user gets it: each file over HTTP, into ``target``."""
    for entry in _listing(client)[0]["files"]:
        (target / entry["name"]).write_bytes(b"".join(client.get(entry["url"]).streaming_content))


def _frictionless_validate(directory):
    return subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json", "--json"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_frictionless_validates_the_downloaded_data_package(client, release, tmp_path):
    downloaded = tmp_path / "downloaded"
    downloaded.mkdir()
    _download(client, downloaded)
    result = _frictionless_validate(downloaded)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"] is True, result.stdout[-3000:]
    assert {task["name"] for task in report["tasks"]} >= {"claims-csv", "claims-json", "citations-bib"}


def test_frictionless_catches_a_damaged_file(client, release, tmp_path):
    """The validator really reads the files: one changed byte fails the checksum."""
    downloaded = tmp_path / "downloaded"
    downloaded.mkdir()
    _download(client, downloaded)
    csv_file = downloaded / "claims.csv"
    csv_file.write_bytes(csv_file.read_bytes().replace(b"CLM-0001", b"CLM-000X", 1))
    result = _frictionless_validate(downloaded)
    assert result.returncode != 0 and json.loads(result.stdout)["valid"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/releases/1.0/..%2F..%2Fsecret.txt",
        "/releases/1.0/%2e%2e%2fsecret.txt",
        "/releases/..%2Fsecret.txt/x",
        "/releases/../secret.txt",
        "/releases/1.0/../../secret.txt",
        "/releases/1.0/unlisted.txt",
        "/releases/1.0/.hidden",
        "/releases/1.0//etc/passwd",
        "/releases/..%2F1.0/claims.csv",
        "/releases/1.0%2F..%2F..%2F/secret.txt",
    ],
)
def test_a_path_outside_what_a_release_lists_is_refused(client, release, path):
    (release.parent.parent / "secret.txt").write_text("SECRET")
    (release.parent / "secret.txt").write_text("SECRET")
    (release / "unlisted.txt").write_text("SECRET")
    (release / ".hidden").write_text("SECRET")
    response = client.get(path)
    assert response.status_code == 404
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"SECRET" not in body


def test_a_listed_name_that_is_a_link_out_of_the_release_is_refused(client, release, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("SECRET")
    (release / "CHANGELOG.md").unlink()
    (release / "CHANGELOG.md").symlink_to(outside)
    response = client.get("/releases/1.0/CHANGELOG.md")
    assert response.status_code == 404 and b"SECRET" not in response.content


def test_an_unknown_release_is_a_404_and_a_damaged_one_is_left_out(client, release, releases_dir):
    assert client.get("/releases/9.9/").status_code == 404
    assert client.get("/releases/9.9/claims.csv").status_code == 404
    (releases_dir / "2.0").mkdir()
    (releases_dir / "2.0" / "manifest.json").write_text("{ not json")
    assert [r["version"] for r in _listing(client)] == ["1.0"]
    assert client.get("/releases/2.0/").status_code == 404


@pytest.mark.django_db
def test_every_page_links_to_the_releases_and_the_vocabulary(client):
    """Readers find the releases and the exo: vocabulary from any page's footer."""
    for path in ["/", "/claims/", "/citations/"]:
        body = client.get(path).content.decode()
        assert 'href="/releases/"' in body and 'href="/terms"' in body, path
