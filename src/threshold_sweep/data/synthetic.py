"""The embedded default data: skewed x and noisy sequences that carry log10(x)."""

from __future__ import annotations

from typing import Any

import numpy as np

from threshold_sweep.data import Dataset
from threshold_sweep.errors import UserError


def generate(cfg: Any) -> Dataset:
    """Generate `cfg.n_samples` sequences whose bump height encodes a noisy log10(x)."""
    n, length, channels = int(cfg.n_samples), int(cfg.length), int(cfg.channels)
    if n < 10 or length < 4 or channels < 1:
        raise UserError(
            f"data.n_samples={n}, data.length={length}, data.channels={channels} are too small: "
            "use n_samples >= 10, length >= 4, channels >= 1"
        )
    if cfg.log10_sd <= 0 or cfg.signal_noise < 0 or cfg.noise < 0:
        raise UserError("data.log10_sd must be > 0 and data.signal_noise, data.noise >= 0")
    rng = np.random.default_rng(int(cfg.seed))
    log10_x = rng.normal(cfg.log10_mean, cfg.log10_sd, n)
    latent = (log10_x - cfg.log10_mean) / cfg.log10_sd + rng.normal(0.0, cfg.signal_noise, n)
    centers = rng.uniform(0.2, 0.8, n) * length
    width = max(length / 16.0, 1.0)
    steps = np.arange(length, dtype=np.float32)
    X = np.empty((n, length, channels), dtype=np.float32)
    chunk = 65536
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        offsets = (steps[None, :] - centers[start:stop, None].astype(np.float32)) / np.float32(
            width
        )
        bump = np.exp(np.float32(-0.5) * offsets * offsets)
        signal = latent[start:stop, None].astype(np.float32) * bump
        for channel in range(channels):
            noise = rng.standard_normal((stop - start, length), dtype=np.float32)
            X[start:stop, :, channel] = signal + np.float32(cfg.noise) * noise
    return Dataset(X=X, x=10.0**log10_x, ids=np.arange(n), source="synthetic")
