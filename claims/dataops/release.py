"""Versioned, citable data releases: the claims as JSON and CSV, the cited works as BibTeX and
CSL-JSON, with a changelog and licences, as a Frictionless Data Package.

A release is a directory ``<output>/<VERSION>/`` holding claims.json, claims.csv (the columns of
claims.exports, as the API's CSV download writes them), citations.bib and citations.csl.json (the
works the released claims cite), CHANGELOG.md, LICENSE.md, datapackage.json (claims.dataops.
datapackage), manifest.json (version, date, how to cite, the source review, counts, and a SHA-256
checksum of every file) and SHA256SUMS (for ``sha256sum -c``). /releases/ serves them
(claims.views.releases) from settings.EXOCLAIMS_RELEASES_DIR, through ``published_releases`` and
``release_file`` here, which serve only the files a release's manifest lists.

A release holds every claim that is not rejected; each row carries its curation status, so users
who want only editor-approved claims filter on it. The changelog compares with the previous
release in the same directory (the highest version): claims added, changed (naming the fields),
and retracted (rejected or deleted since). Versions are dotted numbers and only ever increase;
a release directory is written beside its final place and renamed into it, so it is complete or
absent, never half-written.
"""

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

from django.utils import timezone

from claims import vocabulary as v
from claims.dataops.backup import consistent_read
from claims.dataops.datapackage import datapackage, licence_text
from claims.exports import CSV_COLUMNS, LIST_SEPARATOR, claim_csv_row, csv_lines
from claims.identifiers import DOI_IRI
from claims.models import Claim, Source
from claims.selectors import claims_with_relations
from claims.services.bibtex import citations_of_claims, citations_to_bibtex
from claims.services.citation_formats import citations_to_csl_json_stream

VERSION_FORMAT = re.compile(r"^\d+(\.\d+){0,3}$")
LIST_COLUMNS = {"citations", "citation_dois", "drugs", "cargo", "cargo_types", "cell_lines"}
# Columns that change without the claim changing (a re-save, another base URL): not "changed".
UNCOMPARED = {"url", "updated"}
FILES = ["claims.json", "claims.csv", "citations.bib", "citations.csl.json", "CHANGELOG.md", "LICENSE.md"]
# Beside the files the manifest checksums: the manifest itself and the checksums list.
UNLISTED = {"manifest.json", "SHA256SUMS"}


class ReleaseError(Exception):
    pass


@dataclass(frozen=True)
class Release:
    version: str
    directory: Path
    previous: str | None
    claims: int
    citations: int
    added: list[str]
    changed: list[tuple[str, list[str]]]  # [(public id, [field, ...])]
    retracted: list[tuple[str, str]]  # [(public id, why)]


# A claim as released: its CSV row, list columns as lists.
type Record = dict[str, Any]


def _version_key(version: str) -> tuple[int, ...]:
    numbers = [int(part) for part in version.split(".")]
    return tuple(numbers + [0] * (4 - len(numbers)))  # 1.0 and 1.0.0 are the same version


