"""Immobile pieces: a particle at rest is recognised at the stated rate, moving particles are not, and
the unit of the positions does not matter."""

import numpy as np
import pytest

from uandi.immobile import (
    FLAT_MSD,
    LEVEL,
    NO_STEP,
    WITHIN_ERROR,
    flat_msd_statistic,
    flat_msd_threshold,
    immobile_reason,
)
from uandi.simulate.fbm import fbm


def rate(pieces, **kwargs) -> float:
    return float(np.mean([immobile_reason(p, **kwargs) != "" for p in pieces]))


def binomial_margin(p: float, n: int) -> float:
    return 4.0 * np.sqrt(p * (1 - p) / n)  # four standard deviations of a rate from n pieces


@pytest.mark.parametrize("scale", [1e-300, 1e-12, 1.0, 1e12, 1e300])
def test_constant_positions_have_no_step_at_any_scale(scale):
    assert immobile_reason(np.full((30, 2), 3.0) * scale) == NO_STEP
    assert flat_msd_statistic(np.full((30, 2), 3.0) * scale) == np.inf


@pytest.mark.parametrize("scale", [1e-300, 1e-12, 1e12, 1e300])
def test_the_statistic_does_not_depend_on_the_unit(rng, scale):
    noise = rng.normal(size=(40, 2)) + 5.0
    walk = np.cumsum(rng.normal(size=(40, 2)), axis=0)
    for piece in (noise, walk):
        assert flat_msd_statistic(piece * scale) == pytest.approx(flat_msd_statistic(piece), rel=1e-12)
        assert immobile_reason(piece * scale) == immobile_reason(piece)
    assert immobile_reason(noise * scale, localization_error=scale) == immobile_reason(noise, localization_error=1.0)


@pytest.mark.parametrize("length", [20, 100])
def test_flat_msd_statistic_of_a_particle_at_rest_has_the_stated_mean_and_spread(rng, length):
    n = 4000
    values = np.array([flat_msd_statistic(p) for p in rng.normal(size=(n, length, 2))])
    variance = 2.0 * (length - 2) / (length * (length - 1.0))
    assert values.mean() == pytest.approx(2.0, abs=4 * np.sqrt(variance / n))
    assert values.var() == pytest.approx(variance, rel=0.1)


@pytest.mark.parametrize("length", [20, 50, 500])
def test_a_particle_at_rest_is_called_immobile_at_the_stated_rate(rng, length):
    n = 1500
    at_rest = rng.normal(size=(n, length, 2)) * 0.03 + np.array([10.0, -4.0])
    caught = rate(at_rest)
    assert caught >= 1 - LEVEL - binomial_margin(LEVEL, n)
    assert {immobile_reason(p) for p in at_rest} <= {FLAT_MSD, ""}
    # the same with the localization error known
    assert rate(at_rest, localization_error=0.03) >= 1 - LEVEL - binomial_margin(LEVEL, n)


@pytest.mark.parametrize("length, alpha, most", [(20, 1.0, 0.01), (50, 0.5, 0.02), (200, 0.2, 0.01), (20, 0.5, 0.1)])
def test_moving_particles_are_rarely_called_immobile(rng, length, alpha, most):
    n = 1500
    moving = fbm(rng, np.full(n, alpha), length)
    assert rate(moving) <= most


def test_with_the_localization_error_a_confined_particle_is_not_immobile(rng):
    sigma = 0.01
    # independent positions in a cage 20 sigma wide: a flat MSD, but a spread sigma cannot explain
    caged = rng.uniform(-0.1, 0.1, size=(200, 60, 2)) + rng.normal(size=(200, 60, 2)) * sigma
    assert rate(caged) > 0.8  # without sigma, rest and a cage below the frame scale look alike
    assert rate(caged, localization_error=sigma) == 0.0
    at_rest = rng.normal(size=(60, 2)) * sigma
    assert immobile_reason(at_rest, localization_error=2 * sigma) == WITHIN_ERROR


