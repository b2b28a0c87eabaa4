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

Localization noise: white noise of sigma per axis on the positions adds 2 sigma^2 to every step's
variance and -sigma^2 to the covariance of consecutive steps, so per axis the steps' covariance is
2 K (diag(w) + s T), T = tridiag(-1, 2, -1), s = sigma^2 / 2K. Its likelihood stays exact and cheap (the
LDL' recursion of a tridiagonal matrix, O(n) per point), K profiled out; (alpha, log s) are found by
Newton's method from a 3 x 3 stencil (_NoisyBatch), for all segments and offsets at once, and the
standard errors of alpha, log K and log s come from the observed information. The noise is kept where
twice its log-likelihood gain over the noise-free fit passes NOISE_TEST (a 5 % test); alpha_se and K_se
then also hold the doubt of that decision (the other decision's values, weighted by its probability, as
uandi.likelihood does). Without it noise pulls alpha towards 1 under a tight error bar, because it
flattens the steps' variance profile (noise of half the RMS step, 300 points: 95 % intervals held the
truth in 7-9 % of segments at alpha 0.3 and 1.7; with it, 90-98 %; docs/likelihood.md part E). A
localization error the user states is fixed instead where the segment accepts it (fit_sbm_segments' noise).
Units: K in input length^2 / frame^alpha and sigma in input units, like uandi.likelihood.

Where a segment begins: locate_sbm_starts searches the start of a segment with the SBM likelihood itself,
the segment before it standing for whatever moved there (the product uses it where both are called SBM:
uandi.postprocess._place_sbm_starts), and makes two segments one where one clock explains them as well.
Where it does not look (after a segment of another class), starts="late" averages over offsets up to 64.
Not solved: a segment whose clock started well before its first point (a start found 30 or more frames
late after a segment of another class, or with noise that hides the first steps) still reads alpha pulled
towards 1, its interval holding the truth in 0.67-0.82 of segments 30 frames late (part E); averaging
over later offsets costs precision at alpha near 1, where the offset is not identified.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from scipy import optimize

from .workers import Packed, Workers, active, split

ALPHA_BOUNDS = (0.05, 2.0)  # SBM's range in the AnDi convention
# clock offsets t0 averaged over, with their prior weights, by how a segment's start was known: "exact"
# (our simulator's segments, andi-datasets' offset path), "found" by a changepoint search (also up to 16
# frames late), or "late": found after a segment of another class, where locate_sbm_starts does
# not look, and the networks place SBM starts up to about 20 frames late (the first, small steps above
# alpha 1 read as CTRW's waits): also 32 and 64 frames, with a tenth of the prior. On isolated segments 30
# frames late this held alpha in 0.67-0.82 of them instead of 0.42-0.60 (alpha 0.3 and 1.8, noise 0 and 0.5);
# on time it costs alpha_se 11 % at alpha 1 (where the offset is not identified) and nothing at 0.3 and 1.8.
# Offsets up to 256 with a quarter of the prior doubled alpha_se at alpha 1 (docs/likelihood.md part E)
CLOCK_OFFSETS = {"exact": ((0.0, 1.0), (0.5, 0.5)),
                 "found": ((0.0, 1.0, 2.0, 4.0, 8.0, 16.0), (0.25, 0.25, 0.125, 0.125, 0.125, 0.125)),
                 "late": ((0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), (0.25, 0.25, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05))}
_GRID = np.linspace(*ALPHA_BOUNDS, 196)
# 2 x log-likelihood gain that a localization error must bring to be kept (one parameter on its boundary:
# chi-bar-square 5 %, as uandi.likelihood.NOISE_TEST)
NOISE_TEST = 2.71
# 2 x log-likelihood gain over a stated localization error that rejects it (chi-square 1 df, 5 %, as
# uandi.likelihood.KNOWN_NOISE_TEST)
KNOWN_NOISE_TEST = 3.84


@dataclass
class SBMFit:
    """Per-segment maximum-likelihood SBM estimates (arrays over segments).

    alpha, alpha_se: exponent and its standard error, averaged over the clock offsets (the module's
    docstring). K, K_se: per-axis MSD 2 K t^alpha coefficient (input units^2 / frame^alpha) and its
    standard error, likewise. alpha_logk_cov: the covariance of alpha and log K (K in physical units
    holds t^alpha: uandi.postprocess takes it into K_se with a frame interval). clock_offset: t0 of the
    likeliest fit; loglik: its maximised log-likelihood (of the model chosen, with or without noise). n:
    steps. at_bound: alpha at 0.05 or 2 (no error reported). sigma, sigma_se: the localization error per axis (input units; 0 with no error
    where the noise test did not keep it; a stated one where the segment accepted it, with no error);
    noise_gain: that test's 2 x log-likelihood gain of the noise fitted (kept above NOISE_TEST).
    """

    alpha: np.ndarray
    alpha_se: np.ndarray
    K: np.ndarray
    K_se: np.ndarray
    alpha_logk_cov: np.ndarray
    clock_offset: np.ndarray
    loglik: np.ndarray
    n: np.ndarray
    at_bound: np.ndarray
    sigma: np.ndarray
    sigma_se: np.ndarray
    noise_gain: np.ndarray


def _weights(alpha: np.ndarray, n: int, t0: float) -> np.ndarray:
    """w_t = (t + t0)^alpha - (t + t0 - 1)^alpha, shape (len(alpha), n), for t = 1..n."""
    t = np.arange(0, n + 1, dtype=float) + t0  # t + t0 - 1 for t = 1 is t0
    with np.errstate(divide="ignore"):
        log_t = np.log(t)  # log 0 = -inf gives 0^alpha = 0
    powers = np.exp(np.asarray(alpha, dtype=float)[:, None] * log_t[None, :])
    return np.diff(powers, axis=1)


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


def _standard_errors(alpha: float, log_k: float, sq: np.ndarray, t0: float) -> tuple[float, float, float]:
    """Standard errors of alpha and log K, and their covariance, from the observed information (central
    differences)."""
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
        return np.nan, np.nan, np.nan
    if cov[0, 0] <= 0 or cov[1, 1] <= 0:
        return np.nan, np.nan, np.nan
    return float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1])), float(cov[0, 1])


