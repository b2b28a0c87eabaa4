"""Exact likelihood of a segment of scaled Brownian motion (SBM): its exponent alpha and K, with errors.

SBM is Brownian motion with a time-dependent diffusivity: over frame t of a segment (t = 1..n,
counted from the segment's start) each axis moves by an independent Gaussian step of variance
2 K w_t, with w_t = (t + t0)^alpha - (t + t0 - 1)^alpha, so that the per-axis MSD from the start is
2 K ((t + t0)^alpha - t0^alpha). The clock offset t0 is 0 in our simulator (the SBM clock restarts at
each segment) and 1 in andi-datasets' (its offset path). A segment found in a track may begin a few
frames after its motion did (a changepoint placed late), and a real particle's clock is unknown; an
offset wrongly taken as 0 biases alpha away from 1 (6 frames late at alpha 1.8, n = 200: bias -0.14,
95 % intervals holding the truth in 52 %). So for segments found in a track (``starts="found"``, the
product's case) the fit is averaged over the offsets 0, 1, 2, 4, 8 and 16 frames, each weighted by its
likelihood and a prior that puts half its mass on the two simulators' 0 and 1; for segments known to
begin where their motion began (``starts="exact"``) over 0 and 1 alone, equally. alpha is the weighted
mean, and its variance the weighted within-offset variance plus the spread between offsets (local model
averaging). Averaging over late starts costs segments whose start is exact a bias away from 1 (up to
0.05 at n = 200) and buys intervals that hold where the start is a few frames late (docs/likelihood.md
part E). K likewise, on the log scale, as the K whose 2 K n^alpha is each offset's MSD over the
segment's n frames (for t0 = 0 the K of the clock itself).
Steps are independent, so the likelihood is exact and cheap: K is profiled out in closed form and
alpha is found on a grid refined by a bounded scalar search. Standard errors come from the observed
information of (alpha, log K), by finite differences at the maximum.

Localization noise is not modelled (unlike the FBM likelihood): it adds the same variance to every step,
flattening their profile, so on a noisy segment the SBM exponent is pulled towards 1 under a tight error
bar (on the five-model mix at noise 0.3 / 0.5 of the step, L = 500, the 95 % intervals held the truth in
74 % / 40 % of segments). But SBM's steps are independent, and white noise on the positions makes
consecutive steps anti-correlated, so each fit also tests for it (noise_z: the lag-1 correlation of the
steps, each scaled by its fitted standard deviation, in standard errors; about N(0, 1) without noise);
the product does not report an SBM fit whose test fails (NOISE_Z; docs/likelihood.md part E). Units: K in
input length^2 / frame^alpha, like uandi.likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import optimize

from .workers import Packed, Workers, active, split

ALPHA_BOUNDS = (0.05, 2.0)  # SBM's range in the AnDi convention
# clock offsets t0 averaged over, with their prior weights, by how a segment's start was known: "exact"
# (our simulator's segments, andi-datasets' offset path) or "found" (also up to 16 frames late)
CLOCK_OFFSETS = {"exact": ((0.0, 1.0), (0.5, 0.5)),
                 "found": ((0.0, 1.0, 2.0, 4.0, 8.0, 16.0), (0.25, 0.25, 0.125, 0.125, 0.125, 0.125))}
_GRID = np.linspace(*ALPHA_BOUNDS, 196)
# noise_z below -NOISE_Z: the steps are anti-correlated, as localization noise makes them (one-sided 5 %)
NOISE_Z = 1.64


@dataclass
class SBMFit:
    """Per-segment maximum-likelihood SBM estimates (arrays over segments).

    alpha, alpha_se: exponent and its standard error, averaged over the clock offsets (the module's
    docstring). K, K_se: per-axis MSD 2 K t^alpha coefficient (input units^2 / frame^alpha) and its
    standard error, likewise. clock_offset: t0 of the likeliest fit; loglik: its maximised
    log-likelihood. n: steps. at_bound: alpha at 0.05 or 2 (no error reported). noise_z: the test for
    localization noise (_noise_z; below -NOISE_Z the steps look noisy and the fit is not to be trusted).
    """

    alpha: np.ndarray
    alpha_se: np.ndarray
    K: np.ndarray
    K_se: np.ndarray
    clock_offset: np.ndarray
    loglik: np.ndarray
    n: np.ndarray
    at_bound: np.ndarray
    noise_z: np.ndarray


def _weights(alpha: np.ndarray, n: int, t0: float) -> np.ndarray:
    """w_t = (t + t0)^alpha - (t + t0 - 1)^alpha, shape (len(alpha), n), for t = 1..n."""
    t = np.arange(0, n + 1, dtype=float) + t0  # t + t0 - 1 for t = 1 is t0
    with np.errstate(divide="ignore"):
        log_t = np.log(t)  # log 0 = -inf gives 0^alpha = 0
    powers = np.exp(np.asarray(alpha, dtype=float)[:, None] * log_t[None, :])
    return np.diff(powers, axis=1)


def _noise_z(steps: np.ndarray, alpha: float, t0: float) -> float:
    """The lag-1 correlation of a segment's steps (n, 2), each divided by sqrt(w_t) at the fitted alpha
    and clock offset (so that without noise they are independent with one variance), pooled over both
    axes, in standard errors (the correlation times sqrt(2 (n - 1)), the number of products summed): about
    N(0, 1) for SBM, negative where white localization noise of sigma adds -sigma^2 to the covariance of
    consecutive steps. NaN under 3 steps."""
    if steps.shape[0] < 3:
        return np.nan
    u = steps / np.sqrt(_weights(np.array([alpha]), steps.shape[0], t0)[0])[:, None]  # (n, 2)
    num = np.sum(u[1:] * u[:-1])
    den = np.sqrt(np.sum(u[1:] ** 2) * np.sum(u[:-1] ** 2))
    return float(num / den * np.sqrt(2 * (u.shape[0] - 1))) if den > 0 else np.nan


def _loglik(alpha: np.ndarray, log_k: np.ndarray | None, sq: np.ndarray, t0: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood of the squared step lengths sq (n,) (x^2 + y^2 per step) for each alpha.

    log_k None: K profiled out (K = sum(sq / w) / 4n). Returns (loglik, log K), each (len(alpha),).
    """
    n = sq.shape[0]
    w = _weights(alpha, n, t0)  # (a, n)
    ratio = (sq[None, :] / w).sum(axis=1)  # sum S_t / w_t
    if log_k is None:
        log_k = np.log(np.maximum(ratio, 1e-300) / (4.0 * n))
    k = np.exp(log_k)
    ll = -n * np.log(4.0 * np.pi) - n * log_k - np.log(w).sum(axis=1) - ratio / (4.0 * k)
    return ll, log_k


