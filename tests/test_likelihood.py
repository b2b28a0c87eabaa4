"""The exact FBM likelihood: covariance facts, the lattice search against a dense reference, and the
statistics of the estimates on FBM sampled by dense Cholesky (independent of the package's simulator)."""

import numpy as np
import pytest
from scipy.linalg import cholesky

from uandi.likelihood import (
    ALPHA_LATTICE,
    BLUR_BLOCK,
    BLUR_CLEAR_SE,
    NOISE_LATTICE,
    SPAN_GRID,
    TRACK_NOISE_FACTORS,
    TRACK_SCREEN_LEVELS,
    ChangepointPosterior,
    _Evaluator,
    _KnownNoise,
    _between_levels,
    _grid_terms,
    _no_noise_fit,
    _parabola_peak,
    _prepare,
    _products_made,
    _profile,
    _score,
    _screen,
    _spline_peak,
    blur_evidence,
    changepoint_allowance,
    changepoint_posteriors,
    cramer_rao_alpha,
    fit_segments,
    increment_autocovariance,
    loglikelihood,
    missed_change_allowance,
    place_changepoints,
    pooled_noise_threshold,
    segment_positions,
    select_changepoints,
)


def sample_fbm(rng, alpha, K, sigma, n_steps, m, exposure=0.0):
    """m 2D tracks of n_steps + 1 positions with exact covariance (dense Cholesky of the increments')."""
    gamma = K * increment_autocovariance(alpha, n_steps, exposure=exposure)
    idx = np.arange(n_steps)
    lower = cholesky(gamma[np.abs(idx[:, None] - idx[None, :])], lower=True)
    inc = np.einsum("ij,mjk->mik", lower, rng.standard_normal((m, n_steps, 2)))
    pos = np.concatenate([np.zeros((m, 1, 2)), np.cumsum(inc, axis=1)], axis=1)
    return pos + sigma * rng.standard_normal(pos.shape)


def test_autocovariance_facts():
    g = increment_autocovariance(0.7, 5)
    assert g[0] == pytest.approx(2.0)  # per-axis MSD 2 K t^alpha at t = 1
    assert g[1] == pytest.approx(2**0.7 - 2)
    # Brownian motion: white increments; noise adds 2 s^2 at lag 0 and -s^2 at lag 1
    np.testing.assert_allclose(increment_autocovariance(1.0, 4, noise_ratio=0.5), [2.5, -0.25, 0, 0], atol=1e-12)
    # motion blur over a whole frame: lag-1 correlation 1/4 for Brownian motion, and tau -> 0 is no blur
    b = increment_autocovariance(1.0, 3, exposure=1.0)
    assert b[1] / b[0] == pytest.approx(0.25)
    np.testing.assert_allclose(increment_autocovariance(1.5, 6, exposure=0.01), increment_autocovariance(1.5, 6),
                               rtol=2e-3)
    # the variance that blur removes scales as tau^alpha (the path's own roughness within the exposure)
    deficit = [2.0 - increment_autocovariance(0.6, 2, exposure=t)[0] for t in (0.01, 0.0001)]
    assert deficit[1] / deficit[0] == pytest.approx(0.01**0.6, rel=0.05)


def test_lattice_profile_matches_dense_reference():
    rng = np.random.default_rng(0)
    pos = sample_fbm(rng, 0.8, 1.3, 0.0, 90, 1)[0]
    seg, _ = _prepare([pos])
    ia = int(np.flatnonzero(ALPHA_LATTICE == 0.8)[0])
    q, ld = _Evaluator(seg, 0.0)(np.array([0]), np.array([ia]), np.array([0]))
    k_hat = q[0] / (2 * 90)
    assert _profile(q, ld, 90)[0] == pytest.approx(loglikelihood(pos, 0.8, k_hat), rel=1e-9)
    # K_hat maximises the dense likelihood
    assert loglikelihood(pos, 0.8, k_hat) > loglikelihood(pos, 0.8, 1.05 * k_hat)
    assert loglikelihood(pos, 0.8, k_hat) > loglikelihood(pos, 0.8, 0.95 * k_hat)


def test_three_evaluation_paths_agree_with_the_dense_likelihood(monkeypatch):
    """The Durbin-Levinson recursion (lattice points few segments ask for), the Cholesky solve and the
    whitening product (shared grids) give the dense log-likelihood, with noise and blur, at any length."""
    import uandi.likelihood as lik

    monkeypatch.setattr(lik, "_FACTORS", lik._Factors(np.float64))  # nothing cached: the recursion runs
    rng = np.random.default_rng(3)
    segments = [sample_fbm(rng, a, 0.9, s, n, 1)[0] for a, s, n in ((0.3, 0.0, 70), (1.2, 0.4, 130), (1.97, 0.0, 200))]
    seg, n_in = _prepare(segments)
    points = [(int(np.flatnonzero(ALPHA_LATTICE == a)[0]), j) for a, j in ((0.5, 0), (1.2, 9), (1.97, 0))]
    for exposure in (0.0, 0.4):
        for path in ("levinson", "cholesky"):
            # one block per point goes to the recursion; many copies of the same block force a factor
            copies = 1 if path == "levinson" else 4
            rows = np.repeat(np.arange(3), copies)
            ia = np.repeat([p[0] for p in points], copies)
            js = np.repeat([p[1] for p in points], copies)
            q, ld = _Evaluator(seg, exposure)(rows, ia, js)
            for r in range(3):
                i = r * copies
                k_hat = q[i] / (2 * seg.n[r])
                dense = loglikelihood(segments[r], ALPHA_LATTICE[ia[i]], k_hat,
                                      NOISE_LATTICE[js[i]] * np.sqrt(k_hat), exposure=exposure)
                assert _profile(q[i], ld[i], seg.n[r]) == pytest.approx(dense, rel=1e-9), (path, exposure, r)
        # the whitening product on a shared grid, in single precision: within 1e-4 (far below a partition's
        # penalty of 5, and below the ~1 by which the profile changes over the fit grid's 0.05 in alpha)
        prof, _ = _grid_terms(seg, n_in, np.array([p[0] for p in points]), 0, exposure)
        for r in range(3):
            q, ld = _Evaluator(seg, exposure)(np.array([r]), np.array([points[r][0]]), np.array([0]))
            assert prof[r, r] == pytest.approx(_profile(q[0], ld[0], seg.n[r]), abs=1e-4)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 1.6])
def test_noise_free_estimates_are_unbiased_with_honest_errors(alpha):
    m, n = 300, 200
    rng = np.random.default_rng(int(alpha * 10))
    fit = fit_segments(list(sample_fbm(rng, alpha, 0.7, 0.0, n, m)), noise=False)
    err = fit.alpha - alpha
    spread = err.std()
    # bias: the MLE's own O(1/n) bias is -0.005 to -0.015 at n = 200 (docs/likelihood.md); the mean
    # error's standard error here is 0.004
    assert abs(err.mean()) < 0.02
    # reported error vs spread: the spread's own relative error is ~1/sqrt(2m) = 4 %
    assert 0.85 < np.mean(fit.alpha_se) / spread < 1.15
    # at the Cramer-Rao bound
    assert 0.85 < spread / cramer_rao_alpha(alpha, n) < 1.15
    coverage = np.mean(np.abs(err) < 1.96 * fit.alpha_se)
    assert 0.91 < coverage < 0.985  # 95 % +- 3 binomial SE (1.3 %)
    # K within one standard error about 68 % of the time
    assert 0.6 < np.mean(np.abs(fit.K - 0.7) < fit.K_se) < 0.77
    assert np.all(fit.sigma == 0) and np.all(np.isnan(fit.sigma_se))


def test_noise_is_found_and_measured():
    rng = np.random.default_rng(3)
    sigma, K = 0.6, 1.0
    fit = fit_segments(list(sample_fbm(rng, 1.0, K, sigma, 300, 40)), noise=True)
    assert abs(np.median(fit.sigma) - sigma) < 0.1
    z = (fit.sigma - sigma) / fit.sigma_se
    assert np.mean(np.abs(z) < 1.96) > 0.85
    assert abs(np.mean(fit.alpha) - 1.0) < 0.04
    # the same data without the noise model: alpha is pulled down (noise looks like sub-diffusion)
    plain = fit_segments(list(sample_fbm(np.random.default_rng(3), 1.0, K, sigma, 300, 40)), noise=False)
    assert np.mean(plain.alpha) < 0.9


