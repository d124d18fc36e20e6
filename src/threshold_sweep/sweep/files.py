"""The files sweep.build writes into a sweep folder, beside one folder per job."""

from __future__ import annotations

SUMMARY_CSV = "summary.csv"
GROUPS_CSV = "summary_groups.csv"
PAIRED_CSV = "summary_paired.csv"
POOLED_CSV = "summary_pooled.csv"
SHARED_CSV = "summary_shared_vs_dedicated.csv"
METRICS_PNG = "summary_metrics.png"
CURVES_PNG = "summary_curves.png"
