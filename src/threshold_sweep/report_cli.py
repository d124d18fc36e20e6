"""`threshold-sweep-report DIR`: (re)build a sweep summary from any folder of runs."""

from __future__ import annotations

import argparse
import logging
import sys
import webbrowser
from pathlib import Path

from threshold_sweep.sweep import build_summary


def page_to_open(root: Path) -> Path:
    """index.html of a sweep folder, or report.html when DIR is itself one run's folder."""
    is_run = (root / "metrics.json").exists() or (root / "error.txt").exists()
    if is_run and (root / "report.html").exists():
        return root / "report.html"
    return root / "index.html"


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


def main(argv: list[str] | None = None) -> int:
    """Build summary.csv, summary.md, index.html and the plot in DIR; exit 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="threshold-sweep-report",
        description="Rebuild the sweep summary (summary.csv, summary.md, index.html, "
        "summary_metrics.png) from the run folders found anywhere under DIR.",
    )
    parser.add_argument("directory", type=Path, help="a sweep folder, e.g. outputs/multirun/<time>")
    parser.add_argument(
        "--open",
        action="store_true",
        help="open index.html (or a single run's report.html) in the default web browser",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root: Path = args.directory
    if not root.is_dir():
        print(f"error: {root} is not a directory; give a folder of runs", file=sys.stderr)
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
        open_in_browser(page_to_open(root))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