def _manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the release in ``directory``; ReleaseError if it is not one."""
    manifest = directory / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        _version_key(data["version"])
        if not isinstance(data["files"], dict):
            raise TypeError("'files' is not an object")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReleaseError(f"{manifest} is not a release manifest ({exc}); move it out of the way") from None
    return data


def _release_directories(output_dir: Path) -> list[Path]:
    if not output_dir.is_dir():
        return []
    return [
        d
        for d in sorted(output_dir.iterdir())
        if not d.name.startswith(".") and (d / "manifest.json").is_file()
    ]


def _previous_releases(output_dir: Path) -> dict[str, Path]:
    """{version: directory} of the releases already in ``output_dir``."""
    return {_manifest(directory)["version"]: directory for directory in _release_directories(output_dir)}


def published_releases(output_dir: str | Path) -> list[dict[str, Any]]:
    """The manifests of the releases in ``output_dir``, newest first (damaged ones left out)."""
    manifests = []
    for directory in _release_directories(Path(output_dir)):
        try:
            manifest = _manifest(directory)
        except ReleaseError:
            continue  # make_release names it when it next runs; readers just don't see it
        if manifest["version"] == directory.name:
            manifests.append(manifest)
    return sorted(manifests, key=lambda m: _version_key(m["version"]), reverse=True)


def release_manifest(output_dir: str | Path, version: str) -> dict[str, Any] | None:
    """The manifest of release ``version``, or None (a version that is not one is not a path)."""
    if not VERSION_FORMAT.match(version):
        return None
    directory = Path(output_dir) / version
    if not (directory / "manifest.json").is_file():
        return None
    try:
        return _manifest(directory)
    except ReleaseError:
        return None


def release_file(output_dir: str | Path, version: str, name: str) -> Path | None:
    """The path of file ``name`` of release ``version``, if the release lists it; else None.

    Only names the manifest lists (and the manifest and SHA256SUMS) are served, so a request
    can never name another file, whatever '..', '/' or encoding it carries.
    """
    manifest = release_manifest(output_dir, version)
    if manifest is None or (name not in manifest["files"] and name not in UNLISTED):
        return None
    root = Path(output_dir).resolve()
    path = (root / version / name).resolve()
    if path.parent != root / version or not path.is_file():
        return None
    return path


def _check_version(version: str, releases: Iterable[str], output_dir: Path) -> str | None:
    if not VERSION_FORMAT.match(version or ""):
        raise ReleaseError(
            f"VERSION must be numbers separated by dots, such as 1.0 or 2026.1 (got {version!r})"
        )
    if (output_dir / version).exists() or any(_version_key(r) == _version_key(version) for r in releases):
        raise ReleaseError(f"release {version} already exists in {output_dir}; a release is never rewritten")
    latest = max(releases, key=_version_key, default=None)
    if latest is not None and _version_key(version) < _version_key(latest):
        raise ReleaseError(
            f"version {version} is lower than the latest release, {latest}; choose a version above {latest}"
        )
    return latest


def _record(row: dict[str, str]) -> Record:
    """A claim's CSV row with its list columns as JSON lists."""
    return {
        name: (value.split(LIST_SEPARATOR) if value else []) if name in LIST_COLUMNS else value
        for name, value in row.items()
    }


def source_citation(source: Source) -> str:
    """The review as a reference: authors, title, journal, year;volume:article, DOI."""
    volume = f";{source.volume}" if source.volume else ""
    number = f":{source.article_number}" if source.article_number else ""
    return (
        f"{source.authors}. {source.title}. {source.journal}. {source.year}{volume}{number}. doi:{source.doi}"
    )


def _changes(
    previous_claims: list[Record], records: list[Record]
) -> tuple[list[str], list[tuple[str, list[str]]], list[tuple[str, str]]]:
    before = {claim["id"]: claim for claim in previous_claims}
    added: list[str] = []
    changed: list[tuple[str, list[str]]] = []
    for record in records:
        old = before.get(record["id"])
        if old is None:
            added.append(record["id"])
            continue
        fields = [name for name in CSV_COLUMNS if name not in UNCOMPARED and old.get(name) != record[name]]
        if fields:
            changed.append((record["id"], fields))
    gone = sorted(set(before) - {record["id"] for record in records})
    rejected = dict(
        Claim.objects.filter(public_id__in=gone, status=v.CurationStatus.REJECTED).values_list(
            "public_id", "rejection_reason"
        )
    )
    retracted = [(pid, f"rejected: {rejected[pid]}" if pid in rejected else "deleted") for pid in gone]
    return added, changed, retracted


