"""The curators' admin. Every model is registered; claims, flags and entity merges are written
through claims.services, exactly as the site and the API write them."""

from claims.admin import citations, claims, curation, entities  # noqa: F401  (registers the admins)
