"""Statistical and contract tests of the simulator, uandi.simulate (SCIENCE.md section 2).

Units: time in frames (step 1), positions in each model's native units unless a test says scale-free.

Statistical tests compare an estimate with its expectation and allow 5 standard errors, the error
derived (Gaussian models) or measured from independent trajectories (delta method over the ensemble).
Under a correct simulator a 5-sigma miss has probability ~6e-7 per comparison; every generator is
seeded, so a run is reproducible and a failure points at the code, not at luck.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from uandi.constants import ALPHA_RANGES, MIN_SEGMENT, MODELS, TASK1_ALPHA_RANGE
from uandi.simulate import dataset, segment_lengths, trajectories
from uandi.simulate._common import completed_renewals, normal_pairs, pareto_times
from uandi.simulate.models import generate_steps

Z = 5.0  # tolerance in standard errors, see the module docstring

# Lags of the long-time regime of the renewal models (SCIENCE.md: lags 100-1600 of 2000-point
# trajectories). Log-spaced so every decade weighs the same in the fit. The ensemble MSD is measured
# from t = 0, so points after the last lag do not matter: 1601-point trajectories suffice.
LONG_LAGS = np.unique(np.round(100 * 2 ** (np.arange(9) / 2)).astype(int))  # 100 ... 1600
SHORT_LAGS = np.arange(1, 33)


# ---------------------------------------------------------------------------------------------
# Helpers: exponent fits and independent reference simulations written from the definitions
# ---------------------------------------------------------------------------------------------


def slope_weights(lags) -> np.ndarray:
    """w such that w @ log(msd) is the least-squares slope of log(msd) against log(lag)."""
    log_t = np.log(np.asarray(lags, dtype=float))
    centred = log_t - log_t.mean()
    return centred / (centred @ centred)


def squared_displacement(positions: np.ndarray, lags) -> np.ndarray:
    """|r(t) - r(0)|^2 at each lag, one row per trajectory: (N, len(lags))."""
    return ((positions[:, lags, :] - positions[:, :1, :]) ** 2).sum(axis=-1)


def msd_exponent(sq: np.ndarray, lags) -> tuple[float, float, np.ndarray]:
    """Ensemble-MSD exponent, its standard error and the relative standard error of each lag's MSD.

    sq: (N, m) squared displacements of N independent trajectories. The error comes from the delta
    method: log(mean) ~ log(mu) + (mean - mu) / mu, with the covariance of sq across lags measured on
    the ensemble itself (trajectories are independent, lags of one trajectory are not).
    """
    msd = sq.mean(axis=0)
    rel_cov = np.cov(sq / msd, rowvar=False) / sq.shape[0]
    w = slope_weights(lags)
    return float(w @ np.log(msd)), float(np.sqrt(w @ rel_cov @ w)), np.sqrt(np.diag(rel_cov))


def renewal_function_bounds(alpha: float, t_max: float, h: float = 0.25) -> tuple[np.ndarray, np.ndarray, float]:
    """Exact bounds on U(t) = E[number of renewals completed by t] for P(tau > s) = s^-alpha, s >= 1.

    Rounding every waiting time down (up) to the grid h only moves renewals earlier (later), path by
    path, so the lattice renewal functions bracket U. Each is exact for its lattice distribution:
    u_i = sum_{j <= i} p_j (1 + u_{i-j}). Returns (U_lower, U_upper) on the grid 0, h, ..., t_max and h.
    """
    n = int(round(t_max / h))
    m0 = int(round(1.0 / h))  # no wait is shorter than 1 = m0 grid steps
    grid = np.arange(n + 2) * h
    survival = np.where(grid > 1.0, np.maximum(grid, 1.0) ** -alpha, 1.0)
    p_down = survival[:-1] - survival[1:]  # P(j h <= tau < (j+1) h): rounded down to j h
    p_up = np.concatenate([[0.0], survival[:n] - survival[1 : n + 1]])  # P((j-1) h < tau <= j h)
    bounds = []
    for p in (p_up, p_down[: n + 1]):
        cum = np.cumsum(p)
        u = np.zeros(n + 1)
        rev = np.zeros(n + 1)  # rev[n - k] = u[k], so u[i - m0], ..., u[0] is the contiguous rev[n - i + m0:]
        for i in range(m0, n + 1):
            u[i] = cum[i] + p[m0 : i + 1] @ rev[n - i + m0 :]
            rev[n - i] = u[i]
        bounds.append(u)
    return bounds[0], bounds[1], h


def reference_levy_walk(rng: np.random.Generator, alpha: float, times, n: int) -> np.ndarray:
    """Levy walk event by event, from its definition: positions (n, len(times), 2) at sorted times.

    Flights last tau with P(tau > s) = s^-(3 - alpha) for s >= 1 (numpy's own Pareto sampler), at
    speed 1 in a uniformly random direction; a flight starts at t = 0; straight line within a flight.
    """
    sigma = 3.0 - alpha
    out = np.empty((n, len(times), 2))
    for i in range(n):
        draws = int(times[-1]) + 2  # every flight lasts >= 1: enough flights to pass the last time
        durations = iter((1.0 + rng.pareto(sigma, draws)).tolist())
        angles = iter(rng.uniform(0.0, 2.0 * math.pi, draws).tolist())
        start, x, y = 0.0, 0.0, 0.0
        tau, theta = next(durations), next(angles)
        for j, t in enumerate(times):
            while start + tau <= t:  # the flight ends before this observation: turn
                x += tau * math.cos(theta)
                y += tau * math.sin(theta)
                start += tau
                tau, theta = next(durations), next(angles)
            out[i, j, 0] = x + (t - start) * math.cos(theta)
            out[i, j, 1] = y + (t - start) * math.sin(theta)
    return out


def reference_attm(rng: np.random.Generator, alpha: float, times, n: int) -> np.ndarray:
    """ATTM event by event, from its definition: positions (n, len(times), 2) at sorted times.

    Periods tau with P(tau > s) = s^-alpha (s >= 1), diffusivity D = tau^(-1/gamma) during a period,
    gamma uniform in [1, min(2, 1/(1 - alpha))) per trajectory (attm.py's documented choice, which
    keeps sigma < gamma < sigma + 1). Brownian motion with piecewise constant D: the displacement
    between observations is Gaussian with per-axis variance 2 * integral of D.
    """
    upper = 2.0 if alpha >= 1.0 else min(2.0, 1.0 / (1.0 - alpha))
    out = np.empty((n, len(times), 2))
    for i in range(n):
        gamma = 1.0 + rng.random() * (upper - 1.0)
        periods = iter((1.0 + rng.pareto(alpha, int(times[-1]) + 2)).tolist())  # each period >= 1
        start, clock, tau = 0.0, 0.0, next(periods)
        clocks = []
        for t in times:
            while start + tau <= t:
                clock += tau ** (1.0 - 1.0 / gamma)  # D * tau for a finished period
                start += tau
                tau = next(periods)
            clocks.append(clock + tau ** (-1.0 / gamma) * (t - start))
        var = 2.0 * np.diff(np.concatenate([[0.0], clocks]))
        out[i] = np.cumsum(rng.standard_normal((len(times), 2)) * np.sqrt(var)[:, None], axis=0)
    return out


# ---------------------------------------------------------------------------------------------
# Ensemble MSD
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, alpha",
    [("fbm", 0.05), ("fbm", 1.0), ("fbm", 1.99), ("sbm", 0.05), ("sbm", 1.0), ("sbm", 2.0)],
)
def test_gaussian_models_have_msd_2t_alpha_per_axis_at_every_lag(model, alpha, rng):
    n = 4000
    x = trajectories(model, n, 200, alpha, rng)
    sq = squared_displacement(x, SHORT_LAGS)
    msd = sq.mean(axis=0)
    # Exact spread: per-axis covariance c(s, t) of the positions, Isserlis: cov(x_s^2, x_t^2) = 2 c^2,
    # so the relative covariance of the 2D squared displacements is rho(s, t)^2 / n.
    s, t = np.meshgrid(SHORT_LAGS.astype(float), SHORT_LAGS.astype(float), indexing="ij")
    if model == "fbm":
        cov = s**alpha + t**alpha - np.abs(s - t) ** alpha
    else:  # SBM has independent increments: cov = var(min(s, t))
        cov = 2.0 * np.minimum(s, t) ** alpha
    rho2 = cov**2 / np.outer(np.diag(cov), np.diag(cov))
    w = slope_weights(SHORT_LAGS)
    se = math.sqrt(w @ rho2 @ w / n)
    slope = float(w @ np.log(msd))
    assert abs(slope - alpha) < Z * se, (slope, alpha, se)
    # The level too (K = 1): 2D MSD = 4 t^alpha; each lag's mean has relative standard error 1/sqrt(n).
    assert np.all(np.abs(msd / (4.0 * SHORT_LAGS**alpha) - 1.0) < Z / math.sqrt(n))


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.0])
def test_ctrw_msd_equals_renewal_function(alpha, rng):
    """2D MSD of a CTRW with unit-variance jumps is exactly 2 E[n(t)], n(t) = jumps completed by t.

    E[n(t)] is computed independently (renewal equation), so this checks the finite-time exponent at
    the range ends too: at alpha = 0.05, P(no jump by t) = t^-0.05 is still ~0.7 at t = 1000 and the
    local slope on lags 100-1600 is ~0.15, which is correct physics, not a bug.
    """
    n = 2000
    x = trajectories("ctrw", n, LONG_LAGS[-1] + 1, alpha, rng)
    slope, se, rel_se = msd_exponent(squared_displacement(x, LONG_LAGS), LONG_LAGS)
    u_low, u_high, h = renewal_function_bounds(alpha, float(LONG_LAGS[-1]))
    idx = np.round(LONG_LAGS / h).astype(int)
    w = slope_weights(LONG_LAGS)
    expected = sorted([float(w @ np.log(u_low[idx])), float(w @ np.log(u_high[idx]))])
    assert expected[0] - Z * se < slope < expected[1] + Z * se, (slope, expected, se)
    msd_per_axis = squared_displacement(x, LONG_LAGS).mean(axis=0) / 2.0
    assert np.all(msd_per_axis > u_low[idx] * (1 - Z * rel_se))
    assert np.all(msd_per_axis < u_high[idx] * (1 + Z * rel_se))
    if alpha == 0.5:
        # Away from the range ends the long-time exponent is within ~0.15 of alpha (SCIENCE.md).
        assert abs(slope - alpha) < 0.15


@pytest.mark.parametrize(
    "model, alpha", [("lw", 1.0), ("lw", 1.5), ("lw", 2.0), ("attm", 0.05), ("attm", 0.5), ("attm", 1.0)]
)
def test_renewal_models_msd_match_event_driven_reference(model, alpha, rng):
    """Ours (vectorised) against a plain event loop from the model's definition, on lags 100-1600.

    Two independent samples: the difference of exponents has variance se_ours^2 + se_ref^2, and the
    log-ratio of each lag's MSD rel_ours^2 + rel_ref^2. At the range ends the finite-time exponent is
    far from alpha (LW alpha = 2: t^2 / ln t gives ~1.83; ATTM alpha = 0.05: most walkers sit in one
    period), so there the reference, not alpha, is the expectation.
    """
    ours = trajectories(model, 2000, LONG_LAGS[-1] + 1, alpha, rng)
    sq_ours = squared_displacement(ours, LONG_LAGS)
    reference = reference_levy_walk if model == "lw" else reference_attm
    sq_ref = (reference(rng, alpha, LONG_LAGS, 1000) ** 2).sum(axis=-1)
    b_ours, se_ours, rel_ours = msd_exponent(sq_ours, LONG_LAGS)
    b_ref, se_ref, rel_ref = msd_exponent(sq_ref, LONG_LAGS)
    assert abs(b_ours - b_ref) < Z * math.hypot(se_ours, se_ref), (b_ours, b_ref, se_ours, se_ref)
    log_ratio = np.log(sq_ours.mean(axis=0) / sq_ref.mean(axis=0))
    assert np.all(np.abs(log_ratio) < Z * np.hypot(rel_ours, rel_ref)), log_ratio
    if alpha == 0.5 or alpha == 1.5:
        assert abs(b_ours - alpha) < 0.15  # moderate alpha: within ~0.15 at long times (SCIENCE.md)


# ---------------------------------------------------------------------------------------------
# Per-model distributions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alpha, steps, dtype",
    [(0.3, 200, np.float64), (1.0, 200, np.float64), (1.7, 200, np.float64),
     # the float32 path the datasets use, at a prime length (circulant of size 200 > 2 * 97)
     (0.3, 97, np.float32), (1.7, 97, np.float32), (1.99, 97, np.float32)],
)
def test_fbm_increments_are_fractional_gaussian_noise(alpha, steps, dtype, rng):
    n = 1000
    if dtype == np.float64:
        dx = np.diff(trajectories("fbm", n, steps + 1, alpha, rng), axis=1)  # (n, steps, 2)
    else:
        dx = generate_steps("fbm", np.full(n, alpha), steps, rng, dtype)
        assert dx.dtype == np.float32 and dx.shape == (n, steps, 2)
        dx = dx.astype(np.float64)
    for k in range(6):
        # Per-trajectory time averages are independent across trajectories: their spread gives the SE.
        per_traj = (dx[:, : steps - k] * dx[:, k:]).mean(axis=(1, 2))
        expected = 2.0 * 0.5 * (abs(k + 1) ** alpha - 2 * k**alpha + abs(k - 1) ** alpha)  # K = 1: x2
        se = per_traj.std(ddof=1) / math.sqrt(n)
        assert abs(per_traj.mean() - expected) < Z * se, (k, per_traj.mean(), expected, se)
    for k in range(-5, 6):  # x and y independent: cross-covariance ~0 at every small lag
        a, b = (dx[:, : steps - k, 0], dx[:, k:, 1]) if k >= 0 else (dx[:, -k:, 0], dx[:, : steps + k, 1])
        per_traj = (a * b).mean(axis=1)
        assert abs(per_traj.mean()) < Z * per_traj.std(ddof=1) / math.sqrt(n), k


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.0, 1.5, 2.0])
def test_sbm_steps_independent_with_variance_2_times_t_alpha_difference(alpha, rng):
    n, length = 4000, 100
    dx = np.diff(trajectories("sbm", n, length, alpha, rng), axis=1)  # (n, L - 1, 2)
    t = np.arange(1, length, dtype=float)
    expected = 2.0 * (t**alpha - (t - 1.0) ** alpha)  # per-axis variance of step t
    var = (dx**2).mean(axis=(0, 2))
    # Mean of 2n independent chi-square(1) variables times expected: relative SE 1/sqrt(n).
    assert np.all(np.abs(var / expected - 1.0) < Z / math.sqrt(n))
    # Independent increments: normalised neighbours have correlation ~0, SE 1/sqrt(2 n (L - 2)).
    z = dx / np.sqrt(expected)[None, :, None]
    corr = (z[:, 1:] * z[:, :-1]).mean()
    assert abs(corr) < Z / math.sqrt(2 * n * (length - 2))


def test_normal_pairs_are_independent_standard_normals(rng):
    n = 200_000
    z = normal_pairs(rng, (n,)).astype(np.float64)  # (n, 2)
    for axis in range(2):
        assert stats.kstest(z[:, axis], "norm").pvalue > 1e-4
        # tails: P(|z| > 3) = 0.0027, a binomial proportion
        p = 2 * stats.norm.sf(3.0)
        assert abs((np.abs(z[:, axis]) > 3).mean() - p) < Z * math.sqrt(p * (1 - p) / n)
    # the two members of a pair are independent (not only uncorrelated): correlations of z and z^2
    # are ~0 with standard error 1/sqrt(n)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < Z / math.sqrt(n)
    assert abs(np.corrcoef(z[:, 0] ** 2, z[:, 1] ** 2)[0, 1]) < Z / math.sqrt(n)
    assert normal_pairs(rng, (3, 4), np.float32).shape == (3, 4, 2)


@pytest.mark.parametrize("model", MODELS)
def test_float32_steps_match_the_float64_model(model, rng):
    """The datasets draw each model's increments in float32: same per-step variance as float64."""
    lo, hi = ALPHA_RANGES[model]
    alpha = np.full(4000, (lo + hi) / 2)
    var32 = (generate_steps(model, alpha, 50, rng, np.float32).astype(np.float64) ** 2).mean(axis=2)  # (n, 50)
    var64 = (generate_steps(model, alpha, 50, rng) ** 2).mean(axis=2)
    for t in (0, 9, 49):  # two independent samples of the step variance at step t + 1
        diff = var32[:, t].mean() - var64[:, t].mean()
        se = math.sqrt((var32[:, t].var() + var64[:, t].var()) / alpha.size)
        assert abs(diff) <= Z * se, (t, diff, se)  # CTRW: no jump is ever done by t = 1 (waits >= 1)


def test_pareto_times_have_power_law_tails(rng):
    # CTRW/ATTM exponents alpha at the range ends and middle, LW exponents sigma = 3 - alpha for
    # alpha = 2, 1.5, 1.
    exponents = np.array([0.05, 0.5, 1.0, 1.5, 2.0])
    n = 200_000
    tau = pareto_times(rng, exponents, (exponents.size, n))
    assert tau.shape == (exponents.size, n) and tau.min() >= 1.0 and np.isfinite(tau).all()
    log_tau = np.log(tau)
    cap = log_tau.max(axis=1, keepdims=True)
    for e, row in zip(exponents, log_tau):
        # log(tau) ~ Exp(e), right-censored at the 1e12 cap (25% of draws at e = 0.05): the censored
        # Hill/ML estimate is (#uncensored) / sum(log tau), with standard error e / sqrt(#uncensored).
        censored = row >= 27.6 - 1e-9
        d = int((~censored).sum())
        hill = d / row.sum()
        assert abs(hill - e) < Z * e / math.sqrt(d), (e, hill)
        for s in (10.0, 100.0, 1000.0):  # log-survival: P(tau > s) = s^-e, binomial standard error
            p = s**-e
            assert abs((row > math.log(s)).mean() - p) < Z * math.sqrt(p * (1 - p) / n), (e, s)
    assert np.all(cap <= 27.6 + 1e-9)


def test_completed_renewals_matches_a_naive_count(rng):
    length, n = 60, 40
    durations = np.where(
        rng.random((n, length)) < 0.3,
        rng.integers(1, 4, (n, length)).astype(float),  # integer durations: renewals exactly on the grid
        1.0 + rng.pareto(0.8, (n, length)),
    )
    durations[0] = 1.0  # a renewal at every integer time
    durations[1, 0] = 1e12  # one flight longer than the trajectory
    k, starts = completed_renewals(durations, length)
    assert k.shape == (n, length) and starts.shape == (n, length + 1)
    for i in range(n):
        ends, total = [], 0.0
        for d in durations[i]:
            total += d
            ends.append(total)
        assert starts[i, 0] == 0.0 and np.array_equal(starts[i, 1:], ends)
        for t in range(length):
            assert k[i, t] == sum(end <= t for end in ends), (i, t)
    assert np.array_equal(k[0], np.arange(length)) and np.all(k[1] == 0)


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.0])
def test_ctrw_waiting_time_exponent_is_alpha(alpha, rng):
    # No jump completed by t (position still exactly 0) has probability P(tau_1 > t) = t^-alpha. Small
    # t also pins the observation convention: a jump at time 1.5 shows from frame 2 on, not frame 1.
    n = 20_000
    x = trajectories("ctrw", n, 101, alpha, rng)
    assert np.all(x[:, 1] == 0.0)  # tau >= 1: no jump is completed by t = 1 (tau = 1 has probability 0)
    for t in (2, 10, 100):
        p = t**-alpha
        stuck = np.all(x[:, t] == 0.0, axis=1).mean()
        assert abs(stuck - p) < Z * math.sqrt(p * (1 - p) / n), (t, stuck, p)


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0])
def test_levy_walk_flight_time_exponent_is_3_minus_alpha(alpha, rng):
    # Still in the first flight at t (|r(t)| = t at speed 1) has probability P(tau_1 >= t) = t^-sigma.
    n, sigma = 20_000, 3.0 - alpha
    x = trajectories("lw", n, 21, alpha, rng)
    for t in (3, 20):
        p = t**-sigma
        straight = (np.abs(np.linalg.norm(x[:, t], axis=1) - t) < 1e-9 * t).mean()
        assert abs(straight - p) < Z * math.sqrt(p * (1 - p) / n), (t, straight, p)


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0])
def test_levy_walk_moves_at_unit_speed(alpha, rng):
    n, length = 400, 500
    step = np.linalg.norm(np.diff(trajectories("lw", n, length, alpha, rng), axis=1), axis=2)
    assert step.max() <= 1.0 + 1e-9  # speed 1: no unit time step covers more than distance 1
    # A step has length exactly 1 unless a turn falls inside it; the fraction of such straight steps
    # per trajectory is compared with the event-driven reference (two samples of independent rows).
    ref = np.linalg.norm(np.diff(reference_levy_walk(rng, alpha, np.arange(length), n), axis=1), axis=2)
    ours_straight = (step > 1.0 - 1e-9).mean(axis=1)
    ref_straight = (ref > 1.0 - 1e-9).mean(axis=1)
    se = math.sqrt(ours_straight.var(ddof=1) / n + ref_straight.var(ddof=1) / n)
    assert abs(ours_straight.mean() - ref_straight.mean()) < Z * se
    if alpha == 2.0:  # near-ballistic: turns are rare, most steps have length 1
        assert ours_straight.mean() > 0.7


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("length, n", [(2, 20), (3, 20), (1000, 40)])
def test_no_nan_or_inf_at_the_range_ends(model, length, n, rng):
    lo, hi = ALPHA_RANGES[model]
    for alpha in (lo, 0.5 * (lo + hi), hi):
        x = trajectories(model, n, length, alpha, rng)
        assert x.shape == (n, length, 2) and x.dtype == np.float64
        assert np.isfinite(x).all(), (model, alpha)
        assert np.all(x[:, 0] == 0.0)  # every trajectory starts at the origin