def test_shared_grid_estimate_matches_a_dense_scan():
    """The no-noise estimates come from a parabola on a 0.05 grid: alpha must sit at the maximum of the
    exact profile (dense Cholesky, K at its closed-form maximum) scanned every 0.002, and the standard
    error must match that profile's curvature."""
    rng = np.random.default_rng(11)
    for alpha in (0.3, 1.0, 1.7):
        pos = sample_fbm(rng, alpha, 0.5, 0.0, 120, 3)
        fit = fit_segments(list(pos), noise=False)
        for p, a_hat, se in zip(pos, fit.alpha, fit.alpha_se):
            grid = np.arange(max(a_hat - 0.3, 0.05), min(a_hat + 0.3, 1.99), 0.002)
            inc = np.diff(p, axis=0)
            profile = []
            for a in grid:
                gamma = increment_autocovariance(a, len(inc))
                idx = np.arange(len(inc))
                q = np.sum(inc * np.linalg.solve(gamma[np.abs(idx[:, None] - idx[None, :])], inc))
                profile.append(loglikelihood(p, a, q / (2 * len(inc))))
            profile = np.array(profile)
            best = int(profile.argmax())
            assert abs(grid[best] - a_hat) < 0.006
            # curvature of the profile around its maximum (+- about one standard error)
            near = np.abs(grid - grid[best]) <= se
            curvature = 2 * np.polyfit(grid[near] - grid[best], profile[near], 2)[0]
            assert 0.85 < se / np.sqrt(-1 / curvature) < 1.15


def test_pooled_noise_threshold_has_its_level():
    assert abs(pooled_noise_threshold(1) - 2.7055) < 1e-3  # chi-bar-square, 5 %: chi-square(1) at 10 %
    rng = np.random.default_rng(0)
    for k in (3, 6):
        n = 200_000
        draws = np.where(rng.random((n, k)) < 0.5, 0.0, rng.chisquare(1, (n, k))).sum(axis=1)
        level = np.mean(draws > pooled_noise_threshold(k))
        assert abs(level - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)


def test_noise_decided_per_track():
    """Tracks of 4 segments: on clean ones the pooled test removes most false detections; on noisy ones
    it keeps the noise found."""
    rng = np.random.default_rng(8)
    groups = np.repeat(np.arange(40), 4)
    clean = list(sample_fbm(rng, 0.8, 1.0, 0.0, 150, 160))
    alone = fit_segments(clean, noise="auto")
    pooled = fit_segments(clean, noise="auto", groups=groups)
    assert np.mean(pooled.sigma > 0) <= np.mean(alone.sigma > 0)
    assert np.mean(pooled.sigma > 0) < 0.03
    noisy = list(sample_fbm(rng, 1.2, 1.0, 1.0, 300, 120))  # noise the single-segment test finds in ~95 %
    found = fit_segments(noisy, noise="auto", groups=groups[:120])
    assert np.mean(found.sigma > 0) > 0.85
    with pytest.raises(ValueError, match="one label per segment"):
        fit_segments(clean, noise="auto", groups=groups[:-1])


