"""The Bayes floor of subtask 1: the least point-wise MAE that any method can expect (and the changepoint
F1 of the same exact posterior) on the sets of benchmarks/accuracy.py -> docs/likelihood.md part L.

    python benchmarks/bayes_floor.py --n 200 --threads 2 --write docs/likelihood.md   # about 40 min
    python benchmarks/bayes_floor.py --n 200 --threads 2 --write docs/likelihood.md --block bayes_floor_hard \
        --sets "L=500, jump>0.5, K changes" "L=500, jump>0.5, noise 0.1"                # about 60 min

The Cramer-Rao floor of docs/results.md is the MAE with the changepoints *given*. This one is the MAE of
the best possible estimate when they are not: the posterior median of alpha at every point, over all
segmentations of the track, under the generator's own model and prior (uandi.simulate.dataset, subtask
1, SCIENCE.md section 1):
  - M segments, M uniform in {2, 3, 4, 5}; lengths uniform over the compositions of L into M parts of
    at least 10 points;
  - each segment exact FBM with the diffusion coefficient known (per-axis RMS step 1, the scale-free
    sets' K = 1/2), its increments independent of the other segments';
  - the first alpha uniform, each next one uniform over the values more than 0.5 from the one before
    (uniform over all of them on the set without the jump rule).
The two harder sets of issue 9's point 4 follow the same generator with one more ingredient each:
  - K changes: each segment's step size times a factor f, log-uniform on [0.5, 2], so its covariance is
    scaled by c = f^2; the sums integrate c out of every segment exactly (_scale_marginal: an incomplete
    gamma function), so the floor knows the prior of K, not its values;
  - noise 0.1: white localization noise of sigma 0.1 RMS steps on every position, known. Each segment's
    increments carry it exactly (the MA(1) covariance), but the one increment pair across each change
    shares a noise term (correlation -sigma^2 / (1 + 2 sigma^2) = -0.01) that the product over segments
    leaves out: a departure from exactness of order 1e-4 nats per change.
Alpha lives on a lattice of --lattice values over [0.05, 1.99] (each point's median read between lattice
values). The posterior median minimises the expected absolute error at each point, so no estimator -
network, likelihood or any mix - can have a lower expected MAE on data from this generator; it knows
what the product does not (K, the prior of M, the lengths and the jumps), so it is a floor, not a
method. (The scale-free rescaling makes each segment's mean squared step exactly 1, a trace of the
simulator that would give the changes away; the floor does not use it, and no method should.)

Changes: a change is claimed where the posterior mass of a change within +-9 frames exceeds
--threshold, at that window's posterior median, windows not overlapping (the scorer's tolerance is
10 frames). The product (`Predictor.segment`, the alpha network's candidates and the
likelihood, as in docs/results.md) runs on the same tracks, so the two MAEs are compared track by track.

The table of span likelihoods costs one whitening product per alpha (O(A L^3)), the exact sums (forward
and backward over segment ends, segment counts and alpha) O(A L^2): about 10 s per track at L = 500
and 1 s at L = 200 on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from math import comb
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import pin_threads, reproduce_command  # noqa: E402  (imports nothing that starts a thread pool)

SETS = {"L=200, jump>0.5": 1, "L=500, jump>0.5": 2, "L=500, no jump rule": 3,  # index in accuracy.ALPHA_SETS
        "L=500, jump>0.5, K changes": 4, "L=500, jump>0.5, noise 0.1": 5}
FIRST_SETS = ["L=200, jump>0.5", "L=500, jump>0.5", "L=500, no jump rule"]  # the default run (block bayes_floor)
SEED0 = 11  # benchmarks/accuracy.py's seed of the subtask-1 sets
N_SEGMENTS = (2, 3, 4, 5)
MIN_SEGMENT = 10
WINDOW = 9  # +-frames of a claimed change's window (within the scorer's tolerance of 10)


class Floor:
    """The generator's model for tracks of `length` points, alpha on `lattice` (A,) values, consecutive
    segments' alphas more than `min_jump` apart."""

    def __init__(self, length: int, lattice, min_jump: float, noise: float = 0.0, factor=None):
        """noise: the localization noise sigma_n (per axis, in RMS steps), known; factor: the (low, high)
        range of the step-size factor f drawn per segment, log-uniform (benchmarks/accuracy.py's K-changes
        set), which the sums integrate out exactly; None: f = 1."""
        import numpy as np

        from uandi.likelihood import _autocovariances, _inverse_factors

        self.L, self.lattice, self.min_jump = length, lattice, min_jump
        self.key = (length, min_jump, noise, factor)
        self.factor = factor
        a, n = lattice.size, length - 1
        # K = 1/2: per-axis RMS step 1; the noise ratio is sigma / sqrt(K)
        gammas = _autocovariances(lattice, np.full(a, noise / np.sqrt(0.5)), n) / 2.0
        self.whiten, self.logdet = _inverse_factors(gammas, np.float32)  # (A, n, n), (A, n + 1)
        allowed = (np.abs(lattice[:, None] - lattice[None, :]) > min_jump) | (min_jump <= 0)  # [before, after]
        self.log_jump = np.where(allowed, -np.log(allowed.sum(1, keepdims=True)), -np.inf)  # (A, A)
        # P(M) / (number of compositions of L into M parts >= MIN_SEGMENT): each is equally likely
        self.log_prior_m = {m: -np.log(len(N_SEGMENTS)) - np.log(comb(length - m * MIN_SEGMENT + m - 1, m - 1))
                            for m in N_SEGMENTS}

    def segment_logliks(self, x):
        """log p(increments of points [s, e) | alpha) for every s < e (A, L, L + 1); -inf where e - s < 10.

        x: (L, 2) positions. The increment of point i is x[i] - x[i - 1]; a segment of points [s, e) owns
        the increments of its points (the first point of the track has none)."""
        import numpy as np

        L, n, a = self.L, self.L - 1, self.lattice.size
        dx = np.diff(x, axis=0)  # (n, 2): dx[i] is the increment of point i + 1
        lag = np.arange(n)[:, None] + np.arange(n)[None, :]  # [k, j] -> j + k
        windows = np.concatenate([np.concatenate([dx[:, ax], np.zeros(n)])[lag] for ax in range(2)], axis=1)
        u = np.matmul(self.whiten, windows.astype(np.float32)[None])  # (A, k, 2n): innovations from each start j
        u2 = u[:, :, :n].astype(np.float64) ** 2 + u[:, :, n:].astype(np.float64) ** 2  # (A, k, j), both axes
        q = np.concatenate([np.zeros((a, 1, n)), np.cumsum(u2, axis=1)], axis=1)  # (A, length 0..n, j)
        s, e = np.arange(L)[:, None], np.arange(L + 1)[None, :]
        first = np.maximum(s, 1) - 1  # index in dx of the segment's first increment
        size = e - 1 - first
        ok = (e - s >= MIN_SEGMENT) & (size >= 1)
        ss, ee = np.nonzero(ok)
        m, j = size[ss, ee], first[ss, 0]  # (spans,): increments per axis, first increment
        q_span = q[:, m, j]  # (A, spans)
        log_scale = -0.5 * q_span if self.factor is None else _scale_marginal(q_span, m[None], self.factor)
        out = np.full((a, L, L + 1), -np.inf)
        out[:, ss, ee] = log_scale - self.logdet[:, m] - m * np.log(2 * np.pi)  # both axes
        return out

    def posterior(self, logliks):
        """Each point's posterior over the lattice (L, A) and the posterior probability that a new segment
        starts at each point (L,), from segment_logliks' table."""
        import numpy as np

        L, a, top = self.L, self.lattice.size, max(N_SEGMENTS)
        # forward: ends[m][e, alpha] = log p(points before e, m segments ending at e, the last of this alpha)
        starts = {1: np.full((L, a), -np.inf)}  # log weight of segment m starting at s with alpha
        starts[1][0] = -np.log(a)
        ends = {}
        for m in range(1, top + 1):
            ends[m] = _lse(starts[m].T[:, :, None] + logliks, 1).T  # (L + 1, A)
            if m < top:
                starts[m + 1] = _lse(ends[m][:L, :, None] + self.log_jump[None], 1)
        log_z = _lse(np.array([_lse(ends[m][L], 0) + self.log_prior_m[m] for m in N_SEGMENTS]), 0)
        # backward: rest[r][s, alpha] = log p(points from s on | r segments left, the first of this alpha)
        rest = {1: logliks[:, :, L].T}
        after = {}  # after[r][e, alpha] = log p(points from e on | r segments after one of this alpha ends at e)
        for r in range(2, top + 1):
            after[r - 1] = np.vstack([_lse(self.log_jump[None] + rest[r - 1][:, None, :], 2), np.full((1, a), -np.inf)])
            rest[r] = _lse(logliks + after[r - 1].T[:, None, :], 2).T
        last = np.full((L + 1, a), -np.inf)
        last[L] = 0.0
        point = np.zeros((L, a))
        change = np.zeros(L)
        for m in range(1, top + 1):  # segment m of M: its start weight, its data, the M - m segments after it
            tail = _lse(np.stack([(last if big == m else after[big - m]) + self.log_prior_m[big]
                                  for big in N_SEGMENTS if big >= m]), 0)  # (L + 1, A)
            w = np.exp(starts[m].T[:, :, None] + logliks + tail.T[:, None, :] - log_z)  # (A, s, e)
            by_start, by_end = w.sum(2), w.sum(1)  # (A, L), (A, L + 1)
            if m >= 2:
                change += by_start.sum(0)
            # point t lies in [s, e): segments started at or before t, less those also ended at or before t
            point += (np.cumsum(by_start, 1) - np.cumsum(by_end, 1)[:, :L]).T
        return point, change

    def median(self, point):
        """Each point's posterior median of alpha (L,), the lattice values as bins of equal width."""
        import numpy as np

        p = point / point.sum(1, keepdims=True)
        cdf = np.cumsum(p, 1)
        k = np.argmax(cdf >= 0.5, axis=1)
        rows = np.arange(k.size)
        below = np.where(k > 0, cdf[rows, np.maximum(k - 1, 0)], 0.0)
        step = self.lattice[1] - self.lattice[0]
        return self.lattice[k] + step * ((0.5 - below) / p[rows, k] - 0.5)


