"""The andi flavour of the simulator (uandi.simulate.andi): andi-datasets' parametrisations.

Each test checks a property that tells the andi flavour from ours, derived from andi-datasets' model
definitions (docs/simulator.md); the side-by-side comparison with andi-datasets itself is
benchmarks/andi_compare.py (an optional environment). Statistical tolerances are Z standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from uandi.constants import ALPHA_RANGES, MODELS
from uandi.simulate import dataset, trajectories
from uandi.simulate.andi import _integer_periods, _period_of_step, attm_sigma
from uandi.simulate.models import generate_steps

Z = 5.0


def test_sbm_follows_the_offset_path(rng):
    """andi's SBM drops the first step of a path with MSD t^alpha: per-axis MSD (t+1)^alpha - 1 from
    the start (ours: 2 t^alpha)."""
    alpha, n = 0.5, 4000
    x = trajectories("sbm", n, 11, alpha, rng, flavor="andi")
    for t in (1, 4, 10):
        sq = (x[:, t] ** 2).ravel()  # both axes: 2n independent values
        expected = (t + 1) ** alpha - 1
        se = sq.std() / np.sqrt(sq.size)
        assert abs(sq.mean() - expected) < Z * se, (t, sq.mean(), expected)


def test_fbm_lives_on_total_time_one(rng):
    """andi samples FBM on [0, 1]: steps of per-axis variance n_steps^(-alpha)."""
    alpha, n_steps, n = 1.5, 100, 2000
    steps = generate_steps("fbm", np.full(n, alpha), n_steps, rng, flavor="andi")
    per_track = (steps**2).mean(axis=(1, 2))  # independent tracks
    expected = n_steps ** (-alpha)
    assert abs(per_track.mean() - expected) < Z * per_track.std() / np.sqrt(n)


def test_ctrw_jumps_show_at_the_floor_of_their_time(rng):
    """andi shows jump k at frame floor(t_k), so the walker has moved by frame 1 when the first wait is
    below 2: probability 1 - 2^(-alpha). Ours shows it at ceil(t_k) >= 1 only after it happened:
    by frame 1 it has never moved (waits are >= 1)."""
    alpha, n = 0.5, 20000
    moved = np.any(trajectories("ctrw", n, 2, alpha, rng, flavor="andi")[:, 1] != 0, axis=1)
    p = 1 - 2 ** (-alpha)
    assert abs(moved.mean() - p) < Z * np.sqrt(p * (1 - p) / n)
    assert not np.any(trajectories("ctrw", 2000, 2, alpha, rng)[:, 1] != 0)


@pytest.mark.parametrize("alpha", [1.2, 2.0])
def test_levy_walk_has_one_speed_per_track_uniform_in_0_10(alpha, rng):
    """andi: flights of whole frames at one speed per trajectory, uniform in (0, 10)."""
    n = 4000
    steps = generate_steps("lw", np.full(n, alpha), 50, rng, flavor="andi")
    speed = np.linalg.norm(steps, axis=2)  # (n, 50)
    np.testing.assert_allclose(speed, speed[:, :1] * np.ones((1, 50)), rtol=1e-9)
    s = speed[:, 0]
    assert s.min() >= 0 and s.max() < 10
    assert abs(s.mean() - 5.0) < Z * 10 / np.sqrt(12 * n)


def test_levy_walk_turns_only_at_whole_frames(rng):
    """Every andi step lies inside one flight: a step is parallel to the one before or a new direction,
    never a mix (ours turn inside a frame, which makes shorter steps)."""
    steps = generate_steps("lw", np.full(200, 1.5), 100, rng, flavor="andi")
    unit = steps / np.linalg.norm(steps, axis=2, keepdims=True)
    cos = np.einsum("ijk,ijk->ij", unit[:, 1:], unit[:, :-1])
    same = np.isclose(cos, 1.0, atol=1e-9)
    assert same.mean() > 0.3  # flights last several frames at alpha = 1.5 ...
    assert (~same).mean() > 0.05  # ... and the walker turns


def test_attm_sigma_is_the_range_andi_accepts(rng):
    """sigma = 3 U(0.01, 1.1) is kept when gamma = sigma / alpha <= sigma + 1: sigma <= alpha / (1 - alpha)."""
    for alpha in (0.05, 0.5, 0.9, 1.0):
        s = attm_sigma(rng, np.full(20000, alpha))
        upper = min(3.3, alpha / (1 - alpha)) if alpha < 1 else 3.3
        assert s.min() >= 0.03 and s.max() <= upper
        gamma = s / alpha
        assert np.all(gamma <= s + 1 + 1e-12)
        # uniform: the mean is the midpoint, within Z standard errors
        assert abs(s.mean() - (0.03 + upper) / 2) < Z * (upper - 0.03) / np.sqrt(12 * s.size)


def test_attm_periods_are_whole_frames_and_truncated(rng):
    """Periods last int(V^(-1/alpha)) frames with V in (0.01, 0.9): at alpha = 1 between 1 and 100
    frames, so ATTM is Brownian beyond 100 frames; the steps' variance is constant inside a period."""
    alpha = np.ones(500)

    def duration(u, rows):
        return np.minimum(np.exp(-np.log(0.01 + 0.89 * u) / alpha[rows, None]), 1001)

    periods, _ = _integer_periods(rng, duration, 500, 1000)
    assert periods.min() >= 1 and np.all(periods.sum(axis=1) > 1000)
    used = periods[:, :-1][np.cumsum(periods, axis=1)[:, :-1] <= 1000]
    assert used.max() <= 100 and used.min() >= 1
    k = _period_of_step(periods, 1000)
    ends = np.cumsum(periods, axis=1)
    # naive count: step i lies in period k when exactly k periods end at or before i
    i = np.arange(1000)
    np.testing.assert_array_equal(k, (ends[:, None, :] <= i[None, :, None]).sum(axis=2))


