"""Validate the transcription as load_review will, with the entity proposals merged in.

Works on a temporary copy, so fixtures/ is not changed. Usage: python3 tools/check_transcription.py
"""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from claims.services.review_fixtures import FixtureErrors, read_fixtures  # noqa: E402
from tools.merge_proposals import merge  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "fixtures"
        shutil.copytree(FIXTURES, copy)
        for conflict in merge(copy):
            print("conflict:", conflict)
        try:
            result = read_fixtures(copy)
        except FixtureErrors as exc:
            for error in exc.errors:
                print("error:", error)
            sys.exit(1)
    print(
        f"ok: {len(result.claims)} claims, {len(result.citations)} citations, "
        + ", ".join(f"{len(rows)} {kind}" for kind, rows in result.entities.items())
    )


if __name__ == "__main__":
    main()