def claimed_changes(change, threshold: float):
    """Changes where the posterior mass within +-WINDOW frames exceeds `threshold`, most probable first,
    each at its window's posterior median, windows not overlapping."""
    import numpy as np

    mass = np.convolve(change, np.ones(2 * WINDOW + 1), "same")
    out = []
    while mass.max() > threshold:
        i = int(np.argmax(mass))
        lo, hi = max(i - WINDOW, 0), min(i + WINDOW + 1, change.size)
        cdf = np.cumsum(change[lo:hi])
        out.append(lo + int(np.searchsorted(cdf, cdf[-1] / 2)))
        mass[max(i - 2 * WINDOW, 0): i + 2 * WINDOW + 1] = -1.0
    return np.sort(np.array(out, dtype=int))


def _scale_marginal(q, m, factor):
    """log of the mean over c = f^2 (log f uniform on `factor`) of c^-m exp(-q / (2 c)): a segment's
    likelihood with its covariance scaled by c, c integrated out, for whitened sum of squares q over both
    axes and m increments per axis (q, m broadcast; -inf where m = 0, which no segment has).

    With u = q / (2 c) the integral over log c is (2 / q)^m [gamma(m, q / 2c_lo) - gamma(m, q / 2c_hi)]
    (gamma the lower incomplete gamma function), taken from the lower or the upper function, whichever is
    smaller, so that neither side cancels (_log_gamma_between)."""
    import numpy as np

    c_lo, c_hi = factor[0] ** 2, factor[1] ** 2
    m = np.broadcast_to(m, q.shape).astype(np.float64)
    ok = m > 0
    mm, qq = m[ok], np.maximum(q[ok], 1e-300)
    out = np.full(q.shape, -np.inf)
    width = np.log(c_hi / c_lo)  # of the prior's range of log c
    out[ok] = mm * np.log(2 / qq) + _log_gamma_between(mm, qq / (2 * c_hi), qq / (2 * c_lo)) - np.log(width)
    return out


