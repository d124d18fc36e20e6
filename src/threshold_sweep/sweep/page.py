"""The sweep summary as a Document (summary.md and index.html are rendered from it): insights,
the runs, repeats, comparable metrics and paired differences; it writes nothing."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.splits import split_description
from threshold_sweep.layout import ERROR_TXT, REPORT_HTML, REPORT_MD
from threshold_sweep.report.document import Block, Bullets, Code, Document, Image, Section, Table
from threshold_sweep.sweep.collect import SweepSummary
from threshold_sweep.sweep.files import CURVES_PNG, METRICS_PNG
from threshold_sweep.sweep.naming import PARENT, run_labels, shown_groups
from threshold_sweep.sweep.shared import SHARED_INTRO, SIDES, shared_table
from threshold_sweep.sweep.stats import by_group
from threshold_sweep.sweep.tables import (
    comparable_table,
    paired_table,
    reference_table,
    repeats_table,
    with_ci,
)

RUN_COLUMNS = (
    "test_prevalence",
    "test_n",
    "test_accuracy",
    "test_balanced_accuracy",
    "test_f1",
    "test_mcc",
    "test_roc_auc",
    "test_roc_auc_ovr",  # k classes: one-vs-rest
    "test_macro_f1",
    "test_average_precision",
    "fold_roc_auc_sd",  # k-fold runs: the ROC-AUC's sd over the held-out folds
    "fold_balanced_accuracy_sd",
    "n_warnings",
)


GAP_RUN_COLUMNS = {  # a sweep over a numeric key: the ranking metric's gaps per run
    f"{prefix}{metric}": label
    for metric in ("roc_auc", "roc_auc_ovr")
    for prefix, label in (
        ("validation_", f"validation {metric}"),
        ("gap_validation_", f"train - validation {metric}"),
        ("gap_test_", f"train - test {metric}"),
    )
}


def _plot_caption(groups: pd.DataFrame, axis: Any = None) -> str:
    """The sweep plot's caption, naming the groups it cannot show (several thresholds each)."""
    if axis is not None:
        scale = ", log axis" if axis.log else ""
        return (
            f"Metrics against {axis.key}{scale}: test with its CI, validation beside it and train "
            "where the metric ignores the class balance (the training rows are resampled); the "
            "last panel is the train - test gap with its CI (test-row noise) and "
            "evaluate.max_gap"
        )
    unplotted = groups.loc[groups["threshold"].isna(), "group"].tolist()
    caption = "Test metrics against the threshold"
    if by_group(groups):
        caption = (
            f"Test metrics per group (one threshold, {groups['threshold'].dropna().iloc[0]:g})"
        )
    if unplotted:
        caption += (
            f"; not shown (multi-class, no single threshold): {', '.join(unplotted)}, "
            "see the tables"
        )
    return caption


def _run_links(root: Path, runs: pd.Series, target: str) -> list[str | None]:
    """`<run>/<target>` for each run whose folder holds that file, else None."""
    return [f"{run}/{target}" if (root / run / target).exists() else None for run in runs]


def _linked_runs(
    root: Path,
    frame: pd.DataFrame,
    folders: dict[str, pd.Series],
    targets: tuple[str, str] = (REPORT_HTML, REPORT_MD),
    **table: Any,
) -> Table:
    """`frame` as a Table whose run columns (`folders`: column -> each row's run folder, shown
    by its short name) link to `<run>/<targets[0]>` on the page and `<run>/<targets[1]>` in
    Markdown, with the folder as the cell's tooltip."""
    folders = {column: runs.reset_index(drop=True) for column, runs in folders.items()}
    html, markdown = targets
    return Table(
        frame,
        links={column: _run_links(root, runs, html) for column, runs in folders.items()},
        markdown_links={c: _run_links(root, runs, markdown) for c, runs in folders.items()},
        titles={column: runs.astype(str).tolist() for column, runs in folders.items()},
        **table,
    )


