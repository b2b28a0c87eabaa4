"""Hand-computed cases for uandi.postprocess (segments and changepoints from point-wise outputs)."""

import warnings

import numpy as np
import pytest

from uandi.postprocess import (
    clip_alpha,
    labels_from_changepoints,
    labels_from_proba,
    segments_from_alpha,
    segments_from_labels,
)


def step_with_ramp():
    # 0.3 for points 0..49, a 3-point ramp, then 1.5; differences 0.15, 0.55, 0.4, 0.1 -> steepest at i=50
    return np.array([0.3] * 50 + [0.45, 1.0, 1.4] + [1.5] * 47)


def test_clip_alpha():
    np.testing.assert_array_equal(clip_alpha([-1.0, 0.05, 0.5, 2.0, 3.0]), [0.05, 0.05, 0.5, 2.0, 2.0])


def test_labels_from_proba_argmax_over_last_axis():
    proba = np.zeros((2, 3, 5))
    proba[0, :, 4] = 1.0
    proba[1, :, 1] = 1.0
    proba[1, 2, 3] = 2.0
    labels = labels_from_proba(proba)
    assert labels.shape == (2, 3) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, [[4, 4, 4], [1, 1, 3]])


def test_rising_step_with_ramp():
    alpha = step_with_ramp()
    cps, seg_alpha = segments_from_alpha(alpha)
    assert cps.dtype == np.int64
    np.testing.assert_array_equal(cps, [51])  # first point after the steepest difference (i = 50)
    np.testing.assert_allclose(seg_alpha, [(50 * 0.3 + 0.45) / 51, (1.0 + 1.4 + 47 * 1.5) / 49])


def test_falling_step_is_found():
    # the paper's signed rule (beta_i > eps) would find nothing here
    alpha = step_with_ramp()[::-1]  # 1.5 x47, 1.4, 1.0, 0.45, 0.3 x50; steepest drop 1.0 -> 0.45 at i=48
    cps, seg_alpha = segments_from_alpha(alpha)
    np.testing.assert_array_equal(cps, [49])
    np.testing.assert_allclose(seg_alpha, [(47 * 1.5 + 1.4 + 1.0) / 49, (0.45 + 50 * 0.3) / 51])


def test_flat_and_sub_threshold_noise_give_one_segment():
    cps, seg_alpha = segments_from_alpha(np.full(30, 0.7))
    assert cps.shape == (0,) and cps.dtype == np.int64
    np.testing.assert_allclose(seg_alpha, [0.7])

    wiggle = 0.7 + 0.01 * (-1.0) ** np.arange(30)  # differences of 0.02 < eps
    cps, seg_alpha = segments_from_alpha(wiggle, eps=0.028)
    assert cps.size == 0
    np.testing.assert_allclose(seg_alpha, [wiggle.mean()])
    # the same wiggle is all "active" with a smaller eps: no plateau long enough, still one segment
    cps, seg_alpha = segments_from_alpha(wiggle, eps=0.01)
    assert cps.size == 0


def test_min_gap_counts_points_of_a_plateau():
    # 0.5 x20, 1.5 x6, 0.8 x20: the middle plateau has 6 points
    alpha = np.array([0.5] * 20 + [1.5] * 6 + [0.8] * 20)
    cps, seg_alpha = segments_from_alpha(alpha, min_gap=6)
    np.testing.assert_array_equal(cps, [20, 26])
    np.testing.assert_allclose(seg_alpha, [0.5, 1.5, 0.8])
    # too short for min_gap=7: one changepoint at the larger jump (+1.0 at i=19 beats -0.7 at i=25)
    cps, seg_alpha = segments_from_alpha(alpha, min_gap=7)
    np.testing.assert_array_equal(cps, [20])
    np.testing.assert_allclose(seg_alpha, [0.5, (6 * 1.5 + 20 * 0.8) / 26])


