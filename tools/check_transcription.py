"""Validate the transcription as load_review will, without a database.

Usage: python3 tools/check_transcription.py [FIXTURES_DIR]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from claims.dataops.review_fixtures import FIXTURES_DIR, FixtureErrors, read_fixtures  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=FIXTURES_DIR, help=f"default: {FIXTURES_DIR}")
    root = parser.parse_args().root
    try:
        result = read_fixtures(root)
    except FixtureErrors as exc:
        for error in exc.errors:
            print("error:", error)
        sys.exit(1)
    print(
        f"ok: {len(result.claims)} claims, {len(result.citations)} citations, {len(result.checks)} checks, "
        + ", ".join(f"{len(rows)} {kind}" for kind, rows in result.entities.items())
    )


if __name__ == "__main__":
    main()