# ---- localization noise -------------------------------------------------------------------------------
# The noisy fits' search, per segment and clock offset, all of them at once (one tridiagonal recursion per
# step over every point): Newton's method in (alpha, log s) on the profile likelihood (noise fitted) or in
# (alpha, log K) (noise stated), its derivatives from a 3 x 3 stencil of half-widths h around the centre.
# Each round evaluates the stencil and the last round's Newton point (kept within 4 h of its centre), moves
# to the best of the ten, and halves h where the centre stays best (_NoisyBatch._search). alpha and s run
# along a ridge (more noise, a larger alpha), which steps along the axes alone climb slowly.
_SEARCH_STEPS = (0.2, 1.0)  # the first round's h in alpha and log s
_SEARCH_ROUNDS = 10
_STENCIL = (0.02, 0.1)  # the final stencil's h, for the maximum's last step and the observed information
_LOG_S_BOUNDS = (-16.0, 9.0)  # s = sigma^2 / 2K, per frame^alpha: far below and above any step's variance
_GRID9 = np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)  # (9, 2) alpha-major


def _tridiagonal_terms(x: np.ndarray, active: np.ndarray, alpha: np.ndarray, s: np.ndarray,
                       t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quadratic form and log determinant of M = diag(w) + s T for many segments and points at once.

    x: (S, N, 2) steps, zero-padded, sorted longest first; active: (N,) how many segments have a step t
    (a prefix, by the sorting); alpha, s: (S, P) the points of each segment; t0: (P,) their clock offsets.
    T is tridiag(-1, 2, -1) (white noise on the positions); M's LDL' factorisation is the recursion
    D_t = w_t + 2 s - s^2 / D_(t-1), and the forward substitution z_t = x_t + (s / D_(t-1)) z_(t-1).
    Returns q = sum over both axes of x' M^-1 x and log det M (one axis), each (S, P)."""
    S, P = alpha.shape
    q, logdet = np.zeros((S, P)), np.zeros((S, P))
    z = np.zeros((2, S, P))
    d_prev = np.ones((S, P))
    with np.errstate(divide="ignore"):
        pw_prev = np.exp(alpha * np.log(t0)[None, :])  # t0^alpha (0 at t0 = 0)
    for t in range(x.shape[1]):
        k = int(active[t])
        a, sk = alpha[:k], s[:k]
        pw = np.exp(a * np.log(t + 1.0 + t0)[None, :])  # (k, P): (t + t0)^alpha, frame t + 1
        d = pw - pw_prev[:k]  # w_t
        pw_prev[:k] = pw
        d += 2 * sk
        if t:
            c = sk / d_prev[:k]  # the LDL' factor's multiplier
            d -= sk * c
            z[:, :k] *= c
        z[:, :k] += x[:k, t].T[:, :, None]
        q[:k] += (z[0, :k] ** 2 + z[1, :k] ** 2) / d
        logdet[:k] += np.log(d)
        d_prev[:k] = d
    return q, logdet


def _profile_loglik(q: np.ndarray, logdet: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Both axes' log-likelihood with K profiled out (K = q / 4n): -n log(pi q / n) - log det M - n."""
    return -n * np.log(np.pi * np.maximum(q, 1e-300) / n) - logdet - n


class _NoisyBatch:
    """Segments' steps (each (n_i, 2)) laid out for _tridiagonal_terms, and their fits over offsets."""

    def __init__(self, steps: list[np.ndarray], offsets: tuple):
        n = np.array([len(d) for d in steps])
        self.order = np.argsort(-n, kind="stable")
        self.n = n[self.order].astype(float)[:, None]  # (S, 1)
        self.x = np.zeros((len(steps), int(n.max()), 2))
        for row, i in enumerate(self.order):
            self.x[row, : n[i]] = steps[i]
        self.active = len(n) - np.searchsorted(np.sort(n), np.arange(self.x.shape[1]), side="right")
        self.t0 = np.asarray(offsets, dtype=float)

    def terms(self, alpha: np.ndarray, log_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """q and log det M (_tridiagonal_terms) at points (S, O, m) of each segment and offset."""
        shape = alpha.shape
        q, logdet = _tridiagonal_terms(self.x, self.active, alpha.reshape(shape[0], -1),
                                       np.exp(log_s.reshape(shape[0], -1)), np.repeat(self.t0, shape[2]))
        return q.reshape(shape), logdet.reshape(shape)

    def fit(self, alpha0: np.ndarray, log_s0: np.ndarray) -> dict:
        """Maximum of the noisy likelihood per segment and offset, from the starts (S, O) (input order).

        Returns arrays (S, O) in input order: alpha, log_s, log_k (the clock's), loglik, at_bound, and the
        standard errors of alpha, log K and log s with the covariances of log K with log s (cov_ks) and
        with alpha (cov_ak) (the observed information of the full likelihood in (alpha, log K, log s))."""

        def profile(xa, xu):  # K profiled out
            q, logdet = self.terms(xa, xu)
            return _profile_loglik(q, logdet, self.n[:, :, None])

        ca, cu, best = self._search(alpha0[self.order], log_s0[self.order], _SEARCH_STEPS, _LOG_S_BOUNDS, profile)
        ea, eu = np.full(ca.shape, _STENCIL[0]), np.full(ca.shape, _STENCIL[1])
        sa = np.clip(ca, ALPHA_BOUNDS[0] + ea, ALPHA_BOUNDS[1] - ea)
        q, logdet = self.terms(sa[..., None] + ea[..., None] * _GRID9[:, 0], cu[..., None] + eu[..., None] * _GRID9[:, 1])
        step_a, step_u, gain, info = _stencil_derivatives(q, logdet, self.n, ea, eu)
        step_a, step_u = np.clip(step_a, -ea, ea), np.clip(step_u, -eu, eu)  # a last step within the stencil
        cov = _covariance(info)
        alpha, edge = _at_edge(ca, sa + step_a)
        out = {"alpha": alpha, "log_s": cu + step_u, "log_k": np.log(q[..., 4] / (4 * self.n)),
               "loglik": np.maximum(_profile_loglik(q[..., 4], logdet[..., 4], self.n) + gain(step_a, step_u), best),
               "at_bound": edge,
               "alpha_se": np.sqrt(cov[..., 0, 0]), "log_k_se": np.sqrt(cov[..., 1, 1]),
               "log_s_se": np.sqrt(cov[..., 2, 2]), "cov_ks": cov[..., 1, 2], "cov_ak": cov[..., 0, 1]}
        return {key: value[self.inverse] for key, value in out.items()}

    def fit_stated(self, alpha0: np.ndarray, log_k0: np.ndarray, sigma2: np.ndarray) -> dict:
        """Maximum over (alpha, log K) with the localization error stated: sigma2 (S,) its variance per
        axis (s = sigma2 / 2K), from the starts (S, O) (input order). Returns arrays (S, O) in input order:
        alpha, log_k (the clock's), loglik, at_bound, alpha_se, log_k_se and their covariance cov_ak
        (observed information)."""
        half = np.log(sigma2[self.order] / 2)[:, None, None]  # log s = log(sigma2 / 2) - log K
        n, t0 = self.n[:, :, None], self.t0[None, :, None]

        def full(xa, xm):  # the whole log-likelihood at (alpha, log K of the segment's MSD)
            xk = xm - _segment_msd_log_factor(n, t0, xa)  # the clock's log K
            q, logdet = self.terms(xa, half - xk)
            return -n * (np.log(2 * np.pi) + np.log(2.0) + xk) - logdet - q * np.exp(-xk) / 4

        # searched in the MSD's K, far less tied to alpha than the clock's where the clock started early
        start_m = log_k0[self.order] + _segment_msd_log_factor(self.n, self.t0[None, :], alpha0[self.order])
        ca, cm, best = self._search(alpha0[self.order], start_m, (_SEARCH_STEPS[0], 0.5), (-700.0, 700.0), full)
        ea, ek = np.full(ca.shape, _STENCIL[0]), np.full(ca.shape, 0.02)
        sa = np.clip(ca, ALPHA_BOUNDS[0] + ea, ALPHA_BOUNDS[1] - ea)
        f = full(sa[..., None] + ea[..., None] * _GRID9[:, 0], cm[..., None] + ek[..., None] * _GRID9[:, 1])
        step_a, step_k, gain, info = _newton9(f, ea, ek)
        step_a, step_k = np.clip(step_a, -ea, ea), np.clip(step_k, -ek, ek)
        cov = _covariance(info)  # in (alpha, log K of the MSD)
        a_se, k_se, cov_ak = np.sqrt(cov[..., 0, 0]), np.sqrt(cov[..., 1, 1]), cov[..., 0, 1]
        alpha, edge = _at_edge(ca, sa + step_a)
        # the clock's K, its variance and covariance with alpha, as fit() returns them (delta method)
        slope = _msd_factor_slope(self.n, self.t0[None, :], alpha)
        clock_var = k_se**2 - 2 * slope * cov_ak + slope**2 * a_se**2
        out = {"alpha": alpha, "log_k": cm + step_k - _segment_msd_log_factor(self.n, self.t0[None, :], alpha),
               "loglik": np.maximum(f[..., 4] + gain(step_a, step_k), best),
               "at_bound": edge,
               "alpha_se": a_se, "log_k_se": np.sqrt(np.maximum(clock_var, 0.0)), "cov_ak": cov_ak - slope * a_se**2}
        return {key: value[self.inverse] for key, value in out.items()}

    @property
    def inverse(self) -> np.ndarray:
        """Rows in input order from rows sorted longest first."""
        inverse = np.empty_like(self.order)
        inverse[self.order] = np.arange(len(self.order))
        return inverse

    def _search(self, ca: np.ndarray, cb: np.ndarray, steps: tuple, b_bounds: tuple, objective) -> tuple:
        """Newton's method in (alpha, b) from the centres (S, O) (sorted rows): each round evaluates
        objective (S, O, m) -> (S, O, m) on the 3 x 3 stencil of half-widths h and on the last round's
        Newton point (within 4 h of its centre), moves to the best of the ten and halves h where the centre
        stays best. Returns the final centres and their values."""
        ca, cb = ca.copy(), cb.copy()
        pa, pb = ca.copy(), cb.copy()  # the Newton points
        ha, hb = np.full(ca.shape, steps[0]), np.full(ca.shape, steps[1])
        for _ in range(_SEARCH_ROUNDS):
            sa = np.clip(ca, ALPHA_BOUNDS[0] + ha, ALPHA_BOUNDS[1] - ha)  # the stencil inside alpha's bounds
            xa = np.concatenate([sa[..., None] + ha[..., None] * _GRID9[:, 0], pa[..., None]], axis=2)
            xb = np.concatenate([cb[..., None] + hb[..., None] * _GRID9[:, 1], pb[..., None]], axis=2)
            value = objective(xa, xb)  # (S, O, 10)
            step_a, step_b, _, _ = _newton9(value[..., :9], ha, hb)
            j = np.argmax(value, axis=2)[..., None]
            stay = j[..., 0] == 4
            ha, hb = np.where(stay, ha / 2, ha), np.where(stay, hb / 2, hb)
            pa = np.clip(sa + np.clip(step_a, -4 * ha, 4 * ha), *ALPHA_BOUNDS)
            pb = np.clip(cb + np.clip(step_b, -4 * hb, 4 * hb), *b_bounds)
            ca, cb = np.take_along_axis(xa, j, 2)[..., 0], np.take_along_axis(xb, j, 2)[..., 0]
            best = np.take_along_axis(value, j, 2)[..., 0]
        return ca, cb, best


def _at_edge(centre: np.ndarray, refined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, at_bound): the search's best alpha where it lies at an edge of ALPHA_BOUNDS (the final
    stencil, kept inside, cannot refine it there), else the refined one."""
    edge = (centre <= ALPHA_BOUNDS[0] + 1e-3) | (centre >= ALPHA_BOUNDS[1] - 1e-3)
    alpha = np.clip(np.where(edge, centre, refined), *ALPHA_BOUNDS)
    return alpha, edge | (alpha <= ALPHA_BOUNDS[0] + 1e-3) | (alpha >= ALPHA_BOUNDS[1] - 1e-3)


def _central_differences(f: np.ndarray, ha: np.ndarray, hb: np.ndarray) -> tuple:
    """Gradient (ga, gb) and information (..., 2, 2) = minus the Hessian of f from its values (..., 9) on
    the stencil centre + (ha, hb) * _GRID9 (central differences)."""
    ga, gb = (f[..., 7] - f[..., 1]) / (2 * ha), (f[..., 5] - f[..., 3]) / (2 * hb)
    info = np.empty(f.shape[:-1] + (2, 2))
    info[..., 0, 0] = -(f[..., 7] - 2 * f[..., 4] + f[..., 1]) / ha**2
    info[..., 1, 1] = -(f[..., 5] - 2 * f[..., 4] + f[..., 3]) / hb**2
    info[..., 0, 1] = info[..., 1, 0] = -(f[..., 8] - f[..., 6] - f[..., 2] + f[..., 0]) / (4 * ha * hb)
    return ga, gb, info


def _newton9(f: np.ndarray, ha: np.ndarray, hb: np.ndarray):
    """Newton's step for the maximum of f from its values (..., 9) on the stencil (_central_differences).
    Returns (step in a, step in b (0 where f is not concave there), gain(da, db): the quadratic's rise,
    the information (..., 2, 2))."""
    ga, gb, info = _central_differences(f, ha, hb)
    return _newton_step(ga, gb, info[..., 0, 0], info[..., 0, 1], info[..., 1, 1]) + (info,)


def _newton_step(ga, gb, i_aa, i_ab, i_bb) -> tuple:
    """(step_a, step_b, gain) of Newton's method for gradient (ga, gb) and information [[i_aa, i_ab],
    [i_ab, i_bb]]; no step where that is not positive definite."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        det = i_aa * i_bb - i_ab**2
        concave = (i_aa > 0) & (det > 0)
        step_a = np.where(concave, (i_bb * ga - i_ab * gb) / det, 0.0)
        step_b = np.where(concave, (i_aa * gb - i_ab * ga) / det, 0.0)

    def gain(da, db):
        return np.where(concave, ga * da + gb * db - 0.5 * (i_aa * da**2 + 2 * i_ab * da * db + i_bb * db**2), 0.0)

    return np.nan_to_num(step_a), np.nan_to_num(step_b), gain


def _stencil_derivatives(q: np.ndarray, logdet: np.ndarray, n: np.ndarray, ea: np.ndarray, eu: np.ndarray):
    """Newton's step, its gain and the observed information from a 3 x 3 stencil in (alpha, log s).

    q, logdet: (S, O, 9) at the centre + (ea, eu) * _GRID9; n (S, 1); ea, eu (S, O). The full
    log-likelihood is f = -n log 2 pi - n (log 2 + kappa) - log det M - q exp(-kappa) / 4 with kappa =
    log K; its Hessian in (alpha, kappa, u = log s) at kappa's maximum log(q / 4n) takes q's and log det's
    derivatives from the stencil and kappa's in closed form. Returns (step in alpha, step in u (each
    (S, O); 0 where the profile is not concave), gain(step_a, step_u): the quadratic's rise, and the
    information (S, O, 3, 3))."""
    k = q[..., 4] / (4 * n)  # K at the centre (per frame^alpha)
    g = -logdet - q / (4 * k[..., None])  # f less its constant, at the centre's K: (S, O, 9)
    ga, gu, at_k = _central_differences(g, ea, eu)  # in (alpha, u) at the centre's K
    info = np.empty(k.shape + (3, 3))  # minus the Hessian in (alpha, kappa, u)
    info[..., 0, 0], info[..., 2, 2] = at_k[..., 0, 0], at_k[..., 1, 1]
    info[..., 0, 2] = info[..., 2, 0] = at_k[..., 0, 1]
    info[..., 1, 1] = n  # d2f / dkappa2 = -q / 4K = -n at kappa's maximum
    info[..., 0, 1] = info[..., 1, 0] = -(q[..., 7] - q[..., 1]) / (2 * ea) / (4 * k)
    info[..., 1, 2] = info[..., 2, 1] = -(q[..., 5] - q[..., 3]) / (2 * eu) / (4 * k)
    # the profile likelihood's information in (alpha, u): the Schur complement of kappa; its gradient is
    # f's at kappa's maximum (the centre's K)
    i_aa = info[..., 0, 0] - info[..., 0, 1] ** 2 / n
    i_uu = info[..., 2, 2] - info[..., 1, 2] ** 2 / n
    i_au = info[..., 0, 2] - info[..., 0, 1] * info[..., 1, 2] / n
    step_a, step_u, gain = _newton_step(ga, gu, i_aa, i_au, i_uu)
    return step_a, step_u, gain, info


def _covariance(info: np.ndarray) -> np.ndarray:
    """Inverse of each (k, k) information; NaN where it is not positive definite."""
    cov = np.full(info.shape, np.nan)
    good = np.all(np.isfinite(info), axis=(-2, -1))
    good[good] = np.all(np.linalg.eigvalsh(info[good]) > 0, axis=-1)
    cov[good] = np.linalg.inv(info[good])
    return cov


def fit_sbm_segments(segments: list, workers: Workers | None = None, starts: str | list = "found",
                     noise: bool | float = True) -> SBMFit:
    """Maximum-likelihood SBM alpha and K of each segment, with standard errors.

    segments: list of (n_i + 1, 2) positions (input units; one frame between rows), at least 3 points
    each. Each segment's clock offset t0 (frames before its first point) is averaged over
    CLOCK_OFFSETS[starts] (the module's docstring): "found" for segments whose start a changepoint
    search placed, "exact" for segments known to begin where their motion began, "late" for those found
    after a segment of another class; one for all segments, or a list with one per segment.
    noise: True: also fit white localization noise, kept where it passes NOISE_TEST (the module's
    docstring); False: the noise-free fit alone; a number: the localization error per axis, stated (input
    units), fixed where the data accept it; a segment whose data reject it (2 x log-likelihood gain of the
    noise fitted, or of none, over the stated one > KNOWN_NOISE_TEST) gets the fit of noise=True instead
    (as uandi.likelihood.fit_segments does with a stated error). alpha_se and K_se hold the doubt of
    whichever decision was taken.
    workers: optional uandi.workers pool: the segments are fitted in its processes, in contiguous chunks
    of near-equal steps (each fit is its segment's own, so the answers are one process's).
    """
    if not isinstance(starts, str):  # one per segment: each kind fitted apart, the answers put back in order
        starts = list(starts)
        if len(starts) != len(segments):
            raise ValueError(f"starts: expected one per segment ({len(segments)}), got {len(starts)}")
        if not segments:
            return fit_sbm_segments([], workers, "found", noise)
        kinds = {kind: [i for i, k in enumerate(starts) if k == kind] for kind in dict.fromkeys(starts)}
        parts = {kind: fit_sbm_segments([segments[i] for i in rows], workers, kind, noise)
                 for kind, rows in kinds.items()}
        first = next(iter(parts.values()))
        out = SBMFit(**{f.name: np.empty(len(segments), getattr(first, f.name).dtype) for f in fields(SBMFit)})
        for kind, rows in kinds.items():
            for f in fields(SBMFit):
                getattr(out, f.name)[rows] = getattr(parts[kind], f.name)
        return out
    if starts not in CLOCK_OFFSETS:
        raise ValueError(f"starts must be one of {sorted(CLOCK_OFFSETS)}; got {starts!r}")
    stated = None if isinstance(noise, (bool, np.bool_)) else float(noise)
    if stated is not None and not (np.isfinite(stated) and stated >= 0):
        raise ValueError(f"noise must be True, False or a localization error >= 0 (input units); got {noise!r}")
    for i, pos in enumerate(segments):
        shape = np.shape(pos)
        if len(shape) != 2 or shape[1] != 2 or shape[0] < 3:
            raise ValueError(f"segment {i}: expected positions of shape (n >= 3, 2), got {shape}")
    if active(workers) and len(segments) >= 2 * workers.n:
        parts = split([len(pos) for pos in segments], workers.n)
        fits = workers.starmap(_sbm_chunk, [(Packed.of(segments[part]), starts, noise) for part in parts])
        return SBMFit(**{f.name: np.concatenate([getattr(fit, f.name) for fit in fits]) for f in fields(SBMFit)})
    offsets, prior = CLOCK_OFFSETS[starts]
    out = {k: np.full(len(segments), np.nan) for k in ("alpha", "alpha_se", "K", "K_se", "alpha_logk_cov",
                                                        "clock_offset", "loglik", "sigma", "sigma_se", "noise_gain")}
    n_steps = np.zeros(len(segments), dtype=np.int64)
    at_bound = np.zeros(len(segments), dtype=bool)
    moving, scaled, exponents = [], [], []
    plain, offset_alphas, offset_log_ks = [], [], []  # the noise-free fits; each offset's alpha and clock log K
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
        moving.append(i)
        exponents.append(e)
        scaled.append(np.ldexp(steps, -e))
        fit, alphas, log_ks = _averaged_fit((scaled[-1] ** 2).sum(axis=1), offsets, prior)
        plain.append(fit)
        offset_alphas.append(alphas)
        offset_log_ks.append(log_ks)
    noisy = _noisy_fits(scaled, offset_alphas, offset_log_ks, offsets) if noise is not False and moving else None
    given = None
    if stated and moving:  # (stated 0: the noise-free fit is the stated one)
        sigma2 = np.array([np.ldexp(stated, -e) ** 2 for e in exponents])
        # started from the fit with the noise free: where the stated noise is near the fitted one, near its
        # maximum (the noise-free fit's alpha and K lie far along a curved ridge from it)
        given = _NoisyBatch(scaled, offsets).fit_stated(np.clip(noisy["alpha"], 0.1, 1.95), noisy["log_k"], sigma2)
    for row, (i, e) in enumerate(zip(moving, exponents)):
        chosen = plain[row]
        out["sigma"][i], out["noise_gain"][i] = 0.0, 0.0
        if noisy is not None:
            fitted = _averaged({key: value[row] for key, value in noisy.items()}, prior, offsets, n_steps[i])
            gain = out["noise_gain"][i] = max(2 * (fitted.loglik - chosen.loglik), 0.0)
            chosen, other = (fitted, chosen) if gain > NOISE_TEST else (chosen, fitted)
            margin = abs(gain - NOISE_TEST)
            if stated is not None:  # the free fit (noise or none, as the test chose) against the stated noise
                at_stated = plain[row] if given is None else _averaged(
                    {key: value[row] for key, value in given.items()}, prior, offsets, n_steps[i])
                at_stated = at_stated._replace(log_sigma=None, log_sigma_se=np.nan)  # stated: not fitted
                reject = 2 * (max(fitted.loglik, plain[row].loglik) - at_stated.loglik)
                chosen, other = (chosen, at_stated) if reject > KNOWN_NOISE_TEST else (at_stated, chosen)
                margin = abs(reject - KNOWN_NOISE_TEST)
                if reject <= KNOWN_NOISE_TEST:
                    out["sigma"][i] = stated  # kept as given (no standard error)
            # the decision's doubt: the other decision's values, weighted by its probability
            weight = 1.0 / (1.0 + np.exp(np.clip(margin / 2, -50.0, 50.0)))
            d_alpha, d_log_k = other.alpha - chosen.alpha, other.log_k - chosen.log_k
            chosen = chosen._replace(alpha_se=np.sqrt(chosen.alpha_se**2 + weight * d_alpha**2),
                                     log_k_se=np.sqrt(chosen.log_k_se**2 + weight * d_log_k**2),
                                     cov_ak=chosen.cov_ak + weight * d_alpha * d_log_k)
        at_bound[i] = chosen.at_bound
        if chosen.log_sigma is not None:  # fitted
            out["sigma"][i] = np.ldexp(np.exp(chosen.log_sigma), e)
            out["sigma_se"][i] = out["sigma"][i] * chosen.log_sigma_se
        # loglik of the input's units: each of the 2n coordinates was divided by 2^e
        out["alpha"][i], out["clock_offset"][i] = chosen.alpha, chosen.clock_offset
        out["loglik"][i] = chosen.loglik - 2 * n_steps[i] * e * np.log(2.0)
        with np.errstate(over="ignore"):  # K beyond 1e308 (input units ~1e154 and up) is reported as inf
            out["K"][i] = np.ldexp(np.exp(chosen.log_k), 2 * e)
            out["K_se"][i] = np.ldexp(np.exp(chosen.log_k) * chosen.log_k_se, 2 * e)
        out["alpha_se"][i] = np.nan if at_bound[i] else chosen.alpha_se
        out["alpha_logk_cov"][i] = np.nan if at_bound[i] else chosen.cov_ak  # the 4^e shift of K leaves it
    return SBMFit(n=n_steps, at_bound=at_bound, **out)


class _Averaged(NamedTuple):
    """One segment's fit averaged over the clock offsets (_averaged_fit without noise, _averaged with it)."""

    alpha: float
    alpha_se: float  # NaN at alpha's edge
    log_k: float  # log K of the segment's MSD (2 K n^alpha over its n frames)
    log_k_se: float
    loglik: float  # the likeliest offset's
    clock_offset: float  # the likeliest offset
    at_bound: bool  # the likeliest fit at alpha's edge (then its own values)
    cov_ak: float  # the covariance of alpha and log K
    log_sigma: float | None = None  # the localization error's log, where it was fitted
    log_sigma_se: float = np.nan


def _noisy_fits(steps: list[np.ndarray], alpha0: list, log_k0: list, offsets: tuple) -> dict:
    """The noisy likelihood's maximum for every segment and offset (_NoisyBatch.fit), started from each
    offset's noise-free alpha and the noise variance that the steps' lag-1 covariance gives (-sigma^2 for
    SBM plus white noise), as s = sigma^2 / 2K with the noise-free K (a floor of 1e-3 of the mean step's
    variance where the covariance is not negative). alpha0, log_k0: per segment, each offset's noise-free
    alpha and its clock's log K (O,)."""
    alpha0, log_k0 = np.array(alpha0), np.array(log_k0)  # (S, O)
    var = np.array([max(-np.mean(d[1:] * d[:-1]), 1e-3 * np.mean(d**2)) for d in steps])  # per axis
    log_s0 = np.clip(np.log(var)[:, None] - np.log(2.0) - log_k0, *_LOG_S_BOUNDS)
    return _NoisyBatch(steps, offsets).fit(np.clip(alpha0, 0.1, 1.95), log_s0)


def _averaged(fit: dict, prior: tuple, offsets: tuple, n: int) -> _Averaged:
    """One segment's fits with noise (fit: arrays over offsets, from _NoisyBatch) averaged over the
    offsets as _averaged_fit does, each offset's K its own (at its own alpha and noise, as the MSD over
    the n frames); log sigma NaN where the noise was stated. Where the likeliest fit is at alpha's edge,
    or no offset's fit has standard errors, the likeliest's own values (alpha_se NaN at the edge)."""
    t0s = np.asarray(offsets, dtype=float)
    usable = np.isfinite(fit["alpha_se"]) & np.isfinite(fit["log_k_se"]) & ~fit["at_bound"]
    best = int(np.argmax(fit["loglik"]))
    log_ks = fit["log_k"] + _segment_msd_log_factor(n, t0s, fit["alpha"])
    # its variance: the clock's log K plus the factor's slope in alpha times alpha (delta method)
    slope = _msd_factor_slope(n, t0s, fit["alpha"])
    log_k_var = fit["log_k_se"] ** 2 + 2 * slope * fit["cov_ak"] + slope**2 * fit["alpha_se"] ** 2
    cov_ak = fit["cov_ak"] + slope * fit["alpha_se"] ** 2  # with alpha, likewise
    # sigma^2 = 2 K s, K the clock's: log sigma = (log 2 + log K + log s) / 2 (NaN for a stated sigma)
    nan = np.full(len(offsets), np.nan)
    log_sigma = 0.5 * (np.log(2.0) + fit["log_k"] + fit.get("log_s", nan))
    log_sigma_var = 0.25 * (fit["log_k_se"] ** 2 + fit.get("log_s_se", nan) ** 2 + 2 * fit.get("cov_ks", nan))
    edge = bool(fit["at_bound"][best])
    if edge or not usable.any():
        return _Averaged(fit["alpha"][best], np.nan if edge else fit["alpha_se"][best], log_ks[best],
                         np.sqrt(max(log_k_var[best], 0.0)), fit["loglik"][best], offsets[best], edge, cov_ak[best],
                         log_sigma[best], np.sqrt(max(log_sigma_var[best], 0.0)))
    w = _offset_weights(fit["loglik"], usable, prior)
    alpha, a_se = _weighted(w, usable, fit["alpha"], fit["alpha_se"] ** 2)
    log_k, k_se = _weighted(w, usable, log_ks, np.maximum(log_k_var, 0.0))
    ls, ls_se = _weighted(w, usable, log_sigma, np.maximum(log_sigma_var, 0.0))
    cov = _weighted_cov(w, usable, fit["alpha"], alpha, log_ks, log_k, cov_ak)
    return _Averaged(alpha, a_se, log_k, k_se, fit["loglik"][best], offsets[best], edge, cov, ls, ls_se)


def _averaged_fit(sq: np.ndarray, offsets: tuple, prior: tuple) -> tuple[_Averaged, np.ndarray, np.ndarray]:
    """One segment's fit averaged over the clock offsets with their prior weights.

    sq: (n,) squared step lengths. Returns the averaged fit (no noise), and each offset's alpha (O,) and
    its clock's log K (O,). Offsets whose fit has no standard error (alpha at an edge) count in the
    likeliest's choice only; at_bound when the likeliest fit is at an edge (then its own values)."""
    alphas, lls, log_ks, a_ses, k_ses, covs = (np.empty(len(offsets)) for _ in range(6))
    n = sq.shape[0]
    for j, t0 in enumerate(offsets):
        alphas[j], lls[j] = _best_alpha(sq, t0)
        log_ks[j] = _loglik(alphas[j:j + 1], None, sq, t0)[1][0]
        a_ses[j], k_ses[j], covs[j] = _standard_errors(alphas[j], log_ks[j], sq, t0)
    clock_log_ks = log_ks.copy()
    best = int(np.argmax(lls))
    edge = (alphas <= ALPHA_BOUNDS[0] + 1e-3) | (alphas >= ALPHA_BOUNDS[1] - 1e-3)
    usable = np.isfinite(a_ses) & np.isfinite(k_ses) & ~edge
    t0s = np.array(offsets)
    if edge[best] or not usable.any():
        log_k = log_ks[best] + _segment_msd_log_factor(n, t0s[best], alphas[best])
        return (_Averaged(alphas[best], np.nan, log_k, k_ses[best], lls[best], offsets[best], bool(edge[best]),
                          np.nan), alphas, clock_log_ks)
    w = _offset_weights(lls, usable, prior)
    alpha, a_se = _weighted(w, usable, alphas, a_ses**2)
    # K at the averaged alpha under each offset's clock, as the K whose 2 K n^alpha is that clock's MSD
    # over the segment's n frames, 2 K ((n + t0)^alpha - t0^alpha): the clock's own K at t0 = 0, and
    # comparable across offsets (each offset's own alpha would carry its disagreement into K)
    log_ks = np.array([_loglik(np.array([alpha]), None, sq, t0)[1][0] for t0 in offsets])
    log_ks += _segment_msd_log_factor(n, t0s, alpha)
    log_k, k_se = _weighted(w, usable, log_ks, k_ses**2)
    # each offset's covariance of alpha with its log K as the MSD's (the factor's slope in alpha times alpha's
    # variance added, as _averaged does), and the offsets' joint spread
    cov = _weighted_cov(w, usable, alphas, alpha, log_ks, log_k,
                        covs + _msd_factor_slope(n, t0s, alphas) * a_ses**2)
    return _Averaged(alpha, a_se, log_k, k_se, lls[best], offsets[best], False, cov), alphas, clock_log_ks


def _offset_weights(loglik: np.ndarray, usable: np.ndarray, prior: tuple) -> np.ndarray:
    """Each clock offset's weight, its likelihood times its prior, over the usable offsets (0 elsewhere),
    summing to 1."""
    w = np.where(usable, np.exp(loglik - loglik[usable].max()) * np.asarray(prior), 0.0)
    return w / w.sum()


def _weighted(w: np.ndarray, usable: np.ndarray, values: np.ndarray, variances: np.ndarray) -> tuple:
    """An estimate averaged over the offsets with weights w (local model averaging): its weighted mean,
    and as its standard error the root of the weighted within-offset variance plus the spread between
    offsets (unusable offsets, of weight 0, left out)."""
    mean = np.sum(w * np.where(usable, values, 0.0))
    spread = (np.where(usable, values, mean) - mean) ** 2
    return mean, np.sqrt(np.sum(w * (np.where(usable, variances, 0.0) + spread)))


def _weighted_cov(w: np.ndarray, usable: np.ndarray, a: np.ndarray, a_mean: float, k: np.ndarray, k_mean: float,
                  covs: np.ndarray) -> float:
    """The covariance of two estimates averaged over the offsets with weights w (as _weighted's variance):
    the weighted within-offset covariance plus the offsets' joint spread about the means."""
    inside = np.where(usable, covs + (a - a_mean) * (k - k_mean), 0.0)
    return float(np.sum(w * inside))


def _segment_msd_log_factor(n: int, t0, alpha):
    """log(((n + t0)^alpha - t0^alpha) / n^alpha): the clock K at offset t0 times this factor (exp) is the
    K whose 2 K n^alpha is the MSD over the segment's n frames (0 at t0 = 0)."""
    return np.log(((n + t0) ** alpha - t0**alpha) / n**alpha)


def _msd_factor_slope(n: int, t0: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """d/d alpha of _segment_msd_log_factor: ((n + t0)^alpha log(n + t0) - t0^alpha log t0) /
    ((n + t0)^alpha - t0^alpha) - log n (t0^alpha log t0 = 0 at t0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t0_term = np.where(t0 > 0, t0**alpha * np.log(np.where(t0 > 0, t0, 1.0)), 0.0)
    top = (n + t0) ** alpha
    return (top * np.log(n + t0) - t0_term) / (top - t0**alpha) - np.log(n)


# ---- where an SBM segment began ------------------------------------------------------------------------
# A segment's clock starts where its motion began; a start found late leaves the early, small (alpha > 1)
# or large (alpha < 1) steps to the segment before and bends alpha towards 1 (docs/likelihood.md part E).
# locate_sbm_starts searches the start with the SBM likelihood itself: the stretch from the preceding
# segment's first point to the segment's end, cut at each candidate start, each side an SBM segment with
# its own clock, alpha, K and noise (the side before stands for whatever moved there: its free variance
# profile keeps a change of step size from passing for a start). The steps are taken as independent,
# with 2 K (w + s) per axis (the noise's lag-1 covariance left out: a locator, not the fit), on a grid of
# alpha and s, K profiled out.
START_WINDOW = (128, 32)  # frames before and after the found start searched
# log-likelihood units the likeliest start must gain over the found one to move it
START_GAIN = 3.0
# and that the best cut must gain over the whole stretch as one segment to be kept: on one SBM segment of
# 250 steps cut at 100 the best cut gains 6.1-7.7 or less in 95 % of stretches (alpha 0.3, 1, 1.8; noise 0 and
# 0.5 of the RMS step; 200 each)
START_MERGE = 7.0
# no merge where the whole stretch's alpha lies within this of 1: there the clock hardly matters, so a segment
# cut in two loses little, and merging two that differ (5-9 % of real changes at alpha 1 without the band,
# 3-5 % with it) is the worse error. The same band on moves kept starts 100 frames late at alpha 0.3 and 1.8,
# read near 1, where they were: not used there
MERGE_BAND = 0.2
_START_ALPHAS = np.linspace(0.1, 2.0, 20)
_START_S = np.r_[0.0, np.logspace(-3.0, 2.0, 6)]  # s = sigma^2 / 2K


@dataclass
class SBMStart:
    """Where an SBM segment began, by locate_sbm_starts (points counted from the stretch's first point).

    start: the start chosen (the found one, the likeliest, or 0 where the whole stretch is one segment);
    low, high: the 95 % interval of the start among the candidates (flat prior); gain: log-likelihood of
    the likeliest start over the found one's; merge_gain: of the whole stretch as one segment over the
    best cut (negative: the cut is likelier).
    """

    start: int
    low: int
    high: int
    gain: float
    merge_gain: float


def _start_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """1 / (w_r + s) (G, n) and the cumulative sums of log(w_r + s) (G, n + 1) over _START_ALPHAS x _START_S,
    w_r the clock's r-th step (r = 1..n, t0 = 0)."""
    w = _weights(_START_ALPHAS, n, 0.0)  # (A, n)
    v = (w[:, None, :] + _START_S[None, :, None]).reshape(-1, n)  # (G, n)
    log_v = np.concatenate([np.zeros((v.shape[0], 1)), np.cumsum(np.log(v), axis=1)], axis=1)
    return 1.0 / v, log_v


def _piece_loglik(q: np.ndarray, log_det: np.ndarray, m: np.ndarray) -> np.ndarray:
    """_profile_loglik of pieces of m steps with M = diag(w + s) (q = sum(sq / (w + s)), log_det =
    sum(log(w + s))), and 0 for a piece of no steps."""
    return np.where(m > 0, _profile_loglik(q, log_det, np.maximum(m, 1)), 0.0)


def locate_sbm_starts(stretches: list, found: list, min_gap: int = 10) -> list[SBMStart]:
    """The start of each SBM segment by the SBM likelihood (the section's comment above).

    stretches: (n_i, 2) steps (input units) from the preceding segment's first step to the SBM segment's
    last. found: each segment's found start, as the index of its first step in the stretch. The candidates
    are the starts within START_WINDOW of the found one that leave both sides min_gap steps, and 0 (no
    cut). The likeliest cut replaces the found one where the found one lies outside its 95 % interval and it
    gains START_GAIN; no cut replaces both where the better gains less than START_MERGE over it (the side
    before's own clock, alpha, K and noise, and the cut's position, are the cut's extra parameters) and the
    whole stretch's alpha lies more than MERGE_BAND from 1.
    """
    out = []
    for steps, k_found in zip(stretches, found):
        sq = (np.asarray(steps, dtype=float) ** 2).sum(axis=1)
        n = sq.size
        scale = np.mean(sq)
        if not (np.isfinite(scale) and scale > 0) or n < 2 * min_gap:
            out.append(SBMStart(int(k_found), int(k_found), int(k_found), 0.0, -np.inf))
            continue
        sq = sq / scale
        inv_v, log_v = _start_table(n)  # (G, n), (G, n + 1)
        cands = np.arange(max(k_found - START_WINDOW[0], min_gap), min(k_found + START_WINDOW[1], n - min_gap) + 1)
        cands = np.union1d(cands, [0, k_found])
        # the side before: a cumulative sum per grid point (G, n + 1), read at each cut
        before = np.concatenate([np.zeros((inv_v.shape[0], 1)), np.cumsum(sq[None, :] * inv_v, axis=1)], axis=1)
        ll_before = _piece_loglik(before[:, cands], log_v[:, cands], cands[None, :]).max(axis=0)  # (C,)
        # the segment: its steps from the cut on against the clock's from its start, (C, n) @ (n, G)
        padded = np.concatenate([sq, np.zeros(n)])
        shifted = np.lib.stride_tricks.sliding_window_view(padded, n)[cands]  # (C, n): row c = sq[c:] then 0
        m = n - cands
        ll_grid = _piece_loglik(shifted @ inv_v.T, log_v[:, m].T, m[:, None])  # (C, G)
        ll_after = ll_grid.max(axis=1)  # (C,)
        alpha_whole = _START_ALPHAS[int(np.argmax(ll_grid[0])) // _START_S.size]  # the stretch as one segment
        score = ll_before + ll_after
        cut = cands > 0
        best = int(np.argmax(np.where(cut, score, -np.inf)))
        at_found = score[cands == k_found][0]
        gain = score[best] - at_found
        post = np.exp(np.where(cut, score - score[best], -np.inf))
        cum = np.cumsum(post / post.sum())
        low = int(cands[np.searchsorted(cum, 0.025)])
        high = int(cands[min(np.searchsorted(cum, 0.975), cands.size - 1)])
        start = int(cands[best]) if gain > START_GAIN and not low <= k_found <= high else int(k_found)
        merge_gain = score[0] - max(score[best], at_found)
        if merge_gain > -START_MERGE and abs(alpha_whole - 1.0) > MERGE_BAND:
            start = 0
        out.append(SBMStart(start, low, high, float(gain), float(merge_gain)))
    return out


def _sbm_chunk(segments: Packed, starts: str, noise: bool | float) -> SBMFit:
    """One worker's share of fit_sbm_segments."""
    return fit_sbm_segments(segments.unpack(), starts=starts, noise=noise)