def test_hopeless_tracks_skip_the_noise_search_without_changing_decisions(monkeypatch):
    """Tracks that cannot pass the pooled test are not searched (NOISE_SCREEN_MARGIN): at noise levels
    around the detection limit the decisions are those of searching every screened segment."""
    import uandi.likelihood as lik

    rng = np.random.default_rng(9)
    segments = [seg for sigma in (0.0, 0.4, 0.7, 1.0) for seg in sample_fbm(rng, 1.0, 1.0, sigma, 200, 30)]
    groups = np.repeat(np.arange(len(segments) // 3), 3)
    skipping = fit_segments(segments, noise="auto", groups=groups)
    monkeypatch.setattr(lik, "NOISE_SCREEN_MARGIN", np.inf)  # every screened segment searched
    searching = fit_segments(segments, noise="auto", groups=groups)
    assert 0.1 < np.mean(searching.sigma > 0) < 0.9  # the set straddles the detection limit
    # (skipping every search would change a quarter of the decisions here)
    assert np.mean((skipping.sigma > 0) != (searching.sigma > 0)) <= 0.02
    same = skipping.sigma == searching.sigma
    np.testing.assert_allclose(skipping.alpha[same], searching.alpha[same], atol=1e-9)


def test_auto_noise_keeps_zero_on_clean_data():
    rng = np.random.default_rng(4)
    fit = fit_segments(list(sample_fbm(rng, 0.6, 1.0, 0.0, 200, 100)), noise="auto")
    assert np.mean(fit.sigma == 0) > 0.85  # the 5 % test keeps most clean segments noise-free


def test_motion_blur_model_removes_the_blur_bias():
    rng = np.random.default_rng(5)
    pos = sample_fbm(rng, 1.0, 1.0, 0.0, 300, 60, exposure=1.0)
    blurred = fit_segments(list(pos), noise=False, exposure=1.0)
    ignored = fit_segments(list(pos), noise=False)
    assert abs(np.mean(blurred.alpha) - 1.0) < 0.03
    assert np.mean(ignored.alpha) > 1.1  # positive step correlation read as super-diffusion


def test_long_segments_use_blocks_and_short_ones_are_refused(monkeypatch):
    import uandi.likelihood

    monkeypatch.setattr(uandi.likelihood, "MAX_EXACT", 256)  # blocks of 256 steps, as 512 would be
    rng = np.random.default_rng(6)
    fit = fit_segments([sample_fbm(rng, 0.5, 1.0, 0.0, 1000, 1)[0]], noise=False)
    assert fit.n[0] == 1000 and abs(fit.alpha[0] - 0.5) < 4 * fit.alpha_se[0]
    with pytest.raises(ValueError, match="at least 3"):
        fit_segments([np.zeros((2, 2))])
    with pytest.raises(ValueError, match="NaN"):
        fit_segments([np.full((10, 2), np.nan)])


def test_changepoints_chosen_and_refined_by_likelihood():
    rng = np.random.default_rng(7)
    first = sample_fbm(rng, 0.3, 1.0, 0.0, 149, 1)[0]
    second = sample_fbm(rng, 1.7, 1.0, 0.0, 150, 1)[0]
    track = np.concatenate([first, first[-1] + second[1:]])  # 300 points, change at 150
    (cps,) = select_changepoints([track], [[60, 146, 240]], penalty=8.0, refine=6)
    assert len(cps) == 1 and abs(int(cps[0]) - 150) <= 3


def test_noise_allowance_widens_error_bars_where_the_noise_decision_is_doubtful():
    """100-point FBM segments with localization noise that the per-segment test often misses (s = 0.45):
    alpha hides the noise by falling, and the fit's own error bar, blind to the decision, covers alpha
    0.8 too rarely; the allowance (the alpha of the decision not taken, by its probability) restores
    much of it without moving alpha. Modes True and False have no decision and no allowance."""
    rng = np.random.default_rng(11)
    segs = list(sample_fbm(rng, 0.8, 1.0, 0.45, 99, 300))
    plain = fit_segments(segs, noise="auto", noise_allowance=False)
    wide = fit_segments(segs, noise="auto")
    # alpha unchanged (to rounding: the whitening cache's factors depend on which sizes were asked first)
    np.testing.assert_allclose(plain.alpha, wide.alpha, rtol=0, atol=1e-12)
    assert np.all(wide.alpha_se >= plain.alpha_se)
    ok = ~wide.at_bound
    covered = [np.mean(np.abs(f.alpha[ok] - 0.8) <= 1.96 * f.alpha_se[ok]) for f in (plain, wide)]
    assert covered[1] >= covered[0] + 0.03 and covered[1] >= 0.88  # measured 0.85 -> 0.91 (binomial sd 0.02)
    for mode in (True, False):
        np.testing.assert_array_equal(fit_segments(segs[:20], noise=mode).alpha_se,
                                      fit_segments(segs[:20], noise=mode, noise_allowance=False).alpha_se)


@pytest.mark.parametrize("moved", [{}, {"refine": 4}, {"place": 9}])
def test_changepoint_evidence_matches_the_segment_fits(moved):
    """select_changepoints' evidence (gain, alpha before, after, merged) agrees with fit_segments on the
    three segments at the partition's changepoint, also where a refinement or placement then moves it
    (the evidence is that of the partition's choice, from its own span scores)."""
    rng = np.random.default_rng(8)
    first = sample_fbm(rng, 0.4, 1.0, 0.0, 149, 1)[0]
    second = sample_fbm(rng, 1.4, 1.0, 0.0, 150, 1)[0]
    track = np.concatenate([first, first[-1] + second[1:]])  # 300 points, change at 150
    (chosen,), (ev,) = select_changepoints([track], [[60, 147, 240]], penalty=5.0, evidence=True, **moved)
    assert len(chosen) == 1 and ev.shape == (1, 4)
    c = 147  # the partition's choice among the candidates
    fit = fit_segments([segment_positions(track, 0, c), segment_positions(track, c, 300), track], noise=False)
    assert ev[0, 0] == pytest.approx(fit.loglik[0] + fit.loglik[1] - fit.loglik[2], abs=0.8)  # parabola vs lattice
    assert ev[0, 1:] == pytest.approx(fit.alpha, abs=0.03)
    assert ev[0, 0] > 20  # a change of 1.0 in alpha over 150-point segments is clear
    if moved:
        assert chosen[0] != c  # the test means something: the change did move


def test_changepoint_allowance_weights_the_merged_alpha_by_the_odds_against_the_change():
    # gain at the penalty: even odds, half the squared shift to the merged alpha; far above it: nothing
    before, after = changepoint_allowance(np.array([[5.0, 0.6, 1.0, 0.8], [40.0, 0.6, 1.0, 0.8]]), 5.0)
    assert before == pytest.approx([0.5 * 0.2**2, 0.0], abs=1e-12)
    assert after == pytest.approx([0.5 * 0.2**2, 0.0], abs=1e-12)
    before, _ = changepoint_allowance(np.array([[3.0, 0.6, 1.0, 0.8]]), 5.0)
    assert before[0] == pytest.approx(0.04 / (1 + np.exp(-2.0)))  # below the penalty: more likely no change


def test_missed_change_allowance_weights_the_longer_sides_alpha_by_the_odds_of_the_split():
    """One segment (0, 100) and a candidate at 40 not chosen: at a gain equal to the penalty the split and
    the whole are even odds, so half the squared shift to the longer side's alpha (40-100) is added; far
    below the penalty nothing; two candidates share the probability of a split; a chosen changepoint
    splits the track, and each segment only sees the candidates inside it."""
    scores = {(0, 0, 40): -10.0, (0, 40, 100): -20.0, (0, 0, 100): -35.0}
    alphas = {(0, 0, 40): 0.5, (0, 40, 100): 1.5, (0, 0, 100): 1.1}
    (extra,) = missed_change_allowance([100], [np.array([], dtype=np.int64)], [[40]], scores, alphas, 5.0, 10)
    assert extra == pytest.approx([0.5 * 0.4**2])
    (extra,) = missed_change_allowance([100], [np.array([], dtype=np.int64)], [[40]], scores, alphas, 25.0, 10)
    assert extra[0] == pytest.approx(0.16 * np.exp(-20.0) / (1 + np.exp(-20.0)))
    # a second candidate at 70 with the same gain: each split a third, the longer sides 0-70 and 40-100
    scores.update({(0, 0, 70): -25.0, (0, 70, 100): -5.0})
    alphas.update({(0, 0, 70): 0.9, (0, 70, 100): 1.3})
    (extra,) = missed_change_allowance([100], [np.array([], dtype=np.int64)], [[40, 70]], scores, alphas, 5.0, 10)
    assert extra == pytest.approx([(0.4**2 + 0.2**2) / 3])
    # chosen at 40: the segments 0-40 and 40-100 hold no candidate (70 lies in the second, but its spans
    # 40-70 and 70-100 were not scored here): nothing to add
    extra = missed_change_allowance([100], [np.array([40])], [[40, 70]], scores, alphas, 5.0, 10)[0]
    assert extra == pytest.approx([0.0, 0.0])


def test_product_error_bars_widen_where_a_chosen_change_is_doubtful():
    """refine_segments: on homogeneous FBM (alpha 1) with a candidate at point 100 and a low penalty, the
    likelihood keeps a false change in some tracks; their segments' alpha_se carries the allowance (wider
    than the fit's own) and their 95 % intervals cover alpha = 1 more often. A clear change (0.3 -> 1.7)
    keeps the fit's error bar. With --frame-interval, K_se's alpha term carries the wider alpha_se. The change
    stays at the candidate (place 0), so each segment's fit is known."""
    from uandi.postprocess import Segments, refine_segments, segment_statistics

    rng = np.random.default_rng(3)
    tracks = list(sample_fbm(rng, 1.0, 1.0, 0.0, 199, 300))
    alpha = np.r_[np.full(100, 0.6), np.full(100, 1.4)]  # the "network's" alpha: a candidate at 100
    # that candidate alone (no step-size candidates), a low penalty
    one_candidate = {"penalty": 1.0, "penalty_slope": 0.0, "noise": False, "place": 0, "step_threshold": None}
    segs = [Segments(np.array([100]), 200, segment_statistics(x, np.array([100]), alpha=alpha)) for x in tracks]
    out = refine_segments(tracks, segs, alpha=[alpha] * len(tracks), settings=one_candidate)
    kept = [(x, o) for x, o in zip(tracks, out) if len(o.changepoints) == 1]
    assert 50 < len(kept) < 250
    ratio, covered, covered_plain = [], [], []
    for x, o in kept:
        fit = fit_segments([segment_positions(x, 0, 100), segment_positions(x, 100, 200)], noise=False)
        assert o["alpha"] == pytest.approx(fit.alpha)
        ratio.append(np.mean(o["alpha_se"] / fit.alpha_se))
        covered.append(np.all(np.abs(o["alpha"] - 1.0) <= 1.96 * o["alpha_se"]))
        covered_plain.append(np.all(np.abs(fit.alpha - 1.0) <= 1.96 * fit.alpha_se))
    assert np.mean(ratio) > 1.05
    assert np.mean(covered) >= np.mean(covered_plain) + 0.03
    # with a frame interval, K's error bar in physical units carries the widened alpha_se (its alpha term)
    dt = 0.02
    timed = refine_segments([x for x, _ in kept], [Segments(np.array([100]), 200, segment_statistics(
        x, np.array([100]), alpha=alpha)) for x, _ in kept], alpha=[alpha] * len(kept),
        settings=one_candidate, frame_interval=dt)
    for (x, o), t in zip(kept, timed):
        fit = fit_segments([segment_positions(x, 0, 100), segment_positions(x, 100, 200)], noise=False)
        assert t["alpha_se"] == pytest.approx(o["alpha_se"])
        var = (fit.K_se / fit.K) ** 2 + np.log(dt) ** 2 * t["alpha_se"] ** 2 - 2 * np.log(dt) * fit.alpha_logk_cov
        # rel 1e-4: the batched fit inside refine_segments and this lone fit stop their optimisers at
        # slightly different points (1e-6 apart with numpy 2.4 / scipy 1.17); a wrong alpha term is off by O(1)
        assert t["K_se"] / t["K"] == pytest.approx(np.sqrt(var), rel=1e-4)

    clear = two_segment_tracks(rng, n_tracks=3, alphas=(0.3, 1.7), K=1.0, half=100)
    alpha = np.r_[np.full(100, 0.3), np.full(100, 1.7)]
    segs = [Segments(np.array([100]), 200, segment_statistics(x, np.array([100]), alpha=alpha)) for x in clear]
    # a clear change adds nothing (the candidates not chosen inside a segment are the missed-change
    # allowance's: off here, and never narrowing when on)
    settings = {"noise": False, "place": 0}
    plain = refine_segments(list(clear), segs, alpha=[alpha] * 3, settings={**settings, "missed_allowance": False})
    both = refine_segments(list(clear), segs, alpha=[alpha] * 3, settings=settings)
    for x, o, b in zip(clear, plain, both):
        fit = fit_segments([segment_positions(x, 0, 100), segment_positions(x, 100, 200)], noise=False)
        assert o.changepoints.tolist() == [100] and b.changepoints.tolist() == [100]
        assert o["alpha_se"] == pytest.approx(fit.alpha_se, rel=1e-3)
        assert np.all(b["alpha_se"] >= o["alpha_se"] * (1 - 1e-9))


def test_blur_evidence_tells_a_blurred_camera_from_super_diffusion():
    """Brownian tracks seen by a camera open the whole frame read alpha ~1.3 without blur (steps
    correlated +0.25 at lag 1, as FBM of alpha 1.32); blur_evidence finds the blurred model better by
    several log-likelihood units per stretch, with alpha near 1, and blur_notice fires. Sharp Brownian
    tracks, and sharp FBM of alpha 1.3 (the super-diffusion that blur mimics at lag 1), give none."""
    from uandi.postprocess import blur_notice

    rng = np.random.default_rng(21)
    blurred = list(sample_fbm(rng, 1.0, 1.0, 0.0, 2 * BLUR_BLOCK, 20, exposure=1.0))
    ev = blur_evidence(blurred)
    assert len(ev.gain) == 40  # two stretches per track
    assert ev.mean_gain()[0] > 2.0  # measured 3.3 per stretch (sd 2) on 200 stretches
    assert abs(np.median(ev.alpha_blurred) - 1.0) < 0.08 and np.median(ev.alpha_sharp) > 1.15
    assert "motion-blurred" in blur_notice(ev)
    # the product's early stop (clear_below): a blurred set is fitted whole, to the same gains, block by block
    staged = blur_evidence(blurred, clear_below=0.5)
    assert len(staged.gain) == 40 and np.allclose(staged.gain, ev.gain, atol=1e-3)
    for alpha in (1.0, 1.3):
        tracks = list(sample_fbm(rng, alpha, 1.0, 0.0, 2 * BLUR_BLOCK, 20))
        sharp = blur_evidence(tracks)
        assert sharp.mean_gain()[0] < 0.6  # measured 0.0-0.3 per stretch without blur
        assert blur_notice(sharp) is None
    # clearly sharp on half the stretches (100 of 200, the product's case): the others are not fitted
    tracks = list(sample_fbm(rng, 1.0, 1.0, 0.0, 2 * BLUR_BLOCK, 100))
    quick = blur_evidence(tracks, clear_below=0.5)
    mean, se = quick.mean_gain()
    assert len(quick.gain) == 100 and mean + BLUR_CLEAR_SE * se < 0.5 and blur_notice(quick) is None
    assert np.allclose(quick.gain, blur_evidence([t[: BLUR_BLOCK + 1] for t in tracks]).gain, atol=1e-3)  # the first
    assert len(blur_evidence([np.zeros((BLUR_BLOCK, 2))]).gain) == 0  # shorter than one stretch: none


def test_segment_notes_motion_blur_and_exposure_silences_it():
    """uandi.segment (alpha task: the FBM likelihood on every segment) says so when the steps look
    blurred, and not once the exposure is given, nor on sharp tracks."""
    import warnings

    import uandi
    from uandi.notices import UandiNotice

    def blur_notes(x, **kw):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UandiNotice)
            uandi.segment(x, tasks=("alpha",), **kw)
        return [str(w.message) for w in caught if "motion-blurred" in str(w.message)]

    rng = np.random.default_rng(5)
    blurred = sample_fbm(rng, 1.0, 1.0, 0.0, 299, 12, exposure=1.0)
    notes = blur_notes(blurred)
    assert len(notes) == 1 and "--exposure" in notes[0]
    assert blur_notes(blurred, exposure=1.0) == []
    assert blur_notes(sample_fbm(rng, 1.0, 1.0, 0.0, 299, 12)) == []


def _dense_known_noise_alpha(pos, sigma):
    """Reference for a known localization error: alpha maximising the exact likelihood (dense Cholesky)
    with K re-maximised at each alpha, by bounded scalar searches; its SE from the profile's curvature."""
    from scipy.optimize import minimize_scalar

    def profile(a):
        r = minimize_scalar(lambda lk: -loglikelihood(pos, a, np.exp(lk), sigma), bounds=(-6, 6), method="bounded",
                            options={"xatol": 1e-5})
        return -r.fun

    grid = np.arange(0.05, 1.99, 0.05)
    i = int(np.clip(np.argmax([profile(a) for a in grid]), 1, len(grid) - 2))
    a = minimize_scalar(lambda v: -profile(v), bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                        options={"xatol": 1e-4}).x
    h = 0.02
    curv = (profile(a + h) - 2 * profile(a) + profile(a - h)) / h**2
    return a, 1 / np.sqrt(-curv)


def test_known_noise_fit_matches_the_dense_likelihood():
    """noise=SIGMA (the localization error known): the lattice's Q and log det, splined along the noise
    ratio, give the same alpha and standard error as the dense likelihood maximised directly."""
    rng = np.random.default_rng(12)
    step = np.sqrt(2.0)  # RMS step per axis at K = 1
    for frac in (0.3, 0.6):
        segs = [sample_fbm(rng, a, 1.0, frac * step, 150, 1)[0] for a in (0.4, 1.0, 1.6)]
        fit = fit_segments(segs, noise=frac * step, noise_allowance=False)
        for i, pos in enumerate(segs):
            ref_alpha, ref_se = _dense_known_noise_alpha(pos, frac * step)
            if fit.sigma[i] == frac * step:  # kept (not rejected by the data)
                assert fit.alpha[i] == pytest.approx(ref_alpha, abs=0.015)
                assert fit.alpha_se[i] == pytest.approx(ref_se, rel=0.1)
                assert np.isnan(fit.sigma_se[i])


def test_known_noise_scan_finds_the_maximum_over_k_at_every_noise_level():
    """_KnownNoise.scan's maximum over log K, at sigma from none to three times the step, against 2,001
    log K values of the same splines (K from e times the no-noise K down to where s reaches the last
    node): never far below it, never above it (a value above would not be a likelihood), and its log K
    where the maximum is sharp."""
    rng = np.random.default_rng(15)
    segs = [sample_fbm(rng, a, 1.0, f * np.sqrt(2.0), n, 1)[0]
            for a, f, n in [(0.3, 0.0, 60), (0.8, 0.3, 200), (1.2, 0.6, 120), (1.7, 0.1, 300), (1.0, 1.0, 400)]]
    seg, n_in = _prepare(segs)
    known = _KnownNoise(seg, n_in, 0.0)
    levels = [np.full(n_in, (f * np.sqrt(2.0)) ** 2) for f in np.r_[0.0, TRACK_NOISE_FACTORS]]
    smax = known.s_nodes[-1]
    for (best_ll, best_logk, _), sig2 in zip(known.scan(levels), levels):
        for a in range(0, len(known.grid), 4):
            k_free = np.log(known.q[0, a] / (2 * known.n_tot))
            low = np.maximum(np.log(np.maximum(sig2, 1e-300) / smax**2), k_free - 10)
            log_k = low[:, None] + (k_free + 1 - low)[:, None] * np.linspace(0, 1, 2001)[None, :]
            dense = known._loglik(a, np.arange(n_in), sig2, log_k)  # (n, 2001)
            assert np.all(best_ll[a] >= dense.max(axis=1) - 0.03)
            assert np.all(best_ll[a] <= dense.max(axis=1) + 2e-3)
            sharp = -np.diff(dense, 2, axis=1).max(axis=1) > 0  # concave: one maximum inside
            inside = (dense.argmax(axis=1) > 0) & (dense.argmax(axis=1) < 2000) & sharp
            assert np.allclose(best_logk[a][inside], log_k[inside, dense.argmax(axis=1)[inside]], atol=0.05)


def test_known_noise_scan_in_a_window_is_the_whole_tables():
    """_KnownNoise.scan told where the maxima lie (the levels just below and above, _between_levels) reads a
    few table points only and gives the whole table's answers bit for bit; told a wrong place, it finds the
    best point on the window's edge and reads the whole table again: the same answers."""
    rng = np.random.default_rng(16)
    segs = [sample_fbm(rng, a, 1.0, f * np.sqrt(2.0), n, 1)[0]
            for a, f, n in [(0.3, 0.0, 60), (0.8, 0.3, 200), (1.2, 0.6, 120), (1.7, 0.1, 300), (1.0, 1.0, 400)]]
    seg, n_in = _prepare(segs)
    known = _KnownNoise(seg, n_in, 0.0)
    scale = np.full(n_in, np.sqrt(2.0))
    levels = known.scan([(scale * f) ** 2 for f in np.r_[0.0, TRACK_NOISE_FACTORS]])
    sigma = scale * np.array([0.05, 0.3, 0.7, 0.2, 1.1])
    sig2 = [sigma**2, (sigma * np.exp(0.1)) ** 2, (sigma * np.exp(-0.1)) ** 2]
    whole = known.scan(sig2)
    near = _between_levels(levels, scale, sigma, 0.1)
    assert np.all(near[0] <= near[1])
    reads = []
    original = _KnownNoise._scan_alpha

    def counted(self, a, segs_a, sig2_levels, out, window):
        reads.append(window is None)
        return original(self, a, segs_a, sig2_levels, out, window)

    _KnownNoise._scan_alpha = counted
    try:
        right = known.scan(sig2, near)
        assert not any(reads)  # no segment read again on the whole table
        wrong = known.scan(sig2, (near[0] - 3.0, near[1] - 3.0))  # 3 below in log s: far from every maximum
        assert any(reads)
    finally:
        _KnownNoise._scan_alpha = original
    for answers in (right, wrong):
        for got, expected in zip(answers, whole):
            for g, e in zip(got, expected):
                np.testing.assert_array_equal(g, e)


def test_known_noise_splines_hold_the_exact_likelihood_between_their_nodes():
    """_KnownNoise's splines along the noise ratio, read at every lattice ratio between their nodes, give
    the exact log-likelihood (Q and log det R of the same products) within 1.5 at every alpha of the grid:
    n |d log Q| + |d log det R|, what a wrong Q or log det costs at K's maximum. Splines along s itself
    through the wide search's nodes erred by up to 9 here, at s < 0.1 and alpha near 2."""
    rng = np.random.default_rng(17)
    segs = [sample_fbm(rng, a, 1.0, 0.1 * np.sqrt(2.0), n, 1)[0]
            for a, n in [(0.4, 480), (1.0, 300), (1.6, 499), (1.9, 450), (1.95, 499), (1.99, 200)]]
    seg, n_in = _prepare(segs)
    known = _KnownNoise(seg, n_in, 0.0)
    n = known.n_tot
    between = [j for j in range(len(NOISE_LATTICE)) if NOISE_LATTICE[j] not in known.s_nodes]
    for j in between[:12] + between[-4:]:
        _, q, ld = _grid_terms(seg, n_in, known.grid, j, 0.0, logdet=True)
        for a in range(len(known.grid)):
            log_q, log_det = known._splines(a, np.arange(n_in), np.full((n_in, 1), NOISE_LATTICE[j]))
            err = n * np.abs(log_q[:, 0] - np.log(q[a])) + np.abs(log_det[:, 0] - ld[a])
            assert np.all(err < 1.5), (j, a, err.max())


def test_spline_peak_finds_a_smooth_maximum_between_coarse_grid_points():
    """_spline_peak on SPAN_GRID's coarse alphas: the maximum of a smooth, skewed profile (its top known
    exactly) within 0.02 in height and 0.002 in alpha, ten times closer than the parabola through the
    best point; a column holding +inf (a stretch that never moves) gets the parabola's answer."""
    x = ALPHA_LATTICE[SPAN_GRID]
    tops = np.linspace(0.1, 1.95, 60)
    d = x[:, None] - tops[None, :]  # (G, S)
    values = -80 * (np.exp(2 * d) - 1 - 2 * d)  # maximum 0 at each top, curvature -320, skewed
    where, peak = _spline_peak(x, values)
    assert np.all(np.abs(peak) < 0.02) and np.all(np.abs(where - tops) < 0.002)
    parabola_where, parabola = _parabola_peak(x, values)
    assert np.mean(np.abs(parabola)) > 10 * np.mean(np.abs(peak))
    assert np.max(np.abs(parabola_where - tops)) > 0.01
    values[3, 5] = np.inf
    with np.errstate(invalid="ignore"):  # inf - inf in the parabola, as in the product (under _quiet)
        where, peak = _spline_peak(x, values)
        np.testing.assert_equal((where[5], peak[5]), tuple(v[5] for v in _parabola_peak(x, values)))
    assert np.all(np.isfinite(peak[np.arange(60) != 5]))


def test_known_noise_reuses_the_track_searchs_products_without_changing_them():
    """The track search hands _KnownNoise the Q values its no-noise fit and its screen already computed:
    the tables then hold the same numbers (to float32 rounding) as when every product is made anew,
    on segments of one block and of several (over 512 steps, whose values are not reused)."""
    rng = np.random.default_rng(16)
    segs = [sample_fbm(rng, a, 1.0, f * np.sqrt(2.0), n, 1)[0]
            for a, f, n in [(0.3, 0.0, 60), (0.8, 0.3, 200), (1.2, 0.6, 120), (1.7, 0.1, 300), (1.0, 0.2, 700)]]
    seg, n_in = _prepare(segs)
    fit, q0 = _no_noise_fit(seg, n_in, 0.0)
    screen = _screen(seg, n_in, fit, 0.0, TRACK_SCREEN_LEVELS)
    look = np.array([True, False, True, True, True])
    sub_segs = [p for p, keep in zip(segs, look) if keep]
    sub, n_sub = _prepare(sub_segs)
    lowest = fit.alpha[look] - 0.35
    known_q = _products_made(q0, screen, look)
    assert sum(np.isfinite(v).sum() for v in known_q.values()) > 100  # something to reuse
    fresh = _KnownNoise(sub, n_sub, 0.0, lowest=lowest)
    reused = _KnownNoise(sub, n_sub, 0.0, lowest=lowest, known_q=known_q)
    assert np.allclose(reused.q, fresh.q, rtol=2e-5, atol=0)
    assert np.allclose(reused.coef, fresh.coef, rtol=1e-3, atol=1e-6)


def test_known_noise_is_more_accurate_and_a_wrong_one_is_caught():
    """At a localization error of 0.6 of the step, alpha with the error known beats alpha with it fitted
    (the alpha-noise ridge gone), with honest intervals. Stated at 3 times its value, the data reject it
    in most 500-step segments, which then get it fitted, and the intervals still hold."""
    rng = np.random.default_rng(13)
    sigma = 0.6 * np.sqrt(2.0)
    alphas = rng.uniform(0.2, 1.8, 150)
    segs = [sample_fbm(rng, a, 1.0, sigma, 150, 1)[0] for a in alphas]
    known, fitted = fit_segments(segs, noise=sigma), fit_segments(segs, noise=True)
    mae_known, mae_fitted = np.abs(known.alpha - alphas).mean(), np.abs(fitted.alpha - alphas).mean()
    assert mae_known < 0.85 * mae_fitted  # measured 0.087 against 0.142, coverage 0.96
    ok = ~known.at_bound
    assert np.mean(np.abs(known.alpha[ok] - alphas[ok]) <= 1.96 * known.alpha_se[ok]) >= 0.88

    alphas = rng.uniform(0.2, 1.8, 60)
    segs = [sample_fbm(rng, a, 1.0, sigma, 500, 1)[0] for a in alphas]
    wrong = fit_segments(segs, noise=3 * sigma)
    assert np.mean(wrong.sigma != 3 * sigma) >= 0.8
    ok = ~wrong.at_bound
    assert np.mean(np.abs(wrong.alpha[ok] - alphas[ok]) <= 1.96 * wrong.alpha_se[ok]) >= 0.8
    for bad in (-1.0, np.nan, [0.1, 0.2]):
        with pytest.raises(ValueError, match="known localization error"):
            fit_segments(segs[:3], noise=bad)


def test_segment_says_when_the_localization_error_given_does_not_fit():
    import warnings

    import uandi
    from uandi.notices import UandiNotice

    rng = np.random.default_rng(14)
    sigma = 0.5
    x = sample_fbm(rng, 0.7, 1.0, sigma, 399, 10)

    def run(given):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UandiNotice)
            _, seg = uandi.segment(x, tasks=("alpha",), localization_error=given)
        return seg, [str(w.message) for w in caught if "does not fit" in str(w.message)]

    seg, notes = run(sigma)
    assert notes == [] and (seg["localization_error"] == sigma).mean() >= 0.8
    seg, notes = run(5 * sigma)
    assert len(notes) == 1 and "check its value and unit" in notes[0]
    assert seg["alpha_method"].str.contains("the one given does not fit").mean() >= 0.8