def _best_alpha(sq: np.ndarray, t0: float) -> tuple[float, float]:
    """(alpha, profile loglik) at the maximum over ALPHA_BOUNDS: the grid's best point, then a bounded
    scalar search between its neighbours (kept only if it beats the grid point)."""
    ll, _ = _loglik(_GRID, None, sq, t0)
    i = int(np.argmax(ll))
    lo, hi = _GRID[max(i - 1, 0)], _GRID[min(i + 1, _GRID.size - 1)]
    res = optimize.minimize_scalar(lambda a: -_loglik(np.array([a]), None, sq, t0)[0][0], bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-6})
    if -res.fun > ll[i]:
        return float(res.x), float(-res.fun)
    return float(_GRID[i]), float(ll[i])


def _standard_errors(alpha: float, log_k: float, sq: np.ndarray, t0: float) -> tuple[float, float]:
    """Standard errors of alpha and log K from the observed information (central differences)."""
    h = np.array([1e-3, 1e-3])

    def f(da, dk):
        return _loglik(np.array([alpha + da]), np.array([log_k + dk]), sq, t0)[0][0]

    f0 = f(0, 0)
    haa = (f(h[0], 0) - 2 * f0 + f(-h[0], 0)) / h[0] ** 2
    hkk = (f(0, h[1]) - 2 * f0 + f(0, -h[1])) / h[1] ** 2
    hak = (f(h[0], h[1]) - f(h[0], -h[1]) - f(-h[0], h[1]) + f(-h[0], -h[1])) / (4 * h[0] * h[1])
    info = -np.array([[haa, hak], [hak, hkk]])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.nan, np.nan
    if cov[0, 0] <= 0 or cov[1, 1] <= 0:
        return np.nan, np.nan
    return float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))


