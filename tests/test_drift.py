"""Drift shared by all tracks (uandi.drift): the estimate and its error, the notice, the flow check, and
segment(drift="constant")."""

import warnings

import numpy as np
import pandas as pd
import pytest

from uandi.drift import (
    MIN_DRIFT_TRACKS,
    NOTICE_TRACK_Z,
    drift_notice,
    estimate_drift,
    laid_end_to_end,
    remove_drift,
)
from uandi.notices import UandiNotice
from uandi.segmentation import segment
from uandi.simulate.fbm import fbm


def drifting_file(rng, n=60, length=200, alpha=0.5, z=3.0, carried=None):
    """FBM tracks of several speeds (scale log-uniform in [0.1, 1]) plus one velocity of z times the
    spread of their own mean steps, added to the tracks where `carried` is True (default all).
    Returns (tracks (n, L, 2), velocity (2,), scale (n,))."""
    scale = np.exp(rng.uniform(np.log(0.1), 0.0, n))
    x = fbm(rng, np.full(n, alpha), length) * scale[:, None, None]
    means = (x[:, -1] - x[:, 0]) / (length - 1)
    spread = np.sqrt(((means - means.mean(axis=0)) ** 2).sum(axis=1).mean() / 2)
    velocity = z * spread * np.array([0.6, -0.8])
    carried = np.ones(n, bool) if carried is None else carried(scale)
    return x + carried[:, None, None] * np.arange(length)[None, :, None] * velocity, velocity, scale


def test_standard_error_matches_the_spread_of_the_estimate(rng):
    # Brownian tracks of different speeds and lengths, a known drift: (estimate - truth) / se is about N(0, 1)
    velocity = np.array([0.05, -0.02])
    z = []
    for _ in range(300):
        lengths = rng.integers(20, 120, size=30)
        speeds = np.exp(rng.uniform(-1.0, 1.0, size=30))
        tracks = [np.cumsum(rng.normal(size=(n, 2)) * s + velocity, axis=0) for n, s in zip(lengths, speeds)]
        est = estimate_drift(*laid_end_to_end(tracks))
        z.append(np.r_[(est.velocity - velocity) / est.se, (est.stage_velocity - velocity) / est.stage_se])
    z = np.array(z)  # (300, 4): equal steps x, y; weighted for a stage drift x, y
    # sd of the mean of 600 N(0,1): 0.04; of their sd: 0.03. The 30-cluster sandwich runs a little narrow
    for zs in (z[:, :2], z[:, 2:]):
        assert abs(zs.mean()) < 0.17
        assert 0.9 < zs.std() < 1.15


def test_steps_between_pieces_do_not_count(rng):
    # two pieces laid end to end with a jump of 1000 between them: no step of the estimate crosses it
    a = np.cumsum(rng.normal(size=(50, 2)), axis=0)
    b = np.cumsum(rng.normal(size=(50, 2)), axis=0) + 1000.0
    one_by_one = [np.diff(t, axis=0) for t in (a, b)]
    est = estimate_drift(*laid_end_to_end([a, b]))
    assert est.n_steps == 98 and est.n_tracks == 2
    np.testing.assert_allclose(est.velocity, np.concatenate(one_by_one).mean(axis=0))


def test_notable_stage_drift_and_flow(rng):
    x, velocity, _ = drifting_file(rng, z=3.0)
    stage = estimate_drift(*laid_end_to_end(x))
    assert stage.notable and not stage.flow_like
    assert np.all(np.abs(stage.velocity - velocity) < 4 * stage.se)
    free = estimate_drift(*laid_end_to_end(drifting_file(rng, z=0.0)[0]))
    assert not free.notable and free.track_z < NOTICE_TRACK_Z / 2
    # a flow: the slowest quarter stays in place
    flow_x, _, _ = drifting_file(rng, z=3.0, carried=lambda s: s > np.quantile(s, 0.25))
    flow = estimate_drift(*laid_end_to_end(flow_x))
    assert flow.flow_like and flow.notable


def test_pieces_at_rest_give_no_velocity_but_show_a_flow(rng):
    # 60 moving tracks carried by a flow, 20 particles at rest (localization error only)
    velocity = np.array([0.3, 0.1])
    moving = [np.cumsum(rng.normal(size=(100, 2)) + velocity, axis=0) for _ in range(60)]
    at_rest = [rng.normal(scale=0.05, size=(100, 2)) for _ in range(20)]
    mask = np.r_[np.ones(60, bool), np.zeros(20, bool)]
    est = estimate_drift(*laid_end_to_end(moving + at_rest), moving=mask)
    assert est.n_tracks == 60 and np.all(np.abs(est.velocity - velocity) < 4 * est.se)
    assert est.flow_like