def test_end_plateaus_use_sentinels():
    start = np.array([1.0] * 5 + [0.3] * 40)
    assert segments_from_alpha(start, min_gap=10)[0].size == 0
    np.testing.assert_array_equal(segments_from_alpha(start, min_gap=5)[0], [5])

    end = np.array([0.3] * 40 + [1.0] * 10)
    np.testing.assert_array_equal(segments_from_alpha(end, min_gap=10)[0], [40])
    assert segments_from_alpha(end, min_gap=11)[0].size == 0


def test_smooth_noisy_transition():
    rng = np.random.default_rng(0)
    t = np.arange(200)
    alpha = 0.3 + 1.2 / (1 + np.exp(-(t - 60.3))) + rng.normal(0, 0.002, t.size)
    cps, seg_alpha = segments_from_alpha(alpha)
    # steepest difference is the one whose midpoint (i + 0.5) is closest to 60.3: i = 60
    np.testing.assert_array_equal(cps, [61])
    np.testing.assert_allclose(seg_alpha, [alpha[:61].mean(), alpha[61:].mean()])
    assert abs(seg_alpha[0] - 0.3) < 0.02 and abs(seg_alpha[1] - 1.5) < 0.02


def test_single_point():
    cps, seg_alpha = segments_from_alpha([0.4])
    assert cps.size == 0
    np.testing.assert_allclose(seg_alpha, [0.4])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(alpha=np.ones((2, 10))), "1D"),
        (dict(alpha=[]), "at least one"),
        (dict(alpha=[0.1, np.nan, 0.3]), "finite"),
        (dict(alpha=np.ones(10), eps=-0.1), "eps"),
        (dict(alpha=np.ones(10), min_gap=0), "min_gap"),
        (dict(alpha=np.ones(10), min_gap=2.5), "min_gap"),
    ],
)
def test_segments_from_alpha_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        segments_from_alpha(**kwargs)


def test_segments_from_labels_every_change():
    cps, seg = segments_from_labels(np.array([0, 0, 0, 2, 2, 1, 1, 1, 1]))
    assert cps.dtype == np.int64 and seg.dtype == np.int64
    np.testing.assert_array_equal(cps, [3, 5])
    np.testing.assert_array_equal(seg, [0, 2, 1])

    cps, seg = segments_from_labels(np.full(7, 3))
    assert cps.size == 0
    np.testing.assert_array_equal(seg, [3])


@pytest.mark.parametrize(
    "runs, min_length, cps, seg",
    [
        # short run absorbed by the longer neighbour (here the following one)
        ([(0, 10), (3, 2), (1, 15)], 4, [10], [0, 1]),
        # ... here the preceding one
        ([(0, 15), (3, 2), (1, 10)], 4, [17], [0, 1]),
        # equal neighbours: the preceding one wins
        ([(0, 5), (1, 1), (2, 5)], 2, [6], [0, 2]),
        # absorbing joins the two 0-runs, which then swallow the 1-run as well
        ([(0, 10), (3, 2), (1, 3), (0, 10)], 4, [], [0]),
        # nothing reaches min_length: stop at a single run, the longer class winning
        ([(0, 3), (1, 2)], 10, [], [0]),
        # runs already long enough: unchanged
        ([(0, 4), (1, 4), (0, 4)], 4, [4, 8], [0, 1, 0]),
        ([(0, 4), (1, 1), (0, 4)], 1, [4, 5], [0, 1, 0]),
    ],
)
def test_segments_from_labels_min_length(runs, min_length, cps, seg):
    labels = np.concatenate([np.full(n, c) for c, n in runs])
    got_cps, got_seg = segments_from_labels(labels, min_length=min_length)
    np.testing.assert_array_equal(got_cps, cps)
    np.testing.assert_array_equal(got_seg, seg)


def test_segments_from_labels_bad_input():
    with pytest.raises(ValueError, match="integer"):
        segments_from_labels(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="min_length"):
        segments_from_labels(np.array([0, 1]), min_length=0)
    with pytest.raises(ValueError, match="1D"):
        segments_from_labels(np.zeros((2, 2), dtype=int))


