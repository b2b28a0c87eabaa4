"""Continuous-time random walk: power-law waiting times, Gaussian jumps, observed on a regular grid.

Waiting times tau >= 1 with density psi(tau) = alpha tau^(-1-alpha) (0 < alpha <= 1: infinite mean,
so MSD ~ t^alpha at long times). Jumps are Gaussian with unit variance per axis. The position at
integer time t is the position after the last jump completed by t.
"""

from __future__ import annotations

import numpy as np

from ._common import completed_renewals, renewal_durations


def ctrw(rng: np.random.Generator, alpha: np.ndarray, length: int) -> np.ndarray:
    """2D CTRW positions (n, length, 2) starting at 0."""
    n = alpha.shape[0]
    waits = renewal_durations(rng, alpha, length)  # (n, J)
    jumps = rng.standard_normal((n, waits.shape[1], 2))
    k, _ = completed_renewals(waits, length)  # (n, length): jumps done by time t
    sites = np.zeros((n, waits.shape[1] + 1, 2))
    np.cumsum(jumps, axis=1, out=sites[:, 1:])  # position after j jumps
    return np.take_along_axis(sites, k[:, :, None], axis=1)