def _log_gamma_between(a, lo, hi):
    """log of the integral of u^(a - 1) e^-u over [lo, hi] (a, lo < hi: arrays of one shape).

    scipy's regularised functions where they do not underflow; beyond (a span whose scale lies far outside
    the prior, with a tiny but finite weight) the series of the lower function or the continued fraction
    of the upper one, in logs."""
    import numpy as np
    from scipy.special import gammainc, gammaincc, gammaln

    tiny = 1e-280
    out = np.empty_like(lo)
    lower = gammainc(a, hi) < 0.5  # most of the mass above hi: the lower function at both ends
    with np.errstate(divide="ignore"):
        # (points, regularised function, its log where it underflows, the end where it is larger, the other)
        for side, regularised, log_tail, near, far in [(lower, gammainc, _log_lower_series, hi, lo),
                                                       (~lower, gammaincc, _log_upper_fraction, lo, hi)]:
            big, small = regularised(a[side], near[side]), regularised(a[side], far[side])
            fine = big > tiny
            vals = np.empty(big.shape)
            vals[fine] = gammaln(a[side][fine]) + np.log(big[fine]) + np.log1p(-small[fine] / big[fine])
            if not fine.all():
                aa, n_, f_ = a[side][~fine], near[side][~fine], far[side][~fine]
                log_big, log_small = log_tail(aa, n_), log_tail(aa, f_)
                vals[~fine] = log_big + np.log1p(-np.exp(log_small - log_big))
            out[side] = vals
    return out