def test_labels_from_changepoints():
    np.testing.assert_array_equal(labels_from_changepoints([3, 5], [0, 2, 1], 9), [0, 0, 0, 2, 2, 1, 1, 1, 1])
    np.testing.assert_array_equal(labels_from_changepoints([], [0.7], 4), [0.7] * 4)


def test_segments_round_trip():
    labels = np.array([4, 4, 1, 1, 1, 0, 0, 2])
    cps, seg = segments_from_labels(labels)
    np.testing.assert_array_equal(labels_from_changepoints(cps, seg, labels.size), labels)

    alpha = np.array([0.5] * 20 + [1.5] * 6 + [0.8] * 20)
    cps, seg_alpha = segments_from_alpha(alpha, min_gap=6)
    np.testing.assert_allclose(labels_from_changepoints(cps, seg_alpha, alpha.size), alpha)


@pytest.mark.parametrize(
    "cps, values, length, match",
    [
        ([3, 5], [0, 1], 9, "one entry per segment"),
        ([5, 3], [0, 1, 2], 9, "strictly increasing"),
        ([0, 3], [0, 1, 2], 9, "1 .. length-1"),
        ([3, 9], [0, 1, 2], 9, "1 .. length-1"),
        ([1.5], [0, 1], 9, "integer"),
        ([3], [0, 1], 0, "length"),
    ],
)
def test_labels_from_changepoints_bad_input(cps, values, length, match):
    with pytest.raises(ValueError, match=match):
        labels_from_changepoints(cps, values, length)


# --- window-contrast rule and the card-driven dispatcher -------------------------------------------

from types import SimpleNamespace  # noqa: E402

from uandi.postprocess import (  # noqa: E402
    PAPER_SETTINGS,
    alpha_postprocess_settings,
    segments_from_alpha_by,
    segments_from_alpha_contrast,
)


def test_contrast_finds_noisy_steps_that_the_appendix_rule_misses():
    rng = np.random.default_rng(0)
    truth = np.repeat([0.4, 1.3, 0.6], [60, 50, 70])
    noisy = truth + rng.normal(0, 0.05, truth.size)  # point-to-point jitter >> eps = 0.028
    cps, seg = segments_from_alpha_contrast(noisy, window=8, threshold=0.25, min_gap=10)
    assert len(cps) == 2 and abs(cps[0] - 60) <= 2 and abs(cps[1] - 110) <= 2
    np.testing.assert_allclose(seg, [0.4, 1.3, 0.6], atol=0.06)
    assert len(segments_from_alpha(noisy, eps=0.028)[0]) != 2  # the per-step rule is lost in the jitter


def test_contrast_respects_threshold_ends_and_min_gap():
    flat = np.full(100, 0.8)
    assert segments_from_alpha_contrast(flat)[0].size == 0
    step = np.repeat([0.2, 1.8], [5, 95])  # a change 5 points from the start is closer than min_gap
    assert segments_from_alpha_contrast(step, window=4, min_gap=10)[0].size == 0
    two = np.repeat([0.2, 1.8, 0.2], [40, 12, 48])  # two changes 12 apart: both kept with min_gap 10
    assert list(segments_from_alpha_contrast(two, window=6, min_gap=10)[0]) == [40, 52]
    assert segments_from_alpha_contrast(two, window=6, min_gap=15)[0].size == 1
    with pytest.raises(ValueError, match="window"):
        segments_from_alpha_contrast(flat, window=0)