def fit_sbm_segments(segments: list, workers: Workers | None = None, starts: str = "found") -> SBMFit:
    """Maximum-likelihood SBM alpha and K of each segment, with standard errors.

    segments: list of (n_i + 1, 2) positions (input units; one frame between rows), at least 3 points
    each. Each segment's clock offset t0 (frames before its first point) is averaged over
    CLOCK_OFFSETS[starts] (the module's docstring): "found" for segments whose start a changepoint
    search placed, "exact" for segments known to begin where their motion began.
    workers: optional uandi.workers pool: the segments are fitted in its processes, in contiguous chunks
    of near-equal steps (each fit is its segment's own, so the answers are one process's).
    """
    if starts not in CLOCK_OFFSETS:
        raise ValueError(f"starts must be one of {sorted(CLOCK_OFFSETS)}; got {starts!r}")
    for i, pos in enumerate(segments):
        shape = np.shape(pos)
        if len(shape) != 2 or shape[1] != 2 or shape[0] < 3:
            raise ValueError(f"segment {i}: expected positions of shape (n >= 3, 2), got {shape}")
    if active(workers) and len(segments) >= 2 * workers.n:
        parts = split([len(pos) for pos in segments], workers.n)
        fits = workers.starmap(_sbm_chunk, [(Packed.of(segments[part]), starts) for part in parts])
        return SBMFit(**{f.name: np.concatenate([getattr(fit, f.name) for fit in fits]) for f in fields(SBMFit)})
    out = {k: np.full(len(segments), np.nan) for k in ("alpha", "alpha_se", "K", "K_se", "clock_offset", "loglik",
                                                        "noise_z")}
    n_steps = np.zeros(len(segments), dtype=np.int64)
    at_bound = np.zeros(len(segments), dtype=bool)
    for i, pos in enumerate(segments):
        pos = np.asarray(pos, dtype=float)
        steps = np.diff(pos, axis=0)  # (n, 2)
        n_steps[i] = steps.shape[0]
        peak = np.abs(steps).max() if np.all(np.isfinite(steps)) else 0.0
        if not peak > 0:
            continue  # a particle that never moves (or a non-finite step) has no SBM exponent
        # work in units of 2^e ~ the largest step (exact), so 1e-300 and 1e300 inputs neither under-
        # nor overflow; K is scaled back by 4^e at the end
        e = int(np.frexp(peak)[1])
        sq = (np.ldexp(steps, -e) ** 2).sum(axis=1)  # (n,) x^2 + y^2 per step
        alpha, a_se, log_k, logk_se, ll, t0, at_bound[i] = _averaged_fit(sq, *CLOCK_OFFSETS[starts])
        # loglik of the input's units: each of the 2n coordinates was divided by 2^e
        out["alpha"][i], out["loglik"][i], out["clock_offset"][i] = alpha, ll - 2 * sq.shape[0] * e * np.log(2.0), t0
        with np.errstate(over="ignore"):  # K beyond 1e308 (input units ~1e154 and up) is reported as inf
            out["K"][i] = np.ldexp(np.exp(log_k), 2 * e)
            out["K_se"][i] = np.ldexp(np.exp(log_k) * logk_se, 2 * e)
        out["alpha_se"][i] = np.nan if at_bound[i] else a_se
        out["noise_z"][i] = _noise_z(np.ldexp(steps, -e), alpha, t0)
    return SBMFit(n=n_steps, at_bound=at_bound, **out)


def _averaged_fit(sq: np.ndarray, offsets: tuple, prior: tuple) -> tuple:
    """One segment's fit averaged over the clock offsets with their prior weights.

    sq: (n,) squared step lengths. Returns (alpha, alpha_se, log K, its se, the likeliest offset's
    loglik, that offset, at_bound). Offsets whose fit has no standard error (alpha at an edge) count in
    the likeliest's choice only; at_bound when the likeliest fit is at an edge (then its own values)."""
    alphas, lls, log_ks, a_ses, k_ses = (np.empty(len(offsets)) for _ in range(5))
    n = sq.shape[0]
    for j, t0 in enumerate(offsets):
        alphas[j], lls[j] = _best_alpha(sq, t0)
        log_ks[j] = _loglik(alphas[j:j + 1], None, sq, t0)[1][0]
        a_ses[j], k_ses[j] = _standard_errors(alphas[j], log_ks[j], sq, t0)
    best = int(np.argmax(lls))
    edge = (alphas <= ALPHA_BOUNDS[0] + 1e-3) | (alphas >= ALPHA_BOUNDS[1] - 1e-3)
    usable = np.isfinite(a_ses) & np.isfinite(k_ses) & ~edge
    t0s = np.array(offsets)
    if edge[best] or not usable.any():
        log_k = log_ks[best] + _segment_msd_log_factor(n, t0s[best], alphas[best])
        return alphas[best], np.nan, log_k, k_ses[best], lls[best], offsets[best], bool(edge[best])
    w = np.where(usable, np.exp(lls - lls[usable].max()) * np.asarray(prior), 0.0)
    w /= w.sum()
    alpha = np.sum(w * alphas)
    a_var = np.sum(w * (np.where(usable, a_ses, 0) ** 2 + (alphas - alpha) ** 2))
    # K at the averaged alpha under each offset's clock, as the K whose 2 K n^alpha is that clock's MSD
    # over the segment's n frames, 2 K ((n + t0)^alpha - t0^alpha): the clock's own K at t0 = 0, and
    # comparable across offsets (each offset's own alpha would carry its disagreement into K)
    log_ks = np.array([_loglik(np.array([alpha]), None, sq, t0)[1][0] for t0 in offsets])
    log_ks += _segment_msd_log_factor(n, t0s, alpha)
    log_k = np.sum(w * log_ks)
    k_var = np.sum(w * (np.where(usable, k_ses, 0) ** 2 + (log_ks - log_k) ** 2))
    return alpha, np.sqrt(a_var), log_k, np.sqrt(k_var), lls[best], offsets[best], False


def _segment_msd_log_factor(n: int, t0, alpha):
    """log(((n + t0)^alpha - t0^alpha) / n^alpha): the clock K at offset t0 times this factor (exp) is the
    K whose 2 K n^alpha is the MSD over the segment's n frames (0 at t0 = 0)."""
    return np.log(((n + t0) ** alpha - t0**alpha) / n**alpha)


def _sbm_chunk(segments: Packed, starts: str) -> SBMFit:
    """One worker's share of fit_sbm_segments."""
    return fit_sbm_segments(segments.unpack(), starts=starts)