def test_alpha_may_be_given_per_trajectory(rng):
    alpha = np.array([0.05, 1.99] * 1000)
    sq = squared_displacement(trajectories("fbm", alpha.size, 33, alpha, rng), [32])[:, 0]
    # per-axis MSD 2 t^alpha: 2D mean 4 * 32^alpha within 5 relative SE (1/sqrt(1000))
    for a, part in ((0.05, sq[0::2]), (1.99, sq[1::2])):
        assert abs(part.mean() / (4.0 * 32.0**a) - 1.0) < Z / math.sqrt(part.size)


# ---------------------------------------------------------------------------------------------
# Composition (dataset)
# ---------------------------------------------------------------------------------------------


def segments_of(cps, length):
    """(start, stop) of each segment from the changepoints (first point of each new segment)."""
    edges = [0, *map(int, cps), length]
    return list(zip(edges[:-1], edges[1:]))


def test_dataset_alpha_task_structure(rng):
    n, length = 2000, 200
    d = dataset("alpha", n, length, rng, min_alpha_jump=0.5)
    assert d.x.shape == (n, length, 2) and d.x.dtype == np.float32
    assert d.alpha.shape == (n, length) and d.model.shape == (n, length) and len(d) == n
    assert np.all(d.x[:, 0] == 0.0) and np.isfinite(d.x).all()
    assert np.all(d.model == MODELS.index("fbm")) and np.array_equal(d.y, d.alpha)
    counts = Counter()
    for i, cps in enumerate(d.changepoints):
        m = len(cps) + 1
        counts[m] += 1
        assert 2 <= m <= 5
        lengths = np.diff([0, *cps, length])
        assert lengths.sum() == length and lengths.min() >= MIN_SEGMENT
        # labels change exactly at the changepoints (0-based first point of the new segment)
        changes = np.flatnonzero(np.diff(d.alpha[i]) != 0) + 1
        assert np.array_equal(changes, cps)
        seg_alpha = d.alpha[i, [0, *cps]]
        assert np.all(np.abs(np.diff(seg_alpha)) > 0.5)
        assert TASK1_ALPHA_RANGE[0] <= seg_alpha.min() and seg_alpha.max() <= TASK1_ALPHA_RANGE[1]
    # M uniform in {2, ..., 5}: all occur, chi-square against equal counts (p below 1e-4 would mean a
    # biased draw; the seeded sample is fixed, so this is not a flaky test).
    assert sorted(counts) == [2, 3, 4, 5]
    assert stats.chisquare([counts[m] for m in (2, 3, 4, 5)]).pvalue > 1e-4


