"""Scaled Brownian motion: Brownian motion with diffusivity K(t) ~ alpha t^(alpha - 1).

Step t (from time t-1 to t) is Gaussian with per-axis variance 2 K (t^alpha - (t-1)^alpha), so the
ensemble MSD is exactly 2 K t^alpha per axis at every lag from t = 0 (andi-datasets' version is offset).
"""

from __future__ import annotations

import numpy as np


def sbm(rng: np.random.Generator, alpha: np.ndarray, length: int, diffusion: float = 1.0) -> np.ndarray:
    """2D SBM positions (n, length, 2) starting at 0."""
    t = np.arange(1, length, dtype=float)[None, :]  # (1, length - 1)
    a = alpha[:, None]
    var = 2.0 * diffusion * (t**a - (t - 1.0) ** a)  # (n, length - 1)
    steps = rng.standard_normal((alpha.shape[0], length - 1, 2)) * np.sqrt(var)[:, :, None]
    out = np.zeros((alpha.shape[0], length, 2))
    np.cumsum(steps, axis=1, out=out[:, 1:])
    return out