@pytest.mark.parametrize("model", MODELS)
def test_andi_flavor_finite_reproducible_at_the_range_ends(model):
    lo, hi = ALPHA_RANGES[model]
    for alpha in (lo, hi):
        a = trajectories(model, 50, 300, alpha, np.random.default_rng(3), flavor="andi")
        b = trajectories(model, 50, 300, alpha, np.random.default_rng(3), flavor="andi")
        assert np.all(np.isfinite(a)) and np.array_equal(a, b)
        assert a.shape == (50, 300, 2) and np.all(a[:, 0] == 0)


def test_dataset_mixes_flavours_per_segment():
    """A flavour list draws one flavour per segment; one flavour leaves the default stream unchanged."""
    kw = dict(n_segments=(2, 5), diffusion_factor=(0.5, 2.0))
    default = dataset("model", 200, 300, np.random.default_rng(5), **kw)
    ours = dataset("model", 200, 300, np.random.default_rng(5), flavor="uandi", **kw)
    andi = dataset("model", 200, 300, np.random.default_rng(5), flavor="andi", **kw)
    mixed = dataset("model", 200, 300, np.random.default_rng(5), flavor=["uandi", "andi"], **kw)
    assert np.array_equal(default.x, ours.x)
    assert not np.array_equal(ours.x, andi.x)
    for d in (andi, mixed):
        assert np.all(np.isfinite(d.x))
        # same segment structure: labels follow the composition, not the flavour
        assert d.x.shape == ours.x.shape
    assert np.array_equal(andi.model, ours.model)
    # scale-free: every step of a segment with unit per-axis RMS times its factor in [0.5, 2]
    rms = np.sqrt((np.diff(mixed.x, axis=1) ** 2).mean())
    assert 0.5 < rms < 2.0


def test_unknown_flavor_is_refused_with_the_allowed_names(rng):
    with pytest.raises(ValueError, match="allowed: uandi, andi"):
        trajectories("fbm", 5, 10, 0.5, rng, flavor="andi-datasets")
    with pytest.raises(ValueError, match="allowed: uandi, andi"):
        dataset("model", 5, 100, rng, flavor=["uandi", "stochastic"])
    with pytest.raises(ValueError, match="at least one"):
        dataset("model", 5, 100, rng, flavor=[])


def test_cli_simulate_flavor(tmp_path, capsys):
    from uandi.cli import main
    from uandi.data import read_dataset

    out = tmp_path / "andi"
    assert main(["simulate", "--task", "model", "--length", "60", "--n", "30", "--seed", "2", "--flavor", "andi",
                 "--out", str(out), "--quiet"]) == 0
    d = read_dataset(out)
    expected = dataset("model", 30, 60, np.random.default_rng(2), flavor="andi")
    assert np.array_equal(d.arrays("x"), expected.x)
    assert main(["simulate", "--task", "model", "--length", "60", "--n", "3", "--flavor", "bogus",
                 "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "unknown simulator flavor 'bogus'; allowed: uandi, andi" in capsys.readouterr().err


def test_brownian_share_sets_alpha_1_on_that_share_of_gaussian_segments():
    d = dataset("model", 2000, 100, np.random.default_rng(9), brownian_share=0.4)
    first = d.model[:, 0]  # one segment per trajectory read at its first point
    alpha = d.alpha[:, 0]
    gaussian = np.isin(first, [MODELS.index("fbm"), MODELS.index("sbm")])
    share = np.mean(alpha[gaussian] == 1.0)
    assert abs(share - 0.4) < 5 * np.sqrt(0.4 * 0.6 / gaussian.sum())
    assert not np.any(alpha[~gaussian] == 1.0)  # ATTM, CTRW and LW keep uniform alphas
    # FBM task: the same share of FBM segments
    a = dataset("alpha", 1000, 100, np.random.default_rng(9), brownian_share=1.0)
    assert np.all(a.alpha == 1.0)
    base = dataset("model", 50, 100, np.random.default_rng(9))
    assert np.array_equal(base.x, dataset("model", 50, 100, np.random.default_rng(9), brownian_share=0.0).x)
    with pytest.raises(ValueError, match="brownian_share"):
        dataset("model", 5, 100, np.random.default_rng(9), brownian_share=1.5)


def test_cli_train_takes_the_flavor_mix(tmp_path):
    import json

    from uandi.cli import main

    run = tmp_path / "run"
    assert main(["train", "--preset", "tiny-model", "--steps", "2", "--batch-size", "4", "--lengths", "60,60",
                 "--val-n", "8", "--val-lengths", "60", "--val-every", "2", "--flavor", "uandi,andi",
                 "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["train"]["sim_options"]["flavor"] == ["uandi", "andi"]
