"""The app's settings with no cache: every facet count and total is computed on each request.

For measuring what a reader sees on the first request after a write (bench/datasette_side_by_side.py
serves the app twice, once with these settings, to time uncached facet counts).
"""

from exoclaims.settings import *  # noqa: F403 (the same settings, one value replaced)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
