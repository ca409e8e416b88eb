"""/releases/: the data releases make_release wrote, for people (pages) and tools (JSON, files).

Everything is read from settings.EXOCLAIMS_RELEASES_DIR on each request, so every web process
serving that directory shows the same releases, and a new one appears as soon as make_release has
renamed it into place (a release is complete or absent). Files are served only when the release's
manifest lists them (claims.dataops.release.release_file): no path from a request reaches the disk.
"""

import base64
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims.dataops.datapackage import CC_BY, MEDIA_TYPES
from claims.dataops.release import published_releases, release_file, release_manifest
from claims.views.negotiation import HTML, JSON, preferred_type, unknown_format, varying

# A release never changes once written (make_release refuses to rewrite one).
IMMUTABLE = "public, max-age=31536000, immutable"


def _directory():
    return Path(settings.EXOCLAIMS_RELEASES_DIR)


def _summary(request, manifest):
    """A release as the JSON and the pages show it: its facts, and each file with its checksum."""
    version = manifest["version"]
    files = [
        {
            "name": name,
            "url": request.build_absolute_uri(reverse("claims:release-file", args=[version, name])),
            "media_type": MEDIA_TYPES.get(name, "application/octet-stream"),
            "bytes": entry["bytes"],
            "sha256": entry["sha256"],
        }
        for name, entry in manifest["files"].items()
    ]
    return {
        "version": version,
        "date": manifest["date"],
        "previous_version": manifest.get("previous_version"),
        "url": request.build_absolute_uri(reverse("claims:release-detail", args=[version])),
        "how_to_cite": manifest["how_to_cite"],
        "counts": manifest.get("counts", {}),
        "licence": CC_BY,
        "sources": manifest.get("sources", []),
        "files": files,
        "checksums": request.build_absolute_uri(reverse("claims:release-file", args=[version, "SHA256SUMS"])),
    }


def _negotiated(request, template, context, data):
    offered = [HTML, JSON]
    wanted = preferred_type(request, offered)
    if wanted is None:
        return unknown_format(request, offered)
    if wanted == JSON:
        return varying(JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1}))
    return varying(render(request, template, context))


@require_safe
def release_list(request):
    releases = [_summary(request, manifest) for manifest in published_releases(_directory())]
    return _negotiated(request, "claims/releases.html", {"releases": releases}, {"releases": releases})


@require_safe
def release_detail(request, version):
    manifest = release_manifest(_directory(), version)
    if manifest is None:
        raise Http404(f"No data release has the version '{version}'.")
    release = _summary(request, manifest)
    changelog = release_file(_directory(), version, "CHANGELOG.md")
    context = {
        "release": release,
        "changelog": changelog.read_text(encoding="utf-8") if changelog is not None else "",
    }
    return _negotiated(request, "claims/releases_detail.html", context, release)


@require_safe
def release_download(request, version, name):
    path = release_file(_directory(), version, name)
    if path is None:
        raise Http404(f"Data release '{version}' has no file '{name}'.")
    media_type = MEDIA_TYPES.get(name, "application/octet-stream")
    if media_type.startswith("text/") or media_type.endswith(("json", "bibtex")):  # all UTF-8 text
        media_type += "; charset=utf-8"
    response = FileResponse(path.open("rb"), content_type=media_type, filename=name)
    manifest = release_manifest(_directory(), version)
    entry = manifest["files"].get(name) if manifest is not None else None  # None: removed meanwhile
    if entry is not None:
        # The manifest's checksum, as HTTP states a representation's digest (RFC 9530).
        digest = base64.b64encode(bytes.fromhex(entry["sha256"])).decode("ascii")
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["ETag"] = f'"{entry["sha256"]}"'
    response["Cache-Control"] = IMMUTABLE
    return response
