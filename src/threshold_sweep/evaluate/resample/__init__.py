"""The vectorised bootstrap's parts: resample draws, per-task tallies, weighted predictions and
how an interval is read from the resampled values (evaluate/bootstrap.py drives them)."""
