"""Scaled Brownian motion: Brownian motion with diffusivity K(t) ~ alpha t^(alpha - 1).

Step t (from time t-1 to t) is Gaussian with per-axis variance 2 K (t^alpha - (t-1)^alpha), so the
ensemble MSD is exactly 2 K t^alpha per axis at every lag from t = 0 (andi-datasets' version is offset).
"""

from __future__ import annotations

import numpy as np

from ._common import normal_pairs, positions_from_steps


def sbm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D SBM increments (n, n_steps, 2) with K = 1; the variances are computed in float64."""
    log_t = np.log(np.arange(1, n_steps + 1, dtype=float))[None, :]  # (1, n_steps)
    t_alpha = np.exp(alpha[:, None] * log_t)  # t^alpha, (n, n_steps)
    var = 2.0 * np.diff(t_alpha, axis=1, prepend=0.0)  # 2 (t^alpha - (t-1)^alpha)
    steps = normal_pairs(rng, (alpha.shape[0], n_steps), dtype)
    steps *= np.sqrt(var).astype(dtype)[:, :, None]
    return steps


def sbm(rng: np.random.Generator, alpha: np.ndarray, length: int) -> np.ndarray:
    """2D SBM positions (n, length, 2) float64 starting at 0, per-axis MSD = 2 t^alpha."""
    return positions_from_steps(sbm_steps(rng, alpha, length - 1))
