"""Localization noise: Gaussian, zero mean, added to positions."""

from __future__ import annotations

import numpy as np


def check_noise(sigma) -> float:
    s = float(sigma)
    if not np.isfinite(s) or s < 0:
        raise ValueError(f"noise (localization noise sigma_n, relative to the RMS step) must be >= 0, got {sigma!r}")
    return s


def add_localization_noise(
    positions: np.ndarray, sigma: np.ndarray | float, rng: np.random.Generator
) -> np.ndarray:
    """Return positions + N(0, sigma^2) per axis.

    positions: (n, L, 2). sigma: scalar, or per point (n, L) - e.g. sigma_n times the RMS step of the
    segment each point belongs to, so that sigma_n means the same for every model.
    """
    s = np.asarray(sigma, dtype=float)
    if s.ndim == 2:
        s = s[:, :, None]
    return positions + rng.standard_normal(positions.shape) * s
