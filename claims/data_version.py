"""The data version: a stamp of everything a read shows, read once per read-only request.

Any committed write to claims, their sources, flags or the entities they name changes the stamp,
in every server process at once; what is computed from the data can therefore be kept under it
(claims.facets' counts in the shared cache, a list's ETag) and is never served for another
version. ``VersionMemo`` keeps such values in this process too, for what is asked on nearly every
request (the entities a filter's names resolve to, a filter's claim count): a lookup in memory
where a query or a round trip to the cache was.
"""

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections

# An upper bound on staleness for writes the stamp cannot see: raw SQL, or an .update() that
# leaves ``updated`` alone on claims or skips the entities' history.
CACHE_SECONDS = 300


# The data versions a read-only request has read, by database (one_data_version_per_request).
_versions_read: ContextVar[dict[str, tuple[str, ...]] | None] = ContextVar("data_versions_read", default=None)


@contextmanager
def one_data_version_per_request():
    """Within the block, ``data_version`` reads each database's version once: a list's ETag and
    its cached count then ask once, and agree on the version (claims.middleware uses it for
    GET and HEAD)."""
    token = _versions_read.set({})
    try:
        yield
    finally:
        _versions_read.reset(token)


def data_version(using="default"):
    """A stamp that changes with every committed write to claims or entities, in one query.

    Every part is an index lookup, so it costs well under a millisecond at 100k claims: saves
    bump ``updated`` and add a history row (simple-history), deletes add a history row, and the
    bulk paths (generate_synthetic, its --remove) add or delete a Source and change the top id.
    Read once per database inside ``one_data_version_per_request``, except in a transaction
    (which may write).
    """
    read = _read_in_this_request(using)
    if read is None:
        return _read_data_version(using)
    if using not in read:
        read[using] = _read_data_version(using)
    return read[using]


def data_version_to_read(using="default"):
    """The data version's statement, for a request's first statement to read beside its own rows
    (``keep_data_version`` then keeps what it read), or None when ``data_version`` would not keep
    it: outside a read-only request, in a transaction, or when this request has read it."""
    read = _read_in_this_request(using)
    if read is None or using in read:
        return None
    return _data_version_sql(using)


def keep_data_version(using, values):
    """What ``data_version_to_read``'s statement read, as ``data_version`` keeps its own reads."""
    read = _versions_read.get()
    if read is not None:
        read[using] = tuple(str(value) for value in values)


def _read_in_this_request(using):
    """The versions this read-only request has read, or None outside one or in a transaction
    (which may write): there the version is read each time and nothing is kept under it."""
    read = _versions_read.get()
    return None if read is None or connections[using].in_atomic_block else read


def _read_data_version(using):
    with connections[using].cursor() as cursor:
        cursor.execute(_data_version_sql(using))
        return tuple(str(value) for value in cursor.fetchone())


@functools.cache
def _data_version_sql(using):
    # Built once: reading ``Model.history`` makes simple-history build a manager class each time,
    # and this runs on every page with facets. The models come from the app registry: the name
    # resolver reads the version (VersionMemo), and the models' search reads the resolver.
    quote = connections[using].ops.quote_name
    model = functools.partial(apps.get_model, "claims")
    claims, sources = quote(model("Claim")._meta.db_table), quote(model("Source")._meta.db_table)
    parts = [f"MAX(id) FROM {claims}", f"MAX(updated) FROM {claims}", f"MAX(id) FROM {sources}"]
    parts += [f"COUNT(*) FROM {sources}"]
    # Flags keep no history: a new flag raises the top id, a resolved one lowers the open count.
    flags = quote(model("Flag")._meta.db_table)
    parts += [f"MAX(id) FROM {flags}", f"COUNT(*) FROM {flags} WHERE resolved_at IS NULL"]
    parts += [
        f"MAX(history_id) FROM {quote(model(name).history.model._meta.db_table)}"
        for name in ("Claim", "Drug", "Cargo", "CellLine", "Mechanism", "Citation", "Target")
    ]
    return "SELECT " + ", ".join(f"(SELECT {part})" for part in parts)


def read_only_data_version(using="default"):
    """The data version this read-only request reads (once), or None outside one or in a
    transaction, where what is read may be a write of the same request."""
    return None if _read_in_this_request(using) is None else data_version(using)


class VersionMemo:
    """Values computed from the data at one data version, kept in this process: at most ``size``
    (the least recently used go first), each for CACHE_SECONDS at most.

    Keys name the version (``key``); outside a read-only request there is none, and nothing is
    kept or read. Values are shared between requests: keep immutable ones, or copy on the way out.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(using: str, *parts: Hashable) -> Hashable | None:
        """The key of ``parts`` at this request's data version of the database ``using``, or None
        when values must not be kept (outside a read-only request, in a transaction)."""
        if not settings.VERSION_MEMO:
            return None
        version = read_only_data_version(using)
        if version is None:
            return None
        return (str(connections[using].settings_dict["NAME"]), version, *parts)

    def get(self, key: Hashable | None) -> Any:
        """The value kept under ``key``, or None."""
        if key is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable | None, value: Any) -> None:
        if key is None:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + CACHE_SECONDS, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
