import time

from django.core.management.base import BaseCommand, CommandError

from claims.dataops.synthetic import SyntheticError, synthetic_generate, synthetic_remove

BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise)."""

    def __init__(self, stream, label):
        self.stream, self.label, self.started, self.shown = stream, label, time.monotonic(), -1
        self.redraw = stream.isatty()

    def __call__(self, done, total):
        tenth = done * 10 // total
        if not self.redraw and tenth == self.shown and done < total:
            return
        self.shown = tenth
        filled = BAR_WIDTH * done // total
        line = (
            f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,} "
            f"{time.monotonic() - self.started:.1f}s"
        )
        end = "\n" if done >= total or not self.redraw else ""
        self.stream.write(("\r" if self.redraw else "") + line, ending=end)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Add a deterministic synthetic data set beside the review's (for benchmarks), "
        "or remove it again with --remove. Curated data is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, metavar="N", help="how many synthetic claims to write")
        parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
        parser.add_argument("--remove", action="store_true", help="delete all synthetic data instead")

    def handle(self, *args, claims, seed, remove, **options):
        if remove == (claims is not None):
            raise CommandError("give either --claims N or --remove")
        started = time.monotonic()
        try:
            if remove:
                report = synthetic_remove(progress=ProgressBar(self.stderr, "removing"))
            else:
                report = synthetic_generate(
                    claims=claims, seed=seed, progress=ProgressBar(self.stderr, "claims")
                )
        except SyntheticError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines():
            self.stdout.write(line)
        verb = "removed" if remove else "written"
        self.stdout.write(self.style.SUCCESS(f"synthetic data {verb} in {time.monotonic() - started:.1f}s"))
