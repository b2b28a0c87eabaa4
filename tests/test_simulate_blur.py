"""Motion blur in the simulator (uandi.simulate.blur): frames averaged over the camera's exposure.

Statistical tests allow 5 standard errors (test_simulate.py's convention), measured from independent
trajectories.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from uandi.data.stream import StreamConfig, simulate_batch
from uandi.likelihood import increment_autocovariance
from uandi.simulate import dataset
from uandi.simulate.blur import blurred_steps
from uandi.train import TrainConfig, make_validation_set

Z = 5.0


@pytest.mark.parametrize("alpha,exposure", [(0.3, 0.5), (0.3, 1.0), (1.0, 1.0), (1.7, 0.25), (1.7, 1.0)])
def test_blurred_fbm_steps_have_the_exact_blurred_autocovariance(alpha, exposure, rng):
    n, steps = 1000, 200
    dx = blurred_steps("fbm", np.full(n, alpha), steps, np.full(n, exposure), rng, np.float64)  # (n, steps, 2)
    # unit variance without blur: half of the likelihood's per-axis autocovariance at K = 1
    expected = 0.5 * increment_autocovariance(alpha, 6, exposure=exposure)
    for k in range(6):
        per_traj = (dx[:, : steps - k] * dx[:, k:]).mean(axis=(1, 2))
        se = per_traj.std(ddof=1) / math.sqrt(n)
        assert abs(per_traj.mean() - expected[k]) < Z * se, (k, per_traj.mean(), expected[k], se)


@pytest.mark.parametrize("exposure", [0.5, 1.0])
def test_blurred_brownian_steps_are_correlated_as_the_exact_average_says(exposure, rng):
    # SBM at alpha 1 is Brownian motion, blurred through Brownian bridges: lag-1 correlation 0.1 at half
    # exposure, 0.25 at full (and none at lag 2), the step variance 1 - f / 3 of the unblurred
    n, steps = 1000, 200
    dx = blurred_steps("sbm", np.full(n, 1.0), steps, np.full(n, exposure), rng, np.float64)
    gamma = increment_autocovariance(1.0, 3, exposure=exposure)
    var = (dx**2).mean(axis=(1, 2))  # per trajectory
    for k in (1, 2):
        corr = (dx[:, : steps - k] * dx[:, k:]).mean(axis=(1, 2)) / var.mean()
        se = corr.std(ddof=1) / math.sqrt(n)
        assert abs(corr.mean() - gamma[k] / gamma[0]) < Z * se, (k, corr.mean(), gamma[k] / gamma[0])
    # SBM at alpha 1 steps with per-axis variance 2 (MSD 2 t): blurred, 2 (1 - f / 3)
    assert abs(var.mean() / (2 * (1 - exposure / 3)) - 1) < Z * var.std(ddof=1) / math.sqrt(n) / var.mean()


@pytest.mark.parametrize("alpha", [0.05, 1.0, 1.95])
@pytest.mark.parametrize("exposure", [0.001, 0.01, 1.0])
def test_blurred_fbm_covariance_is_finite_and_joins_the_unblurred_one(alpha, exposure):
    # the blurred formula loses digits at long lags and short exposures: past BLUR_LAGS the unblurred
    # covariance takes over, which blur changes by O(exposure^2 / lag^2) only, and nothing is garbage
    from uandi.simulate.fbm import BLUR_LAGS, _fgn_autocovariance, blurred_fgn_autocovariance

    blurred = blurred_fgn_autocovariance(np.array([alpha]), np.array([exposure]), 1024)[0]
    sharp = _fgn_autocovariance(np.array([alpha]), 1024)[0]
    assert np.all(np.isfinite(blurred)) and 0 < blurred[0] <= 1 + 1e-9
    k = BLUR_LAGS - 1  # the last lag of the blurred formula, beside the first of the unblurred one
    assert abs(blurred[k] - sharp[k]) <= 2e-3 * abs(sharp[k]) + 1e-6
    exact = 0.5 * increment_autocovariance(alpha, 3, exposure=exposure)
    np.testing.assert_allclose(blurred[:3], exact, rtol=1e-6, atol=1e-9)


def _sharp_and_blurred(model, alpha, n=300, steps=200, seed=5):
    """The same path (same seed) read at the frame (exposure 1e-9, as good as instantaneous) and averaged
    over the whole frame."""
    sharp = blurred_steps(model, np.full(n, alpha), steps, np.full(n, 1e-9), np.random.default_rng(seed), np.float64)
    blurred = blurred_steps(model, np.full(n, alpha), steps, np.ones(n), np.random.default_rng(seed), np.float64)
    return sharp, blurred


def test_blurred_ctrw_rests_only_between_two_resting_frames():
    # with the shutter open the whole frame, a jump during frame j + 1 already moves frame j + 1's mean
    # (exposure [j + 1, j + 2]), so blurred step j rests exactly when sharp steps j and j + 1 both do
    sharp, blurred = _sharp_and_blurred("ctrw", 0.5)
    rest_sharp = np.all(np.abs(sharp) < 1e-9, axis=2)
    rest_blurred = np.all(np.abs(blurred) < 1e-9, axis=2)
    np.testing.assert_array_equal(rest_blurred[:, :-1], rest_sharp[:, :-1] & rest_sharp[:, 1:])
    assert 0 < rest_blurred.sum() < rest_sharp.sum()


def test_blurred_levy_flight_keeps_its_steps_along_a_straight_flight():
    # at constant velocity the mean position over the exposure moves exactly as the position does: in
    # long flights (alpha 1.8) most blurred steps equal the sharp ones; where the flight turns they differ
    sharp, blurred = _sharp_and_blurred("lw", 1.8)
    same = np.all(np.abs(blurred - sharp) < 1e-6 * (1 + np.abs(sharp)), axis=2)
    straight = np.all(np.abs(sharp[:, 1:] - sharp[:, :-1]) < 1e-9, axis=2)  # frames j, j + 1 in one flight
    np.testing.assert_array_equal(same[:, :-1], straight)
    assert 0.3 < same.mean() < 1.0


def test_blurred_attm_is_brownian_within_its_periods():
    # ATTM is Brownian motion between changes of D: blurred over the whole frame its steps correlate
    # about +0.25 with the next (less where a period ends inside the pair), sharp ones not at all
    sharp, blurred = _sharp_and_blurred("attm", 0.5)

    def lag1(d):
        return np.median((d[:, 1:] * d[:, :-1]).mean(axis=(1, 2)) / np.maximum((d**2).mean(axis=(1, 2)), 1e-300))

    assert abs(lag1(sharp)) < 0.05 and 0.15 < lag1(blurred) < 0.3, (lag1(sharp), lag1(blurred))


def test_exposure_zero_leaves_the_dataset_unchanged():
    a = dataset("model", 50, 200, np.random.default_rng(3))
    b = dataset("model", 50, 200, np.random.default_rng(3), exposure=0.0)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.model, b.model)


def test_exposure_per_trajectory_blurs_only_those_tracks(rng):
    exposure = np.r_[np.zeros(400), np.ones(400)]
    d = dataset("alpha", 800, 200, rng, n_segments=1, exposure=exposure)
    dx = np.diff(d.x.astype(float), axis=1)
    near_one = np.abs(d.alpha[:, 0] - 1.0) < 0.15  # near Brownian: lag-1 correlation 0 sharp, 0.25 blurred
    corr = (dx[:, 1:] * dx[:, :-1]).mean(axis=(1, 2)) / (dx**2).mean(axis=(1, 2))
    sharp, blurred = corr[:400][near_one[:400]], corr[400:][near_one[400:]]
    assert abs(sharp.mean()) < 0.06 and abs(blurred.mean() - 0.25) < 0.06, (sharp.mean(), blurred.mean())
    # still scale-free: per-axis RMS step 1 over the segment's steps, the one leaving the origin dropped
    total = (dx**2).sum(axis=(1, 2))
    assert np.all(total <= 2.0 * 200 * (1 + 1e-4)) and np.all(total >= 0.8 * 2.0 * 199)


@pytest.mark.parametrize("exposure,match", [(1.5, r"\[0, 1\]"), (-0.1, r"\[0, 1\]"), (np.ones(3), "shape"),
                                            (float("nan"), r"\[0, 1\]"), (1e-5, "at least 0.001")])
def test_bad_exposure_is_refused(exposure, match, rng):
    with pytest.raises(ValueError, match=match):
        dataset("alpha", 5, 50, rng, exposure=exposure)


def test_blur_needs_the_scale_free_segments(rng):
    with pytest.raises(ValueError, match="scale='free'"):
        dataset("alpha", 5, 50, rng, exposure=1.0, scale="native")


def test_training_stream_blurs_a_share_and_validation_none():
    cfg = StreamConfig(task="alpha", batch_size=16, lengths=(100, 100), sim_options={"blur_share": 1.0})
    feats, target = simulate_batch(cfg, np.random.default_rng(0))
    assert feats.shape == (16, 2, 100) and target.shape == (16, 100)
    plain = StreamConfig(task="alpha", batch_size=16, lengths=(100, 100))
    assert not np.array_equal(feats.numpy(), simulate_batch(plain, np.random.default_rng(0))[0].numpy())
    blur = TrainConfig(preset="tiny-alpha", val_n=20, val_lengths=(60,), sim_options={"blur_share": 0.5})
    sharp = TrainConfig(preset="tiny-alpha", val_n=20, val_lengths=(60,))
    (fb, _), = make_validation_set(blur, blur.model_config())
    (fs, _), = make_validation_set(sharp, sharp.model_config())
    np.testing.assert_array_equal(fb.numpy(), fs.numpy())
