"""`threshold-sweep-report DIR`: (re)build a sweep summary from any folder of runs;
`threshold-sweep-report RUN --threshold T`: write threshold T's folder of a run whose model has
one output per threshold, from the run's files (pipeline/threshold_folders.py)."""

from __future__ import annotations

import argparse
import logging
import sys
import webbrowser
from pathlib import Path

from threshold_sweep.errors import UserError
from threshold_sweep.layout import ERROR_TXT, INDEX_HTML, METRICS_JSON, REPORT_HTML
from threshold_sweep.results.read import find_run_dirs, mixed_data
from threshold_sweep.shared_model import SHARED_RUN
from threshold_sweep.sweep.build import build_summary


def is_run_folder(root: Path) -> bool:
    """True when DIR is one run's folder rather than a folder of runs."""
    markers = (METRICS_JSON, ERROR_TXT)
    return any((root / name).exists() for name in markers) or (root / ".hydra").is_dir()


def open_in_browser(page: Path) -> bool:
    """Open `page` in the default browser; say so in one line when there is none."""
    uri = page.resolve().as_uri()
    try:
        opened = webbrowser.open(uri)
    except webbrowser.Error:
        opened = False
    if not opened:
        print(f"no web browser available; open {page.resolve()} yourself")
    return opened


def _version() -> str:
    """'threshold-sweep-report 0.1.0'."""
    from threshold_sweep import __version__

    return f"%(prog)s {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments: the folder, --open, --force and --threshold."""
    parser = argparse.ArgumentParser(
        prog="threshold-sweep-report",
        description="Rebuild the sweep summary (summary.csv, summary.md, index.html, "
        "summary_metrics.png) from the run folders found anywhere under DIR.",
    )
    parser.add_argument(
        "directory",
        type=Path,
        help="a sweep folder, e.g. outputs/multirun/<time> (or one run's folder, with --open)",
    )
    parser.add_argument(
        "--open",
        action="store_true",
        help="open index.html (or a single run's report.html) in the default web browser",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="summarize runs of different data, labels or split methods as one sweep anyway",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        metavar="T",
        help=f"{SHARED_RUN} folders: write threshold T's binary run folder "
        "(thresholds/threshold=<T>/, as evaluate.threshold_folders=true writes it) from the "
        "run's predictions, without training; repeat it, give T1,T2 or 'all'",
    )
    parser.add_argument("--version", action="version", version=_version())
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build summary.csv, summary.md, index.html and the plot in DIR (with --threshold, a run's
    threshold folders); exit 2 on bad input."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root: Path = args.directory
    if not root.is_dir():
        wanted = f"the folder of a {SHARED_RUN}" if args.threshold else "a folder of runs"
        print(f"error: {root} is not a directory; give {wanted}", file=sys.stderr)
        return 2
    if args.threshold:
        return _threshold_folders(root, args.threshold, args.open)
    if is_run_folder(root):
        return _one_run(root, args.open)
    mixed = "" if args.force else mixed_data(find_run_dirs(root))
    if mixed:
        print(f"error: {mixed}; pass --force to summarize them anyway", file=sys.stderr)
        return 2
    summary = build_summary(root)
    if summary.table.empty:
        print(
            f"error: no runs under {root} (no metrics.json or error.txt found); "
            "give a folder written by threshold-sweep",
            file=sys.stderr,
        )
        return 2
    print(
        f"{summary.completed} complete, {summary.failed} failed -> {root / 'summary.md'}, "
        f"{root / 'index.html'}"
    )
    if args.open:
        open_in_browser(root / INDEX_HTML)
    return 1 if summary.failed else 0


def _threshold_folders(run_dir: Path, given: list[str], open_page: bool) -> int:
    """Write the run's folders of the --threshold values and name their reports (and open the
    first); exit 2 with one line on bad input."""
    from threshold_sweep.cli.main import config_dir
    from threshold_sweep.cli.predict import threshold_values
    from threshold_sweep.pipeline.threshold_folders import write_threshold_folders

    try:
        folders = write_threshold_folders(run_dir, threshold_values(given) or [], config_dir())
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:  # a file of the run deleted since it finished
        print(
            f"error: {error.filename} is missing: the run folder is incomplete; run it again "
            "with evaluate.threshold_folders=true",
            file=sys.stderr,
        )
        return 2
    except OSError as error:  # a full disk, a read-only run folder
        where = error.filename or run_dir
        print(
            f"error: cannot write {where}: {error.strerror}; free space or copy the run "
            "folder somewhere writable",
            file=sys.stderr,
        )
        return 2
    for folder in folders:
        print(f"{folder.name} -> {folder / REPORT_HTML}")
    if open_page:
        open_in_browser(folders[0] / REPORT_HTML)
    return 0


def _one_run(run_dir: Path, open_page: bool) -> int:
    """A single run's folder gets no sweep summary: point at (and open) its report."""
    from threshold_sweep.results.read import run_error

    page = run_dir / REPORT_HTML
    if not (run_dir / METRICS_JSON).exists():
        print(f"{run_dir} is one run, and it failed: {run_error(run_dir)}")
        if open_page and page.exists():
            open_in_browser(page)
        return 1
    print(f"{run_dir} is one run (no summary to build); its report: {page}")
    if open_page:
        open_in_browser(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