@pytest.mark.parametrize("task, scale", [("alpha", "free"), ("model", "free"), ("model", "native")])
def test_dataset_finite_at_length_1000(task, scale, rng):
    d = dataset(task, 100, 1000, rng, scale=scale, noise=0.125, diffusion_factor=(0.1, 10.0))
    assert d.x.shape == (100, 1000, 2) and np.isfinite(d.x).all() and np.isfinite(d.alpha).all()


def test_dataset_alpha_task_alphas_uniform_without_jump_constraint(rng):
    d = dataset("alpha", 1000, 100, rng, min_alpha_jump=0.0)
    seg_alpha = np.concatenate([d.alpha[i, [0, *cps]] for i, cps in enumerate(d.changepoints)])
    lo, hi = TASK1_ALPHA_RANGE
    assert stats.kstest(seg_alpha, stats.uniform(lo, hi - lo).cdf).pvalue > 1e-4


def test_dataset_model_task_consecutive_segments_differ(rng):
    n, length = 2000, 200
    d = dataset("model", n, length, rng)
    assert np.array_equal(d.y, d.model.astype(np.int64))
    transitions, per_model_alpha = Counter(), {m: [] for m in MODELS}
    for i, cps in enumerate(d.changepoints):
        changes = np.flatnonzero(np.diff(d.model[i]) != 0) + 1
        assert np.array_equal(changes, cps)  # class changes at, and only at, every changepoint
        for start, stop in segments_of(cps, length):
            name = MODELS[d.model[i, start]]
            assert np.all(d.alpha[i, start:stop] == d.alpha[i, start])
            per_model_alpha[name].append(d.alpha[i, start])
        classes = d.model[i, [0, *cps]]
        transitions.update(zip(classes[:-1].tolist(), classes[1:].tolist()))
    # The next class is uniform among the four others: 20 ordered pairs, equal expected counts.
    assert all(a != b for a, b in transitions) and len(transitions) == 20
    assert stats.chisquare(list(transitions.values())).pvalue > 1e-4
    for name, values in per_model_alpha.items():  # alpha uniform in the model's own range
        lo, hi = ALPHA_RANGES[name]
        values = np.asarray(values, dtype=float)
        assert lo - 1e-6 <= values.min() and values.max() <= hi + 1e-6
        assert stats.kstest(values, stats.uniform(lo, hi - lo).cdf).pvalue > 1e-4, name


