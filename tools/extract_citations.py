"""Write fixtures/citations.yaml stubs from the review's in-text labels (run once, then curate).

Existing entries are kept as they are (curated data wins); only new labels are appended.
Usage: python3 tools/extract_citations.py
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from claims.review_text import citation_key, extract_citation_labels, parse_label, read_review  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "citations.yaml"


def main():
    existing = yaml.safe_load(OUT.read_text(encoding="utf-8")) if OUT.exists() else []
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
    entries = sorted(existing + added, key=lambda e: e["key"])
    OUT.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    print(f"{len(added)} new, {len(entries)} citations in {OUT}")


if __name__ == "__main__":
    main()
