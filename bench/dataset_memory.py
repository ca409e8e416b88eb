"""Peak memory of export_dataset and import_dataset at scale (issue #18 item 14).

For each size, a fresh SQLite database in a temporary directory gets the review and N synthetic
claims (generate_synthetic); export_dataset writes it to a file, and import_dataset restores the
file into a second, migrated, empty database. Each step runs in a process of its own, which
reports its peak resident set (getrusage's ru_maxrss) and, in a second run, the peak of Python
allocations during the command (tracemalloc), both above what the process held just before it.
The yardstick is the largest batch: the deep size of the biggest list of records DatasetReader
holds at a time (BATCH claims with their links and history, or BATCH rows of another part).

    .venv/bin/python bench/dataset_memory.py --claims 10000 100000 [--keep DIR] [--no-import-trace]

Prints a Markdown table (the one in docs/reliability.md) and writes nothing outside DIR.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


def _environment(database):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXOCLAIMS_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="exoclaims.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",  # DEBUG would keep every query in memory
        DJANGO_ALLOWED_HOSTS="localhost",
    )
    return env


def _manage(database, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environment(database),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _fresh(database):
    """An empty, migrated database at ``database`` (an import needs one each time)."""
    database.unlink(missing_ok=True)
    _manage(database, "migrate", "--no-input")
    return database


def _measure(database, step, *args):
    """Run ``step`` in a child process of this script; returns what it reports."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", step, *args],
        cwd=ROOT,
        env=_environment(database),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _deep_size(value, seen=None):
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        size += sum(_deep_size(item, seen) for item in value)
    return size


def _child(step, args):
    import resource
    import tracemalloc

    import django

    django.setup()
    from django.core.management import call_command

    from claims.dataops.backup import PARTS, DatasetReader, consistent_read

    trace = "--trace" in args
    started_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    report = {}
    if step == "export":
        call_command("export_dataset", output=args[0], stdout=open(os.devnull, "w"))
    elif step == "import":
        call_command("import_dataset", args[0], stdout=open(os.devnull, "w"))
    elif step == "batch":
        largest = (0, "")
        with consistent_read():
            reader = DatasetReader()
            for part in PARTS:
                for batch in reader.batches(part):
                    largest = max(largest, (_deep_size(batch), part.name))
        report["batch_bytes"], report["batch_part"] = largest
    report["seconds"] = round(time.monotonic() - started, 1)
    report["rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - started_rss
    if trace:
        report["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
    print(json.dumps(report))


def run(sizes, workdir, trace_import=True):
    rows = []
    for claims in sizes:
        source, target, file = (
            workdir / f"source-{claims}.db",
            workdir / f"target-{claims}.db",
            workdir / f"{claims}.json",
        )
        _fresh(source)
        _manage(source, "load_review")
        _manage(source, "generate_synthetic", "--claims", str(claims))
        batch = _measure(source, "batch")
        export = _measure(source, "export", str(file))
        export_traced = _measure(source, "export", str(file), "--trace")
        imported = _measure(_fresh(target), "import", str(file))
        # tracemalloc slows the import about threefold.
        import_traced = _measure(_fresh(target), "import", str(file), "--trace") if trace_import else None
        rows.append(
            {
                "claims": claims,
                "file_bytes": file.stat().st_size,
                "batch": batch,
                "export": export,
                "export_traced": export_traced,
                "import": imported,
                "import_traced": import_traced,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def table(rows):
    lines = [
        "| claims | file | largest batch | export: peak RSS / traced peak (× batch), time "
        "| import: peak RSS / traced peak (× batch), time |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        batch = row["batch"]["batch_bytes"]

        def cell(plain, traced, batch=batch):
            if traced is None:
                return f"{plain['rss_bytes'] / MiB:.1f} MiB / not traced, {plain['seconds']} s"
            return (
                f"{plain['rss_bytes'] / MiB:.1f} MiB / {traced['traced_peak_bytes'] / MiB:.1f} MiB "
                f"({traced['traced_peak_bytes'] / batch:.1f}×), {plain['seconds']} s"
            )

        lines.append(
            f"| {row['claims']:,} | {row['file_bytes'] / MiB:.1f} MiB | {batch / MiB:.1f} MiB "
            f"({row['batch']['batch_part']}) | {cell(row['export'], row['export_traced'])} "
            f"| {cell(row['import'], row['import_traced'])} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the databases and files")
    parser.add_argument("--no-import-trace", action="store_true", help="measure the import's RSS only")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        _child(options.child[0], options.child[1:])
        return
    if options.keep:
        Path(options.keep).mkdir(parents=True, exist_ok=True)
        print(table(run(options.claims, Path(options.keep).resolve(), not options.no_import_trace)))
        return
    with tempfile.TemporaryDirectory(prefix="exoclaims-dataset-memory-") as workdir:
        print(table(run(options.claims, Path(workdir), not options.no_import_trace)))


if __name__ == "__main__":
    main()