@pytest.mark.parametrize("models", [("fbm", "lw"), ("attm", "ctrw", "sbm")])
def test_dataset_models_subset(models, rng):
    d = dataset("model", 300, 100, rng, models=models)
    allowed = {MODELS.index(m) for m in models}
    assert set(np.unique(d.model).tolist()) == allowed
    for i, cps in enumerate(d.changepoints):
        classes = d.model[i, [0, *cps]]
        assert np.all(classes[1:] != classes[:-1])


def test_dataset_repeated_model_names_still_give_differing_segments(rng):
    # Documented contract: consecutive segments differ. A repeated name must not break it
    # (either refused with a clear error or treated as the set of distinct names).
    try:
        d = dataset("model", 300, 100, rng, models=("fbm", "fbm", "lw"))
    except ValueError as err:
        assert "models" in str(err)
        return
    for i, cps in enumerate(d.changepoints):
        classes = d.model[i, [0, *cps]]
        assert np.all(classes[1:] != classes[:-1]), classes


def per_segment_step_sums(d, length):
    """(sum over steps and axes of squared steps, number of steps, is_first, class) per segment.

    Step p is x[p] - x[p-1] and belongs to the segment of point p, so the first segment has one step
    fewer than points (its first point is the origin) and every later segment's first step is the
    step across the changepoint, drawn from the new segment's model.
    """
    dx = np.diff(d.x.astype(np.float64), axis=1)  # (n, L - 1, 2); dx[:, p - 1] is step p
    rows = []
    for i, cps in enumerate(d.changepoints):
        for j, (start, stop) in enumerate(segments_of(cps, length)):
            steps = dx[i, max(start, 1) - 1 : stop - 1]
            rows.append(((steps**2).sum(), steps.shape[0], j == 0, int(d.model[i, start])))
    return rows


