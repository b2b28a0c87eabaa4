"""Localization noise: Gaussian, zero mean, added to positions."""

from __future__ import annotations

import numpy as np


def check_noise(sigma, n: int | None = None):
    """sigma_n: a scalar >= 0, or one value per trajectory (shape (n,)) when n is given."""
    s = np.asarray(sigma, dtype=float)
    if s.ndim > 1 or (s.ndim == 1 and (n is None or s.shape != (n,))):
        raise ValueError(f"noise must be a scalar or have shape ({n},) - one per trajectory; got shape {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"noise (localization noise sigma_n, relative to the RMS step) must be >= 0, got {sigma!r}")
    return float(s) if s.ndim == 0 else s


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
