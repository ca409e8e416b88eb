"""Validators and conditional requests: ETag out, If-None-Match (304) and If-Match (412) in.

A claim's ETag is ``"{public_id}-v{version}-{digest}"``: the version part (``Claim.etag``) moves
with every write to the claim itself, status transitions included, and the digest with everything
else its representation shows (claims.data_version: every write to claims, the records they
link, citations and flags), the absolute URL (links carry the host, the query the format) and the
negotiated format. If-Match compares the version part only, so optimistic locking does not fail
because a linked drug was renamed. Lists and downloads get a weak ETag of the same digest.
"""

import hashlib

from django.http import HttpResponseNotModified

from claims.api.errors import PreconditionFailed
from claims.data_version import data_version


def _tags(header):
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def representation_digest(request, url=None):
    """What a read of ``url`` (the request's own by default) shows besides its own row, in 16 hex
    digits (one query: the data version)."""
    identity = repr(
        (
            data_version(),
            url or request.build_absolute_uri(),
            request.accepted_renderer.format,
            request.accepted_media_type,
        )
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def claim_etag(request, claim, url=None):
    """The strong validator of one claim's representation at ``url`` (a write answers with the
    claim as its address serves it); its version part is ``claim.etag``."""
    return f'{claim.etag[:-1]}-{representation_digest(request, url)}"'


def list_etag(request):
    """The weak validator of a list or download: equal for equivalent, not byte-identical, bodies."""
    return f'W/"{representation_digest(request)}"'


def not_modified(request, etag):
    """A 304 carrying ``etag`` when the client's If-None-Match names it (weak comparison), else None."""
    header = request.headers.get("If-None-Match")
    if not header:
        return None
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    if "*" in tags or etag.removeprefix("W/") in tags:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    return None


def _names_version(tag, claim):
    # The version part alone ("CLM-0042-v3") or with any representation digest ("CLM-0042-v3-…")
    # names version 3. The lock is on the claim's version, not on bytes, so the weak form gzip
    # gives a claim's ETag (W/"CLM-0042-v3-…") names it too.
    tag = tag.removeprefix("W/")
    return tag == claim.etag or tag.startswith(f"{claim.etag[:-1]}-")


def expected_version(request, claim):
    """The version an If-Match header vouches for; 412 if it names another one.

    Without the header the claim's current version is used, which still stops two writes racing
    inside this request from overwriting each other.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = _tags(header)
    if "*" in tags or any(_names_version(tag, claim) for tag in tags):
        return claim.version
    raise PreconditionFailed(
        f"{claim.public_id} is at version {claim.version} (ETag {claim.etag}), not the one in If-Match "
        f"({header.strip()}); fetch it again and reapply your change.",
        current_etag=claim.etag,
    )