def test_scale_free_segments_have_unit_rms_step(rng):
    length = 200
    d = dataset("model", 200, length, rng, scale="free")
    stalled = 0
    for total, count, first, cls in per_segment_step_sums(d, length):
        if first:  # one step (the one leaving the origin) is dropped: at most the full 2 * (count + 1)
            assert total <= 2.0 * (count + 1) * (1 + 1e-4)
        elif total == 0.0:
            # A CTRW segment in which no jump completes cannot be rescaled (probability l^-alpha).
            assert MODELS[cls] == "ctrw"
            stalled += 1
        else:  # per-axis RMS step exactly 1: sum over steps and both axes = 2 * number of steps
            assert total / (2.0 * count) == pytest.approx(1.0, rel=1e-4), (MODELS[cls], count, total)
    assert stalled < 0.2 * len(d.changepoints)


def test_diffusion_factor_sets_the_rms_step(rng):
    length = 200
    d = dataset("alpha", 200, length, rng, diffusion_factor=(0.5, 3.0))
    for total, count, first, _ in per_segment_step_sums(d, length):
        if not first:
            assert 0.5 * (1 - 1e-4) <= math.sqrt(total / (2.0 * count)) <= 3.0 * (1 + 1e-4)


def test_dataset_is_continuous_at_changepoints(rng):
    length = 200
    d = dataset("alpha", 2000, length, rng)
    dx = np.diff(d.x.astype(np.float64), axis=1)
    at_cp = np.concatenate([dx[i, cps - 1] for i, cps in enumerate(d.changepoints)])  # (k, 2)
    # The step into a new segment is that segment's own first step: O(1) in scale-free units, like any
    # other step. A restart at the origin or any offset would make it of the order of the positions
    # (~sqrt(L) and more). Mean squared steps of scale-free FBM: ~1 per axis; allow a factor 2.
    typical = (dx**2).mean()
    assert 0.5 * typical < (at_cp**2).mean() < 2.0 * typical
    # Exact version: a native Levy walk moves at speed 1, so the step into any LW segment is <= 1.
    d = dataset("model", 500, length, rng, scale="native")
    dx = np.diff(d.x.astype(np.float64), axis=1)
    for i, cps in enumerate(d.changepoints):
        into_lw = cps[d.model[i, cps] == MODELS.index("lw")]
        assert np.all(np.linalg.norm(dx[i, into_lw - 1], axis=1) <= 1.0 + 1e-4)


