"""The five models as andi-datasets parametrises them (flavor="andi"), vectorised.

andi-datasets (2.1.13, `models_theory._twoD`, the AnDi challenge's and the U-AnDi paper's simulator)
differs from our own models (flavor="uandi") in ways that a network notices; docs/simulator.md measures
them side by side. This module reproduces andi's parametrisations (reimplemented from its model
definitions, vectorised over the batch instead of one trajectory at a time):

- ATTM (regime 1): sigma = 3 U(0.01, 1.1) redrawn until gamma = sigma / alpha <= sigma + 1, i.e.
  sigma uniform in [0.03, min(3.3, alpha / (1 - alpha))]; each period draws V ~ U(0.01, 0.9),
  D = V^(1/sigma) and lasts int(V^(-1/alpha)) whole frames (at most the trajectory length), with
  Brownian steps of per-axis variance 2 D. Periods are truncated: beyond 0.01^(-1/alpha) frames the
  motion is plain Brownian.
- CTRW: Pareto waits >= 1 (exponent alpha), unit Gaussian jumps per axis, jump k shown at frame
  floor(t_k) (ours: ceil(t_k), the first frame after it happened).
- LW: flight times int(U^(-1/sigma)) whole frames, sigma = 3 - alpha (at alpha = 2 exactly, sigma
  uniform in (0, 1) per trajectory), speed U(0, 10) per trajectory; turns happen only at frames.
- SBM: the offset path: step t has per-axis variance (t + 1)^alpha - t^alpha (andi drops the first
  step of a path with MSD t^alpha), so the MSD from the start is (t + 1)^alpha - 1.
- FBM: the same process; andi's is sampled on total time 1, so steps have per-axis variance
  n_steps^(-alpha).
Where segments are rescaled (dataset's scale="free", the default) only the shapes above matter. In
native units, uandi.simulate.dataset simulates segments of similar length together, so an andi FBM
segment takes the total-time-1 scale of its batch's longest segment.
"""

from __future__ import annotations

import numpy as np

from ._common import normal_pairs, per_frame_sum, renewal_durations, take_per_row
from .fbm import fgn_2d


def _integer_periods(rng: np.random.Generator, duration, n: int, n_steps: int, block: int = 32):
    """Whole-frame durations (n, J) >= 1 whose sum per row exceeds n_steps, and the uniforms that drew them.

    duration(u, rows) -> float durations >= 1 (len(rows), width) from uniforms u in [0, 1) for those
    rows; they are truncated to integers (int(t), as andi does). Rows already covered are padded with
    durations of n_steps + 1 (never reached). Returns (periods int64 (n, J), u float64 (n, J)).
    """
    u = rng.random((n, block))
    periods = np.floor(duration(u, np.arange(n)))
    while True:
        short = np.flatnonzero(periods.sum(axis=1) <= n_steps)
        if short.size == 0:
            return periods.astype(np.int64), u
        more_u = np.zeros((n, periods.shape[1]))
        more = np.full((n, periods.shape[1]), float(n_steps + 1))
        more_u[short] = rng.random((short.size, periods.shape[1]))
        more[short] = np.floor(duration(more_u[short], short))
        u, periods = np.concatenate([u, more_u], axis=1), np.concatenate([periods, more], axis=1)


def _period_of_step(periods: np.ndarray, n_steps: int) -> np.ndarray:
    """(n, n_steps) index of the period that holds each step (step i lies in period k when the first
    k periods end at or before i)."""
    ends = np.minimum(np.cumsum(periods, axis=1), n_steps)
    return np.cumsum(per_frame_sum(ends, n_steps)[:, :n_steps], axis=1)


