"""Exact Gaussian likelihood of 2D fractional-Brownian segments: alpha, K and localization error with
standard errors (SCIENCE.md section 8). numpy and scipy only; knows nothing of networks.

Model of one homogeneous segment of n + 1 positions (n increments), each axis independent:

- FBM with anomalous exponent alpha and generalized diffusion coefficient K, per-axis MSD
  = 2 K t^alpha (the AnDi convention): the increments are stationary with autocovariance
  gamma(k) = K (|k+1|^alpha - 2 |k|^alpha + |k-1|^alpha), so gamma(0) = 2 K;
- white localization noise of standard deviation sigma on every position and axis: the increments
  gain 2 sigma^2 at lag 0 and -sigma^2 at lags +-1;
- optionally motion blur: each position is the average of the FBM path over the last `exposure`
  frames (0 < exposure <= 1) before the frame time; the increments' autocovariance is then exactly
  gamma_tau(k) = (K / tau^2) (H(k+1) - 2 H(k) + H(k-1)), H(d) = G(d+tau) - 2 G(d) + G(d-tau),
  G(t) = |t|^(alpha+2) / ((alpha+1)(alpha+2)).

Units: time in frames, positions in the caller's units; K in units^2 / frame^alpha, sigma in units.

How the maximum is found. The covariance is K R(alpha, s), where s = sigma / sqrt(K) is the
noise-to-diffusion ratio. K profiles out in closed form (K_hat = Q / (2 n), Q the sum over both axes of
x^T R^-1 x), leaving a 2-parameter profile likelihood. It is evaluated *exactly* (Cholesky factor L of
the Toeplitz matrix, innovations e = L^-1 x, log-det from the factor's diagonal) at lattice points:
alpha in steps of 0.01 over [0.05, 1.99], s on a lattice refined near 0. A lattice point's inverse
factor is computed once and shared by every segment that asks for it, so many segments cost a few
large matrix products (in single precision: within 3e-5 of double); a lattice point that only a
couple of segments visit (the local noise search) is evaluated by the Durbin-Levinson recursion
instead, O(n^2) per segment with no factorization.
Without noise, every segment is evaluated on one shared grid of 50 alphas (SCORE_GRID: 0.05 apart,
0.02 near the ends) and a parabola through the best point and its neighbours
gives alpha, its curvature the standard error, and log Q interpolated the same way gives K (within
0.003 of a search on the full 0.01 lattice, at a fraction of the cost). If noise is fitted: a screen at
three noise levels on the same grid; where noise could matter, a whole (alpha, s) grid (the two trade
off along a ridge that traps local searches), then a 3 x 3 hill climb on the exact lattice, and the
maximum between lattice points and the curvature from a quadratic fit to the exact values around the
best lattice point.

Standard errors come from the observed information of the full likelihood in (alpha, log K, s): for
noisy segments by exact second differences on the lattice and the closed-form derivatives in log K;
for the others from the grid's parabolas (the profile's curvature in alpha, log K re-maximised, and
the closed form in log K). Where s_hat is 0 (no noise detected, the boundary), s is treated as known
and the errors are those of (alpha, log K).

Changepoints (select_changepoints) are scored the same way, on a coarser shared grid (SPAN_GRID), with
one product per anchor for all the candidate segments that start (or end) at it.

Segments longer than MAX_EXACT increments are scored as independent blocks of MAX_EXACT (a composite
likelihood: unbiased, slightly less efficient; the correlation across block edges is ignored).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, fields
from functools import lru_cache, wraps
from math import comb

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import gammaincc

from .workers import Packed, Workers, active, split

__all__ = [
    "ALPHA_LATTICE",
    "NOISE_LATTICE",
    "SegmentFit",
    "increment_autocovariance",
    "fit_segments",
    "loglikelihood",
    "fisher_information",
    "pooled_noise_threshold",
    "cramer_rao_alpha",
    "select_changepoints",
    "segment_positions",
    "blur_evidence",
    "ChangepointPosterior",
    "changepoint_posteriors",
    "place_changepoints",
]

ALPHA_LATTICE = np.round(np.arange(0.05, 1.99 + 1e-9, 0.01), 2)  # 195 points
# s = sigma / sqrt(K): fine near 0 (where the typical segment sits), coarser up to ~6
NOISE_LATTICE = 0.02 * np.arange(61) * (1 + np.arange(61) / 20)
MAX_EXACT = 512  # longest block scored exactly, in increments (a 1024 block costs 8x the time, same estimates)
SEARCH_BLOCK = 256  # blocks of the wide (alpha, noise) search, before the exact climb on MAX_EXACT blocks
_CACHE_BYTES = 512 * 2**20  # factors kept between calls, per kind
# no-noise fits: the profile on every 5th alpha lattice point (0.05 apart), every 2nd near the ends where
# it bends sharply, then a parabola through the best point and its neighbours
SCORE_GRID = np.unique(np.concatenate([np.arange(0, 20, 2), np.arange(20, 180, 5), np.arange(180, 195, 2), [194]]))
# changepoint span scores need the maximum's height only, far less precisely than a fit needs alpha: 15
# lattice points, 0.24 apart in the middle, closer towards the ends where the profile bends sharply, and the
# maximum of the cubic spline through them (_spline_peak), more exact than the parabola through the best of
# the 26 points before (0.1 apart), with 42 % fewer products (numbers: _score)
SPAN_GRID = np.array([0, 4, 9, 16, 28, 44, 64, 88, 112, 136, 156, 171, 182, 189, 194])
_SCORE_COLUMNS = 2048  # right-hand sides per matrix product (bounds the memory of one product)


# a stretch that never moves (a CTRW wait, a stuck particle) has Q = 0 and a log-likelihood of +-inf, which
# the code handles where it matters (no posterior, no noise search, a bound): numpy's warnings about it would
# only alarm the user. The public entry points run under this (a new errstate per call: numpy < 2 restores
# the wrong state when one instance is entered twice, as nested entry points would).
def _quiet(fn):
    @wraps(fn)
    def quiet(*args, **kwargs):
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return quiet


def _g(t, alpha):
    return np.abs(t) ** (alpha + 2) / ((alpha + 1) * (alpha + 2))


def increment_autocovariance(alpha: float, n: int, noise_ratio: float = 0.0, exposure: float = 0.0) -> np.ndarray:
    """Autocovariance of the increments (one axis) for K = 1, lags 0 .. n-1: shape (n,).

    alpha: anomalous exponent in (0, 2). noise_ratio: s = sigma / sqrt(K) (adds 2 s^2 at lag 0 and
    -s^2 at lag 1). exposure: blur time as a fraction of the frame interval, 0 (instantaneous) to 1.
    """
    return _autocovariances(np.array([float(alpha)]), np.array([float(noise_ratio)]), n, exposure)[0]


def _autocovariances(alpha: np.ndarray, noise_ratio: np.ndarray, n: int, exposure: float = 0.0) -> np.ndarray:
    """increment_autocovariance of many (alpha, noise_ratio) pairs (B,) at once: (B, n) (a few array
    operations instead of a dozen per pair: the local searches ask for thousands)."""
    k = np.arange(n, dtype=float)[None, :]
    a = np.asarray(alpha, dtype=float)[:, None]
    if exposure > 0:
        tau = float(exposure)

        def h(d):
            return _g(d + tau, a) - 2 * _g(d, a) + _g(d - tau, a)

        gamma = (h(k + 1) - 2 * h(k) + h(k - 1)) / tau**2
    else:
        gamma = np.abs(k + 1) ** a - 2 * np.abs(k) ** a + np.abs(k - 1) ** a
    s2 = np.asarray(noise_ratio, dtype=float) ** 2
    gamma[:, 0] += 2 * s2
    if n > 1:
        gamma[:, 1] -= s2
    return gamma


class _Factors:
    """Inverse Cholesky factors W = L^-1 of R(alpha, s) (unit K, W R W^T = I) on the lattice, with the log
    det of every leading block, least recently used dropped beyond _CACHE_BYTES (one cache per
    precision); innovations e = W x by a matrix product (the best tuned BLAS call, 2-6x faster than a
    triangular solve). Computed in batches by the Durbin-Levinson recursion (_inverse_factors). In single
    precision (dtype float32) for the shared grids, many segments per lattice point: 1.6-1.8x faster
    again, profile log-likelihoods within 3e-5 of double precision for 30-511 steps, even at alpha =
    1.99, once each block's increments are scaled to unit mean square (_single_columns); in double for
    the few segments of a local search, whose climb compares neighbouring lattice points. One matrix per
    lattice point, at the largest size asked for so far: a matrix of size N serves every segment of
    n <= N increments (the leading n x n block of L, and so of L^-1, belongs to the leading block of R)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self._store: OrderedDict = OrderedDict()
        self._bytes = 0

    def get(self, ia: int, js: int, size: int, exposure: float):
        """(W, log det of every leading block (size + 1,)) at lattice point (ia, js), W at least size x size."""
        key = (ia, js, exposure)
        hit = self._store.get(key)
        if hit is not None and hit[0].shape[0] >= size:
            self._store.move_to_end(key)
            return hit[0], hit[1]
        self.prefetch([(ia, js)], size, exposure)
        return self._store[key]

    def prefetch(self, points, size: int, exposure: float) -> None:
        """Compute the factors of every lattice point (ia, js) in `points` not yet cached at least
        size x size, all at once (_inverse_factors, a batch per _PREFETCH_BATCH points)."""
        todo = [(int(ia), int(js)) for ia, js in dict.fromkeys(points)
                if not self.has(int(ia), int(js), size, exposure)]
        for lo in range(0, len(todo), _PREFETCH_BATCH):
            part = todo[lo : lo + _PREFETCH_BATCH]
            gammas = _autocovariances(ALPHA_LATTICE[[ia for ia, _ in part]], NOISE_LATTICE[[js for _, js in part]],
                                      size, exposure)
            whiten, logdet = _inverse_factors(gammas, self.dtype)
            for (ia, js), w, ld in zip(part, whiten, logdet):
                if (ia, js, exposure) in self._store:
                    self._drop((ia, js, exposure))
                self._keep((ia, js, exposure), w, ld)

    def _keep(self, key, matrix: np.ndarray, logdet: np.ndarray) -> None:
        self._store[key] = (matrix, logdet)
        self._bytes += matrix.nbytes
        while self._bytes > _CACHE_BYTES and len(self._store) > 1:
            self._drop(next(iter(self._store)))

    def has(self, ia: int, js: int, size: int, exposure: float) -> bool:
        """Whether a matrix of at least size x size is cached at (ia, js)."""
        hit = self._store.get((ia, js, exposure))
        return hit is not None and hit[0].shape[0] >= size

    def _drop(self, key) -> None:
        matrix, _ = self._store.pop(key)
        self._bytes -= matrix.nbytes

    def clear(self) -> None:
        """Forget every cached factor."""
        self._store.clear()
        self._bytes = 0


# factors per batched recursion (32 x 512 x 512 doubles: 67 MB): 0.72 ms per 512 factor, 0.87 at 16, 1.39 at 8
_PREFETCH_BATCH = 32


def _inverse_factors(gammas: np.ndarray, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The inverse Cholesky factors W = L^-1 of B Toeplitz covariances and the log det of each leading
    block, by the Durbin-Levinson recursion: row k of W is the error filter of the best linear predictor
    of step k from the steps before it, divided by the error's standard deviation (the same matrix as
    LAPACK's factor and inverse, to 5e-13 relative at alpha = 1.99, O(m^2) per matrix instead of
    O(m^3)). numpy alone: scipy's LAPACK runs on its own BLAS thread pool, and alternating it with numpy's
    matrix products (each pool spinning while the other works) made a grid of factors and products 3.4
    times slower at 2 threads than either alone.

    gammas: (B, m) autocovariances. Returns W (B, m, m) lower triangular, of `dtype` (the recursion runs
    in float64 whatever it is; each row is rounded once as it is stored: half the memory written for a
    float32 factor, and no copy to convert it), and log det (B, m + 1) of every leading block (0 for the
    empty one)."""
    b, m = gammas.shape
    whiten = np.zeros((b, m, m), dtype=dtype)
    phi = np.zeros((b, m))  # phi[:, j - 1] = phi_{k, j}: coefficients of the order-k predictor
    v = gammas[:, 0].copy()  # prediction error variance of step k
    log_v = np.empty((b, m))
    log_v[:, 0] = np.log(v)
    whiten[:, 0, 0] = 1 / np.sqrt(v)
    backwards = gammas[:, ::-1]  # backwards[:, m - 1 - i] = gamma_i
    for k in range(1, m):
        prev = phi[:, : k - 1]
        kappa = (gammas[:, k] - np.einsum("bj,bj->b", prev, backwards[:, m - k : m - 1])) / v  # reflection
        prev -= kappa[:, None] * prev[:, ::-1]  # in place (the right side is a new array first)
        phi[:, k - 1] = kappa
        v = v * (1 - kappa**2)
        log_v[:, k] = np.log(v)
        scale = 1 / np.sqrt(v)
        whiten[:, k, k] = scale
        # W[k, k - j] = -phi_{k, j} / sd_k, written straight into W (rounded once to its dtype)
        np.multiply(phi[:, k - 1 :: -1], -scale[:, None], out=whiten[:, k, :k], casting="same_kind")
    if not np.all(np.isfinite(log_v)):
        raise np.linalg.LinAlgError("a covariance of the lattice is not positive definite (Durbin-Levinson)")
    return whiten, np.concatenate([np.zeros((b, 1)), np.cumsum(log_v, axis=1)], axis=1)


_FACTORS = _Factors(np.float64)  # local searches: few segments per lattice point
_WHITEN = _Factors(np.float32)  # shared grids: many segments per lattice point


def clear_caches() -> None:
    """Forget every cached factor (both precisions): the next call starts cold, as each `uandi segment`
    run does (benchmarks time it so; worker processes start with the caches of the moment they fork)."""
    for cache in (_FACTORS, _WHITEN):
        cache.clear()


def _size_for(n: int) -> int:
    """Factor size for a segment of n increments: n rounded up to a multiple of 64 (few distinct sizes)."""
    return int(-(-n // 64) * 64)


@dataclass
class _Segments:
    """Increments of many segments, zero-padded, with their true lengths, sorted by length."""

    increments: np.ndarray  # (S, N, 2)
    n: np.ndarray  # (S,) increments per segment (block)
    owner: np.ndarray  # (S,) which input segment each block belongs to
    # _grid_terms' single-precision columns of a chunk of blocks, (m, first block) -> (x, scale2), made once:
    # each grid of noise levels asks for the same ones (13 levels in _KnownNoise: 8 % of its time went there);
    # (m, first block, "T") -> x transposed, where subsets of the columns are gathered
    columns: dict = field(default_factory=dict, repr=False, compare=False)


def _prepare(segments) -> tuple[_Segments, int]:
    blocks, owner = [], []
    for i, pos in enumerate(segments):
        pos = np.asarray(pos, dtype=float)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ValueError(f"segment {i} must be positions of shape (n_points, 2); got shape {pos.shape}")
        if pos.shape[0] < 3:
            raise ValueError(f"segment {i} has {pos.shape[0]} points; the likelihood needs at least 3")
        if not np.all(np.isfinite(pos)):
            raise ValueError(f"segment {i} holds NaN or infinite positions; split the track at them first")
        inc = np.diff(pos, axis=0)
        for s in range(0, len(inc), MAX_EXACT):
            blocks.append(inc[s : s + MAX_EXACT])
            owner.append(i)
    n = np.array([len(b) for b in blocks], dtype=np.int64)
    width = _size_for(int(n.max()))
    inc = np.zeros((len(blocks), width, 2))
    for row, b in enumerate(blocks):
        inc[row, : len(b)] = b
    return _Segments(inc, n, np.array(owner, dtype=np.int64)), len(segments)


def _terms(seg: _Segments, rows: np.ndarray, ia: np.ndarray, js: np.ndarray, exposure: float):
    """Exact Q (sum over both axes of x^T R^-1 x) and log det R (one axis) of blocks `rows` at lattice
    points (ia, js): two arrays of len(rows). Blocks sharing a lattice point and a factor size are
    solved together."""
    q = np.empty(len(rows))
    logdet = np.empty(len(rows))
    n = seg.n[rows]
    size = np.array([_size_for(v) for v in n.tolist()])
    # a lattice point asked for by few blocks and not cached: the Durbin-Levinson recursion, O(n^2) per
    # block, instead of a factorization, O(n^3) (a local search visits many points, each for few segments)
    point = ia.astype(np.int64) * len(NOISE_LATTICE) + js
    _, where, count = np.unique(point, return_inverse=True, return_counts=True)
    few = (count[where] < LEVINSON_BELOW) & np.array([not _FACTORS.has(int(a), int(j), int(m), exposure)
                                                      for a, j, m in zip(ia.tolist(), js.tolist(), size.tolist())])
    few_rows = np.flatnonzero(few)
    few_rows = few_rows[np.argsort(-n[few_rows], kind="stable")]  # batches of similar lengths
    for lo in range(0, len(few_rows), _LEVINSON_BATCH):
        part = few_rows[lo : lo + _LEVINSON_BATCH]
        m = int(n[part].max())
        gammas = _autocovariances(ALPHA_LATTICE[ia[part]], NOISE_LATTICE[js[part]], m, exposure)
        q[part], logdet[part] = _levinson_terms(gammas, seg.increments[rows[part], :m], n[part])
    key = point * 100000 + (99999 - size)  # largest first: one factor per lattice point
    order = np.flatnonzero(~few)
    order = order[np.argsort(key[order], kind="stable")]
    for m in sorted(set(size[order].tolist()), reverse=True):  # the factors not cached, in batches (4-9x faster
        # per factor than one at a time); largest first, so that a point's larger factor serves its smaller sizes
        mine = order[size[order] == m]
        _FACTORS.prefetch(list(zip(ia[mine].tolist(), js[mine].tolist())), m, exposure)
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for group in np.split(order, bounds) if len(order) else []:
        g0 = group[0]
        whiten, ld = _FACTORS.get(int(ia[g0]), int(js[g0]), int(size[g0]), exposure)
        m = int(size[g0])
        x = _columns(seg.increments[rows[group], :m])  # (m, 2G), zero beyond each block's end
        e = _squares(whiten[:m, :m] @ x)  # (m, G) both axes
        # innovations beyond a block's end depend only on the zeros after it, but they are not zero:
        # keep k < n only
        valid = np.arange(m)[:, None] < n[group][None, :]
        q[group] = np.where(valid, e, 0.0).sum(axis=0)
        logdet[group] = ld[n[group]]
    return q, logdet


# a lattice point wanted by fewer blocks than this (and not cached) gets no factor: the recursion costs
# 0.4-2.4 ms per block of 128-512 steps in a batch (1.4-5.9 ms for a block alone), a factor 1.1-5.6 ms
# per point by _inverse_factors (0.8-6.5 ms by LAPACK, against which the threshold was set; 1 thread)
LEVINSON_BELOW = 3
_LEVINSON_BATCH = 256  # blocks per recursion (larger batches leave the CPU cache)


def _levinson_terms(gammas: np.ndarray, increments: np.ndarray, n: np.ndarray):
    """Exact Q (both axes) and log det (one axis) of B blocks, each with its own Toeplitz covariance, by
    the Durbin-Levinson recursion (the innovations of the best linear predictor and their variances).

    gammas: (B, m) autocovariances; increments: (B, m, 2), zero beyond each block's n (B,) steps.
    Returns q, logdet, each (B,). O(m^2) operations per block, vectorised over the batch."""
    order = np.argsort(-n, kind="stable")  # longest first: the blocks still running are a leading slice
    gammas, increments, n = gammas[order], increments[order], n[order]
    b = len(n)
    top = int(n[0])
    reversed_x = np.ascontiguousarray(increments[:, top - 1 :: -1])  # (B, top, 2): x_{top-1}, ..., x_0
    reversed_g = np.ascontiguousarray(gammas[:, top - 1 : 0 : -1])  # (B, top - 1): gamma_{top-1}, ..., gamma_1
    running = np.searchsorted(-n, -np.arange(top), side="left")  # blocks with n > k, for each step k
    phi = np.zeros((b, top))  # phi[:, j - 1] = phi_{k, j}: coefficients of the order-k predictor
    v = gammas[:, 0].copy()  # prediction error variance of step k
    q = np.square(increments[:, 0]).sum(axis=1) / v
    logdet = np.log(v)
    for k in range(1, top):
        r = running[k]
        prev = phi[:r, : k - 1]
        # reflection coefficient: (gamma_k - sum_j phi_{k-1,j} gamma_{k-j}) / v_{k-1}
        kappa = (gammas[:r, k] - np.matmul(prev[:, None, :], reversed_g[:r, top - k :, None])[:, 0, 0]) / v[:r]
        phi[:r, : k - 1] = prev - kappa[:, None] * prev[:, ::-1]
        phi[:r, k - 1] = kappa
        v[:r] *= 1 - kappa**2
        # innovation of step k: x_k - sum_j phi_{k,j} x_{k-j}, both axes
        e = increments[:r, k] - np.matmul(phi[:r, None, :k], reversed_x[:r, top - k :])[:, 0]  # (r, 2)
        q[:r] += np.square(e).sum(axis=1) / v[:r]
        logdet[:r] += np.log(v[:r])
    back = np.empty_like(order)
    back[order] = np.arange(b)
    q, logdet = q[back], logdet[back]
    return q, logdet


def _columns(increments: np.ndarray) -> np.ndarray:
    """Blocks of increments (B, m, 2) as the right-hand side of one product (m, 2B): every block's
    first axis, then every block's second (so _squares sums the two axes with contiguous halves)."""
    return increments.transpose(1, 2, 0).reshape(increments.shape[1], -1)