def test_native_scale_keeps_model_units(rng):
    length = 100
    d = dataset("alpha", 1000, length, rng, scale="native")
    dx = np.diff(d.x.astype(np.float64), axis=1)
    # Native FBM with K = 1: every step has per-axis variance 2 (not 1 as scale-free would give).
    per_traj = (dx**2).mean(axis=(1, 2))
    assert abs(per_traj.mean() - 2.0) < Z * per_traj.std(ddof=1) / math.sqrt(per_traj.size)
    d = dataset("model", 500, length, rng, scale="native")
    dx = np.diff(d.x.astype(np.float64), axis=1)
    step = np.linalg.norm(dx, axis=2)
    lw_points = d.model[:, 1:] == MODELS.index("lw")
    assert step[lw_points].max() <= 1.0 + 1e-4  # LW speed 1, native units kept


def mean_squared_step_difference(noisy, clean):
    """Difference of the mean per-axis squared step, and its standard error from per-trajectory means."""
    a = (np.diff(noisy.x.astype(np.float64), axis=1) ** 2).mean(axis=(1, 2))
    b = (np.diff(clean.x.astype(np.float64), axis=1) ** 2).mean(axis=(1, 2))
    return a.mean() - b.mean(), math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)


def test_noise_adds_two_sigma_squared_to_the_step_variance_scale_free():
    # Noise eta ~ N(0, sigma^2) on each position: a step gains eta_p - eta_(p-1), variance 2 sigma^2
    # per axis (the RMS step of every segment is 1 in scale-free units).
    sigma, n, length = 0.5, 1000, 100
    clean = dataset("alpha", n, length, np.random.default_rng(1))
    noisy = dataset("alpha", n, length, np.random.default_rng(2), noise=sigma)
    diff, se = mean_squared_step_difference(noisy, clean)
    assert abs(diff - 2 * sigma**2) < Z * se, (diff, se)


