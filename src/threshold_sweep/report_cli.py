"""`threshold-sweep-report DIR`: (re)build a sweep summary from any folder of runs."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from threshold_sweep.sweep import build_summary


def main(argv: list[str] | None = None) -> int:
    """Build summary.csv, summary.md and summary_metrics.png in DIR; exit 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="threshold-sweep-report",
        description="Rebuild the sweep summary (summary.csv, summary.md, summary_metrics.png) "
        "from the run folders found anywhere under DIR.",
    )
    parser.add_argument("directory", type=Path, help="a sweep folder, e.g. outputs/multirun/<time>")
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
    print(f"{summary.completed} complete, {summary.failed} failed -> {root / 'summary.md'}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
