"""Give the transcribed claims consecutive public ids in reading order (run once, before release).

Transcribers numbered their parts in separate blocks (CLM-0101…, CLM-0201…); this rewrites the
ids in fixtures/claims/*.yaml to CLM-0001… in file order, then entry order. Public ids are
stable once published: never run this on a released transcription.
"""

import re
import sys
from pathlib import Path

import yaml

CLAIMS = Path(__file__).resolve().parent.parent / "fixtures" / "claims"
ID_LINE = re.compile(r"^(\s*-?\s*id:\s*)(CLM-\d+)\s*$", re.MULTILINE)


def main():
    number = 0
    plans = []
    for path in sorted(CLAIMS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        entries = yaml.safe_load(text) or []
        matches = list(ID_LINE.finditer(text))
        if [m.group(2) for m in matches] != [e["id"] for e in entries]:
            sys.exit(f"{path.name}: id lines do not match the entries; renumber by hand")
        mapping = {}
        for match in matches:
            number += 1
            mapping[match.start()] = f"CLM-{number:04d}"
        new = ID_LINE.sub(lambda m, ids=mapping: m.group(1) + ids[m.start()], text)
        plans.append((path, new))
    for path, new in plans:
        path.write_text(new, encoding="utf-8")
    print(f"{number} claims numbered CLM-0001 to CLM-{number:04d}")


if __name__ == "__main__":
    main()