def test_noise_is_relative_to_the_segment_rms_step_native_scale():
    # Native FBM: per-axis RMS step^2 of a segment averages 2, so noise sigma_n * RMS adds 2 * 2 sigma^2.
    sigma, n, length = 0.5, 1000, 100
    clean = dataset("alpha", n, length, np.random.default_rng(1), scale="native")
    noisy = dataset("alpha", n, length, np.random.default_rng(2), scale="native", noise=sigma)
    diff, se = mean_squared_step_difference(noisy, clean)
    assert abs(diff - 4 * sigma**2) < Z * se, (diff, se)


def test_segment_lengths_uniform_over_compositions(rng):
    # L = 40 into 3 parts of at least 10: slack 10 into 3 parts, C(12, 2) = 66 compositions.
    length = 40
    all_compositions = {
        (a, b, length - a - b) for a in range(10, 31) for b in range(10, 31) if length - a - b >= 10
    }
    assert len(all_compositions) == math.comb(12, 2)
    n = 300 * len(all_compositions)
    lengths = segment_lengths(rng, np.full(n, 3), length)
    counts = Counter(map(tuple, lengths.tolist()))
    assert set(counts) == all_compositions
    assert stats.chisquare([counts[c] for c in sorted(all_compositions)]).pvalue > 1e-4
    # mixed M in one call, zero-padded, and the tight case (five segments of 10 in 50) terminates
    mixed = segment_lengths(rng, np.array([2, 5, 3]), 50)
    assert mixed.shape == (3, 5) and np.all(mixed.sum(axis=1) == 50)
    assert np.array_equal(mixed[1], [10] * 5) and np.all(mixed[0, 2:] == 0) and np.all(mixed[2, 3:] == 0)


