"""The evaluation stage: metrics, chance levels, bootstrap CIs, cutoffs, diagnostics."""