def _noisy_tracks(rng, n_tracks, sigma, length=400):
    """Segments of tracks with 2-4 FBM segments each (alpha 0.2-1.8, K 0.5-2) and one localization error
    sigma per track (the camera's), as (segments, track of each, true alpha of each)."""
    segs, owner, truth = [], [], []
    for t in range(n_tracks):
        k = int(rng.integers(2, 5))
        edges = [0, *np.sort(rng.choice(np.arange(60, length - 60, 10), k - 1, replace=False)).tolist(), length]
        for a, b in zip(edges[:-1], edges[1:]):
            alpha = rng.uniform(0.2, 1.8)
            segs.append(sample_fbm(rng, alpha, np.exp(rng.uniform(np.log(0.5), np.log(2))), sigma, b - a - 1, 1)[0])
            owner.append(t)
            truth.append(alpha)
    return segs, np.array(owner), np.array(truth)


def test_track_noise_shares_one_localization_error_per_track():
    """noise="track": one sigma per track, searched over its segments jointly, breaks the alpha-noise
    ridge that a per-segment test leaves: at 0.6 of the step far more accurate than "auto", with the
    sigma recovered and honest intervals; on clean tracks it adds noise about as rarely as a 5 % test
    should and costs no accuracy."""
    rng = np.random.default_rng(15)
    sigma = 0.6 * np.sqrt(2.0)
    segs, owner, truth = _noisy_tracks(rng, 80, sigma)
    track, auto = fit_segments(segs, noise="track", groups=owner), fit_segments(segs, noise="auto", groups=owner)
    mae = [np.abs(f.alpha - truth).mean() for f in (track, auto)]
    assert mae[0] < 0.8 * mae[1]  # measured 0.128-0.139 against 0.183-0.193 (seeds 15-17)
    noisy = track.sigma > 0
    assert noisy.mean() > 0.7 and np.median(track.sigma[noisy]) == pytest.approx(sigma, rel=0.15)
    for t in np.unique(owner[noisy]):  # one value per track
        assert np.ptp(track.sigma[owner == t]) == 0
    ok = ~track.at_bound
    assert np.mean(np.abs(track.alpha[ok] - truth[ok]) <= 1.96 * track.alpha_se[ok]) >= 0.78  # measured 0.81-0.84

    segs, owner, truth = _noisy_tracks(rng, 120, 0.0)
    track, auto = fit_segments(segs, noise="track", groups=owner), fit_segments(segs, noise="auto", groups=owner)
    assert np.mean(np.bincount(owner, track.sigma > 0) > 0) <= 0.12  # 5 % level: binomial sd 0.02
    assert np.abs(track.alpha - truth).mean() <= np.abs(auto.alpha - truth).mean() + 0.004