def _runs_table(
    root: Path, complete: pd.DataFrame, varying: list[str], gaps: bool = False
) -> Table:
    """Completed runs by their varying values: the overrides that vary over the sweep and the test
    metrics (two with their CI); with `gaps`, the ranking metric's validation value and its
    train - validation and train - test gaps with their CIs."""
    columns = [*RUN_COLUMNS, *(GAP_RUN_COLUMNS if gaps else ())]
    shown = ["run", *varying, *[c for c in columns if c in complete and complete[c].notna().any()]]
    values = complete[shown].reset_index(drop=True)
    for count in ("test_n", "n_warnings"):
        if count in values:
            values[count] = values[count].astype("Int64")
    runs = values.copy()
    named = values.assign(**{PARENT: complete[PARENT].to_numpy() if PARENT in complete else ""})
    runs["run"] = run_labels(named, varying, with_keys=False)  # the columns name the keys
    for metric in ("roc_auc", "roc_auc_ovr", "balanced_accuracy"):
        if f"test_{metric}" in runs and f"test_{metric}_ci_low" in complete:
            runs[f"test_{metric}"] = [with_ci(r, metric) for _, r in complete.iterrows()]
    for column in GAP_RUN_COLUMNS:
        if column in runs and f"{column}_ci_low" in complete:
            signed = column.startswith("gap_")
            runs[column] = [with_ci(r, column, "", signed) for _, r in complete.iterrows()]
    runs = runs.rename(columns=GAP_RUN_COLUMNS)
    values = values.rename(columns=GAP_RUN_COLUMNS)
    folders = {"run": values["run"]}
    runs, values = (
        frame.rename(columns=lambda c: c.removeprefix("test_")) for frame in (runs, values)
    )
    values["run"] = None  # the run column sorts by its name as shown, as text
    return _linked_runs(root, runs, folders, values=values, sortable=True)


def _repeats_section(groups: pd.DataFrame) -> Section:
    """Runs that differ only in the training seed: mean, sd and count."""
    text = (
        "Runs that differ only in the training seed, grouped: "
        "mean ± standard deviation (number of runs)."
    )
    return Section("Repeats", [text, Table(repeats_table(groups), sortable=True)])


def _comparable_section(
    root: Path, groups: pd.DataFrame, prevalence_dependent: Collection[str], axis: Any = None
) -> Section:
    """Per group: test value, CI and the no-skill value at its prevalence, and the plot."""
    blocks: list[Block] = [
        "Per group: the test value, mean over the group's runs [mean of the runs' bootstrap "
        "CI bounds: test-row noise of one run, not a CI of the group mean] (the best no-skill "
        "value at that group's prevalence). Metrics that depend on the prevalence cannot be "
        "compared across thresholds at face value; compare their distance from the no-skill "
        "value, or the prevalence-free metrics.",
        Table(comparable_table(groups, prevalence_dependent), sortable=True),
    ]
    if (root / METRICS_PNG).exists():
        blocks.append(Image(_plot_caption(groups, axis), METRICS_PNG))
    if (root / CURVES_PNG).exists():
        colour = f"coloured along {axis.key}" if axis is not None else "one colour per run"
        caption = "Per-epoch loss and monitored metric of every run (train solid, validation "
        blocks.append(Image(f"{caption}dashed), {colour}", CURVES_PNG))
    return Section("Comparable metrics", blocks)


def _paired_section(root: Path, paired: pd.DataFrame, names: dict[str, str]) -> Section:
    """The paired bootstrap differences between runs on the same test rows."""
    text = (
        "The same test rows resampled jointly for both "
        "runs (paired bootstrap); a difference whose CI contains 0 is within noise."
    )
    folders = {side: paired[side] for side in ("first", "second")}
    table = _linked_runs(root, paired_table(paired, names), folders, sortable=True)
    table.markdown_links = {}  # summary.md links each run once, in its Runs table
    return Section("Paired comparisons", [text, table])


