"""The fuzz corpus (tests/data/fuzz_regressions.jsonl) and the tally of fuzzed requests.

Each line of the corpus is one request that once got a 5xx: ``method``, ``path`` (``{claim}``,
``{flag}`` and ``{flag_claim}`` stand for objects of the loaded review), ``as`` (the persona
sending it: anonymous, reader, curator, editor or admin), optional ``params`` (the query), at
most one of ``body`` (the body's text; a lone surrogate in it goes out as the invalid UTF-8 a
broken client sends), ``body_base64`` (a body that is not text) and ``nesting`` (a JSON body of
that many nested arrays, too long to write down), optional ``content_type`` (JSON unless said),
``issue`` (what it showed) and ``date``. The fuzz tests add a line whenever they see a 5xx, so
the input stays a regression case after the fix.

Set ``FUZZ_TALLY`` to a file to have every fuzzed request append its surface and status there
(how docs/reliability.md counts requests tried and 5xx seen).
"""

import base64
import datetime
import json
import os
from pathlib import Path
from urllib.parse import quote

from claims.models import Claim, Flag

CORPUS = Path(__file__).parent / "data" / "fuzz_regressions.jsonl"


def regressions():
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _text(value):
    """``value`` as JSON text (ensure_ascii keeps a lone surrogate writable as an escape)."""
    return json.dumps(value, ensure_ascii=True, default=repr)


def record(*, method, path, persona, issue, params=None, body=None, content_type=None):
    """Append a request that got a 5xx to the corpus (one line, so concurrent workers can append)."""
    entry = {"method": method, "path": path, "as": persona}
    if params:
        entry["params"] = params
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            entry["body_base64"] = base64.b64encode(body).decode("ascii")
            body = None
    if body is not None:
        entry["body"] = body
    if content_type:
        entry["content_type"] = content_type
    entry.update(issue=issue, date=datetime.date.today().isoformat())
    with CORPUS.open("a", encoding="utf-8") as corpus:
        corpus.write(_text(entry) + "\n")


def tally(surface, status):
    if target := os.environ.get("FUZZ_TALLY"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(f"{surface}\t{status}\n")


def placeholders():
    flag = Flag.objects.select_related("claim").order_by("pk").first()
    return {
        "claim": Claim.objects.order_by("public_id").values_list("public_id", flat=True).first(),
        "flag": flag.pk,
        "flag_claim": flag.claim.public_id,
    }


def replay(client, entry, names):
    """Send a corpus line with ``client``; returns the response (a 500 too, not the exception)."""
    client.raise_request_exception = False
    path = entry["path"].format(**names)
    if params := entry.get("params"):
        query = "&".join(
            f"{quote(name, safe='', errors='surrogatepass')}={quote(value, safe='', errors='surrogatepass')}"
            for name, value in params.items()
        )
        path = f"{path}?{query}"
    if "nesting" in entry:
        body = ("[" * entry["nesting"] + "]" * entry["nesting"]).encode()
    elif "body_base64" in entry:
        body = base64.b64decode(entry["body_base64"])
    else:
        body = entry.get("body", "").encode("utf-8", "surrogatepass")
    content_type = entry.get("content_type", "application/json")
    send = getattr(client, entry["method"].lower())
    if entry["method"] in ("GET", "HEAD"):
        return send(path, secure=True)
    return send(path, body, content_type=content_type, secure=True)