def two_segment_tracks(rng, n_tracks=4, alphas=(0.5, 1.5), K=2.0, half=150):
    tracks = []
    for _ in range(n_tracks):
        a = sample_fbm(rng, alphas[0], K, 0.0, half - 1, 1)[0]
        b = sample_fbm(rng, alphas[1], K, 0.0, half, 1)[0]
        tracks.append(np.concatenate([a, a[-1] + b[1:]]))  # change at point `half`
    return np.stack(tracks)


def test_segment_reports_exact_estimates_with_units():
    import uandi

    x = two_segment_tracks(np.random.default_rng(8))
    fbm_net = {"alpha": "alpha-fbm"}  # trained on FBM only: every segment is taken as FBM
    _, seg = uandi.segment(x, tasks=("alpha",), weights=fbm_net)
    assert (seg["alpha_method"] == "likelihood").all()
    assert seg["units"].iloc[0] == "K: input units^2/frame^alpha; localization_error: input units"
    assert len(seg) <= 2 * len(x) + 2  # few spurious changepoints
    for track_id, rows in seg.groupby("track_id"):
        assert np.min(np.abs(rows["first_frame"].to_numpy()[1:] - 150)) <= 5  # the change is found
        # each change the likelihood placed has its 95 % interval, the one at 150 holds it; none before the first
        assert rows["first_frame_low"].iloc[:1].isna().all() and rows["first_frame_low"].iloc[1:].notna().all()
        assert (rows["first_frame_low"].iloc[1:] <= rows["first_frame_high"].iloc[1:]).all()
        found = rows.iloc[1 + int(np.argmin(np.abs(rows["first_frame"].to_numpy()[1:] - 150)))]
        assert found["first_frame_low"] <= 150 <= found["first_frame_high"]
        assert found["first_frame_high"] - found["first_frame_low"] < 40
        # the segments around points 75 and 225 (inside the two true segments)
        inside = [rows[(rows["first_frame"] <= t) & (rows["last_frame"] >= t)].iloc[0] for t in (75, 225)]
        for row, alpha in zip(inside, (0.5, 1.5)):
            assert abs(row["alpha"] - alpha) < 4 * row["alpha_se"]
            assert abs(np.log(row["K"] / 2.0)) < 4 * row["K_se"] / row["K"]
    # physical units: K scales by pixel^2 / dt^alpha, the localization error by pixel
    _, phys = uandi.segment(x, tasks=("alpha",), weights=fbm_net, pixel_size=0.16, frame_interval=0.02)
    np.testing.assert_allclose(phys["K"], seg["K"] * 0.16**2 / 0.02 ** seg["alpha"], rtol=1e-9)
    assert phys["units"].iloc[0] == "K: um^2/s^alpha; localization_error: um"
    # the relative error of K grows by the uncertain exponent's share: |ln dt| * se(alpha), roughly
    assert np.all(phys["K_se"] / phys["K"] > seg["K_se"] / seg["K"])
    # the network alone: no likelihood columns
    _, plain = uandi.segment(x, tasks=("alpha",), weights=fbm_net, likelihood=False)
    assert "K" not in plain.columns and "alpha_se" not in plain.columns


