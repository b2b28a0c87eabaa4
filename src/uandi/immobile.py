"""Immobile pieces of track: positions that a particle at rest, seen with localization error, explains.

The networks were trained on moving particles (alpha in [0.05, 2]). A piece in which the particle
does not move gives them nothing to read and they answer with confident nonsense (a constant track:
alpha 1.73 and CTRW at 99.7 %), so such pieces are detected first and get a reason instead of an
alpha or a class.

The physics. A particle at rest at r0, observed with independent localization errors e_i of
standard deviation sigma per axis, has positions r_i = r0 + e_i. Its steps d_i = r_(i+1) - r_i are
not independent (consecutive steps share an error, correlation -1/2), and its mean squared
displacement is the same at every lag, 4 sigma^2 in 2D: alpha = 0. So, in terms of two sums over a
piece of L points,

    S = sum_i |r_i - mean(r)|^2      (spread of the positions, expectation 2 sigma^2 (L - 1))
    D = sum_i |d_i|^2                (squared steps, expectation 4 sigma^2 (L - 1)),

a particle at rest has M = D / S close to 2, whatever sigma is, while any motion that carries the
particle away from where it started makes the spread grow with L and M fall towards 0 (Brownian
motion: M about 6 / (L + 1)). With Gaussian errors the distribution of M for a particle at rest is
known exactly (see :func:`flat_msd_threshold`), so the test has a stated error rate.

A piece is reported immobile when

1. every position is exactly the same (no step at all): ``"immobile (no step)"``; or
2. the localization error sigma is given (per axis, in the positions' unit) and the spread is
   within what sigma alone explains, S / sigma^2 <= the (1 - level) quantile of chi^2 with
   2 (L - 1) degrees of freedom: ``"immobile (within the localization error)"``; a piece that
   spreads wider than sigma allows is not called immobile even if its MSD is flat (it is confined
   on a scale the data resolve); or
3. sigma is not given and M is consistent with 2: ``"immobile (MSD flat: positions scatter around
   a fixed point)"``. Without sigma a particle at rest and one confined below the frame-to-frame
   scale look the same; both have alpha = 0, outside the networks' range. So, for that matter,
   does FBM with alpha near 0.05 on short pieces: the test cannot tell them apart and calls them
   immobile too (measured in tests/test_immobile.py).

``level`` is the chance that a particle at rest, with Gaussian errors, is *not* called immobile.
Everything is computed on positions scaled by a power of two (exact), so the unit of the positions
does not matter, from 1e-300 to 1e300.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .data.normalize import unit_scale

__all__ = ["NO_STEP", "WITHIN_ERROR", "FLAT_MSD", "flat_msd_statistic", "flat_msd_threshold", "immobile_reason"]

NO_STEP = "immobile (no step)"
WITHIN_ERROR = "immobile (within the localization error)"
FLAT_MSD = "immobile (MSD flat: positions scatter around a fixed point)"
LEVEL = 0.05  # chance that a particle at rest (Gaussian errors) is not called immobile


def _sums(positions: np.ndarray) -> tuple[float, float, float]:
    """(S, D, scale): spread and squared-step sums of the positions scaled by 2**-k, and 2**k."""
    xy = np.asarray(positions, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"positions must be one piece of track, shape (L, 2); got {xy.shape}")
    if not np.all(np.isfinite(xy)):
        raise ValueError("positions must be finite; split the track at missing positions first")
    scaled = unit_scale(xy[None])[0]  # (L, 2), largest |coordinate| in [0.5, 1)
    peak = np.abs(xy).max() if xy.size else 0.0
    scale = peak / np.abs(scaled).max() if peak > 0 else 1.0  # the exact power of two
    spread = float(((scaled - scaled.mean(axis=0)) ** 2).sum())
    steps = float((np.diff(scaled, axis=0) ** 2).sum())
    return spread, steps, scale


def flat_msd_statistic(positions) -> float:
    """M = sum |d_i|^2 / sum |r_i - mean(r)|^2 of one piece (L, 2): 2 for a particle at rest seen
    with independent errors, near 6 / (L + 1) for Brownian motion; inf when there is no step (all
    positions equal). Dimensionless: the unit of the positions cancels."""
    spread, steps, _ = _sums(positions)
    return steps / spread if steps > 0 else np.inf


def flat_msd_threshold(length: int, level: float = LEVEL) -> float:
    """Smallest M still called immobile for a piece of `length` points (>= 3).

    For a particle at rest with independent Gaussian errors, 1 / M = S / D and the path-graph
    Laplacian behind D commute with the centring behind S; in their common eigenbasis
    M = sum_k mu_k p_k with mu_k = 2 - 2 cos(pi k / L), k = 1 .. L - 1, and p uniform on the simplex
    (normalised chi^2_2 = exponential weights). So M has mean 2, variance
    2 (L - 2) / (L (L - 1)), and a distribution symmetric about 2 on (0, 4); its lower `level`
    quantile is taken from the normal approximation, which the bounded, symmetric distribution
    makes slightly conservative (checked by simulation in the tests).
    """
    if length < 3:
        raise ValueError(f"the flat-MSD test needs at least 3 points; got {length}")
    sd = np.sqrt(2.0 * (length - 2) / (length * (length - 1.0)))
    return 2.0 + stats.norm.ppf(level) * sd


def immobile_reason(positions, localization_error: float | None = None, level: float = LEVEL) -> str:
    """Why one piece of track (L, 2) counts as immobile, or "" if it moves (see the module docstring).

    Parameters
    ----------
    positions : (L, 2) finite positions of consecutive frames, any unit.
    localization_error : standard deviation of the localization error per axis, in the unit of the
        positions; None: unknown, the flat-MSD test is used.
    level : chance that a particle at rest is not called immobile (Gaussian errors), in (0, 1).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    spread, steps, scale = _sums(positions)
    length = len(positions)
    if steps == 0:
        return NO_STEP
    if length < 3:
        return ""
    if localization_error is not None:
        if not (np.isfinite(localization_error) and localization_error > 0):
            raise ValueError(f"localization_error must be a finite number > 0; got {localization_error!r}")
        sigma = localization_error / scale  # in the scaled unit; a ratio of powers of two is exact
        bound = stats.chi2.ppf(1.0 - level, 2 * (length - 1))
        return WITHIN_ERROR if spread <= bound * sigma**2 else ""
    return FLAT_MSD if steps >= flat_msd_threshold(length, level) * spread else ""