def attm_sigma(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """andi's ATTM sigma (regime 1): uniform in [0.03, min(3.3, alpha / (1 - alpha))], the range its
    rejection loop accepts (alpha >= 0.05 keeps it non-empty; andi stalls below alpha ~ 0.03)."""
    upper = np.minimum(3.3, alpha / np.maximum(1.0 - alpha, 1e-12))
    return 0.03 + rng.random(alpha.shape[0]) * (upper - 0.03)


def attm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D ATTM increments (n, n_steps, 2), andi's parametrisation."""
    n = alpha.shape[0]
    sigma = attm_sigma(rng, alpha)

    def duration(u, rows):  # V = 0.01 + 0.89 u ~ U(0.01, 0.9); the period lasts V^(-1/alpha) frames
        return np.minimum(np.exp(-np.log(0.01 + 0.89 * u) / alpha[rows, None]), n_steps + 1)

    periods, u = _integer_periods(rng, duration, n, n_steps)  # (n, J)
    v = 0.01 + 0.89 * u
    d = np.exp(np.log(v) / sigma[:, None])  # D = V^(1/sigma), (n, J)
    k = _period_of_step(periods, n_steps)  # (n, n_steps)
    steps = normal_pairs(rng, (n, n_steps), dtype)
    steps *= np.sqrt(2.0 * take_per_row(d, k)).astype(dtype)[:, :, None]
    return steps


def ctrw_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D CTRW increments (n, n_steps, 2), andi's parametrisation: jump k shows at frame floor(t_k)."""
    n = alpha.shape[0]
    length = n_steps + 1
    waits = renewal_durations(rng, alpha, length + 1)  # (n, J); floor(t) <= n_steps needs t < length
    frames = np.minimum(np.floor(np.cumsum(waits, axis=1)), length).astype(np.int64)
    jumps = normal_pairs(rng, waits.shape)
    steps = np.empty((n, n_steps, 2), dtype)
    for axis in range(2):
        steps[:, :, axis] = per_frame_sum(frames, length, jumps[:, :, axis])[:, 1:length]
    return steps


def lw_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D Levy-walk increments (n, n_steps, 2), andi's parametrisation: whole-frame flights, speed
    U(0, 10) per trajectory; the first step of the path is dropped, as andi does."""
    n = alpha.shape[0]
    total = n_steps + 1
    sigma = np.where(alpha >= 2.0, rng.random(n), 3.0 - alpha)
    sigma = np.maximum(sigma, 1e-3)  # U(0, 1) can be ~0: flights then last the whole path anyway

    def duration(u, rows):  # Pareto flight times U^(-1/sigma), capped just beyond the path
        return np.exp(np.minimum(-np.log1p(-u) / sigma[rows, None], np.log(total + 1.0)))

    flights, _ = _integer_periods(rng, duration, n, total)  # (n, J)
    angle = rng.random(flights.shape) * (2.0 * np.pi)
    speed = 10.0 * rng.random(n)
    k = _period_of_step(flights, total)[:, 1:]  # (n, n_steps) after dropping the first step
    a = take_per_row(angle, k)
    steps = np.empty((n, n_steps, 2), dtype)
    steps[:, :, 0] = np.cos(a) * speed[:, None]
    steps[:, :, 1] = np.sin(a) * speed[:, None]
    return steps


def sbm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D SBM increments (n, n_steps, 2), andi's offset path: per-axis variance (t+1)^alpha - t^alpha."""
    log_t = np.log(np.arange(1, n_steps + 2, dtype=float))[None, :]  # t = 1..n_steps + 1
    t_alpha = np.exp(alpha[:, None] * log_t)  # (n, n_steps + 1)
    var = np.diff(t_alpha, axis=1)  # (t+1)^alpha - t^alpha for t = 1..n_steps
    steps = normal_pairs(rng, (alpha.shape[0], n_steps), dtype)
    steps *= np.sqrt(var).astype(dtype)[:, :, None]
    return steps


def fbm_steps(rng: np.random.Generator, alpha: np.ndarray, n_steps: int, dtype=np.float64) -> np.ndarray:
    """2D FBM increments (n, n_steps, 2) on total time 1: per-axis step variance n_steps^(-alpha)."""
    steps = fgn_2d(rng, alpha, n_steps, dtype)
    steps *= np.exp(-0.5 * alpha * np.log(n_steps)).astype(dtype)[:, None, None]
    return steps


STEPS = {"attm": attm_steps, "ctrw": ctrw_steps, "fbm": fbm_steps, "lw": lw_steps, "sbm": sbm_steps}
