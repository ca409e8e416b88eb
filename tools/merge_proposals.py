"""Merge transcribers' entity proposals and citation notes (fixtures/_proposals/*.yaml) into fixtures/entities/.

Each proposal file is a mapping {drugs: [...], cargo: [...], cell_lines: [...]}. Entries with
the same slug are merged: aliases are united, other fields must agree (a conflict is printed
and the first value kept). Usage: python3 tools/merge_proposals.py [FIXTURES_DIR]
"""

import sys
from pathlib import Path

import yaml

KINDS = ("mechanisms", "drugs", "cargo", "cell_lines")


def merge(fixtures_dir):
    fixtures_dir = Path(fixtures_dir)
    conflicts = []
    for kind in KINDS:
        target = fixtures_dir / "entities" / f"{kind}.yaml"
        merged = {}
        existing = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else []
        sources = [("entities", e) for e in existing or []]
        for proposal in sorted((fixtures_dir / "_proposals").glob("*.yaml")):
            data = yaml.safe_load(proposal.read_text(encoding="utf-8")) or {}
            sources += [(proposal.name, e) for e in data.get(kind) or []]
        for origin, entry in sources:
            slug = entry["slug"]
            if slug not in merged:
                merged[slug] = dict(entry, aliases=list(entry.get("aliases") or []))
                continue
            into = merged[slug]
            for alias in entry.get("aliases") or []:
                if alias not in into["aliases"] and alias != into["name"]:
                    into["aliases"].append(alias)
            for key, value in entry.items():
                if key == "aliases" or value in (None, ""):
                    continue
                if into.get(key) in (None, ""):
                    into[key] = value
                elif into[key] != value:
                    conflicts.append(f"{kind}/{slug}.{key}: {into[key]!r} kept, {value!r} from {origin}")
        rows = [dict(e, aliases=sorted(set(e["aliases"]), key=str.casefold)) for e in merged.values()]
        for row in rows:
            if not row["aliases"]:
                del row["aliases"]
        rows.sort(key=lambda e: e["slug"])
        target.write_text(
            yaml.safe_dump(rows, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
        )
    _merge_citation_notes(fixtures_dir)
    return conflicts


def _merge_citation_notes(fixtures_dir):
    """Fold proposals' citation_notes into citations.yaml (a note already there is not repeated)."""
    path = fixtures_dir / "citations.yaml"
    citations = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_key = {c["key"]: c for c in citations}
    for proposal in sorted((fixtures_dir / "_proposals").glob("*.yaml")):
        data = yaml.safe_load(proposal.read_text(encoding="utf-8")) or {}
        for key, note in (data.get("citation_notes") or {}).items():
            if key not in by_key:
                raise SystemExit(f"{proposal.name}: citation_notes names unknown key {key!r}")
            existing = by_key[key].get("notes", "")
            if note.strip() not in existing:
                by_key[key]["notes"] = (existing + "\n" + note.strip()).strip()
    path.write_text(yaml.safe_dump(citations, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")


if __name__ == "__main__":
    for line in merge(
        sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "fixtures"
    ):
        print("conflict:", line)