def test_threshold_and_bad_arguments():
    assert flat_msd_threshold(20) < flat_msd_threshold(2000) < 2.0
    with pytest.raises(ValueError, match="at least 3 points"):
        flat_msd_threshold(2)
    with pytest.raises(ValueError, match=r"shape \(L, 2\)"):
        immobile_reason(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        immobile_reason(np.array([[0.0, 0.0], [np.nan, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="localization_error must be a finite number > 0"):
        immobile_reason(np.eye(3, 2), localization_error=0.0)
    with pytest.raises(ValueError, match="level must lie in"):
        immobile_reason(np.eye(3, 2), level=1.5)


# --- in uandi.segment: immobile pieces get their reason and no network output ----------------------


@pytest.fixture(scope="module")
def shipped():
    import uandi

    return {"alpha": uandi.load("alpha", device="cpu"), "model": uandi.load("diffusion-model", device="cpu")}


def test_segment_sets_immobile_pieces_aside_with_their_reason(shipped, rng):
    import pandas as pd

    import uandi

    walk = np.cumsum(rng.normal(size=(60, 2)), axis=0)
    pieces = {"moving": walk, "constant": np.full((60, 2), 4.2), "at rest": 7.0 + 0.01 * rng.normal(size=(60, 2)),
              "huge constant": np.full((60, 2), 3e300)}
    table = pd.concat([pd.DataFrame({"track_id": name, "frame": np.arange(60), "x": xy[:, 0], "y": xy[:, 1]})
                       for name, xy in pieces.items()], ignore_index=True)
    points, segments = uandi.segment(table, weights=shipped)
    reasons = points.groupby("track_id", sort=False)["reason"].first().to_dict()
    assert reasons == {"moving": "", "constant": NO_STEP, "at rest": FLAT_MSD, "huge constant": NO_STEP}
    resting = points["track_id"] != "moving"
    assert points.loc[resting, ["alpha", "p_fbm", "segment_alpha"]].isna().all().all()
    assert points.loc[resting, "model"].isna().all() and points.loc[resting, "piece"].notna().all()
    rows = segments.set_index("track_id")
    assert rows.loc["constant", "reason"] == NO_STEP and pd.isna(rows.loc["constant", "segment"])
    assert np.isnan(rows.loc["constant", "alpha"]) and rows.loc["constant", "length"] == 60
    # with the localization error known, a particle at rest is judged by its spread
    points, _ = uandi.segment(table, weights=shipped, localization_error=0.01)
    assert points.loc[points["track_id"] == "at rest", "reason"].eq(WITHIN_ERROR).all()
    points, _ = uandi.segment(table, weights=shipped, localization_error=1e-6)  # 0.01 is far more than that
    assert points.loc[points["track_id"] == "at rest", "reason"].eq("").all()
    with pytest.raises(ValueError, match="localization_error must be a finite number > 0"):
        uandi.segment(table, weights=shipped, localization_error=-1.0)


def test_segment_flags_alpha_at_the_bound(shipped, rng):
    import pandas as pd

    import uandi
    from uandi.constants import ALPHA_MIN

    # a particle that rests (positions scatter, alpha 0) and then diffuses: the network's alpha sits at
    # its floor 0.05 over the resting part, which the piece test cannot set aside as a whole
    xy = np.concatenate([rng.normal(size=(200, 2)) * 3.0, np.cumsum(rng.normal(size=(60, 2)), axis=0)])
    table = pd.DataFrame({"track_id": 1, "frame": np.arange(260), "x": xy[:, 0], "y": xy[:, 1]})
    points, segments = uandi.segment(table, weights=shipped, tasks="alpha")
    at_floor = np.isclose(points["alpha"], ALPHA_MIN, rtol=0, atol=1e-7)
    assert points["reason"].eq("").all() and at_floor[:200].mean() > 0.3  # the case this test is about
    np.testing.assert_array_equal(points["alpha_clipped"].to_numpy(bool), at_floor)
    first = segments.iloc[0]
    assert first["alpha_clipped"] == pytest.approx(at_floor[: first["length"]].mean())