def _shared_section(root: Path, shared: pd.DataFrame, names: dict[str, str]) -> Section:
    """A shared model's per-threshold folders against the dedicated runs at those thresholds."""
    side = SIDES[0]  # the shared model's folder: empty for a dedicated run without a partner
    folders = {column: shared[column].fillna("").astype(str) for column in SIDES}
    table = _linked_runs(root, shared_table(shared, names), folders, sortable=True)
    empty = folders[side].eq("").tolist()
    table.links[side] = [
        None if blank else link for blank, link in zip(empty, table.links[side], strict=True)
    ]
    table.markdown_links = {}  # summary.md links each run once, in its Runs table
    return Section("Shared vs dedicated", [SHARED_INTRO, table])


def _failed_section(root: Path, failed: pd.DataFrame, names: dict[str, str]) -> Section:
    """Failed runs by short name with their one-line reason, linked to their error.txt."""
    errors = failed[["run", "error"]].reset_index(drop=True)
    folders = {"run": errors["run"].copy()}
    errors["run"] = errors["run"].map(lambda run: names.get(run, run))
    table = _linked_runs(root, errors, folders, (ERROR_TXT, ERROR_TXT), sortable=True)
    return Section("Failed runs", [table])


def _runs_section(
    root: Path, complete: pd.DataFrame, varying: list[str], gaps: bool = False
) -> Section:
    """One row of test metrics per finished run."""
    text = (
        "Test metrics; ROC-AUC and balanced accuracy with their bootstrap CI. "
        "Each run's warnings are in its report; point at a run's name for its folder."
    )
    if gaps:
        text += (
            " The gaps are train minus validation or test, with the CI of the validation or "
            "test value subtracted from the train value (that split's row noise)."
        )
    return Section("Runs", [text, _runs_table(root, complete, varying, gaps)])


def _reference_section(complete: pd.DataFrame, labels: list[str]) -> Section | None:
    """The CNN beside the reference models fitted in every run, on the same test rows."""
    table = reference_table(complete, labels)
    if table is None:
        return None
    text = (
        "Test ROC-AUC (one-vs-rest for ordered classes) [bootstrap CI] of the CNN and of the "
        "reference models fitted in each run on the same training rows; CNN - best reference is "
        "a paired bootstrap on the run's test rows (a CI below 0: the CNN trails)."
    )
    return Section("Reference models", [text, Table(table, sortable=True)])


def _insights_section(found: dict[str, list[str]]) -> Section:
    """The insights after the verdict, under their headings, most important first."""
    blocks: list[Block] = []
    for heading, sentences in found.items():
        blocks += [f"**{heading}**", Bullets(sentences)]
    return Section("Insights", blocks)


def _present(value: Any) -> str | None:
    """A cell's text, None when empty (NaN)."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


RANDOM_SPLIT = split_description({"method": "random"})


def _count(value: Any) -> int | None:
    """A whole-number cell (folds, repeats) as an int, None when empty."""
    return None if _present(value) is None else int(float(value))


def split_kinds(complete: pd.DataFrame) -> dict[str, int]:
    """How the finished runs were split, in words, with the number of runs of each kind."""
    if complete.empty or "split_method" not in complete:
        return {}
    kinds: dict[str, int] = {}
    for _, row in complete.iterrows():
        record = {
            "method": _present(row["split_method"]) or "random",
            "group": _present(row.get("split_group")),
            "order": _present(row.get("split_order")),
            "part": _present(row.get("split_part")),
            "folds": _count(row.get("split_folds")),
            "repeats": _count(row.get("split_repeats")) or 1,
        }
        kind = split_description(record)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def split_title(kinds: dict[str, int]) -> str:
    """' (time-ordered split on date)' for the title of a sweep whose runs were split in time or
    by groups (several kinds: each with its runs); '' when every run was split at random."""
    if not kinds or set(kinds) == {RANDOM_SPLIT}:
        return ""
    if len(kinds) == 1:
        shown = next(iter(kinds))
    else:
        total = sum(kinds.values())
        shown = "; ".join(f"{kind} in {n} of {total} runs" for kind, n in kinds.items())
    return f" ({shown.replace('`', '')})"


def _intro(complete: pd.DataFrame, failed: pd.DataFrame, kinds: dict[str, int]) -> str:
    """The opening line: how many runs finished, and which runs share their test rows."""
    timed = any(kind.startswith("time-ordered") for kind in kinds)
    shared_by = "data and order" if timed and len(kinds) == 1 else "data and split seed"
    return (
        f"{len(complete)} run(s) complete, {len(failed)} failed. Runs with the same {shared_by} "
        "share their test rows, whatever their threshold; pairs that do not are marked in the "
        "paired comparisons."
    )


def _finished_sections(root: Path, summary: SweepSummary, complete: pd.DataFrame) -> list[Section]:
    """The Runs table and, where fitted, the reference models (none without finished runs)."""
    if complete.empty:
        return []
    gaps = summary.axis is not None
    runs = summary.complete if gaps else complete
    sections = [_runs_section(root, runs, summary.varying or [], gaps)]
    labels = run_labels(complete, summary.varying or []).tolist()
    return [*sections, *filter(None, [_reference_section(complete, labels)])]


def _group_sections(
    root: Path, summary: SweepSummary, prevalence_dependent: Collection[str]
) -> list[Section]:
    """The repeats (when a group has several runs) and the comparable metrics per group."""
    groups = summary.groups
    if groups is None or groups.empty:
        return []
    groups = shown_groups(groups, summary.group_names or {}, "group")
    sections = []
    if groups.filter(like="_count").max().max() > 1:
        sections.append(_repeats_section(groups))
    sections.append(_comparable_section(root, groups, prevalence_dependent, summary.axis))
    return sections


def _config_section(root: Path) -> Section | None:
    """The sweep's command line, when its multirun.yaml records one."""
    command = sweep_command(root)
    if not command:
        return None
    text = "The sweep's command line (from Hydra's multirun.yaml); each run's report ends "
    text += "with its full resolved config."
    return Section("Config", [text, Code(command, "bash")])