def test_alpha_candidates_of_many_tracks_match_the_rule_track_by_track():
    """The likelihood stage's batched candidates (_alpha_candidates: all tracks of one length at once)
    are _contrast_changepoints' track by track, ties and short tracks included."""
    from uandi.postprocess import _alpha_candidates, _contrast_changepoints

    rng = np.random.default_rng(4)
    tracks = [np.round(rng.uniform(0, 2, 1) + np.cumsum(rng.normal(0, 0.15, n)), 1)  # rounded: many ties
              for n in rng.choice([20, 23, 60, 200, 200, 500], size=120)]
    batched = _alpha_candidates(tracks, 12, 0.06, 5)
    assert sum(len(c) for c in batched) > 300  # something to choose among
    for a, got in zip(tracks, batched):
        np.testing.assert_array_equal(got, _contrast_changepoints(a, 12, 0.06, 5, "alpha units"))
        assert got.dtype == np.int64


def test_settings_come_from_the_card_and_default_to_the_paper():
    assert alpha_postprocess_settings(None) == PAPER_SETTINGS
    tuned = SimpleNamespace(card={"postprocess": {"method": "contrast", "window": 6, "threshold": 0.3,
                                                  "min_gap": 10, "tuned_f1": 0.8}})
    settings = alpha_postprocess_settings(tuned)
    assert settings == {"method": "contrast", "window": 6, "threshold": 0.3, "min_gap": 10}
    a = np.repeat([0.3, 1.5], [50, 50])
    np.testing.assert_array_equal(segments_from_alpha_by(a, settings)[0], [50])
    np.testing.assert_array_equal(segments_from_alpha_by(a, PAPER_SETTINGS)[0], segments_from_alpha(a)[0])
    with pytest.raises(ValueError, match="post-processing method"):
        alpha_postprocess_settings(SimpleNamespace(card={"postprocess": {"method": "magic"}}))


# --- class probabilities: window contrast against argmax changes ----------------------------------

from uandi.postprocess import (  # noqa: E402
    LABEL_SETTINGS,
    model_postprocess_settings,
    segments_from_proba_by,
    segments_from_proba_contrast,
)


def one_hot_ish(classes, lengths, confidence=0.9, n_classes=5):
    """(L, n_classes) probabilities: `confidence` on each run's class, the rest spread evenly."""
    labels = np.repeat(classes, lengths)
    p = np.full((labels.size, n_classes), (1 - confidence) / (n_classes - 1))
    p[np.arange(labels.size), labels] = confidence
    return p


def test_proba_contrast_finds_a_change_of_class():
    p = one_hot_ish([0, 2, 4], [60, 50, 70])
    cps, labels = segments_from_proba_contrast(p, window=16, threshold=0.4, min_gap=10)
    np.testing.assert_array_equal(cps, [60, 110])
    np.testing.assert_array_equal(labels, [0, 2, 4])