def _log_lower_series(a, x, terms: int = 400):
    """log of the lower incomplete gamma function, x^a e^-x sum_k x^k / (a (a + 1) ... (a + k)), for x well
    below a (where scipy's regularised value underflows)."""
    import numpy as np

    term = 1.0 / a
    total = term.copy()
    for k in range(1, terms):
        term = term * x / (a + k)
        total += term
    return a * np.log(x) - x + np.log(total)


def _log_upper_fraction(a, x, terms: int = 200):
    """log of the upper incomplete gamma function by its continued fraction (modified Lentz), for x well
    above a (where scipy's regularised value underflows)."""
    import numpy as np

    tiny = 1e-300
    b = x + 1 - a
    c = np.full(x.shape, 1 / tiny)
    d = 1 / b
    h = d.copy()
    for i in range(1, terms):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        h = h * d * c
    return a * np.log(x) - x + np.log(h)


def _lse(x, axis):
    """log sum exp along `axis`, all -inf slices giving -inf (no segmentation reaches there). Written here
    because scipy.special.logsumexp, with its extra handling, made the posterior twice as slow."""
    import numpy as np

    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis) + np.log(np.sum(np.exp(x - top), axis=axis))


_FLOOR = None


def _track(args):
    """(posterior medians (L,), change probabilities (L,)) of one track, in a worker."""
    global _FLOOR
    length, count, min_jump, noise, factor, x = args
    import numpy as np

    if _FLOOR is None or _FLOOR.key != (length, min_jump, noise, factor):
        _FLOOR = Floor(length, np.linspace(0.05, 1.99, count), min_jump, noise, factor)
    point, change = _FLOOR.posterior(_FLOOR.segment_logliks(x))
    return _FLOOR.median(point), change


def self_check(lattice) -> None:
    """The span table against uandi.likelihood.loglikelihood, and the posterior's sums, on one track."""
    import numpy as np

    from uandi.likelihood import loglikelihood
    from uandi.simulate import dataset

    x = dataset("alpha", 1, 120, np.random.default_rng(5), min_alpha_jump=0.5).x[0].astype(np.float64)
    spans = [(3, 0, 50), (20, 1, 30), (len(lattice) - 1, 37, 120), (10, 100, 110)]
    for noise, factor in [(0.0, None), (0.1, None), (0.0, (0.5, 2.0))]:
        floor = Floor(120, lattice, 0.5, noise, factor)
        table = floor.segment_logliks(x)
        for k, s, e in spans:
            piece = x[max(s, 1) - 1: e]
            if factor is None:
                exact = loglikelihood(piece, lattice[k], 0.5, noise)
            else:
                exact = _scale_marginal_by_quadrature(piece, lattice[k], factor)
            assert abs(table[k, s, e] - exact) < 1e-4 * abs(exact), (noise, factor, k, s, e, table[k, s, e], exact)
        point, change = floor.posterior(table)
        assert np.allclose(point.sum(1), 1.0) and 1 - 1e-9 <= change.sum() <= 4 + 1e-9


def _scale_marginal_by_quadrature(positions, alpha: float, factor) -> float:
    """_scale_marginal's value for one segment by adaptive quadrature over log c of
    uandi.likelihood.loglikelihood at K = c / 2 (independent of the incomplete gamma functions)."""
    import numpy as np
    from scipy.integrate import quad

    from uandi.likelihood import loglikelihood

    lo, hi = 2 * np.log(factor[0]), 2 * np.log(factor[1])

    def at(log_c):
        return loglikelihood(positions, alpha, 0.5 * np.exp(log_c), 0.0)

    top = max(at(c) for c in np.linspace(lo, hi, 41))  # the integrand's scale, so that exp() stays finite
    area = quad(lambda c: np.exp(at(c) - top), lo, hi, epsabs=0, epsrel=1e-9, limit=200)[0]
    return top + np.log(area / (hi - lo))


