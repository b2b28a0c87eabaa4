"""Levy walk: flights of power-law duration at constant speed, uniformly random direction in 2D.

Flight times tau >= 1 with density psi(tau) ~ tau^(-1-sigma), sigma = 3 - alpha (1 <= alpha <= 2;
alpha = 2 is ballistic). Speed 1. Observed on a regular time grid: the walker is somewhere inside its
current flight, so positions are interpolated linearly along it.
"""

from __future__ import annotations

import numpy as np

from ._common import completed_renewals, renewal_durations, take_per_row


def lw(rng: np.random.Generator, alpha: np.ndarray, length: int, speed: float = 1.0) -> np.ndarray:
    """2D Levy-walk positions (n, length, 2) float64 starting at 0."""
    n = alpha.shape[0]
    durations = renewal_durations(rng, 3.0 - alpha, length)  # (n, J)
    k, starts = completed_renewals(durations, length)  # k: (n, length) flights completed by t
    n_flights = int(k[:, -1].max()) + 1  # flights that start inside the window
    durations, starts = durations[:, :n_flights], starts[:, :n_flights]
    # direction uniform on the circle; float32 trigonometry is ~30x faster than float64, and the
    # division by the norm in float64 makes the speed exact
    angle = rng.random((n, n_flights), dtype=np.float32) * np.float32(2.0 * np.pi)
    velocity = np.empty((n, n_flights, 2))
    velocity[:, :, 0] = np.cos(angle)
    velocity[:, :, 1] = np.sin(angle)
    velocity *= (speed / np.sqrt(np.einsum("ijk,ijk->ij", velocity, velocity)))[:, :, None]
    turns = np.zeros((n, n_flights, 2))  # position at the start of each flight
    np.cumsum(velocity[:, :-1] * durations[:, :-1, None], axis=1, out=turns[:, 1:])
    elapsed = np.arange(length, dtype=float)[None, :] - take_per_row(starts, k)  # (n, length) into the flight
    return take_per_row(turns, k) + take_per_row(velocity, k) * elapsed[:, :, None]


def lw_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D Levy-walk increments (n, n_steps, 2), speed 1: each has length <= 1."""
    return np.diff(lw(rng, alpha, n_steps + 1), axis=1).astype(dtype, copy=False)
