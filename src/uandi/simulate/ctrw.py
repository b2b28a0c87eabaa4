"""Continuous-time random walk: power-law waiting times, Gaussian jumps, observed on a regular grid.

Waiting times tau >= 1 with density psi(tau) = alpha tau^(-1-alpha) (0 < alpha <= 1: infinite mean,
so MSD ~ t^alpha at long times). Jumps are Gaussian with unit variance per axis. The position at
integer time t is the position after the last jump completed by t.
"""

from __future__ import annotations

import numpy as np

from ._common import (
    normal_pairs,
    per_frame_sum,
    positions_from_steps,
    renewal_durations,
    renewal_frames,
)


def ctrw_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D CTRW increments (n, n_steps, 2): step t is the sum of the jumps completed in (t-1, t]."""
    n = alpha.shape[0]
    length = n_steps + 1
    waits = renewal_durations(rng, alpha, length)  # (n, J)
    jumps = normal_pairs(rng, (n, waits.shape[1]))
    _, frames = renewal_frames(waits, length)  # (n, J): frame at which each jump shows (>= 1)
    steps = np.empty((n, n_steps, 2), dtype)
    for axis in range(2):
        steps[:, :, axis] = per_frame_sum(frames, length, jumps[:, :, axis])[:, 1:length]
    return steps


def ctrw(rng: np.random.Generator, alpha: np.ndarray, length: int) -> np.ndarray:
    """2D CTRW positions (n, length, 2) float64 starting at 0."""
    return positions_from_steps(ctrw_steps(rng, alpha, length - 1))