def _one_line(text: object, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _changelog(
    version: str,
    date: str,
    previous: str | None,
    records: list[Record],
    added: list[str],
    changed: list[tuple[str, list[str]]],
    retracted: list[tuple[str, str]],
) -> str:
    statements = {record["id"]: record["statement"] for record in records}
    lines = [f"# ExoClaims data release {version}", ""]
    lines.append(
        f"Released {date}. "
        + (
            f"Changes since release {previous}."
            if previous
            else "The first release: every claim in it is listed as added."
        )
    )
    sections = [
        ("Added", [f"- {pid}: {_one_line(statements[pid])}" for pid in added]),
        ("Changed", [f"- {pid}: {', '.join(fields)}" for pid, fields in changed]),
        ("Retracted", [f"- {pid}: {_one_line(why)}" for pid, why in retracted]),
    ]
    for title, items in sections:
        lines += ["", f"## {title} ({len(items)})", ""] + (items or ["None."])
    return "\n".join(lines) + "\n"


def _write_files(directory: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    checksums: dict[str, dict[str, Any]] = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        (directory / name).write_bytes(data)
        checksums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return checksums


def release_make(
    *, version: str, output_dir: str | Path, base_url: str = "", date: Date | None = None
) -> Release:
    """Write release ``version`` into ``output_dir``/``version``; ReleaseError says why not."""
    output_dir = Path(output_dir)
    releases = _previous_releases(output_dir)
    previous = _check_version(version, releases, output_dir)
    previous_claims: list[Record] = []
    if previous is not None:
        previous_claims = json.loads((releases[previous] / "claims.json").read_text(encoding="utf-8"))[
            "claims"
        ]
    day = (date or timezone.now().date()).isoformat()
    with consistent_read():
        released = Claim.objects.exclude(status=v.CurationStatus.REJECTED)
        shown = claims_with_relations(released.for_display().order_by("public_id"))
        rows = [claim_csv_row(c, base_url) for c in shown]
        records = [_record(row) for row in rows]
        citations = list(citations_of_claims(released))
        sources = list(Source.objects.order_by("pk"))
        added, changed, retracted = _changes(previous_claims, records)
    if not sources:
        raise ReleaseError("the database holds no review yet (run load_review or import_dataset first)")
    cite = (
        f"ExoClaims data release {version} ({day}): claims curated from "
        f"{'; '.join(source_citation(s) for s in sources)}"
    )
    files = {
        "claims.json": json.dumps(
            {"version": version, "date": day, "how_to_cite": cite, "claims": records},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        "claims.csv": "".join(csv_lines(rows)),
        "citations.bib": citations_to_bibtex(citations),
        "citations.csl.json": "".join(citations_to_csl_json_stream(citations)),
        "CHANGELOG.md": _changelog(version, day, previous, records, added, changed, retracted),
        "LICENSE.md": licence_text([(source_citation(s), s.licence, s.licence_url) for s in sources]),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=output_dir, prefix=f".{version}.partial-"))
    try:
        checksums = _write_files(partial, files)
        package = datapackage(
            version=version,
            date=day,
            description=cite,
            sources=[(source_citation(s), DOI_IRI + s.doi) for s in sources],
            checksums=checksums,
            homepage=base_url,
        )
        checksums |= _write_files(
            partial, {"datapackage.json": json.dumps(package, ensure_ascii=False, indent=1) + "\n"}
        )
        manifest = {
            "name": "ExoClaims",
            "version": version,
            "date": day,
            "previous_version": previous,
            "how_to_cite": cite,
            "sources": [
                {
                    "citation": source_citation(s),
                    "doi": s.doi,
                    "licence": s.licence,
                    "licence_url": s.licence_url,
                }
                for s in sources
            ],
            "counts": {
                "claims": len(records),
                "citations": len(citations),
                "added": len(added),
                "changed": len(changed),
                "retracted": len(retracted),
            },
            "files": checksums,
        }
        _write_files(
            partial,
            {
                "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                "SHA256SUMS": "".join(f"{c['sha256']}  {name}\n" for name, c in checksums.items()),
            },
        )
        partial.chmod(0o755)
        partial.rename(output_dir / version)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Release(
        version, output_dir / version, previous, len(records), len(citations), added, changed, retracted
    )
