"""A page of a one-word search on PostgreSQL, read score by score from the full-text indexes.

ranked() orders the matches by score, then public id. Written as that ORDER BY, PostgreSQL scores
every match before it can return the first 50: at 100k claims a common word ("engineered",
22,540 matches) took 32-36 ms, most of it reading each match's row to test its statement's and
quote's vectors. A word scores one of a few values, though, so the page is the matches scoring 3
by public id, then those scoring 2, and so on (``SearchRank.tiers``), and each of those is a
short read: the GIN index on that vector for a rare word, a walk of the public-id index for a
common one. All in one statement: each score's claims are a MATERIALIZED CTE read only if the
better scores left the page short (a one-time filter on their counts, which PostgreSQL checks
before running the scan under it). The same word's page took 0.4 ms at 100k and 0.5 ms at 10k
(from 2.2 ms), with the same ids: tests/test_ranked_pages.py compares the two reads.

Only where PostgreSQL's estimates of each score's share hold (claims.models.claim._tiers,
claims.filters.ClaimFilter.qs): a single word naming no entity, searched with no other filter
than the background switch, matching TIERS_FROM claims or more. For a phrase, a word naming an
entity or a search beside other filters it can overestimate a score's share a hundredfold and
walk the whole public-id index for it (112 ms for "mir155" at 100k against 65 ms sorted); those
keep the ORDER BY.
"""

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from claims.models import Claim

# From how many matches a page is read score by score. Scoring every match costs a row read per
# match (about 2 µs on PostgreSQL); below a thousand that is under 2 ms, about what building the
# statement of the scores costs in Python (1 ms), and the ORDER BY's plan needs no estimate.
TIERS_FROM = 1000


def tiered_rows(claims: QuerySet[Claim], *, matching: int) -> list[tuple[Any, ...]] | None:
    """``claims.values_list("pk", *annotations)`` for ``claims``, a page (sliced) of a ranked()
    one-word search on PostgreSQL matching TIERS_FROM claims or more, read score by score; None
    for any other page, which its own query reads as usual."""
    if matching < TIERS_FROM:
        return None
    query = claims.query
    rank = query.annotations.get("rank")
    tiers = getattr(rank, "tiers", None)
    if not tiers or tuple(query.order_by) != ("-rank", "public_id") or query.high_mark is None:
        return None
    names = list(query.annotation_select)
    others = [name for name in names if name != "rank"]
    wanted = query.high_mark  # the claims before the page and the page's own
    unsliced = claims.all()
    unsliced.query.clear_limits()
    columns = ["pk", "public_id", *others]
    by_public_id = unsliced.order_by("public_id").values_list(*columns)
    aliases = ", ".join(f"c{index}" for index in range(len(columns)))
    ctes: list[str] = []
    parts: list[str] = []
    params: list[Any] = []
    for points, condition in tiers:
        tier = by_public_id.filter(condition)[:wanted]
        try:
            sql, tier_params = tier.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing (Django writes no SQL for it)
            continue
        read = f"SELECT * FROM ({sql}) tier"
        index = len(ctes)
        if index:
            # Read only when the better scores found fewer claims than the page needs.
            before = " + ".join(f"(SELECT COUNT(*) FROM t{earlier})" for earlier in range(index))
            read += f" WHERE {before} < %s"
            tier_params = (*tier_params, wanted)
        ctes.append(f"t{index}({aliases}) AS MATERIALIZED ({read})")
        parts.append(f"SELECT {aliases}, {int(points)} AS score FROM t{index}")
        params.extend(tier_params)
    if not ctes:
        return []
    shown = ", ".join("score" if name == "rank" else f"c{columns.index(name)}" for name in names)
    sql = (
        f"WITH {', '.join(ctes)} SELECT c0{', ' if shown else ''}{shown}"
        f" FROM ({' UNION ALL '.join(parts)}) page ORDER BY score DESC, c1"
        f" LIMIT %s OFFSET %s"
    )
    params += [query.high_mark - query.low_mark, query.low_mark]
    with connections[claims.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]