@pytest.mark.parametrize("alpha", [0.6, 1.0])
def test_segment_finds_a_change_of_K_alone(alpha):
    """A particle that unbinds: the same alpha, K ten times larger from point 150 on. Neither network sees
    a change of step size (both were trained to ignore it); the step-size candidates let the likelihood
    find it, where one segment would report a K between the two with a tight, wrong error bar."""
    import uandi

    rng = np.random.default_rng(9)
    x = []
    for _ in range(4):
        a = sample_fbm(rng, alpha, 0.5, 0.0, 149, 1)[0]
        b = sample_fbm(rng, alpha, 5.0, 0.0, 150, 1)[0]
        x.append(np.concatenate([a, a[-1] + b[1:]]))
    _, seg = uandi.segment(np.stack(x), tasks=("alpha",), weights={"alpha": "alpha-fbm"})
    for _, rows in seg.groupby("track_id"):
        assert np.min(np.abs(rows["first_frame"].to_numpy()[1:] - 150), initial=999) <= 10
        for t, K in ((75, 0.5), (225, 5.0)):
            row = rows[(rows["first_frame"] <= t) & (rows["last_frame"] >= t)].iloc[0]
            assert abs(np.log(row["K"] / K)) < 4 * row["K_se"] / row["K"]
            assert abs(row["alpha"] - alpha) < 4 * row["alpha_se"]


def test_a_stretch_held_exactly_still_does_not_unsegment_its_track():
    """Positions repeated exactly for 100 frames (a particle held, a tracker that repeats a position) give
    spans of zero steps, whose likelihood is unbounded; it made every partition of the track infinite and
    the track came back as one segment with a tight, wrong K. Now the held stretch is cut out and the
    moving parts keep their own K."""
    import uandi

    rng = np.random.default_rng(1)
    steps = rng.normal(size=(299, 2))  # per-axis step variance 1: K = 1/2
    steps[100:200] = 0.0
    x = np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)])
    _, seg = uandi.segment([x], tasks=("alpha",), weights={"alpha": "alpha-fbm"})
    starts = seg["first_frame"].to_numpy()
    assert np.min(np.abs(starts - 100)) <= 2 and np.min(np.abs(starts - 200)) <= 2
    held = seg[(seg["first_frame"] <= 150) & (seg["last_frame"] >= 150)].iloc[0]
    assert held["K"] < 0.01  # one moving step at most among a hundred
    for t in (50, 250):
        row = seg[(seg["first_frame"] <= t) & (seg["last_frame"] >= t)].iloc[0]
        assert abs(np.log(row["K"] / 0.5)) < 4 * row["K_se"] / row["K"]


def test_bad_units_are_refused():
    import uandi

    with pytest.raises(ValueError, match="pixel_size"):
        uandi.segment(np.zeros((1, 30, 2)) + np.arange(30)[None, :, None], pixel_size=-1)
    with pytest.raises(ValueError, match="exposure"):
        uandi.segment(np.zeros((1, 30, 2)) + np.arange(30)[None, :, None], exposure=2)


def test_track_noise_interval_reaches_up_the_alpha_noise_ridge():
    """A track of one segment has nothing to pool: where its noise test fails, a higher alpha with noise
    fits its data almost as well, so the interval of a segment kept without noise reaches up to where the
    profile likelihood (sigma free) falls 1.92 below its maximum. At 0.6 of the step the curvature's
    error alone covered 67 % (150 steps, alpha 0.2-1.8); the profile interval covers most."""
    rng = np.random.default_rng(29)
    alphas = rng.uniform(0.2, 1.8, 200)
    segs = [sample_fbm(rng, a, 1.0, 0.6 * np.sqrt(2.0), 150, 1)[0] for a in alphas]
    fit = fit_segments(segs, noise="track")
    ok = np.isfinite(fit.alpha_se) & ~fit.at_bound
    covered = np.abs(fit.alpha - alphas) <= 1.96 * fit.alpha_se
    assert covered[ok].mean() >= 0.84  # measured 0.955-0.965 (seeds 29-31, binomial sd 0.02); 0.705 without the ridge
    quiet = ok & (fit.sigma == 0)
    assert quiet.sum() > 40 and covered[quiet].mean() >= 0.8  # measured 0.94-0.96 of 97-107
    # not by inflating every error bar: the median stays near the spread of alpha with noise always
    # fitted on the same segments (0.148-0.163; median alpha_se measured 0.168-0.173)
    assert np.median(fit.alpha_se[ok]) <= 0.22