def _squares(e: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Squared innovations (m, 2B) in _columns' order -> summed over the two axes (m, B), into `out` if
    given. e is squared in place (a scratch product: no temporaries)."""
    half = e.shape[1] // 2
    np.square(e, out=e)
    return np.add(e[:, :half], e[:, half:], out=out)


def _single_columns(increments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """_columns in single precision, each block scaled to unit mean square first (any input unit then
    fits float32's range; Q scales back by the factor): (m, 2B) float32 and the factors (B,) float64."""
    scale2 = np.mean(np.square(increments), axis=(1, 2)) + 1e-300  # (B,)
    x = _columns(increments / np.sqrt(scale2)[:, None, None])
    return x.astype(np.float32), scale2


_TRIANGLE_BLOCKS = 4  # row blocks of a whitening product at m >= 256: skips 3/8 of the zero upper triangle


def _whitened_squares(whiten: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squared innovations summed over both axes, (m, B), of the columns x (m, 2B) (_columns' order) by
    the lower-triangular whitening matrix (at least m x m): one product per row block, each with only the
    columns of W up to the block's last row (3/8 fewer multiplications than the full product)."""
    m = x.shape[0]
    blocks = _TRIANGLE_BLOCKS if m >= 256 else 1
    edges = [m * b // blocks for b in range(blocks + 1)]
    out = np.empty((m, x.shape[1] // 2), dtype=x.dtype)
    for lo, hi in zip(edges[:-1], edges[1:]):
        _squares(whiten[lo:hi, :hi] @ x[:hi], out=out[lo:hi])
    return out


def _prefix_sums(e2: np.ndarray) -> np.ndarray:
    """Running sums down the rows of e2 (m, C), in float64 (m, C): np.cumsum(e2, axis=0, dtype=float64)
    to the bit, row after row (numpy's cumsum along the rows of a C-ordered array is 5-14x slower)."""
    out = e2.astype(np.float64)
    for i in range(1, out.shape[0]):
        np.add(out[i], out[i - 1], out=out[i])
    return out


def _profile(q, logdet, n):
    """Log-likelihood (both axes) with K at its maximum K_hat = Q / (2 n)."""
    return -n * (np.log(2 * np.pi * q / (2 * n)) + 1) - logdet


class _Evaluator:
    """Profile log-likelihood of every block at requested lattice points, memoised."""

    def __init__(self, seg: _Segments, exposure: float):
        self.seg, self.exposure = seg, exposure
        self.memo: dict = {}

    def __call__(self, rows: np.ndarray, ia: np.ndarray, js: np.ndarray):
        rows, ia, js = (np.asarray(v, dtype=np.int64) for v in (rows, ia, js))
        ia = np.clip(ia, 0, len(ALPHA_LATTICE) - 1)
        js = np.clip(js, 0, len(NOISE_LATTICE) - 1)
        keys = list(zip(rows.tolist(), ia.tolist(), js.tolist()))
        todo = [i for i, k in enumerate(keys) if k not in self.memo]
        if todo:
            t = np.array(todo)
            q, ld = _terms(self.seg, rows[t], ia[t], js[t], self.exposure)
            for i, qi, li in zip(todo, q.tolist(), ld.tolist()):
                self.memo[keys[i]] = (qi, li)
        q = np.array([self.memo[k][0] for k in keys])
        ld = np.array([self.memo[k][1] for k in keys])
        return q, ld


@dataclass
class SegmentFit:
    """Maximum-likelihood estimates for each segment (arrays of one value per segment).

    alpha: anomalous exponent; alpha_se its standard error. K: generalized diffusion coefficient
    (units^2 / frame^alpha, per-axis MSD 2 K t^alpha); K_se its standard error (K * se of log K).
    sigma: localization error (units, per axis); sigma_se its standard error (NaN where sigma was fixed).
    loglik: maximised log-likelihood of the increments (both axes). n: increments per segment.
    at_bound: True where alpha lies on the edge of [0.05, 1.99] (the error then describes one side only).
    alpha_logk_cov: covariance of the estimates of alpha and log K (for a change of time unit).
    """

    alpha: np.ndarray
    alpha_se: np.ndarray
    K: np.ndarray
    K_se: np.ndarray
    sigma: np.ndarray
    sigma_se: np.ndarray
    loglik: np.ndarray
    n: np.ndarray
    at_bound: np.ndarray
    alpha_logk_cov: np.ndarray


def _quadratic_peak(fm, f0, fp):
    """Offset (in lattice steps, within [-0.5, 0.5]) and curvature of a parabola through three values."""
    curv = fp - 2 * f0 + fm
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(curv < 0, 0.5 * (fm - fp) / curv, 0.0)
    return np.clip(off, -0.5, 0.5), curv


@_quiet
def fit_segments(segments, *, noise="track", exposure: float = 0.0, groups=None,
                 noise_allowance: bool = True, workers: Workers | None = None) -> SegmentFit:
    """Exact maximum-likelihood alpha, K and localization error of each segment, with standard errors.

    segments: list of position arrays, each (n_points, 2), n_points >= 3, finite, time step 1 frame.
    noise: "auto" = fit the localization error sigma and keep it where it improves the likelihood
      significantly (2 x gain > NOISE_TEST, the 5 % level), else sigma = 0; True = always fit it;
      False = no noise (sigma fixed at 0, the fastest); "track" (the default, as in the product) = one
      localization error per group (track; each segment its own group without `groups`), shared by its
      segments and searched jointly, kept where the track's test passes
      (_track_noise_fit: at 0.3-0.6 of the step far more accurate than "auto",
      docs/likelihood.md part H); a number > 0 (or one per segment) = the
      localization error known, per axis in the positions' unit: sigma fixed there, only alpha and K
      fitted (_KnownNoise). Knowing it removes the alpha-noise ridge: alpha's error falls by
      up to half at sigma 0.3-0.6 of the RMS step (docs/likelihood.md part J). A stated error that is
      wrong biases alpha just as confidently, so a segment whose data reject it (2 x log-likelihood
      gain of sigma fitted over sigma stated > KNOWN_NOISE_TEST, 5 %) gets sigma fitted instead: its
      sigma then differs from the stated one and has a finite sigma_se.
    exposure: motion-blur exposure as a fraction of the frame interval (0 = instantaneous frames).
    groups: optional label per segment (e.g. its track) for modes "auto" and "track": localization error
      belongs to the camera and the particle, not to one segment. Mode "track" searches one per group;
      mode "auto" keeps noise only in groups whose pooled test (the sum of their segments' 2 x gains,
      against its chi-bar-square null at 5 %) finds it, and there only in the segments whose own test
      does. On clean tracks this removes most false detections (each costs a large alpha error along the
      alpha-noise ridge), on noisy ones the pooled test has the power of the whole track.
    noise_allowance: modes "auto" and "track", and a stated sigma (its test): alpha_se also holds the
      uncertainty of the noise decision (the alpha of the decision not taken, weighted by its
      probability; see _noise_allowance), and so does K_se (log K) in mode "track" and with a stated
      sigma. On 400 subtask-1 tracks with known ends, mode "auto"'s 95 % intervals held the true alpha
      of 95, 94, 86 and 72 % of segments at sigma_n 0, 0.1, 0.3 and 0.6 with it, 94, 92, 80 and 63 %
      without; mode "track"'s 96, 95, 93 and 93 % (docs/likelihood.md H),
      where a segment kept without noise also reaches up the alpha-noise ridge (_ridge_top).
    workers: optional uandi.workers pool: the segments are fitted in its processes, whole groups to one
      process (each group's fit depends on its own segments only; equal answers to float32 rounding).
    Returns a SegmentFit with one entry per input segment.
    """
    known = None
    if not (isinstance(noise, str) or isinstance(noise, bool)):
        known = np.broadcast_to(np.asarray(noise, dtype=float), (len(segments),)) if np.ndim(noise) == 0 \
            else np.asarray(noise, dtype=float)
        if known.shape != (len(segments),) or not np.all(np.isfinite(known) & (known > 0)):
            raise ValueError("noise as a known localization error must be a finite number > 0 (per axis, in the "
                             f"positions' unit) or one per segment ({len(segments)}); got {noise!r}")
    elif noise not in (True, False, "auto", "track"):
        raise ValueError(f"noise must be True, False, 'auto', 'track' or the known localization error, got {noise!r}")
    if not (0.0 <= float(exposure) <= 1.0):
        raise ValueError(f"exposure must lie in [0, 1] (fraction of the frame interval), got {exposure!r}")
    if len(segments) == 0:
        empty = np.zeros(0)
        return SegmentFit(empty, empty, empty, empty, empty, empty, empty, np.zeros(0, np.int64), np.zeros(0, bool),
                          empty)
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (len(segments),):
            raise ValueError(f"groups must hold one label per segment ({len(segments)}), got shape {groups.shape}")
        groups = np.unique(groups, return_inverse=True)[1]
    if active(workers) and len(segments) >= 2 * workers.n:
        return _fit_in_workers(workers, segments, noise if known is None else known, exposure, groups,
                               noise_allowance)
    seg, n_in = _prepare(segments)
    if known is not None:
        return _stated_noise_fit(seg, n_in, known, float(exposure), noise_allowance)
    if noise == "track":
        return _track_noise_fit(seg, n_in, groups if groups is not None else np.arange(n_in), float(exposure),
                                noise_allowance)
    return _maximise(_Evaluator(seg, float(exposure)), seg, n_in, noise, groups, noise_allowance)


def _allow(fit: SegmentFit, other: np.ndarray, margin: np.ndarray, other_log_k: np.ndarray | None = None) -> None:
    """Widen alpha_se (in place) by a decision's doubt: the alpha of the decision not taken (`other`),
    weighted by its probability 1 / (1 + exp(margin / 2)), margin = the 2 x log-likelihood margin in
    favour of the decision taken (the test's threshold as prior odds; see _noise_allowance); with
    `other_log_k`, K_se likewise on the log scale."""
    w = 1.0 / (1.0 + np.exp(np.clip(margin / 2, -50.0, 50.0)))
    fit.alpha_se = np.sqrt(fit.alpha_se**2 + w * (other - fit.alpha) ** 2)
    if other_log_k is not None:
        fit.K_se = fit.K * np.sqrt((fit.K_se / fit.K) ** 2 + w * (other_log_k - np.log(fit.K)) ** 2)


def _stated_noise_fit(seg: _Segments, n_in: int, sigma: np.ndarray, exposure: float, allowance: bool) -> SegmentFit:
    """fit_segments with sigma stated (n_in,): fixed where the data accept it; a segment whose data reject
    it (2 x log-likelihood gain of sigma fitted > KNOWN_NOISE_TEST) gets it fitted instead."""
    fit = _KnownNoise(seg, n_in, exposure).fit(sigma)
    free = _maximise(_Evaluator(seg, exposure), seg, n_in, True)
    gain = 2 * (free.loglik - fit.loglik)
    reject = gain > KNOWN_NOISE_TEST
    other = np.where(reject, fit.alpha, free.alpha)  # the alpha (and log K) of the decision not taken
    other_k = np.log(np.where(reject, fit.K, free.K))
    for name in fit.__dataclass_fields__:
        getattr(fit, name)[reject] = getattr(free, name)[reject]
    if allowance:
        _allow(fit, other, np.where(reject, gain - KNOWN_NOISE_TEST, KNOWN_NOISE_TEST - gain), other_k)
    return fit


# noise "track": the shared localization error is searched on these multiples of a track's scale
# (the square root of its segments' median no-noise K), then refined by a parabola in log sigma. On 1200
# subtask-1 tracks (sigma_n 0-0.6, ends known), 8 and 12 factors lost accuracy at sigma_n 0.3-0.6 (MAE
# 0.117 and 0.087 against 0.080 at 0.6), 28 and 40 moved it by under 0.002 either way
TRACK_NOISE_FACTORS = np.exp(np.linspace(np.log(0.02), np.log(3.0), 20))


def _track_noise_fit(seg: _Segments, n_in: int, groups: np.ndarray, exposure: float, allowance: bool) -> SegmentFit:
    """Mode "track": one localization error per group (track), shared by its segments, as a camera and
    a particle give it: its profile log-likelihood summed over the group's segments (alpha and K of each
    re-maximised) on TRACK_NOISE_FACTORS, refined by a parabola in log sigma; kept where its
    2 x log-likelihood gain over no noise passes NOISE_TEST (one parameter per track, chi-bar-square
    5 %), and then fixed in each of its segments (_KnownNoise). A per-segment test of the shared value
    (as for a stated one) changed little even where our simulator gives each segment its own noise
    (MAE 0.0680 against 0.0663 at sigma_n 0.3, coverage 0.904 against 0.897) at twice the cost: not
    done. The track's sigma is estimated, so alpha_se also holds its spread (the slope of alpha in
    log sigma times the variance of log sigma from the track's profile), and the doubt of the track's
    decision as _noise_allowance does. The screen of mode "auto" spares the search to tracks of one
    segment that cannot pass: the gain is at most the segment's own, which the screen's estimates
    bound with a margin.
    A segment kept without noise may have a higher alpha with some noise almost as likely (the ridge),
    which the curvature at sigma = 0 cannot see: its interval reaches up to the profile likelihood's
    95 % bound (_ridge_top: the whole track's likelihood at each alpha of the segment, sigma and every
    other parameter re-maximised over the searched values; in a track of one segment, the screen's
    levels). Ends known, sigma_n 0.3 / 0.6 of the step: coverage 0.898 / 0.920 -> 0.929 / 0.928
    (docs/likelihood.md part H). K_se likewise holds the spread of the track's sigma, the decision's
    doubt and, for a segment kept without noise, how far log K reaches within the profile interval
    (unmodelled noise inflates K): on one-segment tracks with noise its interval held 0.41-0.65 before,
    0.90-0.99 since (part J)."""
    groups = np.unique(groups, return_inverse=True)[1]
    fit, q0 = _no_noise_fit(seg, n_in, exposure)
    alpha0, log_k0 = fit.alpha.copy(), np.log(fit.K)  # no noise: the other decision of noisy tracks
    # the screen's reach is a segment's own (its sigma free): the profile interval of a track of one
    # segment, which gets two more levels; in longer tracks the shared sigma binds it (the screen's reach
    # there: coverage 0.99 at sigma_n 0 for error bars 1.6 times as wide, docs/likelihood.md part H), so
    # every track of several segments is searched, whatever its screen, for the shared profile's reach;
    # only tracks of one segment are screened then (in the others the search overwrites every answer of the
    # screen, and makes the products of the screen it would have reused itself: on 2,000 subtask-1 tracks in
    # one process the screen took 0.87 s, 0.31 s since, the same answers to float32 rounding)
    alone = np.bincount(groups)[groups] == 1
    screen = _screen(seg, n_in, fit, exposure, TRACK_SCREEN_LEVELS, only=alone)
    gain_s, other, other_k = screen.gain, screen.alpha.copy(), screen.log_k.copy()
    top = np.where(alone, screen.top, -np.inf)
    k_low, k_high = np.where(alone, screen.log_k_low, np.inf), np.where(alone, screen.log_k_high, -np.inf)
    margin = NOISE_TEST - gain_s  # quiet tracks: the screen's doubt, as mode "auto"
    bound = np.bincount(groups, np.maximum(gain_s, 0.0) + np.where(gain_s > NOISE_SCREEN, NOISE_SCREEN_MARGIN,
                                                                     TRACK_SCREEN_SLACK))
    # segments of the tracks searched: those whose noise test may pass, and every track of several
    # segments. Sparing the quiet ones left their segments the curvature's error, which cannot see the
    # ridge: two-state tracks with one localization error (models_phenom, ends known), where it was
    # 0.6-1.2 of the slow state's own step, held alpha in 0.79 and K in 0.75 of segments (0.91 / 0.88
    # searched), and the shared search costs about as much again as the rest of the fits (part H)
    look = (bound > NOISE_TEST)[groups] | ~alone
    if look.any():
        sub, n_sub = _subset(seg, look)
        sub_groups = np.unique(groups[look], return_inverse=True)[1]
        n_groups = int(sub_groups.max()) + 1
        cols = np.arange(n_groups)
        # noise only raises alpha above its no-noise value (it explains the anticorrelation that a lower
        # alpha would): the grid well below that and below the no-noise interval is never a maximum nor
        # inside the profile interval (whose K values K_se reaches to), and is skipped
        below = np.fmax(KNOWN_NOISE_BELOW, 2.5 * fit.alpha_se[look])  # NaN (no curvature): the whole grid
        known = _KnownNoise(sub, n_sub, exposure, lowest=np.nan_to_num(alpha0[look] - below, nan=0.0),
                            known_q=_products_made(q0, screen, look))
        scale = np.sqrt(_group_median(fit.K[look], sub_groups))  # (G,)
        # shared (A, n_sub) per searched sigma (no noise first): the whole track's profile log-likelihood at
        # each alpha of one segment, the other segments at their best; with each one's best log K
        shared, log_ks = [], []
        prof = np.empty((len(TRACK_NOISE_FACTORS) + 1, n_groups))  # (1 + F, G) the track's profile in sigma
        levels = known.scan([(scale[sub_groups] * f) ** 2 for f in np.r_[0.0, TRACK_NOISE_FACTORS]])
        # each segment's maximum over alpha at every level, all levels side by side in one call
        peaks = _spline_profile(ALPHA_LATTICE[known.grid], np.hstack([v[0] for v in levels]),
                                np.hstack([v[1] for v in levels]), np.tile(known.first, len(levels)))[1]
        for i, ((ll_alpha, log_k, _), peak) in enumerate(zip(levels, np.split(peaks, len(levels)))):
            prof[i] = np.bincount(sub_groups, peak, minlength=n_groups)
            shared.append(ll_alpha + (prof[i][sub_groups] - peak)[None, :])
            log_ks.append(log_k)
        ll0, prof = prof[0], prof[1:]
        best = np.clip(prof.argmax(axis=0), 1, len(TRACK_NOISE_FACTORS) - 2)
        off, curv = _quadratic_peak(prof[best - 1, cols], prof[best, cols], prof[best + 1, cols])
        log_f = np.log(TRACK_NOISE_FACTORS)
        step = log_f[1] - log_f[0]
        sigma = (scale * np.exp(log_f[best] + off * step))[sub_groups]  # (n_sub,)
        gain = 2 * (prof.max(axis=0) - ll0)[sub_groups]  # (n_sub,)
        noisy = gain > NOISE_TEST
        # every searched segment at its track's sigma, and a little above and below it; the maxima in log s
        # lie between those of the searched levels just below and above these sigmas (log s = log sigma -
        # log K / 2 grows with sigma), so scan reads its table there only
        at_sigma, up, down = known.fits([sigma, sigma * np.exp(0.1), sigma * np.exp(-0.1)],
                                        near=_between_levels(levels, scale[sub_groups], sigma, 0.1))
        # the track's sigma is estimated, not known: the variances of alpha and log K gain their slopes in
        # log sigma squared times the variance of log sigma (the track profile's curvature)
        with np.errstate(divide="ignore", invalid="ignore"):
            var_log_sigma = np.where(curv < 0, -(step**2) / curv, 0.0)[sub_groups]
        slope, slope_k = (up.alpha - down.alpha) / 0.2, np.log(up.K / down.K) / 0.2
        at_sigma.alpha_se = np.sqrt(at_sigma.alpha_se**2 + slope**2 * var_log_sigma)
        at_sigma.K_se = at_sigma.K * np.sqrt((at_sigma.K_se / at_sigma.K) ** 2 + slope_k**2 * var_log_sigma)
        # how far alpha and log K reach within the profile interval (RIDGE_DROP below the track's maximum)
        track_max = np.maximum(ll0, prof.max(axis=0))[sub_groups]  # (n_sub,) = each segment's shared maximum
        reach_top, reach_low, reach_high = _profile_reach(ALPHA_LATTICE[known.grid], shared, log_ks,
                                                          track_max - RIDGE_DROP)
        rows = np.flatnonzero(look)
        top[rows] = np.maximum(top[rows], reach_top)
        k_low[rows], k_high[rows] = np.minimum(k_low[rows], reach_low), np.maximum(k_high[rows], reach_high)
        other[rows] = np.where(noisy, alpha0[rows], at_sigma.alpha)
        other_k[rows] = np.where(noisy, log_k0[rows], np.log(at_sigma.K))
        margin[rows] = np.where(noisy, gain - NOISE_TEST, NOISE_TEST - gain)
        for name in fit.__dataclass_fields__:
            getattr(fit, name)[rows[noisy]] = getattr(at_sigma, name)[noisy]
    if allowance:
        _allow(fit, other, margin, other_k)
        # kept without noise: noise and a lower alpha look alike, so the data allow alpha (and K) as far as
        # the profile likelihood (sigma free) stays within RIDGE_DROP of its maximum; the intervals reach
        # there (at the edge of 0.05-1.99 alpha_se stays NaN: no symmetric error there)
        quiet = fit.sigma == 0
        fit.alpha_se = np.where(quiet, np.maximum(fit.alpha_se, (top - fit.alpha) / 1.96), fit.alpha_se)
        log_k = np.log(fit.K)
        reach = np.maximum(k_high - log_k, log_k - k_low)  # -inf where the levels did not look
        fit.K_se = np.where(quiet, fit.K * np.maximum(fit.K_se / fit.K, reach / 1.96), fit.K_se)
    return fit


def _between_levels(levels: list, scale: np.ndarray, sigma: np.ndarray, spread: float) -> tuple:
    """Where _KnownNoise.scan should find the maxima at sigmas within exp(+-spread) of sigma (n,): the log s
    of the maxima at the searched levels just below and just above them (levels: scan's answers at
    sigma = 0 and at scale (n,) times each TRACK_NOISE_FACTORS). Returns (low, high), each (A, n); -inf
    below the lowest level, +inf above the highest."""
    factors = np.r_[0.0, TRACK_NOISE_FACTORS]
    cols = np.arange(len(sigma))
    ratio = sigma / scale  # (n,) sigma in the levels' factors
    below = np.searchsorted(factors, ratio * np.exp(-spread), side="right") - 1  # (n,) the level at or below
    above = np.searchsorted(factors, ratio * np.exp(spread), side="left")  # (n,) the level at or above

    best_logk = np.stack([lv[1] for lv in levels])  # (1 + F, A, n)

    def log_s(level: np.ndarray) -> np.ndarray:  # (A, n) each segment's best log s at its level
        level = np.clip(level, 0, len(factors) - 1)
        with np.errstate(divide="ignore"):
            return np.log(scale * factors[level])[None, :] - 0.5 * best_logk[level, :, cols].T

    low = np.where(below[None, :] >= 1, log_s(below), -np.inf)
    high = np.where(above[None, :] <= len(factors) - 1, log_s(above), np.inf)
    return low, high


def _products_made(q0: np.ndarray, screen: _Screen, look: np.ndarray) -> dict:
    """The Q values the track search's no-noise fit (q0 (len(SCORE_GRID), n), _coarse_then_fine's: every
    KNOWN_GRID point) and its screen (every other SCORE_GRID point, per level) already hold, on
    KNOWN_GRID for the segments `look` (n,) bool: _KnownNoise's known_q, so that they are not computed
    again (a fifth to a third of its products)."""
    known_q = {0: q0[np.searchsorted(SCORE_GRID, KNOWN_GRID)][:, look]}
    screen_grid = SCORE_GRID[::2]  # KNOWN_GRID is these and SCORE_GRID's last point
    rows, in_screen = np.searchsorted(screen_grid, KNOWN_GRID), np.isin(KNOWN_GRID, screen_grid)
    for j, q in screen.q.items():
        known_q[j] = np.where(in_screen[:, None], q[np.minimum(rows, len(q) - 1)], np.nan)[:, look]
    return known_q


def _group_median(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median of values (n,) in each group 0..G-1 (groups (n,), every group present): (G,), as np.median
    per group, by one sort instead of a pass over all values per group."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups)
    starts = np.cumsum(counts) - counts
    ranked = values[order]
    return 0.5 * (ranked[starts + (counts - 1) // 2] + ranked[starts + counts // 2])


TRACK_SCREEN_SLACK = 0.2  # what the full search may add to a segment's screen gain below NOISE_SCREEN: at 0.5, 0.2
# and 0 the same noise decisions on 900 subtask-1 tracks at sigma_n 0, 0.1 and 0.3; 0.2 spares 40 % of the
# searches of 0.5 on clean tracks


def warm_factors(workers: Workers, longest: int, exposure: float, noise) -> None:
    """Have each worker process compute the factors of the shared grids that select_changepoints and
    fit_segments(noise=`noise`) will ask for, now, without waiting (Workers.warm): while the parent
    works alone (the candidates, the spans), the processes would idle, and each computes its own ~300
    factors later otherwise. longest: points of the longest track (the fits' largest factor size)."""
    fit_size = _size_for(max(1, min(MAX_EXACT, longest - 1)))
    spans = [(int(ia), 0) for ia in SPAN_GRID]  # the span scores and the posteriors: at MAX_EXACT's size
    grids = [(int(ia), 0) for ia in SCORE_GRID]  # the no-noise fits
    mode = noise if isinstance(noise, str) else None  # a stated error (a number) screens nothing
    if mode in ("auto", "track"):
        for j, _ in TRACK_SCREEN_LEVELS if mode == "track" else SCREEN_LEVELS:
            grids += [(int(ia), int(j)) for ia in SCORE_GRID[::2]]
    if mode == "track":
        grids += [(int(ia), int(j)) for j in KNOWN_NODES for ia in KNOWN_GRID]
    workers.warm(_warm, spans, _size_for(MAX_EXACT), grids, fit_size, exposure)


def _warm(spans: list, span_size: int, grids: list, size: int, exposure: float) -> None:
    """warm_factors' task in one worker process."""
    _WHITEN.prefetch(spans, span_size, exposure)
    _WHITEN.prefetch(grids, size, exposure)


def _fit_in_workers(workers: Workers, segments, noise, exposure: float, groups, noise_allowance: bool) -> SegmentFit:
    """fit_segments in the workers' processes: whole groups (tracks) to each, cut by their points; the
    answers put back in the input's order. noise: as fit_segments', a known error already one per segment."""
    labels = groups if groups is not None else np.arange(len(segments))
    order = np.argsort(labels, kind="stable")  # (S,) the segments group by group
    starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])  # first row of each group in `order`
    points = np.add.reduceat(np.array([len(segments[i]) for i in order], dtype=float), starts)
    ends = np.r_[starts[1:], len(order)]
    chunks = [order[starts[part.start] : ends[part.stop - 1]] for part in split(points, workers.n)]
    args = [(Packed.of([segments[i] for i in rows.tolist()]), noise[rows] if isinstance(noise, np.ndarray) else noise,
             exposure, None if groups is None else groups[rows], noise_allowance) for rows in chunks]
    fits = workers.starmap(_fit_chunk, args)
    rows = np.concatenate(chunks)
    values = {}
    for f in fields(SegmentFit):
        joined = np.concatenate([getattr(fit, f.name) for fit in fits])
        values[f.name] = np.empty_like(joined)
        values[f.name][rows] = joined
    return SegmentFit(**values)


def _fit_chunk(segments: Packed, noise, exposure, groups, noise_allowance) -> SegmentFit:
    """One worker's share of _fit_in_workers."""
    return fit_segments(segments.unpack(), noise=noise, exposure=exposure, groups=groups,
                        noise_allowance=noise_allowance)


def _grid_terms(seg: _Segments, n_in: int, grid: np.ndarray, js: int, exposure: float, wanted=None,
                logdet: bool = False, known_q: np.ndarray | None = None):
    """Every input segment at every alpha lattice index of `grid`, noise index js: the profile
    log-likelihood (summed over its blocks) and Q summed over its blocks, each (len(grid), n_in), and
    with `logdet` the log det of R (one axis, unit K) summed over its blocks as a third. All
    blocks of one factor size share one matrix product per grid point (few calls, many right-hand
    sides: the fast path for many segments). wanted: optional (len(grid), n_in) bool, the grid points
    each segment needs; the others are skipped and read _FAR_BELOW (profile) and NaN (Q). known_q:
    optional (len(grid), n_in), Q already computed at this noise index (NaN where not): taken instead of
    a product for segments of one block (the same numbers, to float32 rounding)."""
    size = np.array([_size_for(v) for v in seg.n.tolist()])
    have = None
    if known_q is not None:
        one_block = np.bincount(seg.owner, minlength=n_in) == 1
        have = np.isfinite(known_q) & one_block[None, :]  # (len(grid), n_in)
    _WHITEN.prefetch([(int(ia), js) for ia in grid], int(size.max()), exposure)
    prof, q_tot, ld_tot = np.zeros((len(grid), n_in)), np.zeros((len(grid), n_in)), np.zeros((len(grid), n_in))
    for m in sorted(set(size.tolist()), reverse=True):  # largest first: one factor per lattice point
        rows = np.flatnonzero(size == m)
        for lo in range(0, len(rows), _SCORE_COLUMNS):
            part = rows[lo : lo + _SCORE_COLUMNS]
            n, owner = seg.n[part], seg.owner[part]
            if (m, lo) not in seg.columns:
                seg.columns[(m, lo)] = _single_columns(seg.increments[part, :m])
            x, scale2 = seg.columns[(m, lo)]  # (m, 2B) float32, (B,)
            for g, ia in enumerate(grid):
                cols = np.arange(len(part)) if wanted is None else np.flatnonzero(wanted[g, owner])
                if len(cols) == 0:
                    continue
                reuse = np.zeros(len(cols), bool) if have is None else have[g, owner[cols]]
                calc = cols[~reuse]  # the blocks that need a product
                whiten, ld = _WHITEN.get(int(ia), int(js), m, exposure)
                q = np.empty(len(cols))
                if len(calc):
                    if len(calc) == len(part):
                        xs = x
                    else:  # the wanted columns, gathered as rows of the transpose (3-5x faster than columns)
                        if (m, lo, "T") not in seg.columns:
                            seg.columns[(m, lo, "T")] = np.ascontiguousarray(x.T)  # (2B, m)
                        xs = seg.columns[(m, lo, "T")][np.concatenate([calc, calc + len(part)])].T  # (m, 2b)
                    e2 = _whitened_squares(whiten, xs)  # (m, b)
                    tail = int(n[calc].min())  # innovations past a block's end dropped (the last rows only)
                    e2[tail:] *= np.arange(tail, m)[:, None] < n[calc][None, :]
                    q[~reuse] = e2.sum(axis=0, dtype=np.float64) * scale2[calc]  # (b,)
                if reuse.any():
                    q[reuse] = known_q[g, owner[cols[reuse]]]
                prof[g] += np.bincount(owner[cols], _profile(q, ld[n[cols]], n[cols]), minlength=n_in)
                q_tot[g] += np.bincount(owner[cols], q, minlength=n_in)
                if logdet:
                    ld_tot[g] += np.bincount(owner[cols], ld[n[cols]], minlength=n_in)
    if wanted is not None:
        prof[~wanted], q_tot[~wanted] = _FAR_BELOW, np.nan
    return (prof, q_tot, ld_tot) if logdet else (prof, q_tot)


_FAR_BELOW = -1e12  # profile log-likelihood of a grid point skipped: finite, so parabolas stay defined


def _coarse_then_fine(seg: _Segments, n_in: int, grid: np.ndarray, js: int, exposure: float):
    """_grid_terms' profile and Q (each (len(grid), n_in)) where a parabola through the best grid point
    and its neighbours needs them: every other grid point (and the last), then the two skipped points
    beside each segment's best of those; the others read _FAR_BELOW and NaN. The profile of alpha is
    unimodal on the grid, so the best point and its neighbours are those of the whole grid, at 55 % of
    its products (equal results on 2,000 subtask-1 tracks)."""
    coarse = np.zeros(len(grid), bool)
    coarse[::2] = coarse[-1] = True
    prof, q = _grid_terms(seg, n_in, grid, js, exposure, np.repeat(coarse[:, None], n_in, axis=1))
    best = prof.argmax(axis=0)  # (n_in,) a coarse point
    fine = np.zeros((len(grid), n_in), bool)
    cols = np.arange(n_in)
    for side in (-1, 1):
        fine[np.clip(best + side, 0, len(grid) - 1), cols] = True
    fine &= ~coarse[:, None]
    if fine.any():
        prof_f, q_f = _grid_terms(seg, n_in, grid, js, exposure, fine)
        prof, q = np.where(fine, prof_f, prof), np.where(fine, q_f, q)
    return prof, q


def _grid_parabolas(values: np.ndarray, x: np.ndarray):
    """The best grid point of each column of values (G, n) on the grid x (G,), that point moved inside
    the grid (mid), the spacings to its neighbours (hm < 0 < hp), and parabola(v): for any (G, n) array,
    the coefficients (v0, b, c) of v(mid + d) = v0 + b d + c d^2 through its values at the three points."""
    cols = np.arange(values.shape[1])
    best = values.argmax(axis=0)
    mid = np.clip(best, 1, len(x) - 2)
    hm, hp = x[mid - 1] - x[mid], x[mid + 1] - x[mid]

    def parabola(v):
        v0, vm, vp = v[mid, cols], v[mid - 1, cols], v[mid + 1, cols]
        c = ((vp - v0) / hp - (vm - v0) / hm) / (hp - hm)
        return v0, (vp - v0) / hp - c * hp, c

    return best, mid, hm, hp, parabola


def _grid_summary(prof: np.ndarray, q_tot: np.ndarray, n_tot: np.ndarray, grid: np.ndarray):
    """No-noise estimates from the shared grid: alpha at the peak of the parabola through the best
    grid point and its neighbours; its standard error from that parabola's curvature (the profile's
    curvature is the observed information of alpha with log K re-maximised); K = Q / (2 n) at that alpha
    (log Q interpolated by a parabola through the same three points), the information of log K (= n)
    and its coupling to alpha (dQ/dalpha / (2 K)) from the same interpolation. Within 0.003 of the
    0.01-lattice search's alpha and 0.93-1.07 of its standard error (1 to 99 %, 600 segments of 20-500
    steps), at a twentieth of the cost for many segments. Returns a SegmentFit (sigma = 0)."""
    x = ALPHA_LATTICE[grid]
    cols = np.arange(prof.shape[1])
    best, mid, hm, hp, parabola = _grid_parabolas(prof, x)
    f0, b, c = parabola(prof)
    at_bound = best != mid  # the best grid point is an end of [0.05, 1.99]
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(at_bound, 0.0, np.clip(np.where(c < 0, -b / (2 * c), 0.0), hm, hp))
        loglik = np.where(at_bound, prof[best, cols], np.maximum(f0 + b * offset + c * offset**2, f0))
        alpha = np.where(at_bound, x[best], x[mid] + offset)
        lq0, lqb, lqc = parabola(np.log(q_tot))
        log_q = np.where(at_bound, np.log(q_tot[best, cols]), lq0 + lqb * offset + lqc * offset**2)
        k = np.exp(log_q) / (2 * n_tot)
        d2_ak = n_tot * (lqb + 2 * lqc * offset)  # dQ/dalpha / (2 K) = n dlogQ/dalpha at K = Q / (2 n)
        curv = np.where(at_bound | (c >= 0), np.nan, 2 * c)  # profile's second derivative in alpha
        # full information: I_aa = -l_aa with l_aa = curv + l_ak^2 / l_kk (profile identity), l_kk = -n
        info = [[-(curv - d2_ak**2 / n_tot), -d2_ak], [-d2_ak, n_tot]]
    alpha_se, logk_se, _, cov_ak = _invert_information(info, np.zeros(len(cols), bool))
    nan = np.full(len(cols), np.nan)
    return SegmentFit(alpha=alpha, alpha_se=alpha_se, K=k, K_se=k * logk_se, sigma=np.zeros(len(cols)),
                      sigma_se=nan, loglik=loglik, n=n_tot.astype(np.int64), at_bound=at_bound, alpha_logk_cov=cov_ak)


def _segment_loglik(ev: _Evaluator, seg: _Segments, n_in: int, ia, js):
    """Profile log-likelihood per input segment (summed over its blocks) at per-segment lattice points:
    ia, js of shape (n_in,) -> (n_in,), or (P, n_in) -> (P, n_in) for P points per segment at once."""
    ia, js = np.asarray(ia), np.asarray(js)
    if ia.ndim == 1:
        return _segment_loglik(ev, seg, n_in, ia[None], js[None])[0]
    p, blocks = ia.shape[0], len(seg.n)
    rows = np.tile(np.arange(blocks), p)  # (P * blocks,)
    q, ld = ev(rows, ia[:, seg.owner].ravel(), js[:, seg.owner].ravel())
    owner = (np.arange(p)[:, None] * n_in + seg.owner[None, :]).ravel()
    ll = np.bincount(owner, _profile(q, ld, np.tile(seg.n, p)), minlength=p * n_in)
    return ll.reshape(p, n_in)


NOISE_TEST = 2.71  # 2 x log-likelihood gain that noise must bring in mode "auto" (5 % level, chi-bar-square)
NOISE_SCREEN = 1.0  # mode "auto": below this gain at three noise levels, the full noise search is skipped
# mode "auto" with groups: a group that could not pass the pooled test even if the full search raised
# each screened segment's gain by this much is not searched. The search raises it by 0.4-0.8 (median)
# on subtask-1 tracks with sigma_n 0-0.2; on 300 tracks each at sigma_n 0, 0.05, 0.1, 0.2: 47, 42, 31
# and 16 % fewer searches, the noise decision changed in 0, 1, 1 and 0 of about 1050 segments. Not a bound:
# a segment's own best gain (noise fitted, the exact climb) exceeded the three-level screen's by up to 3.5-14
# (99 % within 1.5-6.3) on 1,800 subtask-1 tracks at sigma_n 0-0.1; the margin stands on the unchanged
# decisions (smaller ones changed them: docs/likelihood.md part G)
NOISE_SCREEN_MARGIN = 3.0
# the screen's noise levels (NOISE_LATTICE index: s = 0.1, 0.3, 0.68) and how far above the no-noise
# alpha each looks for its maximum (from 0.1 below)
SCREEN_LEVELS = ((4, 0.4), (10, 0.7), (18, 1.2))
# noise "track" screens two more (s = 0.48, 0.99) in tracks of one segment: their values also bound how
# far alpha and K of such a segment kept without noise may reach (_Screen). With the three alone, K's 95 %
# interval held 0.81 / 0.75 of one-segment tracks of 500 steps at noise 0.3 / 0.6 of the step, against
# 0.91 / 0.90 with all five; the noise decisions on 600 subtask-1 tracks (sigma_n 0.1-0.6) and their alphas are the same
TRACK_SCREEN_LEVELS = tuple(sorted(SCREEN_LEVELS + ((14, 1.0), (23, 1.6))))


@lru_cache(maxsize=None)
def pooled_noise_threshold(k: int, level: float = 0.05) -> float:
    """Threshold on the sum of k independent 2 x log-likelihood gains, each of a parameter on its
    boundary under the null (chi-bar-square: 0 or chi-square with 1 df, half and half), exceeded with
    probability `level`: the sum is chi-square with j df with probability C(k, j) / 2^k. k = 1: 2.71."""
    k = int(k)
    dof = np.arange(1, k + 1)
    weights = np.array([comb(k, j) for j in dof]) / 2.0**k

    def tail(c):  # P(sum > c); chi-square survival function sf(c; j) = Q(j / 2, c / 2)
        return float(np.sum(weights * gammaincc(dof / 2, c / 2)))

    lo, hi = 0.0, 400.0
    for _ in range(60):  # bisection: tail decreases in c
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tail(mid) > level else (lo, mid)
    return (lo + hi) / 2


def _pooled_test(groups: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Per group (groups: index per segment, 0..G-1): whether the sum of its segments' 2 x log-likelihood
    gains from noise (negative ones counted as 0) passes pooled_noise_threshold. Returns (G,) bool."""
    pooled = np.bincount(groups, np.maximum(gain, 0.0))
    size = np.bincount(groups)
    return pooled > np.array([pooled_noise_threshold(k) if k else np.inf for k in size])


def _no_noise_fit(seg: _Segments, n_in: int, exposure: float) -> tuple[SegmentFit, np.ndarray]:
    """Each segment without noise: alpha alone (K profiled out) from the shared grid, and the grid's Q
    (len(SCORE_GRID), n_in) (_coarse_then_fine's: every other point and the last, and each best's
    neighbours; NaN elsewhere), which the track search's known-noise tables reuse."""
    n_tot = np.bincount(seg.owner, seg.n, minlength=n_in).astype(float)
    prof, q = _coarse_then_fine(seg, n_in, SCORE_GRID, 0, exposure)
    return _grid_summary(prof, q, n_tot, SCORE_GRID), q


def _maximise(ev: _Evaluator, seg: _Segments, n_in: int, noise, groups=None, allowance: bool = True) -> SegmentFit:
    fit, _ = _no_noise_fit(seg, n_in, ev.exposure)
    if noise is False:
        return fit
    ll0, alpha0 = fit.loglik, fit.alpha.copy()
    other = alpha0.copy()  # mode "auto": each segment's alpha under the noise decision it did not get
    candidates = np.ones(n_in, bool)
    if noise == "auto":
        # screen: the likelihood at three noise levels, each maximised over alpha on every other point of
        # the shared grid; segments where none of them comes near the test's threshold keep sigma = 0
        # without the full search. Localization noise hides as a lower alpha, so with noise the best
        # alpha lies above the no-noise one, the more the larger the noise: each level looks only at the
        # alphas where its maximum can be (SCREEN_LEVELS)
        screen = _screen(seg, n_in, fit, ev.exposure)
        gain, other = screen.gain, screen.alpha
        candidates = gain > NOISE_SCREEN
        if groups is not None:
            # a track whose pooled test would fail even if every candidate's full search raised its gain
            # by NOISE_SCREEN_MARGIN keeps sigma = 0 without the searches
            candidates &= _pooled_test(groups, np.where(candidates, gain + NOISE_SCREEN_MARGIN, gain))[groups]
    if not candidates.any():
        return _noise_allowance(fit, other, gain) if noise == "auto" and allowance else fit
    sub, n_sub = _subset(seg, candidates)
    # the wide search on blocks of SEARCH_BLOCK steps (factors 8x cheaper than MAX_EXACT's, and the
    # maximum moves little), then a climb to the exact lattice maximum on the full blocks
    coarse = _reblock(sub, SEARCH_BLOCK)
    ia_s, js_s = _noise_grid(coarse, n_sub, ev.exposure)
    sub_ev = _Evaluator(sub, ev.exposure)

    def ll_sub(a, j):
        return _segment_loglik(sub_ev, sub, n_sub, a, j)

    ia_s, js_s = _hill_climb(ll_sub, ia_s, js_s)
    fitted = np.ones(n_sub, bool)
    if noise == "auto":
        gain_s = 2 * (ll_sub(ia_s, js_s) - ll0[candidates])
        fitted = gain_s > NOISE_TEST
        gain[candidates] = gain_s  # the full search's gain and alpha; the screen's for the others
        other[candidates] = ALPHA_LATTICE[ia_s]
        if groups is not None:
            fitted &= _pooled_test(groups, gain)[groups[candidates]]
    if fitted.any():
        # the segments with noise: exact estimates and errors from the (alpha, s) lattice around the maximum
        # (on the climb's segments and evaluator: its last step already holds each 3 x 3 neighbourhood)
        keep = np.flatnonzero(candidates)[fitted]
        exact = _summarise(sub_ev, sub, n_sub, ia_s, js_s, fitted)
        for name in fit.__dataclass_fields__:
            getattr(fit, name)[keep] = getattr(exact, name)[fitted]
        other[keep] = alpha0[keep]
    return _noise_allowance(fit, other, gain) if noise == "auto" and allowance else fit


@dataclass
class _Screen:
    """What the screen of the noise levels (SCREEN_LEVELS) found for each segment, arrays (n,)."""

    gain: np.ndarray  # 2 x log-likelihood gain of the best level over no noise (>= 0 where none is better)
    alpha: np.ndarray  # the best level's alpha (the no-noise alpha where none is better)
    log_k: np.ndarray  # the best level's log K at its best grid point (the no-noise log K where none is better)
    top: np.ndarray  # the highest alpha of the levels' grid points within the profile interval (_ridge_top)
    log_k_low: np.ndarray  # lowest and highest log K of the grid points within it (+inf / -inf: none)
    log_k_high: np.ndarray
    q: dict  # noise lattice index -> Q (A, n) on every other SCORE_GRID point (NaN where the level did not look)


def _screen(seg: _Segments, n_in: int, fit: SegmentFit, exposure: float, levels=SCREEN_LEVELS,
            only: np.ndarray | None = None) -> _Screen:
    """Each segment's 2 x log-likelihood gain from noise at a few levels (SCREEN_LEVELS), each maximised
    over alpha on every other point of the shared grid, against the no-noise `fit`; the best level's
    alpha and K; and how far alpha and K reach within the profile interval on the levels' grid points:
    at noise ratio s, K's maximum is Q(alpha, s) / (2 n). only: optional (n,) bool, the segments screened;
    the others get no products (NaN in q) and read as if no level gained (gain 0, the fit's alpha and K,
    top -inf)."""
    cols = np.arange(n_in)
    n_tot = np.bincount(seg.owner, seg.n, minlength=n_in).astype(float)
    gain, other, other_k = np.zeros(n_in), fit.alpha.copy(), np.log(fit.K)
    alphas = ALPHA_LATTICE[SCORE_GRID[::2]]
    profs, log_ks, qs = [], [], {}  # per level (A, n)
    for j, above in levels:
        wanted = (alphas[:, None] >= fit.alpha[None, :] - 0.1) & (alphas[:, None] <= fit.alpha[None, :] + above)
        if only is not None:
            wanted &= only[None, :]
        prof, q = _grid_terms(seg, n_in, SCORE_GRID[::2], j, exposure, wanted)
        with np.errstate(invalid="ignore"):
            log_k = np.log(q / (2 * n_tot))  # NaN at the skipped points
        where, peak = _parabola_peak(alphas, prof)
        level_gain = 2 * (peak - fit.loglik)
        better = level_gain > gain
        other = np.where(better, where, other)
        other_k = np.where(better, log_k[prof.argmax(axis=0), cols], other_k)
        gain = np.maximum(gain, level_gain)
        profs.append(prof)
        log_ks.append(log_k)
        qs[j] = q
    top, low, high = _profile_reach(alphas, profs, log_ks, fit.loglik + np.maximum(gain, 0.0) / 2 - RIDGE_DROP)
    return _Screen(gain=gain, alpha=other, log_k=other_k, top=top, log_k_low=low, log_k_high=high, q=qs)


RIDGE_DROP = 1.92  # half the chi-square (1 df) 95 % quantile: the profile likelihood interval's drop


def _profile_reach(x: np.ndarray, curves: list, log_ks: list, threshold: np.ndarray):
    """How far a profile interval reaches, from curves of the log-likelihood: one (G, S) array per noise
    level (or searched sigma) at the alphas x (G,), each with its best log K (G, S). Returns the highest
    alpha where their maximum reaches the threshold (S,) (_ridge_top), and the lowest and highest log K
    of the points at or above it (+inf / -inf where none): the grid points and REACH_SUBSTEPS points
    between each two neighbours, curve and log K linear between them (the grid alone stopped K's reach
    short of the truth, which lies between grid points 0.2 apart in alpha)."""
    t = np.arange(REACH_SUBSTEPS + 1)[:, None, None] / (REACH_SUBSTEPS + 1)  # (T, 1, 1) from each grid point
    low, high = np.full(len(threshold), np.inf), np.full(len(threshold), -np.inf)
    for c, lk in zip(curves, log_ks):
        between = (c[:-1] + t * (c[1:] - c[:-1]), lk[:-1] + t * (lk[1:] - lk[:-1]))  # (T, G - 1, S) each
        for cs, lks in (between, (c[-1:][None], lk[-1:][None])):  # and the last grid point (1, 1, S)
            with np.errstate(invalid="ignore"):
                inside = (cs >= threshold) & np.isfinite(lks)  # a skipped neighbour reads _FAR_BELOW or NaN
            low = np.minimum(low, np.where(inside, lks, np.inf).min(axis=(0, 1)))
            high = np.maximum(high, np.where(inside, lks, -np.inf).max(axis=(0, 1)))
    return _ridge_top(x, np.max(curves, axis=0), threshold), low, high


REACH_SUBSTEPS = 3  # points between two grid points where K's reach is also read (_profile_reach)


def _ridge_top(x: np.ndarray, curves: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """The highest x where each column of curves (G, S), sampled at increasing x (G,), reaches its
    threshold (S,): the last grid point at or above it, moved linearly towards the next one to the
    crossing (skipped points, _FAR_BELOW, end the search there). -inf where no point reaches it."""
    above = curves >= threshold[None, :]
    cols = np.arange(curves.shape[1])
    last = len(x) - 1 - np.argmax(above[::-1], axis=0)  # (S,) last grid index above the threshold
    nxt = np.minimum(last + 1, len(x) - 1)
    f0, f1 = curves[last, cols], curves[nxt, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where((nxt > last) & (f1 > _FAR_BELOW / 2), (f0 - threshold) / (f0 - f1), 0.0)
    top = x[last] + np.clip(frac, 0.0, 1.0) * (x[nxt] - x[last])
    return np.where(above.any(axis=0), top, -np.inf)


def _noise_allowance(fit: SegmentFit, other: np.ndarray, gain: np.ndarray) -> SegmentFit:
    """Mode "auto": widen alpha_se by the uncertainty of the noise decision itself (in place).

    Localization noise and a lower alpha look alike (the alpha-noise ridge), so a segment's test often
    cannot tell them apart, and the alpha of the decision not taken (`other`: the no-noise alpha of a
    segment fitted with noise; the noise fit's alpha, or the screen's best level's, of one kept without)
    may lie far away. With the test's threshold as the prior odds, the decision not taken has
    probability w = 1 / (1 + exp(m / 2)), m the margin of the segment's 2 x log-likelihood gain from
    noise in favour of the decision taken (gain - NOISE_TEST with noise, NOISE_TEST - gain without;
    negative where the pooled test overruled the segment's own), and averaging over both adds
    w (other - alpha)^2 to alpha's variance (fit_segments' noise_allowance gives the coverage it brings)."""
    fitted = fit.sigma > 0
    # no shift where noise did not raise the likelihood at all (no other decision to weigh)
    _allow(fit, np.where(fitted | (gain > 0), other, fit.alpha), np.where(fitted, gain - NOISE_TEST, NOISE_TEST - gain))
    return fit


def _reblock(seg: _Segments, block: int) -> _Segments:
    """The same increments cut into blocks of at most `block` steps (a composite likelihood)."""
    if int(seg.n.max()) <= block:
        return seg
    pieces, n, owner = [], [], []
    for row in range(len(seg.n)):
        for start in range(0, int(seg.n[row]), block):
            size = min(block, int(seg.n[row]) - start)
            pieces.append(seg.increments[row, start : start + size])
            n.append(size)
            owner.append(seg.owner[row])
    inc = np.zeros((len(pieces), _size_for(block), 2))
    for row, piece in enumerate(pieces):
        inc[row, : len(piece)] = piece
    return _Segments(inc, np.array(n, dtype=np.int64), np.array(owner, dtype=np.int64))


def _subset(seg: _Segments, keep: np.ndarray) -> tuple[_Segments, int]:
    """The blocks of the input segments where `keep` (n_in,) is True, owners renumbered 0.."""
    if keep.all():
        return seg, len(keep)
    blocks = keep[seg.owner]
    renumber = np.cumsum(keep) - 1
    return _Segments(seg.increments[blocks], seg.n[blocks], renumber[seg.owner[blocks]]), int(keep.sum())


NOISE_GRID = np.array([0, 2, 4, 7, 10, 14, 18, 23, 29, 36, 44, 52, 60])  # noise lattice indices of the wide search
# _KnownNoise's alphas (lattice indices; both ends of 0.05-1.99 included, every one a SCORE_GRID[::2] point, so
# that the screen's products are reused): 17, 0.2 apart in the middle, closer towards the ends where the profile
# bends sharply, read by the cubic spline through them (_spline_profile). On 1,200 subtask-1 tracks' true
# segments per noise level, against the parabola through the best of 26 points 0.1 apart: MAE 0.0487 / 0.0712 /
# 0.0833 against 0.0489 / 0.0709 / 0.0817 at sigma_n 0 / 0.3 / 0.6 of the step, coverage 0.958 / 0.919 / 0.911
# against 0.959 / 0.921 / 0.912, the track search 30 % faster. The spline reads each profile's maximum
# exactly where the grid's best point fell short of it, by more at no noise (a sharper profile) than with
# noise: the old gains from noise were a little larger, false alarms at sigma_n 0 3.7 % against 4.1 % (5 %
# nominal) and at 0.6 noise kept in 92.1 % of segments against 92.6 % (docs/likelihood.md part J)
KNOWN_GRID = np.array([0, 4, 8, 12, 20, 30, 40, 60, 80, 100, 120, 140, 160, 180, 188, 192, 194])
# _KnownNoise's noise ratios (NOISE_LATTICE indices; s = 0, 0.02, 0.04, 0.10, 0.16, 0.30, 0.48, 0.68, 0.99, 1.66,
# 2.60, 3.04, 4.80), its splines' variable log(s + SPLINE_OFFSET). Against Q and log det R computed exactly at
# all 61 lattice ratios (200 segments of 19-499 steps, every KNOWN_GRID alpha), the splines' log-likelihood
# (n |d log Q| + |d log det R|) errs by at most 1.1 (99.9 % within 0.42, 99 % within 0.19); the nodes before
# (NOISE_GRID, splines along s) erred by up to 8.7 (1.9, 0.64), most at s < 0.1 and alpha near 2, where noise
# of a fiftieth of a step already changes the likelihood. The same number of nodes, picked greedily with the
# screen's levels (reused, _products_made) kept (docs/likelihood.md part J).
KNOWN_NODES = np.array([0, 1, 2, 4, 6, 10, 14, 18, 23, 32, 42, 46, 60])
SPLINE_OFFSET = 0.02


def _spline_x(s):
    """_KnownNoise's spline variable at noise ratios s (>= 0): log(s + SPLINE_OFFSET), near log s where the
    likelihood changes with it (each frequency's share turns from signal to noise at its own s), finite at 0."""
    return np.log(np.asarray(s) + SPLINE_OFFSET)


def _noise_grid(seg: _Segments, n_in: int, exposure: float):
    """Joint maximum over (alpha, s), roughly: every segment on the shared grid of every other SCORE_GRID
    alpha and the NOISE_GRID noise ratios (a whole grid, so the ridge along which alpha and s trade off
    cannot trap a local search), then a parabola through the best point and its neighbours along each
    axis. Returns the nearest lattice point (ia, js) per segment, where the exact climb starts."""
    alphas = SCORE_GRID[::2]
    values = np.stack([_grid_terms(seg, n_in, alphas, int(j), exposure)[0] for j in NOISE_GRID])  # (J, A, n)
    cols = np.arange(n_in)
    bj, ba = np.unravel_index(values.reshape(-1, n_in).argmax(axis=0), values.shape[:2])
    alpha_at, _ = _parabola_peak(ALPHA_LATTICE[alphas], values[bj, :, cols].T)  # along alpha at the best s
    s_at, _ = _parabola_peak(NOISE_LATTICE[NOISE_GRID], values[:, ba, cols])  # along s at the best alpha
    ia = np.clip(np.rint((alpha_at - ALPHA_LATTICE[0]) / 0.01), 0, len(ALPHA_LATTICE) - 1).astype(np.int64)
    js = np.abs(NOISE_LATTICE[None, :] - s_at[:, None]).argmin(axis=1)
    return ia, js


class _KnownNoise:
    """Alpha and K of each segment with its localization error known (fit: sigma (n,) per axis, input
    units, > 0).

    With sigma fixed, the increments' covariance K R(alpha, s) has s = sigma / sqrt(K), so K is the one
    parameter besides alpha. Q and log det R of every segment on a grid (the KNOWN_GRID alphas and the
    KNOWN_NODES noise ratios), as cubic splines along log(s + SPLINE_OFFSET) (log Q and log det R), give
    the log-likelihood -n log(2 pi K) - log det R(alpha, s) - Q(alpha, s) / (2 K) at any K. At each
    alpha it is maximised over log K (scan); the cubic spline of alpha's profile through the grid gives
    alpha and its standard error, log K's curvature and slope along the profile give K's (_fit_at).
    Without the alpha-noise ridge of a fitted noise, alpha is as precise as with no noise at all when
    sigma is small, and far more precise than with sigma fitted when it is not."""

    def __init__(self, seg: _Segments, n_in: int, exposure: float, lowest: np.ndarray | None = None,
                 known_q: dict | None = None):
        """lowest: optional (n,) lowest alpha each segment needs (the grid points below it are skipped
        and read _FAR_BELOW; at least the top four are kept, for the spline). known_q: optional noise
        lattice index -> Q (len(self.grid), n) already computed (NaN where not), reused (_grid_terms)."""
        self.n_in = n_in
        self.n_tot = np.bincount(seg.owner, seg.n, minlength=n_in).astype(float)  # (n,)
        self.grid = KNOWN_GRID
        x = ALPHA_LATTICE[self.grid]
        wanted = None if lowest is None else x[:, None] >= np.minimum(lowest, x[-4])[None, :]  # (A, n)
        self.skip = None if wanted is None else ~wanted
        self.first = np.zeros(n_in, np.int64) if wanted is None else wanted.argmax(axis=0)  # (n,) first kept
        known_q = known_q or {}
        terms = [_grid_terms(seg, n_in, self.grid, int(j), exposure, wanted, logdet=True, known_q=known_q.get(int(j)))
                 for j in KNOWN_NODES]
        q = np.stack([t[1] for t in terms])  # (J, A, n) Q summed over blocks and axes (NaN where skipped)
        self.q = q if self.skip is None else np.where(self.skip[None], 1.0, q)  # finite, for the splines
        ld = np.stack([t[2] for t in terms])  # (J, A, n) log det R, one axis, summed over blocks
        self.s_nodes = NOISE_LATTICE[KNOWN_NODES]  # (J,)
        self.x_nodes = _spline_x(self.s_nodes)
        # cubic splines along x = log(s + SPLINE_OFFSET) of log Q and log det R, stored per alpha as
        # (A, 8, (J - 1) n): log Q's four coefficients, then log det R's, each a plane with one entry per
        # piece and segment (a gather per plane, then Horner on contiguous arrays: twice as fast as one
        # gather of all eight and Horner on strided ones). One product per alpha writes its planes in
        # place: a product of all alphas at once, transposed to this layout, moved every coefficient twice
        # more (on 35,060 segments the table took 19.8 s so, 17.3 s since)
        spline = _spline_map(tuple(self.x_nodes.tolist()))  # (4 (J - 1), J)
        pieces = len(self.x_nodes) - 1
        log_q = np.log(self.q)  # (J, A, n)
        self.coef = np.empty((len(self.grid), 8, pieces * n_in))
        for a in range(len(self.grid)):
            np.matmul(spline, log_q[:, a], out=self.coef[a, :4].reshape(4 * pieces, n_in))
            np.matmul(spline, ld[:, a], out=self.coef[a, 4:].reshape(4 * pieces, n_in))

    def _splines(self, a: int, segs: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log Q and log det R at alpha grid index a of segments `segs` (m,) and noise ratios s (m, P) in
        [0, the last node]: each (m, P)."""
        pieces = len(self.s_nodes) - 1
        x = _spline_x(s)
        piece = np.clip(np.searchsorted(self.x_nodes, x, side="right") - 1, 0, pieces - 1)  # (m, P)
        d = x - self.x_nodes[piece]
        at = piece * self.n_in + segs[:, None]  # (m, P) entry of each point's piece in the planes
        planes = self.coef[a]  # (8, (J - 1) n)
        values = []
        for first in (0, 4):  # Horner, in place: ((c0 d + c1) d + c2) d + c3
            v = planes[first].take(at)
            for k in range(first + 1, first + 4):
                v *= d
                v += planes[k].take(at)
            values.append(v)
        return values[0], values[1]

    def _loglik(self, a: int, segs: np.ndarray, sig2: np.ndarray, log_k: np.ndarray) -> np.ndarray:
        """(m, P) log-likelihood at alpha grid index a of segments `segs` (m,), sigma^2 (m,) and log K
        values (m, P): the definition that scan maximises, point by point (the tests' reference)."""
        k = np.exp(log_k)
        s = np.clip(np.sqrt(sig2[:, None] / k), 0.0, self.s_nodes[-1])
        log_q, log_det = self._splines(a, segs, s)
        return -self.n_tot[segs, None] * (np.log(2 * np.pi) + log_k) - log_det - np.exp(log_q) / (2 * k)

    def scan(self, sig2_levels: list, near: tuple | None = None) -> list:
        """At each alpha of the grid, the log-likelihood maximised over log K at each of many sigma^2 (a
        list of (n,) arrays): per sigma^2, its value, the best log K and the curvature there, each (A, n).

        With s = sigma / sqrt(K), the log-likelihood is 2 n log s - log det R(s) - Q(s) s^2 / (2 sigma^2)
        plus a term of sigma alone, so the splines are read once per alpha and segment, on SCAN_POINTS
        values of log s, and each sigma costs a few array operations. The table runs from K = e times the
        no-noise K (noise only lowers K) to s at the last node (the splines' end; beyond it they would be
        extrapolated); the maximum is the likelihood at the vertex of the parabola through the best point
        and its neighbours, or the best point where that is higher (a maximum at the table's end). At
        sigma = 0, where s = 0 whatever K, it is exact: K = Q(0) / (2 n).
        Against a search of 2,001 log K points, on 1,300 segments at 21 noise levels: within 0.02 of its
        maximum everywhere (median 1e-5). The log K search it replaced (16 points, then 9 around the best)
        erred by up to +-0.1 and, where its finer pass stepped past the last node, read the splines'
        clipped end as a likelihood: up to 118 too high at the highest noise levels
        (docs/likelihood.md part G). 2-2.5x faster.

        near: optional (low, high), each (A, n): the log s between which every sigma's maximum is expected
        (NaN or infinite: anywhere). The table is then read only there, SCAN_MARGIN points wider each way,
        on the same points as the whole table; a segment whose best point falls on the window's edge (not
        the table's) is read again on the whole table. The answers are the whole table's, bit for bit,
        wherever the likelihood has one maximum along log K."""
        out = [tuple(np.full((len(self.grid), self.n_in), v) for v in (_FAR_BELOW, np.nan, np.nan))
               for _ in sig2_levels]
        for a in range(len(self.grid)):
            segs = np.arange(self.n_in) if self.skip is None else np.flatnonzero(~self.skip[a])
            window = None if near is None else (near[0][a, segs], near[1][a, segs])
            edge = self._scan_alpha(a, segs, sig2_levels, out, window)
            if edge.any():
                self._scan_alpha(a, segs[edge], sig2_levels, out, None)
        return out

    def _scan_alpha(self, a: int, segs: np.ndarray, sig2_levels: list, out: list, window) -> np.ndarray:
        """scan's work at alpha grid index a for segments `segs` (m,), written into `out`; window: None (the
        whole table) or the (low, high) log s of each (m,). Returns (m,) bool: the segments whose best point
        at some sigma fell on the window's edge, not the table's (read them again on the whole table)."""
        log_top = np.log(self.s_nodes[-1])
        edge = np.zeros(len(segs), bool)
        n = self.n_tot[segs]
        k_free = np.log(self.q[0, a, segs] / (2 * n))  # log K at sigma = 0 (the no-noise maximum)
        level_sig2 = [np.asarray(v, dtype=float)[segs] for v in sig2_levels]
        # the lowest log s any sigma looks at: K = e times the no-noise K
        lows = [0.5 * (np.log(np.maximum(v, 1e-300)) - k_free - 1.0) for v in level_sig2 if np.any(v > 0)]
        tables = None
        if lows:
            low = np.minimum(np.min(lows, axis=0), log_top - 1.0)  # (m,)
            step = (log_top - low) / (SCAN_POINTS - 1)  # (m,)
            points = np.arange(SCAN_POINTS)[None, :]  # (1, U) the table's points
            if window is not None:  # the points around where the maxima are expected: (m, W) of the same
                with np.errstate(invalid="ignore"):
                    first = np.floor((window[0] - low) / step) - SCAN_MARGIN
                    last = np.ceil((window[1] - low) / step) + SCAN_MARGIN
                first = np.where(np.isfinite(first), np.clip(first, 0, SCAN_POINTS - 1), 0).astype(np.int64)
                last = np.where(np.isfinite(last), np.clip(last, 0, SCAN_POINTS - 1), SCAN_POINTS - 1).astype(np.int64)
                # one width for all: the most segments need (SCAN_WINDOW_SHARE of them); the wider ones are
                # read on the whole table (one segment's wide window would widen everyone's)
                need = last - first + 1
                width = int(np.clip(np.quantile(need, SCAN_WINDOW_SHARE, method="higher"), 3, SCAN_POINTS))
                edge |= need > width
                points = np.minimum(first, SCAN_POINTS - width)[:, None] + np.arange(width)[None, :]
            u = low[:, None] + step[:, None] * points  # (m, W) log s
            log_q, log_det = self._splines(a, segs, np.minimum(np.exp(u), self.s_nodes[-1]))
            gain_s = 2 * n[:, None] * u - log_det  # (m, W)
            half_qs2 = 0.5 * np.exp(log_q + 2 * u)
            tables = (u, step, gain_s, half_qs2, np.broadcast_to(points, u.shape))
            scratch = np.empty_like(half_qs2)
        for level, v in enumerate(level_sig2):
            best_ll, best_logk, curv_k = out[level]
            zero = v <= 0
            if zero.any():  # s = 0 for every K: the no-noise maximum, exact
                ld0 = self.coef[a, 7, segs[zero]]  # log det R(0): the first piece's value at its start
                nz = n[zero]
                best_ll[a, segs[zero]] = -nz * (np.log(2 * np.pi) + k_free[zero] + 1.0) - ld0
                best_logk[a, segs[zero]] = k_free[zero]
                curv_k[a, segs[zero]] = -nz
            sub = np.flatnonzero(~zero)
            if len(sub) == 0:
                continue
            u, step, gain_s, half_qs2, points = tables
            vs = v[sub]
            if len(sub) == len(v):  # the usual case: every segment, without copying the tables
                ll = np.divide(half_qs2, vs[:, None], out=scratch)
                np.subtract(gain_s, ll, out=ll)  # (m, W), less n log(2 pi sigma^2)
            else:
                ll = gain_s[sub] - half_qs2[sub] / vs[:, None]  # (m', W)
            top = ll.argmax(axis=1)
            r = np.arange(len(sub))
            at = points[sub, top]  # the best point's place in the whole table
            # the middle of the parabola's three points: in the table, then its column in the window (a best
            # point on the window's edge, not the table's, leaves a neighbour outside: read again)
            i = np.clip(at, 1, SCAN_POINTS - 2) - points[sub, 0]
            if window is not None:
                w = u.shape[1]
                edge[sub] |= (i < 1) | (i > w - 2)
                i = np.clip(i, 1, w - 2)
            fm, f0, fp = ll[r, i - 1], ll[r, i], ll[r, i + 1]
            off, curv = _quadratic_peak(fm, f0, fp)
            u_best = u[sub, i] + off * step[sub]
            # the likelihood itself at the vertex (a parabola's height errs by ~0.1 at this spacing),
            # or at the best table point where that is higher (a maximum at the table's end, s = the last node)
            log_q, log_det = self._splines(a, segs[sub], np.minimum(np.exp(u_best), self.s_nodes[-1])[:, None])
            at_vertex = 2 * n[sub] * u_best - log_det[:, 0] - 0.5 * np.exp(log_q[:, 0] + 2 * u_best) / vs
            at_point = ll[r, top]
            u_best = np.where(at_point > at_vertex, u[sub, top], u_best)
            best_ll[a, segs[sub]] = -n[sub] * (np.log(2 * np.pi) + np.log(vs)) + np.maximum(at_vertex, at_point)
            best_logk[a, segs[sub]] = np.log(vs) - 2 * u_best
            curv_k[a, segs[sub]] = curv / (4 * step[sub] ** 2)  # d2 lnL / d(log K)^2, log K = log sigma^2 - 2 log s
        return edge

    def fit(self, sigma: np.ndarray) -> SegmentFit:
        """Alpha, K and their errors at the known sigma (n,)."""
        return self.fits([sigma])[0]

    def fits(self, sigmas: list, near: tuple | None = None) -> list:
        """fit at each of several sigmas (each (n,)), from one scan (near: scan's)."""
        levels = self.scan([v**2 for v in sigmas], near)
        return [self._fit_at(sigma, *level) for sigma, level in zip(sigmas, levels)]

    def _fit_at(self, sigma: np.ndarray, best_ll: np.ndarray, best_logk: np.ndarray, curv_k: np.ndarray) -> SegmentFit:
        """Alpha, K and their errors at sigma (n,) from the scan's arrays at that sigma, each (A, n): the
        maximum of the cubic spline through the profile over the grid's alphas (_spline_profile), its
        curvature the information of alpha; log K's spline and its slope along the profile there; log K's
        own curvature from the grid point nearest the maximum. At the grid's edge (or the lowest alpha
        kept, never seen): the grid point, no standard error."""
        cols = np.arange(self.n_in)
        x = ALPHA_LATTICE[self.grid]
        alpha, ll, curv, log_k, slope, at_bound = _spline_profile(x, best_ll, best_logk, self.first)
        slope = np.where(at_bound, 0.0, slope)  # d log K_hat / d alpha along the profile
        nearest = np.abs(x[:, None] - alpha[None, :]).argmin(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            var_a = np.where(at_bound | ~(curv < 0), np.nan, -1.0 / curv)
            gkk = curv_k[nearest, cols]
            var_k = np.where(gkk < 0, -1.0 / gkk, np.nan) + slope**2 * var_a
        k = np.exp(log_k)
        return SegmentFit(alpha=alpha, alpha_se=np.sqrt(var_a), K=k, K_se=k * np.sqrt(var_k), sigma=np.array(sigma, float),
                          sigma_se=np.full(self.n_in, np.nan), loglik=ll, n=self.n_tot.astype(np.int64), at_bound=at_bound,
                          alpha_logk_cov=slope * var_a)


KNOWN_NOISE_BELOW = 0.35  # noise "track": the known-noise grid starts this far below a segment's no-noise alpha,
# or 2.5 of its no-noise standard errors if more (0.35 alone cut the K_se of short segments whose profile
# interval reaches lower): alpha within 2e-6, alpha_se and K_se within 1e-4 (relative) of the whole grid (then
# of 26 points) on 1014 segments of 12-400 steps (noise up to 0.9, blur or not), the track search 1.2x faster
SCAN_POINTS = 96  # log s values per alpha and segment of _KnownNoise.scan's table (about 0.13 apart in log K)
SCAN_MARGIN = 2  # table points read beyond the window where _KnownNoise.scan expects the maxima
SCAN_WINDOW_SHARE = 0.95  # share of the segments whose window sets the width _KnownNoise.scan reads
KNOWN_NOISE_TEST = 3.84  # 2 x log-likelihood gain of sigma fitted that rejects a stated sigma (chi-square 1 df, 5 %)


def _hill_climb(ll, ia, js, max_moves: int = 10):
    """Move each (alpha, s) lattice point to its best 3 x 3 neighbour until none is better."""
    n_alpha, n_noise = len(ALPHA_LATTICE), len(NOISE_LATTICE)
    da, dj = (v.ravel()[:, None] for v in np.meshgrid([0, -1, 1], [0, -1, 1], indexing="ij"))  # (9, 1), centre first
    cols = np.arange(len(ia))
    for _ in range(max_moves):
        ca, cj = np.clip(ia + da, 0, n_alpha - 1), np.clip(js + dj, 0, n_noise - 1)  # (9, n)
        best = ll(ca, cj).argmax(axis=0)  # the centre (index 0) wins ties: no move without a gain
        if not best.any():
            break
        ia, js = ca[best, cols], cj[best, cols]
    return ia, js


def _summarise(ev, seg, n_in, ia, js, fitted) -> SegmentFit:
    """Sub-lattice optimum and standard errors from exact values around lattice point (ia, js)."""
    n_alpha, n_noise = len(ALPHA_LATTICE), len(NOISE_LATTICE)
    rows = np.arange(len(seg.n))
    n_tot = np.bincount(seg.owner, seg.n, minlength=n_in).astype(float)

    def terms(da, dj):
        a = np.clip(ia + da, 0, n_alpha - 1)
        j = np.clip(js + dj, 0, n_noise - 1)
        q, ld = ev(rows, a[seg.owner], j[seg.owner])
        # per input segment: sum of Q and of log det over its blocks
        return np.bincount(seg.owner, q, minlength=n_in), np.bincount(seg.owner, ld, minlength=n_in)

    # the 3 x 3 neighbourhood of every segment in one call (one batch for the Durbin-Levinson recursion)
    offsets = [(da, dj) for da in (-1, 0, 1) for dj in (-1, 0, 1)]
    ev(np.tile(rows, len(offsets)),
       np.concatenate([np.clip(ia + da, 0, n_alpha - 1)[seg.owner] for da, _ in offsets]),
       np.concatenate([np.clip(js + dj, 0, n_noise - 1)[seg.owner] for _, dj in offsets]))

    q0, l0 = terms(0, 0)
    k_hat = q0 / (2 * n_tot)
    # full log-likelihood at fixed K = k_hat: lnL(a, s) = -n log(2 pi K) - logdet - Q / (2K)

    def full(q, ld):
        return -n_tot * np.log(2 * np.pi * k_hat) - ld - q / (2 * k_hat)

    f0 = full(q0, l0)
    qam, lam = terms(-1, 0)
    qap, lap = terms(1, 0)
    fam, fap = full(qam, lam), full(qap, lap)
    at_low, at_high = ia == 0, ia == n_alpha - 1
    h_a = 0.01
    # second derivative in alpha of the full log-likelihood (K fixed), one-sided at the lattice edge
    d2_aa = np.where(at_low | at_high, np.nan, (fap - 2 * f0 + fam) / h_a**2)
    # d lnL / d alpha and d2 lnL / (d alpha d log K): lnL depends on log K through -n logK - Q/(2K)
    dq_da = (qap - qam) / (2 * h_a)
    d2_ak = dq_da / (2 * k_hat)  # d/dlogK of (-Q/(2K)) = Q/(2K); its alpha-derivative
    d2_kk = -q0 / (2 * k_hat)  # = -n at K_hat
    # sub-lattice alpha from the profile (K re-maximised at each alpha)
    pm, p0, pp = (_profile(qam, lam, n_tot), _profile(q0, l0, n_tot), _profile(qap, lap, n_tot))
    off_a, _ = _quadratic_peak(pm, p0, pp)
    off_a = np.where(at_low | at_high, 0.0, off_a)
    alpha = ALPHA_LATTICE[ia] + h_a * off_a
    info = [[-d2_aa, -d2_ak], [-d2_ak, -d2_kk]]
    s_hat = NOISE_LATTICE[js]
    use_noise = fitted & (js > 0)
    if np.any(use_noise):
        # noise lattice spacing is not uniform: derivatives in s by divided differences
        jm, jp = np.clip(js - 1, 0, n_noise - 1), np.clip(js + 1, 0, n_noise - 1)
        hm, hp = s_hat - NOISE_LATTICE[jm], NOISE_LATTICE[jp] - s_hat
        qsm, lsm = terms(0, -1)
        qsp, lsp = terms(0, 1)
        fsm, fsp = full(qsm, lsm), full(qsp, lsp)
        with np.errstate(divide="ignore", invalid="ignore"):
            d2_ss = 2 * (hm * fsp - (hm + hp) * f0 + hp * fsm) / (hm * hp * (hm + hp))
            # cross terms by a mixed difference
            qpp, lpp = terms(1, 1)
            qmm, lmm = terms(-1, -1)
            qpm, lpm = terms(1, -1)
            qmp, lmp = terms(-1, 1)
            fpp, fmm, fpm, fmp = full(qpp, lpp), full(qmm, lmm), full(qpm, lpm), full(qmp, lmp)
            d2_as = (fpp - fpm - fmp + fmm) / (2 * h_a * (hm + hp))
            dq_ds = (qsp - qsm) / (hm + hp)
            d2_ks = dq_ds / (2 * k_hat)
            # sub-lattice s from the profile, in lattice-index units then mapped
            psm, psp = _profile(qsm, lsm, n_tot), _profile(qsp, lsp, n_tot)
            off_s, _ = _quadratic_peak(psm, p0, psp)
        s_sub = np.where(off_s >= 0, s_hat + off_s * hp, s_hat + off_s * hm)
        s_hat = np.where(use_noise, s_sub, s_hat)
        info = [[-d2_aa, -d2_ak, -d2_as], [-d2_ak, -d2_kk, -d2_ks], [-d2_as, -d2_ks, -d2_ss]]
    alpha_se, logk_se, s_se, cov_ak = _invert_information(info, use_noise)
    k = k_hat  # K at the lattice point; the sub-lattice shift in alpha changes K by far less than its error
    sigma = s_hat * np.sqrt(k)
    # sigma = s sqrt(K): delta method with independent-ish pieces (dominated by s's error)
    sigma_se = np.where(use_noise, np.sqrt(k) * np.sqrt(s_se**2 + (s_hat * logk_se / 2) ** 2), np.nan)
    ll = _profile(q0, l0, n_tot)
    return SegmentFit(alpha=alpha, alpha_se=alpha_se, K=k, K_se=k * logk_se, sigma=sigma, sigma_se=sigma_se,
                      loglik=ll, n=n_tot.astype(np.int64), at_bound=at_low | at_high, alpha_logk_cov=cov_ak)


def _invert_information(info, use_noise):
    """Standard errors of (alpha, log K, s) and the (alpha, log K) covariance from per-segment observed
    information matrices; rows where s is not fitted use the 2 x 2 block. NaN where the matrix is not
    positive definite."""
    m = len(info)
    n_in = len(info[0][0])
    mat = np.zeros((n_in, m, m))
    for i in range(m):
        for j in range(m):
            mat[:, i, j] = info[i][j]
    out = np.full((n_in, 3), np.nan)
    cov_ak = np.full(n_in, np.nan)
    for size, rows in ((2, ~use_noise if m == 3 else np.ones(n_in, bool)), (3, use_noise if m == 3 else np.zeros(n_in, bool))):
        if not np.any(rows):
            continue
        sub = mat[rows][:, :size, :size]
        ok = np.all(np.isfinite(sub), axis=(1, 2))
        cov = np.full_like(sub, np.nan)
        if np.any(ok):
            with np.errstate(invalid="ignore"):
                inv = np.linalg.inv(sub[ok])
            cov[ok] = inv
        diag = np.diagonal(cov, axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            se = np.where(diag > 0, np.sqrt(diag), np.nan)
        out[np.flatnonzero(rows), :size] = se
        cov_ak[np.flatnonzero(rows)] = cov[:, 0, 1]
    return out[:, 0], out[:, 1], out[:, 2], cov_ak


def loglikelihood(positions, alpha: float, K: float, sigma: float = 0.0, exposure: float = 0.0) -> float:
    """Exact log-likelihood of one segment's increments (both axes) at given parameters.

    positions: (n_points, 2); alpha in (0, 2); K > 0 (units^2 / frame^alpha); sigma >= 0 (units).
    A reference implementation (dense Cholesky, scipy's LAPACK: independent of the lattice search's
    recursion), used to check the lattice search.
    """
    from scipy.linalg import cholesky, solve_triangular

    inc = np.diff(np.asarray(positions, dtype=float), axis=0)
    n = len(inc)
    gamma = K * increment_autocovariance(alpha, n, sigma / np.sqrt(K), exposure)
    idx = np.arange(n)
    lower = cholesky(gamma[np.abs(idx[:, None] - idx[None, :])], lower=True)
    e = solve_triangular(lower, inc, lower=True)
    return float(-n * np.log(2 * np.pi) - 2 * np.sum(np.log(np.diag(lower))) - 0.5 * np.sum(e * e))


def _dgamma_dalpha(alpha: float, n: int) -> np.ndarray:
    k = np.arange(n, dtype=float)

    def t(x):
        x = np.abs(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, x**alpha * np.log(np.where(x > 0, x, 1.0)), 0.0)

    return t(k + 1) - 2 * t(k) + t(k - 1)


def fisher_information(alpha: float, n: int, noise_ratio: float = 0.0) -> np.ndarray:
    """Expected Fisher information of (alpha, log K) for n increments of 2D FBM (both axes), noise
    ratio s = sigma / sqrt(K) known: I_ij = 2 * 1/2 tr(R^-1 dR_i R^-1 dR_j). Shape (2, 2)."""
    r = increment_autocovariance(alpha, n, noise_ratio)
    da = _dgamma_dalpha(alpha, n)
    idx = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    big_r, d_alpha = r[idx], da[idx]
    d_logk = big_r.copy()
    d_logk[idx == 0] -= 2 * noise_ratio**2  # K scales the FBM part only
    if n > 1:
        d_logk[idx == 1] += noise_ratio**2
    ra = np.linalg.solve(big_r, d_alpha)
    rk = np.linalg.solve(big_r, d_logk)
    i_aa = np.sum(ra * ra.T)
    i_ak = np.sum(ra * rk.T)
    i_kk = np.sum(rk * rk.T)
    return np.array([[i_aa, i_ak], [i_ak, i_kk]])


def cramer_rao_alpha(alpha: float, n: int, noise_ratio: float = 0.0) -> float:
    """Cramer-Rao lower bound on the standard deviation of alpha from n increments of 2D FBM with K
    unknown (and the noise ratio known)."""
    info = fisher_information(alpha, n, noise_ratio)
    return float(np.sqrt(np.linalg.inv(info)[0, 0]))


# --- changepoints by likelihood ---------------------------------------------------------------------


def segment_positions(positions: np.ndarray, start: int, end: int) -> np.ndarray:
    """Positions that carry the increments of segment [start, end): the step into `start` belongs to
    the new segment (changepoint convention), so every increment of a track is counted exactly once."""
    return positions[max(start - 1, 0) : end]


class _Partitions:
    """Penalised optimal partition per track over its candidate changepoints (exact dynamic programme:
    maximise sum(log-likelihood of each segment) - penalty * (number of segments)), for one set of span
    scores at any penalty: the scores of each track's spans
    between its nodes (0, the candidates, its length) laid out once as (tracks, P, P) arrays, one per
    node count P, and the dynamic programme run on all tracks of one P at once (select_changepoints
    asks at several penalties while the rate settles; one track at a time, in Python, this was the
    largest serial share of the stage in the parent process)."""

    def __init__(self, n_points: list, candidates: list, scores: dict, min_gap: int):
        self.nodes = [np.array([0, *c, length], dtype=np.int64) for length, c in zip(n_points, candidates)]
        self.groups: dict = {}  # P -> (track numbers (N,), span scores (N, P, P), -inf where no span)
        by_count: dict = {}
        for t, nodes in enumerate(self.nodes):
            by_count.setdefault(len(nodes), []).append(t)
        for count, ts in by_count.items():
            table = np.full((len(ts), count, count), -np.inf)
            for r, t in enumerate(ts):
                nodes = self.nodes[t].tolist()
                for j in range(1, count):
                    for i in range(j):
                        if nodes[j] - nodes[i] >= min_gap:
                            table[r, i, j] = scores[(t, nodes[i], nodes[j])]
            # a span whose steps are all exactly zero (a particle held still, positions repeated) has an
            # unbounded likelihood (K -> 0): +inf would make every partition of its track infinite and the
            # track would keep no changepoint at all; such a span is left out instead, so the stretch is cut
            # out with a neighbouring step and the rest of the track is segmented as usual
            table[~np.isfinite(table)] = -np.inf
            self.groups[count] = (np.array(ts), table)

    def best(self, penalty: float) -> list:
        """The changepoints of each track's best partition at `penalty` (the cost of one more segment):
        int64 arrays. Ties go to the earliest previous node, as the per-track programme's max() over the
        options in order did."""
        out: list = [None] * len(self.nodes)
        for count, (ts, table) in self.groups.items():
            value = np.full((len(ts), count), -np.inf)  # (N, P) best total up to each node
            value[:, 0] = 0.0
            back = np.zeros((len(ts), count), dtype=np.int64)  # (N, P) the node before it on that path
            for j in range(1, count):
                options = (value[:, :j] + table[:, :j, j]) - penalty  # (N, j)
                back[:, j] = options.argmax(axis=1)
                value[:, j] = options[np.arange(len(ts)), back[:, j]]
            j = np.full(len(ts), count - 1)
            path = []  # node indices of the changepoints, last first
            while np.any(j > 0):
                j = np.where(j > 0, back[np.arange(len(ts)), j], 0)
                path.append(j)
            steps = np.stack(path, axis=1) if path else np.zeros((len(ts), 0), dtype=np.int64)
            for r, t in enumerate(ts.tolist()):
                kept = steps[r][steps[r] > 0][::-1]
                out[t] = self.nodes[t][kept] if np.isfinite(value[r, -1]) else np.zeros(0, dtype=np.int64)
        return out


def _increment_range(a: int, b: int) -> tuple[int, int]:
    """First increment index and count of segment [a, b) of a track (segment_positions' convention)."""
    first = max(a - 1, 0)
    return first, b - 1 - first


def _score(tracks: list, spans: list, exposure: float, anchor: str = "start", alphas: dict | None = None,
           workers: Workers | None = None) -> dict:
    """Maximised profile log-likelihood (no noise) of each (track, start, end) span; with a dict `alphas`,
    each span's maximising alpha is written into it as well.

    The innovations of a segment are a prefix of those of any longer segment with the same first
    increment (the leading block of a Cholesky factor is the factor of the leading block), so one
    product with the inverse factor per anchor and alpha scores every span that starts there (anchor
    "start"), or, with time reversed (the increments' covariance is symmetric), every span that ends there
    (anchor "end"). All anchors of all tracks share one product per alpha of SPAN_GRID; the cubic spline
    through them gives the maximum (_spline_peak: within 0.21 of the whole lattice's continuous maximum on
    1,200 random spans of 10-499 steps, sharp or blurred, 99 % within 0.12, far below the partition's
    penalty; the parabola on the 26 points before: 0.58 and 0.18, at 1.7 times the products).
    Spans over MAX_EXACT increments are scored by fit_segments (composite likelihood). workers: optional
    uandi.workers pool, each process scoring the spans of a chunk of the tracks."""
    spans = list(dict.fromkeys(spans))
    if active(workers) and spans:
        return _score_in_workers(workers, tracks, spans, exposure, anchor, alphas)
    out: dict = {}
    long = [sp for sp in spans if _increment_range(sp[1], sp[2])[1] > MAX_EXACT]
    if long:
        fit = fit_segments([segment_positions(tracks[t], a, b) for t, a, b in long], noise=False, exposure=exposure)
        out.update(zip(long, fit.loglik.tolist()))
        if alphas is not None:
            alphas.update(zip(long, fit.alpha.tolist()))
    spans = [sp for sp in spans if _increment_range(sp[1], sp[2])[1] <= MAX_EXACT]
    if not spans:
        return out
    # anchors: (track, first increment, direction) -> longest prefix needed; each span's prefix length
    anchors: dict = {}
    keys = []
    for t, a, b in spans:
        first, n = _increment_range(a, b)
        key = (t, first, 1) if anchor == "start" else (t, first + n - 1, -1)
        anchors[key] = max(anchors.get(key, 0), n)
        keys.append((key, n))
    # columns sorted by prefix length and cut into chunks of one factor size each (no padding to 512)
    order = sorted(anchors, key=lambda k: anchors[k])
    column = {k: i for i, k in enumerate(order)}
    size = np.array([_size_for(anchors[k]) for k in order])
    cuts = sorted({0, len(order), *np.flatnonzero(np.diff(size)) + 1, *range(0, len(order), _SCORE_COLUMNS)})
    cuts = [c for c in cuts if c < len(order)] + [len(order)]
    grid = SPAN_GRID
    span_col = np.array([column[k] for k, _ in keys])
    span_n = np.array([n for _, n in keys])
    profile = np.empty((len(grid), len(spans)))  # (G, S)
    increments = {t: np.diff(tracks[t], axis=0) for t in {k[0] for k in order}}
    _WHITEN.prefetch([(int(ia), 0) for ia in grid], max(int(size.max()), _size_for(MAX_EXACT)), exposure)
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        chunk = order[lo:hi]
        m = int(size[lo])
        x = np.zeros((len(chunk), m, 2))
        for c, (t, first, step) in enumerate(chunk):
            n = anchors[(t, first, step)]
            inc = increments[t]
            x[c, :n] = inc[first : first + n] if step == 1 else inc[first - n + 1 : first + 1][::-1]
        x, scale2 = _single_columns(x)  # (m, 2C) float32, (C,)
        mine = (span_col >= lo) & (span_col < lo + len(chunk))
        cols, n_sp = span_col[mine] - lo, span_n[mine]
        for g, ia in enumerate(grid):
            whiten, ld = _WHITEN.get(int(ia), 0, max(m, _size_for(MAX_EXACT)), exposure)
            q = _prefix_sums(_whitened_squares(whiten, x))  # (m, C) Q of every prefix, scaled
            profile[g, mine] = _profile(q[n_sp - 1, cols] * scale2[cols], ld[n_sp], n_sp)
    where, peak = _spline_peak(ALPHA_LATTICE[grid], profile)
    out.update(zip(spans, peak.tolist()))
    if alphas is not None:
        alphas.update(zip(spans, where.tolist()))
    return out


def _score_in_workers(workers: Workers, tracks: list, spans: list, exposure: float, anchor: str,
                      alphas: dict | None) -> dict:
    """_score in the workers' processes: the tracks cut into chunks by the points their spans cover, each
    chunk's tracks and spans (track numbers within the chunk) to one process."""
    by_track: dict = {}
    for sp in spans:
        by_track.setdefault(sp[0], []).append(sp)
    owners = sorted(by_track)
    weight = [sum(b - a for _, a, b in by_track[t]) for t in owners]
    chunks = [owners[part] for part in split(weight, workers.n)]
    args = []
    for ts in chunks:
        local = {t: i for i, t in enumerate(ts)}
        args.append((Packed.of([tracks[t] for t in ts]), [(local[t], a, b) for t in ts for _, a, b in by_track[t]],
                     exposure, anchor, alphas is not None))
    out: dict = {}
    for ts, (values, where) in zip(chunks, workers.starmap(_score_chunk, args)):
        mine = [sp for t in ts for sp in by_track[t]]
        out.update(zip(mine, values))
        if alphas is not None:
            alphas.update(zip(mine, where))
    return out


@_quiet
def _score_chunk(tracks: Packed, spans: list, exposure: float, anchor: str, want_alphas: bool) -> tuple[list, list]:
    """One worker's share of _score_in_workers: the scores (and maximising alphas) of `spans`, in their order."""
    alphas: dict | None = {} if want_alphas else None
    scores = _score(tracks.unpack(), spans, exposure, anchor=anchor, alphas=alphas)
    return [scores[sp] for sp in spans], ([alphas[sp] for sp in spans] if want_alphas else [])


@lru_cache(maxsize=8)
def _spline_map(x: tuple) -> np.ndarray:
    """The not-a-knot cubic spline's coefficients through points x (G,) as a linear map of the values:
    (4 (G - 1), G), rows in CubicSpline's (4, G - 1) order (one matrix product per call instead of a
    banded solve per call: 5x faster on the span scores' many columns)."""
    g = len(x)
    return CubicSpline(np.array(x), np.eye(g), axis=0).c.reshape(4 * (g - 1), g)


def _spline_top(x: np.ndarray, values: np.ndarray):
    """The highest point of the not-a-knot cubic spline through each column of values (G, S) (finite) at
    increasing x (G,), on the two pieces beside its best point: a stationary point with negative
    curvature, or the best point itself. Returns where (in x), the height, the spline's second
    derivative there, and read(v): any other (G, S) array's spline through the same x at those points,
    (value, slope). Its error falls as the fourth power of the spacing, the parabola's (_parabola_peak)
    as the third."""
    g, n_cols = values.shape
    spline = _spline_map(tuple(x.tolist()))  # (4 (G - 1), G)
    c = (spline @ values).reshape(4, -1)  # (4, (G - 1) S) piece i of column j at i S + j: c0 d^3 + c1 d^2 + c2 d + c3
    cols = np.arange(n_cols)
    best = values.argmax(axis=0)
    # the best point as the end of the piece before it (its right end), or the start of the first
    h = np.diff(x)
    piece, d, peak = np.maximum(best - 1, 0), np.where(best > 0, h[np.maximum(best - 1, 0)], 0.0), values[best, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        for side in (best - 1, best):
            p = np.clip(side, 0, g - 2)
            c3, c2, c1, c0 = c.take(p * n_cols + cols, axis=1)  # (4, S): a flat gather, 3x faster than (p, cols)
            disc = c2**2 - 3 * c3 * c1  # the derivative 3 c3 d^2 + 2 c2 d + c1 = 0
            root = np.sqrt(np.maximum(disc, 0.0))
            cubic = c3 != 0
            roots = ((-c2 + root) / (3 * c3), cubic), ((-c2 - root) / (3 * c3), cubic), (-c1 / (2 * c2), ~cubic)
            for t, kind in roots:
                value = ((c3 * t + c2) * t + c1) * t + c0
                ok = (kind & (side >= 0) & (side < g - 1) & (disc >= 0) & (t >= 0) & (t <= h[p])
                      & (3 * c3 * t + c2 < 0) & (value > peak))
                piece, d, peak = np.where(ok, p, piece), np.where(ok, t, d), np.where(ok, value, peak)
    at = piece * n_cols + cols
    curvature = 6 * c[0].take(at) * d + 2 * c[1].take(at)

    def read(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cv = (spline @ v).reshape(4, -1).take(at, axis=1)  # (4, S)
        return ((cv[0] * d + cv[1]) * d + cv[2]) * d + cv[3], (3 * cv[0] * d + 2 * cv[1]) * d + cv[2]

    return x[piece] + d, peak, curvature, read


def _spline_peak(x: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where (in x) and how high the maximum of each column of values (G, S) sampled at increasing points x
    (G,) is: _spline_top's. On a grid 2.4 times coarser it is twice as exact as the parabola through the
    best point (SPAN_GRID). A column with a non-finite value (a stretch that never moves: Q = 0) gets
    _parabola_peak's answer."""
    finite = np.all(np.isfinite(values), axis=0)  # (S,)
    where, peak, _, _ = _spline_top(x, np.where(finite[None, :], values, 0.0))
    if not finite.all():
        other = _parabola_peak(x, values)
        where, peak = np.where(finite, where, other[0]), np.where(finite, peak, other[1])
    return where, peak


def _spline_profile(x: np.ndarray, ll: np.ndarray, log_k: np.ndarray, first: np.ndarray):
    """A profile log-likelihood ll (G, S) at alphas x (G,), each column's points before index first (S,)
    skipped (never its maximum), with each point's best log K (G, S): per column the maximum of the
    cubic spline through its kept points (_spline_top), the spline's curvature there, log K's spline and
    its slope there, and whether the best point is an end of the kept grid (at_bound: the grid point
    itself, no curvature; as at fewer than four kept points). Returns alpha, ll, curvature, log K,
    d log K / d alpha, at_bound, each (S,)."""
    n_cols = ll.shape[1]
    cols = np.arange(n_cols)
    best = np.where(np.arange(len(x))[:, None] >= first[None, :], ll, -np.inf).argmax(axis=0)  # (S,)
    alpha, top, curv = x[best].astype(float), ll[best, cols].copy(), np.full(n_cols, np.nan)
    logk, slope = log_k[best, cols].copy(), np.zeros(n_cols)
    at_bound = (best == first) | (best == len(x) - 1)
    kept = np.arange(len(x))[:, None] >= first[None, :]
    finite = np.all(np.isfinite(ll) | ~kept, axis=0) & np.all(np.isfinite(log_k) | ~kept, axis=0)  # Q = 0: no spline
    for f in np.unique(first).tolist():
        mine = np.flatnonzero((first == f) & ~at_bound & finite)
        if len(mine) == 0 or len(x) - f < 4:
            continue  # fewer than four kept points: the best point itself (never seen: at least four are kept)
        where, peak, curvature, read = _spline_top(x[f:], ll[f:, mine])
        alpha[mine], top[mine], curv[mine] = where, np.maximum(peak, top[mine]), curvature
        logk[mine], slope[mine] = read(log_k[f:, mine])
    return alpha, top, curv, logk, slope, at_bound


def _parabola_peak(x: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where (in x) and how high the maximum of each column of values (G, S) sampled at increasing points
    x (G,) is: the vertex of the parabola through the best point and its two neighbours (kept within
    them), or the best point at the grid's ends (a best point beside a skipped one, _FAR_BELOW, counts
    as an end). Two arrays of S."""
    cols = np.arange(values.shape[1])
    best = values.argmax(axis=0)
    mid = np.clip(best, 1, len(x) - 2)
    f0, f1, f2 = values[mid - 1, cols], values[mid, cols], values[mid + 1, cols]
    hm, hp = x[mid - 1] - x[mid], x[mid + 1] - x[mid]  # hm < 0 < hp
    c = ((f2 - f1) / hp - (f0 - f1) / hm) / (hp - hm)
    b = (f2 - f1) / hp - c * hp
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.clip(np.where(c < 0, -b / (2 * c), 0.0), hm, hp)
    peak = f1 + b * offset + c * offset**2
    offset = np.where(peak > f1, offset, 0.0)
    inside = (best == mid) & (np.minimum(f0, f2) > _FAR_BELOW / 2)  # a skipped neighbour: the best point itself
    return (np.where(inside, x[mid] + offset, x[best]), np.where(inside, np.maximum(peak, f1), values[best, cols]))


# select_changepoints' penalty_slope: the rate of changes per point that `penalty` was tuned at (the subtask-1
# tuning set of 500 points, seed 777: 0.0047 chosen at penalty 5), and how many points of that prior rate the
# file's own rate is shrunk towards (one such track: a file of a few tracks keeps about the tuned penalty)
REFERENCE_RATE = 0.005
RATE_PRIOR_POINTS = 500
PENALTY_RANGE = (1.0, 10.0)


def rate_penalty(n_changes: int, n_points: int, penalty: float, slope: float) -> float:
    """The penalty for tracks of n_points points in all that hold n_changes changes:
    penalty + slope * log(REFERENCE_RATE / rate), the rate shrunk towards REFERENCE_RATE by
    RATE_PRIOR_POINTS points, within PENALTY_RANGE (select_changepoints' penalty_slope; at its fixed point
    the penalty is this of the changes it chooses)."""
    rate = (n_changes + RATE_PRIOR_POINTS * REFERENCE_RATE) / (n_points + RATE_PRIOR_POINTS)
    return float(np.clip(penalty + slope * np.log(REFERENCE_RATE / rate), *PENALTY_RANGE))


@_quiet
def select_changepoints(tracks, candidates, *, penalty: float = 8.0, min_gap: int = 10, refine: int = 0,
                        place: int = 0, exposure: float = 0.0, evidence: bool = False, posteriors: bool = False,
                        penalty_slope: float = 0.0, info: dict | None = None, workers: Workers | None = None,
                        missed: bool = False):
    """Choose each track's changepoints among candidates by the exact FBM likelihood.

    tracks: list of position arrays (L_i, 2), time step 1 frame. candidates: per track, proposed
      changepoints (first points of new segments), e.g. a network's contrast peaks at a low threshold.
    penalty: log-likelihood cost of one more segment (a new segment brings alpha, K and a position).
    min_gap: shortest segment, in points. refine: each chosen changepoint is then moved within
      +-refine points to where the two segments beside it are most likely (0 = no refinement: the
      candidates' own positions; see postprocess.LIKELIHOOD_SETTINGS).
    place: if > 0, each chosen changepoint is then moved to the posterior median within the +-place
      stretch that holds most of its position's posterior (changepoint_posteriors, place_changepoints):
      the position most likely within +-place of the true one, where the likelihood's own maximum
      (`refine`) chases noise in a flat profile (docs/likelihood.md part K).
    evidence: also return, per track, a (K, 4) array for its K changepoints: the log-likelihood gain of
      the change (the two segments beside it against the one they would merge into, no noise) and the
      maximum-likelihood alpha of the segment before, the segment after and the merged one
      (changepoint_allowance turns them into the alpha uncertainty that the choice itself carries); all
      at the partition's changepoints, from its own span scores, also where `refine` or `place` then move
      them (scoring the moved ones anew cost 6 % of the --tasks alpha stage; the allowance's coverage held:
      docs/likelihood.md part H).
    posteriors: also return, per track, each changepoint's ChangepointPosterior (with `place`, the one
      that placed it; else around the chosen position).
    missed: with `evidence`, also return (after the evidence) per track the (K + 1,) alpha variances that
      the changes not chosen add to its segments (missed_change_allowance).
    penalty_slope: if > 0, the penalty follows the rate of changes in these tracks (empirical Bayes: the
      penalty is the log prior odds against a change, and the odds follow how often changes occur):
      rate_penalty of the changes chosen over all tracks, found again with the new penalty until it
      settles; the span scores are reused, so this costs little.
    info: optional dict, filled with "penalty": the penalty used.
    workers: optional uandi.workers pool: the span scores and the posteriors computed in its processes, a
      chunk of the tracks each (the partition and the rate that couples the tracks stay here).
    Returns one sorted int64 array of changepoints per track (then the evidence list and the posteriors,
    each if asked for).
    """
    tracks = [np.asarray(t, dtype=float) for t in tracks]
    if len(candidates) != len(tracks):
        raise ValueError(f"{len(tracks)} tracks but {len(candidates)} candidate lists")
    lengths = [len(t) for t in tracks]
    cands = []
    for length, c in zip(lengths, candidates):
        c = sorted({int(v) for v in np.asarray(c, dtype=np.int64).tolist() if min_gap <= v <= length - min_gap})
        cands.append(c)
    spans = []
    for t, (length, c) in enumerate(zip(lengths, cands)):
        nodes = [0, *c, length]
        spans += [(t, nodes[i], nodes[j]) for i in range(len(nodes)) for j in range(i + 1, len(nodes))
                  if nodes[j] - nodes[i] >= min_gap]
    alphas: dict = {}
    scores = _score(tracks, spans, exposure, alphas=alphas if evidence else None, workers=workers)
    used = float(penalty)
    partitions = _Partitions(lengths, cands, scores, min_gap)
    if penalty_slope > 0 and lengths:
        for _ in range(10):  # a fixed point: the rate moves slowly with the penalty (2-4 rounds)
            found = sum(len(c) for c in partitions.best(used))
            new = rate_penalty(found, sum(lengths), penalty, penalty_slope)
            settled = abs(new - used) < 0.01
            used = new
            if settled:
                break
    if info is not None:
        info["penalty"] = used
    chosen = partition = partitions.best(used)
    if refine > 0:
        chosen = _refine(tracks, chosen, refine, min_gap, exposure)
    post = placed = None
    if place > 0 or posteriors:
        post, placed = _posteriors_placed(tracks, chosen, dict(min_gap=min_gap, exposure=exposure), place, workers)
    if place > 0:
        chosen = placed
    out = [chosen]
    if evidence:
        out.append(_evidence(tracks, partition, scores, alphas, exposure, workers))
        if missed:
            out.append(missed_change_allowance(lengths, partition, cands, scores, alphas, used, min_gap))
    if posteriors:
        out.append(post)
    return out[0] if len(out) == 1 else tuple(out)


def _evidence(tracks: list, chosen: list, scores: dict, alphas: dict, exposure: float,
              workers: Workers | None = None) -> list:
    """select_changepoints' evidence: per track a (K, 4) array of (gain, alpha before, alpha after, alpha
    merged) for its changepoints `chosen`, from the span scores (spans not among them are scored anew)."""
    triples = []  # per changepoint: the spans before, after and merged
    for t, cps in enumerate(chosen):
        nodes = [0, *cps.tolist(), len(tracks[t])]
        triples.append([((t, a, c), (t, c, b), (t, a, b)) for a, c, b in zip(nodes[:-2], nodes[1:-1], nodes[2:])])
    missing = list(dict.fromkeys(sp for per in triples for tri in per for sp in tri if sp not in alphas))
    if missing:
        scores = {**scores, **_score(tracks, missing, exposure, alphas=alphas, workers=workers)}
    out = []
    for per in triples:
        rows = [(scores[before] + scores[after] - scores[merged], alphas[before], alphas[after], alphas[merged])
                for before, after, merged in per]
        out.append(np.array(rows, dtype=float).reshape(-1, 4))
    return out


def missed_change_allowance(lengths: list, chosen: list, candidates: list, scores: dict, alphas: dict,
                            penalty: float, min_gap: int) -> list:
    """The alpha variance that the changes not chosen add to each segment of a partition.

    changepoint_allowance's mirror: a candidate c inside a chosen segment (a, b) splits it with a
    log-likelihood gain g_c below the penalty, but the change may still be real. Over the segment whole
    and each single split (local Bayesian model averaging, the penalty as log prior odds against a
    change), split c has probability p_c = exp(g_c - penalty) / (1 + sum_c' exp(g_c' - penalty)); where
    it is real, the truth of most of the segment's points is the alpha of its longer side. Adds
    sum_c p_c (alpha of the longer side - alpha of the whole)^2. From the partition's own span scores
    (every pair of candidates is scored), so it costs no likelihood.
    lengths, chosen, candidates: per track (the candidates as select_changepoints kept them). Returns per
    track a (K + 1,) array, one variance per segment."""
    out = []
    for t, (length, cps, cands) in enumerate(zip(lengths, chosen, candidates)):
        nodes = [0, *np.asarray(cps).tolist(), length]
        extra = np.zeros(len(nodes) - 1)
        for i, (a, b) in enumerate(zip(nodes[:-1], nodes[1:])):
            if (t, a, b) not in alphas:
                continue
            inner = [c for c in cands if a + min_gap <= c <= b - min_gap and (t, a, c) in alphas
                     and (t, c, b) in alphas]
            if not inner:
                continue
            gain = np.array([scores[(t, a, c)] + scores[(t, c, b)] - scores[(t, a, b)] for c in inner])
            longer = np.array([alphas[(t, a, c)] if c - a >= b - c else alphas[(t, c, b)] for c in inner])
            odds = np.exp(np.clip(gain - penalty, -50.0, 50.0))
            extra[i] = float(np.sum(odds * (longer - alphas[(t, a, b)]) ** 2) / (1.0 + odds.sum()))
        out.append(extra)
    return out


def changepoint_allowance(evidence: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """The alpha variance that the choice of a track's changepoints adds to the segments beside each one.

    A change chosen with a log-likelihood gain g against a per-change penalty (the partition's log prior
    odds against a change) is real with probability 1 / (1 + exp(penalty - g)); with the rest, the
    segments beside it are one segment, whose alpha is the merged one. Averaging over the two (local
    Bayesian model averaging) adds w (alpha merged - alpha of the segment)^2 to each neighbour's
    variance, w = 1 / (1 + exp(g - penalty)): large for a change just above the penalty (whose sides
    were chosen because they differ, and so differ more than they truly do), negligible for a clear one.

    evidence: (K, 4) rows of select_changepoints' evidence for one track (K changepoints, K + 1 segments).
    Returns (before, after): (K,) variances added to the segment before and after each changepoint.
    """
    gain, before, after, merged = np.asarray(evidence, dtype=float).reshape(-1, 4).T
    w = 1.0 / (1.0 + np.exp(np.clip(gain - penalty, -50.0, 50.0)))
    return w * (merged - before) ** 2, w * (merged - after) ** 2


BLUR_BLOCK = 128  # increments per block of blur_evidence
BLUR_BLOCKS = 200  # most blocks it fits (a few tenths of a second)
# blur_evidence's clear_below: half the blocks first, and the rest only unless their mean gain plus this many
# standard errors stays below clear_below. Blur-free subtask-1 files: mean 0.11-0.21, standard error 0.03-0.06 on
# 100 blocks. A file stopped early that the whole set would have flagged (mean - 2 standard errors > clear_below
# on all blocks) needs the other half's mean 6.2 standard errors of the halves' difference above the first's
BLUR_CLEAR_SE = 3.0


@dataclass
class BlurEvidence:
    """blur_evidence's answer, per block: gain (B,) = log-likelihood with camera-averaged positions minus
    with instantaneous ones (same parameters: alpha, K, noise), alpha_sharp and alpha_blurred (B,)."""

    gain: np.ndarray
    alpha_sharp: np.ndarray
    alpha_blurred: np.ndarray

    def mean_gain(self) -> tuple[float, float]:
        """Mean gain per block and its standard error (nan for fewer than 2 blocks)."""
        if len(self.gain) < 2:
            return float("nan"), float("nan")
        return float(self.gain.mean()), float(self.gain.std(ddof=1) / np.sqrt(len(self.gain)))


@_quiet
def blur_evidence(segments, exposure: float = 1.0, block: int = BLUR_BLOCK, max_blocks: int = BLUR_BLOCKS,
                  workers: Workers | None = None, clear_below: float | None = None) -> BlurEvidence:
    """Whether motion blur explains the steps of FBM segments better than none: a camera that integrates
    over the exposure makes consecutive steps positively correlated (+0.25 for Brownian motion at a full
    frame, none beyond the next step), which a blur-free fit reads as super-diffusion (alpha ~1.2-1.3).

    segments: position arrays (n_points, 2), time step 1 frame, each cut into blocks of `block`
    increments (the remainder and shorter segments dropped); at most `max_blocks` of them, spread evenly.
    Each block is fitted with localization noise at exposure 0 and at `exposure` (noise=True in both, so
    the two models have the same parameters and the gain is a plain log-likelihood ratio: noise and blur
    act on the same lag with opposite signs). Measured on 200 blocks of 128 steps (docs/likelihood.md
    part I): blur-free FBM gives mean gains 0.0-0.3 per block whatever alpha and noise; a full-frame
    exposure gives 3-5 without noise, 0.8-2 with noise of 0.3 of the step (alpha 0.5-1.5), ~0 at alpha
    near 2, where blur changes little. workers: optional uandi.workers pool for the fits.
    clear_below: optional gain per block that the caller's rule needs to see blur (the product's notice:
    postprocess.BLUR_MIN_GAIN). With it, every other block is fitted first, and the others only when those
    leave the answer open: mean + BLUR_CLEAR_SE standard errors at or above clear_below. Blur-free files
    (the usual case) then cost half, and a file the whole set would flag is all but sure to get the whole
    set (BLUR_CLEAR_SE's note). Returns the blocks fitted."""
    blocks = []
    for pos in segments:
        inc_n = len(pos) - 1
        for start in range(0, inc_n - block + 1, block):
            blocks.append(np.asarray(pos[start : start + block + 1], dtype=float))
    if len(blocks) > max_blocks:
        blocks = [blocks[i] for i in np.linspace(0, len(blocks) - 1, max_blocks).round().astype(int)]
    if not blocks:
        empty = np.zeros(0)
        return BlurEvidence(empty, empty, empty)
    if clear_below is not None and len(blocks) >= 4:
        first = _blur_fits(blocks[::2], exposure, workers)
        mean, se = first.mean_gain()
        if mean + BLUR_CLEAR_SE * se < clear_below:
            return first
        rest = _blur_fits(blocks[1::2], exposure, workers)
        both = [np.empty(len(blocks)) for _ in range(3)]  # the blocks in their order again
        for whole, a, b in zip(both, (first.gain, first.alpha_sharp, first.alpha_blurred),
                               (rest.gain, rest.alpha_sharp, rest.alpha_blurred)):
            whole[::2], whole[1::2] = a, b
        return BlurEvidence(*both)
    return _blur_fits(blocks, exposure, workers)


def _blur_fits(blocks: list, exposure: float, workers: Workers | None) -> BlurEvidence:
    """blur_evidence's two fits of its blocks (position arrays of BLUR_BLOCK + 1 points)."""
    sharp = fit_segments(blocks, noise=True, workers=workers)
    blurred = fit_segments(blocks, noise=True, exposure=exposure, workers=workers)
    return BlurEvidence(blurred.loglik - sharp.loglik, sharp.alpha, blurred.alpha)


def _refine(tracks: list, chosen: list, width: int, min_gap: int, exposure: float) -> list:
    """Move each changepoint within +-width (neighbours fixed) to the most likely position."""
    before, after, moves = [], [], []
    for t, cps in enumerate(chosen):
        nodes = [0, *cps.tolist(), len(tracks[t])]
        for k in range(1, len(nodes) - 1):
            lo, hi = max(nodes[k - 1] + min_gap, nodes[k] - width), min(nodes[k + 1] - min_gap, nodes[k] + width)
            for c in range(lo, hi + 1):
                before.append((t, nodes[k - 1], c))
                after.append((t, c, nodes[k + 1]))
                moves.append((t, k, c))
    # the segments before each position share their start, those after share their end: one product each
    scores = {**_score(tracks, before, exposure, anchor="start"), **_score(tracks, after, exposure, anchor="end")}
    best: dict = {}
    for t, k, c in moves:
        nodes = [0, *chosen[t].tolist(), len(tracks[t])]
        value = scores[(t, nodes[k - 1], c)] + scores[(t, c, nodes[k + 1])]
        if (t, k) not in best or value > best[(t, k)][0]:
            best[(t, k)] = (value, c)
    out = []
    for t, cps in enumerate(chosen):
        out.append(np.asarray(sorted(best[(t, k + 1)][1] for k in range(len(cps))), dtype=np.int64))
    return out


# Placing a chosen changepoint (select_changepoints' `place`): its position posterior, neighbours fixed
PLACE_REACH = 40  # positions considered either side of the partition's choice, and
PLACE_CONTEXT = 96  # increments of data beyond the reach on each side (bounded by the neighbours): on 1,000
# subtask-1 tracks of 500 points (tuning seed 777), 40 / 96 placed as well as 64 / 192 and as the whole
# gap to the neighbours (F1 0.869-0.870, MAE 0.0649) at 0.6 of the cost; 32 / 64 and 24 / 64 a little
# worse (F1 0.868 and 0.867). Every span stays well within MAX_EXACT
# the posterior uses the likelihood tempered by this: the maximised (not integrated) likelihood of the two
# segments is too sharp in the change's position. 1.25 makes the posterior's mass within +-9 points match
# how often the true change lies there (subtask-1 tracks of 500 points, tuning seed 777: 0.926 predicted
# against 0.899 seen at 1, 0.878 against 0.902 at 1.5)
PLACE_TEMPERATURE = 1.25


def _prefix_profiles(increments: list, last: list, exposure: float) -> list:
    """Maximised no-noise profile log-likelihood of the last prefixes of each increment sequence: for a
    (n, 2) array and last = w, a (w,) array whose entry j belongs to the first n - w + 1 + j increments
    (alpha maximised by the cubic spline through SPAN_GRID's values, as _score; K profiled out). All
    sequences of one factor size share one product per alpha of SPAN_GRID (their innovations are
    prefixes of each other's)."""
    grid = SPAN_GRID
    out: list = [None] * len(increments)
    size = np.array([_size_for(len(v)) for v in increments])
    _WHITEN.prefetch([(int(ia), 0) for ia in grid], max(int(size.max()), _size_for(MAX_EXACT)), exposure)
    for m in sorted(set(size.tolist())):
        rows = np.flatnonzero(size == m)
        for lo in range(0, len(rows), _PREFIX_COLUMNS):
            part = rows[lo : lo + _PREFIX_COLUMNS]
            x = np.zeros((len(part), m, 2))
            for c, r in enumerate(part.tolist()):
                x[c, : len(increments[r])] = increments[r]
            x, scale2 = _single_columns(x)  # (m, 2C) float32, (C,)
            n_seq = np.array([len(increments[r]) for r in part.tolist()])
            w = max(last[r] for r in part.tolist())
            # the rows wanted: each sequence's last w prefixes (a shorter one repeats its first)
            take = np.maximum(n_seq[None, :] - w + np.arange(w)[:, None], 0)  # (w, C) prefix index
            flat = take * len(part) + np.arange(len(part))[None, :]  # (w, C) their places in q (m, C), flattened
            n = take + 1.0  # increments in each prefix
            profile = np.empty((len(grid), w, len(part)))  # (G, w, C)
            for g, ia in enumerate(grid):
                whiten, ld = _WHITEN.get(int(ia), 0, max(m, _size_for(MAX_EXACT)), exposure)
                q = _prefix_sums(_whitened_squares(whiten, x))  # (m, C) Q of every prefix, scaled
                profile[g] = _profile(q.take(flat) * scale2[None, :], ld[take + 1], n)
            peak = _spline_peak(ALPHA_LATTICE[grid], profile.reshape(len(grid), -1))[1].reshape(w, len(part))
            for c, r in enumerate(part.tolist()):
                out[r] = peak[w - last[r] :, c]
    return out


_PREFIX_COLUMNS = 256  # sequences per product in _prefix_profiles (its (G, m, C) profile: 27 MB at m = 512)


@dataclass
class ChangepointPosterior:
    """Where one chosen changepoint lies (select_changepoints' `place`): positions (P,) of the track
    (first points of the new segment) and their posterior probabilities (P,), given that the change is
    real and its neighbours sit where the partition put them (the two segments' tempered likelihood,
    PLACE_TEMPERATURE, flat prior on the position)."""

    positions: np.ndarray
    probability: np.ndarray

    def interval(self, level: float = 0.95) -> tuple[int, int]:
        """Central credible interval of the position: (first, last) position, inclusive."""
        cdf = np.cumsum(self.probability)
        tail = (1.0 - level) / 2
        lo = int(np.searchsorted(cdf, tail, side="left"))
        hi = int(np.searchsorted(cdf, 1.0 - tail, side="left"))
        return int(self.positions[lo]), int(self.positions[min(hi, len(cdf) - 1)])

    def within(self, position: int, half_width: int) -> float:
        """Posterior probability that the change lies within +-half_width points of position."""
        return float(self.probability[np.abs(self.positions - position) <= half_width].sum())


@_quiet
def changepoint_posteriors(tracks: list, chosen: list, *, min_gap: int = 10, exposure: float = 0.0,
                           reach: int = PLACE_REACH, context: int = PLACE_CONTEXT,
                           temperature: float = PLACE_TEMPERATURE, workers: Workers | None = None) -> list:
    """Posterior of each chosen changepoint's position, its neighbours fixed: per track a list of
    ChangepointPosterior, one per changepoint. A position c within +-reach of the chosen one (and at
    least min_gap points from either neighbour) has the log-likelihood of the segment before it plus
    that of the segment after it (no noise, alpha and K of each maximised; each segment's data limited
    to `context` increments beyond the reach), divided by `temperature`. workers: optional
    uandi.workers pool, each process taking a chunk of the tracks."""
    if workers is not None:
        kw = dict(min_gap=min_gap, exposure=exposure, reach=reach, context=context, temperature=temperature)
        return _posteriors_placed(tracks, chosen, kw, 0, workers)[0]
    fwd, bwd, where = [], [], []
    for t, cps in enumerate(chosen):
        x = np.asarray(tracks[t], dtype=float)
        inc = np.diff(x, axis=0)
        nodes = [0, *np.asarray(cps).tolist(), len(x)]
        for k in range(1, len(nodes) - 1):
            prev, c0, nxt = nodes[k - 1], nodes[k], nodes[k + 1]
            # each side keeps at least one step (c >= 2, c < nxt); a change closer than min_gap to a
            # neighbour (not one a partition chose) is looked for around itself only
            lo, hi = max(prev + min_gap, c0 - reach, 2), min(nxt - min_gap, c0 + reach, nxt - 1)
            if not lo <= c0 <= hi:
                lo = hi = c0
            start = max(prev, lo - context)  # the segment before c: points [start, c)
            end = min(nxt, hi + context)  # the segment after c: points [c, end)
            first = max(start - 1, 0)  # segment_positions' convention: a segment's steps include the one into it
            fwd.append(inc[first : hi - 1])  # prefix of c - 1 - first steps: the segment [start, c)
            bwd.append(inc[lo - 1 : end - 1][::-1])  # reversed; prefix of end - c steps: the segment [c, end)
            where.append((t, lo, hi, first, end))
    widths = [hi - lo + 1 for _, lo, hi, _, _ in where]  # the positions c = lo..hi: each sequence's last prefixes
    profiles = _prefix_profiles(fwd + bwd, widths + widths, exposure) if where else []
    out: list = [[] for _ in chosen]
    for i, (t, lo, hi, first, end) in enumerate(where):
        # c = lo..hi: the segment before has c - 1 - first steps (rising), the one after end - c (falling)
        ll = profiles[i] + profiles[len(where) + i][::-1]
        c = np.arange(lo, hi + 1)
        if not np.all(np.isfinite(ll)):  # a stretch that never moves (Q = 0): no posterior, the choice stays
            c0 = int(chosen[t][len(out[t])])
            out[t].append(ChangepointPosterior(np.array([c0]), np.ones(1)))
            continue
        p = np.exp((ll - ll.max()) / temperature)
        out[t].append(ChangepointPosterior(c, p / p.sum()))
    return out


def _posteriors_placed(tracks: list, chosen: list, kw: dict, place: int, workers: Workers | None) -> tuple[list, list]:
    """changepoint_posteriors(tracks, chosen, **kw) and, with `place` > 0, place_changepoints of them
    (None without): in the workers' processes where there are enough tracks (_posteriors_in_workers),
    else here."""
    if active(workers) and len(tracks) >= 2 * workers.n:
        return _posteriors_in_workers(workers, tracks, chosen, kw, place)
    post = changepoint_posteriors(tracks, chosen, **kw)
    return post, (place_changepoints(post, place, kw["min_gap"]) if place > 0 else None)


def _posteriors_in_workers(workers: Workers, tracks: list, chosen: list, kw: dict, place: int) -> tuple[list, list]:
    """changepoint_posteriors in the workers' processes, a chunk of the tracks each, and with `place` > 0
    each track's changes placed there too (place_changepoints: per change, a tenth of a millisecond of the
    parent's serial time otherwise). Returns the posteriors and the placed changepoints (None without)."""
    parts = split([len(c) + 1e-3 for c in chosen], workers.n)  # the work is per change
    answers = workers.starmap(_posteriors_chunk, [(Packed.of(tracks[p]), Packed.of(chosen[p], np.int64), kw, place)
                                                  for p in parts])
    out, placed = [], []
    for per_track, positions, probability, moved in answers:  # rebuilt here: one object per change
        changes = iter(zip(positions.unpack(), probability.unpack()))
        out += [[ChangepointPosterior(*next(changes)) for _ in range(k)] for k in per_track.tolist()]
        placed += moved.unpack()
    return out, (placed if place > 0 else None)


def _posteriors_chunk(tracks: Packed, chosen: Packed, kw: dict, place: int) -> tuple[np.ndarray, Packed, Packed, Packed]:
    """One worker's share of _posteriors_in_workers: per track its number of changes, every change's
    positions and probabilities, and with `place` > 0 each track's placed changepoints, packed."""
    post = changepoint_posteriors(tracks.unpack(), chosen.unpack(), **kw)
    changes = [p for per in post for p in per]
    placed = place_changepoints(post, place, kw["min_gap"]) if place > 0 else []
    return (np.array([len(per) for per in post], dtype=np.int64), Packed.of([p.positions for p in changes], np.int64),
            Packed.of([p.probability for p in changes]), Packed.of(placed, np.int64))


def place_changepoints(posteriors: list, window: int, min_gap: int = 10) -> list:
    """Each changepoint at the posterior median within the +-window stretch that holds most of its
    posterior mass: the position most likely within +-window of the true one (window 9 for the AnDi
    scorer's 10-point tolerance), centred by the median where the posterior is flat within it (a
    window's mass alone ties across a sharp peak). Each posterior holds its neighbours at their old
    positions, so two changes that both move towards each other are kept min_gap apart (each at least
    min_gap after the one before it). Returns one sorted int64 array per track."""
    out = []
    for per in posteriors:
        placed = []
        for post in per:
            p = post.probability
            mass = np.convolve(p, np.ones(2 * window + 1))[window : window + len(p)]  # mass within +-window of each
            i = int(mass.argmax())
            lo, hi = max(i - window, 0), min(i + window + 1, len(p))
            q = np.cumsum(p[lo:hi])
            c = int(post.positions[lo + int(np.searchsorted(q, 0.5 * q[-1]))])
            placed.append(max(c, placed[-1] + min_gap) if placed else c)
        out.append(np.asarray(placed, dtype=np.int64))
    return out
