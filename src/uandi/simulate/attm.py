"""Annealed transient time motion: Brownian motion whose diffusion coefficient is redrawn at renewals.

D has density ~ D^(sigma - 1) on (0, 1]; each period lasts tau = D^(-gamma); alpha = sigma / gamma,
in the subdiffusive regime sigma < gamma < sigma + 1. Then tau = u^(-1/alpha) for uniform u, i.e. the
periods are Pareto with exponent alpha whatever sigma is, and D = tau^(-1/gamma). Each step's variance
is the exact integral of D over the unit time step (periods may end inside a step).
"""

from __future__ import annotations

import numpy as np

from ._common import (
    completed_renewals,
    normal_pairs,
    positions_from_steps,
    renewal_durations,
    take_per_row,
)


def attm_gamma(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Draw gamma uniformly in [1, min(2, 1 / (1 - alpha))), which keeps sigma < gamma < sigma + 1."""
    upper = np.minimum(2.0, 1.0 / np.maximum(1.0 - alpha, 1e-9))
    return 1.0 + rng.random(alpha.shape[0]) * (upper - 1.0)


def attm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D ATTM increments (n, n_steps, 2); the clock (integral of D) is kept in float64."""
    n = alpha.shape[0]
    length = n_steps + 1
    gamma = attm_gamma(rng, alpha)
    periods = renewal_durations(rng, alpha, length)  # (n, J)
    d = periods ** (-1.0 / gamma[:, None])  # (n, J) diffusion coefficient of each period, in (0, 1]
    k, starts = completed_renewals(periods, length)  # (n, length)
    # Clock C(t) = integral of D from 0 to t, piecewise linear: C at period starts plus D * elapsed.
    clock_at_starts = np.concatenate([np.zeros((n, 1)), np.cumsum(d * periods, axis=1)], axis=1)
    t = np.arange(length, dtype=float)[None, :]
    clock = take_per_row(clock_at_starts, k) + take_per_row(d, k) * (t - take_per_row(starts, k))
    var = 2.0 * np.diff(clock, axis=1)  # (n, n_steps) per-axis step variance
    steps = normal_pairs(rng, (n, n_steps), dtype)
    steps *= np.sqrt(np.maximum(var, 0.0)).astype(dtype)[:, :, None]
    return steps


def attm(rng: np.random.Generator, alpha: np.ndarray, length: int) -> np.ndarray:
    """2D ATTM positions (n, length, 2) float64 starting at 0."""
    return positions_from_steps(attm_steps(rng, alpha, length - 1))
