"""The Split section of a time split: each split's order range, class balance and drift."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.splits import share_text, split_description
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.run_page.common import capital


def _split_table(record: dict[str, Any]) -> pd.DataFrame:
    """A time split's rows, order range, class shares and drift test against training."""
    rows = []
    for name, part in record["splits"].items():
        shares = part["class_shares"]
        shown = [list(shares)[-1]] if part.get("prevalence") is not None else list(shares)
        drift = (record.get("drift") or {}).get(name)
        test = ""
        if drift:
            verdict = "drifts" if drift["drifted"] else "within noise"
            test = f"p = {drift['p_value']:.2g}: {verdict}"
        rows.append(
            {
                "split": name,
                "rows": part["rows"],
                f"first {record['order']}": part["first"],
                f"last {record['order']}": part["last"],
                **{f"{label} share": share_text(shares[label]) for label in shown},
                "class balance vs train": test,
            }
        )
    return pd.DataFrame(rows)


def split_section(record: dict[str, Any]) -> Section:
    """A time split: what it did, and each split's order range and class balance."""
    return Section(
        "Split",
        [
            f"""{capital(split_description(record))}: the earliest rows train, the next validate,
the latest test (split=time: no seed and no stratification; rows with the same
`{record["order"]}` stay in one split). Over time the class balance may drift: each later
split's class counts are compared with training's by a {record["drift_test"]}, and
p < {record["drift_alpha"]:g} means a drift beyond sampling noise.""",
            Table(_split_table(record)),
        ],
    )
