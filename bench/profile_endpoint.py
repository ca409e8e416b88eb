"""Profile one URL in-process with pyinstrument (Django's test client, the configured database).

    DATABASE_URL=... DJANGO_SECRET_KEY=... .venv/bin/python bench/profile_endpoint.py /api/claims/?drug=x

Runs the request once to warm up, then --repeat times under the profiler, and prints the call
tree, library frames included, without the frames under --min-percent of the time. Needs
pyinstrument (pip install pyinstrument).
"""

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exoclaims.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the URL path and query, e.g. /api/claims/?drug=doxorubicin")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--min-percent", type=float, default=2.0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from pyinstrument import Profiler

    client = Client(HTTP_HOST="127.0.0.1")

    def get():
        response = client.get(args.path)
        if response.status_code != 200:
            sys.exit(f"{args.path} answered {response.status_code}")
        if response.streaming:
            b"".join(response.streaming_content)

    get()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.repeat):
        get()
    profiler.stop()
    print(f"{args.path}, {args.repeat} requests")
    tree = profiler.output_text(unicode=False, color=False, show_all=True, time="percent_of_total")
    for line in tree.splitlines():
        share = re.search(r"(\d+\.\d+)% ", line)
        if share is None or float(share.group(1)) >= args.min_percent:
            print(line)


if __name__ == "__main__":
    main()
