"""Conditional requests on claims: ETag out, If-None-Match (304) and If-Match (412) in.

The ETag is ``Claim.etag`` (the public id and version), so it changes with every write to the
claim itself, status transitions included.
"""

from claims.api.errors import PreconditionFailed


def _tags(header):
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def not_modified(request, claim):
    """True when the client's If-None-Match already names this version (weak comparison)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    return "*" in tags or claim.etag in tags


def expected_version(request, claim):
    """The version an If-Match header vouches for; 412 if it names another one.

    Without the header the claim's current version is used, which still stops two writes racing
    inside this request from overwriting each other.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = _tags(header)
    # Strong comparison: a weak tag (W/"...") never matches for If-Match.
    if "*" in tags or claim.etag in tags:
        return claim.version
    raise PreconditionFailed(
        f"{claim.public_id} is at version {claim.version} (ETag {claim.etag}), not the one in If-Match "
        f"({header.strip()}); fetch it again and reapply your change.",
        current_etag=claim.etag,
    )