def test_dataset_segment_lengths_uniform_over_compositions(rng):
    # The same through dataset(): changepoints of 2-segment trajectories of 30 points are uniform
    # over the 11 compositions (first length 10..20).
    d = dataset("alpha", 2200, 30, rng, n_segments=2)
    counts = Counter(int(cps[0]) for cps in d.changepoints)
    assert sorted(counts) == list(range(10, 21))
    assert stats.chisquare(list(counts.values())).pvalue > 1e-4


# ---------------------------------------------------------------------------------------------
# Reproducibility and input checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_trajectories_reproducible(model):
    alpha = 0.5 * sum(ALPHA_RANGES[model])
    a = trajectories(model, 20, 50, alpha, np.random.default_rng(7))
    b = trajectories(model, 20, 50, alpha, np.random.default_rng(7))
    c = trajectories(model, 20, 50, alpha, np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("task", ["alpha", "model"])
def test_dataset_reproducible(task):
    def make(seed):
        return dataset(task, 50, 100, np.random.default_rng(seed), noise=0.1, diffusion_factor=(0.5, 2.0))

    a, b, c = make(3), make(3), make(4)
    for field in ("x", "alpha", "model"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert all(np.array_equal(p, q) for p, q in zip(a.changepoints, b.changepoints))
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize(
    "model, alpha", [("fbm", 2.0), ("fbm", 0.0), ("sbm", 2.1), ("ctrw", 1.2), ("attm", 0.01), ("lw", 0.9)]
)
def test_alpha_outside_the_model_range_is_refused(model, alpha, rng):
    with pytest.raises(ValueError, match=rf"alpha for {model.upper()} must lie in"):
        trajectories(model, 5, 10, alpha, rng)


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="alpha"):
        trajectories("fbm", 5, 10, float("nan"), rng)
    with pytest.raises(ValueError, match=r"alpha must be a scalar or have shape \(5,\)"):
        trajectories("fbm", 5, 10, [0.5, 0.6], rng)
    with pytest.raises(ValueError, match=r"n \(number of trajectories\)"):
        trajectories("fbm", 0, 10, 0.5, rng)
    with pytest.raises(ValueError, match=r"n \(number of trajectories\)"):
        dataset("alpha", 0, 100, rng)
    with pytest.raises(ValueError, match=r"n \(number of trajectories\)"):
        trajectories("fbm", 2.5, 10, 0.5, rng)
    with pytest.raises(ValueError, match="length"):
        trajectories("fbm", 5, 1, 0.5, rng)
    with pytest.raises(ValueError, match="length 40 is too short"):
        dataset("alpha", 5, 40, rng)  # up to 5 segments of 10 points need 50
    with pytest.raises(ValueError, match="noise"):
        dataset("alpha", 5, 100, rng, noise=-0.1)
    with pytest.raises(ValueError, match="unknown diffusion model 'brownian'"):
        trajectories("brownian", 5, 10, 0.5, rng)
    with pytest.raises(ValueError, match="unknown diffusion model 'levy'"):
        dataset("model", 5, 100, rng, models=("fbm", "levy"))
    with pytest.raises(ValueError, match="at least two distinct models"):
        dataset("model", 5, 100, rng, models=("fbm",))
    with pytest.raises(ValueError, match="task"):
        dataset("segmentation", 5, 100, rng)
    with pytest.raises(ValueError, match="scale"):
        dataset("alpha", 5, 100, rng, scale="pixels")
    with pytest.raises(ValueError, match="min_alpha_jump"):
        dataset("alpha", 5, 100, rng, min_alpha_jump=1.5)
    with pytest.raises(ValueError, match="n_segments"):
        dataset("alpha", 5, 100, rng, n_segments=(3, 2))
    with pytest.raises(ValueError, match="diffusion_factor"):
        dataset("alpha", 5, 100, rng, diffusion_factor=(0.0, 1.0))
    for bad_rng in (42, None, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
            trajectories("fbm", 5, 10, 0.5, bad_rng)
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
            dataset("alpha", 5, 100, bad_rng)


def test_min_alpha_jump_holds_beyond_five_segments():
    d = dataset("alpha", 200, 100, np.random.default_rng(0), n_segments=(7, 9), min_alpha_jump=0.5)
    assert max(len(c) for c in d.changepoints) == 8
    for i, c in enumerate(d.changepoints):
        assert np.all(np.abs(np.diff(d.alpha[i, [0, *c]])) > 0.5)
