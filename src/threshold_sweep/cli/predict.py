"""`threshold-sweep-predict RUN_DIR --data FILE`: a finished run's model applied to new data."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from threshold_sweep.errors import UserError
from threshold_sweep.shared_model import PREDICT_EXAMPLES, PREDICT_NOTE, THRESHOLD_HELP

if TYPE_CHECKING:
    import pandas as pd

PREDICTIONS_DIR = "predictions"  # in the run folder: one CSV per scored data file

EXAMPLES = f"""examples:
  threshold-sweep-predict outputs/runs/<time> --data new.npz   # -> <run>/predictions/new.csv
  threshold-sweep-predict outputs/multirun/<time>/label.threshold=1000 --data new.csv \\
      --out scored.csv --cutoff tuned
  threshold-sweep-predict RUN --data new.npz data.sequences_key=signals data.id_key=ids
{PREDICT_EXAMPLES}
The file is read like the run's training data (same keys or feature columns, unless given as
data.KEY=VALUE), standardized with the run's training statistics, and scored by its model.
The target (x) is optional: when present, the true labels are written beside the predictions.
{PREDICT_NOTE}"""


def parse_settings(items: list[str]) -> dict[str, object]:
    """data.KEY=VALUE arguments as a dict (lists as [a,b], null as None)."""
    import yaml

    settings: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("data."):
            raise UserError(f"cannot read {item!r}; give reader settings as data.KEY=VALUE")
        settings[key.removeprefix("data.")] = yaml.safe_load(value) if value else None
    return settings


def threshold_values(given: list[str] | None) -> list[str] | None:
    """--threshold values, repeated or comma-separated, as written (None when not given)."""
    if not given:
        return None
    values = [value.strip() for item in given for value in item.split(",")]
    if not all(values):
        raise UserError(f"--threshold {','.join(given)}: an empty value; give numbers, e.g. 100")
    return values


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments: the run folder, the data file and where to write."""
    from threshold_sweep import __version__

    parser = argparse.ArgumentParser(
        prog="threshold-sweep-predict",
        description="Apply a finished run's model to a new file of the same shape and write "
        "scores and predicted labels as CSV.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, help="a run folder holding model.keras")
    parser.add_argument("--data", type=Path, required=True, help=".npz, .csv or .parquet file")
    parser.add_argument(
        "--out",
        "--output",
        dest="output",
        metavar="PATH",
        type=Path,
        help=f"CSV to write, - for stdout (default: RUN_DIR/{PREDICTIONS_DIR}/<data stem>.csv)",
    )
    parser.add_argument(
        "--cutoff",
        default=None,
        help="binary runs: score at or above it is positive; a number, or 'tuned' for the "
        "run's validation-tuned cutoff (default: the run's evaluate.cutoff)",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        metavar="T",
        help=THRESHOLD_HELP + "(y_score = P(x > T) and y_pred, as a dedicated run's); "
        "several (repeated or comma-separated) give their p_above_<T> columns",
    )
    parser.add_argument("--batch-size", type=int, default=1024, help="prediction batch size")
    parser.add_argument("settings", nargs="*", help="reader settings as data.KEY=VALUE")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def predict_and_write(args: argparse.Namespace, output: Path) -> pd.DataFrame:
    """Check the arguments, score the file and write the CSV (UserError on bad input)."""
    settings = parse_settings(args.settings)
    if args.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    to_stdout = str(output) == "-"
    if not to_stdout and output.resolve() == args.data.resolve():
        raise UserError(f"--out {output} is the --data file; choose another output file")
    from threshold_sweep.predict import predict_file

    thresholds = threshold_values(args.threshold)
    frame = predict_file(
        args.run_dir, args.data, settings, args.cutoff, args.batch_size, thresholds
    )
    if to_stdout:
        frame.to_csv(sys.stdout, index=False)
    else:
        from threshold_sweep.io import write_csv

        write_csv(output, frame)
    return frame


def scored_text(frame: pd.DataFrame) -> str:
    """'predicted: {...}' counts, or the columns written when there is no predicted class."""
    if "label_pred" in frame:
        return f"predicted: {frame['label_pred'].value_counts().to_dict()}"
    columns = [c for c in frame.columns if c.startswith("p_above_")]
    return f"columns: {', '.join(columns)}"


def default_output(run_dir: Path, data: Path) -> Path:
    """Where predictions go without --out: beside the run, named by the data file."""
    return run_dir / PREDICTIONS_DIR / f"{data.stem}.csv"


def main(argv: list[str] | None = None) -> int:
    """Write the predictions CSV and print where; exit 2 with one line on bad input."""
    args = build_parser().parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    output = args.output or default_output(args.run_dir, args.data)
    try:
        frame = predict_and_write(args, output)
    except UserError as error:
        message = str(error).replace("data.path:", "--data:", 1)  # the reader names its key
        print(f"error: {message}", file=sys.stderr)
        return 2
    except OSError as error:
        where = error.filename or output
        print(f"error: cannot write {where}: {error.strerror}; give --out PATH", file=sys.stderr)
        return 2
    where = "stdout" if str(output) == "-" else output
    print(f"{len(frame)} rows scored -> {where} ({scored_text(frame)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