def test_ridge_top_finds_the_crossing():
    """_ridge_top: the highest x where a curve reaches its threshold, linear between grid points."""
    from uandi.likelihood import _FAR_BELOW, _ridge_top

    x = np.linspace(0.0, 2.0, 21)
    curves = np.stack([-(x - 1.0) ** 2, -(x - 0.5) ** 2, np.full_like(x, -5.0)], axis=1)  # (21, 3)
    curves[15:, 1] = _FAR_BELOW  # skipped grid points end the search
    top = _ridge_top(x, curves, np.array([-0.25, -0.81, -1.0]))
    assert top[0] == pytest.approx(1.5, abs=0.01)  # (x - 1)^2 = 0.25 between grid points 1.5 and 1.6
    assert top[1] == pytest.approx(1.4, abs=1e-12)  # 1.4 is the last point before the skipped ones
    assert top[2] == -np.inf


def test_inverse_factors_equal_lapack_including_near_singular_covariances():
    """_inverse_factors (Durbin-Levinson, numpy only) gives LAPACK's inverse Cholesky factor and the log
    det of every leading block, also at alpha = 1.99 (condition number ~1e5) and with motion blur."""
    from scipy.linalg import solve_triangular, toeplitz

    from uandi.likelihood import _inverse_factors, increment_autocovariance

    cases = [(0.05, 0.0, 0.0), (1.0, 0.3, 0.0), (1.99, 0.0, 0.0), (1.99, 0.0, 1.0), (0.7, 0.1, 0.5)]
    gammas = np.stack([increment_autocovariance(a, 300, s, e) for a, s, e in cases])
    whiten, logdet = _inverse_factors(gammas)
    for (a, s, e), g, w, ld in zip(cases, gammas, whiten, logdet):
        lower = cholesky(toeplitz(g), lower=True)
        expected = solve_triangular(lower, np.eye(len(g)), lower=True)
        assert np.abs(w - expected).max() <= 1e-9 * np.abs(expected).max(), (a, s, e)
        assert ld == pytest.approx(np.r_[0.0, np.cumsum(2 * np.log(np.diag(lower)))], abs=1e-8)


def test_track_noise_k_interval_holds_with_noise():
    """K's 95 % interval (log scale) with localization noise: a noisy segment's K_se holds the spread of the
    track's sigma, a quiet one's reaches as far as the profile likelihood allows (noise left unmodelled
    inflates K). One-segment tracks of 150 steps at 0.6 of the step: 0.465 before, 0.915-0.92 (seeds 29-31)."""
    rng = np.random.default_rng(29)
    alphas = rng.uniform(0.2, 1.8, 200)
    segs = [sample_fbm(rng, a, 1.0, 0.6 * np.sqrt(2.0), 150, 1)[0] for a in alphas]
    fit = fit_segments(segs, noise="track")
    ok = np.isfinite(fit.K_se) & ~fit.at_bound
    covered = np.abs(np.log(fit.K[ok])) <= 1.96 * fit.K_se[ok] / fit.K[ok]
    assert covered.mean() >= 0.84  # binomial sd 0.02 at 200
    # no wider than the spread of log K with noise always fitted (0.41-0.44; median K_se / K 0.34-0.35)
    assert np.median(fit.K_se[ok] / fit.K[ok]) <= 0.45


def two_motions(rng, m, alphas=(0.6, 1.4), steps=(100, 99)):
    """m tracks of 1 + sum(steps) points: exact FBM increments of alphas[0], then of alphas[1] (K = 1);
    the second motion's first step leads into point steps[0] + 1, the true changepoint."""
    inc = np.concatenate([np.diff(sample_fbm(rng, a, 1.0, 0.0, n, m), axis=1) for a, n in zip(alphas, steps)], axis=1)
    return list(np.concatenate([np.zeros((m, 1, 2)), np.cumsum(inc, axis=1)], axis=1))


def test_changepoint_posterior_is_the_tempered_likelihood_of_the_two_segments():
    """Each position's posterior weight is exp((score of the segment before + score of the segment
    after) / temperature), the scores those of the partition (_score); with the context reaching both
    ends of the track, the segments are [0, c) and [c, L)."""
    tracks = two_motions(np.random.default_rng(5), 2)
    posts = changepoint_posteriors(tracks, [np.array([95]), np.array([108])], reach=40, context=500,
                                   temperature=1.25)
    for t, (per, c0) in enumerate(zip(posts, (95, 108))):
        post = per[0]
        np.testing.assert_array_equal(post.positions, np.arange(c0 - 40, c0 + 41))
        assert post.probability.sum() == pytest.approx(1.0)
        spans = [(t, 0, int(c)) for c in post.positions] + [(t, int(c), 200) for c in post.positions]
        scores = _score(tracks, spans, 0.0)
        ll = np.array([scores[(t, 0, int(c))] + scores[(t, int(c), 200)] for c in post.positions])
        keep = post.probability > 1e-12  # compare log weights where they are representable
        log_p = np.log(post.probability[keep])
        expected = ll[keep] / 1.25
        assert log_p - log_p.max() == pytest.approx(expected - expected.max(), abs=2e-3)  # float32 products


def test_changepoint_posterior_covers_the_true_change_and_placing_moves_towards_it():
    """300 tracks with alpha 0.6 -> 1.4 at point 101, each changepoint proposed up to 15 points off: the
    95 % interval holds the true change in most tracks (measured 0.97-0.99 over seeds; the tempered
    posterior errs wide), and placing (place_changepoints) brings far more of them within 9 points."""
    rng = np.random.default_rng(11)
    tracks = two_motions(rng, 300)
    start = 101 + rng.integers(-15, 16, len(tracks))
    posts = changepoint_posteriors(tracks, [np.array([s]) for s in start])
    interval = np.array([per[0].interval(0.95) for per in posts])
    covered = (interval[:, 0] <= 101) & (101 <= interval[:, 1])
    assert covered.mean() >= 0.9  # 0.95 expected; 3 binomial sd below is 0.913
    assert np.mean(interval[:, 1] - interval[:, 0]) < 40  # and not by being vague (measured 27)
    placed = np.array([cps[0] for cps in place_changepoints(posts, 9)])
    assert np.mean(np.abs(placed - 101) <= 9) > np.mean(np.abs(start - 101) <= 9) + 0.15  # 0.6 -> 0.85-0.88


def test_placing_takes_the_window_with_most_mass_then_its_median():
    """A sharp peak stays where it is (a window's mass alone would tie across it and drift to its
    left edge); a broad bulk outweighs a taller spike; changes pushed together stay min_gap apart."""
    positions = np.arange(0, 100)
    sharp = np.zeros(100)
    sharp[50] = 1.0
    bimodal = np.zeros(100)
    bimodal[20] = 0.3
    bimodal[60:75] = 0.7 / 15
    posts = [[ChangepointPosterior(positions, sharp)], [ChangepointPosterior(positions, bimodal)]]
    placed = place_changepoints(posts, 9)
    assert placed[0].tolist() == [50]
    assert placed[1].tolist() == [67]  # the bulk's median (60-74), not the spike at 20
    near = np.zeros(100)
    near[55] = 1.0
    together = place_changepoints([[ChangepointPosterior(positions, sharp), ChangepointPosterior(positions, near)]],
                                  9, min_gap=10)
    assert together[0].tolist() == [50, 60]
    assert ChangepointPosterior(positions, sharp).interval(0.95) == (50, 50)
    assert ChangepointPosterior(positions, bimodal).within(67, 9) == pytest.approx(0.7)


def test_penalty_follows_the_rate_of_changes_in_the_tracks():
    """penalty_slope: tracks that change often (3 changes in 200 points, 3x the reference rate) get a lower
    penalty than 5, tracks that never change a higher one, both within PENALTY_RANGE; the fixed point
    is the penalty whose own choice gives it; without a slope the penalty is the one given."""
    from uandi.likelihood import PENALTY_RANGE

    rng = np.random.default_rng(17)
    steady = list(sample_fbm(rng, 1.0, 1.0, 0.0, 199, 40))
    changing = two_motions(rng, 40, alphas=(0.4, 1.6, 0.4, 1.6), steps=(50, 50, 50, 49))  # changes at 51, 101, 151
    cands = [np.array([51, 101, 151])] * 40
    used = {}
    for tracks, below in ((changing, True), (steady, False)):
        chosen = select_changepoints(tracks, cands, penalty=5.0, penalty_slope=2.0, info=used)
        assert PENALTY_RANGE[0] <= used["penalty"] <= PENALTY_RANGE[1]
        assert (used["penalty"] < 5.0) == below
        # the fixed point: the penalty's own choice gives back its rate, and so the penalty
        rate = (sum(len(c) for c in chosen) + 500 * 0.005) / (40 * 200 + 500)
        expected = np.clip(5.0 + 2.0 * np.log(0.005 / rate), *PENALTY_RANGE)
        assert used["penalty"] == pytest.approx(expected, abs=0.05)
    assert np.mean([len(c) for c in select_changepoints(changing, cands, penalty=5.0, penalty_slope=2.0)]) > 2.5
    select_changepoints(steady, cands, penalty=5.0, info=used)
    assert used["penalty"] == 5.0


