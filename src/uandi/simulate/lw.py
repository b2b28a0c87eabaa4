"""Levy walk: flights of power-law duration at constant speed, uniformly random direction in 2D.

Flight times tau >= 1 with density psi(tau) ~ tau^(-1-sigma), sigma = 3 - alpha (1 <= alpha <= 2;
alpha = 2 is ballistic). Speed 1. Observed on a regular time grid: the walker is somewhere inside its
current flight, so positions are interpolated linearly along it.
"""

from __future__ import annotations

import numpy as np

from ._common import completed_renewals, renewal_durations


def lw(rng: np.random.Generator, alpha: np.ndarray, length: int, speed: float = 1.0) -> np.ndarray:
    """2D Levy-walk positions (n, length, 2) starting at 0."""
    n = alpha.shape[0]
    durations = renewal_durations(rng, 3.0 - alpha, length)  # (n, J)
    angle = rng.uniform(0.0, 2.0 * np.pi, durations.shape)
    velocity = speed * np.stack([np.cos(angle), np.sin(angle)], axis=-1)  # (n, J, 2)
    k, starts = completed_renewals(durations, length)  # k: (n, length) flights completed by t
    turns = np.zeros((n, durations.shape[1] + 1, 2))
    np.cumsum(velocity * durations[:, :, None], axis=1, out=turns[:, 1:])  # position at each turn
    t = np.arange(length, dtype=float)[None, :]
    elapsed = t - np.take_along_axis(starts, k, axis=1)  # (n, length) time into the current flight
    current_v = np.take_along_axis(velocity, k[:, :, None], axis=1)  # (n, length, 2)
    return np.take_along_axis(turns, k[:, :, None], axis=1) + current_v * elapsed[:, :, None]