def test_a_drift_that_turns_around_is_told_from_a_constant_one(rng):
    # 40 Brownian tracks over frames 0-99; the stage moves one way, then (from frame 50) the other way back
    x = np.cumsum(rng.normal(size=(40, 100, 2)), axis=1)
    frames = np.tile(np.arange(100), 40)
    velocity = np.array([0.4, 0.0])
    constant = x + np.arange(100)[None, :, None] * velocity
    turning = x + np.minimum(np.arange(100), 100 - np.arange(100))[None, :, None] * velocity
    steady = estimate_drift(*laid_end_to_end(constant), frame=frames)
    turned = estimate_drift(*laid_end_to_end(turning), frame=frames)
    assert steady.early_velocity is not None and not steady.changes
    assert turned.changes and turned.early_velocity[0] > 0.3 and turned.late_velocity[0] < -0.3
    # out and back: no mean velocity, but a notice all the same
    assert turned.track_z < 0.5 and turned.notable and "frame by frame" in drift_notice(turned)
    with pytest.warns(UandiNotice, match="it changes over the recording"):
        segment(turning + 10.0 * np.arange(100)[None, :, None] * velocity, weights={"alpha": Recorder()},
                tasks=("alpha",), likelihood=False, drift="constant")


def test_remove_drift_uses_the_frame_numbers():
    xy = np.zeros((3, 2))
    np.testing.assert_allclose(remove_drift(xy, np.array([5, 6, 7]), [1.0, -2.0]),
                               [[-5, 10], [-6, 12], [-7, 14]])


class Recorder:
    """A point-wise alpha 'network' that records the positions it is given (alpha 1 everywhere)."""

    task, classes = "alpha", ()

    def __init__(self):
        self.seen = []

    def pointwise(self, x, batch_size=256, *, progress=None, check_input=True):
        self.seen += [np.array(t) for t in x]
        return [np.ones(len(t)) for t in x]


def test_segment_takes_the_drift_out_of_what_it_analyses_only(rng):
    x, _, _ = drifting_file(rng, n=20, length=60, z=3.0)
    table = pd.DataFrame({"track_id": np.repeat(np.arange(20), 60), "frame": np.tile(np.arange(100, 160), 20),
                          "x": x[:, :, 0].ravel(), "y": x[:, :, 1].ravel()})
    net = Recorder()
    points, segments = segment(table, tasks=("alpha",), weights={"alpha": net}, likelihood=False, drift="constant")
    drift = segments.attrs["drift"]
    assert drift["removed"] and drift["n_tracks"] == 20
    assert (segments[["drift_x", "drift_y"]].to_numpy() == drift["removed_velocity"]).all()
    expected = remove_drift(table[["x", "y"]].to_numpy(), table["frame"].to_numpy(), drift["removed_velocity"])
    np.testing.assert_allclose(np.concatenate(net.seen), expected)
    np.testing.assert_array_equal(points["x"].to_numpy(), table["x"].to_numpy())  # the user's positions as given
    # left in: the same positions go to the network, and the notice says why they read super-diffusive
    net = Recorder()
    with pytest.warns(UandiNotice, match=r"If the stage drifted \(alpha then too high.*\), drift='constant'"):
        _, segments = segment(table, tasks=("alpha",), weights={"alpha": net}, likelihood=False)
    np.testing.assert_allclose(np.concatenate(net.seen), table[["x", "y"]].to_numpy())
    assert not segments.attrs["drift"]["removed"]


def test_segment_refuses_what_it_cannot_call_a_drift(rng):
    net = Recorder()
    with pytest.raises(ValueError, match="drift must be None"):
        segment(np.zeros((1, 30, 2)), weights={"alpha": net}, tasks=("alpha",), drift="linear")
    few, _, _ = drifting_file(rng, n=MIN_DRIFT_TRACKS - 1, length=40)
    with pytest.raises(ValueError, match=f"at least {MIN_DRIFT_TRACKS} moving tracks"):
        segment(few, weights={"alpha": net}, tasks=("alpha",), drift="constant")
    flow, _, _ = drifting_file(rng, n=80, length=100, carried=lambda s: s > np.quantile(s, 0.25))
    with pytest.raises(ValueError, match="a flow carrying the moving particles"):
        segment(flow, weights={"alpha": net}, tasks=("alpha",), drift="constant")
    assert net.seen == []  # refused before any network ran