def test_proba_contrast_ignores_a_flicker_between_two_likely_classes():
    # FBM (2) and SBM (4) near 0.45 each, the argmax swapping every 12 points: one process, no change
    p = np.full((200, 5), 0.1 / 3)
    swap = (np.arange(200) // 12) % 2 == 0
    p[:, 2] = np.where(swap, 0.47, 0.43)
    p[:, 4] = 0.9 - p[:, 2]
    cps, labels = segments_from_proba_contrast(p, window=16, threshold=0.4)
    assert cps.size == 0 and labels.tolist() == [2]  # 0.45 on average, FBM by a hair
    assert segments_from_labels(labels_from_proba(p), min_length=10)[0].size == 15  # every swap


def test_proba_contrast_bad_input():
    with pytest.raises(ValueError, match="n_classes"):
        segments_from_proba_contrast(np.zeros(50))
    with pytest.raises(ValueError, match="finite"):
        segments_from_proba_contrast(np.full((50, 5), np.nan))
    with pytest.raises(ValueError, match="window"):
        segments_from_proba_contrast(np.full((50, 5), 0.2), window=0)
    with pytest.raises(ValueError, match="threshold"):
        segments_from_proba_contrast(np.full((50, 5), 0.2), threshold=-0.1)


def test_model_settings_come_from_the_card_and_default_to_class_changes():
    assert model_postprocess_settings(None) == LABEL_SETTINGS
    tuned = SimpleNamespace(card={"postprocess": {"method": "contrast", "window": 12, "threshold": 0.35,
                                                  "min_gap": 10, "tuned_f1": 0.9}})
    settings = model_postprocess_settings(tuned)
    assert settings == {"method": "contrast", "window": 12, "threshold": 0.35, "min_gap": 10}
    p = one_hot_ish([1, 3], [50, 50])
    np.testing.assert_array_equal(segments_from_proba_by(p, settings)[0], [50])
    by_labels = segments_from_proba_by(p, LABEL_SETTINGS)
    np.testing.assert_array_equal(by_labels[0], [50])
    np.testing.assert_array_equal(by_labels[1], [1, 3])
    with pytest.raises(ValueError, match="post-processing method"):
        model_postprocess_settings(SimpleNamespace(card={"postprocess": {"method": "appendix"}}))


def test_score_segments_the_probabilities_when_the_settings_say_so():
    from uandi.evaluate import score

    p = np.stack([one_hot_ish([0, 2], [60, 60]), one_hot_ish([1, 3, 1], [40, 40, 40])])  # (2, 120, 5)
    truth = [np.array([60]), np.array([40, 80])]
    labels = p.argmax(-1)
    model = labels.astype(np.int8)
    contrast = {"method": "contrast", "window": 16, "threshold": 0.4, "min_gap": 10}
    out = score("model", labels, np.ones(labels.shape), model, truth, proba=p, model_settings=contrast)
    assert out["postprocess"] == contrast and out["changepoints"]["f1"] == 1.0
    assert [c.tolist() for c in out["_pred_changepoints"]] == [[60], [40, 80]]
    with pytest.raises(ValueError, match="pass proba"):
        score("model", labels, np.ones(labels.shape), model, truth, model_settings=contrast)


# --- settings with overrides; one track from outputs to Segments --------------------------------------

from uandi.postprocess import (  # noqa: E402
    Segments,
    combine_changepoints,
    segment_columns,
    segment_statistics,
    segment_track,
)


def test_overrides_replace_card_settings_and_none_keeps_them():
    card = SimpleNamespace(card={"postprocess": {"method": "contrast", "window": 12, "threshold": 0.25, "min_gap": 10}})
    assert alpha_postprocess_settings(card, threshold=0.4, window=None) == {
        "method": "contrast", "window": 12, "threshold": 0.4, "min_gap": 10}
    # another method starts from its own defaults, not from the card's rule
    assert alpha_postprocess_settings(card, method="appendix") == PAPER_SETTINGS
    assert alpha_postprocess_settings(card, method="appendix", eps=0.05, min_gap=15) == {
        "method": "appendix", "eps": 0.05, "min_gap": 15}
    assert model_postprocess_settings(None, min_gap=20) == {"method": "labels", "min_gap": 20}
    with pytest.raises(ValueError, match=r"\['eps'\] are not settings of the 'contrast'"):
        alpha_postprocess_settings(card, eps=0.05)
    with pytest.raises(ValueError, match="post-processing method"):
        model_postprocess_settings(None, method="appendix")


def test_segment_statistics_columns_are_the_declared_ones():
    """The segments table takes its columns from segment_columns, also when no piece was analysed."""
    positions = np.zeros((60, 2))
    alpha, proba = np.linspace(0.2, 1.8, 60), one_hot_ish([1, 3], [25, 35])
    for a, p in ((alpha, None), (None, proba), (alpha, proba)):
        values = segment_statistics(positions, np.array([25]), alpha=a, proba=p)
        assert list(values) == segment_columns(a is not None, p is not None)
        assert all(v.shape == (2,) for v in values.values())


def test_segment_track_merges_both_networks_and_reports_each_segment():
    alpha = np.repeat([0.4, 1.4], [50, 70])
    proba = one_hot_ish([2, 0, 3], [53, 47, 20])  # FBM, then ATTM from 53 (the alpha change), LW from 100
    track = segment_track(np.zeros((120, 2)), alpha=alpha, proba=proba, min_gap=10)
    assert isinstance(track, Segments) and len(track) == 3 and track.length == 120
    np.testing.assert_array_equal(track.changepoints, [50, 100])  # 53 is the alpha change seen again
    np.testing.assert_array_equal(track.starts, [0, 50, 100])
    np.testing.assert_array_equal(track.lengths, [50, 50, 20])
    np.testing.assert_array_equal(track.labels(), np.repeat([0, 1, 2], [50, 50, 20]))
    np.testing.assert_allclose(track["alpha"], [0.4, 1.4, 1.4])
    assert track["model"].tolist() == ["fbm", "attm", "lw"]
    np.testing.assert_allclose(track["probability"], [0.9, (3 * 0.025 + 47 * 0.9) / 50, 0.9])
    np.testing.assert_array_equal(combine_changepoints([50], [53, 100], 120, 10), track.changepoints)
    with pytest.raises(ValueError, match="needs the point-wise alpha"):
        segment_track(np.zeros((120, 2)))


def test_clipped_alpha_is_flagged_per_point_and_as_a_share_per_segment():
    from uandi.postprocess import alpha_clipped

    raw = np.concatenate([np.full(20, -0.3), np.linspace(0.3, 1.0, 20), np.full(10, 2.4)])  # (50,)
    alpha = np.clip(raw.astype(np.float32), 0.05, 2.0).astype(np.float64)  # as the networks return it
    np.testing.assert_array_equal(alpha_clipped(alpha), (raw < 0.05) | (raw > 2.0))
    values = segment_statistics(np.zeros((50, 2)), np.array([10, 40]), alpha=alpha)
    np.testing.assert_allclose(values["alpha_clipped"], [1.0, 10 / 30, 1.0])


def test_changepoints_alone_are_those_of_the_segments():
    """segment_track asks only for changepoints (it computes the segment values itself)."""
    from uandi.postprocess import changepoints_from_alpha, changepoints_from_proba

    rng = np.random.default_rng(1)
    alpha = np.repeat([0.3, 1.5, 0.8], [40, 50, 40]) + rng.normal(0, 0.05, 130)
    for settings in (PAPER_SETTINGS, {"method": "appendix", "eps": 0.2, "min_gap": 10},
                     {"method": "contrast", "window": 8, "threshold": 0.25, "min_gap": 10}):
        expected = segments_from_alpha_by(alpha, settings)[0]
        np.testing.assert_array_equal(changepoints_from_alpha(alpha, settings), expected)
    assert expected.tolist() == [40, 90]
    proba = one_hot_ish([0, 2, 4], [40, 50, 40], confidence=0.7)
    for settings in (LABEL_SETTINGS, {"method": "contrast", "window": 16, "threshold": 0.4, "min_gap": 10}):
        found = changepoints_from_proba(proba, settings)
        np.testing.assert_array_equal(found, segments_from_proba_by(proba, settings)[0])
        assert found.tolist() == [40, 90]


from uandi.postprocess import brownian_notice  # noqa: E402


def test_brownian_notice_counts_points_of_look_alike_segments():
    """Segments whose class is doubtful but ATTM + FBM + SBM is likely look Brownian; the note comes when
    they hold at least half of the points, and says what to do."""
    brownian = [0.34, 0.0, 0.29, 0.0, 0.37]  # no class >= 0.85, the three look-alikes together 1.0
    sure_fbm = [0.02, 0.0, 0.95, 0.0, 0.03]
    doubtful_lw = [0.0, 0.3, 0.2, 0.5, 0.0]  # doubtful, but not among the look-alikes: no Brownian look
    message = brownian_notice(np.array([brownian, sure_fbm]), np.array([60, 40]))
    assert message.startswith("60% of the analysed points") and "--tasks alpha finds the changes of alpha and of D" in message
    assert brownian_notice(np.array([brownian, sure_fbm]), np.array([40, 60])) is None
    assert brownian_notice(np.array([doubtful_lw, brownian]), np.array([80, 20])) is None
    assert brownian_notice(np.array([brownian]), np.array([30]), min_probability=0.3) is None  # 0.37 is sure
    assert brownian_notice(np.array([[0.5, 0.5]]), np.array([10]), classes=("ctrw", "lw")) is None


from uandi.postprocess import _median_of_positive, _step_candidates  # noqa: E402


def _brownian(rng, scales, n_tracks):
    """(n_tracks, len(scales) + 1, 2) Brownian positions whose step k has standard deviation scales[k]."""
    steps = rng.normal(size=(n_tracks, len(scales), 2)) * np.asarray(scales)[None, :, None]
    return np.concatenate([np.zeros((n_tracks, 1, 2)), np.cumsum(steps, axis=1)], axis=1)


def test_step_candidates_find_a_change_of_step_size_alone():
    rng = np.random.default_rng(4)
    scales = np.r_[np.ones(150), np.full(150, np.sqrt(5.0))]  # K five times larger from point 150 on
    found = _step_candidates(list(_brownian(rng, scales, 50)), (8, 16, 32), 3.5, 10)
    hits = [np.any(np.abs(c - 150) <= 5) for c in found]
    # measured 0.98 of such changes proposed within 5 points; 0.8 is ~10 binomial standard errors below
    assert np.mean(hits) >= 0.8
    # and the other way round (a particle that binds), at another length: tracks are grouped by length
    down = _step_candidates([_brownian(rng, scales[::-1], 1)[0], _brownian(rng, scales[::-1][:200], 1)[0]],
                            (8, 16, 32), 3.5, 10)
    assert np.min(np.abs(down[0] - 150)) <= 10 and np.min(np.abs(down[1] - 150)) <= 10  # the scorer's tolerance


def test_step_candidates_are_rare_on_homogeneous_brownian_tracks():
    rng = np.random.default_rng(5)
    found = _step_candidates(list(_brownian(rng, np.ones(499), 400)), (8, 16, 32), 3.5, 10)
    per_track = np.mean([len(c) for c in found])
    # measured 0.34 per track of 500 points (Poisson spread over 400 tracks: 0.03); a contrast not
    # standardised by the log-step variance pi^2 / 6 gives several per track
    assert per_track < 0.6
    assert all(np.all(np.diff(c) >= 10) and (len(c) == 0 or (c.min() >= 10 and c.max() <= 490)) for c in found)


def test_step_candidates_take_held_particles_and_short_tracks():
    held = np.zeros((120, 2))
    held[60:] = np.cumsum(np.random.default_rng(6).normal(size=(60, 2)), axis=0)  # at rest, then moving
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a track that never moves is no reason for numpy's warnings
        found = _step_candidates([held, np.zeros((12, 2)), np.zeros((120, 2))], (8, 16, 32), 3.5, 10)
    assert np.min(np.abs(found[0] - 60)) <= 2  # zero steps are floored, not log(0)
    assert len(found[1]) == 0 and len(found[2]) == 0  # too short for any window; never moving: no change


def test_median_of_positive_steps_is_nanmedians():
    """The step floor's scale: each row's median of its positive entries, as np.nanmedian gives it (odd and
    even counts, one entry, a row with none reads 1)."""
    rng = np.random.default_rng(7)
    for shape in [(400, 99), (50, 2), (9, 1)]:
        values = rng.exponential(size=shape) * (rng.random(shape) > 0.4)
        values[0] = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nanmedian of the all-zero row
            expected = np.nan_to_num(np.nanmedian(np.where(values > 0, values, np.nan), axis=1), nan=1.0)
        np.testing.assert_array_equal(_median_of_positive(values), expected)
