"""Add fixtures/citations.yaml stubs for the review's in-text labels that have no citation yet.

Existing entries are kept as they are, layout included (curated data wins); a stub is written for
each new label, in key order. Usage: python3 tools/extract_citations.py [--dry-run]
"""

import argparse
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from claims.review_text import citation_key, extract_citation_labels, parse_label, read_review  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "citations.yaml"
ENTRY_START = re.compile(r"^(?=- )", re.MULTILINE)
KEY_LINE = re.compile(r"- key: '?([^'\s]+)")


def new_stubs(existing):
    """A stub for each label of the review that no entry of ``existing`` has."""
    known = {entry["label"] for entry in existing}
    keys = {entry["key"] for entry in existing}
    added = []
    for label in dict.fromkeys(extract_citation_labels(read_review())):
        if label in known:
            continue
        key = citation_key(label)
        if key in keys:
            sys.exit(f"key collision for {label!r}: {key}")
        first, year, suffix = parse_label(label)
        keys.add(key)
        added.append({"key": key, "label": label, "first_author": first, "year": year, "year_suffix": suffix})
    return added


def with_stubs(text, added):
    """``text`` with each stub inserted before the first entry with a later key. The entries already
    there keep their text and their order (an alias must stay after its anchor)."""
    head, *blocks = ENTRY_START.split(text)
    blocks = [block if block.endswith("\n") else block + "\n" for block in blocks]
    keys = [match.group(1) if (match := KEY_LINE.match(block)) else "" for block in blocks]
    for stub in added:
        at = next((i for i, key in enumerate(keys) if key > stub["key"]), len(keys))
        keys.insert(at, stub["key"])
        blocks.insert(at, yaml.safe_dump([stub], allow_unicode=True, sort_keys=False, width=100))
    return head + "".join(blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="list the new labels, write nothing")
    args = parser.parse_args()
    text = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    added = new_stubs(yaml.safe_load(text) or [])
    for stub in added:
        print(f"new: {stub['label']} ({stub['key']})")
    if added and not args.dry_run:
        OUT.write_text(with_stubs(text, added), encoding="utf-8")
    print(f"{len(added)} new label(s); {OUT} {'unchanged' if args.dry_run or not added else 'updated'}")


if __name__ == "__main__":
    main()