def _mean_se(values) -> str:
    """'mean +- standard error' of per-track values."""
    return f"{values.mean():.4f} +- {values.std(ddof=1) / values.size ** 0.5:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="tracks per set (the first n of accuracy.py's sets)")
    ap.add_argument("--lattice", type=int, default=98, help="alpha values over [0.05, 1.99]")
    ap.add_argument("--threshold", type=float, default=0.5, help="posterior mass that claims a change")
    ap.add_argument("--sets", nargs="+", default=FIRST_SETS, choices=list(SETS), metavar="SET")
    ap.add_argument("--block", default="bayes_floor", help="name of the block that --write replaces")
    ap.add_argument("--threads", type=int, default=1, help="processes (one BLAS thread each)")
    ap.add_argument("--write", metavar="MARKDOWN")
    a = ap.parse_args()
    pin_threads(1)  # before numpy is imported
    import multiprocessing as mp

    import numpy as np
    import torch

    from _report import markdown_table, write_block
    from accuracy import ALPHA_SETS
    from uandi.metrics import changepoint_scores
    from uandi.predict import load
    from uandi.simulate import dataset

    torch.set_num_threads(1)
    lattice = np.linspace(0.05, 1.99, a.lattice)
    self_check(lattice)
    net = load("alpha-fbm")
    rows = []
    for name in a.sets:
        index = SETS[name]
        set_name, length, opts = ALPHA_SETS[index]
        assert set_name == name, "benchmarks/accuracy.py's sets moved"
        min_jump = float(opts.get("min_alpha_jump", 0.0))
        noise, factor = float(opts.get("noise", 0.0)), opts.get("diffusion_factor")
        full = dataset("alpha", 2000, length, np.random.default_rng([SEED0, index]), **opts)
        x, alpha, truth = full.x[: a.n].astype(np.float64), full.alpha[: a.n], full.changepoints[: a.n]
        t = time.time()
        with mp.get_context("fork").Pool(a.threads) as pool:
            out = pool.map(_track, [(length, a.lattice, min_jump, noise, factor, track) for track in x],
                           chunksize=1)
        seconds = time.time() - t
        median = np.stack([m for m, _ in out])
        segs = net.segment(x, workers=a.threads)
        product = np.stack([np.repeat(np.clip(s["alpha"], 0.05, 2.0), s.lengths) for s in segs])
        err_floor, err_product = np.abs(median - alpha).mean(1), np.abs(product - alpha).mean(1)  # (n,)
        gap = err_product - err_floor
        f1_grid = {th: changepoint_scores([claimed_changes(c, th) for _, c in out], truth)["f1"]
                   for th in sorted({0.3, 0.4, 0.5, 0.6, 0.7, a.threshold})}
        best = max(f1_grid, key=f1_grid.get)
        rows.append([name, a.n, f"{err_product.mean():.4f}", _mean_se(err_floor), _mean_se(gap),
                     f"{changepoint_scores([s.changepoints for s in segs], truth)['f1']:.3f}",
                     f"{f1_grid[a.threshold]:.3f}", f"{f1_grid[best]:.3f} ({best})",
                     f"{seconds / a.n:.1f}"])
        print(rows[-1], flush=True)
    header = ["set", "tracks", "product MAE", "Bayes floor MAE (+- se)", "product - floor (track-paired, +- se)",
              "product F1", f"floor's F1 (mass > {a.threshold})", "floor's best F1 (threshold)",
              "wall seconds per track"]
    body = "\n".join([f"`{reproduce_command(__file__, ap, a)}` - the first {a.n} tracks of each set of "
                      "benchmarks/accuracy.py; the floor: each point's posterior median of alpha over all "
                      "segmentations, under the generator's own model and prior (K known; on the K-changes set "
                      "each segment's scale integrated out over its log-uniform prior; the noise's sigma known); "
                      "the product: "
                      "`Predictor.segment` on the same tracks; wall seconds per track of the floor with "
                      f"{a.threads} processes.", ""] + markdown_table(header, rows))
    print(body)
    if a.write:
        write_block(a.write, a.block, body)


if __name__ == "__main__":
    main()