def summary_document(
    root: Path, summary: SweepSummary, prevalence_dependent: Collection[str]
) -> Document:
    """The sweep summary as a Document: summary.md and index.html are rendered from it."""
    table = summary.table
    complete = table[table["status"] == "complete"]
    failed = table[table["status"] == "failed"]
    kinds = split_kinds(complete)
    names = summary.names or {}
    found = dict(summary.insight_groups or {})
    verdict = found.pop("Verdict", [])
    sections = [_insights_section(found)] if found else []
    sections += _finished_sections(root, summary, complete)
    sections += _group_sections(root, summary, prevalence_dependent)
    if summary.shared is not None and not summary.shared.empty:
        sections.insert(1 if found else 0, _shared_section(root, summary.shared, names))
    if summary.paired is not None and not summary.paired.empty:
        sections.append(_paired_section(root, summary.paired, names))
    if not failed.empty:
        sections.append(_failed_section(root, failed, names))
    sections += filter(None, [_config_section(root)])
    title = f"Sweep summary: {root.resolve().name}{split_title(kinds)}"
    return Document(title, [*verdict, _intro(complete, failed, kinds)], sections)


HYDRA_INTERNAL = ("hydra.mode",)  # added by Hydra itself (-m sets hydra.mode=MULTIRUN)


def command_overrides(task: list[str], hydra: list[str]) -> list[str]:
    """The overrides that reproduce the sweep: the task's without `resume` (a resumed sweep
    rewrites multirun.yaml), then the user's Hydra ones (launcher, sweep dir) without
    Hydra's internal ones."""
    kept = [item for item in task if str(item).lstrip("+~").partition("=")[0] != "resume"]
    kept += [item for item in hydra if str(item).partition("=")[0] not in HYDRA_INTERNAL]
    return [str(item) for item in kept]


def sweep_command(root: Path) -> str | None:
    """`threshold-sweep -m <overrides>` as recorded in the sweep's multirun.yaml, if any."""
    import shlex

    import yaml

    path = root / "multirun.yaml"
    if not path.exists():
        return None
    try:
        overrides = yaml.safe_load(path.read_text())["hydra"]["overrides"]
        task, hydra = overrides["task"], overrides.get("hydra") or []
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError):
        return None
    items = command_overrides(list(task or []), list(hydra))
    return " ".join(["threshold-sweep", "-m", *(shlex.quote(item) for item in items)])