def test_changes_closer_than_min_gap_keep_their_place():
    """Changes no partition would choose (closer than min_gap to a neighbour or an end) get a posterior
    of one position, themselves: placing moves nothing there, and the others are placed as usual."""
    track = two_motions(np.random.default_rng(2), 1)[0]
    posts = changepoint_posteriors([track], [np.array([5, 9, 101])])[0]
    assert [p.positions.tolist() for p in posts[:2]] == [[5], [9]]
    assert posts[2].positions.min() < 101 < posts[2].positions.max()
    assert place_changepoints([posts], 9, min_gap=1)[0][:2].tolist() == [5, 9]


def test_a_stretch_that_never_moves_raises_no_numpy_warning():
    """A stuck particle or a CTRW wait has Q = 0 and a log-likelihood of +-inf, which the code handles;
    numpy's divide-by-zero and invalid-value warnings about it only alarmed users (dozens per file)."""
    import warnings

    track = sample_fbm(np.random.default_rng(8), 0.8, 1.0, 0.0, 299, 1)[0]
    track[100:140] = track[100]  # 40 frames without a step
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        chosen, _, post = select_changepoints([track], [[60, 100, 140, 200]], penalty=5.0, place=9, evidence=True,
                                              posteriors=True)
        fit = fit_segments([track[:101], track[100:141], track[140:]], noise="track", groups=[0, 0, 0])
        blur_evidence([track[100:], track])
    assert 100 in chosen[0] or 140 in chosen[0]  # the frozen stretch is cut off
    assert np.isfinite(fit.alpha[[0, 2]]).all()


def test_cleared_caches_give_the_same_fit():
    """clear_caches starts the factor caches cold (as each `uandi segment` run does); a fit cold and a fit
    warm are the same fit."""
    from uandi import likelihood

    pos = sample_fbm(np.random.default_rng(12), 0.6, 1.0, 0.0, 150, 6)
    warm = fit_segments(list(pos), noise=False)
    likelihood.clear_caches()
    assert likelihood._WHITEN._bytes == 0 and not likelihood._WHITEN._store and not likelihood._FACTORS._store
    cold = fit_segments(list(pos), noise=False)
    np.testing.assert_array_equal(cold.alpha, warm.alpha)
    assert likelihood._WHITEN._bytes > 0  # filled again


def test_partitions_of_all_tracks_at_once_are_each_tracks_best():
    """_Partitions (the dynamic programme on all tracks of one node count at once) finds each track's
    best partition, as an enumeration of every subset of its candidates does, ties going to the
    partition the old per-track programme picked (the earliest previous node)."""
    from itertools import combinations

    from uandi.likelihood import _Partitions

    rng = np.random.default_rng(9)
    lengths, cands, scores = [], [], {}
    for t in range(300):
        length = int(rng.integers(15, 120))
        c = sorted(set(rng.integers(3, length - 2, size=rng.integers(0, 7)).tolist()))
        lengths.append(length)
        cands.append(c)
        nodes = [0, *c, length]
        for i, j in combinations(range(len(nodes)), 2):  # integer scores in every other track: many ties
            scores[(t, nodes[i], nodes[j])] = float(rng.integers(-3, 4)) if t % 2 else float(rng.normal(0, 5))
    table = _Partitions(lengths, cands, scores, 10)
    for penalty in (0.0, 2.0, 6.5):
        best = table.best(penalty)
        for t, (length, c) in enumerate(zip(lengths, cands)):
            options = []
            for k in range(len(c) + 1):
                for chosen in combinations(c, k):
                    nodes = [0, *chosen, length]
                    if all(b - a >= 10 for a, b in zip(nodes[:-1], nodes[1:])):
                        options.append(sum(scores[(t, a, b)] - penalty for a, b in zip(nodes[:-1], nodes[1:])))
            assert best[t].dtype == np.int64
            got = sum(scores[(t, a, b)] - penalty for a, b in zip([0, *best[t]], [*best[t], length]))
            assert np.isclose(got, max(options))  # optimal (ties may hold several optima)


def test_ridge_reach_holds_in_tracks_of_several_segments():
    """One localization error per track hides in its slow segment: two FBM segments of one alpha
    (0.3-0.9), K 1 and 1/16, noise 0.3 of the track's RMS step, i.e. 0.87 of the slow segment's own.
    The noise test rarely passes there, and a segment kept without noise must still reach up the ridge
    along the track's shared sigma. When quiet tracks of several segments were spared the search, the
    slow segments' intervals held the truth in 0.41-0.43 (error bars 0.08 for alpha read 0.2 low)."""
    rng = np.random.default_rng(1)
    segs, owner, truth, slow = [], [], [], []
    for t in range(150):
        alpha = rng.uniform(0.3, 0.9)
        ks = [1.0, 1.0 / 16][:: (1 if rng.random() < 0.5 else -1)]
        sigma = 0.3 * np.sqrt(2 * np.mean(ks))
        for k in ks:
            segs.append(sample_fbm(rng, alpha, k, sigma, 100, 1)[0])
            owner.append(t), truth.append(alpha), slow.append(k < 1)
    owner, truth, slow = map(np.array, (owner, truth, slow))
    fit = fit_segments(segs, groups=owner)
    ok = np.isfinite(fit.alpha_se) & ~fit.at_bound
    covered = np.abs(fit.alpha - truth) <= 1.96 * fit.alpha_se
    quiet = ok & slow & (fit.sigma == 0)
    assert quiet.sum() > 60  # measured 108-118 of 150 (seeds 1-3): the noise is rarely found
    assert covered[ok & slow].mean() >= 0.85  # measured 0.98-0.99 (binomial sd ~0.03 at 0.95)
    assert covered[ok & ~slow].mean() >= 0.85  # measured 0.92-0.95
    assert np.median(fit.alpha_se[ok & slow]) <= 0.45  # measured 0.32: wide, not unbounded


def test_both_tasks_cut_a_segment_called_fbm_where_its_d_changes():
    """With both tasks, a segment the diffusion-model network calls FBM surely is FBM to the likelihood, which
    then also chooses changepoints inside it: a 16-fold change of K at one alpha (a particle unbinding), which
    moves neither network, is found and each side gets its own K; without that (the setting off) the segment
    keeps one K between the two, whose interval holds neither. A segment called ATTM surely is not cut."""
    from uandi.postprocess import Segments, refine_segments, segment_statistics

    rng = np.random.default_rng(11)
    n, half = 12, 150
    tracks = two_segment_tracks(rng, n_tracks=n, alphas=(0.7, 0.7), K=0.5, half=half)
    steps = np.diff(tracks, axis=1)
    steps[:, half - 1 :] *= 4.0  # K 0.5 -> 8 from point `half` on
    tracks = list(np.concatenate([np.zeros((n, 1, 2)), steps.cumsum(axis=1)], axis=1))
    alpha = np.full(2 * half, 0.7)  # the networks see no change
    sure = {"fbm": np.tile([0.01, 0.01, 0.96, 0.01, 0.01], (2 * half, 1)),
            "attm": np.tile([0.96, 0.01, 0.01, 0.01, 0.01], (2 * half, 1))}

    def run(label, **settings):
        segs = [Segments(np.zeros(0, np.int64), 2 * half, segment_statistics(x, np.zeros(0, np.int64), alpha=alpha,
                                                                             proba=sure[label])) for x in tracks]
        return refine_segments(tracks, segs, alpha=[alpha] * n, proba=[sure[label]] * n, changepoints=False,
                               settings={"noise": False, **settings})

    cut = run("fbm")
    found = [o for o in cut if len(o.changepoints) == 1 and abs(o.changepoints[0] - half) <= 5]
    assert len(found) >= n - 1, [o.changepoints.tolist() for o in cut]
    for o in found:
        assert o["alpha_method"].tolist() == ["likelihood", "likelihood"]
        assert o["first_frame_low"][1] <= o.changepoints[0] <= o["first_frame_high"][1]  # the change's interval
    held = [np.abs(np.log(o["K"] / np.array([0.5, 8.0]))) <= 1.96 * o["K_se"] / o["K"] for o in found]
    assert np.mean(held) >= 0.8  # 95 % intervals, 2 per track: about 0.95 expected
    whole = run("fbm", fbm_changepoints=False)
    assert all(len(o.changepoints) == 0 for o in whole)
    between = np.array([o["K"][0] for o in whole])
    assert np.all((between > 1.0) & (between < 6.0))  # the average of the two states: true of neither
    assert all(len(o.changepoints) == 0 for o in run("attm"))