def test_no_notice_without_drift(rng):
    x, _, _ = drifting_file(rng, n=40, length=100, z=0.0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*mean velocity.*", category=UandiNotice)
        segment(x, weights={"alpha": Recorder()}, tasks=("alpha",), likelihood=False)


def test_shipped_likelihood_alpha_recovers_when_the_drift_is_removed(rng):
    # subdiffusive FBM on a drifting stage reads super-diffusive; with the drift out, the truth comes back
    x, _, _ = drifting_file(rng, n=30, length=200, alpha=0.5, z=3.0)
    with pytest.warns(UandiNotice, match="mean velocity"):
        _, left = segment(x, tasks=("alpha",))
    _, fixed = segment(x, tasks=("alpha",), drift="constant")
    # benchmarks/drift.py: 0.82 left in, 0.50 removed (200 tracks); the sd of one segment's alpha is ~0.07
    assert left["alpha"].median() > 0.65
    assert abs(fixed["alpha"].median() - 0.5) < 0.06


def test_command_line_drift_option(tmp_path, rng, capsys):
    from uandi.cli import main

    x, _, _ = drifting_file(rng, n=20, length=60, z=3.0)
    table = pd.DataFrame({"track_id": np.repeat(np.arange(20), 60), "frame": np.tile(np.arange(60), 20),
                          "x": x[:, :, 0].ravel(), "y": x[:, :, 1].ravel()})
    table.to_csv(tmp_path / "tracks.csv", index=False)
    assert main(["segment", str(tmp_path / "tracks.csv"), "--tasks", "alpha", "--no-likelihood", "--drift",
                 "constant", "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert "drift removed: (" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: only "constant" is a drift model
        main(["segment", str(tmp_path / "tracks.csv"), "--drift", "linear"])


def test_real_beads_share_a_flow_that_drift_constant_refuses(real_data):
    # the moving beads share a velocity, the beads held to the glass do not (docs/real_data.md, "Drift")
    with pytest.raises(ValueError, match="a flow carrying the moving particles"):
        segment(real_data / "granik2019_brownian_beads.mat", tasks=("alpha",), drift="constant")


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e300])
def test_estimate_is_exact_at_any_scale_and_quiet_with_one_track(rng, scale):
    x, _, _ = drifting_file(rng, n=40, length=50, z=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit = estimate_drift(*laid_end_to_end(x))
        scaled = estimate_drift(*laid_end_to_end(x * scale))
        one = estimate_drift(*laid_end_to_end([x[0] * scale]))
    np.testing.assert_allclose(scaled.velocity, unit.velocity * scale, rtol=1e-12)
    np.testing.assert_allclose(scaled.se, unit.se * scale, rtol=1e-12)
    assert scaled.track_z == pytest.approx(unit.track_z) and scaled.flow_like == unit.flow_like
    assert one.n_tracks == 1 and np.all(np.isinf(one.se)) and not one.notable


def test_particles_stuck_to_a_drifting_stage_are_at_rest_once_it_is_removed(rng):
    # 30 diffusing tracks and 10 particles stuck to the glass, all carried by the stage: not a flow; once
    # the drift is out, the stuck ones are at rest and set aside, as a particle at rest always is
    velocity = np.array([0.3, -0.2])
    frames = np.arange(100)[:, None]
    moving = [np.cumsum(rng.normal(size=(100, 2)), axis=0) + frames * velocity for _ in range(30)]
    stuck = [0.05 * rng.normal(size=(100, 2)) + frames * velocity for _ in range(10)]
    points, segments = segment(moving + stuck, weights={"alpha": Recorder()}, tasks=("alpha",), likelihood=False,
                               drift="constant")
    reasons = points.groupby("track_id")["reason"].first()
    assert all(r.startswith("immobile") and r.endswith("after the drift was removed") for r in reasons[30:])
    assert (reasons[:30] == "").all()
    drift = segments.attrs["drift"]
    assert not drift["flow_like"]
    # the stuck particles make the weighted estimate tens of times more precise than the plain mean step
    assert max(drift["removed_se"]) < 0.1 * min(drift["se"])
    assert np.all(np.abs(np.array(drift["removed_velocity"]) - velocity) < 4 * np.array(drift["removed_se"]))
