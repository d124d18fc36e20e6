"""model.head and model.head_consistency: the model.* keys the run reads, not the builder."""

from __future__ import annotations

from typing import Any

from threshold_sweep.conf.choices import Head, HeadConsistency

HEAD_KEYS = ("head", "head_consistency")  # model.* keys the run reads, not the builder


def model_head(model: Any) -> tuple[str, str]:
    """model.head and model.head_consistency as text (a custom model's may be absent)."""
    head = model.get("head", Head.probability)
    consistency = model.get("head_consistency", HeadConsistency.rank_consistent)
    return str(getattr(head, "value", head)), str(getattr(consistency, "value", consistency))
